"""The whole audit in one call (dmde.audit.run.audit): selection, settings, row order, mistakes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde import select
from dmde.audit import AuditResult, audit
from dmde.audit.settings import AuditError, AuditSettings
from dmde.cli import main


def _frame(seed: int = 0, n: int = 3_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame(
        {"gender": rng.choice(["female", "male"], n), "area": rng.choice(["a", "b", "c"], n)}
    )
    score = rng.normal(500, 20, n) + 10 * (groups["area"] == "a").to_numpy()
    frame = pd.DataFrame(
        {
            "dossier_id": np.arange(1, n + 1),
            "score": score,
            "probability": 1 / (1 + np.exp(-(score - 540) / 20)),
        }
    )
    frame["selected"] = frame["score"].rank(ascending=False, method="first") <= 300
    frame["label"] = np.where(rng.random(n) < 0.5, (rng.random(n) < 0.2).astype(float), np.nan)
    frame["method"] = np.where(frame["selected"], "score", "none")
    frame["sample"] = rng.random(n) < 0.3
    frame["weight"] = rng.uniform(1, 2, n)
    return frame, groups


# --------------------------------------------------------------------------------------------
# Settings
def test_without_settings_the_defaults_are_used() -> None:
    frame, groups = _frame()
    default = audit(frame, groups=groups, settings=None)
    explicit = audit(frame, groups=groups, settings=AuditSettings())
    pd.testing.assert_frame_equal(default.groups.disparities, explicit.groups.disparities)
    assert default.parameters == explicit.parameters
    assert default.parameters["n_boot"] == 1000


def test_every_setting_reaches_the_result() -> None:
    frame, groups = _frame()
    settings = AuditSettings(
        reference={"area": "b"},
        intersections=False,
        band=(0.5, 2.0),
        n_boot=30,
        seed=7,
        min_cell=200,
        alpha=0.1,
        correction="bh",
        proxy_rows=500,
    )
    result = audit(frame, groups=groups, label="label", settings=settings)
    p = result.parameters
    assert list(p)[:7] == [
        "intersections",
        "band",
        "n_boot",
        "seed",
        "min_cell",
        "alpha",
        "correction",
    ]
    assert (p["intersections"], p["band"], p["n_boot"], p["seed"]) == (False, (0.5, 2.0), 30, 7)
    assert (p["min_cell"], p["alpha"], p["correction"], p["proxy_rows"]) == (200, 0.1, "bh", 500)
    assert p["reference"]["area"] == "b"  # as given; gender's is the largest group
    method = result.groups.method
    assert (method["n_boot"], method["seed"], method["alpha"], method["correction"]) == (
        30,
        7,
        0.1,
        "bh",
    )
    assert method["interval"] == "bootstrap percentile, 90%"
    assert set(result.groups.metrics["attribute"]) == {"gender", "area"}
    assert result.groups.metrics.loc[result.groups.metrics["n"] < 200, "suppressed"].all()
    # the flags follow the band and the level
    d = result.groups.disparities
    outside = d["tested"] & ~d["ratio"].between(0.5, 2.0)
    assert (d["flagged"] == (outside & (d["p_adjusted"] < 0.1))).all()


def test_the_seed_decides_the_intervals() -> None:
    frame, groups = _frame()

    def run(seed: int) -> AuditResult:
        return audit(frame, groups=groups, settings=AuditSettings(n_boot=30, seed=seed))

    a, b, c = run(1), run(1), run(2)
    pd.testing.assert_frame_equal(a.groups.metrics, b.groups.metrics)
    assert not a.groups.metrics["ci_low"].equals(c.groups.metrics["ci_low"])


def test_the_two_stage_audit_uses_the_settings_on_both_parts() -> None:
    frame, groups = _frame()
    settings = AuditSettings(n_boot=30, min_cell=150, intersections=False, reference={"area": "c"})
    result = audit(
        frame, groups=groups, label="label", sample="sample", weight="weight", settings=settings
    )
    m = result.groups.metrics
    base = m[m["metric"] == "base_rate"]  # from the random sample
    assert (base["suppressed"] == (base["n"] < 150)).all()
    rows = result.groups.disparities.query("attribute == 'area'")
    assert set(rows["reference"]) == {"c"}
    assert "random-control sample" in result.groups.method["labels"]


# --------------------------------------------------------------------------------------------
# Columns and mistakes: each names the column
MISTAKES: list[tuple[dict[str, Any], str]] = [
    ({"score": "risk"}, r"the score column 'risk' is not in the table; columns: dossier_id"),
    ({"label": "outcome"}, r"the label column 'outcome' is not in the table"),
    ({"method": "how"}, r"the selection-method column 'how' is not in the table"),
    ({"selected": None}, r"give either the selection \(a column\) or a budget"),
    ({"selected": None, "budget": 0}, r"budget must be in \[1, 3,000\]"),
    ({"selected": None, "budget": 10, "score": None}, r"a budget selects the highest scores"),
    ({"selected": "text"}, r"the selection column 'text' holds 'maybe'; expected true/false"),
    ({"selected": "gap"}, r"the selection column 'gap' has missing values"),
    ({"label": "bad_label"}, r"the label column 'bad_label' holds '2\.0'.*Recode"),
    ({"method": "bad_method", "selected": None}, r"method column 'bad_method' holds .*'manual'"),
    ({"selected": "nobody"}, r"no file is selected by the score among 3,000"),
    ({"sample": "nobody", "label": "label"}, r"the random sample is empty"),
]


@pytest.mark.parametrize(
    ("change", "match"), MISTAKES, ids=[next(iter(c.values())) or "none" for c, _ in MISTAKES]
)
def test_mistakes_name_the_column(change: dict[str, Any], match: str) -> None:
    frame, groups = _frame()
    frame["text"] = np.where(np.arange(len(frame)) == 5, "maybe", "true")
    frame["gap"] = np.where(np.arange(len(frame)) == 5, np.nan, 1.0)
    frame["bad_label"] = np.where(np.arange(len(frame)) == 5, 2.0, 0.0)
    frame["bad_method"] = np.where(np.arange(len(frame)) == 5, "manual", "score")
    frame["nobody"] = False
    with pytest.raises(AuditError, match=match):
        audit(frame, groups=groups, settings=AuditSettings(n_boot=10), **change)


def test_misaligned_groups_are_refused() -> None:
    frame, groups = _frame()
    with pytest.raises(AuditError, match=r"groups has 2,999 rows for 3,000 rows of data"):
        audit(frame, groups=groups.iloc[1:], settings=AuditSettings(n_boot=10))


# --------------------------------------------------------------------------------------------
# Selection by a budget, and row order
def test_a_budget_selects_as_dmde_select_does() -> None:
    """Ties included: the audit's budget takes the files `dmde select --budget` would take."""
    frame, _ = _frame(seed=2)
    frame = frame[["dossier_id", "score", "probability"]].copy()
    frame["score"] = frame["score"].round(-1)  # many ties at the cut
    budget = 300
    chosen = select(frame.assign(caf_code="01"), budget=budget).frame["dossier_id"]
    by_select = np.where(frame["dossier_id"].isin(chosen), "by select", "not")
    result = audit(
        frame,
        groups=pd.DataFrame({"select": by_select}),
        selected=None,
        budget=budget,
        settings=AuditSettings(n_boot=20, intersections=False),
    )
    assert "ties as dmde select breaks them" in result.data["selection_rule"]
    assert result.data["tied_at_cut"] > 0
    rate = result.groups.metrics.set_index(["group", "metric"])["value"]
    assert rate[("by select", "selection_rate")] == 1.0
    assert rate[("not", "selection_rate")] == 0.0


