"""The selection as SQL: the national order, each group's score quota and the random share
with window functions, so that the files are chosen where the scores live.

The queries are :mod:`sqlglot` syntax trees written in DuckDB's dialect (the tie key needs
unsigned 128-bit integers, which DuckDB has). They read a table of the scores with fixed column
names (:data:`ROW`, ``dossier_id``, ``score``, ``probability`` and :data:`GROUP`, the group's
name as text), a table of each group's score quota and a table of the random draws; every name
is a quoted identifier and every value a literal.

How the query reproduces :func:`~dmde.batch.selection.select` exactly:

- the national order is score descending, then tie key ascending, the tie key being
  :func:`~dmde.batch.ranking.tie_keys`'s splitmix64 of the ``dossier_id`` and the seed,
  computed in exact unsigned arithmetic modulo 2**64 (128-bit products masked to their low 64
  bits, :func:`tie_key_query`); keys are distinct, so the order is total and does not depend
  on the order of the rows. No window spans the whole table (DuckDB sorts such a window on one
  thread): ``rank_national`` is the number of files with a higher score (a ``GROUP BY`` of the
  scores and a running sum over the distinct scores) plus the file's place among the files of
  its score (``ROW_NUMBER() OVER (PARTITION BY score ORDER BY tie_key)``);
- ``rank_in_group`` is ``ROW_NUMBER() OVER (PARTITION BY group ORDER BY score DESC, tie_key)``;
- a file is selected by score when it is eligible (probability at or above the floor, if any)
  and at most its group's score quota of eligible files come up to it in that order (its place
  among the group's eligible files, from a second ``ROW_NUMBER()`` partitioned by group and
  eligibility);
- the random share: the files of a group not selected by score, listed in national order, are
  numbered from 0 (``nth``); the draw itself, ``numpy.random.default_rng(seed).choice(
  n_candidates, size, replace=False)`` group by group in sorted group order, needs only each
  group's number of candidates, which the engine counts: it is made in Python on those numbers
  and given to the query as a table of ``(group, nth)``, joined to the candidates (a file not
  taken by score is candidate number ``rank_in_group - 1 - min(eligible files up to it, score
  quota)``). No row of the scores is read into Python to draw.

Examples
--------
>>> import duckdb
>>> con = duckdb.connect()
>>> query = tie_key_query("ids", seed=0)
>>> _ = con.execute('CREATE TABLE ids AS SELECT * FROM (VALUES (1), (2), (3)) t("dossier_id")')
>>> [hex(k) for (k,) in con.execute(query + ' ORDER BY "dossier_id"').fetchall()]
['0x8b4fda8c892b50e', '0xd7cc9674ff5ffa39', '0xc810565020d09481']
"""

from __future__ import annotations

from sqlglot import exp

from dmde.batch.ranking import _GOLDEN, _MIX_1, _MIX_2, _splitmix64, checked_seed

__all__ = ["GROUP", "ROW", "selection_query", "tie_key_query"]

