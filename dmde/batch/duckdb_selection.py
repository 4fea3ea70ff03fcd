"""Selection with DuckDB (embedded): the same selection file as the Python engine, chosen where
the scores live.

:func:`select_file_duckdb` loads the columns a selection uses (``dossier_id``, ``score``,
``probability`` and the ``per`` column) from a CSV or Parquet scores file into DuckDB, counts
the files of each group there (``GROUP BY``), plans the budget, quotas and random share in
Python on those counts (the very code of the Python engine), and chooses the files with window
functions (:func:`dmde.batch.selection_sql.selection_query`). Only the selected files come back
to Python, whose other columns are then read (Parquet: by the Python engine's own reader, the
selected rows only; CSV: by DuckDB, as text, converted as Arrow converts the CSV) and written by
the lines the Python engine writes with, manifest included. The selection file is byte for
byte the Python engine's; the manifest is too but for its times.

What the query does not decide is handed to the Python engine, which then selects and writes
(:attr:`DuckdbSelection.engine` says ``"python"`` and :attr:`~DuckdbSelection.fallback` why):
scores of other types than ``dmde score`` writes, a missing or bad value (NaN or infinite
score, probability outside [0, 1], a ``dossier_id`` on several rows, an empty group), a CSV
number written in a spelling DuckDB and Arrow might read differently, a CSV whose lines and
rows do not match one to one, a file without rows. The Python engine refuses the bad ones in
its own words (the rows named).

Examples
--------
>>> import pathlib, tempfile
>>> import pandas as pd
>>> scores = pd.DataFrame({"dossier_id": [1, 2, 3, 4], "caf_code": ["01", "01", "02", "02"],
...                        "score": [5.0, 9.0, 7.0, 7.0], "probability": [0.1, 0.3, 0.2, 0.2]})
>>> with tempfile.TemporaryDirectory() as tmp:
...     folder = pathlib.Path(tmp)
...     scores.to_csv(folder / "scores.csv", index=False)
...     chosen = select_file_duckdb(folder / "scores.csv", folder / "checks.csv", budget=2,
...                                 per="caf_code")
>>> chosen.engine, chosen.frame["dossier_id"].tolist()
('duckdb', [2, 4])
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlglot import exp

from dmde.batch.budget import (
    _FIXES,
    PARAMETER_CONSTRAINTS,
    Selection,
    _Chosen,
    _parameters,
    _Plan,
    _plan_from_counts,
    _summary,
)
from dmde.batch.scores_table import (
    _ALL,
    SelectionError,
    SelectionParameterError,
    _needed,
    _require_columns,
)
from dmde.batch.selection_file import (
    _FIX,
    _FLOOR,
    _check_paths,
    _finish,
    _now,
    _wanted,
    select_file,
)
from dmde.batch.selection_sql import GROUP, ROW, _random_draws, selection_query
from dmde.core.errors import SchemaError
from dmde.data.manifest import sha256_file
from dmde.data.opening import data_lines
from dmde.data.outputs import output_columns, output_type
from dmde.data.parameters import check_parameters
from dmde.data.schema import EXTENSIONS

__all__ = ["DuckdbSelection", "select_file_duckdb"]

_SCORES, _QUOTAS, _DRAWS = "dmde_scores", "dmde_quotas", "dmde_draws"
#: A decimal number as both DuckDB and Arrow read it to the same double (no "inf", "1_000").
_PLAIN_NUMBER = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_NUMBER_TYPES = (pa.int64(), pa.float64())


@dataclass(frozen=True, eq=False)
class DuckdbSelection(Selection):
    """A :class:`~dmde.batch.selection.Selection`, and which engine made it.

    Attributes
    ----------
    engine : str
        ``"duckdb"``, or ``"python"`` when the file was handed to the Python engine.
    fallback : str or None
        Why the file was handed over (None when DuckDB selected).
    """

    engine: str = "duckdb"
    fallback: str | None = None


class _FallbackError(Exception):
    """The scores are not as the query expects: the Python engine selects (or refuses)."""


def select_file_duckdb(
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
    threads: int | None = None,
    memory_limit: str = "1GB",
) -> DuckdbSelection:
    """Select from a scores file with DuckDB; write the selection and its manifest.

    The same files, ranks, reasons, summary and manifest as
    :func:`~dmde.batch.selection.select_file` with the same parameters (the selection file
    byte for byte); see the module docstring for what is computed where.

    Parameters
    ----------
    scores_path, out_path, budget, share, per, quotas, min_probability, random_share, seed
        As for :func:`~dmde.batch.selection.select_file`.
    threads : int, optional
        DuckDB's threads (default: DuckDB's, one per core).
    memory_limit : str, default "1GB"
        DuckDB's ``memory_limit``: beyond it, DuckDB spills its sorts to disk (slower, but the
        memory of a batch job stays predictable; 13.8 million scores fit in it from Parquet).

    Returns
    -------
    DuckdbSelection
        ``frame`` and ``summary`` as :func:`~dmde.batch.selection.select_file` returns them,
        ``engine`` and ``fallback``.

    Raises
    ------
    SelectionError
        As :func:`~dmde.batch.selection.select_file` (the same messages).
    """
    started = time.perf_counter()
    start_time = _now()
    source, target = Path(scores_path), Path(out_path)
    _check_paths(source, target)
    if quotas is not None and per is None:
        per = "caf_code"
    options: dict[str, Any] = {
        "budget": budget,
        "share": share,
        "per": per,
        "quotas": quotas,
        "min_probability": min_probability,
        "random_share": random_share,
        "seed": seed,
    }

    def python_engine(why: str) -> DuckdbSelection:
        chosen = select_file(source, target, **options)
        return DuckdbSelection(chosen.frame, chosen.summary, engine="python", fallback=why)

    try:
        header = output_columns(source, what="scores file", fix=_FIX)
    except SchemaError as exc:
        raise SelectionError(str(exc)) from None
    _require_columns(header, _needed(per), str(source))
    wanted = _wanted(header, per)
    parameters = _parameters(budget, share, per, quotas, min_probability, random_share, seed)
    check_parameters(PARAMETER_CONSTRAINTS, options, fixes=_FIXES, error=SelectionParameterError)
    config: dict[str, Any] = {"preserve_insertion_order": True, "memory_limit": memory_limit}
    if threads is not None:
        config["threads"] = int(threads)
    with ThreadPoolExecutor(max_workers=1) as pool, duckdb.connect(config=config) as con:
        digest = pool.submit(sha256_file, source)
        try:
            n_files, files, eligible = _load(con, source, header, per, min_probability)
        except _FallbackError as exc:
            digest.result()
            return python_engine(str(exc))
        plan = _plan_from_counts(
            n_files, files, budget, share, quotas, per, min_probability, random_share, int(seed)
        )
        chosen = _choose(con, plan, np.array(list(files.values())), eligible)
        summary = _summary(n_files, per, plan, chosen.counts, parameters)
        table = _csv_extras(con, source, wanted, per, chosen.rows) if _is_csv(source) else None
        input_sha256 = digest.result()
    frame = pd.DataFrame(
        {
            "dossier_id": chosen.ids,
            "rank_national": chosen.rank_national,
            "rank_in_group": chosen.rank_in_group if per else chosen.rank_national,
            "selection_reason": np.where(chosen.random, "random", "score"),
        }
    )
    rows = chosen.rows if table is None else np.arange(chosen.rows.size)
    selection = _finish(
        source, target, Selection(frame, summary), rows, table, wanted, input_sha256, started,
        start_time,
    )  # fmt: skip
    return DuckdbSelection(selection.frame, selection.summary)


def _is_csv(source: Path) -> bool:
    return EXTENSIONS[source.suffix.lower()] == "csv"


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _as(expression: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(expression, name, quoted=True, copy=False)


def _reader(source: Path, header: Sequence[str]) -> tuple[exp.Expr, exp.Expr]:
    """The table function reading ``source`` (CSV: every column as text, nothing sniffed) and
    the expression of each row's position (from 0, in file order)."""
    path = exp.Literal.string(os.fspath(source))
    reader: exp.Expr
    if not _is_csv(source):
        reader = exp.Anonymous(
            this="read_parquet",
            expressions=[path, exp.EQ(this=exp.var("file_row_number"), expression=exp.true())],
        )
        return reader, _col("file_row_number")
    types = exp.Struct(
        expressions=[
            exp.PropertyEQ(
                this=exp.to_identifier(name, quoted=True), expression=exp.Literal.string("VARCHAR")
            )
            for name in header
        ]
    )
    options = {
        "header": exp.true(),
        "auto_detect": exp.false(),
        "delim": exp.Literal.string(","),
        "quote": exp.Literal.string('"'),
        "escape": exp.Literal.string('"'),
        "columns": types,
    }
    reader = exp.ReadCSV(
        this=path, expressions=[exp.EQ(this=exp.var(k), expression=v) for k, v in options.items()]
    )
    row = exp.Sub(
        this=exp.Window(this=exp.RowNumber(), over="OVER"), expression=exp.Literal.number(1)
    )
    return reader, row


