"""What a notebook shows for a scorecard, a family and an audit result (their HTML)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter

from dmde.audit.result import AuditResult
from dmde.data.catalog import EXCLUDED_FAMILIES, FeaturePolicy
from dmde.data.synthetic import synthesize
from dmde.model.scorecard import Scorecard, ScorecardFamily

FEATURES = ["n_children", "household_type", "income_to_smic"]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    frame = synthesize(6_000, seed=4, controls=3_000)
    return frame[frame["controlled"] == 1].reset_index(drop=True)


def _shown(obj: Any) -> dict[str, str]:
    """What Jupyter displays: IPython's formatter, mimebundle first."""
    data, _ = DisplayFormatter().format(obj)
    return dict(data)


def test_a_fitted_scorecard_shows_its_points_policy_and_training(rows: pd.DataFrame) -> None:
    model = Scorecard(features=FEATURES).fit(rows, rows["target"], rows["control_weight"])
    html = _shown(model)["text/html"]
    assert html == model._repr_html_()
    assert "sk-global" not in html  # not scikit-learn's diagram
    for feature in FEATURES:
        assert f"<code>{feature}</code>" in html
    for family in EXCLUDED_FAMILIES:
        assert f"<td>{family.value}</td>" in html
    assert f"Trained on {len(rows):,} rows" in html
    assert f"{model.intercept_points_:.2f} points" in html
    assert html.index("Points per feature") < html.index("Training summary")


def test_a_policy_that_drops_a_family_says_so(rows: pd.DataFrame) -> None:
    policy = FeaturePolicy(allowed_families=["household", "resources"], name="narrow")
    model = Scorecard(features=["n_children"], policy=policy).fit(rows, rows["target"])
    html = model._repr_html_()
    assert "Policy <b>narrow</b>" in html
    assert "<td>benefits</td><td>this policy (narrow) does not allow it</td>" in html


def test_a_family_shows_each_segment(rows: pd.DataFrame) -> None:
    model = ScorecardFamily(scorecard=Scorecard(features=FEATURES))
    model.fit(rows, rows["target"], rows["control_weight"])
    html = _shown(model)["text/html"]
    for segment in model.segments_:
        assert f"Segment income_reporting = {segment}" in html
    assert html.count("Policy and excluded families") == 1


@pytest.mark.parametrize("model", [Scorecard(), ScorecardFamily()], ids=["scorecard", "family"])
def test_an_unfitted_model_shows_scikit_learns_diagram(model: Any) -> None:
    shown = _shown(model)
    assert "sk-global" in shown["text/html"]
    assert shown["text/plain"] == repr(model)


def test_an_audit_result_shows_its_findings_first() -> None:
    findings = pd.DataFrame(
        {
            "finding": [1],
            "verdict": ["over-selected"],
            "attribute": ["gender"],
            "group": ["F"],
            "reference": ["M"],
            "metric": ["selection_rate"],
            "value": [0.02],
            "reference_value": [0.01],
            "p_adjusted": [0.001],
            "priority": [3.0],
        }
    )
    flags = pd.DataFrame({"sentence": ["Women <are> selected twice as often."]})
    empty = pd.DataFrame()
    result = AuditResult(
        None,
        empty,
        flags,
        findings,
        empty,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        {"rows": 1_000, "selected_by_score": 12},
        {},
    )
    html = _shown(result)["text/html"]
    assert "1,000 files, 12 selected by the score" in html
    assert html.index("over-selected") < html.index("Women &lt;are&gt; selected")
    assert "priority" not in html
