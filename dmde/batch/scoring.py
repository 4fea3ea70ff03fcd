"""Batch scoring: a file of households in, scores, rejects and a manifest out.

The input is read in record batches, only the columns the model needs (its features, the
routing column, ``dossier_id`` and ``caf_code``): excluded columns present in the file are never
read, so they cannot reach any output. Each row is checked against the catalog for those columns;
a row with a problem is not scored and goes to the **rejects** file, one line per problem, with
its row number (1 = the first row after the CSV header), ``dossier_id``, column, value, rule and
what was expected; a valid row whose segment (``income_reporting``) has no scorecard in the
model file is rejected too (rule ``no_model``). Nothing is dropped silently: the manifest's
counts reconcile, ``rows_read = rows_scored + rows_rejected``. Rows are counted as ``dmde
validate`` counts them, so row numbers agree: a blank line is a row (rejected, its values
missing), a row with the wrong number of fields is rejected (rule ``bad_row``), a value that is
not UTF-8 too (rule ``encoding``). A file without data rows, or whose header names a column
twice, is refused; so is an output that is an input (data or model file) or another output.

Outputs are written to temporary files and renamed when complete; the manifest is written last,
so an output without its manifest is not a finished run. A missing column or a model file that
does not load stops the run before anything is written. The same input and model give
byte-identical scores and rejects files.

A model file is read as its checked tables (:mod:`dmde.model.published_model`), which the lookup
tables score: scoring a file never builds the estimators, nor imports scikit-learn; nor pandas,
whose import is a tenth of a 2M-row run (Arrow's columns become numpy arrays and back through
:mod:`dmde.data.arrow_numpy`; ``tests/test_scoring_imports.py`` checks it).

The scores file has one row per scored household: ``dossier_id``, ``caf_code``, ``segment``,
``score`` (points), ``probability``, and for i = 1..k the reason codes ``reason_i_feature``,
``reason_i_label`` and ``reason_i_points`` (points above the feature's reference, the average
file), empty where fewer than k features are above their reference.
"""

from __future__ import annotations

import datetime
import functools
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dmde.batch.lookup import LookupScorer
from dmde.core.errors import SchemaError
from dmde.core.files import FileSet
from dmde.data.arrow_numpy import empty_table, flags, integers, numbers_array, text_array
from dmde.data.catalog import CATALOG
from dmde.data.manifest import land_run, manifest_path, sha256_file
from dmde.data.opening import FileTally, file_columns, read_ahead
from dmde.data.parameters import Range, check_parameters
from dmde.data.paths import check_data_file_name, check_distinct_paths
from dmde.data.reading import REJECT_COLUMNS, REJECT_SCHEMA, CheckedBatch, check_rows, read_batches
from dmde.data.rules import repeated_values
from dmde.data.schema import BATCH_ROWS, EXTENSIONS
from dmde.data.writing import write_batches
from dmde.model.published_model import PublishedModel, read_published_model
from dmde.model.scored import ScoredColumns

if TYPE_CHECKING:
    import pandas as pd

    from dmde.model.periods import PeriodScorecards
    from dmde.model.scorecard import Scorecard, ScorecardFamily

    Arr: TypeAlias = pa.Array[Any]
    Estimator: TypeAlias = Scorecard | ScorecardFamily | PeriodScorecards
    #: What scores: a model file's checked tables, or a fitted model.
    Model: TypeAlias = PublishedModel | Estimator

__all__ = [
    "REJECT_COLUMNS",
    "RejectReason",
    "ScoringResult",
    "ScoringStart",
    "months_after",
    "needed_columns",
    "reject_reasons",
    "rejects_path_for",
    "score_file",
    "score_frame",
    "scores_schema",
    "start_scoring",
]

Progress = Callable[[int], None]

# Repeated text (Caf codes, segments, reason labels) is dictionary-encoded: written as text in
# CSV, as dictionary pages in Parquet, and never materialised string by string.
_TEXT = pa.dictionary(pa.int32(), pa.string())


def needed_columns(model: Model) -> tuple[str, ...]:
    """The columns a model's scoring reads: identifier, Caf, routing column and features."""
    wanted = {"dossier_id", "caf_code", *_features(model)}
    routing = _routing(model)
    if routing is not None:
        wanted.add(routing)
    periods = _by_period(model)
    if periods is not None and periods.month is None:
        wanted.add(periods.month_column)  # each row scored as of its own month
    return tuple(c for c in CATALOG if c in wanted)


