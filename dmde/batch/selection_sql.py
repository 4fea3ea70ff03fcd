"""The selection as SQL: the national order, each group's score quota and the random share
with window functions, so that the files are chosen where the scores live.

The queries are :mod:`sqlglot` syntax trees written in DuckDB's or Spark's dialect (one query;
the tie key's arithmetic differs: DuckDB has unsigned 128-bit integers, Spark only signed
64-bit ones that fail on overflow, so its products are made of 16- and 32-bit pieces). They
read a table of the scores with fixed column names (:data:`ROW`, ``dossier_id``, ``score``,
``probability`` and :data:`GROUP`, the group's name as text), a table of each group's score
quota and a table of the random draws; every name is a quoted identifier and every value a
literal.

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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlglot import exp

from dmde.batch.budget import _Chosen, _Plan
from dmde.batch.ranking import _GOLDEN, _MIX_1, _MIX_2, _splitmix64, checked_seed

__all__ = ["DIALECTS", "GROUP", "ROW", "selection_query", "tie_key_query"]

#: The engines whose SQL the queries are written in.
DIALECTS = ("duckdb", "spark")

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


def _keyed(source: exp.Expr, keep: list[str], seed: int, dialect: str) -> exp.Subquery:
    """``source`` with a column ``z`` whose order is the tie key's of each ``dossier_id``
    (DuckDB: the key itself, UBIGINT; Spark: :func:`_keyed_spark`)."""
    if dialect == "spark":
        return _keyed_spark(source, keep, seed)
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


# Spark has no unsigned integers and its BIGINT arithmetic fails on overflow (ANSI SQL): a
# 64-bit word is held as the BIGINT of its bit pattern (XOR, masks and shifts are exact on it)
# and sums and products are made of 32- and 16-bit pieces, none beyond 2**51.
_MASK_32 = (1 << 32) - 1
_MASK_16 = (1 << 16) - 1


def _signed(value: int) -> int:
    return value - _TWO_64 if value >= 1 << 63 else value


def _bigint(value: int) -> exp.Expr:
    """A 64-bit word as a Spark BIGINT literal (its bit pattern)."""
    return exp.cast(exp.Literal.string(str(_signed(value))), exp.DataType.Type.BIGINT)


def _p(expression: exp.Expr) -> exp.Expr:
    return exp.paren(expression, copy=False)


def _masked(value: exp.Expr, mask: int) -> exp.Expr:
    return _p(exp.BitwiseAnd(this=value, expression=_bigint(mask)))


def _right(value: exp.Expr, shift: int) -> exp.Expr:
    """``value >>> shift``: the bits move right, zeros come in (the word read unsigned)."""
    return exp.func("shiftrightunsigned", value, exp.Literal.number(shift))


def _left(value: exp.Expr, shift: int) -> exp.Expr:
    return exp.func("shiftleft", value, exp.Literal.number(shift))


def _plus(*terms: exp.Expr) -> exp.Expr:
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return _p(total)


def _times(value: exp.Expr, constant: int) -> exp.Expr:
    return _p(exp.Mul(this=value, expression=_bigint(constant)))


def _word(high: exp.Expr, low: exp.Expr) -> exp.Expr:
    """The word ``(high mod 2**32)·2**32 + (low mod 2**32)``."""
    return exp.BitwiseOr(this=_left(_masked(high, _MASK_32), 32), expression=_masked(low, _MASK_32))


def _steps(source: exp.Expr, keep: list[str], values: dict[str, exp.Expr]) -> exp.Subquery:
    """``(SELECT keep..., value AS name... FROM source)``."""
    columns = [_as(v, k) for k, v in values.items()]
    select = exp.select(*(_col(c) for c in keep), *columns).from_(source, copy=False)
    return select.subquery(copy=False)


def _add_spark(source: exp.Expr, keep: list[str], constant: int) -> exp.Subquery:
    """``z + constant`` modulo 2**64: the low halves added, their carry into the high ones."""
    low = _plus(_masked(_col(_Z), _MASK_32), _bigint(constant & _MASK_32))
    high = _plus(_right(_col(_Z), 32), _bigint(constant >> 32), _right(low.copy(), 32))
    return _steps(source, keep, {_Z: _word(high, low)})


def _multiply_spark(source: exp.Expr, keep: list[str], constant: int) -> exp.Subquery:
    """``z * constant`` modulo 2**64 in BIGINTs that never overflow.

    With ``z = h·2**32 + l`` and ``c = (c3·2**16 + c2)·2**32 + c1·2**16 + c0`` (16-bit
    pieces): ``l·(c1·2**16 + c0) = t + (b >>> 16)·2**32`` where ``a = l·c0``, ``b = l·c1``
    and ``t = a + (b mod 2**16)·2**16``; the cross terms ``l·(c3·2**16 + c2) + h·(c1·2**16 +
    c0)`` count modulo 2**32 only, so each product's high 16-bit part is dropped before the
    shift. Every value stays below 2**51.
    """
    c0, c1 = constant & _MASK_16, (constant >> 16) & _MASK_16
    c2, c3 = (constant >> 32) & _MASK_16, (constant >> 48) & _MASK_16
    halves = _steps(source, keep, {"l": _masked(_col(_Z), _MASK_32), "h": _right(_col(_Z), 32)})
    low, high = _col("l"), _col("h")
    cross = _plus(
        _times(low.copy(), c2),
        _left(_masked(_times(low.copy(), c3), _MASK_16), 16),
        _times(high.copy(), c0),
        _left(_masked(_times(high.copy(), c1), _MASK_16), 16),
    )
    parts = _steps(
        halves, keep, {"a": _times(low.copy(), c0), "b": _times(low.copy(), c1), "x": cross}
    )
    b = _col("b")
    t = _plus(_col("a"), _left(_masked(b.copy(), _MASK_16), 16))
    carried = _steps(parts, keep, {"t": t, "b": b.copy(), "x": _col("x")})
    top = _plus(_right(_col("t"), 32), _right(_col("b"), 16), _col("x"))
    return _steps(carried, keep, {_Z: _word(top, _col("t"))})


def _xor_right(source: exp.Expr, keep: list[str], shift: int) -> exp.Subquery:
    value = exp.BitwiseXor(this=_col(_Z), expression=_right(_col(_Z), shift))
    return _steps(source, keep, {_Z: _p(value)})


def _keyed_spark(source: exp.Expr, keep: list[str], seed: int) -> exp.Subquery:
    """:func:`_keyed` in Spark's arithmetic: ``z`` is the tie key's bit pattern with its top
    bit flipped, so that BIGINT order is the key's unsigned order."""
    start = exp.BitwiseXor(this=_col("dossier_id"), expression=_bigint(_splitmix64(seed)))
    step = _add_spark(_steps(source, keep, {_Z: _p(start)}), keep, _GOLDEN)
    for shift, multiplier in ((30, _MIX_1), (27, _MIX_2)):
        step = _multiply_spark(_xor_right(step, keep, shift), keep, multiplier)
    last = _xor_right(step, keep, 31)
    flipped = exp.BitwiseXor(this=_col(_Z), expression=_bigint(1 << 63))
    return _steps(last, keep, {_Z: _p(flipped)})


