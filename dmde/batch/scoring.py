"""Batch scoring: a file of households in, scores, rejects and a manifest out.

The input is read in record batches, only the columns the model needs (its features, the
routing column, ``dossier_id`` and ``caf_code``): excluded columns present in the file are never
read, so they cannot reach any output. Each row is checked against the catalog for those columns;
a row with a problem is not scored and goes to the **rejects** file, one line per problem, with
its row number (1 = the first row after the CSV header), ``dossier_id``, column, value, rule and
what was expected; a valid row whose segment (``income_reporting``) has no scorecard in the
model file is rejected too (rule ``no_model``). Nothing is dropped silently: the manifest's
counts reconcile, ``rows_read = rows_scored + rows_rejected``. A row with the wrong number of
fields stops the run (the file itself is broken: ``dmde validate`` lists every such line).

Outputs are written to temporary files and renamed when complete; the manifest is written last,
so an output without its manifest is not a finished run. A missing column or a model file that
does not load stops the run before anything is written. The same input and model give
byte-identical scores and rejects files.

The scores file has one row per scored household: ``dossier_id``, ``caf_code``, ``segment``,
``score`` (points), ``probability``, and for i = 1..k the reason codes ``reason_i_feature``,
``reason_i_label`` and ``reason_i_points`` (points above the feature's reference, the average
file), empty where fewer than k features are above their reference.
"""

from __future__ import annotations

import datetime
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dmde.batch.manifest import sha256_file, write_manifest
from dmde.core.errors import DmdeError, SchemaError
from dmde.data.catalog import CATALOG, column
from dmde.data.datasets import (
    BATCH_ROWS,
    EXTENSIONS,
    arrow_schema,
    file_columns,
    parse_text,
    repeated_values,
    stored_type_ok,
    type_message,
    value_problems,
    write_batches,
)
from dmde.model.model_file import load_model
from dmde.model.scorecard import Scorecard, ScorecardFamily

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

__all__ = [
    "REJECT_COLUMNS",
    "ScoringResult",
    "csv_batches",
    "needed_columns",
    "parquet_batches",
    "rejects_path_for",
    "score_file",
    "score_frame",
    "scores_schema",
]

Model = Scorecard | ScorecardFamily
Progress = Callable[[int], None]

#: Columns of a rejects file: one line per refused value of a row.
REJECT_COLUMNS = ("row", "dossier_id", "column", "value", "rule", "reason")
_REJECT_TYPES: dict[str, pa.DataType] = {
    "row": pa.int64(),
    "dossier_id": pa.int64(),
    "column": pa.string(),
    "value": pa.string(),
    "rule": pa.string(),
    "reason": pa.string(),
}
_REJECT_SCHEMA = pa.schema(_REJECT_TYPES)
_CSV_BLOCK = 8 << 20
# Repeated text (Caf codes, segments, reason labels) is dictionary-encoded: written as text in
# CSV, as dictionary pages in Parquet, and never materialised string by string.
_TEXT = pa.dictionary(pa.int32(), pa.string())


def needed_columns(model: Model) -> tuple[str, ...]:
    """The columns a model's scoring reads: identifier, Caf, routing column and features."""
    wanted = {"dossier_id", "caf_code", *model.features_}
    if isinstance(model, ScorecardFamily):
        wanted.add(model.segment_column)
    return tuple(c for c in CATALOG if c in wanted)


def scores_schema(reasons: int) -> pa.Schema:
    """The Arrow schema of a scores file with ``reasons`` reason codes."""
    types: dict[str, pa.DataType] = {
        "dossier_id": pa.int64(),
        "caf_code": _TEXT,
        "segment": _TEXT,
        "score": pa.float64(),
        "probability": pa.float64(),
    }
    for i in range(1, reasons + 1):
        types[f"reason_{i}_feature"] = _TEXT
        types[f"reason_{i}_label"] = _TEXT
        types[f"reason_{i}_points"] = pa.float64()
    return pa.schema(types)


