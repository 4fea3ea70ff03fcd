"""fairlearn at run time (dmde.audit.metricframe): extra metrics per group, to_metricframe."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.metrics import balanced_accuracy_score, recall_score

from dmde.audit import AuditError, AuditResult, audit, build_report
from dmde.audit.metricframe import base_rate
from dmde.audit.settings import AuditSettings

EXTRA = {"balanced_accuracy": balanced_accuracy_score, "recall": recall_score}


def seeded(seed: int, *, sample: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 6_000
    groups = pd.DataFrame(
        {
            "gender": pd.Categorical(rng.choice(["female", "male"], n), ["female", "male"]),
            "region": rng.choice(["north", "south", "west"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    risk = 0.1 + 0.1 * (groups["region"] == "south").to_numpy()
    truth = (rng.random(n) < risk).astype(float)
    frame = pd.DataFrame({"score": rng.normal(0, 1, n) + 2 * truth})
    frame["probability"] = 1 / (1 + np.exp(-frame["score"]))
    frame["selected"] = frame["score"].rank(ascending=False) <= 900
    if sample:
        frame["sample"] = rng.random(n) < 0.4
        frame["weight"] = np.where(frame["sample"], rng.uniform(1, 3, n), np.nan)
        frame["label"] = np.where(frame["sample"], truth, np.nan)
    else:
        frame["label"] = np.where(rng.random(n) < 0.7, truth, np.nan)  # some unknown
    return frame, groups


def run(frame: pd.DataFrame, groups: pd.DataFrame, **kwargs: Any) -> AuditResult:
    sample = "sample" in frame
    return audit(
        frame,
        groups=groups,
        label="label",
        sample="sample" if sample else None,
        weight="weight" if sample else None,
        settings=AuditSettings(n_boot=20, intersections=False),
        **kwargs,
    )


@pytest.mark.parametrize("sample", [False, True], ids=["labels", "random-sample"])
def test_extra_metrics_equal_fairlearn_on_the_labelled_files(sample: bool) -> None:
    frame, groups = seeded(4, sample=sample)
    result = run(frame, groups, extra_metrics=EXTRA)
    table = result.extra_metrics
    assert table is not None
    assert list(table.columns) == ["attribute", "group", "metric", "value", "n", "suppressed"]
    known = frame["label"].notna().to_numpy()
    for attribute in groups.columns:
        direct = MetricFrame(
            metrics=EXTRA,
            y_true=frame["label"].to_numpy()[known].astype(int),
            y_pred=frame["selected"].to_numpy()[known].astype(int),
            sensitive_features=groups[attribute].astype(str).to_numpy()[known],
        ).by_group
        rows = table[table["attribute"] == attribute]
        for row in rows.itertuples():
            assert row.value == pytest.approx(direct.loc[row.group, row.metric], rel=1e-12)
        sizes = pd.Series(groups[attribute].astype(str).to_numpy()[known]).value_counts()
        assert dict(zip(rows["group"], rows["n"], strict=True)) == sizes.to_dict()
    # groups in the audit's order, metrics within each group
    gender = table[table["attribute"] == "gender"]
    assert list(gender["group"]) == ["female", "female", "male", "male"]
    assert list(gender["metric"]) == ["balanced_accuracy", "recall"] * 2


def test_extra_metrics_are_suppressed_under_min_cell() -> None:
    frame, groups = seeded(5, sample=False)
    result = audit(
        frame,
        groups=groups,
        label="label",
        settings=AuditSettings(n_boot=20, intersections=False, min_cell=2_000),
        extra_metrics=EXTRA,
    )
    assert result.extra_metrics is not None
    region = result.extra_metrics.set_index(["attribute", "group"]).loc["region"]
    assert region.loc["west", "suppressed"].all() and region.loc["west", "value"].isna().all()
    assert not region.loc["north", "suppressed"].any()


def test_extra_metrics_stay_out_of_the_findings_and_absent_by_default() -> None:
    frame, groups = seeded(6, sample=False)
    plain = run(frame, groups)
    extra = run(frame, groups, extra_metrics=EXTRA)
    assert plain.extra_metrics is None
    pd.testing.assert_frame_equal(plain.findings, extra.findings)
    pd.testing.assert_frame_equal(plain.groups.disparities, extra.groups.disparities)
    # in the report's JSON tables only when asked for; the findings are the same
    plain_data, extra_data = build_report(plain).data, build_report(extra).data
    assert "extra_metrics" not in plain_data["tables"]
    assert len(extra_data["tables"]["extra_metrics"]) == len(extra.extra_metrics)
    assert extra_data["findings"] == plain_data["findings"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"extra_metrics": [balanced_accuracy_score]}, r"extra_metrics must be a dict.*got list"),
        ({"extra_metrics": {"x": 3}}, r"extra_metrics must map names .* to functions.*'x': 3"),
        ({"extra_metrics": EXTRA, "label": None}, r"extra_metrics compare the outcome.*label"),
    ],
    ids=["list", "not-callable", "no-labels"],
)
def test_bad_extra_metrics(kwargs: dict[str, Any], match: str) -> None:
    frame, groups = seeded(7, sample=False)
    arguments = {"groups": groups, "label": "label", "settings": AuditSettings(n_boot=20)}
    with pytest.raises(AuditError, match=match):
        audit(frame, **(arguments | kwargs))


@pytest.mark.parametrize("sample", [False, True], ids=["labels", "random-sample"])
def test_to_metricframe_gives_the_audits_point_estimates(sample: bool) -> None:
    frame, groups = seeded(8, sample=sample)
    result = run(frame, groups, extra_metrics=EXTRA)
    mf = result.to_metricframe("region")
    assert isinstance(mf, MetricFrame)
    assert list(mf.by_group.columns) == ["selection_rate", "base_rate", *EXTRA]
    ours = result.groups.metrics.set_index(["attribute", "group", "metric"])["value"]
    for group in ("north", "south", "west"):
        for metric in ("selection_rate", "base_rate"):
            assert mf.by_group.loc[group, metric] == pytest.approx(
                ours.loc[("region", group, metric)], rel=1e-12
            )
    # the same figures from fairlearn directly
    selected = frame["selected"].to_numpy().astype(int)
    direct = MetricFrame(
        metrics=selection_rate,
        y_true=np.zeros(len(frame)),
        y_pred=selected,
        sensitive_features=groups["region"],
    )
    np.testing.assert_allclose(mf.by_group["selection_rate"], direct.by_group, rtol=1e-12)
    known = frame["label"].notna().to_numpy()
    weight = frame["weight"].to_numpy()[known] if sample else None
    rate = MetricFrame(
        metrics=base_rate,
        y_true=frame["label"].to_numpy()[known],
        y_pred=selected[known],
        sensitive_features=groups["region"].to_numpy()[known],
        sample_params={"sample_weight": weight} if sample else None,
    )
    np.testing.assert_allclose(mf.by_group["base_rate"], rate.by_group, rtol=1e-12)
    assert mf.overall["selection_rate"] == pytest.approx(selected.mean())


def test_to_metricframe_of_several_attributes_and_without_labels() -> None:
    frame, groups = seeded(9, sample=False)
    both = run(frame, groups).to_metricframe()
    assert both.by_group.index.names == ["gender", "region"]
    assert len(both.by_group) == 6
    unlabelled = audit(frame, groups=groups, settings=AuditSettings(n_boot=20))
    assert list(unlabelled.to_metricframe("gender").by_group.columns) == ["selection_rate"]
    with pytest.raises(AuditError, match=r"'age' is not an attribute of the audit.*gender"):
        unlabelled.to_metricframe("age")
