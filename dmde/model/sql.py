"""The published model as SQL: one readable query that scores a table where it lives.

A points scorecard is a SQL expression: one ``CASE`` per feature, a sum, a logistic. The query is
built as a :mod:`sqlglot` syntax tree (never by pasting text): every column and table name is a
quoted identifier and every value a literal, so no name can inject SQL. It is then written in the
dialect asked for (``duckdb``, ``postgres``, ``spark``, ``bigquery``, ``tsql``, ... any dialect
sqlglot knows). It reads only the model's columns (its features, the routing column, and
``dossier_id`` and ``caf_code`` which it carries to the output).

:func:`scorecard_sql` gives, for each row: ``dossier_id``, ``caf_code``, ``segment``, one column
``points_<feature>`` per feature (the points of the row's bin), ``score`` (the intercept plus
those points), ``probability``, and with ``reasons=k`` the columns ``reason_<i>_feature``,
``reason_<i>_label`` and ``reason_<i>_points`` of the scores file (:mod:`dmde.batch.scoring`).
:func:`rejects_sql` lists the values the catalog refuses, one line per value, as the rejects
file does. Both start with a comment naming the model's SHA-256 and the dmde version.

How the query reproduces the Python scorer exactly:

- a numeric bin ``i`` holds ``edges[i-1] <= x < edges[i]``: ``CASE WHEN x IS NULL THEN <missing>
  WHEN x < e0 THEN p0 WHEN x < e1 THEN p1 ... ELSE p_last END``; every edge is written
  ``CAST('<shortest decimal>' AS DOUBLE)``, which every engine reads as the very same double;
- a categorical bin is a list of levels, ``x IN (...)``; a level of the catalog that the model
  never saw gets the bin's ``default_bin``; NULL gets the missing bin;
- points are exact decimals (``DECIMAL(18, d)``) and their sum is exact, so the score is the
  Python side's rounded sum to the cent (both are the nearest double of the same decimal);
- the probability is ``1 / (1 + EXP(-(score - offset) / factor))``: the same operations as
  :meth:`PointsScaling.probability <dmde.model.scaling.PointsScaling.probability>`; an
  engine's ``EXP`` may differ from numpy's in the last bit (about 1 row in 25 differs by
  1e-16 relative), which is why the DuckDB engine recomputes it from the score with numpy;
- a reason is a feature whose points exceed its reference; they are ranked by that excess,
  largest first, ties to the feature that comes first in the model, as
  :func:`~dmde.model.scored.top_reasons` does; the points shown are the excess rounded half to
  even on ``excess * 100``, as ``numpy.round(excess, 2)``.

What the query does not do: the reading of a file (types, a row with the wrong number of
fields, bytes that are not UTF-8), which the engine that reads the file does; the rule
``pattern`` is written with ``REGEXP_LIKE`` (whose flavour of regular expressions is the
engine's), and the "leading zeros lost?" hint of a reject is given for category columns only.
A NaN in a numeric column is refused by the range rule (every engine sorts NaN above every
number); the scoring query itself would put it in the last bin, not the missing bin.

Examples
--------
>>> from dmde.data.synthetic import synthesize
>>> from dmde.model.scorecard import Scorecard
>>> df = synthesize(5_000, seed=1, controls=0, with_truth=True)
>>> model = Scorecard(features=["n_children", "household_type"])
>>> model = model.fit(df, df["truth_target"])
>>> query = scorecard_sql(model, table="households", dialect="postgres")
>>> query.startswith("-- dmde scorecard: model sha256 unsaved, dmde ")
True
>>> '"points_n_children"' in query, 'FROM "households"' in query
(True, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal

import sqlglot
from sklearn.utils.validation import check_is_fitted
from sqlglot import exp

from dmde._version import __version__
from dmde.core.errors import ParameterError, SchemaError
from dmde.data.catalog import CATALOG, Column
from dmde.data.rules import _message, lost_zeros_hint
from dmde.model.bins import FeatureBinning
from dmde.model.family import ScorecardFamily
from dmde.model.logistic import Scorecard
from dmde.model.scored import check_reasons

__all__ = [
    "REJECT_LINE_FIELDS",
    "carried_columns",
    "check_dialect",
    "reject_lines",
    "rejects_query",
    "rejects_sql",
    "rule_columns",
    "scorecard_query",
    "scorecard_sql",
    "table_reference",
    "valid_condition",
]

Model = Scorecard | ScorecardFamily
TableName = str | Sequence[str]

#: The points of a feature are exact decimals of this precision (digits in all).
POINTS_PRECISION = 18
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Below every excess over a reference: what a feature that is picked, or that the row's segment
#: does not read, counts for in the search of the largest excess.
_NONE = exp.cast(exp.Literal.string("-1e308"), exp.DataType.Type.DOUBLE)
_TEXT_TYPES = ("category", "string")


# --------------------------------------------------------------------------------------------
# Names and literals
def check_dialect(dialect: str) -> str:
    """``dialect`` if sqlglot knows it, else a ParameterError listing some it knows."""
    try:
        sqlglot.Dialect.get_or_raise(dialect)
    except ValueError:
        raise ParameterError(
            "dialect",
            "a SQL dialect that sqlglot knows (duckdb, postgres, spark, bigquery, tsql, ...)",
            dialect,
            fix="Give the warehouse's dialect, e.g. --dialect postgres.",
        ) from None
    return dialect


def table_reference(table: TableName, *, dialect: str = "duckdb") -> exp.Table:
    """A table name as a syntax-tree node whose every part is a quoted identifier.

    ``table`` is either a name read in ``dialect`` (``"warehouse.households"``; a part that is
    quoted there may hold dots or quotes), or the parts themselves (``["warehouse",
    "households"]``), taken literally. Anything that is not a plain table name (a subquery, a
    function, more than three parts) raises a ParameterError: the name can never carry SQL.

    Examples
    --------
    >>> table_reference('db."my table"').sql("duckdb")
    '"db"."my table"'
    >>> table_reference(["x; DROP TABLE y"]).sql("postgres")
    '"x; DROP TABLE y"'
    """
    if isinstance(table, str):
        try:
            node = exp.to_table(table, dialect=dialect)
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):  # e.g. a lone quote
            node = None
        parts = [] if node is None else [p for p in node.parts]
        if (
            node is None
            or not isinstance(node, exp.Table)
            or not all(isinstance(p, exp.Identifier) for p in parts)
            or node.args.get("alias")
        ):
            raise ParameterError(
                "table",
                "a table name (catalog.schema.table at most)",
                table,
                fix="Write it as the warehouse's SQL would (schema.table), with a part that "
                'holds special characters in double quotes, e.g. "my table".',
            )
        names = [str(p.name) for p in parts]
    else:
        names = [str(p) for p in table]
    if not 1 <= len(names) <= 3 or not all(names):
        raise ParameterError(
            "table", "a table name of 1 to 3 non-empty parts", table, fix="Name one table."
        )
    quoted = [exp.to_identifier(n, quoted=True) for n in names]
    return exp.Table(
        this=quoted[-1],
        db=quoted[-2] if len(quoted) > 1 else None,
        catalog=quoted[-3] if len(quoted) > 2 else None,
    )


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _name(expression: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(expression, name, quoted=True, copy=False)


def _text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _double(value: float) -> exp.Cast:
    """A double literal read the same by every engine: its shortest decimal, cast."""
    return exp.cast(exp.Literal.string(repr(float(value))), exp.DataType.Type.DOUBLE, copy=False)


def _integer(value: int) -> exp.Expr:
    return exp.Literal.number(int(value))


def _points(value: float, decimals: int) -> exp.Expr:
    """Published points as an exact decimal literal (``12.34``, ``-3.50``)."""
    scaled = round(float(value) * 10**decimals)
    if scaled / 10**decimals != float(value):
        raise ValueError(f"points {value!r} are not rounded to {decimals} decimals.")
    text = str(Decimal(scaled).scaleb(-decimals))
    if text.startswith("-"):
        return exp.Neg(this=exp.Literal.number(text[1:]))
    return exp.Literal.number(text)


def _decimal(decimals: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({POINTS_PRECISION}, {decimals})")


def _sum(terms: Sequence[exp.Expr]) -> exp.Expr:
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return total


def _and(conditions: Sequence[exp.Expr]) -> exp.Expr:
    return exp.and_(*conditions, copy=False) if conditions else exp.true()


# --------------------------------------------------------------------------------------------
# What the query reads
def _segments(model: Model) -> dict[str, Scorecard]:
    """The scorecard of each segment (``"all"`` for a single scorecard), checked: fitted, on
    catalog columns (a model fitted on a bare array reads anonymous columns, which no table
    has)."""
    if not isinstance(model, Scorecard | ScorecardFamily):  # e.g. a model by period
        raise SchemaError(
            f"a {type(model).__name__} has no SQL query (a model by period's points change "
            "with each file's month): dmde sql and dmde score --engine duckdb or spark take a "
            "scorecard or a family; score it with --engine python (each row's month, or --month)."
        )
    check_is_fitted(model)
    segments = dict(model.models_) if isinstance(model, ScorecardFamily) else {"all": model}
    for scorecard in segments.values():
        if not getattr(scorecard, "catalog_features_", False):
            raise SchemaError(
                "only a model fitted on a DataFrame of catalog columns can be written as SQL; "
                "this one was fitted on an array of anonymous columns. Fit it on a DataFrame."
            )
    return segments


def carried_columns(model: Model) -> tuple[str, ...]:
    """The columns the query reads, in catalog order: ``dossier_id``, ``caf_code``, the routing
    column of a family, and the features (as :func:`dmde.batch.scoring.needed_columns`)."""
    _segments(model)
    wanted = {"dossier_id", "caf_code", *model.features_}
    if isinstance(model, ScorecardFamily):
        wanted.add(model.segment_column)
    return tuple(c for c in CATALOG if c in wanted)


def _header(model: Model, what: str) -> str:
    digest = str(getattr(model, "model_sha256_", "unsaved"))
    if digest != "unsaved" and not _SHA256.match(digest):
        raise ValueError(f"model_sha256_ is not a SHA-256 in hex: {digest[:80]!r}.")
    return f"-- dmde {what}: model sha256 {digest}, dmde {__version__}\n"


def _per_segment(
    model: Model,
    value: Callable[[Scorecard], exp.Expr | None],
    *,
    on: str | None = None,
) -> exp.Expr:
    """``value`` of the row's segment: the expression itself for one scorecard, a CASE on the
    routing column (or the column ``on``) for a family; NULL for a segment where ``value``
    gives None."""
    segments = _segments(model)
    if not isinstance(model, ScorecardFamily):
        found = value(model)
        return exp.null() if found is None else found
    case = exp.Case()
    for name, scorecard in segments.items():
        found = value(scorecard)
        if found is not None:
            routing = _col(on or model.segment_column)
            case = case.when(exp.EQ(this=routing, expression=_text(name)), found, copy=False)
    return case


# --------------------------------------------------------------------------------------------
# Points
def _bin_points(binning: FeatureBinning, points: Sequence[float], decimals: int) -> exp.Case:
    """The CASE that gives a value of this feature the points of its bin."""
    x = _col(binning.name)
    case = exp.Case().when(
        exp.Is(this=x, expression=exp.null()), _points(points[-1], decimals), copy=False
    )
    if binning.kind == "numeric":
        for edge, p in zip(binning.edges, points, strict=False):
            case = case.when(
                exp.LT(this=x.copy(), expression=_double(edge)), _points(p, decimals), copy=False
            )
        return case.else_(_points(points[len(binning.edges)], decimals), copy=False)
    for group, p in zip(binning.groups, points, strict=False):
        levels = [_text(level) for level in group]
        case = case.when(
            exp.In(this=x.copy(), expressions=levels), _points(p, decimals), copy=False
        )
    # A level of the catalog the model never saw: the default bin, as in FeatureBinning.assign.
    return case.else_(_points(points[binning.default_bin], decimals), copy=False)


def _feature_points(model: Model, feature: str) -> exp.Expr:
    def value(scorecard: Scorecard) -> exp.Expr | None:
        if feature not in scorecard.features_:
            return None
        j = scorecard.features_.index(feature)
        points = [float(p) for p in scorecard.bin_points_[j]]
        return _bin_points(scorecard.binning_.bins_[j], points, scorecard.scaling_.decimals)

    decimals = _decimals(model)
    return exp.cast(_per_segment(model, value), _decimal(decimals), copy=False)


def _decimals(model: Model) -> int:
    found = {s.scaling_.decimals for s in _segments(model).values()}
    return max(found)


def valid_condition(model: Model, *, columns: Sequence[str] | None = None) -> exp.Expr:
    """The condition that a row passes every catalog rule on ``columns`` (default: the columns
    the query reads) and, for a family, that its segment has a scorecard."""
    rules = [_rule_case(CATALOG[name]) for name in (columns or carried_columns(model))]
    conditions: list[exp.Expr] = [exp.Is(this=r, expression=exp.null()) for r in rules]
    if isinstance(model, ScorecardFamily):
        segments = [_text(s) for s in model.segments_]
        conditions.append(exp.In(this=_col(model.segment_column), expressions=segments))
    return _and(conditions)


def scorecard_query(
    model: Model,
    *,
    table: TableName,
    reasons: int = 0,
    valid_only: bool = False,
    dialect: str = "duckdb",
    extra_columns: Sequence[str] = (),
    points_columns: bool = True,
) -> exp.Select:
    """The scoring query as a sqlglot tree (see :func:`scorecard_sql`).

    ``extra_columns`` are carried from the table to the output as they are (the DuckDB engine
    carries its reject lines); ``dialect`` is the one the table name is read in; without
    ``points_columns`` the output has only the scores file's columns.
    """
    reasons = check_reasons(reasons)
    source = table_reference(table, dialect=dialect)
    segments = _segments(model)
    features = list(model.features_)
    decimals = _decimals(model)
    segment: exp.Expr = (
        exp.cast(_col(model.segment_column), exp.DataType.Type.TEXT, copy=False)
        if isinstance(model, ScorecardFamily)
        else _text("all")
    )
    carried = [_col(c) for c in extra_columns]
    points = exp.select(
        *carried,
        _col("dossier_id"),
        _col("caf_code"),
        _name(segment, "segment"),
        *(_name(_feature_points(model, f), f"points_{f}") for f in features),
        copy=False,
    ).from_(source, copy=False)
    if valid_only:
        points = points.where(valid_condition(model), copy=False)
    intercept = _per_segment(
        model, lambda s: _points(float(s.intercept_points_), s.scaling_.decimals), on="segment"
    )
    terms = [exp.cast(intercept, _decimal(decimals), copy=False)] + [
        exp.func("COALESCE", _col(f"points_{f}"), _integer(0)) for f in features
    ]
    score = exp.cast(exp.paren(_sum(terms)), exp.DataType.Type.DOUBLE, copy=False)
    scored = exp.select("*", _name(score, "score"), copy=False).from_("points", copy=False)
    logit = exp.Div(
        this=exp.paren(
            exp.Sub(
                this=_col("score"),
                expression=_per_segment(model, lambda s: _double(s.scaling_.offset), on="segment"),
            )
        ),
        expression=_per_segment(model, lambda s: _double(s.scaling_.factor), on="segment"),
    )
    probability = exp.Div(
        this=_integer(1),
        expression=exp.paren(
            exp.Add(this=_integer(1), expression=exp.func("EXP", exp.Neg(this=exp.paren(logit))))
        ),
    )
    outputs: list[exp.Expr] = [
        *(_col(c) for c in extra_columns),
        _col("dossier_id"),
        _col("caf_code"),
        _col("segment"),
        *(_col(f"points_{f}") for f in features if points_columns),
        _col("score"),
        _name(probability, "probability"),
    ]
    query = exp.select(*outputs, copy=False).from_("scored", copy=False)
    query = query.with_("points", as_=points, copy=False).with_("scored", as_=scored, copy=False)
    k = min(reasons, len(features))
    if reasons:
        query = _with_reasons(query, model, segments, features, reasons, k)
    return query


def _excess(model: Model, feature: str) -> exp.Expr:
    """The points of ``feature`` above its reference, as a double (``CAST(points AS DOUBLE) -
    reference``, the Python scorer's operation); NULL where the row's segment does not read
    it. It reads the columns ``points_<feature>`` and ``segment``."""

    def reference(scorecard: Scorecard) -> exp.Expr | None:
        if feature not in scorecard.features_:
            return None
        j = scorecard.features_.index(feature)
        return _double(float(scorecard.reference_points_[j]))

    return exp.Sub(
        this=exp.cast(_col(f"points_{feature}"), exp.DataType.Type.DOUBLE, copy=False),
        expression=_per_segment(model, reference, on="segment"),
    )


def _with_reasons(
    query: exp.Select,
    model: Model,
    segments: dict[str, Scorecard],
    features: list[str],
    reasons: int,
    k: int,
) -> exp.Select:
    """Add the reason columns: ``k`` passes of "the largest excess left, ties to the first".

    The excess of a feature is its points minus its reference (:data:`_NONE`, below every
    excess, for a feature the row's segment does not read). Pass ``r`` takes the largest excess
    among the features not yet picked (``GREATEST``) and picks the first feature, in the model's
    order, that has it: the rule of :func:`~dmde.model.scored.top_reasons`. A pick is the
    feature's position in ``features_`` (0 first); it is a reason if its excess is above 0.
    """

    def excess_of(f: str) -> exp.Expr:
        over = _excess(model, f)
        return (
            exp.func("COALESCE", over, _NONE.copy()) if isinstance(model, ScorecardFamily) else over
        )

    ctes: list[tuple[str, exp.Select]] = [
        (
            "excess",
            exp.select(
                "*", *(_name(excess_of(f), f"excess_{f}") for f in features), copy=False
            ).from_("scored", copy=False),
        )
    ]
    orders = _tie_orders(model, segments, features)
    previous = "excess"
    for r in range(1, k + 1):
        if r > 1:  # what is left: the excess, but for the feature just picked
            ctes.append(
                (
                    f"left_{r}",
                    exp.select(
                        "*",
                        *(_name(_left_after(features, f, r), f"left_{r}_{f}") for f in features),
                        copy=False,
                    ).from_(previous, copy=False),
                )
            )
            previous = f"left_{r}"

        def left(f: str, r: int = r) -> exp.Expr:
            """The excess of ``f`` if not picked yet, else :data:`_NONE`."""
            return _col(f"excess_{f}" if r == 1 else f"left_{r}_{f}")

        best = exp.Greatest(this=left(features[0]), expressions=[left(f) for f in features[1:]])
        ctes.append(
            (
                f"best_{r}",
                exp.select("*", _name(best, f"reason_{r}_excess"), copy=False).from_(
                    previous, copy=False
                ),
            )
        )

        def pick(order: list[str], r: int = r, left: Callable[[str], exp.Expr] = left) -> exp.Expr:
            case = exp.Case()
            for f in order:
                hit = exp.EQ(this=left(f), expression=_col(f"reason_{r}_excess"))
                case = case.when(hit, _integer(features.index(f)), copy=False)
            return case

        if len(orders) == 1:
            chosen = pick(orders[0][1])
        else:

            def own_order(scorecard: Scorecard, pick: Callable[..., exp.Expr] = pick) -> exp.Expr:
                return pick(list(scorecard.features_))

            chosen = _per_segment(model, own_order, on="segment")
        ctes.append(
            (
                f"pick_{r}",
                exp.select("*", _name(chosen, f"reason_{r}_pick"), copy=False).from_(
                    f"best_{r}", copy=False
                ),
            )
        )
        previous = f"pick_{r}"
    reason_columns: list[exp.Expr] = []
    for r in range(1, reasons + 1):
        if r > k:
            feature: exp.Expr = exp.null()
            label: exp.Expr = exp.null()
            points: exp.Expr = exp.null()
        else:
            above = exp.GT(this=_col(f"reason_{r}_excess"), expression=_integer(0))
            names = exp.Case(
                this=_col(f"reason_{r}_pick"),
                ifs=[exp.If(this=_integer(j), true=_text(f)) for j, f in enumerate(features)],
            )
            labels = exp.Case(
                this=_col(f"reason_{r}_pick"),
                ifs=[
                    exp.If(this=_integer(j), true=_text(CATALOG[f].label))
                    for j, f in enumerate(features)
                ],
            )
            feature = exp.Case(ifs=[exp.If(this=above, true=names)])
            label = exp.Case(ifs=[exp.If(this=above.copy(), true=labels)])
            points = exp.Case(
                ifs=[exp.If(this=above.copy(), true=_round_half_even(_col(f"reason_{r}_excess")))]
            )
        reason_columns += [
            _name(exp.cast(feature, exp.DataType.Type.TEXT, copy=False), f"reason_{r}_feature"),
            _name(exp.cast(label, exp.DataType.Type.TEXT, copy=False), f"reason_{r}_label"),
            _name(exp.cast(points, exp.DataType.Type.DOUBLE, copy=False), f"reason_{r}_points"),
        ]
    final = query.from_(previous, copy=False).select(*reason_columns, copy=False)
    for name, cte in ctes:
        final = final.with_(name, as_=cte, copy=False)
    return final


def _left_after(features: list[str], feature: str, r: int) -> exp.Expr:
    """The excess of ``feature`` left for pass ``r``: :data:`_NONE` if pass ``r - 1`` picked it."""
    before = _col(f"excess_{feature}" if r == 2 else f"left_{r - 1}_{feature}")
    taken = exp.EQ(this=_col(f"reason_{r - 1}_pick"), expression=_integer(features.index(feature)))
    return exp.Case(ifs=[exp.If(this=taken, true=_NONE.copy())], default=before)


def _round_half_even(value: exp.Expr) -> exp.Expr:
    """``numpy.round(value, 2)``: ``rint(value * 100) / 100``, ties to even, in any engine.

    ``ROUND`` breaks ties away from zero in most engines (and to even in some): a tie is found
    exactly (``y - FLOOR(y) = 0.5``) and sent to the even neighbour, ``2 * ROUND(y / 2)``.
    """
    y = exp.Mul(this=value, expression=_integer(100))
    tie = exp.EQ(
        this=exp.Sub(this=y.copy(), expression=exp.func("FLOOR", y.copy())),
        expression=exp.Literal.number("0.5"),
    )
    even = exp.Mul(
        this=_integer(2),
        expression=exp.func("ROUND", exp.Div(this=y.copy(), expression=_integer(2))),
    )
    rounded = exp.Case().when(tie, even, copy=False).else_(exp.func("ROUND", y.copy()), copy=False)
    return exp.Div(this=exp.paren(rounded), expression=exp.Literal.number("100.0"))


def _tie_orders(
    model: Model, segments: dict[str, Scorecard], features: list[str]
) -> list[tuple[str, list[str]]]:
    """The order in which ties are broken: the features of each segment's scorecard, in its
    order; one entry (the family's order) when every segment agrees with it."""
    rank = {f: j for j, f in enumerate(features)}
    agree = all(
        [rank[f] for f in s.features_] == sorted(rank[f] for f in s.features_)
        for s in segments.values()
    )
    if agree:
        return [("all", features)]
    return [(name, list(s.features_)) for name, s in segments.items()]


def scorecard_sql(
    model: Model,
    *,
    table: TableName,
    dialect: str = "duckdb",
    reasons: int = 0,
    valid_only: bool = False,
    pretty: bool = True,
) -> str:
    """The model as one SQL query over ``table``, in ``dialect``.

    Parameters
    ----------
    model : Scorecard or ScorecardFamily
        A fitted model of catalog columns (or one loaded from its file, whose SHA-256 the query's
        first line names).
    table : str or sequence of str
        The table to score: a name read in ``dialect`` (``"warehouse.households"``), or its parts.
    dialect : str, default "duckdb"
        Any dialect sqlglot writes (duckdb, postgres, spark, bigquery, tsql, snowflake, ...).
    reasons : int, default 0
        Reason columns per row.
    valid_only : bool, default False
        Score only the rows that pass the catalog's rules (:func:`valid_condition`); the others
        are what :func:`rejects_sql` lists.
    pretty : bool, default True
        One clause per line.

    Returns
    -------
    str
        The query, after a comment line with the model's SHA-256 and the dmde version.

    Raises
    ------
    ParameterError
        An unknown dialect, a name that is not a table, or ``reasons`` below 0.
    """
    check_dialect(dialect)
    query = scorecard_query(
        model, table=table, reasons=reasons, valid_only=valid_only, dialect=dialect
    )
    return _header(model, "scorecard") + query.sql(dialect=dialect, pretty=pretty) + "\n"


# --------------------------------------------------------------------------------------------
# Rejects
def _rule_case(col: Column) -> exp.Expr:
    """The first catalog rule a value of ``col`` breaks (missing_value, range, level, pattern),
    as a CASE giving the rule's name, NULL when it breaks none."""
    x = _col(col.name)
    case = exp.Case()
    if not col.nullable:
        case = case.when(exp.Is(this=x, expression=exp.null()), _text("missing_value"), copy=False)
    if col.dtype not in _TEXT_TYPES and (col.minimum is not None or col.maximum is not None):
        outside: list[exp.Expr] = []
        if col.minimum is not None:
            outside.append(exp.LT(this=x.copy(), expression=_bound(col, col.minimum)))
        if col.maximum is not None:
            # NaN is above every number in the engines that have it: outside every range.
            outside.append(exp.GT(this=x.copy(), expression=_bound(col, col.maximum)))
        case = case.when(exp.or_(*outside, copy=False), _text("range"), copy=False)
    if col.dtype == "category":
        levels = [_text(level) for level in col.levels]
        case = case.when(
            exp.Not(this=exp.In(this=x.copy(), expressions=levels)), _text("level"), copy=False
        )
    if col.dtype == "string" and col.pattern:
        like = exp.RegexpLike(this=x.copy(), expression=_text(f"^(?:{col.pattern})$"))
        case = case.when(exp.Not(this=like), _text("pattern"), copy=False)
    return case if case.args.get("ifs") else exp.null()


def _bound(col: Column, value: float) -> exp.Expr:
    return _double(value) if col.dtype == "float" else _integer(int(value))


def _reason_case(col: Column) -> exp.Expr:
    """What was expected, in the rejects file's words, for the rule the value breaks."""
    rule = _col(f"rule_{col.name}")
    case = exp.Case()
    for name in ("missing_value", "range", "pattern"):
        case = case.when(
            exp.EQ(this=rule.copy(), expression=_text(name)), _text(_message(col, name)), copy=False
        )
    if col.dtype == "category":
        plain = _message(col, "level")
        by_hint: dict[str, list[str]] = {}
        for value in _hinted_values(col):
            by_hint.setdefault(lost_zeros_hint(col, value), []).append(value)
        is_level = exp.EQ(this=rule.copy(), expression=_text("level"))
        for hint, values in sorted(by_hint.items()):
            hinted = exp.In(this=_col(col.name), expressions=[_text(v) for v in values])
            case = case.when(
                exp.and_(is_level.copy(), hinted, copy=False), _text(f"{plain}; {hint}"), copy=False
            )
        case = case.when(is_level, _text(plain), copy=False)
    return case


def _hinted_values(col: Column) -> list[str]:
    """The digit strings that read as a level of ``col`` with 1 to 4 leading zeros put back."""
    found = set()
    for level in col.levels:
        for zeros in range(1, 5):
            rest = level[zeros:]
            if level[:zeros] == "0" * zeros and rest.isascii() and rest.isdigit():
                found.add(rest)
    return sorted(v for v in found if lost_zeros_hint(col, v))


def rule_columns(model: Model, *, columns: Sequence[str] | None = None) -> list[exp.Expr]:
    """One column ``rule_<name>`` per checked column: the first catalog rule its value breaks
    (``missing_value``, ``range``, ``level``, ``pattern``), NULL when it breaks none.

    ``columns`` default to the columns the scoring query reads. :func:`rejects_query` and
    :func:`reject_lines` read these columns.
    """
    names = list(columns or carried_columns(model))
    return [_name(_rule_case(CATALOG[n]), f"rule_{n}") for n in names]


#: The fields of a reject line in :func:`reject_lines`: the rejects file's columns but ``row``
#: and ``dossier_id``, which the engine reading the lines adds.
REJECT_LINE_FIELDS = ("column", "value", "rule", "reason")


def reject_lines(model: Model, *, columns: Sequence[str] | None = None) -> exp.Expr:
    """A row's reject lines as one value, for engines with arrays of structs (DuckDB, Spark).

    NULL for a row that :func:`valid_condition` accepts (the scoring query scores it); else an
    array of structs (:data:`REJECT_LINE_FIELDS`), one per checked column in the order of
    ``columns``, then for a family the ``no_model`` line. A line's ``rule`` is NULL where the
    value breaks none: the reader keeps the lines that have a rule, which are the lines of
    :func:`rejects_query` for that row, in its order. It reads the ``rule_<name>`` columns of
    :func:`rule_columns`, so one pass over a table gives both a row's score and its rejects.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.scorecard import Scorecard
    >>> df = synthesize(5_000, seed=1, controls=0, with_truth=True)
    >>> model = Scorecard(features=["n_children"]).fit(df, df["truth_target"])
    >>> lines = reject_lines(model, columns=["dossier_id", "n_children"]).sql("duckdb")
    >>> lines.startswith('CASE WHEN "rule_dossier_id" IS NULL AND "rule_n_children" IS NULL')
    True
    """
    names = list(columns or carried_columns(model))
    fine = [exp.Is(this=_col(f"rule_{n}"), expression=exp.null()) for n in names]
    lines = [
        _line(
            name,
            exp.cast(_col(name), exp.DataType.Type.TEXT, copy=False),
            _col(f"rule_{name}"),
            _reason_case(CATALOG[name]),
        )
        for name in names
    ]
    valid: list[exp.Expr] = list(fine)
    if isinstance(model, ScorecardFamily):
        segment = model.segment_column
        known = exp.In(this=_col(segment), expressions=[_text(s) for s in model.segments_])
        outside = exp.Case().when(
            _and([*(f.copy() for f in fine), exp.Not(this=known.copy())]),
            _text("no_model"),
            copy=False,
        )
        expected = f"expected a segment with a scorecard: {', '.join(model.segments_)}"
        lines.append(
            _line(
                segment,
                exp.cast(_col(segment), exp.DataType.Type.TEXT, copy=False),
                outside,
                _text(expected),
            )
        )
        valid.append(known)
    return (
        exp.Case()
        .when(_and(valid), exp.null(), copy=False)
        .else_(exp.Array(expressions=lines), copy=False)
    )


def _line(name: str, value: exp.Expr, rule: exp.Expr, reason: exp.Expr) -> exp.Struct:
    fields = dict(zip(REJECT_LINE_FIELDS, (_text(name), value, rule, reason), strict=True))
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(k, quoted=True), expression=v)
            for k, v in fields.items()
        ]
    )


