"""Selection with Spark: the same selection file as the Python engine, chosen where the scores
live.

:func:`select_file_spark` reads the columns a selection uses (``dossier_id``, ``score``,
``probability`` and the ``per`` column) of a CSV or Parquet scores file with Spark, counts the
files of each group there, plans the budget, quotas and random share in Python on those counts
(the very code of the Python engine) and chooses the files with the window functions of
:func:`dmde.batch.selection_sql.selection_query` in Spark's dialect (the query the DuckDB engine
runs; only the tie key's arithmetic is written for Spark's signed integers). Only the selected
files come back to the driver; their other columns are read from the file (Parquet: by the
Python engine's own reader, the selected rows only, found by their place in the file; CSV: by
Spark, as text, converted as Arrow converts the CSV) and written by the lines the Python engine
writes with, manifest included. The selection file is byte for byte the Python engine's.

Spark runs as ``dmde score --engine spark`` runs it (:func:`dmde.batch.spark_engine.
spark_session`): ``local[2]`` by default or any master URL, the session running in the process
used and left running, else one started and stopped.

What the query does not decide is handed to the Python engine, as the DuckDB engine does
(:attr:`SparkSelection.engine` says ``"python"`` and :attr:`~SparkSelection.fallback` why):
scores of other types than ``dmde score`` writes, a missing or bad value (NaN or infinite score,
probability outside [0, 1], a ``dossier_id`` on several rows), a CSV number written in a
spelling Spark and Arrow might read differently, a CSV whose lines and rows do not match one to
one or that is not UTF-8, a file without rows.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dmde.batch.budget import (
    _FIXES,
    PARAMETER_CONSTRAINTS,
    Selection,
    _parameters,
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
from dmde.batch.selection_file import _FIX, _check_paths, _finish, _now, _wanted, select_file
from dmde.batch.selection_sql import GROUP, ROW, _random_draws, selection_query
from dmde.batch.spark_engine import DEFAULT_MASTER, spark_session
from dmde.core.errors import DmdeError, ParameterError, SchemaError, UsageError
from dmde.data.opening import data_lines
from dmde.data.outputs import output_columns, output_type
from dmde.data.parameters import check_parameters
from dmde.data.schema import EXTENSIONS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["SparkSelection", "select_file_spark"]

_SCORES, _QUOTAS, _DRAWS, _TEXT = "dmde_scores", "dmde_quotas", "dmde_draws", "dmde_scores_text"
#: A decimal number as both Java and Arrow read it to the same double (no "inf", "1d", "0x1p3").
_PLAIN_NUMBER = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_NUMBER_TYPES = (pa.int64(), pa.float64())
_CSV_PRUNING = "spark.sql.csv.parser.columnPruning.enabled"
_WHOLE_STAGE = "spark.sql.codegen.wholeStage"


@dataclass(frozen=True, eq=False)
class SparkSelection(Selection):
    """A :class:`~dmde.batch.selection.Selection`, and which engine made it.

    Attributes
    ----------
    engine : str
        ``"spark"``, or ``"python"`` when the file was handed to the Python engine.
    fallback : str or None
        Why the file was handed over (None when Spark selected).
    """

    engine: str = "spark"
    fallback: str | None = None


class _FallbackError(Exception):
    """The scores are not as the query expects: the Python engine selects (or refuses)."""


def select_file_spark(
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
    master: str | None = None,
    session: SparkSession | None = None,
) -> SparkSelection:
    """Select from a scores file with Spark; write the selection and its manifest.

    The same files, ranks, reasons, summary and manifest as
    :func:`~dmde.batch.selection.select_file` with the same parameters (the selection file
    byte for byte); see the module docstring for what is computed where.

    Parameters
    ----------
    scores_path, out_path, budget, share, per, quotas, min_probability, random_share, seed
        As for :func:`~dmde.batch.selection.select_file`.
    master : str, optional
        The Spark master of a new session (default ``local[2]``).
    session : SparkSession, optional
        A running session to use (and leave running). Without it, the session running in this
        process is used (and left running), else one is started on ``master`` and stopped at
        the end.

    Returns
    -------
    SparkSelection
        ``frame`` and ``summary`` as :func:`~dmde.batch.selection.select_file` returns them,
        ``engine`` and ``fallback``.

    Raises
    ------
    SelectionError
        As :func:`~dmde.batch.selection.select_file` (the same messages).
    DmdeError
        Without pyspark or a Java runtime (naming ``--engine spark`` and what to install).
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

    def python_engine(why: str) -> SparkSelection:
        chosen = select_file(source, target, **options)
        return SparkSelection(chosen.frame, chosen.summary, engine="python", fallback=why)

    try:
        header = output_columns(source, what="scores file", fix=_FIX)
    except SchemaError as exc:
        raise SelectionError(str(exc)) from None
    _require_columns(header, _needed(per), str(source))
    wanted = _wanted(header, per)
    parameters = _parameters(budget, share, per, quotas, min_probability, random_share, seed)
    check_parameters(PARAMETER_CONSTRAINTS, options, fixes=_FIXES, error=SelectionParameterError)
    spark, own = running_session(master, session)
    csv = EXTENSIONS[source.suffix.lower()] == "csv"
    # A row of too many fields is malformed only if Spark splits every field; whole-stage code
    # generation (off in dmde's sessions, for the scorecard's large CASE expressions) makes
    # the selection's windows and counts twice as fast (1M rows: 5.5 s instead of 10.6 s).
    settings = {_CSV_PRUNING: "false", _WHOLE_STAGE: "true"}
    try:
        with spark_settings(spark, settings), ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(_fingerprint, source, csv)
            try:
                n_files, files, eligible = _load(spark, source, header, per, min_probability)
                input_sha256, not_utf8 = digest.result()
                if not_utf8:
                    raise _FallbackError(not_utf8)
            except _FallbackError as exc:
                digest.result()
                return python_engine(str(exc))
            plan = _plan_from_counts(
                n_files, files, budget, share, quotas, per, min_probability, random_share, int(seed)
            )
            chosen = _choose(spark, plan, np.array(list(files.values())), eligible)
            summary = _summary(n_files, per, plan, chosen.counts, parameters)
            table = _csv_extras(spark, wanted, per, chosen.ids) if csv else None
    finally:
        if spark.catalog.tableExists(_SCORES):
            spark.catalog.uncacheTable(_SCORES)
        for view in (_SCORES, _QUOTAS, _DRAWS, _TEXT):
            spark.catalog.dropTempView(view)
        if own:
            spark.stop()
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
    return SparkSelection(selection.frame, selection.summary)


