"""A simulator of the reinforcement loop: what a targeting policy does to whom, month after month.

Each month of a synthetic panel (:func:`~dmde.data.synthetic_panel.generate_panel`, where the
truth is known) the simulator lets each policy score the month's files, select a budget of them
for a check, "checks" them (the truth decides what a check finds), feeds the results back as the
policy says, and moves to the next month. The same panel, the same random controls and the same
draws of what a check finds are shared by every policy of a seed (common random numbers), so the
policies differ only by what they do.

The world (assumptions, stated in the report)
-----------------------------------------------
What a check finds
    A check of a file in month ``t`` finds an overpayment of at least 600 EUR lasting at least
    6 months when the panel's truth says so (``truth_target``: one uniform draw per household,
    fixed at entry, against the month's true probability) **and** its 24-month look-back reaches
    months that no earlier check covered: a file checked ``g`` months before (``g < 24``) yields
    a finding only with probability ``g / 24`` (what an earlier check found was recovered and
    corrected; ``recovery=False`` drops this rule: the overpayment persists and a later check
    finds it again). The amount found is ``600 + lognormal(log 700, 0.8)`` EUR, as in the panel's
    labels (mean about 1,560 EUR).
Behaviour
    Households do not respond to checks: their situations, their true risk and their latent
    draw move as the panel says, whatever the policies do. With ``history_effect`` (a planted
    world, for tests and for contrast) the true logit of a household checked in the last 24
    months moves by ``history_effect``: checks then change the truth.
The random-control survey
    Every policy sees the panel's random controls (625 a month by default, stratified, with
    their weights): they are checked under every policy, enter its control history, and are
    the only labels the ``dmde`` policy learns from. The first model of every model policy is
    trained on a year's survey drawn uniformly from the first month (12 months of controls, as
    the agency's yearly survey), labelled by the truth.
The budget
    ``budget_share`` is the yearly share of files checked on the score (0.012: about 166,000
    checks a year for 13.8 million files), spread evenly: each month
    ``floor(budget_share * files open / 12)`` files are selected.
Control history
    A policy's control history of a file is its checks (score and survey) of the last 24
    months, starting from the panel's own history in the first month (``n_controls_24m``,
    ``months_since_last_control``, ``past_indu_24m``).

Policies
--------
``random-only``
    No score: the budget is drawn uniformly at random (the baseline).
``dmde``
    A binned logistic regression on the features the production policy admits
    (:class:`~dmde.data.catalog.FeaturePolicy`), trained on the random-control survey alone
    (weighted) of the last 12 months, retrained every ``retrain_every`` months (today's design).
``retrain-on-selected``
    The same features, trained on every checked file of the last 12 months (survey and score
    selected, unweighted): the model learns from the files it chose.
``with-history``
    As ``retrain-on-selected`` plus three control-history features (checks in the last 24
    months, whether one found an overpayment, months since the last check). **These features
    are outside dmde's feature policy**, which excludes the control-history family from every
    model: the simulator fits them with its own plain logistic on bin codes
    (:class:`BinnedLogistic`), never with a :class:`~dmde.model.family.Scorecard`, whose policy
    checks stay as they are.
A policy of your own
    Any object with ``name``, ``select`` and ``learn`` (:class:`SimulationPolicy`), and
    optionally ``scores`` (for the AUC on the truth).

Figures and intervals
---------------------
Shares (hit rate, checks on already-checked households) are pooled over the months and the
seeds; their 95% interval is taken across the seeds on the logit (Student's t), so that it
stays within 0 and 1 and carries the variability between panels; with one seed no such interval
exists and a share gets the binomial (Wilson) interval of its checks instead
(:func:`seed_interval`). The Gini of checks is taken over the households checked at least once
(score and survey checks since month 1): 0 when each was checked once.

Everything runs on arrays in memory: each seed's panel is generated once, month by month, and
the policies advance in step with it. With built-in policies, half of the seeds run in a forked
child process beside the others (:func:`~dmde.audit.forked.in_child`), with the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dmde.audit.forked import in_child
from dmde.audit.simulation_policies import (
    BUILTIN_POLICIES,
    Checks,
    MonthView,
    SimulationPolicy,
    builtin_policy,
)
from dmde.audit.targeting import GROUP_ATTRIBUTES, group_columns
from dmde.batch.ranking import tie_keys
from dmde.core.errors import DmdeError
from dmde.core.stats import wilson
from dmde.data.catalog import FeaturePolicy, column
from dmde.data.synthetic_panel import default_month_controls, generate_panel

__all__ = [
    "METRICS",
    "SHARES",
    "SimulationResult",
    "expected_auc",
    "gini",
    "monthly_budget",
    "seed_interval",
    "simulate",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_NO_CHECK = -1_000_000
_KEPT = 4  # checks of a file kept in its history
_WINDOW = 24  # months of the look-back and of the control history
_SIM_KEY = 2_000_003  # spawn key of the simulator's monthly streams
_QUANTILES = np.linspace(0.1, 0.9, 9)


# ---------------------------------------------------------------------------------------------
# The panel's month as arrays
@dataclass(frozen=True)
class _Month:
    number: int
    month: str
    ids: IntArray
    codes: npt.NDArray[np.int16]
    probability: FloatArray
    target: BoolArray
    controlled: npt.NDArray[np.intp]
    control_weight: FloatArray
    groups: npt.NDArray[np.int16]  # (n_attributes, n): level codes
    history0: dict[str, Any]  # the panel's history columns (first month only)


class _Binner:
    """Bin codes of the production policy's features: deciles of the first month for numbers
    (missing in a bin of its own), levels for categories, 0/1 for flags."""

    def __init__(self, table: pa.Table) -> None:
        self.names = FeaturePolicy().features
        self.edges: dict[str, FloatArray] = {}
        self.n_bins: list[int] = []
        for name in self.names:
            col = column(name)
            if col.dtype == "category":
                self.n_bins.append(len(col.levels))
            elif col.dtype == "flag":
                self.n_bins.append(2)
            else:
                x = _floats(table.column(name))
                edges = np.unique(np.quantile(x[~np.isnan(x)], _QUANTILES))
                self.edges[name] = edges
                self.n_bins.append(edges.shape[0] + 2)  # + the top bin and missing

    def codes(self, table: pa.Table) -> npt.NDArray[np.int16]:
        out = np.empty((len(self.names), table.num_rows), dtype=np.int16)
        for j, name in enumerate(self.names):
            col = column(name)
            values = table.column(name)
            if col.dtype == "category":
                out[j] = _level_codes(values, col.levels)
            elif col.dtype == "flag":
                out[j] = _floats(values) > 0
            else:
                x = _floats(values)
                code = np.searchsorted(self.edges[name], x, side="left")
                out[j] = np.where(np.isnan(x), self.n_bins[j] - 1, code)
        return out


def _floats(values: Any) -> FloatArray:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


def _level_codes(values: Any, levels: Sequence[str]) -> npt.NDArray[np.int64]:
    index = pc.index_in(values, value_set=pa.array(list(levels)))
    return np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int64)


#: The audit's group attributes the report shows, and their levels (codes).
ATTRIBUTES = tuple(GROUP_ATTRIBUTES)
_GROUP_SOURCES = (
    "gender",
    "nationality_group",
    "age",
    "household_type",
    "mean_aah_12m",
    "urban_rural",
    "income_to_smic",
)


def _groups(table: pa.Table) -> npt.NDArray[np.int16]:
    """The audit's groups (:func:`~dmde.audit.targeting.group_columns`) as level codes in
    :data:`~dmde.audit.targeting.GROUP_ATTRIBUTES` order; text columns go in as categoricals,
    recoded through their few categories."""
    sources = table.select(list(_GROUP_SOURCES))
    encoded = [
        pc.dictionary_encode(col) if pa.types.is_string(col.type) else col
        for col in sources.columns
    ]
    frame = pa.table(encoded, names=sources.column_names).to_pandas()
    groups = group_columns(frame)
    out = np.empty((len(ATTRIBUTES), table.num_rows), dtype=np.int16)
    for i, attribute in enumerate(ATTRIBUTES):
        out[i] = groups[attribute].cat.codes.to_numpy()
    return out


def _panel_months(
    n_rows: int, months: int, seed: int, controls: int | None, start: str
) -> Iterator[tuple[_Month, pa.Table]]:
    chunks: list[pa.Table] = []
    current: str | None = None
    number = 0

    def flush() -> tuple[_Month, pa.Table]:
        table = pa.concat_tables(chunks) if len(chunks) > 1 else chunks[0]
        controlled = np.flatnonzero(_floats(table.column("controlled")) > 0)
        weight = _floats(table.column("control_weight"))[controlled]
        history0 = {}
        if number == 1:
            history0 = {
                k: _floats(table.column(k))
                for k in ("n_controls_24m", "months_since_last_control", "past_indu_24m")
            }
        month = _Month(
            number=number,
            month=str(current),
            ids=np.asarray(table.column("dossier_id").to_numpy(), dtype=np.int64),
            codes=np.empty((0, 0), dtype=np.int16),
            probability=_floats(table.column("truth_probability")),
            target=_floats(table.column("truth_target")) > 0,
            controlled=controlled,
            control_weight=weight,
            groups=_groups(table),
            history0=history0,
        )
        return month, table

    stream = generate_panel(
        n_rows, months=months, seed=seed, controls=controls, start=start, with_truth=True
    )
    for month, table in stream:
        if month != current and chunks:
            yield flush()
            chunks = []
        if month != current:
            number += 1
            current = month
        chunks.append(table)
    if chunks:
        yield flush()


# ---------------------------------------------------------------------------------------------
# A policy's world: its control history and the truth it meets
class _History:
    """Each file's last checks (month number, found) under one policy, indexed by dossier_id."""

    def __init__(self, capacity: int) -> None:
        self.month = np.full((capacity, _KEPT), _NO_CHECK, dtype=np.int32)
        self.found = np.zeros((capacity, _KEPT), dtype=bool)
        self.score_checks = np.zeros(capacity, dtype=np.int32)
        self.checks = np.zeros(capacity, dtype=np.int32)  # score and survey, since month 1

    def grow(self, capacity: int) -> None:
        old = self.month.shape[0]
        if capacity <= old:
            return
        extra = max(capacity, 2 * old) - old
        self.month = np.concatenate([self.month, np.full((extra, _KEPT), _NO_CHECK, np.int32)])
        self.found = np.concatenate([self.found, np.zeros((extra, _KEPT), bool)])
        self.score_checks = np.concatenate([self.score_checks, np.zeros(extra, np.int32)])
        self.checks = np.concatenate([self.checks, np.zeros(extra, np.int32)])

    def record(self, ids: IntArray, number: int, found: BoolArray) -> None:
        self.month[ids, :-1] = self.month[ids, 1:]
        self.found[ids, :-1] = self.found[ids, 1:]
        self.month[ids, -1] = number
        self.found[ids, -1] = found

    def last(self, ids: IntArray) -> npt.NDArray[np.int32]:
        return np.asarray(self.month[ids, -1], dtype=np.int32)

    def codes(self, ids: IntArray, number: int) -> npt.NDArray[np.int16]:
        months = self.month[ids]
        within = (number - months) <= _WINDOW
        count = np.minimum(within.sum(axis=1), 3)
        found = (self.found[ids] & within).any(axis=1)
        since = number - months[:, -1]
        since_code = np.where(
            since > _WINDOW - 1, 0, np.where(since < 6, 1, np.where(since < 12, 2, 3))
        )
        return np.stack([count, found, since_code]).astype(np.int16)