def rejects_path_for(output: str | os.PathLike[str]) -> Path:
    """Default rejects file of an output: ``<name>.rejects.csv`` beside it."""
    out = Path(output)
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.rejects.csv")


# --------------------------------------------------------------------------------------------
# Scoring valid rows
def _top_reasons(
    excess: npt.NDArray[np.float64], k: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Indices and values of the k largest excess points per row.

    Ties go to the feature that comes first (as a stable sort would): ``argmax`` returns the
    first maximum. k passes of argmax are cheaper than sorting every row. ``excess`` is used
    as scratch space (its chosen entries are set to -inf).
    """
    work = excess
    rows = np.arange(len(work))
    index = np.empty((len(work), k), dtype=np.intp)
    value = np.empty((len(work), k), dtype=np.float64)
    for r in range(k):
        best = np.argmax(work, axis=1)
        index[:, r] = best
        value[:, r] = work[rows, best]
        work[rows, best] = -np.inf
    return index, value


def _columns_of(table: pa.Table, names: Sequence[str]) -> dict[str, Any]:
    """Model inputs from Arrow columns: floats with NaN for numbers, categoricals for text."""
    out: dict[str, Any] = {}
    for name in names:
        values = table.column(name)
        if CATALOG[name].dtype in ("category", "string"):
            out[name] = values.to_pandas()
        else:
            out[name] = values.to_numpy().astype(np.float64, copy=False)
    return out


def _subset(columns: dict[str, Any], rows: npt.NDArray[np.intp] | None) -> dict[str, Any]:
    if rows is None:
        return columns
    return {k: v[rows] if isinstance(v, np.ndarray) else v.iloc[rows] for k, v in columns.items()}


def _score_block(
    model: Scorecard, columns: dict[str, Any], n: int, k: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], Any, Any]:
    contributions = model.contributions_of(columns, n)
    total = model.intercept_points_ + contributions.sum(axis=1)
    score = np.round(total, model.scaling_.decimals) + 0.0
    probability = model.scaling_.probability(score)
    if k == 0:
        return score, probability, None, None
    contributions -= model.reference_points_  # now the excess over the reference, in place
    index, value = _top_reasons(contributions, k)
    return score, probability, index, value


def _score_table(model: Model, table: pa.Table, reasons: int) -> pa.Table:
    """Scores of valid rows (an Arrow table of the needed columns), with :func:`scores_schema`."""
    n = table.num_rows
    names = list(model.features_)
    k = min(reasons, len(names))
    score = np.empty(n)
    probability = np.empty(n)
    feature = np.full((n, reasons), -1, dtype=np.int32)
    points = np.full((n, reasons), np.nan)
    if isinstance(model, ScorecardFamily):
        segment_values = table.column(model.segment_column)
        segment = np.asarray(segment_values.cast(pa.string()).to_numpy(zero_copy_only=False))
        unknown = ~np.isin(segment, np.asarray(model.segments_, dtype=object))
        if unknown.any():
            found = sorted({str(v) for v in segment[unknown]})
            raise DmdeError(
                f"{int(unknown.sum())} rows have a {model.segment_column} with no model "
                f"({', '.join(found[:5])}): the model file has models for "
                f"{', '.join(model.segments_)}."
            )
        parts = [(name, np.flatnonzero(segment == name)) for name in model.segments_]
        scorecards = model.models_
        segment_array: Any = _dictionary(segment_values)
    else:
        parts = [("all", np.arange(n))]
        scorecards = {"all": model}
        segment_array = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32), pa.int32()), pa.array(["all"])
        )
    columns = _columns_of(table, names)
    for name, rows in parts:
        if rows.size == 0:
            continue
        m = scorecards[name]
        part = _subset(columns, None if rows.size == n else rows)
        s, p, idx, val = _score_block(m, part, rows.size, k)
        score[rows], probability[rows] = s, p
        if k:
            local = np.asarray([names.index(f) for f in m.features_], dtype=np.int32)
            above = val > 0
            feature[rows, :k] = np.where(above, local[idx], -1)
            points[rows, :k] = np.where(above, np.round(val, 2), np.nan)
    arrays: list[Any] = [
        table.column("dossier_id").cast(pa.int64()),
        _dictionary(table.column("caf_code")),
        segment_array,
        pa.array(score),
        pa.array(probability),
    ]
    feature_names = pa.array(names, pa.string())
    labels = pa.array([CATALOG[f].label for f in names], pa.string())
    for i in range(reasons):
        codes = pa.array(feature[:, i], pa.int32(), mask=feature[:, i] < 0)
        arrays += [
            pa.DictionaryArray.from_arrays(codes, feature_names),
            pa.DictionaryArray.from_arrays(codes, labels),
            pa.array(points[:, i], pa.float64(), mask=np.isnan(points[:, i])),
        ]
    return pa.Table.from_arrays(arrays, schema=scores_schema(reasons))


def _dictionary(values: Any) -> Any:
    """Text values as a dictionary array (int32 indices)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        return values.cast(_TEXT)
    return pc.dictionary_encode(values.cast(pa.string())).cast(_TEXT)


# --------------------------------------------------------------------------------------------
# Checking rows
@dataclass
class _Checked:
    """One batch after the row checks: the valid rows and the rejects, as tables."""

    valid: pa.Table
    rejects: pa.Table
    n_rows: int
    n_rejected: int
    first_row: int = 1
    valid_rows: npt.NDArray[np.intp] | None = None  # positions in the batch; None: every row

    def without_model(self, model: Model) -> _Checked:
        """Move the valid rows whose segment has no scorecard to the rejects (rule no_model)."""
        if not isinstance(model, ScorecardFamily) or self.valid.num_rows == 0:
            return self
        name = model.segment_column
        segment = self.valid.column(name).cast(pa.string())
        known = pc.is_in(segment, value_set=pa.array(model.segments_, pa.string()))
        lost = np.flatnonzero(~np.asarray(known.to_numpy(zero_copy_only=False), dtype=bool))
        if lost.size == 0:
            return self
        positions = np.arange(self.valid.num_rows) if self.valid_rows is None else self.valid_rows
        taken = pa.array(lost, pa.int64())
        reason = f"expected a segment with a scorecard: {', '.join(model.segments_)}"
        extra = pa.table(
            [
                pa.array(positions[lost] + self.first_row, pa.int64()),
                self.valid.column("dossier_id").take(taken).cast(pa.int64()),
                pa.array([name] * lost.size, pa.string()),
                segment.take(taken),
                pa.array(["no_model"] * lost.size, pa.string()),
                pa.array([reason] * lost.size, pa.string()),
            ],
            schema=_REJECT_SCHEMA,
        )
        keep = np.setdiff1d(np.arange(self.valid.num_rows), lost)
        rejects = pa.concat_tables([self.rejects, extra])
        order = pc.sort_indices(rejects, sort_keys=[("row", "ascending")])
        return _Checked(
            self.valid.take(pa.array(keep, pa.int64())),
            rejects.take(order),
            self.n_rows,
            self.n_rejected + int(lost.size),
            self.first_row,
            positions[keep],
        )


def _check_batch(batch: pa.RecordBatch, first_row: int, *, text: bool) -> _Checked:
    """Row-level catalog checks of one batch; ``text``: values are unparsed strings."""
    n = batch.num_rows
    bad = np.zeros(n, dtype=bool)
    ids = batch.column("dossier_id")
    if text:
        ids = parse_text(column("dossier_id"), ids)[0]
    parts: list[tuple[npt.NDArray[np.intp], str, Arr, str, str]] = []
    columns: dict[str, Arr] = {}
    for name in batch.schema.names:
        col, raw = column(name), batch.column(name)
        flagged = np.zeros(n, dtype=bool)
        values = raw
        if text:
            values, unparsable = parse_text(col, raw)
            if unparsable.size:
                parts.append((unparsable, name, raw, "type", type_message(col)))
                flagged[unparsable] = True
        for rule, expected, mask in value_problems(col, values):
            hits = np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False)) & ~flagged)
            if hits.size:
                parts.append((hits, name, values, rule, expected))
                flagged[hits] = True
        bad |= flagged
        columns[name] = values
    rejects = _rejects_table(parts, ids, first_row)
    keep = np.flatnonzero(~bad)
    table = pa.table(columns)
    if keep.size < n:
        table = table.take(pa.array(keep, pa.int64()))
    return _Checked(table, rejects, n, int(bad.sum()), first_row, keep)