def running_session(master: str | None, session: SparkSession | None) -> tuple[SparkSession, bool]:
    """The Spark session to run on, and whether it was started here (then to be stopped).

    ``session`` if given (no ``master`` then), else the session running in this process (its
    master must be ``master`` if one is given), else a new one on ``master`` (default
    ``local[2]``), as ``dmde score --engine spark`` finds its session.

    Raises
    ------
    ParameterError
        A master with a session, or a master other than the running session's.
    UsageError
        Without pyspark or a Java runtime, or when Spark does not start on the master (exit
        code 2: how dmde is run, not the data).
    """
    if session is not None:
        if master is not None:
            raise ParameterError(
                "master",
                "no master with a session (the session has its own)",
                master,
                fix="Give either a running session or a master URL.",
            )
        return session, False
    running = _active_session()
    if running is None:
        try:
            return spark_session(master or DEFAULT_MASTER), True
        except DmdeError as exc:  # no pyspark, no Java, no master there: how to run it
            raise UsageError(str(exc)) from None
    used = str(running.sparkContext.master)
    if master is not None and used != master:
        raise ParameterError(
            "master",
            f"the master of the Spark session running in this process ({used})",
            master,
            fix="Spark runs one session per process: stop it first, or drop the master.",
        )
    return running, False


@contextmanager
def spark_settings(spark: SparkSession, settings: Mapping[str, str]) -> Iterator[None]:
    """Spark SQL settings for the queries run inside, then back as they were (unset if so)."""
    before: dict[str, str | None] = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, previous in before.items():
            if previous is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, previous)


def _active_session() -> SparkSession | None:
    """The Spark session running in this process; None without one (or without pyspark, which
    :func:`~dmde.batch.spark_engine.spark_session` then names)."""
    try:
        with warnings.catch_warnings():  # pyspark warns about pandas versions it has not tested
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql import SparkSession
    except ImportError:
        return None
    active: SparkSession | None = SparkSession.getActiveSession()
    return active


