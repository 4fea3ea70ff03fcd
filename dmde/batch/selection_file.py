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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dmde.batch.budget import (
    _EXTRA,
    OUTPUT_COLUMNS,
    PARAMETER_CONSTRAINTS,
    Positions,
    Selection,
    _carried,
    _select,
)
from dmde.batch.scores_table import (
    REQUIRED_COLUMNS,
    SelectionError,
    SelectionParameterError,
    _arrow_columns,
    _Columns,
    _needed,
    _require_columns,
)
from dmde.core.errors import DmdeError, SchemaError
from dmde.core.files import FileSet
from dmde.data.manifest import (
    check_vouched,
    land_run,
    manifest_path,
    read_manifest,
    sha256_file,
)
from dmde.data.outputs import output_columns, output_row_groups, read_output
from dmde.data.paths import check_data_file_name, check_distinct_paths
from dmde.data.schema import EXTENSIONS
from dmde.data.writing import write_batches

__all__ = ["check_selection_source", "select_file"]

_FIX = "Check that it is a scores file written by 'dmde score'."
_FLOOR = PARAMETER_CONSTRAINTS["min_probability"][0]  # a valid floor, the rest raise later


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
    ``dmde score``). From Parquet, ``dossier_id``, ``score``, ``probability`` and ``per`` are
    read for every row, one row group at a time, into arrays (no table of every row is built;
    probabilities are checked and not kept, only whether each reaches ``min_probability``);
    ``caf_code``, ``score``, ``probability``, ``segment`` and the ``reason_*`` columns are read
    after the selection for the selected rows only, row group by row group, checking that the
    file still has the same files on them. Memory then grows by about 35 bytes per file (13.8
    million files: about 0.7 GB at the peak, the program included). From CSV, every column used
    is parsed once and kept. Text is read dictionary-encoded and given back as text. Scores
    with other column types than ``dmde score`` writes (e.g. int32 ids) are read as a frame, as
    :func:`select` takes them. In CSV, every column but
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
        floor = min_probability if _FLOOR.is_satisfied_by(min_probability) else None
        scores, table, wanted = _read_scores(source, per, floor)
        chosen, rows = _select(
            scores,
            budget=budget,
            share=share,
            per=per,
            quotas=quotas,
            min_probability=min_probability,
            random_share=random_share,
            seed=seed,
            source=str(source),
        )
        del scores
        input_sha256 = digest.result()
    return _finish(source, target, chosen, rows, table, wanted, input_sha256, started, start_time)


