"""Selecting from a scores file: read the columns used, select, write the selection and its
manifest.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dmde.batch.budget import _EXTRA, OUTPUT_COLUMNS, Positions, Selection, _carried, _select
from dmde.batch.scores_table import (
    REQUIRED_COLUMNS,
    SelectionError,
    SelectionParameterError,
    _needed,
    _require_columns,
)
from dmde.core.errors import SchemaError
from dmde.core.files import FileSet
from dmde.data.manifest import check_vouched, land_run, manifest_path, sha256_file
from dmde.data.outputs import output_columns, read_output
from dmde.data.paths import check_data_file_name, check_distinct_paths
from dmde.data.schema import EXTENSIONS
from dmde.data.writing import write_batches

__all__ = ["select_file"]

_FIX = "Check that it is a scores file written by 'dmde score'."


def select_file(
    scores_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    budget: int | None = None,
    share: float | None = None,
    per: str | None = None,
    quotas: Mapping[str, int] | None = None,
    min_probability: float | None = None,
    random_share: float = 0.0,
    seed: int = 0,
) -> Selection:
    """Select from a scores file; write the selection and its manifest.

    Only the columns used are read from the scores file (Parquet or CSV, as written by
    ``dmde score``): those of :data:`REQUIRED_COLUMNS` and ``per`` for every row, then
    ``segment`` and the ``reason_*`` columns for the selected rows (Parquet: read after the
    selection, checking that the file still has the same rows; CSV: parsed once with the
    rest). Text is read dictionary-encoded and given back as text. In CSV, every column but
    ``dossier_id``, ``score``, ``probability`` and ``reason_*_points`` is read as text, so
    codes such as ``01`` keep their zeros. The selection is written atomically (CSV
    or Parquet by the extension of ``out_path``; see :func:`dmde.data.datasets.write_batches`),
    then the manifest ``<out_path>.manifest.json``: input path and SHA-256, output path,
    SHA-256 and rows, parameters, counts (``files = selected + not_selected``, ``budget =
    selected + unused_budget``, ``selected = selected_by_score + selected_at_random``), the
    summary, start and end times and seconds, and vouches for the selection's size and SHA-256:
    the selection and its manifest land as a set (:func:`dmde.data.manifest.land_run`). A scores
    file that has a manifest is read only if the manifest vouches for it.

    Parameters
    ----------
    scores_path : str or path-like
        The scores (``.parquet``, ``.pq`` or ``.csv``).
    out_path : str or path-like
        The selection to write (``.parquet``, ``.pq`` or ``.csv``); not the scores file.
    budget, share, per, quotas, min_probability, random_share, seed
        As for :func:`select`.

    Returns
    -------
    Selection
        As :func:`select` returns it for the same rows; the manifest is
        :func:`dmde.data.manifest.manifest_path` of ``out_path``.

    Raises
    ------
    SelectionError
        If a file is missing or unreadable, an extension is not supported, the output is the
        input, or :func:`select` refuses the scores or parameters (message prefixed by the
        file). Nothing is written then.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"dossier_id": [1, 2, 3], "caf_code": ["01", "01", "02"],
    ...                        "score": [5.0, 9.0, 7.0], "probability": [0.1, 0.3, 0.2]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = pathlib.Path(tmp)
    ...     scores.to_csv(folder / "scores.csv", index=False)
    ...     chosen = select_file(folder / "scores.csv", folder / "checks.csv", budget=2)
    ...     text = (folder / "checks.csv").read_text()
    ...     manifest = json.loads((folder / "checks.csv.manifest.json").read_text())
    >>> print(text)
    dossier_id,caf_code,rank_national,rank_in_group,score,probability,selection_reason
    2,"01",1,1,9,0.3,"score"
    3,"02",2,2,7,0.2,"score"
    <BLANKLINE>
    >>> manifest["counts"]["selected"], manifest["counts"]["not_selected"]
    (2, 1)

    """
    started = time.perf_counter()
    start_time = _now()
    source, target = Path(scores_path), Path(out_path)
    _check_paths(source, target)
    if quotas is not None and per is None:
        per = "caf_code"
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(sha256_file, source)
        table, wanted = _read_scores(source, per)
        chosen, rows = _select(
            table.select([c for c in wanted if _is_core(c, per)]).to_pandas(),
            budget=budget,
            share=share,
            per=per,
            quotas=quotas,
            min_probability=min_probability,
            random_share=random_share,
            seed=seed,
            source=str(source),
        )
        input_sha256 = digest.result()
    check_vouched(source, what="scores file", sha256=input_sha256, error=SelectionError)
    output = _with_extras(chosen.frame, _carried(wanted, per), table, source, rows)
    written = _arrow_table(output)
    summary = chosen.summary
    with FileSet(error=SelectionError) as files:
        write_batches(target, [written], schema=written.schema, files=files)
        record = {
            "command": "select",
            "input": {"path": str(source), "sha256": input_sha256, "rows": summary["n_files"]},
            "columns_read": wanted,
            "output": {
                "path": str(target),
                "sha256": sha256_file(files.temporary_of(target)),
                "rows": len(output),
            },
            "parameters": summary["parameters"],
            "counts": {
                "files": summary["n_files"],
                "budget": summary["budget"],
                "selected": summary["selected"],
                "selected_by_score": summary["selected_by_score"],
                "selected_at_random": summary["selected_at_random"],
                "unused_budget": summary["unused_budget"],
                "not_selected": summary["n_files"] - summary["selected"],
            },
            "summary": summary,
            "started": start_time,
            "ended": _now(),
            "seconds": round(time.perf_counter() - started, 3),
        }
        land_run(files, manifest_path(target), record, error=SelectionError)
    return Selection(output, summary)


def _check_paths(source: Path, target: Path) -> None:
    for role, path in (("scores_path", source), ("out_path", target)):
        check_data_file_name(role, path, error=SelectionParameterError)
    if not source.is_file():
        raise SelectionError(f"scores file {str(source)!r} does not exist. Check the path.")
    outputs = [
        ("out_path", "the selection", target),
        ("out_path", "the selection's manifest", manifest_path(target)),
    ]
    check_distinct_paths(outputs, {"the scores file": source}, error=SelectionParameterError)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _is_core(name: str, per: str | None) -> bool:
    return name in REQUIRED_COLUMNS or name == per


def _read_scores(source: Path, per: str | None) -> tuple[pa.Table, list[str]]:
    """The columns a selection reads from a scores file, text dictionary-encoded.

    Returns the table and the names of every column used (required, ``per``, carried). From
    Parquet only the required and ``per`` columns are read here (the carried ones are read
    later, for the selected rows only); from CSV every column used is parsed, once.
    """
    try:
        header = output_columns(source, what="scores file", fix=_FIX)
        _require_columns(header, _needed(per), str(source))
        wanted = _wanted(header, per)
        if EXTENSIONS[source.suffix.lower()] == "parquet":
            wanted_now = [c for c in wanted if _is_core(c, per)]
        else:
            wanted_now = wanted
        return read_output(source, wanted_now, what="scores file", fix=_FIX), wanted
    except SchemaError as exc:
        raise SelectionError(str(exc)) from None


def _wanted(header: Sequence[str], per: str | None) -> list[str]:
    return [h for h in dict.fromkeys(header) if _is_core(h, per) or _EXTRA.match(h)]


def _with_extras(
    frame: pd.DataFrame, carried: list[str], table: pa.Table, source: Path, rows: Positions
) -> pd.DataFrame:
    """The selection with the carried columns of the selected rows, and text as text."""
    out = frame.copy()
    extras = [c for c in carried if c not in out.columns]
    index = pa.array(rows, pa.int64())
    if all(c in table.column_names for c in extras):
        taken = table.select(extras).take(index)
    else:  # Parquet: read now, and check that the rows are the same files
        try:
            columns = ["dossier_id", *extras]
            taken = read_output(source, columns, what="scores file", fix=_FIX).take(index)
        except SchemaError as exc:
            raise SelectionError(str(exc)) from None
        if taken.column("dossier_id").to_numpy().tolist() != out["dossier_id"].tolist():
            raise SelectionError(
                f"scores file {str(source)!r} changed while it was being read; nothing was "
                "written. Run the selection again once the file is complete."
            )
    for name in extras:
        out[name] = taken.column(name).to_pandas()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):  # read dictionary-encoded
            out[name] = out[name].astype(out[name].cat.categories.dtype)
    return out[[*OUTPUT_COLUMNS, *carried]]


def _is_text_type(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind)
    )


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """The frame as Arrow, text as ``string`` and no pandas metadata (deterministic bytes)."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    fields = [pa.field(f.name, pa.string()) if _is_text_type(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))