def _features(model: Model) -> tuple[str, ...]:
    """The columns the model's scorecards read, over all segments."""
    if isinstance(model, PublishedModel):
        tables: PublishedModel = model
        return tables.features
    return tuple(model.features_)


def _family(model: Model) -> ScorecardFamily | None:
    """A fitted family of scorecards, else None (scikit-learn is loaded if it is one)."""
    if isinstance(model, PublishedModel):
        return None
    from dmde.model.family import ScorecardFamily

    return model if isinstance(model, ScorecardFamily) else None


def _by_period(model: Model) -> PeriodScorecards | None:
    """A fitted model by period (:mod:`dmde.model.periods`), else None."""
    if isinstance(model, PublishedModel):
        return None
    from dmde.model.periods import PeriodScorecards

    return model if isinstance(model, PeriodScorecards) else None


def _routing(model: Model) -> str | None:
    """The column that routes rows to their segment's scorecard, None for one scorecard."""
    if isinstance(model, PublishedModel):
        return model.routing_column
    family = _family(model)
    return None if family is None else family.segment_column


def _segments(model: Model) -> tuple[str, ...]:
    """The segments that have a scorecard (with a routing column)."""
    if isinstance(model, PublishedModel):
        return tuple(model.segments)
    family = _family(model)
    return () if family is None else tuple(family.segments_)


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


def _score_table(
    model: Model, table: pa.Table, reasons: int, scorer: LookupScorer | None = None
) -> pa.Table:
    """Scores of valid rows (an Arrow table of the needed columns), with :func:`scores_schema`.

    The model's lookup tables score them (:class:`~dmde.batch.lookup.LookupScorer`, built
    once per run and given as ``scorer``), which give what the model's own scoring gives
    (:meth:`~dmde.model.scorecard.Scorecard.score_columns`, routing by segment in a family);
    the model scores them itself when there is no ``scorer``, when its tables cannot reproduce
    it, or when a row's segment has no scorecard (the model says so). This function only lays
    the result out as the scores file's columns.
    """
    n = table.num_rows
    names = list(_features(model))
    routing = _routing(model)
    if routing is not None:
        segment_array: Any = _dictionary(table.column(routing))
    else:
        segment_array = pa.DictionaryArray.from_arrays(
            numbers_array(np.zeros(n, dtype=np.int32)), text_array(["all"])
        )
    scored = _scored(model, table, reasons, scorer)
    if _by_period(model) is not None and scored.segment is not None:
        segment_array = _dictionary(pa.array(scored.segment, pa.string()))  # "before 14/24 + ..."
    arrays: list[Any] = [
        table.column("dossier_id").cast(pa.int64()),
        _dictionary(table.column("caf_code")),
        segment_array,
        numbers_array(scored.points, pa.float64()),
        numbers_array(scored.probability, pa.float64()),
    ]
    feature_names = text_array(names)
    labels = text_array([CATALOG[f].label for f in names])
    for i in range(reasons):
        if i < scored.k:
            feature = scored.reason_features[:, i]
            points = np.round(scored.reason_points[:, i], 2)
        else:
            feature = np.full(n, -1, dtype=np.int32)
            points = np.full(n, np.nan)
        codes = numbers_array(feature, pa.int32(), mask=feature < 0)
        arrays += [
            pa.DictionaryArray.from_arrays(codes, feature_names),
            pa.DictionaryArray.from_arrays(codes, labels),
            numbers_array(points, pa.float64(), mask=np.isnan(points)),
        ]
    return pa.Table.from_arrays(arrays, schema=scores_schema(reasons))


def _lookup(model: Model) -> LookupScorer | None:
    """The model's lookup tables, or None for a model they cannot be built from (the model
    then scores, and says what is wrong with it)."""
    if _by_period(model) is not None:
        return None  # two scorecards weighted by month: the model scores
    try:
        return LookupScorer(model)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _scored(
    model: Model, table: pa.Table, reasons: int, scorer: LookupScorer | None
) -> ScoredColumns:
    """The scores of ``table``'s rows: by the lookup tables if they can, else by the model
    (built from the model file's tables if need be)."""
    if scorer is not None and scorer.supported:
        try:
            return scorer.score(table, reasons=reasons)
        except ValueError:
            pass  # a segment with no scorecard: the model's own error says which
    estimator = _estimator(model)
    columns = _columns_of(table, list(estimator.features_))
    periods = _by_period(estimator)
    if periods is not None and periods.month is None:
        months = table.column(periods.month_column).cast(pa.string())
        columns[periods.month_column] = months.to_numpy(zero_copy_only=False)
    family = _family(estimator)
    if family is not None:
        segment_values = table.column(family.segment_column)
        columns[family.segment_column] = segment_values.cast(pa.string()).to_numpy(
            zero_copy_only=False
        )
    return estimator.score_columns(columns, table.num_rows, reasons=reasons)  # refuses a segment


