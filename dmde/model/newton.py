"""The scorecard's logistic regression, fitted by Newton's method on its distinct rows.

A scorecard's design is made of weights of evidence: each row is one tuple of bins, so the rows
take few distinct values (about 110,000 distinct tuples among 200,000 rows, 20 features). The
weighted log-likelihood depends on a row only through its tuple and its target, so the rows are
grouped by tuple first (:func:`group_rows`: per distinct tuple, the weights of its events and of
its non-events), and the regression is fitted on the groups (:func:`fit_logistic`).

**Objective.** That of scikit-learn's ``LogisticRegression(C=C)`` with sample weights ``w`` (the
scorecard normalises them to mean 1)::

    sum over rows of w * log-loss(y, intercept + x @ coef)  +  ||coef||^2 / (2 C)

the intercept unpenalised. It is strictly convex whenever both classes have positive weight: the
penalty makes the Hessian positive definite in the coefficients even when a column is constant
or two columns are equal (a rank-deficient design), and both classes bound the intercept. So
Newton's method, with a step halved until the objective decreases, converges from any start
(5 to 8 steps); it stops after a full step below ``1e-5`` (relative), each step squaring the
error, so within about 1e-10 of the optimum: closer than scikit-learn's lbfgs at ``tol=1e-8``,
which stops 1e-5 short (the two differ in the 5th to 8th decimal).

**Standard errors.** Robust (sandwich) standard errors with the penalty in the bread, computed
on the groups exactly: a group's contribution to the meat needs the sums of the squared weights
of its events and of its non-events, which :func:`group_rows` keeps.

When every row is distinct (continuous columns given to a bare array), the groups are the rows:
the same computation, one group per row.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

__all__ = [
    "GroupedRows",
    "LogisticFit",
    "fit_logistic",
    "group_rows",
    "refit_intercept",
    "sandwich_std_errors",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.integer]

#: Newton's method stops after a full step below this (relative to the largest coefficient):
#: each step squares the error, so the estimate is then within about 1e-10 of the optimum.
STEP_TOLERANCE = 1e-5


@dataclass(frozen=True)
class GroupedRows:
    """The distinct rows of a design, with the weights of their events and non-events.

    Attributes
    ----------
    design : ndarray of shape (n_groups, n_features)
        One distinct row per group (without the intercept column).
    events, non_events : ndarray of shape (n_groups,)
        Sum of the weights of the group's rows with ``y = 1``, with ``y = 0``.
    events_sq, non_events_sq : ndarray of shape (n_groups,)
        Sum of the squared weights of those rows (for the robust standard errors).
    """

    design: FloatArray
    events: FloatArray
    non_events: FloatArray
    events_sq: FloatArray
    non_events_sq: FloatArray


@dataclass(frozen=True)
class LogisticFit:
    """The fitted regression: ``intercept``, ``coef`` (one per column), Newton steps taken."""

    intercept: float
    coef: FloatArray
    n_iter: int


def group_rows(
    codes: Sequence[IntArray],
    tables: Sequence[FloatArray],
    y: npt.NDArray[np.integer],
    weight: FloatArray,
) -> GroupedRows:
    """Group rows by their tuple of codes: the design of column ``j`` is ``tables[j][codes[j]]``.

    Parameters
    ----------
    codes : sequence of integer arrays of shape (n_rows,)
        Each column's code per row (bin indices), each in ``[0, len(tables[j]))``.
    tables : sequence of float arrays
        Each column's value per code (the bins' weights of evidence).
    y : array of 0 and 1, shape (n_rows,)
    weight : float array of shape (n_rows,)

    Returns
    -------
    GroupedRows
        Groups in the order of their first row.

    Examples
    --------
    >>> codes = [np.array([0, 1, 0, 0]), np.array([2, 0, 2, 1])]
    >>> tables = [np.array([-1.0, 1.0]), np.array([0.5, 0.0, -0.5])]
    >>> rows = group_rows(codes, tables, np.array([1, 0, 0, 1]), np.ones(4))
    >>> rows.design.tolist(), rows.events.tolist(), rows.non_events.tolist()
    ([[-1.0, -0.5], [1.0, 0.5], [-1.0, 0.0]], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0])
    """
    n_rows = len(y)
    key = np.zeros(n_rows, dtype=np.int64)
    span = 1  # the number of values ``key`` can take
    for column, table in zip(codes, tables, strict=True):
        size = max(len(table), 1)
        if span * size >= 2**62:  # renumber the tuples seen so far: 0 .. (distinct - 1)
            key, uniques = pd.factorize(key)
            span = max(len(uniques), 1)
        key *= size
        key += column
        span *= size
    group, uniques = pd.factorize(key)
    n_groups = len(uniques)
    # Groups are numbered in the order of their first row: a row starts a group where the
    # running maximum of the numbers grows.
    running = np.maximum.accumulate(group)
    first = np.flatnonzero(np.r_[True, running[1:] > running[:-1]]) if n_rows else group
    design = np.empty((n_groups, len(codes)), dtype=np.float64)
    for j, (column, table) in enumerate(zip(codes, tables, strict=True)):
        design[:, j] = np.asarray(table, dtype=np.float64)[column[first]]
    event = y == 1
    w_event = np.where(event, weight, 0.0)
    w_other = weight - w_event

    def total(values: FloatArray) -> FloatArray:
        return np.bincount(group, weights=values, minlength=n_groups).astype(np.float64, copy=False)

    return GroupedRows(
        design=design,
        events=total(w_event),
        non_events=total(w_other),
        events_sq=total(w_event * w_event),
        non_events_sq=total(w_other * w_other),
    )


def fit_logistic(rows: GroupedRows, *, C: float, max_iter: int) -> LogisticFit:
    """L2-penalised weighted logistic regression on grouped rows, by Newton's method.

    The objective is scikit-learn's ``LogisticRegression(C=C)`` (see the module docstring).
    The products run on one thread: they are small (a few hundred thousand rows by the number
    of features), and threads waiting on a busy machine cost more than they save.

    Parameters
    ----------
    rows : GroupedRows
    C : float
        Inverse of the L2 penalty on the coefficients (not on the intercept), positive.
    max_iter : int
        Most Newton steps to take. When they do not reach the optimum, a
        :class:`~sklearn.exceptions.ConvergenceWarning` says so.

    Raises
    ------
    ValueError
        If one class has no weight: the intercept would go to infinity.

    Examples
    --------
    >>> rows = group_rows([np.array([0, 0, 1, 1])], [np.array([-1.0, 1.0])],
    ...                   np.array([0, 1, 1, 1]), np.ones(4))
    >>> fit = fit_logistic(rows, C=1.0, max_iter=100)
    >>> round(fit.intercept, 6), fit.coef.round(6).tolist(), fit.n_iter
    (1.184198, [0.583377], 4)
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _newton(rows, C=C, max_iter=max_iter)


