"""What a counterfactual may change: every feature declared once, derived ones follow."""

from __future__ import annotations

from dmde.data.catalog import CATALOG, DEFAULT_POLICY
from dmde.documents.counterfactual import CHANGEABLE, DERIVED, FIXED_LEVELS, UNCHANGEABLE


def test_every_feature_is_declared_changeable_derived_or_not() -> None:
    declared = [*CHANGEABLE, *DERIVED, *UNCHANGEABLE]
    assert sorted(declared) == sorted(DEFAULT_POLICY.features)
    assert set(DERIVED.values()) <= set(CHANGEABLE)
    for name, levels in FIXED_LEVELS.items():
        assert name in CHANGEABLE and set(levels) <= set(CATALOG[name].levels)