def _rejects_table(
    parts: Sequence[tuple[npt.NDArray[np.intp], str, Arr, str, str]], ids: Arr, first_row: int
) -> pa.Table:
    if not parts:
        return _REJECT_SCHEMA.empty_table()
    tables = []
    for hits, name, values, rule, expected in parts:
        taken = pa.array(hits, pa.int64())
        shown = values.take(taken)
        if pa.types.is_dictionary(shown.type):
            shown = shown.cast(shown.type.value_type)
        tables.append(
            pa.table(
                [
                    pa.array(hits + first_row, pa.int64()),
                    ids.take(taken).cast(pa.int64(), safe=False),
                    pa.array([name] * len(hits), pa.string()),
                    shown.cast(pa.string()),
                    pa.array([rule] * len(hits), pa.string()),
                    pa.array([expected] * len(hits), pa.string()),
                ],
                schema=_REJECT_SCHEMA,
            )
        )
    table = pa.concat_tables(tables)
    order = pc.sort_indices(table, sort_keys=[("row", "ascending")])
    return table.take(order)


# --------------------------------------------------------------------------------------------
# Reading
def _reading_types(columns: Sequence[str], *, text: bool) -> dict[str, pa.DataType]:
    if text:
        return {c: pa.string() for c in columns}
    schema = arrow_schema(columns)
    types = {}
    for f in schema:
        dtype = CATALOG[f.name].dtype
        types[f.name] = pa.dictionary(pa.int32(), pa.string()) if dtype == "category" else f.type
    types.update({c: pa.int64() for c in columns if CATALOG[c].dtype == "flag"})
    return types