def _newton(rows: GroupedRows, *, C: float, max_iter: int) -> LogisticFit:
    events, total = rows.events, rows.events + rows.non_events
    if not events.sum() > 0 or not rows.non_events.sum() > 0:
        raise ValueError(
            "every row of positive weight has the same target: the logistic regression needs "
            "weight on both classes."
        )
    n_groups, n_features = rows.design.shape
    x = np.empty((n_groups, n_features + 1), dtype=np.float64)
    x[:, 0] = 1.0
    x[:, 1:] = rows.design
    # The Hessian only steers the steps: in single precision it costs half as much, and the
    # optimum, where the gradient (double precision) vanishes, is the same.
    x32 = x.astype(np.float32)
    penalty = np.r_[0.0, np.full(n_features, 1.0 / C)]
    beta = np.zeros(n_features + 1)
    beta[0] = np.log(events.sum() / rows.non_events.sum())  # the intercept-only optimum

    def objective(b: FloatArray) -> tuple[float, FloatArray]:
        eta = x @ b
        value = total @ np.logaddexp(0.0, eta) - events @ eta + 0.5 * penalty @ (b * b)
        return float(value), eta

    value, eta = objective(beta)
    for n_iter in range(1, max_iter + 1):
        p = expit(eta)
        gradient = x.T @ (total * p - events) + penalty * beta
        curvature = (total * p * (1.0 - p)).astype(np.float32)
        hessian = (x32.T @ (x32 * curvature[:, None])).astype(np.float64)
        hessian[np.diag_indices_from(hessian)] += penalty
        step = _solve(hessian, gradient)
        # Halve the step until the objective decreases (up to rounding); near the optimum the
        # full step is taken.
        t = 1.0
        while True:
            candidate = beta - t * step
            new_value, new_eta = objective(candidate)
            if new_value <= value + 1e-13 * abs(value) or t < 1e-12:
                break
            t /= 2
        beta, value, eta = candidate, new_value, new_eta
        # A full step squares the error; a damped one (far from the optimum, or at the limit of
        # rounding) must itself be negligible.
        tolerance = (STEP_TOLERANCE if t == 1.0 else 1e-10) * max(1.0, float(np.abs(beta).max()))
        if t * np.max(np.abs(step)) <= tolerance:
            return LogisticFit(intercept=float(beta[0]), coef=beta[1:].copy(), n_iter=n_iter)
    warnings.warn(
        f"the logistic regression did not converge in {max_iter} Newton steps (last step "
        f"{t * float(np.max(np.abs(step))):.1e}); the coefficients are not the optimum. Raise "
        "max_iter, or lower C.",
        ConvergenceWarning,
        stacklevel=4,
    )
    return LogisticFit(intercept=float(beta[0]), coef=beta[1:].copy(), n_iter=max_iter)


