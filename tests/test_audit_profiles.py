"""Archetype households and one-at-a-time changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmde.audit.profiles import ARCHETYPES, CHANGES, profile_changes, score_profiles
from dmde.core.errors import DmdeError
from dmde.data.synthetic import synthesize
from dmde.model.scorecard import ScorecardFamily


@pytest.fixture(scope="module")
def model() -> ScorecardFamily:
    df = synthesize(20_000, seed=51, controls=5_000)
    checked = df[df["controlled"] == 1]
    return ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])


def test_every_archetype_is_scored(model: ScorecardFamily) -> None:
    profiles = score_profiles(model)
    assert list(profiles["archetype"]) == list(ARCHETYPES)
    assert profiles["probability"].between(0, 1).all()
    np.testing.assert_allclose(
        profiles["probability"],
        model.models_["prefilled"].scaling_.probability(profiles["score"]),
    )


def test_one_change_at_a_time(model: ScorecardFamily) -> None:
    changes = profile_changes(model)
    assert set(changes["column"]) == set(CHANGES)
    assert (changes["value_before"] != changes["value_after"]).all()
    # each line changes exactly one column: its delta is that feature's points difference
    line = changes[
        (changes["archetype"] == "child_over_19") & (changes["column"] == "child_over_19")
    ].iloc[0]
    card = model.models_["prefilled"]
    j = card.features_.index("child_over_19")
    binning = card.binning_.bins_[j]
    points = card.bin_points_[j]
    expected = points[binning.assign([0])[0]] - points[binning.assign([1])[0]]
    assert line["delta"] == pytest.approx(expected, abs=0.011)
    switch = changes[changes["column"] == "income_reporting"]
    assert (switch["value_after"] == "declarative").all()


def test_unknown_change_is_refused(model: ScorecardFamily) -> None:
    with pytest.raises(DmdeError, match="cannot change 'gender'"):
        profile_changes(model, changes={"gender": ["male"]})


def test_profiles_frame_has_no_excluded_column(model: ScorecardFamily) -> None:
    changes = profile_changes(model)
    assert not {"gender", "age", "nationality_group"} & set(changes["column"])
    assert isinstance(changes, pd.DataFrame)