def csv_batches(
    path: Path, columns: Sequence[str], batch_size: int, *, text: bool
) -> Iterator[pa.RecordBatch]:
    """Record batches of the named columns of a CSV, typed by the catalog or (``text``) as text."""
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=_CSV_BLOCK, use_threads=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=list(columns),
            column_types=_reading_types(columns, text=text),
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    for batch in reader:
        for start in range(0, batch.num_rows, batch_size):
            yield batch.slice(start, batch_size)


def parquet_batches(
    path: Path, columns: Sequence[str], batch_size: int
) -> Iterator[pa.RecordBatch]:
    """Record batches of the named columns of a Parquet file, stored types checked."""
    parquet = pq.ParquetFile(path)
    stored = parquet.schema_arrow
    for name in columns:
        typ = stored.field(name).type
        if not stored_type_ok(CATALOG[name], typ):
            raise SchemaError(
                f"{path}: column {name!r} is stored as {typ}; expected "
                f"{CATALOG[name].dtype} values. Write the file with the catalog's types (dmde "
                "validate shows every problem).",
                path=str(path),
            )
    for batch in parquet.iter_batches(batch_size=batch_size, columns=list(columns)):
        arrays = []
        for name in columns:
            values = batch.column(name)
            if CATALOG[name].dtype in ("int", "flag") and not pa.types.is_int64(values.type):
                values = values.cast(pa.int64())
            arrays.append(values)
        yield pa.RecordBatch.from_arrays(arrays, names=list(columns))


class _RereadAsTextError(Exception):
    """The fast, typed CSV read met a value that does not parse: read again as text."""


def _numbered(batches: Iterator[pa.RecordBatch], *, text: bool) -> Iterator[_Checked]:
    """Check each batch, numbering rows across batches (1 = the first data row)."""
    row = 1
    for batch in batches:
        yield _check_batch(batch, row, text=text)
        row += batch.num_rows