def _finish(
    source: Path,
    target: Path,
    chosen: Selection,
    rows: Positions,
    table: pa.Table | None,
    wanted: list[str],
    input_sha256: str,
    started: float,
    start_time: str,
) -> Selection:
    """Check the scores file's manifest, add the carried columns of the selected ``rows``
    (from ``table``, or else from the file), write the selection and its manifest.

    Every engine ends here (:mod:`~dmde.batch.duckdb_selection` too), so their files and
    manifests are written by the same lines.
    """
    scored = check_vouched(source, what="scores file", sha256=input_sha256, error=SelectionError)
    summary = chosen.summary
    _check_scores_action(scored, summary.get("action", "check"), source)
    carried = _carried(wanted, summary["per"])
    output = _with_extras(chosen.frame, carried, table, source, rows, summary["n_files"])
    del table
    written = _arrow_table(output)
    with FileSet(error=SelectionError) as files:
        write_batches(target, [written], schema=written.schema, files=files)
        record = {
            "command": "select",
            "input": {"path": str(source), "sha256": input_sha256, "rows": summary["n_files"]},
            "columns_read": wanted,
            "output": {
                "path": str(target),
                "sha256": files.digest(target)[1],  # hashed once: the manifest lists it too
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


def _check_scores_action(
    scored: Mapping[str, Any] | None, action: str, source: str | os.PathLike[str]
) -> None:
    """Refuse the scores of a model made for another action than the selection's.

    The scores' manifest (``dmde score``) records ``model.action: "outreach"`` for a rights
    model (``dmde train --target rappel_target``) and no action for a check model. A check
    selection made from a rights model's scores would send to a check the households most
    likely paid too little; an outreach selection made from a check model's scores would write
    "you may be entitled to more" to those most likely overpaid. Scores without a manifest
    (made elsewhere) say nothing of their model and are taken as they are.

    Raises
    ------
    SelectionError
        Naming the scores file, the model's action, the selection's, and the fix.
    """
    if scored is None:
        return
    model = scored.get("model")
    made_for = (
        "outreach" if isinstance(model, Mapping) and model.get("action") == "outreach" else "check"
    )
    if made_for == action:
        return
    if made_for == "outreach":
        raise SelectionError(
            f"scores file {os.fspath(source)!r} was scored by a rights model (its manifest "
            "records action 'outreach': households likely paid too little), not by a check "
            "model: add --action outreach, or select for checks from a check model's scores."
        )
    raise SelectionError(
        f"scores file {os.fspath(source)!r} was scored by a check model (overpayments; its "
        "manifest records no outreach action), not by a rights model: score with the model of "
        "'dmde train --target rappel_target' for --action outreach, or drop --action outreach."
    )


def check_selection_source(
    selection: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    *,
    error: type[DmdeError] = SelectionError,
) -> dict[str, Any] | None:
    """Refuse a selection whose manifest says it was made from other scores than ``scores``.

    ``dmde select`` records in the selection's manifest the SHA-256 of the scores it read; an
    audit given ``--scores`` and ``--selection`` must be given those very scores, or it would
    judge a selection against scores it was not made from (every rank, cut and group share
    would describe another run). A selection without a manifest (made elsewhere) is not
    checked: None is returned.

    Returns
    -------
    dict or None
        The selection's manifest (its ``summary`` says the action), or None without one.

    Raises
    ------
    DmdeError (``error``)
        Naming both files, the scores the manifest records, and the fix.
    """
    where = f"selection file {os.fspath(selection)!r}"
    try:
        manifest = read_manifest(selection)
    except DmdeError as exc:
        raise error(f"{where}: {exc}") from None
    if manifest is None:
        return None
    recorded = manifest.get("input")
    recorded = recorded if isinstance(recorded, Mapping) else {}
    if recorded.get("sha256") != sha256_file(scores):
        raise error(
            f"{where} was made from the scores file {str(recorded.get('path'))!r} (SHA-256 "
            f"{str(recorded.get('sha256'))[:12]}… in its manifest), not from "
            f"{os.fspath(scores)!r}: the files differ. Give the scores the selection was made "
            "from, or select again from these scores."
        )
    return dict(manifest)


def _check_paths(source: Path, target: Path) -> None:
    # The output's name is the command line's (exit 2); the input's is the file's (refused
    # when read, exit 1, as every command refuses an input).
    check_data_file_name("out_path", target, error=SelectionParameterError)
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


def _read_scores(
    source: Path, per: str | None, floor: float | None
) -> tuple[_Columns | pd.DataFrame, pa.Table | None, list[str]]:
    """The columns a selection reads from a scores file.

    Returns the scores, the table to take the carried columns from (None: read them later from
    the file) and the names of every column used (required, ``per``, carried). From Parquet,
    the ids, scores, probabilities and ``per`` are read one row group at a time into arrays
    (:func:`_arrow_columns`); the other columns are read later, for the selected rows only.
    From CSV, every column used is parsed once, text dictionary-encoded, and kept. Scores that
    are not as ``dmde score`` writes them (other types, missing or bad values) are given as a
    frame of the columns used for every row instead, which :func:`_select` checks (and refuses
    in its own words).
    """
    try:
        header = output_columns(source, what="scores file", fix=_FIX)
        _require_columns(header, _needed(per), str(source))
        wanted = _wanted(header, per)
        core = [c for c in wanted if _is_core(c, per)]
        lean = list(dict.fromkeys(["dossier_id", "score", "probability", *([per] if per else [])]))
        if EXTENSIONS[source.suffix.lower()] == "parquet":
            n_rows, groups = output_row_groups(source, lean, what="scores file", fix=_FIX)
            _require_rows(n_rows, source)
            columns = _arrow_columns(groups, n_rows, per, _float(floor))
            if columns is None:
                return (
                    read_output(source, core, what="scores file", fix=_FIX).to_pandas(),
                    None,
                    wanted,
                )
            return columns, None, wanted
        table = read_output(source, wanted, what="scores file", fix=_FIX)
        _require_rows(table.num_rows, source)
        columns = _arrow_columns([table.select(lean)], table.num_rows, per, _float(floor))
        return (table.select(core).to_pandas() if columns is None else columns), table, wanted
    except SchemaError as exc:
        raise SelectionError(str(exc)) from None


def _require_rows(n_rows: int, source: Path) -> None:
    if n_rows == 0:
        raise SelectionError(
            f"scores file {str(source)!r} has no rows (only a header): there is nothing to "
            "select. Score a file with rows, then select again."
        )


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _wanted(header: Sequence[str], per: str | None) -> list[str]:
    return [h for h in dict.fromkeys(header) if _is_core(h, per) or _EXTRA.match(h)]


def _with_extras(
    frame: pd.DataFrame,
    carried: list[str],
    table: pa.Table | None,
    source: Path,
    rows: Positions,
    n_files: int,
) -> pd.DataFrame:
    """The selection with the columns of the selected rows not in ``frame`` yet (``caf_code``,
    ``score``, ``probability``, carried), and text as text.

    From ``table``, or else from the file (Parquet), one row group at a time: only the selected
    rows of each are kept, and the file must still have the same files on them.
    """
    out = frame.copy()
    extras = [c for c in ("caf_code", "score", "probability", *carried) if c not in out.columns]
    if table is not None:
        taken = table.select(extras).take(pa.array(rows, pa.int64()))
    else:
        taken = _read_rows(source, ["dossier_id", *extras], rows, n_files)
        if taken.column("dossier_id").to_numpy().tolist() != out["dossier_id"].tolist():
            raise _changed(source)
    for name in extras:
        out[name] = taken.column(name).to_pandas()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):  # read dictionary-encoded
            out[name] = out[name].astype(out[name].cat.categories.dtype)
    return out[[*OUTPUT_COLUMNS, *carried]]


def _read_rows(source: Path, columns: list[str], rows: Positions, n_files: int) -> pa.Table:
    """The ``columns`` of the file's ``rows`` (positions, in that order), read by row groups."""
    ascending = np.argsort(rows, kind="stable")
    try:
        n_rows, groups = output_row_groups(
            source, columns, rows=rows[ascending], what="scores file", fix=_FIX
        )
        if n_rows != n_files:
            raise _changed(source)
        pieces = list(groups)
        if not pieces:  # no rows: the columns' types still come from the file
            _, groups = output_row_groups(source, columns, what="scores file", fix=_FIX)
            first = next(groups, None)
            if first is None:
                first = read_output(source, columns, what="scores file", fix=_FIX)
            pieces = [first.slice(0, 0)]
    except SchemaError as exc:
        raise SelectionError(str(exc)) from None
    taken = pa.concat_tables(pieces)
    if taken.num_rows != rows.size:
        raise _changed(source)
    back = np.empty_like(ascending)
    back[ascending] = np.arange(ascending.size)
    return taken.take(pa.array(back, pa.int64()))


def _changed(source: Path) -> SelectionError:
    return SelectionError(
        f"scores file {str(source)!r} changed while it was being read; nothing was "
        "written. Run the selection again once the file is complete."
    )


def _is_text_type(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind)
    )


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """The frame as Arrow, text as ``string`` and no pandas metadata (deterministic bytes)."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    fields = [pa.field(f.name, pa.string()) if _is_text_type(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))
