"""The group audit on aggregates: the cells are summed where the rows live, the bootstrap here.

The group audit (:func:`dmde.audit.metrics.audit_groups`) resamples *cells* (group × selected ×
label state), never rows: each cell needs only its number of rows, the sums of ``w``, ``w·score``
and ``w·probability`` and the sums of their pairwise products. Any SQL engine computes those with
one ``GROUP BY``. :func:`cell_sums_duckdb` does it in DuckDB over a table of any size (one scan
with a grouping set per attribute and per pair of attributes, built as :mod:`sqlglot` trees,
names quoted; or in Spark, through :class:`dmde.audit.spark_inputs.SparkConnection`), and
:func:`audit_groups_on_cells` runs the very bootstrap and tables of the Python engine on those
sums (:func:`dmde.audit.bootstrap._audit_cells`): the rows never come into Python.

What is computed from aggregates, and equals the Python engine's on the same rows:

- every metric of :data:`~dmde.audit.metrics.METRIC_DEFINITIONS` per group of each attribute
  and pair (population share, share among the selected, selection rate, mean score and
  probability; with labels, base rate, precision, TPR, FPR, FNR, false-positive burden,
  calibration gap), their bootstrap intervals, the disparities, tests and flags, the method;
- with labels, the AUC per group and its Hanley-McNeil interval: the rows summed by (group,
  score, label) in the engine, the same arithmetic here on those blocks.

The counts are exact, and so are the figures made of counts only with unit weights
(population share, share among the selected, selection rate, and their intervals). Sums of
floating-point numbers depend on the order they are added in: the Python engine adds in row
order, DuckDB in its own (one scan for every attribute and pair, ``GROUPING SETS``); so the
means of score and probability, and what is drawn from them, agree to about 1e-12 relative
(the tests ask 1e-9), and with survey weights, where the square root of a cell's nearly
singular covariance carries those last bits further, to about 1e-8 (the tests ask 1e-7). The
flags are the same.

What needs rows and is not computed here (stated, not silently left out): the decile tables
(``deciles``, ``calibration``: national quantile edges of the score and probability), which
:attr:`GroupAudit.deciles <dmde.audit.metrics.GroupAudit>` and ``calibration`` return empty,
and the method says so under ``"aggregates"``; the model's parts of the audit (proxies on a
sample of rows, the score-gap decomposition, profiles), which :func:`dmde.audit.run.audit` adds
with the model.

Examples
--------
>>> import duckdb, numpy as np, pandas as pd
>>> from dmde.audit.settings import AuditSettings
>>> rng = np.random.default_rng(0)
>>> rows = pd.DataFrame({"gender": rng.choice(["female", "male"], 5_000),
...                      "score": rng.normal(500, 20, 5_000)})
>>> rows["selected"] = rows["score"] > 530
>>> rows["probability"] = 1 / (1 + np.exp(-(rows["score"] - 560) / 20))
>>> con = duckdb.connect()
>>> con.register("rows", rows)  # doctest: +ELLIPSIS
<...>
>>> cells = cell_sums_duckdb(con, "rows", ["gender"])
>>> result = audit_groups_on_cells(cells, settings=AuditSettings(n_boot=50))
>>> result.metrics.query("metric == 'selection_rate'")[["group", "n"]].values.tolist()
[['female', 2489], ['male', 2511]]
>>> from dmde.audit.metrics import audit_groups_with
>>> python = audit_groups_with(settings=AuditSettings(n_boot=50), selected=rows["selected"],
...     score=rows["score"], probability=rows["probability"], groups=rows[["gender"]])
>>> python.metrics.equals(result.metrics)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlglot import exp

from dmde.audit.bootstrap import _Attribute, _audit_cells, _Cells, _cells
from dmde.audit.metric_definitions import (
    _CALIBRATION_COLUMNS,
    _NEED_PROBABILITY,
    _STATES,
    _UNKNOWN,
    DISPARITY_COLUMNS,
    MISSING,
    SEPARATOR,
)
from dmde.audit.metrics import GroupAudit, _method, _references, flag_disparities
from dmde.audit.settings import AuditSettings
from dmde.core.stats import hanley_mcneil_se, kish_size

__all__ = ["AttributeCells", "Connection", "audit_groups_on_cells", "cell_sums_duckdb"]

FloatArray = npt.NDArray[np.float64]

#: What the aggregate audit leaves out, in the method's words.
NOT_FROM_AGGREGATES = (
    "computed from cell sums made by the engine (GROUP BY GROUPING SETS); the decile and "
    "calibration tables need the rows' national quantiles and are not computed"
)


class Connection(Protocol):
    """What the audit asks of an SQL engine: a DuckDB connection, or an object that runs DuckDB's
    SQL elsewhere (:class:`dmde.audit.spark_inputs.SparkConnection`). ``sql`` returns a result
    with ``df()``, ``fetchall()`` and ``to_arrow_table()``."""

    def sql(self, query: str, /) -> Any: ...

    def execute(self, query: str, /) -> Any: ...

    def register(self, name: str, table: Any, /) -> Any: ...

    def unregister(self, name: str, /) -> Any: ...


@dataclass(frozen=True)
class AttributeCells:
    """One attribute's (or pair's) cells as an engine sums them.

    Attributes
    ----------
    name : str
        The attribute, or ``"a × b"`` for a pair.
    groups : tuple of str
        Its groups present, in the audit's natural order (declared levels first, others
        sorted, :data:`~dmde.audit.metric_definitions.MISSING` last).
    cells : _Cells
        Per cell (group × selected × label state, ``len(groups) * 6``): rows, sums, spread.
    auc : tuple of two arrays, or None
        With labels: each group's AUC of the score and its Hanley-McNeil standard error.
    """

    name: str
    groups: tuple[str, ...]
    cells: _Cells
    auc: tuple[FloatArray, FloatArray] | None


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _as(expression: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(expression, name, quoted=True, copy=False)


def _double(expression: exp.Expr) -> exp.Expr:
    return exp.cast(expression, exp.DataType.Type.DOUBLE)


def _group_text(name: str) -> exp.Expr:
    return exp.cast(_col(name), exp.DataType.Type.VARCHAR)


def _state(label: str | None) -> exp.Expr:
    """0, 1 or 2 (unknown: NULL or NaN) of the label."""
    if label is None:
        return exp.Literal.number(_UNKNOWN)
    value = _double(_col(label))
    unknown = exp.or_(
        exp.Is(this=value.copy(), expression=exp.null()), exp.func("isnan", value.copy())
    )
    return exp.If(
        this=unknown,
        true=exp.Literal.number(_UNKNOWN),
        false=exp.cast(value.copy(), exp.DataType.Type.BIGINT),
    )


def _values(score: str, probability: str | None, weight: str | None) -> list[exp.Expr | None]:
    """``(w, w·score, w·probability)`` of a row as the Python engine computes them (None: 1)."""
    s = _double(_col(score))
    p = _double(_col(probability)) if probability else exp.Literal.number(0)
    if weight is None:
        return [None, s, _double(p)]
    w = _double(_col(weight))
    return [w, _times(w, s), _times(w, p)]


def _times(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """``(a) * (b)``, each side kept whole (the Python engine's order of operations)."""
    return exp.Mul(this=exp.paren(a.copy(), copy=False), expression=exp.paren(b.copy(), copy=False))


def _sum(value: exp.Expr | None) -> exp.Expr:
    if value is None:
        return _double(exp.Count(this=exp.Star()))
    return exp.Sum(this=value.copy())


def _cell_query(
    table: str,
    keys: Sequence[str],
    sets: Sequence[tuple[int, ...]],
    *,
    selected: str,
    label: str | None,
    score: str,
    probability: str | None,
    weight: str | None,
) -> str:
    """One scan of ``table`` summing the cells of every set of ``keys`` (``GROUPING SETS``);
    the column ``set`` tells which (``GROUPING()`` of the keys: a bit per key left out)."""
    values = _values(score, probability, weight)
    cell = exp.Add(
        this=exp.Mul(
            this=exp.cast(_col(selected), exp.DataType.Type.BIGINT),
            expression=exp.Literal.number(3),
        ),
        expression=_state(label),
    )
    sums = [_as(exp.Count(this=exp.Star()), "n")]
    sums += [_as(_sum(v), f"s{i}") for i, v in enumerate(values)]
    for i in range(3):
        for j in range(i, 3):
            a, b = values[i], values[j]
            product = b if a is None else (a if b is None else _times(a, b))
            sums.append(_as(_sum(product), f"p{i}{j}"))
    texts = [_group_text(k) for k in keys]
    grouping = exp.GroupingSets(
        expressions=[
            exp.Tuple(expressions=[*(texts[i].copy() for i in chosen), cell.copy()])
            for chosen in sets
        ]
    )
    query = exp.select(
        *(_as(t.copy(), f"k{n}") for n, t in enumerate(texts)),
        _as(cell, "cell"),
        _as(exp.Grouping(expressions=[t.copy() for t in texts]), "set"),
        *sums,
    ).from_(exp.Table(this=exp.to_identifier(table, quoted=True)))
    query.set("group", exp.Group(expressions=[grouping]))
    return query.sql(dialect="duckdb")


#: The sums of a cell, as :func:`_cell_query` names them.
SUM_COLUMNS = ("n", "s0", "s1", "s2", "p00", "p01", "p02", "p11", "p12", "p22")


def _presummed_query(table: str, keys: Sequence[str], sets: Sequence[tuple[int, ...]]) -> str:
    """:func:`_cell_query` over a table already summed at a finer grain (its rows hold the
    :data:`SUM_COLUMNS` of the cells of every key and ``cell``): the sums are added up."""
    texts = [_group_text(k) for k in keys]
    cell = _col("cell")
    grouping = exp.GroupingSets(
        expressions=[
            exp.Tuple(expressions=[*(texts[i].copy() for i in chosen), cell.copy()])
            for chosen in sets
        ]
    )
    query = exp.select(
        *(_as(t.copy(), f"k{n}") for n, t in enumerate(texts)),
        _as(cell.copy(), "cell"),
        _as(exp.Grouping(expressions=[t.copy() for t in texts]), "set"),
        *(_as(exp.Sum(this=_col(c)), c) for c in SUM_COLUMNS),
    ).from_(exp.Table(this=exp.to_identifier(table, quoted=True)))
    query.set("group", exp.Group(expressions=[grouping]))
    return query.sql(dialect="duckdb")


def _set_id(chosen: tuple[int, ...], n_keys: int) -> int:
    """``GROUPING()`` of the keys for a grouping set: bit ``n_keys - 1 - i`` if key i is out."""
    return sum(1 << (n_keys - 1 - i) for i in range(n_keys) if i not in chosen)


def _auc_query(table: str, key: str, *, label: str, score: str, weight: str | None) -> str:
    """Per (group, score) block of the labelled rows: sums of w·y, w·(1-y), w²·y, w²·(1-y)."""
    y = _double(_col(label))
    w = _double(_col(weight)) if weight else exp.Literal.number(1)
    one_minus = exp.Sub(this=exp.Literal.number(1), expression=y.copy())
    w_squared = _times(w, w)
    terms = {
        "positive": _times(w, y),
        "negative": _times(w, one_minus),
        "squares_positive": _times(w_squared, y),
        "squares_negative": _times(w_squared, one_minus),
    }
    known = exp.and_(
        exp.Not(this=exp.Is(this=y.copy(), expression=exp.null())),
        exp.Not(this=exp.func("isnan", y.copy())),
    )
    query = (
        exp.select(
            _as(_group_text(key), "k0"),
            _as(_double(_col(score)), "score"),
            *(_as(exp.Sum(this=_double(v)), k) for k, v in terms.items()),
        )
        .from_(exp.Table(this=exp.to_identifier(table, quoted=True)))
        .where(known)
        .group_by(exp.Literal.number(1), exp.Literal.number(2))
    )
    return query.sql(dialect="duckdb")


def _natural(present: Sequence[str | None], levels: Sequence[str] | None) -> tuple[str, ...]:
    """The audit's order of groups (:func:`dmde.audit.bootstrap.group_codes`)."""
    seen = {p for p in present if p is not None}
    declared = [c for c in (levels or []) if c in seen]
    names = declared + sorted(seen - set(declared))
    if any(p is None for p in present):
        names.append(MISSING)
    return tuple(names)


def _cells_of(frame: pd.DataFrame, index: npt.NDArray[np.int64], n_groups: int) -> _Cells:
    size = n_groups * _STATES
    count = np.zeros(size)
    first = np.zeros((size, 3))
    second = np.zeros((size, 3, 3))
    count[index] = frame["n"].to_numpy(dtype=float)
    for i in range(3):
        first[index, i] = frame[f"s{i}"].to_numpy(dtype=float)
        for j in range(i, 3):
            second[index, i, j] = second[index, j, i] = frame[f"p{i}{j}"].to_numpy(dtype=float)
    return _cells(count, first, second)


def _auc_of(
    blocks: pd.DataFrame, codes: npt.NDArray[np.int64], n_groups: int
) -> tuple[FloatArray, FloatArray]:
    """:func:`dmde.audit.bootstrap._auc` from the (group, score) blocks."""
    if len(blocks) == 0:
        return np.full(n_groups, np.nan), np.full(n_groups, np.nan)
    order = np.lexsort((blocks["score"].to_numpy(), codes))
    block = codes[order]
    positive = blocks["positive"].to_numpy(dtype=float)[order]
    negative = blocks["negative"].to_numpy(dtype=float)[order]
    positive_total = np.bincount(block, weights=positive, minlength=n_groups)
    negative_total = np.bincount(block, weights=negative, minlength=n_groups)
    offset = np.concatenate([[0.0], np.cumsum(negative_total)[:-1]])
    below = np.cumsum(negative) - negative - offset[block]
    numerator = np.bincount(block, weights=positive * (below + negative / 2), minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = numerator / (positive_total * negative_total)
        squares_pos = np.bincount(
            block,
            weights=blocks["squares_positive"].to_numpy(dtype=float)[order],
            minlength=n_groups,
        )
        squares_neg = np.bincount(
            block,
            weights=blocks["squares_negative"].to_numpy(dtype=float)[order],
            minlength=n_groups,
        )
        se = hanley_mcneil_se(
            auc, kish_size(positive_total, squares_pos), kish_size(negative_total, squares_neg)
        )
    return auc, se


def cell_sums_duckdb(
    con: Connection,
    table: str,
    attributes: Sequence[str],
    *,
    selected: str = "selected",
    score: str = "score",
    probability: str | None = "probability",
    label: str | None = None,
    weight: str | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
    intersections: bool = True,
    presummed: str | None = None,
) -> list[AttributeCells]:
    """The cells of each attribute (and pair of attributes) of ``table``, summed in DuckDB.

    Parameters
    ----------
    con : Connection
        The connection that holds ``table``.
    table : str
        A table (or view, or registered frame) with one row per file.
    attributes : sequence of str
        Its group columns (read as text; NULL is the group ``(missing)``).
    selected, score, probability, label, weight : str
        Its columns: selected by the score (boolean or 0/1), score, probability (None: none),
        label (1, 0 or NULL/NaN unknown; None: no labels), survey weight (None: unit).
    levels : mapping of str to sequence of str, optional
        Each attribute's declared order of groups (as a categorical's categories).
    intersections : bool, default True
        Also every pair of attributes, ``"a × b"``, as :func:`~dmde.audit.metrics.audit_groups`.
    presummed : str, optional
        A table of ``con`` holding the cells already summed at a finer grain (one row per
        combination of the attributes and ``cell`` = selected × 3 + label state, with the
        :data:`SUM_COLUMNS`): the cells are added up from it, a small table, instead of
        scanning ``table`` once more (``table`` still gives the AUC's blocks).

    Returns
    -------
    list of AttributeCells
        Attributes in the order given, then the pairs (as the Python engine orders them).
    """
    levels = dict(levels or {})
    options: dict[str, Any] = {
        "selected": selected,
        "label": label,
        "score": score,
        "probability": probability,
        "weight": weight,
    }
    m = len(attributes)
    pairs = list(combinations(range(m), 2)) if intersections else []
    sets = [(i,) for i in range(m)] + pairs
    every = con.sql(
        _cell_query(table, attributes, sets, **options)
        if presummed is None
        else _presummed_query(presummed, attributes, sets)
    ).df()
    parts = {chosen: every[every["set"] == _set_id(chosen, m)] for chosen in sets}
    singles: list[tuple[str, tuple[str, ...], pd.DataFrame]] = []
    for i, name in enumerate(attributes):
        frame = parts[(i,)]
        keys = frame[f"k{i}"]
        groups = _natural([None if pd.isna(k) else str(k) for k in keys], levels.get(name))
        singles.append((name, groups, frame))
    out = []
    for i, (name, groups, frame) in enumerate(singles):
        codes = _codes(frame[f"k{i}"], groups)
        cells = _cells_of(
            frame, codes * _STATES + frame["cell"].to_numpy(dtype=np.int64), len(groups)
        )
        out.append(AttributeCells(name, groups, cells, _auc(con, table, name, groups, options)))
    for i, j in pairs:
        (a, ga, _), (b, gb, _) = singles[i], singles[j]
        frame = parts[(i, j)]
        width = len(gb)
        combined = _codes(frame[f"k{i}"], ga) * width + _codes(frame[f"k{j}"], gb)
        present = np.zeros(len(ga) * width, dtype=bool)
        present[combined] = True
        remap = np.cumsum(present) - 1
        names = tuple(
            f"{ga[c // width]}{SEPARATOR}{gb[c % width]}" for c in np.flatnonzero(present)
        )
        index = remap[combined] * _STATES + frame["cell"].to_numpy(dtype=np.int64)
        cells = _cells_of(frame, index, len(names))
        auc = None
        if label is not None:
            pair = f"{a}{SEPARATOR}{b}"
            view = f"dmde_pair_{len(out)}"
            text = exp.Concat(
                expressions=[
                    exp.func("coalesce", _group_text(a), exp.Literal.string(MISSING)),
                    exp.Literal.string(SEPARATOR),
                    exp.func("coalesce", _group_text(b), exp.Literal.string(MISSING)),
                ]
            )
            source = exp.select(exp.Star(), _as(text, pair)).from_(
                exp.Table(this=exp.to_identifier(table, quoted=True))
            )
            con.execute(f'CREATE OR REPLACE TEMP VIEW "{view}" AS {source.sql(dialect="duckdb")}')
            auc = _auc(con, view, pair, names, options)
        out.append(AttributeCells(f"{a}{SEPARATOR}{b}", names, cells, auc))
    return out


def _codes(values: pd.Series[Any], groups: tuple[str, ...]) -> npt.NDArray[np.int64]:
    position = {g: i for i, g in enumerate(groups)}
    return np.asarray(
        [
            position[
                MISSING
                if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                else str(v)
            ]
            for v in values
        ],
        dtype=np.int64,
    )


def _auc(
    con: Connection,
    table: str,
    key: str,
    groups: tuple[str, ...],
    options: Mapping[str, Any],
) -> tuple[FloatArray, FloatArray] | None:
    label, score = options["label"], options["score"]
    if label is None or score is None:
        return None
    blocks = con.sql(
        _auc_query(table, key, label=label, score=score, weight=options["weight"])
    ).df()
    return _auc_of(blocks, _codes(blocks["k0"], groups), len(groups))


def audit_groups_on_cells(
    cells: Sequence[AttributeCells],
    *,
    settings: AuditSettings | None = None,
    calibrated: bool = True,
    weighted: bool = False,
) -> GroupAudit:
    """The group audit (:func:`~dmde.audit.metrics.audit_groups_with`) from cell sums.

    Parameters
    ----------
    cells : sequence of AttributeCells
        As :func:`cell_sums_duckdb` gives them (attributes, then pairs).
    settings : AuditSettings, optional
        The statistical options (``intersections`` is decided by the cells given).
    calibrated : bool, default True
        Whether there were probabilities (else the metrics that need them are dropped).
    weighted : bool, default False
        Whether the sums are weighted (said in the method).

    Returns
    -------
    GroupAudit
        ``metrics``, ``disparities`` and ``method`` as the Python engine gives them for the
        same rows; ``deciles`` and ``calibration`` empty (they need the rows), and
        ``method["aggregates"]`` says so.
    """
    settings = AuditSettings() if settings is None else settings
    attributes = [_Attribute(c.name, np.empty(0, dtype=np.int64), c.groups) for c in cells]
    references = _references(settings.reference, attributes)
    metric_frames, disparity_frames, used = [], [], {}
    for k, attribute in enumerate(cells):
        metrics, disparities, used[attribute.name] = _audit_cells(
            attribute.name,
            attribute.groups,
            attribute.cells,
            attribute.auc,
            references[attribute.name],
            n_boot=settings.n_boot,
            rng=np.random.default_rng([settings.seed, k]),
            min_cell=settings.min_cell,
            alpha=settings.alpha,
        )
        metric_frames.append(metrics)
        disparity_frames.append(disparities)
    metrics = pd.concat(metric_frames, ignore_index=True)
    disparities = pd.concat(disparity_frames, ignore_index=True)
    if not calibrated:
        metrics = metrics[~metrics["metric"].isin(_NEED_PROBABILITY)].reset_index(drop=True)
        keep = ~disparities["metric"].isin(_NEED_PROBABILITY)
        disparities = disparities[keep].reset_index(drop=True)
    disparities = flag_disparities(
        disparities, band=settings.band, alpha=settings.alpha, correction=settings.correction
    )
    method = _method(
        n_boot=settings.n_boot,
        seed=settings.seed,
        alpha=settings.alpha,
        band=settings.band,
        min_cell=settings.min_cell,
        correction=settings.correction,
        references=used,
        intersections=any(SEPARATOR in c.name for c in cells),
        weighted=weighted,
        n_tested=int(disparities["tested"].sum()),
    )
    method["aggregates"] = NOT_FROM_AGGREGATES
    return GroupAudit(
        metrics=metrics,
        disparities=disparities[list(DISPARITY_COLUMNS)],
        deciles=pd.DataFrame(columns=["attribute", "group", "decile", "share", "n", "suppressed"]),
        calibration=pd.DataFrame(columns=_CALIBRATION_COLUMNS),
        method=method,
    )