def _files(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_generic_table_with_ties_is_invariant_to_row_order(tmp_path: Path) -> None:
    """No id: ties at the budget's cut are broken by a keyed hash of each row, not its position."""
    rng = np.random.default_rng(3)
    n = 3_000
    table = pd.DataFrame(
        {
            "risk": np.round(rng.normal(0, 1, n), 1),  # many ties
            "outcome": (rng.random(n) < 0.2).astype(int),
            "district": rng.choice(["north", "south", "east"], n),
            "sex": rng.choice(["f", "m"], n),
        }
    )
    for name, rows in (("a", table), ("b", table.iloc[::-1])):
        (tmp_path / name).mkdir()
        rows.to_csv(tmp_path / name / "table.csv", index=False)
    for name in ("a", "b"):
        args = ["audit", "--table", str(tmp_path / name / "table.csv"), "--score-column", "risk"]
        args += ["--label-column", "outcome", "--group-columns", "district,sex"]
        args += ["--budget", "300", "--n-boot", "50", "--lang", "en"]
        assert main([*args, "--out", str(tmp_path / name / "out" / "audit.html")]) == 0
    a, b = _files(tmp_path / "a" / "out"), _files(tmp_path / "b" / "out")
    assert a == b
    payload = json.loads(a[Path("audit.json")])
    assert payload["data"]["inputs"]["tied_at_cut"] > 0
    assert "keyed hash of each row" in payload["data"]["inputs"]["selection_rule"]


def test_an_outside_table_of_checks_gets_composition_and_hit_rates(tmp_path: Path) -> None:
    """Every row checked (by a model or at random), no score, the system's own method values."""
    rng = np.random.default_rng(0)
    how = np.array(["random_sample"] * 1_000 + ["model"] * 4_000)
    share = np.where(how == "model", 0.67, 0.56)
    table = pd.DataFrame(
        {
            "how": how,
            "district": np.where(rng.random(len(how)) < share, "A", "B"),
            "error_found": (rng.random(len(how)) < np.where(how == "model", 0.3, 0.1)).astype(int),
        }
    )
    table.to_csv(tmp_path / "checks.csv", index=False)
    out = tmp_path / "checks.html"
    args = ["audit", "--table", str(tmp_path / "checks.csv"), "--group-columns", "district"]
    args += ["--method-column", "how", "--method-values", "score=model,random=random_sample"]
    args += ["--label-column", "error_found", "--outcome-label", "error", "--lang", "en"]
    assert main([*args, "--n-boot", "50", "--out", str(out)]) == 0
    payload = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    verdicts = {(f["verdict"], f["attribute"]) for f in payload["data"]["findings"]}
    assert ("composition_shift", "district") in verdicts
    assert payload["data"]["inputs"]["all_checked"] is True
    rates = {r["method"]: r for r in payload["data"]["tables"]["hit_rates"]}
    assert rates["random"]["checks"] == 1_000 and rates["score"]["checks"] == 4_000
    html = out.read_text(encoding="utf-8")
    assert "Hit rate by selection method" in html
    assert "synthetic" not in html.lower() and "Audit of a selection" in html
    assert 'class="box ok"' not in html  # no all-clear beside a finding
