"""Interaction tests of intersections: planted interaction found, none where none, no row lost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmde.audit.interactions import EXPECTED, interaction_tests
from dmde.audit.metrics import flag_disparities


def _table(seed: int, boost: float, rows: int = 60_000) -> tuple[pd.DataFrame, np.ndarray]:
    """Selection with two main effects; the cell ``y × v`` multiplied by ``boost``.

    In a small table the main-effects fit absorbs part of an interaction (it spreads over the
    cells of the row and column), so the observed/expected ratio of the planted cell is below
    ``boost``; a 4 × 3 table keeps most of it.
    """
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame(
        {"a": rng.choice(["w", "x", "y", "z"], rows), "b": rng.choice(["t", "u", "v"], rows)}
    )
    rate = 0.04 * np.where(groups["a"] == "x", 2.0, 1.0) * np.where(groups["b"] == "u", 1.5, 1.0)
    rate = rate * np.where((groups["a"] == "y") & (groups["b"] == "v"), boost, 1.0)
    return groups, rng.random(rows) < rate


@pytest.mark.parametrize(
    ("boost", "least", "most"), [(2.0, 19, 20), (1.0, 0, 1)], ids=["planted", "none"]
)
def test_a_planted_interaction_is_found_and_only_then(boost: float, least: int, most: int) -> None:
    found = 0
    for seed in range(20):
        groups, selected = _table(seed, boost)
        rows = flag_disparities(interaction_tests(groups, selected=selected))
        found += (
            bool(rows["flagged"].any())
            if boost == 1.0
            else bool(rows.loc[rows["group"] == "y × v", "flagged"].item())
        )
    assert least <= found <= most


def test_missing_values_are_a_group_not_dropped() -> None:
    groups, selected = _table(0, 1.0, rows=2_000)
    groups.loc[:99, "a"] = None
    rows = interaction_tests(groups, selected=selected, min_cell=1)
    assert set(rows["reference"]) == {EXPECTED}
    assert any(g.startswith("(missing) × ") for g in rows["group"])


@pytest.mark.parametrize("seed", range(5))
def test_unit_weights_give_the_weighted_sums_exactly(seed: int) -> None:
    """Without weights the sums are counted, not added: the same table to the last bit."""
    rng = np.random.default_rng(seed)
    n = 20_000
    groups = pd.DataFrame(
        {
            "a": rng.choice(["x", "y", "z"], n),
            "b": rng.choice(["u", "v"], n, p=[0.9, 0.1]),
            "c": pd.Categorical(rng.choice(["p", "q", "r", "s"], n), ["s", "r", "q", "p"]),
        }
    )
    selected = rng.random(n) < 0.08
    counted = interaction_tests(groups, selected=selected, min_cell=20)
    added = interaction_tests(groups, selected=selected, weight=np.ones(n), min_cell=20)
    pd.testing.assert_frame_equal(counted, added, check_exact=True)