#: The row's position in the scores file (from 0), and the group's name (text).
ROW = "row"
GROUP = "group"
_KEY = "tie_key"
_Z = "z"
_TWO_64 = 1 << 64
_WIDE = exp.DataType.build("UHUGEINT", dialect="duckdb")  # unsigned 128-bit
_UNSIGNED = exp.DataType.build("UBIGINT", dialect="duckdb")


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _as(expression: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(expression, name, quoted=True, copy=False)


def _wide(value: int) -> exp.Expr:
    return exp.cast(exp.Literal.number(value), _WIDE)


def _mod64(value: exp.Expr) -> exp.Expr:
    """``value mod 2**64`` as a bit mask (a 128-bit ``%`` is a division, 200 times slower)."""
    return exp.BitwiseAnd(this=exp.paren(value, copy=False), expression=_wide(_TWO_64 - 1))


def _table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _step(source: exp.Expr, keep: list[str], value: exp.Expr) -> exp.Subquery:
    """``(SELECT keep..., value AS z FROM source)``: one step of the mixing function."""
    select = exp.select(*(_col(c) for c in keep), _as(value, _Z)).from_(source, copy=False)
    return select.subquery(copy=False)


def _xor_shift(shift: int) -> exp.Expr:
    z = _col(_Z)
    shifted = exp.BitwiseRightShift(this=z.copy(), expression=exp.Literal.number(shift))
    return exp.BitwiseXor(this=z, expression=exp.paren(shifted, copy=False))


def _keyed(source: exp.Expr, keep: list[str], seed: int) -> exp.Subquery:
    """``source`` with a column ``z`` holding the tie key of each ``dossier_id`` (UBIGINT)."""
    ident = _col("dossier_id")
    bits = exp.If(  # the two's-complement bit pattern of the int64 id, as an unsigned number
        this=exp.LT(this=ident, expression=exp.Literal.number(0)),
        true=exp.Add(
            this=exp.cast(ident.copy(), exp.DataType.Type.INT128),
            expression=exp.cast(exp.Literal.number(_TWO_64), exp.DataType.Type.INT128),
        ),
        false=ident.copy(),
    )
    start = exp.BitwiseXor(this=exp.cast(bits, _WIDE), expression=_wide(_splitmix64(seed)))
    step = _step(source, keep, _mod64(exp.Add(this=start, expression=_wide(_GOLDEN))))
    for shift, multiplier in ((30, _MIX_1), (27, _MIX_2)):
        mixed = exp.Mul(this=exp.paren(_xor_shift(shift), copy=False), expression=_wide(multiplier))
        step = _step(step, keep, _mod64(mixed))
    return _step(step, keep, exp.cast(_xor_shift(31), _UNSIGNED))


def tie_key_query(table: str, *, seed: int) -> str:
    """The DuckDB query giving the tie key (UBIGINT) of each ``dossier_id`` of ``table``.

    The same numbers as :func:`~dmde.batch.ranking.tie_keys`: splitmix64 in exact unsigned
    arithmetic (128-bit products reduced modulo 2**64), see the module's example.

    Parameters
    ----------
    table : str
        A table with a ``dossier_id`` column (BIGINT).
    seed : int
        In [0, 2**64).

    Returns
    -------
    str
        ``SELECT "z" FROM (...)``, one row per row of ``table``.
    """
    seed = checked_seed(seed)
    keyed = _keyed(_table(table), ["dossier_id"], seed)
    return exp.select(_col(_Z)).from_(keyed, copy=False).sql(dialect="duckdb")


def _window(
    function: exp.Expr,
    order: list[exp.Ordered],
    *,
    partition: bool = False,
    table: str | None = None,
) -> exp.Window:
    return exp.Window(
        this=function,
        partition_by=[_col(GROUP, table)] if partition else None,
        order=exp.Order(expressions=order),
        over="OVER",
    )


def _by(name: str, *, desc: bool = False, table: str | None = None) -> exp.Ordered:
    return exp.Ordered(this=_col(name, table), desc=desc, nulls_first=False)


def selection_query(
    scores: str,
    quotas: str,
    draws: str | None,
    *,
    seed: int,
    floor: float | None,
) -> str:
    """The DuckDB query giving the selected files, in national order.

    Parameters
    ----------
    scores : str
        The scores' table: :data:`ROW`, ``dossier_id`` (BIGINT, unique), ``score`` (DOUBLE,
        finite), ``probability`` (DOUBLE) and :data:`GROUP` (VARCHAR).
    quotas : str
        A table of :data:`GROUP` and ``score_quota`` (BIGINT), one row per group.
    draws : str or None
        A table of :data:`GROUP` and ``nth`` (BIGINT): the candidates drawn, numbered from 0 in
        national order among the group's files not selected by score; None without a random
        share.
    seed : int
        Key of the tie order, in [0, 2**64).
    floor : float or None
        ``min_probability``: only files at or above it are selected by score.

    Returns
    -------
    str
        ``SELECT row, dossier_id, rank_national, rank_in_group, random`` (BOOLEAN) ordered by
        ``rank_national``.
    """
    seed = checked_seed(seed)
    eligible: exp.Expr = exp.true()
    if floor is not None:
        eligible = exp.GTE(
            this=_col("probability"),
            expression=exp.cast(exp.Literal.string(repr(float(floor))), exp.DataType.Type.DOUBLE),
        )
    score = exp.If(  # -0.0 is 0.0: one score, one partition
        this=exp.EQ(this=_col("score"), expression=exp.Literal.number(0)),
        true=exp.cast(exp.Literal.number(0), exp.DataType.Type.DOUBLE),
        false=_col("score"),
    )
    base = exp.select(
        _col(ROW), _col("dossier_id"), _as(score, "score"), _col(GROUP), _as(eligible, "eligible")
    ).from_(_table(scores))
    keyed = _keyed(base.subquery(copy=False), [ROW, "dossier_id", "score", GROUP, "eligible"], seed)
    # No window over the whole table (DuckDB sorts it on one thread): the order within each
    # group, and within each score; a file's national rank is the files of higher scores plus
    # its place among its score's files.
    national = [_by("score", desc=True, table="k"), _by(_Z, table="k")]
    rank_in_group = _window(exp.RowNumber(), national, partition=True, table="k")
    # The eligible files up to a file in its group, without a running sum (slow in DuckDB):
    # its place among the group's files of its own eligibility, or the files before it less
    # those of the other kind.
    among_same = exp.Window(
        this=exp.RowNumber(),
        partition_by=[_col(GROUP, "k"), _col("eligible", "k")],
        order=exp.Order(expressions=[n.copy() for n in national]),
        over="OVER",
    )
    eligible_rank: exp.Expr = rank_in_group.copy()
    if floor is not None:
        eligible_rank = exp.If(
            this=_col("eligible", "k"),
            true=among_same,
            false=exp.Sub(this=rank_in_group.copy(), expression=among_same.copy()),
        )
    grouped = exp.select(
        *(_col(c, "k") for c in (ROW, "dossier_id", GROUP, "eligible", "score")),
        _col("score_quota", "q"),
        _as(rank_in_group, "rank_in_group"),
        _as(eligible_rank, "eligible_rank"),
        _as(
            exp.Window(
                this=exp.RowNumber(),
                partition_by=[_col("score", "k")],
                order=exp.Order(expressions=[_by(_Z, table="k")]),
                over="OVER",
            ),
            "within_score",
        ),
    ).from_(exp.alias_(keyed, "k", table=True), copy=False)
    grouped = grouped.join(
        _table(quotas).as_("q"),
        on=exp.EQ(this=_col(GROUP, "k"), expression=_col(GROUP, "q")),
        copy=False,
    )
    by_score = exp.and_(
        _col("eligible"), exp.LTE(this=_col("eligible_rank"), expression=_col("score_quota"))
    )
    # Among the group's files not taken by score, in national order, a file's number (from 0)
    # is the files before it in its group less those taken: min(eligible_rank, score_quota).
    nth = exp.Sub(
        this=exp.Sub(this=_col("rank_in_group"), expression=exp.Literal.number(1)),
        expression=exp.func("least", _col("eligible_rank"), _col("score_quota")),
    )
    flagged = exp.select(
        _col(ROW),
        _col("dossier_id"),
        _col(GROUP),
        _col("score"),
        _col("within_score"),
        _col("rank_in_group"),
        _as(by_score, "by_score"),
        _as(nth, "nth"),
    ).from_(grouped.subquery(copy=False), copy=False)
    random = exp.Not(this=_col("by_score", "f"))
    picked = exp.select(
        *(_col(c, "f") for c in (ROW, "dossier_id", "score", "within_score", "rank_in_group")),
        _as(random, "random"),
    ).from_(flagged.subquery("f", copy=False))
    taken: exp.Expr = _col("by_score", "f")
    if draws is not None:
        picked = picked.join(
            _table(draws).as_("d"),
            on=exp.and_(
                random.copy(),
                exp.EQ(this=_col(GROUP, "f"), expression=_col(GROUP, "d")),
                exp.EQ(this=_col("nth", "f"), expression=_col("nth", "d")),
            ),
            join_type="left",
            copy=False,
        )
        drawn = exp.Not(this=exp.Is(this=_col("nth", "d"), expression=exp.null()))
        taken = exp.or_(taken, drawn)
    picked = picked.where(taken, copy=False)
    # Files of higher scores, per distinct score.
    counts = (
        exp.select(_as(score.copy(), "score"), _as(exp.Count(this=exp.Star()), "n"))
        .from_(_table(scores))
        .group_by(exp.Literal.number(1))
    )
    before = exp.Window(
        this=exp.Sum(this=_col("n")),
        order=exp.Order(expressions=[_by("score", desc=True)]),
        spec=exp.WindowSpec(
            kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="1", end_side="PRECEDING"
        ),
        over="OVER",
    )
    higher = exp.select(
        _col("score"), _as(exp.func("coalesce", before, exp.Literal.number(0)), "higher")
    ).from_(counts.subquery(copy=False), copy=False)
    rank_national = exp.Add(this=_col("higher", "h"), expression=_col("within_score", "p"))
    query = (
        exp.select(
            _col(ROW, "p"),
            _col("dossier_id", "p"),
            _as(exp.cast(rank_national, exp.DataType.Type.BIGINT), "rank_national"),
            _col("rank_in_group", "p"),
            _col("random", "p"),
        )
        .from_(picked.subquery("p", copy=False), copy=False)
        .join(
            higher.subquery("h", copy=False),
            on=exp.EQ(this=_col("score", "p"), expression=_col("score", "h")),
            copy=False,
        )
        .order_by(_by("rank_national"), copy=False)
    )
    return query.sql(dialect="duckdb")
