"""Batch scoring with DuckDB (embedded): the same scores, rejects and manifest as the Python engine.

:func:`score_file_duckdb` reads a CSV or Parquet file with DuckDB, checks its rows with the
catalog rules written as SQL (:func:`dmde.model.sql.rejects_sql`) and scores the valid ones with
the model's SQL (:func:`dmde.model.sql.scorecard_sql`), all inside DuckDB; the rows come back to
Python only to be written, by the writer the Python engine uses
(:func:`dmde.data.writing.write_batches`), with the scores file's schema
(:func:`dmde.batch.scoring.scores_schema`). It reads the same columns as the Python engine
(:func:`dmde.batch.scoring.needed_columns`): the other columns of a CSV file are split but never
converted, those of a Parquet file never read.

What is the same as :func:`dmde.batch.scoring.score_file`, on the same input and model: the
scored rows, in file order, with the same ``score`` (to the cent: the points are summed as exact
decimals), ``probability`` (recomputed from the score with the model's scaling, numpy's ``exp``:
an engine's ``EXP`` can differ in the last bit), reasons and their points; the rejects, line for
line (row, dossier_id, column, value, rule, reason), in the same order; the counts of the
manifest. A CSV scores file and the rejects file are byte-identical; a Parquet scores file has
the same schema and values but its row groups are DuckDB's batches, not the Python reader's.

What DuckDB does not read the way the Python engine does is handed to the Python engine, which
then writes the outputs (:attr:`DuckdbScoringResult.engine` says ``"python"`` and
:attr:`~DuckdbScoringResult.fallback` why): a CSV value DuckDB cannot convert to its column's
type, a row with the wrong number of fields, bytes that are not UTF-8, a blank line or a quoted
value across lines (rows and lines no longer match one to one), a Parquet integer column stored
as floating point numbers, and a ``dossier_id`` on several rows (which the Python engine refuses
with the rows named). Those files are rare and the Python engine explains their rows one by one.

Examples
--------
>>> import os, tempfile
>>> from dmde.data.synthetic import synthesize, write_population
>>> from dmde.model.scorecard import ScorecardFamily
>>> df = synthesize(4_000, seed=1, controls=2_000)
>>> checked = df[df["controlled"] == 1]
>>> model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = write_population(os.path.join(tmp, "pop.csv"), 1_000, seed=2)
...     result = score_file_duckdb(model, os.path.join(tmp, "pop.csv"),
...                                os.path.join(tmp, "scores.csv"))
>>> result.engine, result.rows_read, result.rows_scored + result.rows_rejected
('duckdb', 1000, 1000)
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from dmde.batch.engine_parity import parquet_fits, probability_of_scores, rejects_as_python
from dmde.batch.scoring import ScoringResult, score_file, scores_schema, start_scoring
from dmde.core.errors import SchemaError
from dmde.core.files import FileSet
from dmde.data.catalog import CATALOG
from dmde.data.manifest import land_run, manifest_path, sha256_file
from dmde.data.opening import data_lines
from dmde.data.reading import REJECT_SCHEMA, read_batches
from dmde.data.schema import BATCH_ROWS, EXTENSIONS
from dmde.data.writing import write_batches
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.sql import rejects_query, scorecard_query

__all__ = ["DuckdbScoringResult", "duckdb_input_sql", "score_file_duckdb"]

Model = Scorecard | ScorecardFamily
Progress = Callable[[int], None]

#: The name of the DuckDB table the file's rows are loaded into (with their row number).
INPUT_TABLE = "dmde_input"
_ROW = "row"
_ODD = "dmde_odd_number"
_DUCKDB_TYPES = {
    "int": "BIGINT",
    "flag": "BIGINT",
    "float": "DOUBLE",
    "category": "VARCHAR",
    "string": "VARCHAR",
}


class _FallbackError(Exception):
    """The file is one DuckDB does not read as the Python engine does (the reason is the text)."""


@dataclass(frozen=True)
class DuckdbScoringResult(ScoringResult):
    """What a scoring run did (see :class:`~dmde.batch.scoring.ScoringResult`), and which engine
    wrote the outputs: ``"duckdb"``, or ``"python"`` with the reason in ``fallback``."""

    engine: str = "duckdb"
    fallback: str | None = None


# --------------------------------------------------------------------------------------------
# Reading the file into DuckDB
def duckdb_input_sql(
    source: str | os.PathLike[str], columns: Sequence[str], header: Sequence[str]
) -> str:
    """The DuckDB query that reads ``columns`` of a CSV or Parquet file with their row number.

    A CSV file is read with every option fixed (no sniffing): comma, double quotes, a header,
    every column as text (the other columns are never converted), empty fields as NULL; the
    ``columns`` are then converted to the catalog's types. DuckDB converts some spellings that
    Arrow, which the Python engine reads with, refuses (``3.5`` or ``1e3`` in an integer column,
    ``1_000``): the column ``odd`` is true on a row that holds one, an integer whose text is not
    the integer's own text or a number with an underscore, and the engine then hands the file to
    the Python engine. Row numbers start at 1, in file order. The path and the header's names
    are literals of the syntax tree: they cannot inject SQL.
    """
    path = exp.Literal.string(os.fspath(source))
    odd: list[exp.Expr] = []
    if EXTENSIONS[Path(source).suffix.lower()] == "parquet":
        reader: exp.Expr = exp.Anonymous(
            this="read_parquet",
            expressions=[path, exp.EQ(this=exp.var("file_row_number"), expression=exp.true())],
        )
        row: exp.Expr = exp.Add(
            this=exp.column("file_row_number", quoted=True), expression=exp.Literal.number(1)
        )
        typed = [_typed(name, try_cast=False) for name in columns]
    else:
        types = exp.Struct(
            expressions=[
                exp.PropertyEQ(
                    this=exp.to_identifier(name, quoted=True),
                    expression=exp.Literal.string("VARCHAR"),
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
            this=path,
            expressions=[exp.EQ(this=exp.var(k), expression=v) for k, v in options.items()],
        )
        row = exp.Window(this=exp.RowNumber(), over="OVER")
        typed = [_typed(name, try_cast=True) for name in columns]
        odd = [_odd(name) for name in columns if CATALOG[name].dtype not in ("category", "string")]
    flag = exp.or_(*odd, copy=False) if odd else exp.false()
    select = exp.select(
        exp.alias_(row, _ROW, quoted=True, copy=False),
        *typed,
        exp.alias_(flag, _ODD, quoted=True, copy=False),
        copy=False,
    ).from_(reader, copy=False)
    return select.sql(dialect="duckdb")


def _typed(name: str, *, try_cast: bool) -> exp.Expr:
    cast = exp.TryCast if try_cast else exp.Cast
    value = cast(
        this=exp.column(name, quoted=True),
        to=exp.DataType.build(_DUCKDB_TYPES[CATALOG[name].dtype]),
    )
    return exp.alias_(value, name, quoted=True, copy=False)


def _odd(name: str) -> exp.Expr:
    """Where the text of number column ``name`` is one DuckDB and Arrow read differently."""
    text = exp.column(name, quoted=True)
    kind = _DUCKDB_TYPES[CATALOG[name].dtype]
    number = exp.TryCast(this=text.copy(), to=exp.DataType.build(kind))
    if kind == "BIGINT":  # "3.5", "1e3", "+3", "007": not the integer's own text
        differs: exp.Expr = exp.NullSafeNEQ(
            this=exp.cast(number, "VARCHAR", copy=False), expression=text.copy()
        )
    else:  # "1_000"; and what does not convert
        differs = exp.or_(
            exp.Is(this=number, expression=exp.null()),
            exp.GT(
                this=exp.func("strpos", text.copy(), exp.Literal.string("_")),
                expression=exp.Literal.number(0),
            ),
            copy=False,
        )
    present = exp.Not(this=exp.Is(this=text.copy(), expression=exp.null()))
    return exp.paren(exp.and_(present, differs, copy=False), copy=False)


def _load_input(
    con: duckdb.DuckDBPyConnection, source: Path, columns: Sequence[str], header: Sequence[str]
) -> int:
    """Load the file's ``columns`` into :data:`INPUT_TABLE`; the number of rows."""
    kind = EXTENSIONS[source.suffix.lower()]
    if kind == "parquet":
        why = parquet_fits(source, columns)
        if why:
            raise _FallbackError(why)
    query = duckdb_input_sql(source, columns, header)
    try:
        con.execute(f'CREATE TEMP TABLE "{INPUT_TABLE}" AS {query}').fetchall()
    except duckdb.Error as exc:
        raise _FallbackError(f"DuckDB cannot read the file as typed: {_first_line(exc)}") from None
    n_rows = _one(con, f'SELECT COUNT(*) FROM "{INPUT_TABLE}"')
    odd = _one(con, f'SELECT COUNT(*) FROM "{INPUT_TABLE}" WHERE "{_ODD}"')
    if odd:
        raise _FallbackError(f"{odd:,} rows hold a number that DuckDB and Arrow read differently")
    if kind == "csv":
        lines = data_lines(source) - 1  # the header is one line
        if lines != n_rows:
            raise _FallbackError(f"{lines:,} lines of data but DuckDB read {n_rows:,} rows")
    repeated = _one(
        con,
        f'SELECT COUNT(*) FROM (SELECT 1 FROM "{INPUT_TABLE}" WHERE "dossier_id" IS NOT NULL '
        'GROUP BY "dossier_id" HAVING COUNT(*) > 1)',
    )
    if repeated:
        raise _FallbackError(f"{repeated:,} dossier_id values are on several rows")
    return n_rows