def _initial_history(history: _History, month: _Month) -> None:
    """The panel's own control history in the first month, as the policies' starting point."""
    h = month.history0
    count = np.nan_to_num(h["n_controls_24m"]).astype(np.int64)
    since = h["months_since_last_control"]
    found = np.nan_to_num(h["past_indu_24m"]) > 0
    has = ~np.isnan(since) & (since < _WINDOW)
    last = np.where(has, -np.nan_to_num(since).astype(np.int64), _NO_CHECK)
    ids = month.ids
    for back in range(_KEPT - 1, -1, -1):  # oldest first
        on = has & (back < np.maximum(count, 1))
        at = np.maximum(last - 6 * back, -(_WINDOW - 1))
        rows = ids[on]
        history.record(rows, 0, np.zeros(rows.shape[0], bool))
        history.month[rows, -1] = at[on]
        history.found[rows, -1] = found[on] & (back == 0)


@dataclass(frozen=True)
class _Draws:
    """The month's draws shared by every policy: the look-back draw and the amount found."""

    window_u: FloatArray
    amount: FloatArray
    latent_v: FloatArray


def _month_draws(seed: int, month: _Month) -> _Draws:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SIM_KEY, month.number)))
    n = month.ids.shape[0]
    window_u = np.asarray(rng.random(n), dtype=np.float64)
    amount = np.round(600.0 + np.exp(np.log(700.0) + 0.8 * rng.standard_normal(n)), 2)
    latent_v = tie_keys(month.ids, seed=seed + 1).astype(np.float64) / 2.0**64
    return _Draws(window_u, amount, latent_v)


