"""Batch scoring with DuckDB (embedded): the same scores, rejects and manifest as the Python engine.

:func:`score_file_duckdb` runs one DuckDB query over a CSV or Parquet file
(:func:`duckdb_scoring_sql`): it reads the file once, with all of DuckDB's threads, converts
the columns, checks each row with the catalog rules written as SQL
(:func:`dmde.model.sql.rule_columns`, :func:`dmde.model.sql.reject_lines`) and gives each
feature's points with the model's SQL (:func:`dmde.model.sql.scorecard_query`). The rows stream
back in file order (DuckDB keeps it for a query that only selects and converts; the engine
numbers them as they come): nothing is stored in DuckDB, no second pass reads the file. The
engine keeps each rejected row's lines, ranks the reasons of the scored rows with the Python
engine's own function (:func:`dmde.model.scored.top_reasons`) and writes the scores with the
writer the Python engine uses (:func:`dmde.data.writing.write_batches`), with the scores file's
schema (:func:`dmde.batch.scoring.scores_schema`), while DuckDB reads on. It reads the same
columns as the Python engine (:func:`dmde.batch.scoring.needed_columns`): the other columns of a
CSV file are split but never converted, those of a Parquet file never read.

What is the same as :func:`dmde.batch.scoring.score_file`, on the same input and model: the
scored rows, in file order, with the same ``score`` (to the cent: the points are summed as exact
decimals), ``probability`` (computed from the score with the model's scaling, numpy's ``exp``:
an engine's ``EXP`` can differ in the last bit), reasons and their points (each feature's
points less its reference, ranked by ``top_reasons``); the rejects, line for line (row,
dossier_id, column, value, rule, reason), in the same order; the counts of the manifest. A CSV
scores file and the rejects file are byte-identical; a Parquet scores file has the same schema
and values but its row groups and dictionaries are the engine's (row groups of about
``batch_size`` rows; ``caf_code`` and ``segment`` keep every level in their dictionary).

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
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from dmde.batch.engine_parity import EngineScoringResult, parquet_fits, rejects_as_python
from dmde.batch.scoring import score_file, scores_schema, start_scoring
from dmde.core.errors import SchemaError
from dmde.core.files import FileSet
from dmde.data.catalog import CATALOG
from dmde.data.manifest import land_run, manifest_path, sha256_file
from dmde.data.opening import data_lines
from dmde.data.reading import REJECT_SCHEMA, read_batches
from dmde.data.rules import repeated_values
from dmde.data.schema import BATCH_ROWS, EXTENSIONS
from dmde.data.writing import write_batches
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.scored import top_reasons
from dmde.model.sql import REJECT_LINE_FIELDS, reject_lines, rule_columns, scorecard_query

__all__ = ["DuckdbScoringResult", "duckdb_input_sql", "duckdb_scoring_sql", "score_file_duckdb"]

Model = Scorecard | ScorecardFamily
Progress = Callable[[int], None]

# The steps of the one query (common table expressions) and its two columns beside the scores.
_TYPED, _CHECKED, _LINES = "dmde_typed", "dmde_checked", "dmde_lines"
_ODD = "dmde_odd_number"
_REJECTS = "dmde_rejects"
_ZERO = pa.scalar(0.0, pa.float64())
_MANY_LEVELS = 8  # a level rule over more levels than this is checked with an ENUM
_AHEAD = "64MB"  # what DuckDB may hold of the query's result that Python has not taken yet
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
class DuckdbScoringResult(EngineScoringResult):
    """What a scoring run did (see :class:`~dmde.batch.scoring.ScoringResult`), and which engine
    wrote the outputs: ``"duckdb"``, or ``"python"`` with the reason in ``fallback``."""

    engine: str = "duckdb"


# --------------------------------------------------------------------------------------------
# Reading the file into DuckDB
def duckdb_input_sql(
    source: str | os.PathLike[str], columns: Sequence[str], header: Sequence[str]
) -> str:
    """The DuckDB query that reads ``columns`` of a CSV or Parquet file, in file order.

    A CSV file is read with every option fixed (no sniffing): comma, double quotes, a header,
    every column as text (the other columns are never converted), empty fields as NULL; the
    ``columns`` are then converted to the catalog's types. DuckDB converts some spellings that
    Arrow, which the Python engine reads with, refuses (``3.5`` or ``1e3`` in an integer column,
    ``1_000``): the column ``dmde_odd_number`` is true on a row that holds one, an integer whose
    text is not the integer's own text or a number with an underscore, and the engine then hands
    the file to the Python engine. The query has no row number: it only selects and converts,
    which DuckDB does in file order (the engine numbers the rows as they come), and so reads the
    file with all its threads. The path and the header's names are literals of the syntax tree:
    they cannot inject SQL.
    """
    return _input_select(source, columns, header).sql(dialect="duckdb")


def _input_select(
    source: str | os.PathLike[str], columns: Sequence[str], header: Sequence[str]
) -> exp.Select:
    path = exp.Literal.string(os.fspath(source))
    odd: list[exp.Expr] = []
    if EXTENSIONS[Path(source).suffix.lower()] == "parquet":
        reader: exp.Expr = exp.Anonymous(this="read_parquet", expressions=[path])
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
        typed = [_typed(name, try_cast=True) for name in columns]
        odd = [_odd(name) for name in columns if CATALOG[name].dtype not in ("category", "string")]
    flag = exp.or_(*odd, copy=False) if odd else exp.false()
    return exp.select(*typed, exp.alias_(flag, _ODD, quoted=True, copy=False), copy=False).from_(
        reader, copy=False
    )


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
    fine: exp.Expr = exp.Is(this=text.copy(), expression=exp.null())
    if kind == "BIGINT":  # a single digit is its integer's text: no round trip (flags, counts)
        digit = exp.and_(
            exp.EQ(this=exp.func("length", text.copy()), expression=exp.Literal.number(1)),
            exp.Between(
                this=text.copy(), low=exp.Literal.string("0"), high=exp.Literal.string("9")
            ),
            copy=False,
        )
        fine = exp.or_(fine, exp.paren(digit, copy=False), copy=False)
    return exp.Case(ifs=[exp.If(this=fine, true=exp.false())], default=differs)


def duckdb_scoring_sql(
    model: Model, source: str | os.PathLike[str], columns: Sequence[str], header: Sequence[str]
) -> str:
    """The one DuckDB query that reads the file and gives every row's score and reject lines.

    Its rows are the file's, in file order, with the columns ``dmde_odd_number`` (see
    :func:`duckdb_input_sql`), ``dmde_rejects`` (NULL for a row the model scores, else its
    reject lines: :func:`dmde.model.sql.reject_lines`, in the order of ``columns``),
    ``dossier_id``, ``caf_code`` and ``segment`` (as ENUMs: Arrow dictionaries, the scores
    file's type), ``score`` and ``points_<feature>`` for each feature (a double), from which
    the engine ranks the reasons (:func:`dmde.model.scored.top_reasons`, the Python engine's
    function) and computes the probability. The file is read once, by all of DuckDB's threads,
    and streamed: nothing is stored in between.
    """
    typed = _input_select(source, columns, header)
    rules = [
        rule.transform(_level_as_enum, copy=False) for rule in rule_columns(model, columns=columns)
    ]
    checked = exp.select("*", *rules, copy=False).from_(_TYPED, copy=False)
    lines = exp.select(
        "*", exp.alias_(reject_lines(model, columns=columns), _REJECTS, quoted=True), copy=False
    ).from_(_CHECKED, copy=False)
    query = scorecard_query(
        model,
        table=_LINES,
        extra_columns=[_ODD, _REJECTS],
        points_columns=True,
    )
    ctes = query.args["with_"]
    ours = [
        exp.CTE(this=q, alias=exp.TableAlias(this=exp.to_identifier(n)))
        for n, q in ((_TYPED, typed), (_CHECKED, checked), (_LINES, lines))
    ]
    ctes.set("expressions", [*ours, *ctes.expressions])
    segments = list(model.segments_) if isinstance(model, ScorecardFamily) else ["all"]
    enums = {"caf_code": list(CATALOG["caf_code"].levels), "segment": segments}
    outputs = [_output(e, enums) for e in query.expressions if e.alias_or_name != "probability"]
    query.set("expressions", outputs)
    return query.sql(dialect="duckdb")


def _level_as_enum(node: exp.Expr) -> exp.Expr:
    """``NOT x IN (<many levels>)`` as ``x IS NOT NULL AND TRY_CAST(x AS ENUM(<levels>)) IS
    NULL``: the same truth for every value but NULL, where both let the rule pass (the
    ``missing_value`` rule comes first), and one hash lookup instead of a comparison per level
    (the 101 Caf codes)."""
    inner = node.this if isinstance(node, exp.Not) else None
    if not isinstance(inner, exp.In) or len(inner.expressions) < _MANY_LEVELS:
        return node
    levels = [e for e in inner.expressions if isinstance(e, exp.Literal) and e.is_string]
    if len(levels) != len(inner.expressions) or len({e.this for e in levels}) != len(levels):
        return node
    kind = exp.DataType(this=exp.DataType.Type.ENUM, expressions=[e.copy() for e in levels])
    value = inner.this
    return exp.and_(
        exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())),
        exp.Is(this=exp.TryCast(this=value.copy(), to=kind), expression=exp.null()),
        copy=False,
    )


def _output(column: exp.Expr, enums: dict[str, list[str]]) -> exp.Expr:
    """An output column as the engine reads it: ``caf_code`` and ``segment`` as DuckDB ENUMs of
    their values (NULL for another value: a rejected row's), the points of a feature as a
    double (the Python scorer's value of the published decimal), the others as they are."""
    name = column.alias_or_name
    if name in enums:
        kind = exp.DataType(
            this=exp.DataType.Type.ENUM, expressions=[exp.Literal.string(v) for v in enums[name]]
        )
    elif name.startswith("points_"):
        kind = exp.DataType.build("DOUBLE")
    else:
        return column
    return exp.alias_(exp.TryCast(this=column.unalias(), to=kind), name, quoted=True, copy=False)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Scores and rejects out of DuckDB, as the rows come
class _Stream:
    """The rows of :func:`duckdb_scoring_sql` as they come: the scores of the valid rows, as
    tables of :func:`scores_schema`, while the reject lines, the dossier_ids and the number of
    rows read are kept. A row DuckDB reads differently, or an error of DuckDB while reading,
    raises :class:`_FallbackError`."""

    def __init__(self, reader: Any, model: Model, reasons: int, batch_size: int) -> None:
        self._reader = reader
        self._model = model
        self._reasons = reasons
        self._batch_size = batch_size
        self._schema = scores_schema(reasons)
        self._segments: dict[str, Scorecard] = (
            dict(model.models_) if isinstance(model, ScorecardFamily) else {"all": model}
        )
        features = list(model.features_)
        # Each segment's reference points (a row per segment, in this order), NaN for a
        # feature the segment does not read.
        self._reference = np.full((len(self._segments), len(features)), np.nan)
        for s, scorecard in enumerate(self._segments.values()):
            for f, value in zip(scorecard.features_, scorecard.reference_points_, strict=True):
                self._reference[s, features.index(f)] = value
        self._partial = bool(np.isnan(self._reference).any())
        rank = {f: j for j, f in enumerate(features)}
        self._in_order = all(
            [rank[f] for f in s.features_] == sorted(rank[f] for f in s.features_)
            for s in self._segments.values()
        )
        self.rows = 0
        self.rejected = 0
        self.rejects: list[pa.Table] = []
        self.ids: list[Any] = []

    def scores(self) -> Iterator[pa.Table]:
        """The scores, in tables of about ``batch_size`` rows (DuckDB's batches are smaller)."""
        waiting: list[pa.RecordBatch] = []
        rows = 0
        for batch in self._batches():
            valid = self._take(batch)
            if valid.num_rows:
                waiting.append(valid)
                rows += valid.num_rows
            if rows >= self._batch_size:
                yield self._score(waiting)
                waiting, rows = [], 0
        if waiting:
            yield self._score(waiting)

    def _batches(self) -> Iterator[pa.RecordBatch]:
        """DuckDB's batches; an error of DuckDB's while it reads the file (a value it cannot
        convert, a row with too many fields, bytes that are not UTF-8) is a fallback."""
        batches = iter(self._reader)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (duckdb.Error, pa.ArrowException) as exc:
                why = f"DuckDB cannot read the file as typed: {_first_line(exc)}"
                raise _FallbackError(why) from None
            yield batch

    def _take(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The valid rows of one batch of DuckDB's; its reject lines and ids are kept."""
        if pc.any(batch.column(_ODD)).as_py():
            odd = pc.sum(batch.column(_ODD)).as_py()
            raise _FallbackError(
                f"{odd:,} rows (from row {self.rows + 1:,} on) hold a number that DuckDB and "
                "Arrow read differently"
            )
        ids = batch.column("dossier_id")
        # A copy: a column of DuckDB's batch holds the memory of the whole batch.
        self.ids.append((ids.drop_null() if ids.null_count else ids).to_numpy().copy())
        lines = batch.column(_REJECTS)
        if lines.null_count < batch.num_rows:
            self._reject(batch, lines)
            batch = batch.filter(pc.is_null(lines))
        self.rows += len(lines)
        return batch

    def _reject(self, batch: pa.RecordBatch, lines: Any) -> None:
        flat: pa.StructArray = pc.list_flatten(lines)
        parents = pc.list_parent_indices(lines)
        fields = {name: flat.field(name) for name in REJECT_LINE_FIELDS}
        table = pa.table(
            {
                "row": pc.add(parents.cast(pa.int64()), self.rows + 1),
                "dossier_id": batch.column("dossier_id").take(parents),
                **fields,
            }
        ).filter(pc.is_valid(fields["rule"]))
        self.rejected += len(pc.unique(table.column("row")))
        self.rejects.append(table.cast(REJECT_SCHEMA))

    def _score(self, batches: list[pa.RecordBatch]) -> pa.Table:
        """The scores file's columns: the probability and the reasons computed as the Python
        engine computes them, from the score and the points of each feature."""
        table = pa.Table.from_batches(batches).combine_chunks()
        n = table.num_rows
        features = list(self._model.features_)
        k = min(self._reasons, len(features))
        score = table.column("score").to_numpy()
        segment: Any = table.column("segment").chunk(0)  # a DictionaryArray (an ENUM)
        codes = segment.indices.to_numpy(zero_copy_only=False)
        names = segment.dictionary.to_pylist()
        rows_of = {name: np.flatnonzero(codes == names.index(name)) for name in self._segments}
        order = list(self._segments)
        of_code = np.asarray([order.index(name) for name in names], dtype=np.intp)
        segment_of = of_code[codes]  # each row's segment, by its place in self._segments
        probability = np.empty(n, dtype=np.float64)
        for name, rows in rows_of.items():
            probability[rows] = self._segments[name].scaling_.probability(score[rows])
        index, value = self._ranked(table, segment_of, rows_of, k)
        arrays: list[Any] = [
            table.column("dossier_id"),
            table.column("caf_code"),
            segment,
            table.column("score"),
            pa.array(probability, pa.float64()),
        ]
        feature_names = pa.array(features, pa.string())
        labels = pa.array([CATALOG[f].label for f in features], pa.string())
        for i in range(self._reasons):
            chosen = index[:, i] if i < k else np.full(n, -1, dtype=np.int32)
            points = np.round(value[:, i], 2) if i < k else np.full(n, np.nan)
            where = pa.array(chosen, pa.int32(), mask=chosen < 0)
            arrays += [
                pa.DictionaryArray.from_arrays(where, feature_names),
                pa.DictionaryArray.from_arrays(where, labels),
                pa.array(points, pa.float64(), mask=np.isnan(points)),
            ]
        return pa.Table.from_arrays(arrays, names=self._schema.names)

    def _ranked(
        self, table: pa.Table, segment_of: npt.NDArray[np.intp], rows_of: dict[str, Any], k: int
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        """The ``k`` reasons of each row (positions in the model's ``features_``, -1 for none)
        and their excess, by :func:`top_reasons` as the Python engine ranks them: each row
        among its segment's features, ties to the one its scorecard lists first. The excess
        of a feature is its points less the segment's reference (the Python scorer's
        subtraction); -inf for a feature the row's segment does not read."""
        features = list(self._model.features_)
        n = table.num_rows
        columns = [table.column(f"points_{f}") for f in features]
        excess = np.column_stack(
            [c.fill_null(_ZERO).to_numpy() if c.null_count else c.to_numpy() for c in columns]
        )
        reference = self._reference[segment_of]
        np.subtract(excess, reference, out=excess)
        if self._partial:  # a feature the row's segment does not read: never a reason
            np.copyto(excess, -np.inf, where=np.isnan(reference))
        if self._in_order:  # one pass: the family's order is each scorecard's
            return top_reasons(excess, k)
        index = np.full((n, k), -1, dtype=np.int32)
        value = np.full((n, k), np.nan, dtype=np.float64)
        for name, rows in rows_of.items():
            scorecard = self._segments[name]
            k_own = min(k, len(scorecard.features_))
            if not rows.size or not k_own:
                continue
            local = np.asarray([features.index(f) for f in scorecard.features_], dtype=np.int32)
            chosen, points = top_reasons(excess[np.ix_(rows, local)], k_own)
            index[rows, :k_own] = np.where(chosen >= 0, local[chosen], -1)
            value[rows, :k_own] = points
        return index, value

    def repeated_ids(self) -> int:
        """How many dossier_id values are on several rows."""
        ids = np.concatenate(self.ids) if self.ids else np.empty(0, dtype=np.int64)
        if ids.size < 2 or bool(np.all(ids[1:] > ids[:-1])):  # in order: none repeated, no sort
            return 0
        return int(repeated_values(ids).size)

    def rejects_table(self) -> pa.Table:
        if not self.rejects:
            return REJECT_SCHEMA.empty_table()
        return rejects_as_python(pa.concat_tables(self.rejects))


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
        Rows per batch written, at least (DuckDB's smaller batches are gathered into one;
        one Parquet row group each).
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

    if EXTENSIONS[source.suffix.lower()] == "parquet":
        why = parquet_fits(source, order)
        if why:
            return python_engine(why)
    query = duckdb_scoring_sql(loaded, source, order, header)
    fallback: str | None = None
    with (
        tempfile.TemporaryDirectory(prefix="dmde-duckdb-") as spill,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        hashing = pool.submit(sha256_file, source)  # while DuckDB reads
        csv = EXTENSIONS[source.suffix.lower()] == "csv"
        lines = pool.submit(data_lines, source) if csv else None
        config: dict[str, Any] = {"temp_directory": spill}
        if threads is not None:
            config["threads"] = int(threads)
        con = duckdb.connect(config=config)
        con.execute("SET enable_progress_bar = false").fetchall()  # an unattended job
        # DuckDB reads on while Python ranks and writes a batch (up to about a batch ahead).
        con.execute(f"SET streaming_buffer_size = '{_AHEAD}'").fetchall()
        try:
            try:
                with FileSet(error=SchemaError) as files:
                    try:
                        reader = con.sql(query).to_arrow_reader(batch_size)
                    except duckdb.Error as exc:
                        raise _FallbackError(
                            f"DuckDB cannot read the file as typed: {_first_line(exc)}"
                        ) from None
                    stream = _Stream(reader, loaded, reasons, batch_size)
                    n_scored = write_batches(
                        out, stream.scores(), schema=scores_schema(reasons), files=files
                    )
                    n_rows, n_rejected = stream.rows, stream.rejected
                    if lines is not None and lines.result() - 1 != n_rows:  # less the header
                        raise _FallbackError(
                            f"{lines.result() - 1:,} lines of data but DuckDB read {n_rows:,} rows"
                        )
                    repeated = stream.repeated_ids()
                    if repeated:
                        raise _FallbackError(f"{repeated:,} dossier_id values are on several rows")
                    rejected = stream.rejects_table()
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
            except _FallbackError as why:
                fallback = str(why)
        finally:
            con.close()  # before the Python engine runs: DuckDB's memory is given back
    if fallback is not None:
        return python_engine(fallback)
    if n_scored + n_rejected != n_rows:  # pragma: no cover - one query partitions the rows
        raise SchemaError(f"{source}: {n_rows} rows read, {n_scored} scored, {n_rejected} rejected")
    return DuckdbScoringResult(
        str(out), str(rejects_out), str(manifest), n_rows, n_scored, n_rejected, seconds
    )
