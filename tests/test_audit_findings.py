"""The audit's verdicts on tables with a planted truth: they find what was planted, only that."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.audit import audit
from dmde.audit.findings import VERDICTS, amplification
from dmde.audit.settings import AuditSettings

SEEDS = range(20)


def planted_population(seed: int, rows: int = 20_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three attributes: one with no effect, one riskier (selected in proportion), one targeted.

    Every file is labelled (a simulation's truth). ``riskier`` group ``b`` has twice the
    overpayment rate of ``a`` and a selection probability twice as high (in proportion);
    ``targeted`` group ``d`` has the same rate as ``c`` but is selected 2.5 times as often
    (beyond its risk); ``neutral`` changes nothing.
    """
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame(
        {
            "neutral": rng.choice(["x", "y"], rows),
            "riskier": rng.choice(["a", "b"], rows),
            "targeted": rng.choice(["c", "d"], rows),
        }
    )
    risk = np.where(groups["riskier"] == "b", 2.0, 1.0)
    target = np.where(groups["targeted"] == "d", 2.5, 1.0)
    label = (rng.random(rows) < 0.08 * risk).astype(float)
    selected = rng.random(rows) < 0.03 * risk * target
    frame = pd.DataFrame(
        {
            "dossier_id": rng.permutation(rows),
            "score": 0.03 * risk * target + rng.normal(0, 0.01, rows),
            "selected": selected,
            "label": label,
        }
    )
    return frame, groups


def _verdicts(result: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in result.findings.itertuples(index=False):
        found.setdefault(str(row.attribute), set()).add(str(row.verdict))
    return found


@pytest.fixture(scope="module")
def planted_runs() -> list[dict[str, set[str]]]:
    runs = []
    for seed in SEEDS:
        frame, groups = planted_population(seed)
        result = audit(
            frame,
            groups=groups,
            probability=None,
            label="label",
            settings=AuditSettings(n_boot=200, seed=seed),
        )
        runs.append(_verdicts(result))
    return runs


@pytest.mark.parametrize(
    ("attribute", "verdict"),
    [("targeted", "beyond_risk"), ("riskier", "in_proportion")],
    ids=["selected-beyond-risk", "selected-because-riskier"],
)
def test_the_planted_verdict_comes_out(
    planted_runs: list[dict[str, set[str]]], attribute: str, verdict: str
) -> None:
    right = sum(run.get(attribute) == {verdict} for run in planted_runs)
    assert right >= 19, f"{attribute}: {verdict} in {right} of {len(planted_runs)} seeds"


def test_an_attribute_with_no_effect_gives_no_finding(
    planted_runs: list[dict[str, set[str]]],
) -> None:
    quiet = sum("neutral" not in run for run in planted_runs)
    assert quiet >= 19, f"the no-effect attribute gave a finding in {20 - quiet} seeds"
    interactions = sum(any("×" in a for a in run) for run in planted_runs)
    assert interactions <= 1, f"an interaction was found in {interactions} seeds (none planted)"


def checked_table(seed: int, *, model_share: float = 0.67) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An outside system's table: every row checked, by the model or at random; no score.

    Group ``A`` makes up 56% of ~1,000 random checks and ``model_share`` of ~4,000 model checks.
    """
    rng = np.random.default_rng(seed)
    n_random, n_model = 1_000, 4_000
    method = np.array(["random"] * n_random + ["score"] * n_model)
    share = np.where(method == "random", 0.56, model_share)
    district = np.where(rng.random(len(method)) < share, "A", "B")
    frame = pd.DataFrame(
        {
            "method": method,
            "label": (rng.random(len(method)) < np.where(method == "score", 0.3, 0.1)).astype(
                float
            ),
        }
    )
    return frame, pd.DataFrame({"district": district})


@pytest.mark.parametrize(
    ("model_share", "expected"), [(0.67, 19), (0.56, 0)], ids=["shift", "none"]
)
def test_a_composition_shift_is_found_only_where_planted(model_share: float, expected: int) -> None:
    found = 0
    for seed in SEEDS:
        frame, groups = checked_table(seed, model_share=model_share)
        result = audit(
            frame,
            groups=groups,
            score=None,
            probability=None,
            selected=None,
            method="method",
            label="label",
            settings=AuditSettings(n_boot=100, seed=seed),
        )
        assert result.data["all_checked"]
        verdicts = set(result.findings["verdict"])
        assert "beyond_risk" not in verdicts and "selection_gap" not in verdicts
        found += "composition_shift" in verdicts
    if expected:
        assert found >= expected, f"shift found in {found} of 20 seeds"
    else:
        assert found <= 1, f"a shift was found in {found} of 20 seeds where none was planted"


def test_hit_rates_by_method_are_one_table() -> None:
    frame, groups = checked_table(0)
    result = audit(
        frame,
        groups=groups,
        score=None,
        probability=None,
        selected=None,
        method="method",
        label="label",
        settings=AuditSettings(n_boot=50),
    )
    rates = result.hit_rates.set_index("method")
    assert list(rates.index) == ["random", "score"]
    assert rates.loc["random", "checks"] == 1_000 and rates.loc["score", "checks"] == 4_000
    for method in ("random", "score"):
        observed = frame.loc[frame["method"] == method, "label"].mean()
        assert rates.loc[method, "hit_rate"] == pytest.approx(observed)
        assert rates.loc[method, "hit_low"] < observed < rates.loc[method, "hit_high"]


def test_amplification_is_the_ratio_of_selection_and_risk_ratios() -> None:
    frame, groups = planted_population(0)
    result = audit(
        frame,
        groups=groups,
        probability=None,
        label="label",
        settings=AuditSettings(n_boot=100, reference={"targeted": "c", "riskier": "a"}),
    )
    d = result.groups.disparities.set_index(["attribute", "group", "metric"])
    for attribute, group in (("targeted", "d"), ("riskier", "b")):
        selection = d.loc[(attribute, group, "selection_rate"), "ratio"]
        risk = d.loc[(attribute, group, "base_rate"), "ratio"]
        amp = d.loc[(attribute, group, "amplification")]
        assert amp["ratio"] == pytest.approx(selection / risk)
        assert amp["ratio_ci_low"] < amp["ratio"] < amp["ratio_ci_high"]
    rows = amplification(result.groups.disparities)
    assert set(rows["metric"]) == {"amplification"}


def test_findings_carry_every_verdict_class_name() -> None:
    frame, groups = planted_population(1)
    result = audit(
        frame, groups=groups, probability=None, label="label", settings=AuditSettings(n_boot=100)
    )
    assert set(result.findings["verdict"]) <= set(VERDICTS)
    assert list(result.findings["finding"]) == sorted(result.findings["finding"])
    assert result.findings["finding"].min() == 1
