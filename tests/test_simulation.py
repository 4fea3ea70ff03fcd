"""The reinforcement-loop simulator (dmde.audit.simulation) and its report: mechanics on worlds
with a known answer, determinism, the policy protocol, the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dmde.audit.simulation import expected_auc, gini, monthly_budget, seed_interval, simulate
from dmde.audit.simulation_policies import (
    BUILTIN_POLICIES,
    Checks,
    MonthView,
    RandomPolicy,
    SimulationPolicy,
    top,
)
from dmde.audit.simulation_report import compare, limits, simulation_document, verdict
from dmde.cli import main
from dmde.core.errors import DmdeError

SMALL = {"n_rows": 4_000, "months": 8, "controls": 60, "budget_share": 0.3}


def _gain(result, metric: str, a: str, b: str) -> np.ndarray:
    """Per seed: mean over months of policy a minus policy b."""
    i, j = result.policies.index(a), result.policies.index(b)
    values = result.metrics[metric]
    return values[i].mean(axis=1) - values[j].mean(axis=1)


# ---------------------------------------------------------------------------------------------
# Worlds with a known answer
@pytest.fixture(scope="module")
def neutral() -> object:
    return simulate(
        ["retrain-on-selected", "with-history"],
        seeds=range(4),
        retrain_every=2,
        **SMALL,
    )


@pytest.fixture(scope="module")
def planted() -> object:
    return simulate(
        ["retrain-on-selected", "with-history"],
        seeds=range(4),
        retrain_every=2,
        history_effect=2.0,
        **SMALL,
    )


def test_history_cannot_improve_the_auc_on_the_truth_when_history_has_no_effect(neutral) -> None:
    gain = _gain(neutral, "auc_truth", "with-history", "retrain-on-selected")
    # The truth does not read the history: the features it adds can only fit noise.
    assert gain.mean() < 0.01 + 2 * gain.std(ddof=1) / np.sqrt(gain.size), gain


def test_a_planted_effect_of_history_is_found(planted) -> None:
    gain = _gain(planted, "auc_truth", "with-history", "retrain-on-selected")
    assert (gain > 0.01).all(), gain


def test_random_only_finds_the_base_rate() -> None:
    result = simulate(["random-only"], seeds=[3], cooldown=24, **{**SMALL, "months": 10})
    checks = result.metrics["checks"][0, 0]
    hits = result.metrics["hits"][0, 0].sum()
    rate = hits / checks.sum()
    base = float((result.metrics["base_rate"][0, 0] * checks).sum() / checks.sum())
    se = np.sqrt(base * (1 - base) / checks.sum())
    assert abs(rate - base) < 3 * se, (rate, base, se)
    assert np.isnan(result.metrics["auc_truth"]).all()  # no score


def test_the_same_seed_gives_the_same_figures_and_another_seed_others() -> None:
    args = {"policies": ["dmde", "with-history"], **SMALL, "months": 4}
    a = simulate(seeds=[1], **args)
    b = simulate(seeds=[1], **args)
    c = simulate(seeds=[2], **args)
    for key in a.metrics:
        np.testing.assert_array_equal(a.metrics[key], b.metrics[key])
    np.testing.assert_array_equal(a.composition, b.composition)
    assert not np.array_equal(a.metrics["hits"], c.metrics["hits"])


def test_seeds_run_beside_each_other_give_the_figures_of_each_seed_alone() -> None:
    args = {"policies": ["random-only", "dmde"], **SMALL, "months": 3}
    together = simulate(seeds=[4, 5, 6], **args)  # one seed in a forked child
    for k, seed in enumerate((4, 5, 6)):
        alone = simulate(seeds=[seed], **args)
        for key in alone.metrics:
            np.testing.assert_array_equal(together.metrics[key][:, k], alone.metrics[key][:, 0])


def test_the_policies_share_the_world_of_a_seed() -> None:
    result = simulate(["random-only", "dmde"], seeds=[0], **{**SMALL, "months": 3})
    np.testing.assert_array_equal(result.metrics["files"][0], result.metrics["files"][1])
    np.testing.assert_array_equal(result.metrics["base_rate"][0], result.metrics["base_rate"][1])
    files = result.metrics["files"][0, 0].astype(int)
    expected = [monthly_budget(n, 0.3) for n in files]
    np.testing.assert_array_equal(result.metrics["checks"][1, 0], expected)


def test_checks_never_exceed_the_budget_and_the_cooldown_holds() -> None:
    result = simulate(list(BUILTIN_POLICIES), seeds=[0], **{**SMALL, "months": 14})
    budget = np.floor(result.metrics["files"] * 0.3 / 12)
    assert (result.metrics["checks"] <= budget).all()
    # with a 12-month cooldown no file is checked twice by the score within 12 months
    assert (result.metrics["checked_2"][:, :, :12] == 0).all()


# ---------------------------------------------------------------------------------------------
# A policy of one's own
class _Oldest:
    """Checks the files with the smallest dossier_id among those eligible."""

    name = "oldest-files"

    def __init__(self) -> None:
        self.learned: list[str] = []

    def select(self, month: MonthView, *, budget: int, rng: np.random.Generator) -> np.ndarray:
        pool = np.flatnonzero(month.eligible)
        return pool[np.argsort(month.dossier_id[pool], kind="stable")[:budget]]

    def learn(self, month: MonthView, checks: Checks) -> None:
        self.learned.append(checks.source)


def test_a_policy_of_ones_own_runs_through_the_protocol() -> None:
    policy = _Oldest()
    assert isinstance(policy, SimulationPolicy)
    result = simulate([policy, "random-only"], seeds=[0], **{**SMALL, "months": 2})
    assert result.policies == ("oldest-files", "random-only")
    assert policy.learned[:3] == ["initial", "score", "survey"]
    assert np.isnan(result.metrics["auc_truth"][0]).all()


class _Greedy(_Oldest):
    name = "greedy"

    def select(self, month: MonthView, *, budget: int, rng: np.random.Generator) -> np.ndarray:
        return np.arange(budget + 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"policies": ["nope"]}, "unknown policy 'nope'"),
        ({"policies": [_Greedy()]}, "policy 'greedy' selected"),
        ({"policies": ["dmde", "dmde"]}, "distinct names"),
        ({"budget_share": 0.0}, "budget_share must be"),
        ({"months": 0}, "months must be"),
        ({"n_rows": 10}, "rows must be"),
        ({"cooldown": 30}, "cooldown must be"),
        ({"seeds": []}, "at least one seed"),
    ],
    ids=["unknown", "over-budget", "twice", "share", "months", "rows", "cooldown", "seeds"],
)
def test_bad_arguments_are_refused(kwargs: dict, match: str) -> None:
    args = {"policies": ["dmde"], "n_rows": 2_000, "months": 2, "seeds": [0], "controls": 20}
    with pytest.raises(DmdeError, match=match):
        simulate(**{**args, **kwargs})


# ---------------------------------------------------------------------------------------------
# Pieces
@pytest.mark.parametrize(
    ("score", "probability", "expected"),
    [
        ([1.0, 2.0, 3.0], [0.0, 0.0, 1.0], 1.0),
        ([3.0, 2.0, 1.0], [0.0, 0.0, 1.0], 0.0),
        ([1.0, 1.0], [0.3, 0.6], 0.5),
    ],
    ids=["perfect", "reversed", "tied"],
)
def test_expected_auc(score: list, probability: list, expected: float) -> None:
    assert expected_auc(np.array(score), np.array(probability)) == pytest.approx(expected)


def test_expected_auc_is_the_mean_auc_of_drawn_outcomes() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.5, 400)
    score = p + rng.normal(0, 0.1, 400)
    from sklearn.metrics import roc_auc_score

    drawn = [roc_auc_score(rng.random(400) < p, score) for _ in range(400)]
    assert expected_auc(score, p) == pytest.approx(np.mean(drawn), abs=0.005)


def test_gini_and_top() -> None:
    assert gini(np.array([2, 2, 2])) == 0.0
    assert np.isnan(gini(np.array([], dtype=int)))
    chosen = top(np.array([1.0, 5.0, 5.0, 3.0]), np.array([10, 11, 12, 13]), 2, seed=0)
    assert sorted(chosen.tolist()) == [1, 2]
    assert top(np.array([1.0]), np.array([1]), 0, seed=0).size == 0


# ---------------------------------------------------------------------------------------------
# The report and the command line
def test_the_report_opens_with_the_verdict_and_says_it_is_a_simulation(neutral) -> None:
    points = verdict(neutral)
    assert any("simulation" in p for p in points)
    assert any("outside the policy" in p for p in points)
    doc = simulation_document(neutral)
    assert doc.sections[0].id == "verdict"
    assert {"assumptions", "over-time", "who"} <= {s.id for s in doc.sections}


def test_cli_simulate_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim.html"
    argv = ["simulate", "--rows", "3000", "--months", "3", "--seeds", "2", "--controls", "30"]
    code = main([*argv, "--policy", "dmde", "--policy", "with-history", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "a simulation on synthetic data" in printed
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["data"]["policies"] == ["dmde", "with-history"]
    assert out.with_suffix(".md").exists()


def test_cli_simulate_refuses_an_unknown_policy(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--policy", "nope", "--out", "x.html"])
    assert exc.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["sim.pdf", "sim"], ids=["pdf", "none"])
def test_cli_simulate_refuses_an_out_of_another_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    argv = ["simulate", "--months", "3", "--rows", "2000", "--seeds", "1"]
    assert main([*argv, "--out", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and ".html, .md, .json" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # refused before simulating: nothing written


# ---------------------------------------------------------------------------------------------
# What the report may say: intervals, comparisons, void settings
def test_share_intervals_stay_within_0_and_1_with_two_seeds() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = rng.integers(5, 400, size=(3, 2))
        k = rng.binomial(n, rng.uniform(0.0, 1.0, size=(3, 2)))
        out = seed_interval(k / n, bounded=True, counts=(k.sum(axis=1), n.sum(axis=1)))
        assert ((out >= 0) & (out <= 1)).all(), out
        assert ((out[:, 1] <= out[:, 0]) & (out[:, 0] <= out[:, 2])).all(), out


def test_a_simulation_never_reports_a_share_outside_0_and_1(neutral) -> None:
    for metric in ("hit_rate", "repeat_share", "auc_truth"):
        out = neutral.summary(metric)
        assert ((out >= 0) & (out <= 1)).all(), (metric, out)


def test_one_seed_gives_no_zero_width_interval() -> None:
    result = simulate(["random-only", "dmde"], seeds=[0], **{**SMALL, "months": 3})
    hit = result.summary("hit_rate")
    assert (hit[:, 1] < hit[:, 2]).all()  # the binomial interval of the seed's checks
    assert np.isnan(result.summary("auc_truth")[:, 1:]).all()  # none across panels
    assert np.isnan(result.difference("hit_rate", 1, 0)[1:]).all()
    points = verdict(result)
    assert points[0].startswith("One seed: no interval across panels")
    assert "[no interval]" in " ".join(points)
    assert not any(f"[{v}, {v}]" in p for p in points for v in ("0.0%", "100.0%"))


def _draws(effect: float, sd: float, seeds: int, rng: np.random.Generator) -> np.ndarray:
    return seed_interval(rng.normal(effect, sd, size=(1, seeds)), within=(-1.0, 1.0))[0]


@pytest.mark.parametrize(
    ("effect", "sd", "seeds", "expected"),
    [
        (0.05, 0.01, 5, "higher"),
        (-0.05, 0.01, 5, "lower"),
        (0.0, 0.003, 5, "no difference"),
        (0.0, 0.05, 2, "cannot tell with 2 seeds"),
        (0.05, 0.05, 2, "cannot tell with 2 seeds"),
    ],
    ids=["planted-up", "planted-down", "none", "none-wide", "planted-wide"],
)
def test_compare_finds_a_planted_difference_and_is_quiet_where_there_is_none(
    effect: float, sd: float, seeds: int, expected: str
) -> None:
    rng = np.random.default_rng(11)
    said = [compare(_draws(effect, sd, seeds, rng), margin=0.02, n_seeds=seeds) for _ in range(200)]
    assert said.count(expected) >= 180, {w: said.count(w) for w in set(said)}
    if effect == 0.0:  # a difference where there is none: at most the test's 5%
        assert sum(w in ("higher", "lower") for w in said) <= 15


class _Random2(RandomPolicy):
    name = "random-again"


def test_the_verdict_names_dmdes_gain_over_random_and_no_difference_between_two_draws() -> None:
    result = simulate(
        ["random-only", "dmde", lambda seed: _Random2()],
        seeds=range(4),
        **{**SMALL, "budget_share": 0.6, "months": 6},
    )
    points = verdict(result)
    today = next(p for p in points if p.startswith("Today's design"))
    assert today.endswith("clearly higher."), today
    again = next(p for p in points if p.startswith("random-again against dmde"))
    assert "clearly lower" in again  # its hit rate, against dmde's
    d = result.difference("hit_rate", 2, 0)
    assert compare(d, margin=0.02, n_seeds=4) in ("no difference", "cannot tell with 4 seeds")


def test_the_first_screen_reads_today_against_the_baseline_then_the_alternatives() -> None:
    result = simulate(list(BUILTIN_POLICIES), seeds=range(2), retrain_every=2, **SMALL)
    points = verdict(result)
    assert points[0].startswith("Only 2 seeds")
    first = [p.split(":")[0].split(" against")[0] for p in points]
    today = first.index("Today's design")
    who = first.index("Who bears dmde's checks")
    alternatives = [first.index(a) for a in ("retrain-on-selected", "with-history")]
    assert today < who < min(alternatives), first
    assert "pp [" in points[today] and "%]" not in points[today].split("difference")[1]
    assert "by design" in points[who] and "of the true overpayments" in points[who]


def test_settings_where_policies_cannot_differ_are_said_void() -> None:
    result = simulate(
        ["dmde", "retrain-on-selected"], seeds=range(2), retrain_every=12, **SMALL
    )  # 8 months: no retraining, and the 12-month cooldown allows one check on the score
    for key in result.metrics:  # retrain-on-selected is dmde by construction
        np.testing.assert_array_equal(result.metrics[key][0], result.metrics[key][1])
    said = limits(result)
    assert any("no retraining happened within the 8 months" in p for p in said)
    assert any("forbids a second check on the score" in p for p in said)
    assert "no comparison" in " ".join(verdict(result))
    later = simulate(
        ["dmde", "retrain-on-selected"], seeds=range(5), retrain_every=2, cooldown=2, **SMALL
    )
    assert limits(later) == []


def test_the_gini_of_checks_is_zero_when_each_is_checked_once_and_grows_with_repeats() -> None:
    assert gini(np.array([1, 1, 1])) == 0.0
    assert gini(np.array([1, 1, 4])) > 0.2
    # without a cooldown dmde's score comes back to the same files month after month
    result = simulate(["random-only", "dmde"], seeds=[0], cooldown=0, **SMALL)
    last = result.metrics["gini"][:, 0, -1]
    assert last[1] > last[0] + 0.05, last


def test_who_bears_dmdes_checks_names_the_largest_gap_with_its_interval() -> None:
    result = simulate(["random-only", "dmde"], seeds=range(4), **SMALL)
    point = next(p for p in verdict(result) if p.startswith("Who bears dmde's checks"))
    # the group named is the one whose share of dmde's checks departs most from its share of
    # the true overpayments (composition summed over the months, mean over the seeds)
    comp = result.composition[1].sum(axis=1)  # seeds x levels x (checks, fruitless, truth)
    gaps = []
    for attribute in {a for a, _ in result.levels}:
        rows = [k for k, (a, _) in enumerate(result.levels) if a == attribute]
        c = comp[:, rows, 0] / comp[:, rows, 0].sum(axis=1, keepdims=True)
        t = comp[:, rows, 2] / comp[:, rows, 2].sum(axis=1, keepdims=True)
        gaps += [(abs((c - t)[:, j].mean()), rows[j]) for j in range(len(rows))]
    size, k = max(gaps)
    attribute, level = result.levels[k]
    from dmde.audit.targeting import GROUP_ATTRIBUTES

    assert GROUP_ATTRIBUTES[attribute].level_label(level) in point
    assert f"{100 * size:.1f} pp" in point and "clearly" in point, point