def _unreadable(path: Path, exc: pa.ArrowInvalid) -> SchemaError:
    return SchemaError(
        f"{path}: cannot be read as CSV: {str(exc).splitlines()[0]}. Run 'dmde validate' to "
        "list every problem.",
        path=str(path),
    )


def _checked_batches(path: Path, columns: Sequence[str], batch_size: int) -> Iterator[_Checked]:
    if EXTENSIONS[path.suffix.lower()] == "parquet":
        yield from _numbered(parquet_batches(path, columns, batch_size), text=False)
        return
    try:
        yield from _numbered(csv_batches(path, columns, batch_size, text=False), text=False)
    except pa.ArrowInvalid as exc:
        if "conversion error" in str(exc).lower():
            raise _RereadAsTextError from None
        raise _unreadable(path, exc) from None


def _text_batches(path: Path, columns: Sequence[str], batch_size: int) -> Iterator[_Checked]:
    try:
        yield from _numbered(csv_batches(path, columns, batch_size, text=True), text=True)
    except pa.ArrowInvalid as exc:
        raise _unreadable(path, exc) from None


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoringResult:
    """What a scoring run did (also written as the manifest)."""

    output: str
    rejects: str
    manifest: str
    rows_read: int
    rows_scored: int
    rows_rejected: int
    seconds: float


class _Run:
    """Counters and the rejects of one run (filled while the scores stream is written)."""

    def __init__(self) -> None:
        self.read = self.scored = self.rejected = 0
        self.rejects: list[pa.Table] = []
        self.ids: list[npt.NDArray[np.int64]] = []


def _score_stream(
    model: Model,
    checked: Iterator[_Checked],
    run: _Run,
    reasons: int,
    progress: Progress | None,
) -> Iterator[pa.Table]:
    for checked_part in checked:
        part = checked_part.without_model(model)
        run.read += part.n_rows
        run.rejected += part.n_rejected
        if part.rejects.num_rows:
            run.rejects.append(part.rejects)
        if part.valid.num_rows:
            table = _score_table(model, part.valid, reasons)
            run.scored += table.num_rows
            run.ids.append(table.column("dossier_id").to_numpy())
            yield table
        if progress:
            progress(part.n_rows)
    _check_unique(run.ids)


_DONE = object()


