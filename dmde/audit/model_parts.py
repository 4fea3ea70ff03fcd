"""The parts of the audit that need the model: its identity, proxies, score gaps, profiles.

With the model that scored (loaded from its file, so that its hash is known), the audit adds
what the model is (:func:`model_identity`), how much of each group attribute its features carry
(on a seeded sample of rows), the split of each group's mean-score gap into the points of each
feature, the proof that excluded columns do not move the scores, and archetype profiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.metrics import GroupAudit
from dmde.audit.profiles import profile_changes, score_profiles
from dmde.audit.proxies import exclusion_proof, feature_association, proxy_strength, score_gaps
from dmde.audit.settings import AuditError
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, EXCLUDED_FAMILIES, columns_of
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["model_identity", "model_parts"]

Model = Scorecard | ScorecardFamily


def _points_tables(model: Model) -> pd.DataFrame:
    if isinstance(model, ScorecardFamily):
        return model.points_table()
    table = model.points_table()
    table.insert(0, "segment", "all")
    return table


def model_identity(model: Model) -> dict[str, Any]:
    """What the report says the audited model is: hash, policy, features, excluded, points."""
    card = next(iter(model.models_.values())) if isinstance(model, ScorecardFamily) else model
    policy = card.policy or DEFAULT_POLICY
    return {
        "sha256": getattr(model, "model_sha256_", None),
        "kind": "family" if isinstance(model, ScorecardFamily) else "scorecard",
        "routing": model.segment_column if isinstance(model, ScorecardFamily) else None,
        "policy": policy.name,
        "features": [{"column": f, "label": CATALOG[f].label} for f in model.features_],
        "excluded": [
            {
                "family": family.value,
                "columns": list(columns_of(family)),
                "reason": reason,
            }
            for family, reason in EXCLUDED_FAMILIES.items()
        ],
        "points": _points_tables(model),
    }


def model_parts(
    model: Model,
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    groups_audit: GroupAudit,
    *,
    seed: int,
    rows: int,
) -> dict[str, Any]:
    """The audit's parts that need the model: identity, proxies, gaps, exclusion, profiles."""
    missing = [c for c in model.features_ if c not in frame.columns]
    if isinstance(model, ScorecardFamily) and model.segment_column not in frame.columns:
        missing.append(model.segment_column)
    if missing:
        raise AuditError(
            f"the model reads {', '.join(missing)}, which the table lacks: pass the population "
            "file the scores came from (or audit without the model)."
        )
    rng = np.random.default_rng([seed, 7])
    take = np.sort(rng.choice(len(frame), size=min(rows, len(frame)), replace=False))
    part = frame.iloc[take].reset_index(drop=True)
    part_groups = groups.iloc[take].reset_index(drop=True)
    references = groups_audit.method["reference"]
    return {
        "model": model_identity(model),
        "proxies": proxy_strength(model, part, part_groups, seed=seed),
        "associations": feature_association(model, part, part_groups),
        "gaps": score_gaps(model, frame, groups, reference=references),
        "exclusion": exclusion_proof(model, part, seed=seed),
        "profiles": score_profiles(model),
        "changes": profile_changes(model),
    }