def _number(name: str, kind: str) -> tuple[exp.Expr, exp.Expr]:
    """A CSV column read as ``kind`` (BIGINT or DOUBLE), and where its text is one that DuckDB
    and Arrow might read differently (then the Python engine reads the file)."""
    text = _col(name)
    value = exp.TryCast(this=text.copy(), to=exp.DataType.build(kind))
    if kind == "BIGINT":  # "3.5", "+3", "007": not the integer's own text
        odd: exp.Expr = exp.NullSafeNEQ(
            this=exp.cast(value.copy(), "VARCHAR"), expression=text.copy()
        )
    else:
        odd = exp.Not(
            this=exp.RegexpLike(this=text.copy(), expression=exp.Literal.string(_PLAIN_NUMBER))
        )
    present = exp.Not(this=exp.Is(this=text.copy(), expression=exp.null()))
    return value, exp.paren(exp.and_(present, odd), copy=False)


def _load(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    header: Sequence[str],
    per: str | None,
    floor: object,
) -> tuple[int, dict[str, int], dict[str, int]]:
    """Load the scores' selection columns into DuckDB and check them; the number of files,
    and the files and eligible files of each group (sorted names).

    Raises :class:`_FallbackError` where the Python engine must decide.
    """
    reader, row = _reader(source, header)
    group: exp.Expr = exp.Literal.string(_ALL)
    odd: list[exp.Expr] = []
    if _is_csv(source):
        if per is not None and (output_type(per) in _NUMBER_TYPES):
            raise _FallbackError(f"the group column {per!r} is read as numbers")
        ident, odd_id = _number("dossier_id", "BIGINT")
        score, odd_score = _number("score", "DOUBLE")
        probability, odd_probability = _number("probability", "DOUBLE")
        odd = [odd_id, odd_score, odd_probability]
    else:
        _check_parquet(source, per)
        ident, score, probability = _col("dossier_id"), _col("score"), _col("probability")
    if per is not None:
        group = exp.cast(_col(per), "VARCHAR")
    columns = [
        _as(row, ROW),
        _as(ident, "dossier_id"),
        _as(score, "score"),
        _as(probability, "probability"),
        _as(group, GROUP),
        _as(exp.or_(*odd) if odd else exp.false(), "odd"),
    ]
    query = exp.select(*columns).from_(reader)
    table = exp.to_identifier(_SCORES, quoted=True).sql(dialect="duckdb")
    try:
        kind = "TABLE" if _is_csv(source) else "VIEW"  # Parquet: read again, not held
        con.execute(f"CREATE TEMP {kind} {table} AS {query.sql(dialect='duckdb')}")
    except duckdb.Error as exc:
        raise _FallbackError(
            f"DuckDB cannot read the scores as typed: {_first_line(exc)}"
        ) from None
    checks = con.execute(
        f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE "odd"),
        COUNT(*) FILTER (WHERE "dossier_id" IS NULL OR "score" IS NULL OR "probability" IS NULL
            OR "{GROUP}" IS NULL),
        COUNT(*) FILTER (WHERE isnan("score") OR isinf("score")),
        COUNT(*) FILTER (WHERE NOT ("probability" >= 0 AND "probability" <= 1)),
        COUNT(DISTINCT "dossier_id")
        FROM {table}"""
    ).fetchone()
    assert checks is not None
    n_rows, n_odd, n_missing, n_infinite, n_outside, n_ids = (int(v) for v in checks)
    if n_rows == 0:
        raise _FallbackError("the scores file has no rows")
    if _is_csv(source) and data_lines(source) - 1 != n_rows:
        raise _FallbackError("the CSV file's lines and rows differ")
    for count, why in (
        (n_odd, "rows hold a number that DuckDB and Arrow might read differently"),
        (n_missing, "rows have a missing value"),
        (n_infinite, "rows have a score that is NaN or infinite"),
        (n_outside, "rows have a probability outside [0, 1]"),
        (n_rows - n_ids, "dossier_id values are repeated"),
    ):
        if count:
            raise _FallbackError(f"{count:,} {why}")
    eligible = exp.true() if floor is None else _at_least(floor)
    counted = con.execute(
        f'SELECT "{GROUP}", COUNT(*), COUNT(*) FILTER (WHERE {eligible.sql(dialect="duckdb")}) '
        f'FROM {table} GROUP BY "{GROUP}"'
    ).fetchall()
    counted.sort(key=lambda item: str(item[0]))
    files = {str(name): int(n) for name, n, _ in counted}
    return n_rows, files, {str(name): int(k) for name, _, k in counted}


def _at_least(floor: object) -> exp.Expr:
    value = float(floor) if _FLOOR.is_satisfied_by(floor) else 0.0  # type: ignore[arg-type]
    literal = exp.cast(exp.Literal.string(repr(value)), exp.DataType.Type.DOUBLE)
    return exp.GTE(this=_col("probability"), expression=literal)


def _check_parquet(source: Path, per: str | None) -> None:
    """The Parquet columns must have the types ``dmde score`` writes (as the Python engine's
    fast path asks); else the Python engine reads them as a frame."""
    stored = pq.read_schema(source)
    wanted = {"dossier_id": pa.int64(), "score": pa.float64(), "probability": pa.float64()}
    for name, kind in wanted.items():
        if stored.field(name).type != kind:
            raise _FallbackError(f"column {name!r} is stored as {stored.field(name).type}")
    if per is not None:
        kind = stored.field(per).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise _FallbackError(f"the group column {per!r} is stored as {kind}")


@dataclass(frozen=True)
class _Picked:
    """The selected files in national order, and the counts of the summary."""

    rows: npt.NDArray[np.intp]
    ids: npt.NDArray[np.int64]
    rank_national: npt.NDArray[np.int64]
    rank_in_group: npt.NDArray[np.int64]
    random: npt.NDArray[np.bool_]
    counts: _Chosen


def _choose(
    con: duckdb.DuckDBPyConnection, plan: _Plan, files: Any, eligible: dict[str, int]
) -> _Picked:
    """Draw the random share on the groups' counts, then choose the files in DuckDB."""
    drawn = _random_draws(plan, np.asarray(files, dtype=np.int64), eligible)
    con.register(_QUOTAS, drawn.quotas)
    draws = None
    if drawn.draws is not None:
        con.register(_DRAWS, drawn.draws)
        draws = _DRAWS
    query = selection_query(_SCORES, _QUOTAS, draws, seed=plan.seed, floor=plan.min_probability)
    picked = con.sql(query).to_arrow_table()
    return _Picked(
        rows=picked.column(ROW).to_numpy().astype(np.intp),
        ids=picked.column("dossier_id").to_numpy(),
        rank_national=picked.column("rank_national").to_numpy().astype(np.int64),
        rank_in_group=picked.column("rank_in_group").to_numpy().astype(np.int64),
        random=picked.column("random").to_numpy(zero_copy_only=False).astype(np.bool_),
        counts=drawn.counts,
    )