def _dictionary(values: Any) -> Any:
    """Text values as a dictionary array (int32 indices)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        return values.cast(_TEXT)
    return pc.dictionary_encode(values.cast(pa.string())).cast(_TEXT)


# --------------------------------------------------------------------------------------------
# Rows whose segment has no scorecard
def _without_model(part: CheckedBatch, model: Model) -> CheckedBatch:
    """Move the valid rows whose segment has no scorecard to the rejects (rule no_model)."""
    routing = _routing(model)
    if routing is None or part.valid.num_rows == 0:
        return part
    segments = _segments(model)
    segment = part.valid.column(routing).cast(pa.string())
    known = pc.is_in(segment, value_set=text_array(segments))
    lost = np.flatnonzero(~flags(known))
    reason = f"expected a segment with a scorecard: {', '.join(segments)}"
    return part.reject(lost, routing, "no_model", reason)


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
    """Counters and the rejects of one run (filled while the scores stream is written).

    ``ids`` holds the dossier_id of every row read whose id could be read (scored or rejected:
    a file is refused if one appears twice, as ``dmde validate`` does), and ``rows`` says which
    file rows they are, for the message: a first row (consecutive rows) or the rows themselves.
    """

    def __init__(self) -> None:
        self.read = self.scored = self.rejected = 0
        self.rejects: list[pa.Table] = []
        self.ids: list[npt.NDArray[np.int64]] = []
        self.rows: list[int | npt.NDArray[np.int64]] = []

    def add_ids(self, part: CheckedBatch, scored: pa.Table) -> None:
        if scored.num_rows:
            self.ids.append(integers(scored.column("dossier_id")))
            where = part.valid_rows
            self.rows.append(part.first_row if where is None else where + part.first_row)
        if part.rejects.num_rows:
            known = part.rejects.filter(pc.is_valid(part.rejects.column("dossier_id")))
            rows = integers(known.column("row")).astype(np.int64)
            ids = integers(known.column("dossier_id")).astype(np.int64)
            order = np.lexsort((ids, rows))  # by row, then id: each row's first is its smallest
            rows, ids = rows[order], ids[order]
            first = np.ones(rows.size, dtype=bool)
            first[1:] = rows[1:] != rows[:-1]
            if rows.size:
                self.ids.append(ids[first])
                self.rows.append(rows[first])

    def check_unique(self, source: Path) -> None:
        """Refuse the file if a dossier_id is on several rows, naming the first few."""
        if not self.ids:
            return
        ids = np.concatenate(self.ids)
        if ids.size < 2 or bool(np.all(ids[1:] > ids[:-1])):  # in order: none repeated, no sort
            return
        repeated = repeated_values(ids)
        if not repeated.size:
            return
        rows = np.concatenate(
            [
                np.arange(r, r + i.size, dtype=np.int64) if isinstance(r, int) else r
                for i, r in zip(self.ids, self.rows, strict=True)
            ]
        )
        shown = []
        for value in repeated[:3]:
            where = np.sort(rows[ids == value])
            shown.append(f"{value} (rows {', '.join(str(r) for r in where[:4])})")
        raise SchemaError(
            f"{source}: {repeated.size:,} dossier_id value{'s' if repeated.size > 1 else ''} "
            f"appear{'' if repeated.size > 1 else 's'} on several rows: {'; '.join(shown)}"
            f"{'; ...' if repeated.size > 3 else ''}. Each file must appear once: fix the "
            "file (run 'dmde validate' to list every problem); nothing was written.",
            path=str(source),
        )


def _score_stream(
    model: Model,
    checked: Iterator[CheckedBatch],
    run: _Run,
    reasons: int,
    progress: Progress | None,
    source: Path,
) -> Iterator[pa.Table]:
    scorer = _lookup(model)
    for checked_part in checked:
        part = _without_model(checked_part, model)
        run.read += part.n_rows
        run.rejected += part.n_rejected
        if part.rejects.num_rows:
            run.rejects.append(part.rejects)
        table = _score_table(model, part.valid, reasons, scorer) if part.valid.num_rows else None
        run.add_ids(part, table if table is not None else part.valid)
        if table is not None:
            run.scored += table.num_rows
            yield table
        if progress:
            progress(part.n_rows)
    run.check_unique(source)


def _is_parquet(path: Path) -> bool:
    return EXTENSIONS.get(path.suffix.lower()) == "parquet"


def _estimator(model: Model) -> Estimator:
    """A fitted model: the one given, or the one a model file's tables build (once)."""
    return _built(model) if isinstance(model, PublishedModel) else model