def _fingerprint(source: Path, csv: bool) -> tuple[str, str | None]:
    """The file's SHA-256 and, for a CSV file, why it is not UTF-8 (None if it is): Spark
    reads such bytes as replacement characters where Arrow refuses the file."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    problem = None
    with open(source, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            if csv and problem is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    problem = "the CSV file is not UTF-8"
    if csv and problem is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = "the CSV file is not UTF-8"
    return digest.hexdigest(), problem


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _number(name: str, kind: str) -> tuple[str, str]:
    """A CSV column read as ``kind`` (BIGINT or DOUBLE), and where its text is one that Spark
    and Arrow might read differently (then the Python engine reads the file)."""
    text = _quoted(name)
    value = f"TRY_CAST({text} AS {kind})"
    if kind == "BIGINT":  # "3.5", "+3", " 3", "007": not the integer's own text
        odd = f"NOT (CAST({value} AS STRING) <=> {text})"
    else:
        odd = f"NOT ({text} RLIKE '{_PLAIN_NUMBER.replace(chr(92), chr(92) * 2)}')"
    return value, f"({text} IS NOT NULL AND {odd})"


def _load(
    spark: SparkSession, source: Path, header: Sequence[str], per: str | None, floor: object
) -> tuple[int, dict[str, int], dict[str, int]]:
    """Read the scores' selection columns into the view :data:`_SCORES` and check them; the
    number of files, and the files and eligible files of each group (sorted names).

    Raises :class:`_FallbackError` where the Python engine must decide.
    """
    group = f"'{_ALL}'" if per is None else f"CAST({_quoted(per)} AS STRING)"
    if EXTENSIONS[source.suffix.lower()] == "csv":
        if per is not None and output_type(per) in _NUMBER_TYPES:
            raise _FallbackError(f"the group column {per!r} is read as numbers")
        schema = ", ".join(f"{_quoted(name)} STRING" for name in header)
        reader = spark.read.options(
            header=True, quote='"', escape='"', mode="FAILFAST", multiLine=False
        )
        reader.schema(schema).csv(str(source)).createOrReplaceTempView(_TEXT)
        numbers = [
            _number("dossier_id", "BIGINT"),
            _number("score", "DOUBLE"),
            _number("probability", "DOUBLE"),
        ]
        columns = ["CAST(0 AS BIGINT)", *(value for value, _ in numbers), group]
        odd = " OR ".join(check for _, check in numbers)
        table = _TEXT
    else:
        _check_parquet(source, per)
        read = spark.read.parquet(str(source))  # with the row's place in the file
        read.selectExpr("_metadata.row_index AS dmde_row", "*").createOrReplaceTempView(_TEXT)
        columns = ["`dmde_row`", "`dossier_id`", "`score`", "`probability`", group]
        odd = "false"
        table = _TEXT
    names = [ROW, "dossier_id", "score", "probability", GROUP]
    selected = ", ".join(f"{c} AS {_quoted(n)}" for c, n in zip(columns, names, strict=True))
    scores = spark.sql(f"SELECT {selected}, {odd} AS `odd` FROM {_quoted(table)}")
    scores.createOrReplaceTempView(_SCORES)
    spark.catalog.cacheTable(_SCORES)  # read once: checked, counted, then chosen from
    try:
        checks = _checks(spark, floor)
    except Exception as exc:  # Spark could not read the file as typed (pyspark's errors vary)
        raise _FallbackError(f"Spark cannot read the scores as typed: {_first_line(exc)}") from None
    n_rows = sum(int(row["n"]) for row in checks)
    if n_rows == 0:
        raise _FallbackError("the scores file has no rows")
    if EXTENSIONS[source.suffix.lower()] == "csv" and data_lines(source) - 1 != n_rows:
        raise _FallbackError("the CSV file's lines and rows differ")
    totals = {k: sum(int(row[k]) for row in checks) for k in ("odd", "missing", "bad", "out")}
    n_ids = int(checks[0]["ids"])
    for count, why in (
        (totals["odd"], "rows hold a number that Spark and Arrow might read differently"),
        (totals["missing"], "rows have a missing value"),
        (totals["bad"], "rows have a score that is NaN or infinite"),
        (totals["out"], "rows have a probability outside [0, 1]"),
        (n_rows - n_ids, "dossier_id values are repeated"),
    ):
        if count:
            raise _FallbackError(f"{count:,} {why}")
    counted = sorted((str(r[GROUP]), int(r["n"]), int(r["eligible"])) for r in checks)
    files = {name: n for name, n, _ in counted}
    return n_rows, files, {name: k for name, _, k in counted}


def _checks(spark: SparkSession, floor: object) -> list[Any]:
    """One pass: per group, its files, eligible files and bad values; the distinct ids."""
    eligible = "true"
    if floor is not None:  # checked: a number in [0, 1]
        eligible = f"`probability` >= CAST('{float(floor)!r}' AS DOUBLE)"  # type: ignore[arg-type]
    query = f"""
        SELECT `{GROUP}`, COUNT(*) AS n, COUNT_IF({eligible}) AS eligible,
            COUNT_IF(`odd`) AS odd,
            COUNT_IF(`dossier_id` IS NULL OR `score` IS NULL OR `probability` IS NULL) AS missing,
            COUNT_IF(isnan(`score`) OR abs(`score`) = CAST('Infinity' AS DOUBLE)) AS bad,
            COUNT_IF(NOT (`probability` >= 0 AND `probability` <= 1)) AS out,
            FIRST(ids) AS ids
        FROM {_SCORES} CROSS JOIN (SELECT COUNT(DISTINCT `dossier_id`) AS ids FROM {_SCORES})
        GROUP BY `{GROUP}`"""
    found: list[Any] = spark.sql(query).collect()
    if any(row[GROUP] is None for row in found):
        raise _FallbackError("rows have a missing value")
    return found


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
    counts: Any


def _choose(spark: SparkSession, plan: Any, files: Any, eligible: dict[str, int]) -> _Picked:
    """Draw the random share on the groups' counts, then choose the files in Spark."""
    drawn = _random_draws(plan, np.asarray(files, dtype=np.int64), eligible)
    _view(spark, drawn.quotas, _QUOTAS)
    draws = None
    if drawn.draws is not None:
        _view(spark, drawn.draws, _DRAWS)
        draws = _DRAWS
    query = selection_query(
        _SCORES, _QUOTAS, draws, seed=plan.seed, floor=plan.min_probability, dialect="spark"
    )
    picked = spark.sql(query).toArrow()
    return _Picked(
        rows=picked.column(ROW).to_numpy().astype(np.intp),
        ids=picked.column("dossier_id").to_numpy(),
        rank_national=picked.column("rank_national").to_numpy().astype(np.int64),
        rank_in_group=picked.column("rank_in_group").to_numpy().astype(np.int64),
        random=picked.column("random").to_numpy(zero_copy_only=False).astype(np.bool_),
        counts=drawn.counts,
    )


