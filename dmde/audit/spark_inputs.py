"""``dmde audit --engine spark``: the audit of dmde's files on aggregates, the rows left in Spark.

:func:`audit_files_spark` is :func:`dmde.audit.engine_inputs.audit_files_duckdb` run on Spark:
the very audit (:func:`dmde.audit.engine_inputs.audit_on_connection`) and the very SQL, written
in DuckDB's dialect there and in :mod:`dmde.audit.aggregates`, which :class:`SparkConnection`
translates with :mod:`sqlglot` to Spark's (``GROUPING(a, b)`` becomes ``GROUPING_ID(a, b)``, the
file readers ``read_parquet`` and ``read_csv`` become Spark views of the files) and runs. One
place for each query: what the DuckDB engine computes, Spark computes, and the same small
tables come back to Python (the cell sums, the counts by decile, the random-control sample and
the files chosen, the model's seeded sample of rows).

Every figure is the Python engine's on the same files, as the DuckDB engine's is: counts
exactly, means to about 1e-12, intervals and p-values to about 1e-8 (sums added in Spark's
order), the same flags. What the DuckDB engine does not compute, this one does not either: the
score-gap decomposition (``gaps`` is None, and ``data["engine"]`` says so), and the
population's values are not checked against the catalog row by row.

A CSV file is read by Spark with the catalog's types for the catalog's columns (text and
category columns as text: ``caf_code`` keeps its zeros) and the other columns as text, cast by
the queries as DuckDB's reader would type them.

Spark runs as ``dmde score --engine spark`` runs it (:func:`dmde.batch.spark_engine.
spark_session`: ``local[2]`` by default or any master URL; the session running in the process
used and left running, else one started and stopped).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import exp

from dmde.audit.engine_inputs import ENGINE_NOTE, audit_on_connection, checked_files
from dmde.audit.result import AuditResult
from dmde.audit.settings import AuditError, AuditSettings
from dmde.batch.spark_selection import running_session, spark_settings
from dmde.data.catalog import CATALOG
from dmde.data.opening import file_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SPARK_NOTE", "SparkConnection", "audit_files_spark"]

#: What the spark engine computes, samples and leaves out, for the report (the DuckDB
#: engine's statement: the same work, the same SQL).
SPARK_NOTE = "Spark" + ENGINE_NOTE.removeprefix("DuckDB")
_BROADCAST = "spark.sql.autoBroadcastJoinThreshold"
_WHOLE_STAGE = "spark.sql.codegen.wholeStage"
_SPARK_TYPES = {
    "int": "BIGINT",
    "flag": "BIGINT",
    "float": "DOUBLE",
    "category": "STRING",
    "string": "STRING",
}


class SparkError(Exception):
    """Spark could not run a query of the audit (the first line of its message)."""


@dataclass
class _Result:
    """A query's result, as the audit reads DuckDB's (``df``, ``fetchall``, Arrow)."""

    frame: DataFrame

    def to_arrow_table(self) -> pa.Table:
        table: pa.Table = _run(self.frame.toArrow)
        return table

    def df(self) -> pd.DataFrame:
        return self.to_arrow_table().to_pandas()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in _run(self.frame.collect)]


def _run(action: Any) -> Any:
    try:
        return action()
    except Exception as exc:  # pyspark's error classes vary with the failure and version
        lines = str(exc).strip().splitlines()
        raise SparkError(lines[0] if lines else type(exc).__name__) from None


@dataclass
class SparkConnection:
    """DuckDB's SQL run on a Spark session: the audit's queries, translated (see the module).

    Parameters
    ----------
    spark : SparkSession
        The session the queries run on.
    """

    spark: SparkSession
    _files: dict[str, str] = field(default_factory=dict)
    _cached: list[DataFrame] = field(default_factory=list)
    _views: list[str] = field(default_factory=list)

    def sql(self, query: str, /) -> _Result:
        """Run a DuckDB query (``SELECT``, or ``DESCRIBE SELECT``: the columns' names)."""
        tree = sqlglot.parse_one(query, read="duckdb")
        if isinstance(tree, exp.Describe):
            names = _run(lambda: self._frame(tree.this).columns)
            return _Result(self.spark.createDataFrame([(n,) for n in names], "column_name STRING"))
        return _Result(self._frame(tree))

    def execute(self, query: str, /) -> SparkConnection:
        """Run a DuckDB statement: ``CREATE [TEMP] VIEW|TABLE name AS SELECT ...`` (a table
        is kept in Spark's cache), or a query."""
        tree = sqlglot.parse_one(query, read="duckdb")
        if not isinstance(tree, exp.Create):
            self.sql(query).fetchall()
            return self
        name = tree.this.name
        frame = self._frame(tree.expression)
        if str(tree.args.get("kind", "")).upper() == "TABLE":
            frame = frame.persist()
            _run(frame.count)
            self._cached.append(frame)
        frame.createOrReplaceTempView(name)
        self._views.append(name)
        return self

    def register(self, name: str, table: pa.Table, /) -> SparkConnection:
        """A small Arrow table of integers as a view (its rows sent as Python values)."""
        types = {pa.int64(): "BIGINT", pa.string(): "STRING", pa.float64(): "DOUBLE"}
        schema = ", ".join(f"`{f.name}` {types[f.type]}" for f in table.schema)
        rows = list(zip(*(c.to_pylist() for c in table.columns), strict=True))
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(name)
        self._views.append(name)
        return self

    def unregister(self, name: str, /) -> SparkConnection:
        self.spark.catalog.dropTempView(name)
        return self

    def close(self) -> None:
        """Drop the views made and the tables cached."""
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        for frame in self._cached:
            frame.unpersist()
        self._views.clear()
        self._cached.clear()

    # ----------------------------------------------------------------------------------------
    def _frame(self, tree: exp.Expr) -> DataFrame:
        translated = tree.transform(self._translate, copy=True)
        text = translated.sql(dialect="spark")
        frame: DataFrame = _run(lambda: self.spark.sql(text))
        return frame

    def _translate(self, node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Grouping):  # DuckDB's GROUPING of several keys: a bit each
            keys = list(node.expressions)
            bits: list[exp.Expr] = [
                exp.Mul(
                    this=exp.cast(exp.Anonymous(this="grouping", expressions=[k]), "BIGINT"),
                    expression=exp.Literal.number(1 << (len(keys) - 1 - i)),
                )
                for i, k in enumerate(keys)
            ]
            total = bits[0]
            for bit in bits[1:]:
                total = exp.Add(this=total, expression=bit)
            return exp.paren(total, copy=False)
        if isinstance(node, exp.Select) and _groups_by_all(node):
            # Spark reads GROUP BY ALL as a column "all" when there is one (the audit's view
            # has one): the positions of the expressions that are not aggregates instead.
            keys = [
                exp.Literal.number(i + 1)
                for i, e in enumerate(node.expressions)
                if not any(e.find_all(exp.AggFunc))
            ]
            node.set("group", exp.Group(expressions=keys))
            return node
        if isinstance(node, exp.ReadParquet):
            (path,) = node.expressions
            return exp.to_identifier(self._file(path.name, "parquet", ()), quoted=True)
        if isinstance(node, exp.ReadCSV):
            text: list[str] = []
            for option in node.expressions:
                if isinstance(option, exp.EQ) and option.this.name == "types":
                    text += [p.this.name for p in option.expression.expressions]
            return exp.to_identifier(self._file(node.this.name, "csv", text), quoted=True)
        return node

    def _file(self, path: str, kind: str, text: Sequence[str]) -> str:
        """A view of a file read by Spark (made once per file and kind)."""
        key = f"{kind}:{path}:{','.join(sorted(text))}"
        if key not in self._files:
            name = f"dmde_file_{len(self._files)}"
            if kind == "parquet":
                frame = self.spark.read.parquet(path)
            else:
                schema = ", ".join(f"`{c}` {_csv_type(c, text)}" for c in file_columns(Path(path)))
                reader = self.spark.read.options(header=True, quote='"', escape='"')
                frame = reader.schema(schema).csv(path)
            frame.createOrReplaceTempView(name)
            self._views.append(name)
            self._files[key] = name
        return self._files[key]


def _groups_by_all(select: exp.Select) -> bool:
    group = select.args.get("group")
    return isinstance(group, exp.Group) and bool(group.args.get("all"))


def _csv_type(column: str, text: Sequence[str]) -> str:
    """A CSV column's Spark type: text if asked, else the catalog's, else text (cast by the
    queries that use it)."""
    if column in text or column not in CATALOG:
        return "STRING"
    return _SPARK_TYPES[CATALOG[column].dtype]


def audit_files_spark(
    *,
    scores: str | os.PathLike[str],
    population: str | os.PathLike[str],
    model: str | os.PathLike[str],
    selection: str | os.PathLike[str] | None = None,
    labels: str = "controls",
    attributes: Sequence[str] | None = None,
    settings: AuditSettings | None = None,
    verify_key: str | os.PathLike[str] | None = None,
    master: str | None = None,
    session: SparkSession | None = None,
) -> AuditResult:
    """:func:`~dmde.audit.inputs.audit_files` with the rows kept in Spark (see the module).

    Parameters
    ----------
    scores, population, model, selection, labels, attributes, settings, verify_key
        As :func:`~dmde.audit.engine_inputs.audit_files_duckdb` (the selection file is
        required).
    master : str, optional
        The Spark master of a new session (default ``local[2]``).
    session : SparkSession, optional
        A running session to use (and leave running); without it, the session running in this
        process, else one started on ``master`` and stopped at the end.

    Returns
    -------
    AuditResult
        The Python engine's figures; ``data["engine"]`` says what was computed how, and
        ``gaps`` is None (not computed).

    Raises
    ------
    AuditError, AuditOptionError
        As the DuckDB engine; a query Spark could not run, with the first line of its error.
    DmdeError
        Without pyspark or a Java runtime (naming ``--engine spark`` and what to install).
    """
    files = checked_files(
        engine="spark",
        scores=scores,
        population=population,
        model=model,
        selection=selection,
        labels=labels,
        attributes=attributes,
        verify_key=verify_key,
    )
    spark, own = running_session(master, session)
    con = SparkConnection(spark)
    # Spark guesses a Parquet file's size from its compressed bytes and would broadcast the
    # scores to every task (5M rows: beyond the driver's memory): joins by sorting, unless the
    # adaptive planner measures a side small while the query runs. Whole-stage code generation
    # (off in dmde's sessions, for the scorecard's large CASE expressions) speeds the scans.
    conf = {_BROADCAST: "-1", _WHOLE_STAGE: "true"}
    try:
        with spark_settings(spark, conf):
            return audit_on_connection(
                con,
                files,
                labels=labels,
                settings=AuditSettings() if settings is None else settings,
                engine="spark",
                note=SPARK_NOTE,
            )
    except SparkError as exc:
        raise AuditError(f"Spark could not read the audit's files: {exc}") from None
    finally:
        con.close()
        if own:
            spark.stop()