def rejects_query(
    model: Model,
    *,
    table: TableName,
    dialect: str = "duckdb",
    columns: Sequence[str] | None = None,
    row_column: str | None = None,
) -> exp.Select:
    """The rejects query as a sqlglot tree (see :func:`rejects_sql`)."""
    names = list(columns or carried_columns(model))
    source = table_reference(table, dialect=dialect)
    row: exp.Expr = (
        _col(row_column)
        if row_column
        else exp.cast(exp.null(), exp.DataType.Type.BIGINT, copy=False)
    )
    rules = rule_columns(model, columns=names)
    read = [_col(n) for n in names if n != "dossier_id"]
    checked = exp.select(_name(row, "row"), _col("dossier_id"), *read, *rules, copy=False).from_(
        source, copy=False
    )
    broken = [exp.Not(this=exp.Is(this=_col(f"rule_{n}"), expression=exp.null())) for n in names]
    bad = (
        exp.select("*", copy=False)
        .from_("checked", copy=False)
        .where(exp.or_(*broken, copy=False), copy=False)
    )
    parts: list[exp.Select] = []
    for position, name in enumerate(names):
        col = CATALOG[name]
        parts.append(
            exp.select(
                _col("row"),
                _col("dossier_id"),
                _name(_text(name), "column"),
                _name(exp.cast(_col(name), exp.DataType.Type.TEXT, copy=False), "value"),
                _name(_col(f"rule_{name}"), "rule"),
                _name(_reason_case(col), "reason"),
                _name(_integer(position), "position"),
                copy=False,
            )
            .from_("bad", copy=False)
            .where(
                exp.Not(this=exp.Is(this=_col(f"rule_{name}"), expression=exp.null())), copy=False
            )
        )
    if isinstance(model, ScorecardFamily):
        segment = model.segment_column
        expected = f"expected a segment with a scorecard: {', '.join(model.segments_)}"
        fine = [exp.Is(this=_col(f"rule_{n}"), expression=exp.null()) for n in names]
        outside = exp.Not(
            this=exp.In(this=_col(segment), expressions=[_text(s) for s in model.segments_])
        )
        parts.append(
            exp.select(
                _col("row"),
                _col("dossier_id"),
                _name(_text(segment), "column"),
                _name(exp.cast(_col(segment), exp.DataType.Type.TEXT, copy=False), "value"),
                _name(_text("no_model"), "rule"),
                _name(_text(expected), "reason"),
                _name(_integer(len(names)), "position"),
                copy=False,
            )
            .from_("checked", copy=False)
            .where(_and([*fine, outside]), copy=False)
        )
    lines: exp.Query = parts[0]
    for part in parts[1:]:
        lines = exp.union(lines, part, distinct=False, copy=False)
    out = (
        exp.select(
            _col("row"),
            _col("dossier_id"),
            _col("column"),
            _col("value"),
            _col("rule"),
            _col("reason"),
            copy=False,
        )
        .from_(lines.subquery("lines"), copy=False)
        .order_by(_col("row"), _col("position"), copy=False)
    )
    return out.with_("checked", as_=checked, copy=False).with_("bad", as_=bad, copy=False)