def tie_key_query(table: str, *, seed: int, dialect: str = "duckdb") -> str:
    """The query giving the tie key of each ``dossier_id`` of ``table``.

    The same numbers as :func:`~dmde.batch.ranking.tie_keys`: splitmix64 in exact unsigned
    arithmetic (DuckDB: 128-bit products reduced modulo 2**64, see the module's example; Spark:
    the key's bit pattern as a BIGINT with its top bit flipped, ``key = z XOR 2**63`` read
    unsigned, so that BIGINT order is the key's order).

    Parameters
    ----------
    table : str
        A table with a ``dossier_id`` column (BIGINT).
    seed : int
        In [0, 2**64).
    dialect : {"duckdb", "spark"}
        The SQL engine.

    Returns
    -------
    str
        ``SELECT "z" FROM (...)``, one row per row of ``table``.
    """
    seed = checked_seed(seed)
    keyed = _keyed(_table(table), ["dossier_id"], seed, _dialect(dialect))
    return exp.select(_col(_Z)).from_(keyed, copy=False).sql(dialect=dialect)


def _dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}; got {dialect!r}.")
    return dialect


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
    dialect: str = "duckdb",
) -> str:
    """The query giving the selected files, in national order (DuckDB's or Spark's SQL).

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
    dialect : {"duckdb", "spark"}
        The SQL engine (the same query; only the tie key's arithmetic differs).

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
    keep = [ROW, "dossier_id", "score", GROUP, "eligible"]
    keyed = _keyed(base.subquery(copy=False), keep, seed, _dialect(dialect))
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
    return query.sql(dialect=dialect)


@dataclass(frozen=True)
class _Draws:
    """What the query is given besides the scores: each group's score quota and the random
    draws (None without a random share), and the summary's counts."""

    quotas: pa.Table
    draws: pa.Table | None
    counts: _Chosen


def _random_draws(plan: _Plan, files: npt.NDArray[np.int64], eligible: dict[str, int]) -> _Draws:
    """The random share drawn on the groups' counts, as the Python engine draws it (group by
    group in sorted order, ``numpy.random.default_rng(seed).choice``), and the score quotas.

    Only the number of candidates of each group is needed: the draw picks candidate numbers
    (``nth``, from 0 in national order among the group's files not taken by score), which the
    query matches to files.
    """
    names = list(plan.names)
    eligible_files = np.array([eligible[name] for name in names], dtype=np.int64)
    score_quota = plan.quotas - plan.random_quotas
    by_score = np.minimum(score_quota, eligible_files)
    rng = np.random.default_rng(plan.seed)
    drawn_groups: list[str] = []
    drawn_nth: list[npt.NDArray[np.int64]] = []
    at_random = np.zeros(len(names), dtype=np.int64)
    for g in np.flatnonzero(plan.random_quotas):
        n_candidates = int(files[g] - by_score[g])
        size = min(int(plan.random_quotas[g]), n_candidates)
        nth = rng.choice(n_candidates, size=size, replace=False)
        at_random[g] = size
        drawn_groups.extend([names[g]] * size)
        drawn_nth.append(nth.astype(np.int64))
    quotas = pa.table(
        {GROUP: pa.array(names, pa.string()), "score_quota": pa.array(score_quota, pa.int64())}
    )
    draws = None
    if plan.random_quotas.any():
        nths = np.concatenate(drawn_nth) if drawn_nth else np.empty(0, dtype=np.int64)
        draws = pa.table(
            {GROUP: pa.array(drawn_groups, pa.string()), "nth": pa.array(nths, pa.int64())}
        )
    empty = np.empty(0, dtype=np.intp)
    counts = _Chosen(
        positions=empty,
        rank_in_group=empty,
        random=np.empty(0, dtype=np.bool_),
        files=np.asarray(files, dtype=np.int64),
        eligible=eligible_files,
        by_score=by_score,
        at_random=at_random,
    )
    return _Draws(quotas, draws, counts)
