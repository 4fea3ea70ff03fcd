"""The monitor's verdicts on the random controls and its materiality floor, on generated panels
with a known answer: a change planted in month 13 (2026-06 from 2025-06) is found in its month,
and a stable panel stays quiet.

The panel's labels are redrawn from month 13 on, on the random controls only, from the truth
the generator writes (``with_truth``):

- ``auc``: the overpayments stop following the situation the model reads (each control's
  probability replaced by the controls' weighted mean: the same rate, no ranking);
- ``calibration``: the odds of an overpayment double for every file (the same ranking, a
  higher rate).

The floor: from month 13, 1.5% of the French nationals are recorded as non-EU nationals (the
audit's attribute only; scores unchanged), which moves the non-EU share among the selected by
about 1.3 points: beyond chance with 25,000 files selected a month, and below the floor of 2.

Measured when written (2026-11-29, seeds 0-9; the sweeps are marked slow):

- ``auc`` (20,000 households, 2,500 controls a month): the AUC flagged from 2026-06 in 10 of 10
  seeds;
- ``calibration`` (10,000 households, 1,500 controls a month): flagged from 2026-06 in 10 of
  10 seeds;
- the floor (50,000 households, half selected): the non-EU move beyond chance and below the
  floor in 10 of 10 seeds, never flagged; flagged with a floor of 0.5 points in 10 of 10.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.special import expit, logit

from dmde.audit.monitoring import MonitoringResult, monitor
from dmde.audit.monitoring_report import monitoring_document, monitoring_verdict
from dmde.data.synthetic_panel import generate_panel
from dmde.model.scorecard import ScorecardFamily

SHIFT_MONTH = 13
SHIFTED = "2026-06"
Panel = tuple[tuple[str, pd.DataFrame], ...]


@functools.lru_cache(maxsize=2)
def _panel(n: int, seed: int, controls: int) -> Panel:
    months: dict[str, list[pa.Table]] = {}
    for month, table in generate_panel(
        n, months=14, start="2025-06", seed=seed, controls=controls, with_truth=True
    ):
        months.setdefault(month, []).append(table)
    return tuple((m, pa.concat_tables(t).to_pandas()) for m, t in months.items())


def _planted(panel: Panel, kind: str, seed: int) -> Panel:
    rng = np.random.default_rng(10_000 + seed)
    out = []
    for i, (month, frame) in enumerate(panel, start=1):
        if i >= SHIFT_MONTH:
            frame = frame.copy()
            if kind == "floor":
                french = np.flatnonzero((frame["nationality_group"] == "french").to_numpy())
                moved = rng.choice(french, size=int(0.015 * french.size), replace=False)
                groups = frame["nationality_group"].astype(object).to_numpy(copy=True)
                groups[moved] = "non_eu"
                frame["nationality_group"] = groups
            else:
                rows = (frame["controlled"] == 1).to_numpy()
                p = frame["truth_probability"].to_numpy(dtype=float)[rows]
                w = frame["control_weight"].to_numpy(dtype=float)[rows]
                if kind == "auc":
                    p = np.full(p.shape, np.average(p, weights=w))
                else:
                    p = expit(logit(p) + np.log(2.0))
                target = frame["target"].to_numpy(dtype=float, copy=True)
                target[rows] = rng.random(p.size) < p
                frame["target"] = target
        out.append((month, frame))
    return tuple(out)


def _run(panel: Panel, share: float, **options: float) -> MonitoringResult:
    rows = pd.concat([frame for _, frame in panel[:3]])
    rows = rows[rows["controlled"] == 1]
    model = ScorecardFamily().fit(
        rows, rows["target"].astype(int), sample_weight=rows["control_weight"]
    )
    return monitor(model, panel[:3], panel[3:], share=share, **options)


def _kinds(result: MonitoringResult) -> list[tuple[str, str]]:
    return [(f.kind, f.first_month) for f in result.flags]


def _auc_found(seed: int) -> bool:
    result = _run(_planted(_panel(20_000, seed, 2_500), "auc", seed), 0.05)
    return ("auc", SHIFTED) in _kinds(result)


def _calibration_found(seed: int) -> bool:
    result = _run(_planted(_panel(10_000, seed, 1_500), "calibration", seed), 0.05)
    return ("calibration", SHIFTED) in _kinds(result)


def _below_floor(seed: int) -> tuple[bool, bool]:
    """(the move is reported beyond chance and below the floor, not flagged; it is flagged
    with a floor of 0.5 points)."""
    panel = _planted(_panel(50_000, seed, 1_000), "floor", seed)
    result = _run(panel, 0.5)
    comp = result.composition
    row = comp[
        (comp["month"] == SHIFTED)
        & (comp["attribute"] == "nationality_group")
        & (comp["group"] == "non_eu")
    ].iloc[0]
    unflagged = not [f for f in result.flags if f.kind == "group" and "nationality" in f.subject]
    below = bool(row["significant"] and not row["material"] and not row["flagged"])
    low_floor = _run(panel, 0.5, min_move=0.005)
    nationality = [
        f
        for f in low_floor.flags
        if f.kind == "group" and "nationality_group=non_eu" in (f.subject, *f.also)
    ]
    return below and unflagged, bool(nationality) and nationality[0].first_month == SHIFTED


def test_a_flattened_risk_is_an_auc_flag_in_its_month() -> None:
    result = _run(_planted(_panel(20_000, 0, 2_500), "auc", 0), 0.05)
    assert ("auc", SHIFTED) in _kinds(result), result.findings
    flag = next(f for f in result.flags if f.kind == "auc")
    assert flag.sentence.startswith("The AUC on the random controls fell from 2026-06")
    assert "out of fold" in flag.sentence
    # the reference is out of fold: below the AUC on the training rows
    assert result.baseline["auc"] < 0.75 and np.isfinite(result.baseline["auc_se"])
    assert not [f for f in result.flags if f.kind in ("feature", "score", "group")]


def test_doubled_odds_are_a_calibration_flag_in_its_month() -> None:
    result = _run(_planted(_panel(10_000, 0, 1_500), "calibration", 0), 0.05)
    assert ("calibration", SHIFTED) in _kinds(result), result.findings
    flag = next(f for f in result.flags if f.kind == "calibration")
    assert "predicted" in flag.sentence and "beyond chance" in flag.sentence
    row = result.score.set_index("month").loc[SHIFTED]
    assert row["observed_rate"] > row["predicted_rate"]


def test_a_change_in_its_month_is_counted_as_a_change_not_a_gap() -> None:
    result = _run(_planted(_panel(10_000, 0, 1_500), "calibration", 0), 0.05)
    fr = monitoring_verdict(result, "fr")
    assert "la calibration à partir de 2026-06" in fr, fr
    assert "écart" not in fr and "premier mois" not in fr, fr


# ---------------------------------------------------------------------------------------------
# A gap from the first month: the model learnt a training month whose controls had a high rate
FIRST = "2025-07"  # the first month after the training month 2025-06


def _high_training_month(seed: int, *, planted: bool) -> MonitoringResult:
    """A model trained on one month (1,500 controls) and monitored over the 6 next; planted:
    the training month's overpayments drawn at doubled odds (a sample with a high rate), the
    months as they are."""
    panel = _panel(10_000, seed, 1_500)
    month, frame = panel[0]
    if planted:
        rng = np.random.default_rng(20_000 + seed)
        frame = frame.copy()
        rows = (frame["controlled"] == 1).to_numpy()
        p = expit(logit(frame["truth_probability"].to_numpy(dtype=float)[rows]) + np.log(2.0))
        target = frame["target"].to_numpy(dtype=float, copy=True)
        target[rows] = rng.random(p.size) < p
        frame["target"] = target
    rows = frame[frame["controlled"] == 1]
    model = ScorecardFamily().fit(
        rows, rows["target"].astype(int), sample_weight=rows["control_weight"]
    )
    return monitor(model, [(month, frame)], panel[1:7], share=0.05)


def _gap_found(seed: int) -> bool:
    result = _high_training_month(seed, planted=True)
    gaps = [(f.kind, f.first_month) for f in result.flags]
    verdict = monitoring_verdict(result, "fr")
    return ("calibration", FIRST) in gaps and verdict.startswith(
        "Verdict : aucun changement pendant les 6 mois surveillés, mais un écart avec la "
        f"référence dès le premier mois ({FIRST})"
    )


def _gap_quiet(seed: int) -> bool:
    result = _high_training_month(seed, planted=False)
    return not [f for f in result.flags if f.kind == "calibration"]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_gap_from_the_first_month_is_not_counted_as_a_change(seed: int) -> None:
    result = _high_training_month(seed, planted=True)
    assert _gap_found(seed), (monitoring_verdict(result, "fr"), result.findings)
    flag = next(f for f in result.flags if f.kind == "calibration")
    assert f"from the first month monitored, {FIRST}" in flag.sentence
    assert f"dès le premier mois surveillé, {FIRST}" in flag.in_words("fr")
    texts = [b.text for b in monitoring_document(result, lang="fr").sections[0].blocks]  # type: ignore[union-attr]
    note = next(t for t in texts if t.startswith("L'écart de calibration est là dès le premier"))
    assert "les 1\u202f500 contrôles aléatoires de la référence (1 mois)" in note, note


@pytest.mark.parametrize("seed", [0, 1])
def test_a_training_month_as_the_months_gives_no_calibration_gap(seed: int) -> None:
    assert _gap_quiet(seed), _high_training_month(seed, planted=False).findings


@pytest.mark.slow
def test_first_month_gap_over_seeds() -> None:
    found = [_gap_found(seed) for seed in range(10)]
    quiet = [_gap_quiet(seed) for seed in range(10)]
    assert sum(found) >= 9, found
    assert sum(quiet) >= 9, quiet


def test_a_move_below_the_floor_is_said_not_flagged() -> None:
    below, flagged_lower = _below_floor(0)
    assert below and flagged_lower
    result = _run(_planted(_panel(50_000, 0, 1_000), "floor", 0), 0.5)
    texts = [b.text for b in monitoring_document(result).sections[0].blocks]  # type: ignore[union-attr]
    note = next(t for t in texts if t.startswith("Beyond chance but below the floor of 2.0"))
    assert f"non-EU nationals in {SHIFTED}" in note


@pytest.mark.slow
def test_auc_over_seeds() -> None:
    found = [_auc_found(seed) for seed in range(10)]
    assert sum(found) >= 9, found


@pytest.mark.slow
def test_calibration_over_seeds() -> None:
    found = [_calibration_found(seed) for seed in range(10)]
    assert sum(found) >= 9, found


@pytest.mark.slow
def test_floor_over_seeds() -> None:
    results = [_below_floor(seed) for seed in range(10)]
    assert sum(b for b, _ in results) >= 9, results
    assert sum(f for _, f in results) >= 9, results
