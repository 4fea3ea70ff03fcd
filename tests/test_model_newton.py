"""The logistic regression on grouped rows: scikit-learn's optimum, robust errors, edge cases."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from dmde.model.newton import GroupedRows, fit_logistic, group_rows, sandwich_std_errors


def _random_codes(seed: int, n_rows: int, sizes: list[int]) -> tuple[Any, Any, Any, Any]:
    """Bin codes, WoE tables, a target that depends on them, and survey-like weights."""
    rng = np.random.default_rng(seed)
    codes = [rng.integers(0, size, n_rows).astype(np.uint8) for size in sizes]
    tables = [rng.normal(0, 0.7, size) for size in sizes]
    design = np.column_stack([t[c] for c, t in zip(codes, tables, strict=True)])
    logit = -1.5 + design @ rng.normal(0.6, 0.4, len(sizes))
    y = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    weight = rng.lognormal(0, 0.8, n_rows)
    weight[rng.random(n_rows) < 0.05] = 0.0  # some rows count for nothing
    return codes, tables, y, weight * (n_rows / weight.sum())


def _full_rows(design: Any, y: Any, weight: Any) -> GroupedRows:
    """Every row its own group (no grouping)."""
    event = y == 1
    return GroupedRows(
        design=design,
        events=np.where(event, weight, 0.0),
        non_events=np.where(event, 0.0, weight),
        events_sq=np.where(event, weight**2, 0.0),
        non_events_sq=np.where(event, 0.0, weight**2),
    )


def _row_sandwich(design: Any, y: Any, weight: Any, beta: Any, C: float) -> Any:
    x = np.column_stack([np.ones(len(design)), design])
    p = 1 / (1 + np.exp(-(x @ beta)))
    bread = x.T @ (x * (weight * p * (1 - p))[:, None])
    bread[1:, 1:] += np.eye(design.shape[1]) / C
    score = x * (weight * (y - p))[:, None]
    inverse = np.linalg.pinv(bread)
    return np.sqrt(np.clip(np.diag(inverse @ (score.T @ score) @ inverse), 0, None))


@pytest.mark.parametrize("C", [0.01, 0.3, 1.0, 10.0, 1e4])
@pytest.mark.parametrize("seed", range(4))
def test_the_fit_is_scikit_learns_optimum(seed: int, C: float) -> None:
    codes, tables, y, weight = _random_codes(seed, 4_000, [3, 5, 2, 8, 4, 6])
    rows = group_rows(codes, tables, y, weight)
    fit = fit_logistic(rows, C=C, max_iter=100)
    design = np.column_stack([t[c] for c, t in zip(codes, tables, strict=True)])
    reference = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    reference.fit(design, y, sample_weight=weight)
    np.testing.assert_allclose(fit.coef, reference.coef_[0], rtol=0, atol=1e-6)
    assert fit.intercept == pytest.approx(reference.intercept_[0], abs=1e-6)
    assert fit.n_iter < 20


@pytest.mark.parametrize("seed", range(4))
def test_grouping_changes_nothing(seed: int) -> None:
    """The grouped rows give the fit and the standard errors of every row on its own."""
    codes, tables, y, weight = _random_codes(seed, 3_000, [2, 3, 4, 2])
    rows = group_rows(codes, tables, y, weight)
    assert len(rows.events) <= 2 * 3 * 4 * 2
    design = np.column_stack([t[c] for c, t in zip(codes, tables, strict=True)])
    grouped = fit_logistic(rows, C=1.0, max_iter=100)
    plain = fit_logistic(_full_rows(design, y, weight), C=1.0, max_iter=100)
    np.testing.assert_allclose(grouped.coef, plain.coef, rtol=0, atol=1e-9)
    assert grouped.intercept == pytest.approx(plain.intercept, abs=1e-9)
    se = sandwich_std_errors(rows, grouped.intercept, grouped.coef, 1.0)
    beta = np.r_[grouped.intercept, grouped.coef]
    np.testing.assert_allclose(se, _row_sandwich(design, y, weight, beta, 1.0), rtol=1e-10)


def test_many_columns_are_renumbered_not_overflowed() -> None:
    """30 columns of 250 codes: more tuples than an int64 can number, so the key is renumbered
    on the way; the groups are the distinct rows, first row first."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 250, (50, 30))
    picks = rng.integers(0, 50, 2_000)
    codes = [base[picks, j].astype(np.uint8) for j in range(30)]
    tables = [np.arange(250, dtype=np.float64) for _ in range(30)]
    rows = group_rows(codes, tables, np.zeros(2_000, dtype=np.int64), np.ones(2_000))
    _, first = np.unique(picks, return_index=True)
    expected = base[picks[np.sort(first)]].astype(np.float64)
    np.testing.assert_array_equal(rows.design, expected)
    assert rows.non_events.sum() == 2_000


def test_a_constant_or_repeated_column_is_fitted() -> None:
    """A constant WoE column and a repeated column: the penalty keeps the optimum unique."""
    codes, tables, y, weight = _random_codes(5, 3_000, [3, 4])
    codes = [*codes, np.zeros(3_000, dtype=np.uint8), codes[0]]
    tables = [*tables, np.array([0.0]), tables[0]]
    fit = fit_logistic(group_rows(codes, tables, y, weight), C=1.0, max_iter=100)
    assert fit.coef[2] == 0.0
    assert fit.coef[0] == pytest.approx(fit.coef[3], abs=1e-12)
    assert np.all(np.isfinite(fit.coef))


def test_separated_classes_converge_to_a_finite_optimum() -> None:
    """A column that separates the classes: without the penalty the coefficient would run off;
    with it, Newton's method (damped) converges."""
    code = np.r_[np.zeros(500, dtype=np.uint8), np.ones(500, dtype=np.uint8)]
    y = code.astype(np.int64)
    table = np.array([-1.0, 1.0])
    for C in (1.0, 1e3, 1e6):
        fit = fit_logistic(group_rows([code], [table], y, np.ones(1_000)), C=C, max_iter=200)
        assert np.isfinite(fit.coef[0]) and fit.coef[0] > 0


def test_too_few_steps_say_so() -> None:
    codes, tables, y, weight = _random_codes(1, 2_000, [3, 4])
    with pytest.warns(ConvergenceWarning, match=r"did not converge in 1 Newton steps.*max_iter"):
        fit_logistic(group_rows(codes, tables, y, weight), C=1.0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_logistic(group_rows(codes, tables, y, weight), C=1.0, max_iter=100)


@pytest.mark.parametrize("event", [0, 1], ids=["no-events", "no-non-events"])
def test_one_class_without_weight_is_an_error(event: int) -> None:
    codes, tables, y, weight = _random_codes(2, 1_000, [3])
    weight = np.where(y == event, 0.0, weight)
    with pytest.raises(ValueError, match="same target: the logistic regression needs weight"):
        fit_logistic(group_rows(codes, tables, y, weight), C=1.0, max_iter=100)