def refit_intercept(rows: GroupedRows, coef: FloatArray, *, start: float = 0.0) -> float:
    """The intercept that maximises the weighted likelihood with the coefficients fixed.

    The root of the intercept's score equation ``sum over groups of (events + non_events) *
    p - events = 0`` with ``p = expit(intercept + design @ coef)``: the weighted mean
    predicted rate of the rows equals their weighted base rate. Found by Newton's method on
    the (convex) negative log-likelihood in the intercept, the step halved until it
    decreases, from ``start`` (the fitted intercept is a close start); it stops after a full
    step below 1e-12 (relative), or after 100 steps.

    Parameters
    ----------
    rows : GroupedRows
    coef : float array of shape (n_features,)
        The fixed coefficients (a scorecard's shrunk ones).
    start : float, default 0.0

    Raises
    ------
    ValueError
        If one class has no weight: the intercept would go to infinity.

    Examples
    --------
    >>> rows = group_rows([np.array([0, 0, 1, 1])], [np.array([-1.0, 1.0])],
    ...                   np.array([0, 1, 1, 1]), np.ones(4))
    >>> a = refit_intercept(rows, np.array([0.5]))
    >>> p = expit(a + rows.design @ np.array([0.5]))
    >>> round(float((rows.events + rows.non_events) @ p), 9)
    3.0
    """
    events, total = rows.events, rows.events + rows.non_events
    if not events.sum() > 0 or not rows.non_events.sum() > 0:
        raise ValueError(
            "every row of positive weight has the same target: the intercept needs weight on "
            "both classes."
        )
    offset = rows.design @ np.asarray(coef, dtype=np.float64)

    def objective(a: float) -> float:
        eta = a + offset
        return float(total @ np.logaddexp(0.0, eta) - events @ eta)

    a, value = float(start), objective(float(start))
    for _ in range(100):
        p = expit(a + offset)
        step = float(total @ p - events.sum()) / max(float(total @ (p * (1.0 - p))), 1e-300)
        t = 1.0
        while True:
            candidate = a - t * step
            new_value = objective(candidate)
            if new_value <= value + 1e-13 * abs(value) or t < 1e-12:
                break
            t /= 2
        a, value = candidate, new_value
        if t == 1.0 and abs(step) <= 1e-12 * max(1.0, abs(a)):
            break
    return a


def _solve(hessian: FloatArray, gradient: FloatArray) -> FloatArray:
    """The Newton step; least squares if the Hessian is singular in floating point."""
    try:
        return np.asarray(np.linalg.solve(hessian, gradient))
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(hessian, gradient, rcond=None)[0])


def sandwich_std_errors(
    rows: GroupedRows, intercept: float, coef: FloatArray, C: float
) -> FloatArray:
    """Robust standard errors of ``[intercept, *coef]``, the L2 penalty in the bread.

    ``bread = X' diag(w p (1 - p)) X + penalty`` and ``meat = sum over rows of w^2 (y - p)^2
    x x'``, which per group is ``x x'`` times ``(1 - p)^2`` (sum of the squared weights of its
    events) plus ``p^2`` (that of its non-events).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _sandwich(rows, intercept, coef, C)


def _sandwich(rows: GroupedRows, intercept: float, coef: FloatArray, C: float) -> FloatArray:
    n_groups, n_features = rows.design.shape
    x = np.empty((n_groups, n_features + 1), dtype=np.float64)
    x[:, 0] = 1.0
    x[:, 1:] = rows.design
    p = expit(x @ np.r_[intercept, coef])
    total = rows.events + rows.non_events
    bread = x.T @ (x * (total * p * (1.0 - p))[:, None])
    bread[1:, 1:] += np.eye(n_features) / C
    squares = rows.events_sq * (1.0 - p) ** 2 + rows.non_events_sq * p**2
    meat = x.T @ (x * squares[:, None])
    inverse = np.linalg.pinv(bread)
    return np.asarray(np.sqrt(np.clip(np.diag(inverse @ meat @ inverse), 0, None)))