def _csv_extras(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    wanted: Sequence[str],
    per: str | None,
    rows: npt.NDArray[np.intp],
) -> pa.Table:
    """The selected rows' columns of a CSV file (in the order of ``rows``), read by DuckDB as
    text and converted as Arrow's CSV reader converts them for the Python engine (an empty
    field is missing)."""
    header = output_columns(source, what="scores file", fix=_FIX)
    reader, row = _reader(source, header)
    columns = [c for c in wanted if c != "dossier_id"]
    lines = exp.select(_as(row, ROW), *(_col(c) for c in columns)).from_(reader)
    order = pa.array(np.arange(len(rows)), pa.int64())
    con.register("dmde_rows", pa.table({ROW: pa.array(rows, pa.int64()), "i": order}))
    query = (
        exp.select(*(exp.column(c, table="l", quoted=True) for c in columns))
        .from_(exp.to_table("dmde_rows").as_("w"))
        .join(
            lines.subquery("l"),
            on=exp.EQ(
                this=exp.column(ROW, table="w", quoted=True),
                expression=exp.column(ROW, table="l", quoted=True),
            ),
        )
        .order_by(exp.column("i", table="w", quoted=True))
    )
    found = con.sql(query.sql(dialect="duckdb")).to_arrow_table()
    if found.num_rows != len(rows):
        raise SelectionError(
            f"scores file {str(source)!r} changed while it was being read; nothing was "
            "written. Run the selection again once the file is complete."
        )
    typed = {}
    for name in columns:
        text = found.column(name).combine_chunks()
        empty = pc.equal(text, pa.scalar("", pa.string()))
        text = pc.if_else(empty, pa.scalar(None, pa.string()), text)
        typed[name] = text.cast(output_type(name, dictionary=False))
    return pa.table(typed)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