def _truth(
    month: _Month, draws: _Draws, recent: BoolArray, effect: float
) -> tuple[FloatArray, BoolArray]:
    """The true probability and target a policy meets: the panel's, or with a planted effect of
    a check in the last 24 months on the logit (the household's latent draw kept)."""
    p, target = month.probability, month.target
    if effect == 0.0:
        return p, target
    logit = np.log(np.clip(p, 1e-9, 1 - 1e-9) / np.clip(1 - p, 1e-9, 1))
    q = 1.0 / (1.0 + np.exp(-(logit + effect * recent)))
    up = q >= p
    added = draws.latent_v < (q - p) / np.maximum(1 - p, 1e-12)
    kept = draws.latent_v < q / np.maximum(p, 1e-12)
    return q, np.where(up, target | added, target & kept)


def expected_auc(score: FloatArray, probability: FloatArray) -> float:
    """The AUC a score would have against outcomes drawn from ``probability``: each file counts
    as a case with weight p and as a non-case with weight 1 - p (ties count one half).

    Examples
    --------
    >>> round(expected_auc(np.array([1.0, 2.0]), np.array([0.0, 1.0])), 6)
    1.0
    >>> round(expected_auc(np.array([1.0, 1.0, 1.0]), np.array([0.2, 0.5, 0.9])), 6)
    0.5
    """
    order = np.argsort(score, kind="stable")
    s, p = score[order], probability[order]
    q = 1.0 - p
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pg = np.add.reduceat(p, starts)
    qg = np.add.reduceat(q, starts)
    below = np.cumsum(qg) - qg
    self_pairs = float((p * q).sum())
    numerator = float((pg * (below + 0.5 * qg)).sum()) - 0.5 * self_pairs
    denominator = float(p.sum() * q.sum()) - self_pairs
    return numerator / denominator if denominator > 0 else math.nan


