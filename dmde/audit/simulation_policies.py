"""The simulator's policies: what a policy sees each month, what it learns, and the built-in ones.

A policy (:class:`SimulationPolicy`) is any object with ``name``, ``select`` and ``learn``;
:mod:`dmde.audit.simulation` runs it month after month. The built-in policies are
``random-only`` (:class:`RandomPolicy`) and three :class:`ModelPolicy`: ``dmde`` (trained on
the random-control survey alone), ``retrain-on-selected`` (on every checked file) and
``with-history`` (the same, plus control-history features).

The model policies fit :class:`BinnedLogistic`, a logistic regression on bin codes that lives
here and not in :mod:`dmde.model`: it reads codes, not columns, so nothing stops it from reading
control history, which dmde's feature policy (:class:`~dmde.data.catalog.FeaturePolicy`)
excludes from every model. ``with-history`` is therefore outside that policy, by design, and
the production path's checks are untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from dmde.batch.ranking import _order
from dmde.core.errors import DmdeError
from dmde.model.newton import fit_logistic, group_rows

__all__ = [
    "BUILTIN_POLICIES",
    "HISTORY_FEATURES",
    "BinnedLogistic",
    "Checks",
    "ModelPolicy",
    "MonthView",
    "RandomPolicy",
    "SimulationPolicy",
    "builtin_policy",
    "top",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: The built-in policies, in the order the report shows them, with what each does.
BUILTIN_POLICIES: Mapping[str, str] = {
    "random-only": "no score: the budget drawn uniformly at random (the baseline)",
    "dmde": "trained on the random-control survey alone, features without control history "
    "(today's design)",
    "retrain-on-selected": "trained on every checked file, the score-selected included",
    "with-history": "as retrain-on-selected, plus control-history features (outside dmde's "
    "feature policy)",
}
#: The control-history features of ``with-history`` (simulation only), with their bins.
HISTORY_FEATURES: Mapping[str, str] = {
    "sim_checks_24m": "checks in the last 24 months: 0, 1, 2, 3 or more",
    "sim_found_24m": "one of them found an overpayment: no, yes",
    "sim_months_since_check": "months since the last check: none in 24, 0-5, 6-11, 12-23",
}
_TRAIN_MONTHS = 12  # months of checks a model is trained on


# ---------------------------------------------------------------------------------------------
# What a policy sees and learns
@dataclass(frozen=True, eq=False)
class MonthView:
    """One month as a policy sees it: the files open, their binned features, their history.

    Attributes
    ----------
    number : int
        The month of the simulation, from 1.
    month : str
        The panel's month, ``YYYY-MM``.
    dossier_id : ndarray of int64
        The files open this month (stable across months).
    features : ndarray of int16, shape (n_features, n_files)
        Bin codes of the features the production policy admits, in :attr:`feature_names` order.
    feature_names : tuple of str
    history : ndarray of int16, shape (3, n_files)
        Bin codes of the policy's own control history (:data:`HISTORY_FEATURES`): features that
        dmde's policy excludes from models; a policy that reads them is outside it.
    n_bins : tuple of int
        Codes each feature row takes (features, then history).
    eligible : ndarray of bool
        Files that may be selected this month: those not checked in the last ``cooldown``
        months (the same rule for every policy).
    """

    number: int
    month: str
    dossier_id: IntArray
    features: npt.NDArray[np.int16]
    feature_names: tuple[str, ...]
    history: npt.NDArray[np.int16]
    n_bins: tuple[int, ...]
    eligible: BoolArray

    @property
    def n_files(self) -> int:
        return int(self.dossier_id.shape[0])


@dataclass(frozen=True, eq=False)
class Checks:
    """Checks made in a month and what they found.

    Attributes
    ----------
    positions : ndarray of intp
        Rows of the month (:class:`MonthView`) checked.
    found : ndarray of bool
        Whether each check found an overpayment (the target).
    amount : ndarray of float64
        Amount found (EUR; 0 when nothing was found).
    weight : ndarray of float64
        Survey weight (files of the stratum per file drawn); 1 for checks selected on a score.
    source : {"initial", "survey", "score"}
        The year's survey the first models learn from, the month's random controls, or the
        checks the policy selected.
    """

    positions: npt.NDArray[np.intp]
    found: BoolArray
    amount: FloatArray
    weight: FloatArray
    source: str


@runtime_checkable
class SimulationPolicy(Protocol):
    """What the simulator needs from a policy (a policy of your own implements it).

    ``select`` returns the rows to check this month (at most ``budget``, distinct); ``learn``
    receives, after each month's selection, the month's checks with what they found: first
    ``source="initial"`` once (the first month's yearly survey), then every month the policy's
    own checks (``"score"``) and the random controls (``"survey"``). An optional
    ``scores(month) -> ndarray`` (higher = riskier, one per file) gives the AUC on the truth.

    Examples
    --------
    >>> class Youngest:
    ...     name = "newest-files"
    ...     def select(self, month, *, budget, rng):
    ...         return np.argsort(-month.dossier_id, kind="stable")[:budget]
    ...     def learn(self, month, checks):
    ...         pass
    >>> isinstance(Youngest(), SimulationPolicy)
    True
    """

    name: str

    def select(
        self, month: MonthView, *, budget: int, rng: np.random.Generator
    ) -> npt.NDArray[np.intp]: ...

    def learn(self, month: MonthView, checks: Checks) -> None: ...


# ---------------------------------------------------------------------------------------------
# The model: a logistic regression on bins (weights of evidence), simulation only
@dataclass
class BinnedLogistic:
    """A logistic regression on binned features (one weight of evidence per bin), for the
    simulator only.

    It reads bin codes, not columns: nothing stops it from reading control history, which is
    why it lives here and not in :mod:`dmde.model`, where the feature policy is enforced.

    Parameters
    ----------
    n_bins : sequence of int
        Codes each feature takes.
    C : float
        Inverse of the L2 penalty (as scikit-learn's ``LogisticRegression``).
    """

    n_bins: tuple[int, ...]
    C: float = 1.0
    woe_: list[FloatArray] = field(default_factory=list)
    intercept_: float = 0.0
    coef_: FloatArray = field(default_factory=lambda: np.zeros(0))

    def fit(self, codes: npt.NDArray[np.int16], y: BoolArray, weight: FloatArray) -> BinnedLogistic:
        w = weight * (weight.shape[0] / max(float(weight.sum()), 1e-12))
        events_total = float(w[y].sum())
        other_total = float(w[~y].sum())
        self.woe_ = []
        for j, size in enumerate(self.n_bins):
            ev = np.bincount(codes[j], weights=np.where(y, w, 0.0), minlength=size)
            ne = np.bincount(codes[j], weights=np.where(y, 0.0, w), minlength=size)
            woe = np.log((ev + 0.5) / (events_total + 0.5 * size)) - np.log(
                (ne + 0.5) / (other_total + 0.5 * size)
            )
            self.woe_.append(woe)
        rows = group_rows(list(codes), self.woe_, y.astype(np.int8), w)
        fit = fit_logistic(rows, C=self.C, max_iter=100)
        self.intercept_, self.coef_ = fit.intercept, fit.coef
        return self

    def decision_function(self, codes: npt.NDArray[np.int16]) -> FloatArray:
        out = np.full(codes.shape[1], self.intercept_)
        for j, woe in enumerate(self.woe_):
            out += self.coef_[j] * woe[codes[j]]
        return out


class RandomPolicy:
    """``random-only``: the budget drawn uniformly at random among the month's files."""

    name = "random-only"

    def select(
        self, month: MonthView, *, budget: int, rng: np.random.Generator
    ) -> npt.NDArray[np.intp]:
        pool = np.flatnonzero(month.eligible)
        return np.sort(rng.choice(pool, size=min(budget, pool.shape[0]), replace=False))

    def learn(self, month: MonthView, checks: Checks) -> None:
        return None


class ModelPolicy:
    """A policy that selects the highest scores of a :class:`BinnedLogistic`.

    Parameters
    ----------
    name : str
    learn_from : {"survey", "checked"}
        ``"survey"``: the random controls alone, with their weights; ``"checked"``: every
        checked file, unweighted.
    history : bool
        Also read the control-history features (outside dmde's feature policy).
    retrain_every : int
        Months between two trainings (12: yearly); each training reads the checks of the last
        12 months.
    tie_seed : int
        Seed of the tie order (:func:`~dmde.batch.ranking.tie_keys`).
    """

    def __init__(
        self,
        name: str,
        *,
        learn_from: str = "survey",
        history: bool = False,
        retrain_every: int = 12,
        tie_seed: int = 0,
    ) -> None:
        self.name = name
        self.learn_from = learn_from
        self.history = history
        self.retrain_every = retrain_every
        self.tie_seed = tie_seed
        self._batches: list[tuple[int, npt.NDArray[np.int16], BoolArray, FloatArray]] = []
        self._model: BinnedLogistic | None = None
        self._scored: tuple[int, FloatArray] | None = None
        self.trainings: list[int] = []

    def _codes(self, month: MonthView, rows: Any = slice(None)) -> npt.NDArray[np.int16]:
        if self.history:
            return np.concatenate([month.features[:, rows], month.history[:, rows]])
        return month.features[:, rows]

    def _n_bins(self, month: MonthView) -> tuple[int, ...]:
        n = len(month.feature_names)
        return month.n_bins if self.history else month.n_bins[:n]

    def _train(self, month: MonthView) -> None:
        since = month.number - _TRAIN_MONTHS
        kept = [b for b in self._batches if b[0] >= since or (b[0] == 0 and since <= 0)]
        codes = np.concatenate([b[1] for b in kept], axis=1)
        y = np.concatenate([b[2] for b in kept])
        w = np.concatenate([b[3] for b in kept])
        self._model = BinnedLogistic(self._n_bins(month)).fit(codes, y, w)
        self.trainings.append(month.number)
        self._batches = [b for b in self._batches if b[0] >= since]

    def scores(self, month: MonthView) -> FloatArray:
        """The month's scores (logits of the current model), trained when due."""
        if self._scored is not None and self._scored[0] == month.number:
            return self._scored[1]
        due = month.number > 1 and (month.number - 1) % self.retrain_every == 0
        if self._model is None or due:
            self._train(month)
        assert self._model is not None
        score = self._model.decision_function(self._codes(month))
        self._scored = (month.number, score)
        return score

    def select(
        self, month: MonthView, *, budget: int, rng: np.random.Generator
    ) -> npt.NDArray[np.intp]:
        pool = np.flatnonzero(month.eligible)
        chosen = top(self.scores(month)[pool], month.dossier_id[pool], budget, seed=self.tie_seed)
        return pool[chosen]

    def learn(self, month: MonthView, checks: Checks) -> None:
        if self.learn_from == "survey" and checks.source == "score":
            return
        weight = checks.weight if self.learn_from == "survey" else np.ones(checks.found.shape[0])
        number = 0 if checks.source == "initial" else month.number
        codes = self._codes(month, checks.positions)
        self._batches.append((number, codes, checks.found, weight))


def top(score: FloatArray, ids: IntArray, budget: int, *, seed: int) -> npt.NDArray[np.intp]:
    """Positions of the ``budget`` highest scores, ties in :func:`~dmde.batch.ranking.tie_keys`
    order (the selection's tie rule), computed on the candidates at or above the cut only."""
    budget = min(budget, score.shape[0])
    if budget <= 0:
        return np.empty(0, dtype=np.intp)
    cut = np.partition(score, score.shape[0] - budget)[score.shape[0] - budget]
    candidates = np.flatnonzero(score >= cut)
    order = _order(np.ascontiguousarray(score[candidates]), ids[candidates], seed)
    return np.sort(candidates[order[:budget]])


def builtin_policy(name: str, *, retrain_every: int = 12, seed: int = 0) -> SimulationPolicy:
    """A built-in policy by name (:data:`BUILTIN_POLICIES`), fresh for one seed's run."""
    if name == "random-only":
        return RandomPolicy()
    if name == "dmde":
        return ModelPolicy(name, learn_from="survey", retrain_every=retrain_every, tie_seed=seed)
    if name == "retrain-on-selected":
        return ModelPolicy(name, learn_from="checked", retrain_every=retrain_every, tie_seed=seed)
    if name == "with-history":
        return ModelPolicy(
            name, learn_from="checked", history=True, retrain_every=retrain_every, tie_seed=seed
        )
    raise DmdeError(
        f"unknown policy {name!r}: expected one of {', '.join(BUILTIN_POLICIES)}, or a policy "
        "object (see dmde.audit.simulation.SimulationPolicy)."
    )