@functools.lru_cache(maxsize=2)
def _built(tables: PublishedModel) -> Estimator:
    from dmde.model.model_file import build_model  # imports scikit-learn: only when needed

    return build_model(tables)


def _is_estimator(model: object) -> bool:
    """Whether ``model`` is a fitted-model object (scikit-learn is loaded if it may be one)."""
    if isinstance(model, str | os.PathLike | PublishedModel):
        return False
    from dmde.model.periods import PeriodScorecards
    from dmde.model.scorecard import Scorecard, ScorecardFamily

    return isinstance(model, Scorecard | ScorecardFamily | PeriodScorecards)


def _load(
    model: Model | str | os.PathLike[str], verify_key: str | os.PathLike[str] | None = None
) -> tuple[Model, str]:
    """The model that scores and its hash: a model file is read as its checked tables (a
    model by period, which they do not score, as its estimator)."""
    given: Any = model
    if _is_estimator(given) and verify_key is None:
        return given, str(getattr(given, "model_sha256_", "unsaved model"))
    if isinstance(given, PublishedModel) and verify_key is None:
        tables: PublishedModel = given
    else:  # a path (anything else: read_published_model says what it expected)
        tables = read_published_model(given, verify_key=verify_key)
    return (_estimator(tables) if tables.by_period else tables), tables.sha256


def _check_paths(
    model: Model | str | os.PathLike[str], source: Path, out: Path, rejects: Path
) -> None:
    """Refuse outputs whose names are not data files, or that would destroy an input or
    another output of the run."""
    for role, target in (("output", out), ("rejects", rejects)):
        check_data_file_name(role, target)
    inputs: dict[str, str | os.PathLike[str]] = {"the data file": source}
    if not _is_estimator(model) and not isinstance(model, PublishedModel):
        inputs["the model file"] = model
    outputs = [
        ("output", "the scores", out),
        ("rejects", "the rejects", rejects),
        ("output", "the scores' manifest", manifest_path(out)),
    ]
    check_distinct_paths(outputs, inputs)


@dataclass(frozen=True)
class ScoringStart:
    """What every scoring engine starts from, checked: see :func:`start_scoring`."""

    started: float
    start_time: str
    source: Path
    out: Path
    rejects: Path
    scoring: Model  # what scores: the model file's tables (or the model given)
    model_hash: str
    columns: tuple[str, ...]
    header: tuple[str, ...]

    @property
    def model(self) -> Estimator:
        """The model as a fitted estimator, for engines that need one (built from the model
        file's tables the first time: this imports scikit-learn)."""
        if isinstance(self.scoring, PublishedModel):
            tables: PublishedModel = self.scoring
            return _estimator(tables)
        return self.scoring

    def record(
        self,
        *,
        input_sha256: str,
        counts: tuple[int, int, int, int],
        reasons: int,
        seconds: float,
        engine: str | None = None,
    ) -> dict[str, Any]:
        """The run's manifest record (``counts``: rows read, scored, rejected, reject lines);
        ``engine`` is named when it is not dmde's own."""
        read, scored, rejected, lines = counts
        periods = _by_period(self.scoring)
        as_of = periods.month if periods is not None else None
        return {
            "command": "score",
            **({"engine": engine} if engine is not None else {}),
            "input": {"path": str(self.source), "sha256": input_sha256},
            "model": {"sha256": self.model_hash, **self._action()},
            **({"month": as_of} if as_of is not None else {}),
            "columns_read": list(self.columns),
            "outputs": {"scores": str(self.out), "rejects": str(self.rejects)},
            "rows_read": read,
            "rows_scored": scored,
            "rows_rejected": rejected,
            "reject_lines": lines,
            "reasons": reasons,
            "started": self.start_time,
            "ended": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 3),
            "rows_per_second": round(read / seconds) if seconds > 0 else None,
        }

    def _action(self) -> dict[str, str]:
        """The model's action when it is not a check (``dmde select`` refuses a rights model's
        scores for checks, and a check model's for outreach): as the model file records it."""
        document = getattr(self.scoring, "document", None)
        training = document.get("training") if isinstance(document, Mapping) else None
        action = training.get("action") if isinstance(training, Mapping) else None
        return {"action": "outreach"} if action == "outreach" else {}