def gini(counts: npt.NDArray[np.integer]) -> float:
    """Gini coefficient of non-negative counts (0: equal; towards 1: concentrated).

    Examples
    --------
    >>> gini(np.array([1, 1, 1, 1])), round(gini(np.array([0, 0, 0, 4])), 2)
    (0.0, 0.75)
    """
    c = np.sort(np.asarray(counts, dtype=np.float64))
    n, total = c.shape[0], float(c.sum())
    if n == 0 or total == 0:
        return math.nan
    return float(2.0 * (np.arange(1, n + 1) * c).sum() / (n * total) - (n + 1) / n)


# ---------------------------------------------------------------------------------------------
# The results
#: The figures recorded per policy, seed and month.
METRICS: Mapping[str, str] = {
    "files": "files open",
    "checks": "checks selected by the policy",
    "hits": "checks that found an overpayment",
    "hit_rate": "share of checks that found an overpayment",
    "amount": "overpayment found (EUR)",
    "base_rate": "share of open files with a true overpayment",
    "auc_truth": "AUC of the scores against the true probabilities (all open files)",
    "repeats": "checks on files already checked (score or survey) in the last 24 months",
    "repeat_share": "share of checks on files already checked in the last 24 months",
    "checked_2": "files checked twice by the policy's score since month 1",
    "checked_3": "files checked three times by the score",
    "checked_4plus": "files checked four times or more by the score",
    "gini": "Gini of all checks (score and survey) since month 1 among the households checked "
    "at least once (0: each checked once)",
}

