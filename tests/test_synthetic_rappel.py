"""The truth of underpayments (rappels) and the rights model that learns it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import dmde.data.synthetic as synthetic
from dmde.core.errors import PolicyError
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, FeaturePolicy, action_of_target
from dmde.data.synthetic import (
    RAPPEL_MIN_AMOUNT,
    RAPPEL_MIN_MONTHS,
    RAPPEL_TERMS,
    RAPPEL_TRUTH,
    rappel_design,
    synthesize,
)
from dmde.model import training
from dmde.model.scorecard import ScorecardFamily

RAPPEL_COLUMNS = ("rappel_amount", "rappel_months", "rappel_target")
RAPPEL_TRUTH_COLUMNS = ("truth_rappel_probability", "truth_rappel_target")


def test_the_rappel_stream_changes_no_other_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """The underpayments draw from a stream of their own: another stream changes them and
    nothing else (so every column that existed before them is as it was, seed for seed)."""
    a = synthesize(3_000, seed=8, controls=600, with_truth=True)
    monkeypatch.setattr(
        synthetic, "_rappel_stream", lambda seed, chunk: np.random.default_rng([seed, 99])
    )
    b = synthesize(3_000, seed=8, controls=600, with_truth=True)
    mine = [*RAPPEL_COLUMNS, *RAPPEL_TRUTH_COLUMNS]
    others = [c for c in a.columns if c not in mine]
    pd.testing.assert_frame_equal(a[others], b[others])
    assert not a["truth_rappel_target"].equals(b["truth_rappel_target"])


def test_rappel_target_is_observed_on_the_controls_only() -> None:
    df = synthesize(40_000, seed=5, controls=4_000, with_truth=True)
    controlled = df["controlled"] == 1
    assert df.loc[controlled, list(RAPPEL_COLUMNS)].notna().all().all()
    assert df.loc[~controlled, list(RAPPEL_COLUMNS)].isna().all().all()
    checked = df[controlled]
    found = (checked["rappel_amount"] >= RAPPEL_MIN_AMOUNT) & (
        checked["rappel_months"] >= RAPPEL_MIN_MONTHS
    )
    assert (checked["rappel_target"] == found.astype(int)).all()
    assert (checked["rappel_target"] == checked["truth_rappel_target"].astype(int)).all()
    # some checked files have an underpayment that misses the target
    missed = (checked["rappel_amount"] > 0) & (checked["rappel_target"] == 0)
    assert 0.10 < missed.mean() < 0.20
    # the population rate is the documented one, and the weighted survey estimates it
    rate = df["truth_rappel_target"].mean()
    assert rate == pytest.approx(0.12, abs=0.01)
    est = np.average(checked["rappel_target"], weights=checked["control_weight"])
    assert est == pytest.approx(rate, abs=0.015)


def test_rappel_probability_is_the_logistic_of_its_design() -> None:
    df = synthesize(5_000, seed=2, controls=0, with_truth=True)
    design = rappel_design(df)
    assert list(design.columns) == list(RAPPEL_TERMS)
    beta = np.array([RAPPEL_TRUTH.coefficient(t) for t in design.columns])
    logit = RAPPEL_TRUTH.coefficient("intercept") + design.to_numpy() @ beta
    np.testing.assert_allclose(df["truth_rappel_probability"], 1 / (1 + np.exp(-logit)), atol=1e-6)


@pytest.mark.slow
def test_rappel_coefficients_are_recovered() -> None:
    df = synthesize(300_000, seed=3, controls=0, with_truth=True)
    design = rappel_design(df)
    model = LogisticRegression(C=np.inf, max_iter=2_000, tol=1e-8)
    model.fit(design, df["truth_rappel_target"].to_numpy())
    coef = np.r_[model.intercept_, model.coef_[0]]
    expected = [RAPPEL_TRUTH.coefficient("intercept")] + [
        RAPPEL_TRUTH.coefficient(t) for t in design.columns
    ]
    np.testing.assert_allclose(coef, expected, atol=0.12)


def test_rappel_target_is_a_label_never_a_feature() -> None:
    for name in ("rappel_target", "rappel_months", "truth_rappel_target"):
        assert CATALOG[name].family.value == "label"
        assert name not in DEFAULT_POLICY.features
    with pytest.raises(PolicyError, match=r"'rappel_target' \(family 'label'\)"):
        FeaturePolicy().check(["rappel_target"])
    assert action_of_target("rappel_target") == "outreach"
    assert action_of_target("target") == "check"


def test_the_truth_reads_only_allowed_columns() -> None:
    """Shuffling every excluded column leaves the underpayment truth unchanged."""
    df = synthesize(3_000, seed=4, controls=0)
    shuffled = df.copy()
    allowed = set(DEFAULT_POLICY.features)
    rng = np.random.default_rng(0)
    for name in df.columns:
        if name not in allowed:
            shuffled[name] = rng.permutation(df[name].to_numpy())
    pd.testing.assert_frame_equal(rappel_design(df), rappel_design(shuffled))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rights_model_learns_the_underpayment_truth(seed: int) -> None:
    """`dmde train --target rappel_target`'s model, fitted on the 7,500 random-control files,
    ranks the whole population within 0.03 of the AUC of the true probability."""
    df = synthesize(100_000, seed=seed, controls=7_500, with_truth=True)
    data = training.training_data(df, target="rappel_target")
    assert len(data.X) == 7_500
    model = ScorecardFamily().fit(data.X, data.y, sample_weight=data.weight)
    assert not set(model.features_) & {"age", "gender", "nationality_group", "rappel_amount"}
    truth = df["truth_rappel_target"]
    auc_model = roc_auc_score(truth, model.predict_proba(df)[:, 1])
    auc_truth = roc_auc_score(truth, df["truth_rappel_probability"])
    assert auc_truth - 0.03 < auc_model < auc_truth, (auc_model, auc_truth)
