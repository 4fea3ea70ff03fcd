"""The parts of the audit that need the model: its identity, proxies, score gaps, profiles.

With the model that scored (loaded from its file, so that its hash is known), the audit adds
what the model is (:func:`model_identity`), how much of each group attribute its features carry
(on a seeded sample of rows), the split of each group's mean-score gap into the points of each
feature, the proof that excluded columns do not move the scores, and archetype profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.forked import in_child
from dmde.audit.metrics import GroupAudit
from dmde.audit.profiles import profile_changes, score_profiles
from dmde.audit.proxies import exclusion_proof, feature_association, proxy_strength, score_gaps
from dmde.audit.settings import AuditError
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, EXCLUDED_FAMILIES, columns_of
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["model_identity", "model_parts", "start_model_parts"]

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
    return start_model_parts(model, frame, groups, seed=seed, rows=rows)(groups_audit)


#: Rows from which the parts measured on the sample run in a child process, beside the group
#: audit (below, a fork costs more than it saves).
BACKGROUND_ROWS = 200_000


def start_model_parts(
    model: Model, frame: pd.DataFrame, groups: pd.DataFrame, *, seed: int, rows: int
) -> Callable[[GroupAudit], dict[str, Any]]:
    """Start :func:`model_parts`; the function returned completes them with the group audit.

    The parts measured on the seeded sample of ``rows`` rows (proxies, feature association, the
    exclusion proof: about 2 s at 20,000 rows) need nothing from the group audit. On a machine
    with two cores or more, from :data:`BACKGROUND_ROWS` rows, they are computed in a forked
    child process (:func:`dmde.audit.forked.in_child`) while the caller runs the group audit,
    and read back when it is done: the same computation on the same data, so the same numbers.
    The score gaps (every row) are computed by the caller, after the group audit, while the
    child finishes: with them the child would take longer than the group audit. Elsewhere (one
    core, no ``fork``, a small table) everything is computed when the function returned is
    called, as before.
    """
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

    def on_sample() -> dict[str, Any]:
        return {
            "proxies": proxy_strength(model, part, part_groups, seed=seed),
            "associations": feature_association(model, part, part_groups),
            "exclusion": exclusion_proof(model, part, seed=seed),
        }

    sample = in_child(on_sample) if len(frame) >= BACKGROUND_ROWS else on_sample

    def finish(groups_audit: GroupAudit) -> dict[str, Any]:
        references = groups_audit.method["reference"]
        gaps = score_gaps(model, frame, groups, reference=references)
        measured = sample()
        return {
            "model": model_identity(model),
            "proxies": measured["proxies"],
            "associations": measured["associations"],
            "gaps": gaps,
            "exclusion": measured["exclusion"],
            "profiles": score_profiles(model),
            "changes": profile_changes(model),
        }

    return finish
