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

from dmde.audit.bootstrap import text_codes
from dmde.audit.forked import in_child
from dmde.audit.metrics import GroupAudit
from dmde.audit.profiles import _BASE, ARCHETYPES, _frame, profile_changes, score_profiles
from dmde.audit.proxies import exclusion_proof, feature_association, proxy_strength, score_gaps
from dmde.audit.settings import AuditError
from dmde.core.errors import DmdeError
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, EXCLUDED_FAMILIES, columns_of
from dmde.model.periods import PeriodScorecards
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["model_identity", "model_parts", "start_model_parts"]

Model = Scorecard | ScorecardFamily | PeriodScorecards


def _points_tables(model: Model) -> pd.DataFrame:
    if isinstance(model, PeriodScorecards):
        return model.points_table().rename(columns={"period": "segment"})
    if isinstance(model, ScorecardFamily):
        return model.points_table()
    table = model.points_table()
    table.insert(0, "segment", "all")
    return table


def model_identity(model: Model, *, months: Any = ()) -> dict[str, Any]:
    """What the report says the audited model is: hash, policy, features, excluded, points.

    A model by period is of kind ``"periods"``: its routing says how it scored the audited
    files (``months``: theirs, when it is not fixed to one month) and on which bins the
    proxies were measured.
    """
    card = model if isinstance(model, Scorecard) else next(iter(model.models_.values()))
    policy = card.policy or DEFAULT_POLICY
    if isinstance(model, PeriodScorecards):
        kind, routing = "periods", _periods_routing(model, months)
    elif isinstance(model, ScorecardFamily):
        kind, routing = "family", model.segment_column
    else:
        kind, routing = "scorecard", None
    return {
        "sha256": getattr(model, "model_sha256_", None),
        "kind": kind,
        "routing": routing,
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
    by_row_month = isinstance(model, PeriodScorecards) and model.month is None
    if by_row_month and model.month_column not in frame.columns:
        raise AuditError(
            f"the model by period scores each file as of its {model.month_column}, which "
            "the audited table lacks: read it with the population (or audit the model as "
            "of one month: model.as_of('YYYY-MM'))."
        )
    if missing:
        raise AuditError(
            f"the model reads {', '.join(missing)}, which the table lacks: pass the population "
            "file the scores came from (or audit without the model)."
        )
    if isinstance(model, PeriodScorecards):
        return _start_period_parts(model, frame, groups, seed=seed, rows=rows)
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


# ---------------------------------------------------------------------------------------------
# A model by period (dmde.model.periods): each file's points are the month-weighted points of
# the two period scorecards, so the parts read those points and both scorecards' bins.
def _months(model: PeriodScorecards, frame: pd.DataFrame) -> list[str]:
    """The months the files were scored as of, in time order."""
    if model.month is not None:
        return [model.month]
    return sorted({str(m) for m in frame[model.month_column].dropna().unique()})


def _periods_routing(model: PeriodScorecards, months: Any) -> str:
    windows = "; ".join(f"{m}: {model.weights(m).label}" for m in months)
    return (
        f"{model.month_column}: two scorecards by period (before and after income pre-filling "
        f"from {model.reform_month}), each file's points the average of both weighted by their "
        f"months in its {model.window_months}-month window ({windows or 'no month'}); proxies "
        "and associations on the bins of both scorecards; profiles as of "
        f"{months[-1] if len(months) else 'no month'}"
    )


def _start_period_parts(
    model: PeriodScorecards, frame: pd.DataFrame, groups: pd.DataFrame, *, seed: int, rows: int
) -> Callable[[GroupAudit], dict[str, Any]]:
    """:func:`start_model_parts` of a model by period (computed when called, in this process)."""
    months = _months(model, frame)
    features = list(model.features_)
    rng = np.random.default_rng([seed, 7])
    take = np.sort(rng.choice(len(frame), size=min(rows, len(frame)), replace=False))
    part = frame.iloc[take].reset_index(drop=True)
    part_groups = groups.iloc[take].reset_index(drop=True)
    read = [*features, model.month_column] if model.month is None else features

    def finish(groups_audit: GroupAudit) -> dict[str, Any]:
        cut = _period_bins(model, part)
        fixed = model.as_of(months[-1]) if months else model
        profiles, changes = _period_profiles(fixed)
        return {
            "model": model_identity(model, months=months),
            "proxies": proxy_strength(model, cut, part_groups, features=features, seed=seed),
            "associations": feature_association(model, cut, part_groups, features=features),
            "gaps": _period_gaps(model, frame, groups, groups_audit.method["reference"]),
            "exclusion": exclusion_proof(model, part, features=read, seed=seed),
            "profiles": profiles,
            "changes": changes,
        }

    return finish


def _period_bins(model: PeriodScorecards, frame: pd.DataFrame) -> pd.DataFrame:
    """Each feature's bin as the model sees it: the pair of its bins in the two scorecards
    (as text, ``"before bin/after bin"``; ``-`` where a scorecard does not read it)."""
    out = {}
    indices = {
        p: dict(
            zip(
                card.features_,
                card.binning_.bin_indices(frame[list(card.features_)]).T,
                strict=True,
            )
        )
        for p, card in model.models_.items()
    }
    for feature in model.features_:
        parts = [
            indices[p][feature].astype(str) if feature in indices[p] else np.full(len(frame), "-")
            for p in model.periods_
        ]
        out[feature] = pd.Categorical(np.char.add(np.char.add(parts[0], "/"), parts[1]))
    return pd.DataFrame(out)


def _period_gaps(
    model: PeriodScorecards, frame: pd.DataFrame, groups: pd.DataFrame, reference: Any
) -> pd.DataFrame:
    """:func:`~dmde.audit.proxies.score_gaps` on the points that scored each file: its
    month-weighted starting points and feature points, which add up to its score."""
    names = list(model.features_)
    read = [*names, model.month_column] if model.month is None else names
    starting, items = model.weighted_points({c: frame[c] for c in read}, len(frame))
    points = np.column_stack([starting, items])
    labels = ["intercept", *(CATALOG[f].label for f in names)]
    parts: list[pd.DataFrame] = []
    for attribute in groups.columns:
        codes, texts = text_codes(groups[attribute].astype(str))
        ref = str(reference[attribute])
        count = np.bincount(codes, minlength=len(texts))
        r = texts.index(ref) if ref in texts else -1
        if r < 0 or count[r] == 0:
            raise DmdeError(f"reference group {ref!r} of {attribute!r} has no rows.")
        means = np.column_stack(
            [
                np.bincount(codes, weights=points[:, j], minlength=len(texts))
                for j in range(points.shape[1])
            ]
        )
        for group in sorted(texts[k] for k in np.flatnonzero(count) if k != r):
            k = texts.index(group)
            mean_group, mean_ref = means[k] / count[k], means[r] / count[r]
            parts.append(
                pd.DataFrame(
                    {
                        "attribute": attribute,
                        "group": group,
                        "reference": ref,
                        "n": int(count[k]),
                        "term": ["intercept", *names],
                        "label": labels,
                        "mean_points_group": mean_group,
                        "mean_points_reference": mean_ref,
                        "gap": mean_group - mean_ref,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _period_profiles(model: PeriodScorecards) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The archetype households scored by the model as of one month, in points, and one item
    changed at a time (as :func:`~dmde.audit.profiles.score_profiles` and
    :func:`~dmde.audit.profiles.profile_changes` do for a scorecard)."""
    features = list(model.features_)
    profiles = score_profiles(model, features=features)
    households = _frame([{**_BASE, **values} for _, values in ARCHETYPES.values()])
    profiles.insert(2, "score", model.points(households))
    changes = profile_changes(model, features=features)
    changed = _frame(
        [
            {**_BASE, **ARCHETYPES[str(a)][1], str(c): v}
            for a, c, v in zip(
                changes["archetype"], changes["column"], changes["value_after"], strict=True
            )
        ]
    )
    before = changes["archetype"].map(profiles.set_index("archetype")["score"]).to_numpy()
    after = model.points(changed)
    out = changes[["archetype", "column", "label", "value_before", "value_after"]].copy()
    out["score_before"], out["score_after"] = before, after
    out["delta"] = after - before
    return profiles, out
