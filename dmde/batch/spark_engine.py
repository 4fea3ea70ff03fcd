"""Batch scoring with Spark: the same scores, rejects and manifest as the Python engine.

:func:`score_file_spark` reads a CSV or Parquet file, or a folder of them (hive-partitioned,
``snapshot_month=2025-01/part.parquet``), with Spark (``pyspark``; in local mode, ``local[2]``,
by default, or on the cluster a master URL names), checks its rows with the catalog rules written
as SQL (:func:`dmde.model.sql.rejects_query`, Spark dialect) and scores the valid ones with the
model's SQL (:func:`dmde.model.sql.scorecard_query`), all inside Spark. It reads the columns the
Python engine reads (:func:`dmde.batch.scoring.needed_columns`).

Spark writes a folder of part-files; dmde's outputs are single files. Each Spark task reads
one split of a file, in order, so each part-file is a range of rows and the file order needs
no sort across tasks. The scores are written by Spark as Parquet part-files in a temporary
folder, and then read back in row order one row group at a time and written by the writer the
Python engine uses (:func:`dmde.data.writing.write_batches`): the driver holds one batch at a
time, not the file.
The rejects (a few lines per thousand rows) are collected whole, as the Python engine holds them.

What is the same as :func:`dmde.batch.scoring.score_file`, on the same input and model, is what
the DuckDB engine gives (:mod:`dmde.batch.duckdb_engine`): the scored rows in file order with the
same ``score`` (to the cent), ``probability`` (recomputed from the score with numpy), reasons and
their points; the rejects line for line; the manifest's counts (the manifest also records
``"engine": "spark"`` and the master). A CSV scores file and the rejects file are
byte-identical; a Parquet scores file has the same schema and values (its row groups differ).

Rows are numbered in file order, 1 for the first row after a CSV header. The rows of a folder
are numbered across its files, taken in the order of their paths (sorted as text, relative to
the folder), as if they were one file; the partition columns (``snapshot_month``) are columns
of the rows. The manifest's ``input.sha256`` of a folder is the SHA-256 of the list of its files,
one line each: ``<sha256 of the file>  <path relative to the folder>``, as ``sha256sum`` prints.

What Spark does not read the way dmde's reader does is handed to the Python engine, as the
DuckDB engine does (:attr:`SparkScoringResult.engine` says ``"python"`` and
:attr:`~SparkScoringResult.fallback` why): a CSV value Spark would convert where Arrow refuses
it, or convert differently (``3.5`` or `` 3`` in an integer column, ``1d`` or ``0x1p3`` in a
number column: a number must be written as plain decimal digits), a row with the wrong number of
fields, bytes that are not UTF-8, a blank line or a quoted value across lines, a Parquet integer
column stored as floating point numbers, and a ``dossier_id`` on several rows. A folder has no
Python engine to go to: it is refused, naming the reason, and each of its files can be scored
(and explained) by the Python engine.

Spark is imported when a run starts, never by ``import dmde``: without ``pyspark`` or a Java
runtime, :func:`spark_session` raises a one-line error saying what to install.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlglot import exp

from dmde.batch.engine_parity import (
    EngineScoringResult,
    parquet_fits,
    probability_of_scores,
    rejects_as_python,
)
from dmde.batch.scoring import (
    ScoringStart,
    needed_columns,
    rejects_path_for,
    score_file,
    scores_schema,
    start_scoring,
)
from dmde.core.errors import DmdeError, ParameterError, SchemaError
from dmde.core.files import FileSet
from dmde.data.catalog import CATALOG
from dmde.data.manifest import land_run, manifest_path
from dmde.data.opening import data_lines, file_columns
from dmde.data.parameters import Range, check_parameters
from dmde.data.paths import check_data_file_name, check_distinct_paths
from dmde.data.reading import REJECT_SCHEMA, read_batches
from dmde.data.schema import BATCH_ROWS, EXTENSIONS
from dmde.data.writing import write_batches
from dmde.model.model_file import load_model
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.sql import rejects_query, scorecard_query, table_reference, valid_condition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["DEFAULT_MASTER", "SparkScoringResult", "score_file_spark", "spark_session"]

Model = Scorecard | ScorecardFamily
Progress = Callable[[int], None]

#: Spark in this process, on two cores: what ``dmde score --engine spark`` runs without a master.
DEFAULT_MASTER = "local[2]"
#: The name of the Spark view the input's rows are read into (with their row number).
INPUT_TABLE = "dmde_input"
_ROW = "row"
_ODD = "dmde_odd"
#: The view of the rows that break a rule (a few per thousand: their lines are collected whole).
BAD_TABLE = "dmde_rejected"
_CORRUPT = "dmde_corrupt_record"
_CSV_PRUNING = "spark.sql.csv.parser.columnPruning.enabled"
_MAX_SPLIT = "spark.sql.files.maxPartitionBytes"
_OPEN_COST = "spark.sql.files.openCostInBytes"
_SPARK_TYPES = {
    "int": "bigint",
    "flag": "bigint",
    "float": "double",
    "category": "string",
    "string": "string",
}
#: A number Arrow and Java read as the same double: plain decimal digits, an optional exponent.
_PLAIN_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_FIX_PYSPARK = "install it: pip install 'dmde[spark]' (or pip install pyspark)"
_FIX_JAVA = (
    "install one (Java 17 or later), e.g. apt-get install openjdk-17-jre-headless, or set JAVA_HOME"
)


class _FallbackError(Exception):
    """The input is one Spark does not read as the Python engine does (the reason is the text)."""


@dataclass(frozen=True)
class SparkScoringResult(EngineScoringResult):
    """What a scoring run did (see :class:`~dmde.batch.scoring.ScoringResult`), and which engine
    wrote the outputs: ``"spark"``, or ``"python"`` with the reason in ``fallback``."""

    engine: str = "spark"


# --------------------------------------------------------------------------------------------
# The session
def _java() -> str | None:
    """The Java runtime Spark would start: ``$JAVA_HOME/bin/java``, else ``java`` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() else None
    return shutil.which("java")