def _view(spark: SparkSession, table: pa.Table, name: str) -> None:
    """A small Arrow table as a Spark view (its rows sent as Python values)."""
    types = {pa.string(): "STRING", pa.int64(): "BIGINT"}
    schema = ", ".join(f"{_quoted(f.name)} {types[f.type]}" for f in table.schema)
    rows = list(zip(*(c.to_pylist() for c in table.columns), strict=True))
    spark.createDataFrame(rows, schema).createOrReplaceTempView(name)


def _csv_extras(
    spark: SparkSession, wanted: Sequence[str], per: str | None, ids: npt.NDArray[np.int64]
) -> pa.Table:
    """The selected files' columns of a CSV file (in the order of ``ids``), read by Spark as
    text and converted as Arrow's CSV reader converts them for the Python engine (an empty
    field is missing)."""
    columns = [c for c in wanted if c != "dossier_id"]
    order = pa.table(
        {"dossier_id": pa.array(ids, pa.int64()), "i": pa.array(np.arange(len(ids)), pa.int64())}
    )
    _view(spark, order, "dmde_chosen")
    try:
        found = spark.sql(
            f"SELECT {', '.join('t.' + _quoted(c) for c in columns)} FROM dmde_chosen w "
            f"JOIN {_TEXT} t ON TRY_CAST(t.`dossier_id` AS BIGINT) = w.`dossier_id` "
            "ORDER BY w.`i`"
        ).toArrow()
    finally:
        spark.catalog.dropTempView("dmde_chosen")
    if found.num_rows != len(ids):
        raise SelectionError(
            "the scores file changed while it was being read; nothing was written. Run the "
            "selection again once the file is complete."
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