def _prefetch(items: Iterator[pa.Table], depth: int = 2) -> Iterator[pa.Table]:
    """Compute the next tables in a thread while the caller writes the current one.

    Reading, checking and scoring a batch (mostly numpy and Arrow, which release the GIL) then
    overlaps with writing the previous one. An error in the thread is raised in the caller; if
    the caller stops, the thread stops at its next table.
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(_DONE)
        except BaseException as exc:  # handed to the caller, raised there
            slots.put(exc)

    worker = threading.Thread(target=produce, name="dmde-score", daemon=True)
    worker.start()
    try:
        while (item := slots.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _check_unique(ids: list[npt.NDArray[np.int64]]) -> None:
    if not ids:
        return
    repeated = repeated_values(np.concatenate(ids))
    if repeated.size:
        shown = ", ".join(str(v) for v in repeated[:5])
        raise SchemaError(
            f"{repeated.size} dossier_id values appear on several rows ({shown}): each file must "
            "appear once. Run 'dmde validate' to list the rows; nothing was written."
        )


def _load(model: Model | str | os.PathLike[str]) -> tuple[Model, str]:
    if isinstance(model, Scorecard | ScorecardFamily):
        return model, str(getattr(model, "model_sha256_", "unsaved model"))
    loaded = load_model(model)
    return loaded, str(loaded.model_sha256_)


def score_file(
    model: Model | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    rejects: str | os.PathLike[str] | None = None,
    reasons: int = 3,
    batch_size: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> ScoringResult:
    """Score a CSV or Parquet file in batches; write scores, rejects and a manifest.

    Parameters
    ----------
    model : Scorecard, ScorecardFamily or path of a model file
    input_path : path
        The households to score (CSV or Parquet).
    output : path
        The scores file (``.parquet`` or ``.csv``).
    rejects : path, optional
        Where rejected rows go (default: ``<output name>.rejects.csv`` beside the output).
    reasons : int, default 3
        Reason codes per row.
    batch_size : int
        Rows per batch (memory is bounded by it, not by the file's size).
    progress : callable, optional
        Called with the number of rows read after each batch.
    """
    started = time.perf_counter()
    start_time = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    if not isinstance(reasons, int) or isinstance(reasons, bool) or reasons < 0:
        raise DmdeError(f"reasons must be a whole number of at least 0; got {reasons!r}.")
    loaded, model_hash = _load(model)
    source, out = Path(input_path), Path(output)
    rejects_out = Path(rejects) if rejects is not None else rejects_path_for(out)
    for target in (out, rejects_out):
        if target.suffix.lower() not in EXTENSIONS:
            raise DmdeError(f"cannot write {str(target)!r}: use .csv or .parquet.")
    columns = needed_columns(loaded)
    header = file_columns(source)
    missing = [c for c in columns if c not in header]
    if missing:
        raise SchemaError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}, which the model needs; nothing was written.",
            path=str(source),
        )

    def write(batches: Iterator[_Checked]) -> _Run:
        run = _Run()
        stream = _score_stream(loaded, batches, run, reasons, progress)
        write_batches(out, _prefetch(stream), schema=scores_schema(reasons))
        return run

    with ThreadPoolExecutor(max_workers=1) as pool:
        input_hash = pool.submit(sha256_file, source)
        try:
            run = write(_checked_batches(source, columns, batch_size))
        except _RereadAsTextError:  # a value does not parse: every row again, as text
            run = write(_text_batches(source, columns, batch_size))
        try:
            write_batches(
                rejects_out, run.rejects or [_REJECT_SCHEMA.empty_table()], schema=_REJECT_SCHEMA
            )
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        digest = input_hash.result()
    seconds = time.perf_counter() - started
    rejected_lines = sum(t.num_rows for t in run.rejects)
    manifest = write_manifest(
        out,
        {
            "command": "score",
            "input": {"path": str(source), "sha256": digest},
            "model": {"sha256": model_hash},
            "columns_read": list(columns),
            "outputs": {"scores": str(out), "rejects": str(rejects_out)},
            "rows_read": run.read,
            "rows_scored": run.scored,
            "rows_rejected": run.rejected,
            "reject_lines": rejected_lines,
            "reasons": reasons,
            "started": start_time,
            "ended": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 3),
            "rows_per_second": round(run.read / seconds) if seconds > 0 else None,
        },
    )
    return ScoringResult(
        str(out), str(rejects_out), str(manifest), run.read, run.scored, run.rejected, seconds
    )


def score_frame(model: Model, frame: pd.DataFrame, *, reasons: int = 3) -> pd.DataFrame:
    """Score an in-memory DataFrame (the columns of :func:`needed_columns`, catalog types).

    Raises
    ------
    SchemaError
        If a needed column is missing or a value breaks the catalog (rows listed).
    """
    columns = needed_columns(model)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"the frame has no column {', '.join(missing)}, which the model needs.")
    table = pa.Table.from_pandas(frame[list(columns)], preserve_index=False)
    typed = pa.table({c: _typed(table.column(c), c) for c in columns})
    checked = (
        _check_batch(typed.combine_chunks().to_batches()[0], 1, text=False) if len(frame) else None
    )
    if checked is not None and checked.n_rejected:
        lines = checked.rejects.to_pandas().head(5).to_string(index=False)
        raise SchemaError(
            f"{checked.n_rejected} rows break the catalog; the first problems:\n{lines}"
        )
    return _score_table(model, typed, reasons).to_pandas()


def _typed(values: Any, name: str) -> Any:
    """A pandas-made Arrow column in the catalog's reading type (categories as text)."""
    kind = CATALOG[name].dtype
    if kind in ("category", "string"):
        return values.cast(pa.string())
    return values.cast(pa.float64() if kind == "float" else pa.int64())