#: The share metrics and their counts (successes, trials): their intervals come from counts.
SHARES: Mapping[str, tuple[str, str]] = {
    "hit_rate": ("hits", "checks"),
    "repeat_share": ("repeats", "checks"),
}
#: Metrics bounded by 0 and 1 without counts: their intervals are taken on the logit.
_BOUNDED = frozenset({"auc_truth", "base_rate", "gini"})


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """The simulation's figures, as arrays.

    Attributes
    ----------
    policies : tuple of str
    seeds : tuple of int
    months : tuple of str
        The panel's months (the same for every seed).
    metrics : dict of str to ndarray of shape (n_policies, n_seeds, n_months)
        :data:`METRICS`.
    composition : ndarray of shape (n_policies, n_seeds, n_months, n_levels, 3)
        Per group level (:attr:`levels`): the policy's checks, those that found nothing, and the
        open files with a true overpayment.
    levels : tuple of (str, str)
        (attribute, level) of the audit's groups (:data:`~dmde.audit.targeting.GROUP_ATTRIBUTES`).
    settings : dict
        The run's parameters and assumptions (JSON-ready).
    """

    policies: tuple[str, ...]
    seeds: tuple[int, ...]
    months: tuple[str, ...]
    metrics: dict[str, FloatArray]
    composition: FloatArray
    levels: tuple[tuple[str, str], ...]
    settings: dict[str, Any]

    def per_seed(self, metric: str, *, months: slice = slice(None)) -> FloatArray:
        """Per policy and seed, ``metric`` over ``months``: a share from its counts summed over
        the months (:data:`SHARES`), any other metric the mean of the months that have a
        value; shape (n_policies, n_seeds)."""
        if metric in SHARES:
            k, n = (self.metrics[c][:, :, months].sum(axis=2) for c in SHARES[metric])
            return np.asarray(np.where(n > 0, k / np.maximum(n, 1), np.nan))
        values = self.metrics[metric][:, :, months]
        present = ~np.isnan(values)
        count = present.sum(axis=2)
        total = np.where(present, values, 0.0).sum(axis=2)
        return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan))

    def summary(self, metric: str, *, months: slice = slice(None)) -> FloatArray:
        """Per policy: ``metric`` over ``months`` (:meth:`per_seed`), then its estimate and 95%
        interval over the seeds, shape (n_policies, 3): see :func:`seed_interval` (a share is
        pooled over the seeds and its interval stays within 0 and 1; with one seed a share gets
        the binomial interval of its checks, any other metric no interval)."""
        per_seed = self.per_seed(metric, months=months)
        if metric in SHARES:
            k, n = (self.metrics[c][:, :, months].sum(axis=(1, 2)) for c in SHARES[metric])
            return seed_interval(per_seed, bounded=True, counts=(k, n))
        return seed_interval(per_seed, bounded=metric in _BOUNDED)

    def last(self, metric: str) -> FloatArray:
        """Per policy: the last month's value, mean and 95% interval over seeds (no interval
        with one seed)."""
        return seed_interval(self.metrics[metric][:, :, -1], bounded=metric in _BOUNDED)

    def difference(self, metric: str, a: int, b: int) -> FloatArray:
        """Policy ``a`` minus policy ``b`` on ``metric`` over the run (:meth:`per_seed`), paired
        by seed (the two meet the same panel): mean and 95% interval over the seeds (Student's
        t; no interval with one seed), shape (3,)."""
        per_seed = self.per_seed(metric)
        bounds = (-1.0, 1.0) if metric in SHARES or metric in _BOUNDED else None
        return np.asarray(seed_interval((per_seed[a] - per_seed[b])[None, :], within=bounds)[0])

    @property
    def interval_words(self) -> str:
        """How the intervals were taken, in words (for reports)."""
        n = len(self.seeds)
        if n < 2:
            return (
                "one seed: no interval across panels exists; shares carry the binomial (Wilson) "
                "95% interval of the one panel's checks, other figures and differences none"
            )
        return (
            f"95% across the {n} seeds (Student's t with {n - 1} degree"
            f"{'s' if n > 2 else ''} of freedom; shares and AUCs on the logit, so that they stay "
            "within 0 and 1, around the share pooled over the seeds; differences paired by seed)"
        )


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def _expit(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def seed_interval(
    per_seed: FloatArray,
    *,
    bounded: bool = False,
    counts: tuple[FloatArray, FloatArray] | None = None,
    within: tuple[float, float] | None = None,
) -> FloatArray:
    """Estimate and 95% interval over the seeds, per row of ``per_seed`` (policies x seeds):
    shape (n_rows, 3).

    - Two seeds or more: Student's t over the seeds. ``bounded`` values (shares, AUCs) are
      taken on the logit and transformed back, so that the interval stays within 0 and 1; with
      ``counts`` (successes, trials summed over the seeds) the estimate is the pooled share and
      the interval is centred on its logit. The interval carries the variability between
      panels; with few seeds it is wide (one degree of freedom with two seeds: t = 12.7).
      ``within`` (low, high) bounds an unbounded interval where the values cannot go (a
      difference of shares lies within -1 and 1).
    - One seed: no interval exists across panels. With ``counts``, the binomial (Wilson)
      interval of the seed's checks (:func:`~dmde.core.stats.wilson`), which knows nothing of
      the variability between panels; otherwise NaN bounds, never a zero-width interval.

    Examples
    --------
    >>> seed_interval(np.array([[0.1, 0.3]]), bounded=True).round(3).tolist()
    [[0.179, 0.0, 0.999]]
    >>> seed_interval(np.array([[0.5]])).tolist()
    [[0.5, nan, nan]]
    """
    from scipy.stats import t as student

    values = np.asarray(per_seed, dtype=np.float64)
    n = values.shape[1]
    if counts is not None:
        k, trials = (np.asarray(c, dtype=np.float64) for c in counts)
        centre = np.where(trials > 0, k / np.maximum(trials, 1), np.nan)
    elif bounded:
        centre = _expit(_logit(values).mean(axis=1)) if n else np.full(len(values), np.nan)
    else:
        centre = values.mean(axis=1)
    if n < 2:
        low = np.full(centre.shape, np.nan)
        high = np.full(centre.shape, np.nan)
        if counts is not None:
            for i in range(centre.shape[0]):
                low[i], high[i] = wilson(float(k[i]), float(trials[i]))
        return np.stack([centre, low, high], axis=1)
    quantile = float(student.ppf(0.975, n - 1))
    if bounded:
        spread = quantile * _logit(values).std(axis=1, ddof=1) / math.sqrt(n)
        middle = _logit(centre)
        low, high = _expit(middle - spread), _expit(middle + spread)
    else:
        half = quantile * values.std(axis=1, ddof=1) / math.sqrt(n)
        low, high = centre - half, centre + half
        if within is not None:
            low, high = np.maximum(low, within[0]), np.minimum(high, within[1])
    return np.stack([centre, low, high], axis=1)


# ---------------------------------------------------------------------------------------------
# The loop
def _check_args(
    n_rows: int, months: int, budget_share: float, seeds: Sequence[int], retrain_every: int
) -> None:
    if not isinstance(n_rows, int | np.integer) or n_rows < 1_000:
        raise DmdeError(f"rows must be a whole number of at least 1,000; got {n_rows!r}.")
    if not isinstance(months, int | np.integer) or not 1 <= months <= 120:
        raise DmdeError(f"months must be a whole number from 1 to 120; got {months!r}.")
    if not isinstance(budget_share, float | int) or not 0 < budget_share <= 1:
        raise DmdeError(
            f"budget_share must be a yearly share of the files in (0, 1], such as 0.012; got "
            f"{budget_share!r}."
        )
    if not seeds:
        raise DmdeError("seeds must name at least one seed, such as (0, 1, 2, 3, 4).")
    if not isinstance(retrain_every, int | np.integer) or retrain_every < 1:
        raise DmdeError(
            f"retrain_every must be a whole number of months, 1 or more; got {retrain_every!r}."
        )


def monthly_budget(n_files: int, budget_share: float) -> int:
    """Checks in a month: ``floor(budget_share * n_files / 12)``, the share read as the decimal
    it prints as.

    Examples
    --------
    >>> monthly_budget(200_000, 0.012)
    200
    """
    return int(Fraction(str(budget_share)) * n_files / 12)


def simulate(
    policies: Sequence[str | SimulationPolicy] = tuple(BUILTIN_POLICIES),
    *,
    n_rows: int = 200_000,
    months: int = 24,
    budget_share: float = 0.012,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    retrain_every: int = 12,
    cooldown: int = 12,
    recovery: bool = True,
    controls: int | None = None,
    history_effect: float = 0.0,
    start: str = "2025-01",
) -> SimulationResult:
    """Simulate targeting policies over a synthetic panel, month after month, for each seed.

    Parameters
    ----------
    policies : sequence of str or SimulationPolicy
        Built-in names (:data:`BUILTIN_POLICIES`) or policy objects. An object is used for
        every seed as it is (give a fresh one per seed through a factory: a callable taking
        the seed and returning a policy).
    n_rows : int
        Households of the panel (:func:`~dmde.data.synthetic_panel.generate_panel`).
    months : int
        Months simulated.
    budget_share : float
        Yearly share of the files checked on the score (see :func:`monthly_budget`).
    seeds : sequence of int
        One panel per seed; the figures' intervals are taken over the seeds.
    retrain_every : int
        Months between two trainings of the model policies (12: yearly).
    cooldown : int
        A file checked (on a score or at random) in the last ``cooldown`` months is not
        selected again (0: no such rule): without it, a score that moves little selects the
        same files month after month.
    recovery : bool
        True: what a check found was recovered, so a check ``g`` months after the previous one
        (``g < 24``) finds an overpayment only with probability ``g / 24`` (its look-back
        reaches that many months no check covered). False: it finds the truth again, whatever
        the previous checks (the overpayment persists).
    controls : int, optional
        Random controls a month (the panel's default: 625, or a twelfth of a smaller panel).
    history_effect : float
        Planted effect on the true logit of a check in the last 24 months (0: the neutral
        world, where checks change nothing).
    start : str
        The panel's first month.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> result = simulate(["random-only", "dmde"], n_rows=2_000, months=3, seeds=[0],
    ...                   controls=50)
    >>> result.metrics["checks"].shape
    (2, 1, 3)
    """
    _check_args(n_rows, months, budget_share, seeds, retrain_every)
    if not isinstance(cooldown, int | np.integer) or not 0 <= cooldown <= _WINDOW:
        raise DmdeError(
            f"cooldown must be a whole number of months from 0 to 24; got {cooldown!r}."
        )
    names = [_policy_name(p, 0, retrain_every) for p in policies]
    if len(set(names)) != len(names):
        raise DmdeError(f"policies must have distinct names; got {names}.")
    levels = tuple(
        (attribute, code)
        for attribute in ATTRIBUTES
        for code, _, _ in GROUP_ATTRIBUTES[attribute].levels
    )

    def run(part: Sequence[int]) -> list[_SeedRun]:
        return [
            _run_seed(
                policies,
                seed,
                n_rows,
                months,
                budget_share,
                retrain_every,
                cooldown,
                recovery,
                controls,
                history_effect,
                start,
                len(levels),
            )
            for seed in part
        ]

    seeds = list(seeds)
    if len(seeds) > 1 and all(isinstance(p, str) for p in policies):
        # Built-in policies are made afresh for each seed: half of the seeds run in a forked
        # child beside the others (the same figures, in about half the time on two cores).
        half = len(seeds) // 2
        first = in_child(lambda: run(seeds[:half]))
        later = run(seeds[half:])
        runs = first() + later
    else:
        runs = run(seeds)
    month_names = runs[0][0]
    metrics = {
        k: np.stack([np.stack([r[1][i][k] for r in runs]) for i in range(len(names))])
        for k in METRICS
    }
    composition = np.stack([np.stack([r[2][i] for r in runs]) for i in range(len(names))])
    settings = {
        "rows": n_rows,
        "months": months,
        "budget_share": budget_share,
        "seeds": list(seeds),
        "retrain_every": retrain_every,
        "cooldown": cooldown,
        "recovery": recovery,
        "controls": default_month_controls(n_rows, controls),
        "history_effect": history_effect,
        "start": start,
    }
    return SimulationResult(
        policies=tuple(names),
        seeds=tuple(int(s) for s in seeds),
        months=tuple(month_names),
        metrics=metrics,
        composition=composition,
        levels=levels,
        settings=settings,
    )


def _policy_name(policy: Any, seed: int, retrain_every: int) -> str:
    return str(_make_policy(policy, seed, retrain_every).name)


def _make_policy(policy: Any, seed: int, retrain_every: int) -> SimulationPolicy:
    if isinstance(policy, str):
        return builtin_policy(policy, retrain_every=retrain_every, seed=seed)
    if isinstance(policy, SimulationPolicy):
        return policy
    if callable(policy):
        made = policy(seed)
        if isinstance(made, SimulationPolicy):
            return made
    raise DmdeError(
        f"policy {policy!r} is neither a built-in name ({', '.join(BUILTIN_POLICIES)}) nor an "
        "object with name, select and learn (dmde.audit.simulation.SimulationPolicy)."
    )


_SeedRun = tuple[list[str], list[dict[str, FloatArray]], list[FloatArray]]


def _run_seed(
    specs: Sequence[Any],
    seed: int,
    n_rows: int,
    months: int,
    budget_share: float,
    retrain_every: int,
    cooldown: int,
    recovery: bool,
    controls: int | None,
    effect: float,
    start: str,
    n_levels: int,
) -> _SeedRun:
    policies = [_make_policy(p, seed, retrain_every) for p in specs]
    k = len(policies)
    metrics = [{m: np.full(months, np.nan) for m in METRICS} for _ in range(k)]
    composition = [np.zeros((months, n_levels, 3)) for _ in range(k)]
    histories: list[_History] = []
    rngs = [
        np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SIM_KEY, 0, i)))
        for i in range(k)
    ]
    offsets = np.cumsum([0] + [len(GROUP_ATTRIBUTES[a].levels) for a in ATTRIBUTES])[:-1]
    binner: _Binner | None = None
    month_names: list[str] = []
    for month, table in _panel_months(n_rows, months, seed, controls, start):
        if binner is None:
            binner = _Binner(table)
        codes = binner.codes(table)
        del table
        t = month.number
        month_names.append(month.month)
        draws = _month_draws(seed, month)
        capacity = int(month.ids.max()) + 1
        if not histories:
            histories = [_History(capacity) for _ in policies]
            for h in histories:
                _initial_history(h, month)
        n = month.ids.shape[0]
        budget = monthly_budget(n, budget_share)
        group_rows_ = month.groups + offsets[:, None]
        for i, policy in enumerate(policies):
            history = histories[i]
            history.grow(capacity)
            since = t - history.last(month.ids).astype(np.int64)
            recent = since <= _WINDOW
            probability, target = _truth(month, draws, recent, effect)
            view = MonthView(
                number=t,
                month=month.month,
                dossier_id=month.ids,
                features=codes,
                feature_names=binner.names,
                history=history.codes(month.ids, t),
                n_bins=(*binner.n_bins, 4, 2, 4),
                eligible=since > cooldown,
            )
            if t == 1:
                policy.learn(view, _initial_survey(seed, month, target, draws))
            chosen = np.asarray(policy.select(view, budget=budget, rng=rngs[i]), dtype=np.intp)
            _check_chosen(policy.name, chosen, view, budget)
            score_fn = getattr(policy, "scores", None)
            m = metrics[i]
            if callable(score_fn):
                m["auc_truth"][t - 1] = expected_auc(np.asarray(score_fn(view), float), probability)
            found = _found(month, draws, history, chosen, target, t, recovery)
            chosen_ids = month.ids[chosen]
            m["files"][t - 1] = n
            m["checks"][t - 1] = chosen.shape[0]
            m["hits"][t - 1] = found.sum()
            m["hit_rate"][t - 1] = found.mean() if chosen.shape[0] else np.nan
            m["amount"][t - 1] = float((draws.amount[chosen] * found).sum())
            m["base_rate"][t - 1] = target.mean()
            m["repeats"][t - 1] = recent[chosen].sum()
            m["repeat_share"][t - 1] = recent[chosen].mean() if chosen.shape[0] else np.nan
            history.record(chosen_ids, t, found)
            history.score_checks[chosen_ids] += 1
            history.checks[chosen_ids] += 1
            counts = history.score_checks[history.score_checks > 0]
            m["checked_2"][t - 1] = int((counts == 2).sum())
            m["checked_3"][t - 1] = int((counts == 3).sum())
            m["checked_4plus"][t - 1] = int((counts >= 4).sum())
            comp = composition[i][t - 1]
            size = comp.shape[0]
            for a in range(group_rows_.shape[0]):
                comp[:, 0] += np.bincount(group_rows_[a, chosen], minlength=size)
                comp[:, 1] += np.bincount(group_rows_[a, chosen[~found]], minlength=size)
                comp[:, 2] += np.bincount(group_rows_[a][target], minlength=size)
            policy.learn(
                view,
                Checks(
                    chosen, found, draws.amount[chosen] * found, np.ones(chosen.shape[0]), "score"
                ),
            )
            surveyed = month.controlled
            survey_found = _found(month, draws, history, surveyed, target, t, recovery)
            history.record(month.ids[surveyed], t, survey_found)
            history.checks[month.ids[surveyed]] += 1
            m["gini"][t - 1] = gini(history.checks[history.checks > 0])
            policy.learn(
                view,
                Checks(
                    surveyed,
                    survey_found,
                    draws.amount[surveyed] * survey_found,
                    month.control_weight,
                    "survey",
                ),
            )
    return month_names, metrics, composition