def _pyspark() -> Any:
    """``pyspark.sql``, imported now (quietly: pyspark warns about pandas versions it has not
    tested, which dmde's Spark engine does not use), or a DmdeError saying how to install it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            import pyspark.sql

            # py4j imports it at its first call, which warns (once): here, where it is quiet.
            import pyspark.testing.utils
    except ImportError:
        raise DmdeError(
            f"--engine spark needs pyspark, which is not installed: {_FIX_PYSPARK}."
        ) from None
    return pyspark.sql


def spark_session(master: str = DEFAULT_MASTER, *, app_name: str = "dmde") -> SparkSession:
    """A Spark session on ``master`` (``local[2]``, ``spark://host:7077``, ``yarn``, ...).

    The session is the one running if there is one (Spark allows one per process), else a new
    one with dmde's settings: no web UI, ANSI SQL (an error rather than a silent NULL), UTC.

    Raises
    ------
    DmdeError
        Without pyspark or a Java runtime, naming ``--engine spark`` and what to install.
    """
    sql = _pyspark()
    if _java() is None:
        raise DmdeError(
            f"--engine spark needs a Java runtime, none found (JAVA_HOME, PATH): {_FIX_JAVA}."
        )
    builder = (
        sql.SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        # The scorecard is a few large CASE expressions: compiling whole stages of them costs
        # more than it saves (measured: 100k rows scored 2.5x faster without).
        .config("spark.sql.codegen.wholeStage", "false")
    )
    if not os.environ.get("SPARK_CONF_DIR"):  # Spark's own logging, unless configured: errors
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_quiet_logging()}"
        )
    if master.startswith("local"):  # a few tasks per core, not Spark's 200, on one machine
        builder = builder.config("spark.sql.shuffle.partitions", "8")
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start (pyspark's own error types vary)
        raise DmdeError(
            f"--engine spark could not start Spark on master {master!r}: "
            f"{_first_line(exc)}. Check the master URL and the Java runtime ({_FIX_JAVA})."
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    started: SparkSession = session
    return started


_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def _quiet_logging() -> str:
    """A log4j2 configuration file for the Java process: errors only, on stderr (Spark's
    default prints its warnings about the host name and native libraries to every run)."""
    path = Path(tempfile.gettempdir()) / "dmde-spark-log4j2.properties"
    if not path.is_file() or path.read_text() != _LOG4J2:
        handle, written = tempfile.mkstemp(dir=path.parent, prefix=".dmde-log4j2-")
        with os.fdopen(handle, "w") as stream:
            stream.write(_LOG4J2)
        os.replace(written, path)  # whole, for a Java process starting now in another run
    return path.as_uri()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --------------------------------------------------------------------------------------------
# What is read: a file, or a folder of files
@dataclass(frozen=True)
class _Input:
    """The files read, in row order, their kind and their common header."""

    root: Path
    files: tuple[Path, ...]
    kind: str
    folder: bool


def _data_files(root: Path) -> list[Path]:
    """The data files of a folder, sorted by path relative to it; Spark's own files
    (``_SUCCESS``, ``.crc``, hidden or ``_`` names) are not data."""
    found = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if any(p.startswith((".", "_")) for p in parts) or not path.is_file():
            continue
        found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _partition_columns(root: Path, files: Sequence[Path]) -> tuple[str, ...]:
    """The hive partition columns of a folder (``name=value`` folders), in path order."""
    names: list[str] = []
    for path in files:
        for part in path.relative_to(root).parts[:-1]:
            name, sep, _ = part.partition("=")
            if sep and name not in names:
                names.append(name)
    return tuple(names)


def _start_folder(
    model: Model | str | os.PathLike[str],
    root: Path,
    output: str | os.PathLike[str],
    *,
    rejects: str | os.PathLike[str] | None,
    reasons: int,
    verify_key: str | os.PathLike[str] | None,
) -> tuple[ScoringStart, _Input]:
    """:func:`~dmde.batch.scoring.start_scoring` for a folder of files: the same checks, and
    every file of one kind with the same header."""
    started = time.perf_counter()
    start_time = _now()
    check_parameters(
        {"reasons": [Range(Integral, 0, None, closed="left")]},
        {"reasons": reasons},
        fixes={"reasons": "Give the number of reason codes per row, e.g. 3."},
    )
    out = Path(output)
    rejects_out = Path(rejects) if rejects is not None else rejects_path_for(out)
    for role, target in (("output", out), ("rejects", rejects_out)):
        check_data_file_name(role, target)
        if target.resolve().is_relative_to(root.resolve()):
            raise ParameterError(
                role,
                "a file outside the folder scored",
                os.fspath(target),
                fix="Write it beside the folder: a file inside it would be read as data.",
            )
    inputs: dict[str, str | os.PathLike[str]] = {"the data folder": root}
    if not isinstance(model, Scorecard | ScorecardFamily):
        inputs["the model file"] = model
    check_distinct_paths(
        [
            ("output", "the scores", out),
            ("rejects", "the rejects", rejects_out),
            ("output", "the scores' manifest", manifest_path(out)),
        ],
        inputs,
    )
    files = _data_files(root)
    kinds = {EXTENSIONS.get(p.suffix.lower()) for p in files}
    if not files or len(kinds) != 1 or None in kinds:
        raise SchemaError(
            f"{root}: expected a folder of CSV files or of Parquet files (hive partitions "
            f"such as snapshot_month=2025-01/ allowed); found "
            f"{', '.join(sorted({p.suffix or 'no extension' for p in files})) or 'no file'}. "
            "Give a folder holding data files of one kind.",
            path=str(root),
        )
    if isinstance(model, Scorecard | ScorecardFamily) and verify_key is None:
        loaded: Model = model
        model_hash = str(getattr(model, "model_sha256_", "unsaved model"))
    else:
        loaded = load_model(model, verify_key=verify_key)
        model_hash = str(loaded.model_sha256_)
    columns = needed_columns(loaded)
    partitions = _partition_columns(root, files)
    first = file_columns(files[0])
    for path in files:
        names = file_columns(path)
        if names != first:
            raise SchemaError(
                f"{path}: its columns differ from those of {files[0]}; every file of a folder "
                "must have the same header. Fix or move the file.",
                path=str(path),
            )
    header = first + tuple(p for p in partitions if p not in first)
    missing = [c for c in columns if c not in header]
    if missing:
        raise SchemaError(
            f"{root}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}, which the model needs; nothing was written.",
            path=str(root),
        )
    begun = ScoringStart(
        started, start_time, root, out, rejects_out, loaded, model_hash, columns, header
    )
    kind = str(kinds.pop())
    return begun, _Input(root, tuple(files), kind, folder=True)


def _now() -> str:
    import datetime

    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _check_files(source: _Input, columns: Sequence[str]) -> None:
    """Each file's header problems, said as the Python engine says them (before Spark reads);
    the Parquet files whose columns Spark would not read as dmde does send the run away."""
    for path in source.files:
        stored = [c for c in columns if c in file_columns(path)]
        read_batches(path, stored, on_problem="reject")
        if source.kind == "parquet":
            why = parquet_fits(path, stored)
            if why:
                raise _FallbackError(f"{path.name}: {why}")


def _fingerprint(source: _Input) -> tuple[str, int, str | None]:
    """The input's SHA-256 (of the file; of the folder's list of files), its CSV data lines,
    and why it is not UTF-8 (None if it is): one reading of each file."""
    lines, listing, bad = 0, [], None
    for path in source.files:
        digest = hashlib.sha256()
        decoder = codecs.getincrementaldecoder("utf-8")()
        with path.open("rb") as stream:
            while block := stream.read(1 << 22):
                digest.update(block)
                if source.kind == "csv" and bad is None:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        bad = f"{path.name} holds bytes that are not UTF-8"
        if source.kind == "csv":
            lines += data_lines(path) - 1  # the header is one line
        listing.append(f"{digest.hexdigest()}  {path.relative_to(source.root).as_posix()}\n")
    if not source.folder:
        return listing[0].split()[0], lines, bad
    return hashlib.sha256("".join(listing).encode()).hexdigest(), lines, bad


# --------------------------------------------------------------------------------------------
# Reading into Spark, rows numbered
def _read(spark: SparkSession, source: _Input, columns: Sequence[str]) -> DataFrame:
    """The input's ``columns``, typed as dmde types them, with what numbers the rows (the file,
    the split of it Spark read, the row's place in the split) and the flag :data:`_ODD`: a row
    Spark reads differently from Arrow.

    The files are given to Spark one by one (no partition discovery): a column of the files is
    read from them, even where a folder is named after it (a dmde panel's files hold their
    ``snapshot_month``); a partition column the files lack is read from the folder's name.
    """
    sql = _pyspark()
    f = sql.functions
    types = sql.types
    paths = [os.fspath(p) for p in source.files]
    stored = file_columns(source.files[0])
    odd: list[Any] = []
    typed: dict[str, Any] = {}

    def from_text(name: str, text: Any) -> None:
        kind = _SPARK_TYPES[CATALOG[name].dtype]
        number = text.try_cast(kind) if kind != "string" else text
        typed[name] = number.alias(name)
        if kind == "bigint":  # "3.5", " 3", "+3", "007": not the integer's own text
            odd.append(text.isNotNull() & ~number.cast("string").eqNullSafe(text))
        elif kind == "double":
            odd.append(text.isNotNull() & (~text.rlike(_PLAIN_NUMBER) | number.isNull()))

    if source.kind == "parquet":
        frame = spark.read.parquet(*paths)
        for name in columns:
            if name in stored:
                typed[name] = f.col(name).cast(_SPARK_TYPES[CATALOG[name].dtype]).alias(name)
    else:
        fields = [types.StructField(n, types.StringType()) for n in stored]
        fields.append(types.StructField(_CORRUPT, types.StringType()))
        frame = (
            spark.read.schema(types.StructType(fields))
            .option("header", "true")
            .option("enforceSchema", "true")  # the headers were checked, file by file
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", _CORRUPT)
            .option("sep", ",")
            .option("quote", '"')
            .option("escape", '"')
            .option("multiLine", "false")
            .option("encoding", "UTF-8")
            .option("nullValue", "")
            .csv(paths)
        )
        for name in columns:
            if name in stored:
                from_text(name, f.col(name))
        odd.append(f.col(_CORRUPT).isNotNull())
    for name in columns:
        if name not in stored:  # a partition column: the text of name=<value> in the path
            value = f.url_decode(
                f.regexp_extract(f.col("_metadata.file_path"), f"/{name}=([^/]*)/", 1)
            )
            missing = value.isin("", "__HIVE_DEFAULT_PARTITION__")
            from_text(name, f.when(~missing, value))
    flag = f.lit(False)
    for condition in odd:
        flag = flag | condition
    return frame.select(
        f.col("_metadata.file_path").alias("dmde_file"),
        f.col("_metadata.file_block_start").alias("dmde_block"),
        f.monotonically_increasing_id().alias("dmde_id"),
        *(typed[n] for n in columns),
        flag.alias(_ODD),
    )


def _one_split_per_task(spark: SparkSession, source: _Input) -> dict[str, str]:
    """Spark settings under which each task reads one split of one file, split as Spark's
    defaults split it: pieces of the total bytes over the cores, between 4 MB and 128 MB.

    Spark packs small splits together in a task (fewer tasks), several files' pieces in an
    order of its own; a split per task keeps each task's rows a range of consecutive rows,
    so the scores need no sort to be in file order (:func:`_write_scores`)."""
    total = sum(path.stat().st_size for path in source.files)
    cores = max(1, spark.sparkContext.defaultParallelism)
    size = min(128 << 20, max(4 << 20, -(-total // cores)))
    # a split "costs" a whole task's bytes: no other split fits in its task
    return {_MAX_SPLIT: str(size), _OPEN_COST: str(size)}


def _numbered(
    spark: SparkSession, read: DataFrame, source: _Input, columns: Sequence[str]
) -> tuple[DataFrame, int, int]:
    """The rows with their number (:data:`_ROW`), the number of rows and of odd rows.

    Spark reads each split of a file in order and numbers the rows of a task consecutively
    (``monotonically_increasing_id``): a row's number is the rows of the files and splits before
    its own plus its place in its split. Only the count of each split comes back to Python.
    A CSV file's rows are cached (parsed once); a Parquet file is read again at each pass, in
    the same splits (the run's settings hold), so its rows get the same numbers.
    """
    sql = _pyspark()
    f = sql.functions
    splits = (
        read.groupBy("dmde_file", "dmde_block")
        .agg(
            f.count(f.lit(1)).alias("n"),
            f.min("dmde_id").alias("first"),
            f.sum(f.col(_ODD).cast("bigint")).alias("odd"),
        )
        .collect()
    )
    place = {p.resolve(): i for i, p in enumerate(source.files)}

    def order(split: Any) -> tuple[int, int]:
        local = Path(unquote(urlparse(str(split["dmde_file"])).path)).resolve()
        return place.get(local, len(place)), int(split["dmde_block"])

    rows: list[tuple[str, int, int]] = []
    total = odd = 0
    for split in sorted(splits, key=order):
        rows.append(
            (str(split["dmde_file"]), int(split["dmde_block"]), total - int(split["first"]))
        )
        total += int(split["n"])
        odd += int(split["odd"] or 0)
    shift = spark.createDataFrame(rows, "dmde_file string, dmde_block bigint, dmde_shift bigint")
    # A broadcast join keeps each task's rows where and in the order they were read: no sort.
    numbered = read.join(f.broadcast(shift), ["dmde_file", "dmde_block"]).select(
        (f.col("dmde_id") + f.col("dmde_shift") + f.lit(1)).alias(_ROW), *columns
    )
    return numbered, total, odd


def _repeated(spark: SparkSession) -> tuple[int, list[tuple[int, list[int]]]]:
    """How many dossier_id values are on several rows, and the first four (smallest first)
    with their first four rows.

    The count is one aggregate of the ids (no sort, no list of rows); the rows of the first
    four are looked for only when there are some."""
    count = (
        f"SELECT COUNT(*) AS n FROM (SELECT `dossier_id` FROM `{INPUT_TABLE}` "
        "WHERE `dossier_id` IS NOT NULL GROUP BY `dossier_id` HAVING COUNT(*) > 1)"
    )
    if not spark.sql(count).collect()[0]["n"]:
        return 0, []
    query = (
        "SELECT `dossier_id`, COUNT(*) OVER () AS total, "
        f"SLICE(SORT_ARRAY(COLLECT_LIST(`{_ROW}`)), 1, 4) AS r "
        f"FROM `{INPUT_TABLE}` WHERE `dossier_id` IS NOT NULL GROUP BY `dossier_id` "
        "HAVING COUNT(*) > 1 ORDER BY `dossier_id` LIMIT 4"
    )
    found = spark.sql(query).collect()
    total = int(found[0]["total"]) if found else 0
    return total, [(int(r["dossier_id"]), [int(x) for x in r["r"]]) for r in found]


# --------------------------------------------------------------------------------------------
# Scores and rejects out of Spark
def _spark_sql(query: exp.Expr) -> str:
    return query.sql(dialect="spark")


def _rejects(spark: SparkSession, model: Model, order: Sequence[str]) -> pa.Table:
    """The reject lines, sorted by row and the file's column order (:data:`REJECT_SCHEMA`).

    The rows that break a rule are set apart first (:func:`~dmde.model.sql.valid_condition`
    false or unknown): the rejects query, one pass per column, then reads only them."""
    fine = exp.func("COALESCE", valid_condition(model, columns=order), exp.false())
    bad = exp.select("*").from_(table_reference(INPUT_TABLE)).where(exp.not_(fine))
    rows = spark.sql(_spark_sql(bad)).persist()
    try:
        if rows.count() == 0:  # nothing refused: no query of the lines to plan
            return REJECT_SCHEMA.empty_table()
        rows.createOrReplaceTempView(BAD_TABLE)
        query = rejects_query(
            model, table=BAD_TABLE, dialect="spark", columns=order, row_column=_ROW
        )
        table = spark.sql(_spark_sql(query)).toArrow()
    finally:
        spark.catalog.dropTempView(BAD_TABLE)
        rows.unpersist()
    return rejects_as_python(table.select(REJECT_SCHEMA.names).cast(REJECT_SCHEMA))


def _write_scores(spark: SparkSession, model: Model, reasons: int, folder: Path) -> list[Path]:
    """Spark writes the scores of the valid rows as Parquet part-files in ``folder``; their
    paths, in row order.

    Each task of the read is one split of a file (:func:`_one_split_per_task`), read in order,
    and the query keeps it a task of its own (no exchange, no sort): each part-file is one range
    of rows, in order. The part-files are put in the order of their first rows. No global sort:
    Spark's would sample the rows and move them all. Should a part-file's rows not be in order,
    or two part-files' ranges overlap (a Spark that packs several splits in a task), the scores
    are written again, sorted by ranges of rows; :func:`_scores` checks the rows increase.
    """
    query = scorecard_query(
        model,
        table=INPUT_TABLE,
        dialect="spark",
        reasons=reasons,
        valid_only=True,
        extra_columns=[_ROW],
        points_columns=False,
    )
    scored = spark.sql(_spark_sql(query))
    scored.write.mode("overwrite").parquet(str(folder))
    parts = _parts_in_order(folder)
    if parts is None:  # not seen: one split per task makes each part-file a range
        pieces = max(spark.sparkContext.defaultParallelism, len(list(folder.glob("part-*"))))
        ranges = scored.repartitionByRange(pieces, _ROW).sortWithinPartitions(_ROW)
        ranges.write.mode("overwrite").parquet(str(folder))
        parts = _parts_in_order(folder)
    return parts or []


def _parts_in_order(folder: Path) -> list[Path] | None:
    """The part-files holding rows, by their first row; None if a part-file's rows are not in
    order, or two part-files hold overlapping ranges."""
    ranges = []
    for part in folder.glob("part-*.parquet"):
        rows = pq.read_table(part, columns=[_ROW]).column(0).combine_chunks()
        if len(rows) > 1 and not pc.all(pc.greater(rows[1:], rows[:-1])).as_py():
            return None
        if len(rows):
            low, high = pc.min_max(rows).values()
            ranges.append((int(low.as_py()), int(high.as_py()), part))
    ranges.sort()
    if any(later[0] <= before[1] for before, later in pairwise(ranges)):
        return None
    return [part for _, _, part in ranges]


def _scores(
    parts: Sequence[Path], model: Model, reasons: int, batch_size: int
) -> Iterator[pa.Table]:
    """The part-files' rows, one batch at a time, as tables of :func:`scores_schema`."""
    schema = scores_schema(reasons)
    previous = -1
    for part in parts:
        for batch in pq.ParquetFile(part).iter_batches(batch_size=batch_size):
            if batch.num_rows == 0:
                continue
            rows = batch.column(_ROW)
            if pc.min(rows).as_py() <= previous:  # pragma: no cover - see _write_scores
                raise SchemaError(
                    f"Spark wrote row {pc.min(rows).as_py()} after row {previous}; nothing was "
                    "written. Please report it, and score with --engine python meanwhile."
                )
            previous = pc.max(rows).as_py()
            columns = {name: batch.column(name) for name in schema.names}
            columns["probability"] = pa.array(probability_of_scores(model, batch), pa.float64())
            yield pa.table([columns[n] for n in schema.names], names=schema.names).cast(schema)


# --------------------------------------------------------------------------------------------
def score_file_spark(
    model: Model | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    rejects: str | os.PathLike[str] | None = None,
    reasons: int = 3,
    batch_size: int = BATCH_ROWS,
    progress: Progress | None = None,
    verify_key: str | os.PathLike[str] | None = None,
    master: str | None = None,
    session: SparkSession | None = None,
) -> SparkScoringResult:
    """Score a CSV or Parquet file, or a folder of them, with Spark; write scores, rejects and
    a manifest.

    The parameters and outputs are those of :func:`dmde.batch.scoring.score_file` (the manifest
    also records ``"engine": "spark"`` and ``"spark_master"``). A file Spark does not read as
    the Python engine does is scored by the Python engine, and the result says so; such a folder
    is refused (see the module docstring).

    Parameters
    ----------
    model : Scorecard, ScorecardFamily or path of a model file
    input_path : path
        The households to score: a CSV or Parquet file, or a folder of them (hive partitions
        such as ``snapshot_month=2025-01/`` are read as columns).
    output : path
        The scores file (``.parquet`` or ``.csv``), one file.
    rejects : path, optional
        Where rejected rows go (default: ``<output name>.rejects.csv`` beside the output).
    reasons : int, default 3
        Reason codes per row.
    batch_size : int
        Rows per batch written (one Parquet row group each); the driver holds one at a time.
    progress : callable, optional
        Called once with the number of rows read, at the end.
    verify_key : path, optional
        A public key file: the model must be signed by it.
    master : str, optional
        The Spark master of a new session (default :data:`DEFAULT_MASTER`, ``local[2]``).
    session : SparkSession, optional
        A running session to use (and leave running). Without it, the session running in this
        process is used (and left running), else one is started on ``master`` and stopped at
        the end.

    Returns
    -------
    SparkScoringResult

    Raises
    ------
    DmdeError
        Without pyspark or a Java runtime (naming what to install).
    """
    if session is not None and master is not None:
        raise ParameterError(
            "master",
            "no master with a session (the session has its own)",
            master,
            fix="Give either a running session or a master URL.",
        )
    source_path = Path(input_path)
    if source_path.is_dir():
        begun, source = _start_folder(
            model, source_path, output, rejects=rejects, reasons=reasons, verify_key=verify_key
        )
    else:
        begun = start_scoring(
            model, input_path, output, rejects=rejects, reasons=reasons, verify_key=verify_key
        )
        kind = str(EXTENSIONS[begun.source.suffix.lower()])
        source = _Input(begun.source, (begun.source,), kind, folder=False)
    out, rejects_out, loaded = begun.out, begun.rejects, begun.model
    columns, header = begun.columns, begun.header
    order = [name for name in header if name in columns]  # a row's reject lines: file order
    running = session or _pyspark().SparkSession.getActiveSession()
    own = running is None
    spark = running if running is not None else spark_session(master or DEFAULT_MASTER)
    used_master = str(spark.sparkContext.master)
    if master is not None and used_master != master:
        raise ParameterError(
            "master",
            f"the master of the Spark session running in this process ({used_master})",
            master,
            fix="Spark runs one session per process: stop it first, or drop the master.",
        )

    def python_engine(why: str) -> SparkScoringResult:
        if source.folder:
            raise SchemaError(
                f"{source.root}: Spark does not read this folder as dmde reads files ({why}); "
                "nothing was written. Score its files one by one with --engine python, which "
                "lists each problem row, or fix them (dmde validate).",
                path=str(source.root),
            )
        result = score_file(
            loaded,
            source.root,
            out,
            rejects=rejects_out,
            reasons=reasons,
            batch_size=batch_size,
            progress=progress,
        )
        return SparkScoringResult(**vars(result), engine="python", fallback=why)

    # A CSV row with too many fields is a corrupt record only if Spark splits every field;
    # each task reads one split of a file (its rows a range, in order: no sort to restore it).
    settings = {_CSV_PRUNING: "false", **_one_split_per_task(spark, source)}
    before = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="dmde-spark-") as spill,
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            try:
                _check_files(source, columns)
                fingerprint = pool.submit(_fingerprint, source)  # while Spark reads
                read = _read(spark, source, order)
                if source.kind == "csv":  # parsed once; Parquet is read again at each pass
                    read = read.persist()
                try:
                    numbered, n_rows, odd = _numbered(spark, read, source, order)
                    if odd:
                        raise _FallbackError(
                            f"{odd:,} rows hold a value that Spark and Arrow read differently"
                        )
                    digest, lines, not_utf8 = fingerprint.result()
                    if not_utf8:
                        raise _FallbackError(not_utf8)
                    if source.kind == "csv" and lines != n_rows:
                        raise _FallbackError(
                            f"{lines:,} lines of data but Spark read {n_rows:,} rows"
                        )
                    numbered.createOrReplaceTempView(INPUT_TABLE)  # the cached rows, numbered
                    repeated, shown = _repeated(spark)
                    if repeated and not source.folder:  # the Python engine's words for it
                        raise _FallbackError(f"{repeated:,} dossier_id values are on several rows")
                    if repeated:
                        raise SchemaError(_repeated_message(source.root, repeated, shown))
                    with FileSet(error=SchemaError) as files:
                        rejected = _rejects(spark, loaded, order)
                        n_rejected = (
                            len(pc.unique(rejected.column("row"))) if rejected.num_rows else 0
                        )
                        parts = _write_scores(spark, loaded, reasons, Path(spill) / "scores")
                        n_scored = write_batches(
                            out,
                            _scores(parts, loaded, reasons, batch_size),
                            schema=scores_schema(reasons),
                            files=files,
                        )
                        write_batches(rejects_out, [rejected], schema=REJECT_SCHEMA, files=files)
                        if progress:
                            progress(n_rows)
                        seconds = time.perf_counter() - begun.started
                        counts = (n_rows, n_scored, n_rejected, rejected.num_rows)
                        record = begun.record(
                            input_sha256=digest,
                            counts=counts,
                            reasons=reasons,
                            seconds=seconds,
                            engine="spark",
                        )
                        record = {**record, "spark_master": used_master}
                        manifest = land_run(files, manifest_path(out), record, error=SchemaError)
                finally:
                    read.unpersist()
                    spark.catalog.dropTempView(INPUT_TABLE)
            except _FallbackError as why:
                return python_engine(str(why))
    finally:
        if own:  # started here: stopped here; a session found running is left running
            spark.stop()
        else:
            for key, previous in before.items():
                if previous is None:
                    spark.conf.unset(key)
                else:
                    spark.conf.set(key, previous)
    if n_scored + n_rejected != n_rows:  # pragma: no cover - the queries partition the rows
        raise SchemaError(
            f"{source.root}: {n_rows} rows read, {n_scored} scored, {n_rejected} rejected"
        )
    return SparkScoringResult(
        str(out), str(rejects_out), str(manifest), n_rows, n_scored, n_rejected, seconds
    )


def _repeated_message(root: Path, n: int, found: Sequence[tuple[int, list[int]]]) -> str:
    """The Python engine's words for a dossier_id on several rows, for a folder's rows."""
    shown = "; ".join(
        f"{value} (rows {', '.join(str(r) for r in rows)})" for value, rows in found[:3]
    )
    return (
        f"{root}: {n:,} dossier_id value{'s' if n > 1 else ''} "
        f"appear{'' if n > 1 else 's'} on several rows (numbered across the folder's files): "
        f"{shown}{'; ...' if n > 3 else ''}. Each file must appear once: fix the files; "
        "nothing was written."
    )