def rejects_sql(
    model: Model,
    *,
    table: TableName,
    dialect: str = "duckdb",
    columns: Sequence[str] | None = None,
    row_column: str | None = None,
    pretty: bool = True,
) -> str:
    """The values of ``table`` that the catalog refuses, one line per value, as SQL.

    The lines have the rejects file's columns (``row``, ``dossier_id``, ``column``, ``value``,
    ``rule``, ``reason``), sorted by row and then by column: for each value the first rule it
    breaks among ``missing_value``, ``range``, ``level`` and ``pattern``; for a family, a row
    that breaks none but whose segment has no scorecard gets the rule ``no_model``.

    Parameters
    ----------
    model : Scorecard or ScorecardFamily
    table : str or sequence of str
        As in :func:`scorecard_sql`.
    dialect : str, default "duckdb"
    columns : sequence of str, optional
        The columns checked, in the order of a row's lines (default: the columns the scoring
        query reads, in catalog order; the DuckDB engine gives the file's order).
    row_column : str, optional
        A column of ``table`` that numbers the rows; without it ``row`` is NULL.
    pretty : bool, default True

    Returns
    -------
    str
        The query, after a comment line with the model's SHA-256 and the dmde version. The
        ``value`` is the engine's text of the value (for a number, the engine's spelling).
    """
    check_dialect(dialect)
    query = rejects_query(
        model, table=table, dialect=dialect, columns=columns, row_column=row_column
    )
    return _header(model, "rejects") + query.sql(dialect=dialect, pretty=pretty) + "\n"