def _check_chosen(name: str, chosen: npt.NDArray[np.intp], view: MonthView, budget: int) -> None:
    if chosen.shape[0] > budget or np.unique(chosen).shape[0] != chosen.shape[0]:
        raise DmdeError(
            f"policy {name!r} selected {chosen.shape[0]} rows in month {view.month} (some "
            f"twice, or more than the budget of {budget}): return at most {budget} distinct rows."
        )
    if chosen.shape[0] and (chosen.min() < 0 or chosen.max() >= view.n_files):
        raise DmdeError(f"policy {name!r} selected a row outside the month's {view.n_files} files.")
    if not view.eligible[chosen].all():
        raise DmdeError(
            f"policy {name!r} selected a file checked in the cooldown months in {view.month}: "
            "select among month.eligible only."
        )


def _found(
    month: _Month,
    draws: _Draws,
    history: _History,
    rows: npt.NDArray[np.intp],
    target: BoolArray,
    t: int,
    recovery: bool,
) -> BoolArray:
    """What checks of ``rows`` find: the truth, if the look-back reaches months no earlier
    check covered (probability months since the last check / 24; with ``recovery`` only)."""
    if not recovery:
        return np.asarray(target[rows])
    gap = t - history.last(month.ids[rows]).astype(np.int64)
    reach = np.minimum(gap, _WINDOW) / _WINDOW
    return np.asarray(target[rows] & (draws.window_u[rows] < reach))


def _initial_survey(seed: int, month: _Month, target: BoolArray, draws: _Draws) -> Checks:
    """A year's survey drawn uniformly from the first month (12 months of controls), labelled
    by the truth: what every model policy is first trained on."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SIM_KEY, 0, 999)))
    n = month.ids.shape[0]
    size = min(n, 12 * max(month.controlled.shape[0], 1))
    rows = np.sort(rng.choice(n, size=size, replace=False))
    found = target[rows]
    return Checks(rows, found, draws.amount[rows] * found, np.full(size, n / size), "initial")