def start_scoring(
    model: Estimator | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    rejects: str | os.PathLike[str] | None,
    reasons: int,
    verify_key: str | os.PathLike[str] | None,
) -> ScoringStart:
    """The checks every engine makes before it reads a row, in one place: ``reasons``, the
    output paths (data file names, no input or output overwritten), the model (and its
    signature), and the input's header holding every column the model needs."""
    started = time.perf_counter()
    start_time = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    check_parameters(
        {"reasons": [Range(Integral, 0, None, closed="left")]},
        {"reasons": reasons},
        fixes={"reasons": "Give the number of reason codes per row, e.g. 3."},
    )
    source, out = Path(input_path), Path(output)
    rejects_out = Path(rejects) if rejects is not None else rejects_path_for(out)
    _check_paths(model, source, out, rejects_out)
    loaded, model_hash = _load(model, verify_key)
    columns = needed_columns(loaded)
    header = tuple(file_columns(source))
    missing = [c for c in columns if c not in header]
    if missing:
        raise SchemaError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}, which the model needs; nothing was written.",
            path=str(source),
        )
    return ScoringStart(
        started, start_time, source, out, rejects_out, loaded, model_hash, columns, header
    )


def score_file(
    model: Estimator | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    rejects: str | os.PathLike[str] | None = None,
    reasons: int = 3,
    batch_size: int = BATCH_ROWS,
    progress: Progress | None = None,
    verify_key: str | os.PathLike[str] | None = None,
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
    verify_key : path, optional
        A public key file (``NAME.pub``): the model must be signed by it
        (:func:`dmde.model.model_file.load_model`).
    """
    begun = start_scoring(
        model, input_path, output, rejects=rejects, reasons=reasons, verify_key=verify_key
    )
    source, out, rejects_out = begun.source, begun.out, begun.rejects
    loaded, columns, started = begun.scoring, begun.columns, begun.started
    with ThreadPoolExecutor(max_workers=1) as pool, FileSet(error=SchemaError) as files:
        # A CSV file is hashed as it is read (the tally); a Parquet file is read in pieces,
        # so it is hashed beside the reading.
        tally = FileTally()
        parquet_hash = pool.submit(sha256_file, source) if _is_parquet(source) else None
        run = _Run()
        batches = read_batches(
            source, columns, batch_size=batch_size, on_problem="reject", tally=tally
        )
        stream = _score_stream(loaded, batches, run, reasons, progress, source)
        # Checking and scoring the next batch (in a thread) overlaps writing this one.
        write_batches(out, read_ahead(stream), schema=scores_schema(reasons), files=files)
        write_batches(
            rejects_out,
            run.rejects or [empty_table(REJECT_SCHEMA)],
            schema=REJECT_SCHEMA,
            files=files,
        )
        digest = parquet_hash.result() if parquet_hash else tally.sha256 or sha256_file(source)
        seconds = time.perf_counter() - started
        rejected_lines = sum(t.num_rows for t in run.rejects)
        counts = (run.read, run.scored, run.rejected, rejected_lines)
        record = begun.record(input_sha256=digest, counts=counts, reasons=reasons, seconds=seconds)
        manifest = land_run(files, manifest_path(out), record, error=SchemaError)
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
    checked = check_rows(typed.combine_chunks().to_batches()[0]) if len(frame) else None
    if checked is not None and checked.n_rejected:
        lines = checked.rejects.to_pandas().head(5).to_string(index=False)
        raise SchemaError(
            f"{checked.n_rejected} rows break the catalog; the first problems:\n{lines}"
        )
    return _score_table(model, typed, reasons, _lookup(model)).to_pandas()


def _typed(values: Any, name: str) -> Any:
    """A pandas-made Arrow column in the catalog's reading type (categories as text)."""
    kind = CATALOG[name].dtype
    if kind in ("category", "string"):
        return values.cast(pa.string())
    return values.cast(pa.float64() if kind == "float" else pa.int64())


# --------------------------------------------------------------------------------------------
# What the command says after a run: the top reject reasons, the rows dated after --month
@dataclass(frozen=True)
class RejectReason:
    """A reason rows were rejected: its rule, its column and how many rows it rejected."""

    rule: str
    column: str
    rows: int

    def __str__(self) -> str:
        rows = f"{self.rows:,} row{'s' if self.rows != 1 else ''}"
        return f"{self.rule} on {self.column or 'the row'}: {rows}"


def reject_reasons(rejects: str | os.PathLike[str]) -> list[RejectReason]:
    r"""The reasons of a rejects file (CSV or Parquet), most rows first (then by rule, column).

    A row counts once per (rule, column) however many lines it has there; a row rejected for
    two reasons counts under each.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "r.csv")
    ...     _ = path.write_text("row,dossier_id,column,value,rule,reason\n"
    ...         "1,7,income_reporting,prefilled,no_model,x\n2,8,age,-1,range,y\n"
    ...         "3,9,income_reporting,prefilled,no_model,x\n")
    ...     [str(r) for r in reject_reasons(path)]
    ['no_model on income_reporting: 2 rows', 'range on age: 1 row']
    """
    source = Path(rejects)
    names = ["row", "column", "rule"]
    if _is_parquet(source):
        import pyarrow.parquet as pq

        table = pq.ParquetFile(source).read(columns=names)  # not read_table: no pyarrow.dataset
    else:
        from pyarrow import csv

        types = {"row": pa.int64(), "column": pa.string(), "rule": pa.string()}
        table = csv.read_csv(
            source,
            convert_options=csv.ConvertOptions(
                include_columns=names, column_types=types, strings_can_be_null=False
            ),
        )
    if table.num_rows == 0:
        return []
    rules, rule_names = _codes(table.column("rule"))
    columns, column_names = _codes(table.column("column"))
    pairs = rules * len(column_names) + columns  # each (rule, column) as one number
    numbered = table.column("row").is_valid()
    rows = integers(table.column("row").filter(numbered)).astype(np.int64)
    pair_of_row = pairs[flags(numbered)]
    order = np.lexsort((rows, pair_of_row))  # a row counts once per (rule, column)
    pair_of_row, rows = pair_of_row[order], rows[order]
    distinct = np.ones(rows.size, dtype=bool)
    distinct[1:] = (pair_of_row[1:] != pair_of_row[:-1]) | (rows[1:] != rows[:-1])
    counts = np.bincount(pair_of_row[distinct], minlength=len(rule_names) * len(column_names))
    found = [
        RejectReason(
            str(rule_names[p // len(column_names)] or ""),
            str(column_names[p % len(column_names)] or ""),
            int(counts[p]),
        )
        for p in np.unique(pairs).tolist()
    ]
    return sorted(found, key=lambda r: (-r.rows, r.rule, r.column))


def _codes(values: Any) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """The distinct values of a text column (missing among them) and each row's index."""
    encoded: Any = pc.dictionary_encode(values.combine_chunks(), null_encoding="encode")
    return integers(encoded.indices).astype(np.int64), encoded.dictionary.to_pylist()


def months_after(
    input_path: str | os.PathLike[str], month: str, *, column: str = "snapshot_month"
) -> tuple[int, str | None]:
    """How many rows of a file are dated after ``month`` in ``column`` (``YYYY-MM``), and the
    latest such month (None when none is): the rows ``dmde score --month`` scores as of a month
    before their own. A file without the column has none; values that are not ``YYYY-MM`` are
    not counted (scoring checks them)."""
    source = Path(input_path)
    if column not in file_columns(source):
        return 0, None
    later, latest = 0, None
    for part in read_batches(source, ("dossier_id", column), on_problem="reject"):
        if not part.valid.num_rows:
            continue
        counts: Any = pc.value_counts(part.valid.column(column).cast(pa.string()))
        values, numbers = counts.field("values").to_pylist(), counts.field("counts").to_pylist()
        for value, n in zip(values, numbers, strict=True):  # by distinct month: a few a file
            if value is not None and value > month:
                later += int(n)
                latest = value if latest is None else max(latest, value)
    return later, latest