def _one(con: duckdb.DuckDBPyConnection, query: str) -> int:
    rows = con.execute(query).fetchall()
    return int(rows[0][0]) if rows else 0


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Scores and rejects out of DuckDB
def _scores(
    con: duckdb.DuckDBPyConnection, model: Model, reasons: int, batch_size: int
) -> Iterator[pa.Table]:
    """The scores of the valid rows, in file order, as tables of :func:`scores_schema`."""
    query = scorecard_query(
        model,
        table=INPUT_TABLE,
        reasons=reasons,
        valid_only=True,
        extra_columns=[_ROW],
        points_columns=False,
    ).order_by(exp.column(_ROW, quoted=True), copy=False)
    schema = scores_schema(reasons)
    reader = con.sql(query.sql(dialect="duckdb")).to_arrow_reader(batch_size)
    for batch in reader:
        if batch.num_rows == 0:
            continue
        columns = {name: batch.column(name) for name in schema.names}
        columns["probability"] = pa.array(probability_of_scores(model, batch), pa.float64())
        yield pa.table([columns[n] for n in schema.names], names=schema.names).cast(schema)


def _rejects(con: duckdb.DuckDBPyConnection, model: Model, order: Sequence[str]) -> pa.Table:
    """The reject lines, sorted by row and the file's column order (:data:`REJECT_SCHEMA`)."""
    query = rejects_query(model, table=INPUT_TABLE, columns=order, row_column=_ROW)
    table = con.sql(query.sql(dialect="duckdb")).to_arrow_table()
    if table.num_rows == 0:
        return REJECT_SCHEMA.empty_table()
    return rejects_as_python(table.cast(REJECT_SCHEMA))


