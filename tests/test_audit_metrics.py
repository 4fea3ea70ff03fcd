"""Tests of dmde.audit.metrics: group metrics, bootstrap intervals, disparity tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_score, roc_auc_score

from dmde.audit import AuditError, GroupAudit, audit_groups
from dmde.core.errors import DmdeError

SEED = 20260101


# --------------------------------------------------------------------------------------------
# A case small enough to compute by hand: 2 groups of 6 files
#   A: selected 1 1 1 0 0 0, label 1 0 1 1 0 0,   score 9 8 7 3 2 1, probability .9 .8 .7 .3 .2 .1
#   B: selected 1 0 0 0 0 0, label 1 0 1 0 0 NaN, score 6 5 4 3 2 1, probability .9 .5 .4 .3 .2 .1
def _small() -> dict[str, Any]:
    return {
        "selected": np.array([1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0], dtype=bool),
        "label": np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, np.nan]),
        "score": np.array([9, 8, 7, 3, 2, 1, 6, 5, 4, 3, 2, 1], dtype=float),
        "probability": np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.9, 0.5, 0.4, 0.3, 0.2, 0.1]),
        "groups": pd.DataFrame({"g": ["A"] * 6 + ["B"] * 6}),
    }


@pytest.fixture(scope="module")
def small() -> GroupAudit:
    return audit_groups(**_small(), min_cell=1, n_boot=200, seed=SEED)


HAND = [
    ("A", "population_share", 0.5, 6),
    ("A", "share_among_selected", 0.75, 6),
    ("A", "selection_rate", 0.5, 6),
    ("A", "mean_score", 5.0, 6),
    ("A", "mean_probability", 0.5, 6),
    ("A", "base_rate", 0.5, 6),
    ("A", "precision", 2 / 3, 3),
    ("A", "tpr", 2 / 3, 3),
    ("A", "fpr", 1 / 3, 3),
    ("A", "fnr", 1 / 3, 3),
    ("A", "false_positive_burden", 1000 / 6, 6),
    ("A", "calibration_gap", 0.0, 6),
    ("A", "auc", 7 / 9, 6),
    ("B", "population_share", 0.5, 6),
    ("B", "share_among_selected", 0.25, 6),
    ("B", "selection_rate", 1 / 6, 6),
    ("B", "mean_score", 3.5, 6),
    ("B", "mean_probability", 0.4, 6),
    ("B", "base_rate", 0.4, 5),
    ("B", "precision", 1.0, 1),
    ("B", "tpr", 0.5, 2),
    ("B", "fpr", 0.0, 3),
    ("B", "fnr", 0.5, 2),
    ("B", "false_positive_burden", 0.0, 6),
    ("B", "calibration_gap", 2.3 / 5 - 0.4, 5),
    ("B", "auc", 5 / 6, 5),
]


@pytest.mark.parametrize(
    ("group", "metric", "expected", "n"), HAND, ids=[f"{g}-{m}" for g, m, _, _ in HAND]
)
def test_hand_computed_metrics(
    small: GroupAudit, group: str, metric: str, expected: float, n: int
) -> None:
    row = small.metrics.set_index(["group", "metric"]).loc[(group, metric)]
    assert row["value"] == pytest.approx(expected, abs=1e-12)
    assert row["n"] == n
    assert not row["suppressed"]
    assert row["attribute"] == "g"


def test_metrics_layout(small: GroupAudit) -> None:
    assert list(small.metrics.columns) == [
        "attribute",
        "group",
        "metric",
        "value",
        "ci_low",
        "ci_high",
        "n",
        "suppressed",
    ]
    assert len(small.metrics) == 2 * 13
    finite = small.metrics.dropna(subset=["ci_low"])
    assert (finite["ci_low"] <= finite["ci_high"]).all()


@pytest.mark.parametrize(
    ("metric", "ratio", "difference", "tested"),
    [
        ("selection_rate", 1 / 3, 1 / 6 - 1 / 2, True),
        ("mean_score", 3.5 / 5, -1.5, True),
        # B's precision is 1 and its FPR 0: empty counts, whose uncertainty the bootstrap
        # cannot measure, so these are shown but not tested.
        ("precision", 1.5, 1 / 3, False),
        ("tpr", 0.75, 0.5 - 2 / 3, True),
        ("fpr", 0.0, -1 / 3, False),
        ("false_positive_burden", 0.0, -1000 / 6, False),
        ("auc", (5 / 6) / (7 / 9), 5 / 6 - 7 / 9, True),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_hand_computed_disparities(
    small: GroupAudit, metric: str, ratio: float, difference: float, tested: bool
) -> None:
    row = small.disparities.set_index("metric").loc[metric]
    assert (row["attribute"], row["group"], row["reference"]) == ("g", "B", "A")
    assert row["ratio"] == pytest.approx(ratio)
    assert row["difference"] == pytest.approx(difference)
    assert row["tested"] == tested


def test_calibration_gap_is_compared_but_not_tested(small: GroupAudit) -> None:
    row = small.disparities.set_index("metric").loc["calibration_gap"]
    assert row["difference"] == pytest.approx(0.06)
    assert np.isnan(row["ratio"]) and np.isnan(row["p_value"])
    assert not row["tested"] and not row["flagged"]
    assert "population_share" not in set(small.disparities["metric"])


def test_reference_is_the_largest_group_unless_given() -> None:
    data = _small()
    data["groups"] = pd.DataFrame({"g": ["A"] * 4 + ["B"] * 8})
    audit = audit_groups(**data, min_cell=1, n_boot=50)
    assert set(audit.disparities["reference"]) == {"B"}
    assert audit.method["reference"] == {"g": "B"}
    audit = audit_groups(**data, min_cell=1, n_boot=50, reference={"g": "A"})
    assert set(audit.disparities["reference"]) == {"A"}
    weighted = audit_groups(**data, min_cell=1, n_boot=50, weight=np.r_[np.full(4, 5.0), [1] * 8])
    assert set(weighted.disparities["reference"]) == {"A"}  # the largest by weight


# --------------------------------------------------------------------------------------------
# Agreement with fairlearn and scikit-learn
def _random(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    score = rng.normal(size=n)
    probability = 1 / (1 + np.exp(-score))
    label = (rng.random(n) < probability).astype(float)
    label[rng.random(n) < 0.2] = np.nan
    return {
        "selected": score + rng.normal(size=n) > 1.0,
        "score": score.round(1),  # ties, for the AUC
        "probability": probability,
        "label": label,
        "groups": pd.DataFrame(
            {
                "nationality": rng.choice(["eu", "french", "non_eu"], n, p=[0.2, 0.5, 0.3]),
                "gender": rng.choice(["female", "male"], n),
            }
        ),
    }


@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weighted"])
def test_agrees_with_fairlearn(weighted: bool) -> None:
    data = _random(3000, SEED)
    weight = np.random.default_rng(1).gamma(2.0, 1.0, 3000) if weighted else None
    audit = audit_groups(**data, weight=weight, n_boot=50, intersections=False)
    known = ~np.isnan(data["label"])
    params = {} if weight is None else {"sample_weight": weight[known]}
    metrics = {
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
        "precision": precision_score,
    }
    frame = MetricFrame(
        metrics=metrics,
        y_true=data["label"][known].astype(int),
        y_pred=data["selected"][known].astype(int),
        sensitive_features=data["groups"]["nationality"].to_numpy()[known],
        sample_params=dict.fromkeys(metrics, params),
    )
    rates = MetricFrame(
        metrics={"selection_rate": selection_rate},
        y_true=np.zeros(3000),
        y_pred=data["selected"].astype(int),
        sensitive_features=data["groups"]["nationality"],
        sample_params={"selection_rate": {} if weight is None else {"sample_weight": weight}},
    )
    ours = (
        audit.metrics[audit.metrics["attribute"] == "nationality"]
        .pivot(index="group", columns="metric", values="value")
        .sort_index()
    )
    expected = pd.concat([frame.by_group, rates.by_group], axis=1).sort_index()
    for metric in [*metrics, "selection_rate"]:
        np.testing.assert_allclose(ours[metric], expected[metric], rtol=1e-12, err_msg=metric)


@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weighted"])
def test_auc_agrees_with_scikit_learn(weighted: bool) -> None:
    data = _random(2000, SEED + 1)
    weight = np.random.default_rng(2).gamma(2.0, 1.0, 2000) if weighted else None
    audit = audit_groups(**data, weight=weight, n_boot=20)
    auc = audit.metrics[audit.metrics["metric"] == "auc"].set_index(["attribute", "group"])
    known = ~np.isnan(data["label"])
    for (attribute, group), row in auc.iterrows():
        parts = zip(str(attribute).split(" × "), str(group).split(" × "), strict=True)
        rows = known.copy()
        for column, level in parts:
            rows &= data["groups"][column].to_numpy() == level
        expected = roc_auc_score(
            data["label"][rows],
            data["score"][rows],
            sample_weight=None if weight is None else weight[rows],
        )
        assert row["value"] == pytest.approx(expected, rel=1e-12)
        assert row["ci_low"] < row["value"] < row["ci_high"]


def test_intersections_are_named_and_counted() -> None:
    data = _random(1000, SEED)
    audit = audit_groups(**data, n_boot=20)
    rates = audit.metrics[audit.metrics["metric"] == "population_share"]
    pair = rates[rates["attribute"] == "nationality × gender"]
    assert list(pair["group"]) == [
        f"{a} × {b}" for a in ("eu", "french", "non_eu") for b in ("female", "male")
    ]
    assert pair["n"].sum() == 1000
    assert pair["value"].sum() == pytest.approx(1.0)
    assert "nationality × gender" not in set(
        audit_groups(**data, n_boot=20, intersections=False).metrics["attribute"]
    )


def test_deciles_and_calibration() -> None:
    data = _random(2000, SEED)
    audit = audit_groups(**data, n_boot=20, intersections=False)
    shares = audit.deciles.groupby(["attribute", "group"])["share"].sum()
    np.testing.assert_allclose(shares, 1.0)
    overall = audit.deciles[audit.deciles["attribute"] == "gender"].groupby("decile")["n"].sum()
    assert overall.sum() == 2000 and len(overall) == 10
    calibration = audit.calibration
    assert set(calibration["decile"]) == set(range(1, 11))
    assert calibration["n"].sum() == 2 * int((~np.isnan(data["label"])).sum())
    shown = calibration[~calibration["suppressed"]]
    assert shown["mean_predicted"].between(0, 1).all()
    assert shown["observed_rate"].between(0, 1).all()


def test_without_labels_only_selection_metrics() -> None:
    data = _random(500, SEED)
    del data["label"]
    audit = audit_groups(**data, n_boot=20)
    assert set(audit.metrics["metric"]) == {
        "population_share",
        "share_among_selected",
        "selection_rate",
        "mean_score",
        "mean_probability",
    }
    assert audit.calibration.empty
    assert set(audit.disparities["metric"]) == {"selection_rate", "mean_score", "mean_probability"}


# --------------------------------------------------------------------------------------------
# Suppression
def test_small_cells_are_suppressed_and_never_tested() -> None:
    n = 400
    groups = pd.DataFrame({"g": np.where(np.arange(n) < 10, "rare", "common")})
    selected = np.arange(n) % 2 == 0  # the rare group: 5 of 10 selected
    audit = audit_groups(
        selected=selected,
        score=np.arange(n, dtype=float),
        probability=np.full(n, 0.2),
        groups=groups,
        label=(np.arange(n) % 3 == 0).astype(float),
        n_boot=50,
        min_cell=30,
    )
    rare = audit.metrics[audit.metrics["group"] == "rare"]
    assert rare["suppressed"].all()
    assert rare[["value", "ci_low", "ci_high"]].isna().all().all()
    assert (rare["n"] < 30).all()
    assert not audit.metrics.loc[audit.metrics["group"] == "common", "suppressed"].any()
    disparities = audit.disparities
    assert disparities["suppressed"].all() and not disparities["tested"].any()
    assert not disparities["flagged"].any() and disparities["p_adjusted"].isna().all()
    shares = audit.deciles[audit.deciles["group"] == "rare"]
    assert shares["suppressed"].all() and shares["share"].isna().all()


# --------------------------------------------------------------------------------------------
# Statistical behaviour
def test_intervals_cover_the_true_selection_rate() -> None:
    truth = {"a": 0.2, "b": 0.1}
    rng = np.random.default_rng(SEED)
    covered, total = 0, 0
    for replication in range(200):
        group = rng.choice(["a", "b"], 300)
        selected = rng.random(300) < np.where(group == "a", truth["a"], truth["b"])
        audit = audit_groups(
            selected=selected,
            score=rng.random(300),
            probability=np.full(300, 0.5),
            groups=pd.DataFrame({"g": group}),
            n_boot=200,
            seed=replication,
        )
        rates = audit.metrics[audit.metrics["metric"] == "selection_rate"]
        for row in rates.itertuples():
            covered += int(row.ci_low <= truth[str(row.group)] <= row.ci_high)
            total += 1
    assert 0.90 <= covered / total <= 0.99


def _world(seed: int, rate_b: float, n: int = 3000) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame(
        {
            "g": rng.choice(["a", "b"], n),
            "h": rng.choice(["x", "y", "z"], n),
        }
    )
    rate = np.where(groups["g"] == "b", rate_b, 0.1)
    selected = rng.random(n) < rate
    probability = np.full(n, 0.3)
    return {
        "selected": selected,
        "score": rng.normal(500, 50, n),
        "probability": probability,
        "label": (rng.random(n) < probability).astype(float),
        "groups": groups,
    }


def test_no_effect_flags_little() -> None:
    flagged, flag, tested = 0, 0, 0
    for seed in range(8):
        audit = audit_groups(**_world(SEED + seed, rate_b=0.1), n_boot=200, seed=seed)
        disparities = audit.disparities
        flagged += int(disparities["flagged"].sum())
        flag += int(disparities["flag"].sum())
        tested += int(disparities["tested"].sum())
    assert tested > 300
    assert flagged / tested <= 0.02
    assert flag / tested <= 0.1


@pytest.mark.parametrize("correction", ["holm", "bh"])
def test_planted_effect_is_flagged(correction: str) -> None:
    audit = audit_groups(**_world(SEED, rate_b=0.2), n_boot=200, correction=correction)
    row = audit.disparities.set_index(["attribute", "group", "metric"]).loc[
        ("g", "b", "selection_rate")
    ]
    assert row["reference"] == "a"
    assert row["ratio"] == pytest.approx(2.0, rel=0.2)
    assert row["ratio_ci_low"] > 1.25
    assert row["flag"] and row["flagged"] and row["p_adjusted"] < 0.001
    assert audit.method["correction"] == correction
    assert audit.method["correction_name"].startswith(("Holm", "Benjamini"))
    # b's intersections with h are all selected more often than the largest (a × ...) group
    pairs = audit.disparities[
        (audit.disparities["attribute"] == "g × h")
        & (audit.disparities["metric"] == "selection_rate")
        & audit.disparities["group"].str.startswith("b")
    ]
    assert (pairs["ratio"] > 1.25).all()


def test_bh_adjusts_less_than_holm() -> None:
    data = _world(SEED, rate_b=0.13)
    holm = audit_groups(**data, n_boot=100, correction="holm").disparities
    bh = audit_groups(**data, n_boot=100, correction="bh").disparities
    pd.testing.assert_series_equal(holm["p_value"], bh["p_value"])
    tested = holm["tested"]
    assert (bh.loc[tested, "p_adjusted"] <= holm.loc[tested, "p_adjusted"] + 1e-15).all()
    assert (holm.loc[tested, "p_adjusted"] >= holm.loc[tested, "p_value"]).all()


def test_same_inputs_and_seed_give_identical_frames() -> None:
    data = _random(1500, SEED)
    first = audit_groups(**data, n_boot=100, seed=7)
    second = audit_groups(**data, n_boot=100, seed=7)
    other = audit_groups(**data, n_boot=100, seed=8)
    for name in ("metrics", "disparities", "deciles", "calibration"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert first.method == second.method
    assert not first.metrics["ci_low"].equals(other.metrics["ci_low"])
    pd.testing.assert_series_equal(first.metrics["value"], other.metrics["value"])


@settings(max_examples=30, deadline=None)
@given(
    groups=st.lists(st.sampled_from(["p", "q", "r"]), min_size=5, max_size=60),
    seed=st.integers(0, 2**16),
)
def test_shares_sum_to_one(groups: list[str], seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = len(groups)
    selected = rng.random(n) < 0.5
    selected[0] = True
    audit = audit_groups(
        selected=selected,
        score=rng.random(n),
        probability=rng.random(n),
        groups=pd.DataFrame({"g": groups}),
        weight=rng.random(n) + 0.1,
        n_boot=10,
        min_cell=1,
    )
    totals = audit.metrics.groupby("metric")["value"].sum()
    assert totals["population_share"] == pytest.approx(1.0)
    assert totals["share_among_selected"] == pytest.approx(1.0)
    assert audit.metrics["n"].where(audit.metrics["metric"] == "population_share").sum() == n


# --------------------------------------------------------------------------------------------
# Bad inputs
BAD: list[tuple[str, dict[str, Any], str]] = [
    ("misaligned score", {"score": np.zeros(11)}, r"^score must .*aligned.*12 rows.*got 11 rows"),
    ("misaligned groups", {"groups": pd.DataFrame({"g": ["A"] * 5})}, r"^groups must .*got 5 rows"),
    ("label 2", {"label": np.r_[2.0, np.zeros(11)]}, r"^label must .*0, 1 or NaN.*2\.0.*NaN where"),
    (
        "negative weight",
        {"weight": np.r_[-1.0, np.ones(11)]},
        r"^weight must .*non-negative.*-1\.0",
    ),
    ("nan score", {"score": np.r_[np.nan, np.ones(11)]}, r"^score must .*finite.*row 0"),
    ("probability", {"probability": np.full(12, 3.0)}, r"^probability must .*\[0, 1\].*3\.0"),
    ("selected text", {"selected": np.array(["y"] * 12)}, r"^selected must .*booleans"),
    ("unknown group", {"reference": {"g": "C"}}, r"^reference must .*(?:'A', 'B'|A, B)"),
    (
        "unknown attribute",
        {"reference": {"sex": "A"}},
        r"^reference must .*unknown attribute 'sex'",
    ),
    ("band reversed", {"band": (1.25, 0.8)}, r"^band must be .*; got \(1\.25, 0\.8\)\. Pass"),
    ("band equal", {"band": (1.0, 1.0)}, r"^band must be .*; got \(1\.0, 1\.0\)"),
    ("n_boot", {"n_boot": 2}, r"^n_boot must be an int >= 10; got 2\."),
    ("min_cell", {"min_cell": 0}, r"^min_cell must be .*; got 0\."),
    ("alpha", {"alpha": 1.5}, r"^alpha must be .*\(0, 1\); got 1\.5"),
    ("correction", {"correction": "bonferroni"}, r"^correction must .*holm.*; got 'bonferroni'"),
    ("groups not a frame", {"groups": ["A"] * 12}, r"^groups must .*DataFrame.*got list"),
]


@pytest.mark.parametrize(("change", "match"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs_are_refused(change: dict[str, Any], match: str) -> None:
    data = _small() | {"n_boot": 20, "min_cell": 1} | change
    with pytest.raises(AuditError, match=match) as caught:
        audit_groups(**data)
    assert isinstance(caught.value, DmdeError) and isinstance(caught.value, ValueError)


def test_calibration_rates_carry_intervals() -> None:
    rng = np.random.default_rng(8)
    n = 6_000
    probability = rng.uniform(0.01, 0.4, n)
    label = (rng.random(n) < probability).astype(float)
    audit = audit_groups(
        selected=probability > 0.35,
        score=probability,
        probability=probability,
        groups=pd.DataFrame({"g": rng.choice(["a", "b"], n)}),
        label=label,
        n_boot=20,
    )
    shown = audit.calibration[~audit.calibration["suppressed"]]
    assert len(shown) == 20
    assert (shown["observed_low"] <= shown["observed_rate"]).all()
    assert (shown["observed_rate"] <= shown["observed_high"]).all()
    assert (shown["observed_high"] - shown["observed_low"]).between(0.01, 0.5).all()
