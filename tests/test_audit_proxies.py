"""Proxies of excluded attributes, the score-gap decomposition and the exclusion proof."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.audit.proxies import exclusion_proof, feature_association, proxy_strength, score_gap
from dmde.core.errors import DmdeError
from dmde.model.scorecard import ScorecardFamily


@pytest.fixture(scope="module")
def model(family: ScorecardFamily) -> ScorecardFamily:
    # The shared world of conftest.py (20,000 households, seed 41).
    return family


def test_the_features_carry_gender_but_not_a_random_attribute(
    population: pd.DataFrame, model: ScorecardFamily
) -> None:
    rng = np.random.default_rng(3)
    groups = pd.DataFrame(
        {
            "gender": population["gender"],
            "coin": rng.choice(["heads", "tails"], size=len(population)),
        }
    )
    strength = proxy_strength(model, population, groups, cv=3, seed=1)
    female = strength[(strength["attribute"] == "gender") & (strength["group"] == "female")]
    assert female["auc"].iloc[0] > 0.6 and female["ci_low"].iloc[0] > 0.55
    coin = strength[strength["attribute"] == "coin"]
    assert ((coin["ci_low"] < 0.5) & (coin["ci_high"] > 0.5)).all()
    assert (strength["ci_low"] <= strength["auc"]).all()


def test_small_groups_are_suppressed(population: pd.DataFrame, model: ScorecardFamily) -> None:
    groups = pd.DataFrame({"rare": np.where(np.arange(len(population)) < 10, "few", "many")})
    strength = proxy_strength(model, population, groups, cv=3, min_cell=30)
    few = strength[strength["group"] == "few"].iloc[0]
    assert bool(few["suppressed"]) and np.isnan(few["auc"])


def test_household_type_carries_gender(population: pd.DataFrame, model: ScorecardFamily) -> None:
    table = feature_association(model, population, population[["gender"]])
    assert set(table["feature"]) == set(model.features_)
    top = table[table["attribute"] == "gender"]["feature"].head(3).tolist()
    assert "household_type" in top or "activity_partner" in top
    assert table["cramers_v"].between(0, 1).all()


def test_score_gap_adds_up_exactly(population: pd.DataFrame, model: ScorecardFamily) -> None:
    gap = score_gap(model, population, population["nationality_group"], a="non_eu", b="french")
    points = model.points(population)
    group = population["nationality_group"].astype(str).to_numpy()
    expected = points[group == "non_eu"].mean() - points[group == "french"].mean()
    # the score is rounded to 2 decimals, the points are not re-rounded: within 0.005
    assert gap["gap"].sum() == pytest.approx(expected, abs=0.005)
    assert list(gap["term"]) == ["intercept", *model.features_]


def test_score_gap_needs_both_groups(population: pd.DataFrame, model: ScorecardFamily) -> None:
    with pytest.raises(DmdeError, match="group 'martian' has no rows"):
        score_gap(model, population, population["nationality_group"], a="martian", b="french")


def test_exclusion_proof(population: pd.DataFrame, model: ScorecardFamily) -> None:
    proof = exclusion_proof(model, population, seed=2)
    assert proof["identical"] is True
    assert {"gender", "age", "web_logins_12m", "n_controls_24m", "commune_code"} <= set(
        proof["columns_permuted"]
    )
    assert "income_reporting" not in proof["columns_permuted"]


def test_exclusion_proof_can_fail(
    population: pd.DataFrame, model: ScorecardFamily, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model that peeks at an excluded column is caught."""
    honest = model.points

    def leaky(frame: pd.DataFrame) -> Any:
        return honest(frame) + (frame["age"].to_numpy() < 25)

    monkeypatch.setattr(model, "points", leaky)
    assert exclusion_proof(model, population, seed=2)["identical"] is False


def test_groups_must_align(population: pd.DataFrame, model: ScorecardFamily) -> None:
    with pytest.raises(DmdeError, match="groups has 3 rows for 20000 rows"):
        proxy_strength(model, population, population[["gender"]].head(3))