# --------------------------------------------------------------------------------------------
def score_file_duckdb(
    model: Model | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    rejects: str | os.PathLike[str] | None = None,
    reasons: int = 3,
    batch_size: int = BATCH_ROWS,
    progress: Progress | None = None,
    verify_key: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> DuckdbScoringResult:
    """Score a CSV or Parquet file with DuckDB; write scores, rejects and a manifest.

    The parameters and outputs are those of :func:`dmde.batch.scoring.score_file` (the manifest
    also records ``"engine"``). A file DuckDB does not read as the Python engine does is scored
    by the Python engine (see the module docstring); the result says so.

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
        Rows per batch written (one Parquet row group each).
    progress : callable, optional
        Called once with the number of rows read, at the end.
    verify_key : path, optional
        A public key file: the model must be signed by it.
    threads : int, optional
        DuckDB's threads (default: DuckDB's, one per core).

    Returns
    -------
    DuckdbScoringResult
    """
    begun = start_scoring(
        model, input_path, output, rejects=rejects, reasons=reasons, verify_key=verify_key
    )
    source, out, rejects_out = begun.source, begun.out, begun.rejects
    loaded, columns, header, started = begun.model, begun.columns, begun.header, begun.started
    read_batches(source, columns, on_problem="reject")  # the header's problems, said as usual
    order = [name for name in header if name in columns]  # a row's reject lines: file order

    def python_engine(why: str) -> DuckdbScoringResult:
        result = score_file(
            loaded,
            source,
            out,
            rejects=rejects_out,
            reasons=reasons,
            batch_size=batch_size,
            progress=progress,
        )
        return DuckdbScoringResult(**vars(result), engine="python", fallback=why)

    with (
        tempfile.TemporaryDirectory(prefix="dmde-duckdb-") as spill,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        hashing = pool.submit(sha256_file, source)  # while DuckDB reads
        config: dict[str, Any] = {"temp_directory": spill}
        if threads is not None:
            config["threads"] = int(threads)
        con = duckdb.connect(config=config)
        con.execute("SET enable_progress_bar = false").fetchall()  # an unattended job
        try:
            try:
                n_rows = _load_input(con, source, order, header)
            except _FallbackError as why:
                return python_engine(str(why))
            with FileSet(error=SchemaError) as files:
                rejected = _rejects(con, loaded, order)
                n_rejected = len(pc.unique(rejected.column("row"))) if rejected.num_rows else 0
                n_scored = write_batches(
                    out,
                    _scores(con, loaded, reasons, batch_size),
                    schema=scores_schema(reasons),
                    files=files,
                )
                write_batches(rejects_out, [rejected], schema=REJECT_SCHEMA, files=files)
                if progress:
                    progress(n_rows)
                seconds = time.perf_counter() - started
                counts = (n_rows, n_scored, n_rejected, rejected.num_rows)
                record = begun.record(
                    input_sha256=hashing.result(),
                    counts=counts,
                    reasons=reasons,
                    seconds=seconds,
                    engine="duckdb",
                )
                manifest = land_run(files, manifest_path(out), record, error=SchemaError)
        finally:
            con.close()
    if n_scored + n_rejected != n_rows:  # pragma: no cover - the queries partition the rows
        raise SchemaError(f"{source}: {n_rows} rows read, {n_scored} scored, {n_rejected} rejected")
    return DuckdbScoringResult(
        str(out), str(rejects_out), str(manifest), n_rows, n_scored, n_rejected, seconds
    )
