"""Figures of the audit: drawn from the result tables, deterministic SVG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmde.audit import audit_groups, selection_vs_random
from dmde.audit.plots import (
    plot_calibration,
    plot_group_metric,
    plot_random_vs_selected,
    plot_score_distributions,
    to_svg,
)
from dmde.errors import DmdeError


@pytest.fixture(scope="module")
def data() -> dict[str, object]:
    rng = np.random.default_rng(0)
    n = 6_000
    groups = pd.DataFrame(
        {
            "gender": rng.choice(["female", "male"], n),
            "rare": np.where(np.arange(n) < 10, "few", "many"),
        }
    )
    p = rng.uniform(0.01, 0.3, n)
    score = np.log(p / (1 - p))
    selected = score > np.quantile(score, 0.9)
    label = (rng.random(n) < p).astype(float)
    audit = audit_groups(
        selected=selected,
        score=score,
        probability=p,
        groups=groups,
        label=label,
        n_boot=100,
        seed=1,
    )
    controlled = rng.random(n) < 0.2
    table = selection_vs_random(groups, selected=selected, controlled=controlled, label=label)
    return {"audit": audit, "table": table, "score": score, "groups": groups}


def test_group_metric_names_suppressed_groups(data: dict[str, object]) -> None:
    audit = data["audit"]
    ax = plot_group_metric(audit.metrics, attribute="rare")  # type: ignore[attr-defined]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any("suppressed" in label for label in labels)
    svg = to_svg(ax)
    assert svg.startswith("<?xml") and "<svg" in svg


def test_every_figure_draws_and_svg_is_deterministic(data: dict[str, object]) -> None:
    audit, table = data["audit"], data["table"]
    figures = [
        lambda: plot_group_metric(
            audit.metrics,
            attribute="gender",  # type: ignore[attr-defined]
            metric="precision",
        ),
        lambda: plot_random_vs_selected(table, attribute="gender"),  # type: ignore[arg-type]
        lambda: plot_calibration(audit.calibration, attribute="gender"),  # type: ignore[attr-defined]
        lambda: plot_score_distributions(data["score"], data["groups"]["gender"]),  # type: ignore[arg-type,index]
    ]
    for make in figures:
        assert to_svg(make()) == to_svg(make())


def test_unknown_attribute(data: dict[str, object]) -> None:
    with pytest.raises(DmdeError, match="no rows for attribute 'age_band'"):
        plot_group_metric(data["audit"].metrics, attribute="age_band")  # type: ignore[attr-defined]
