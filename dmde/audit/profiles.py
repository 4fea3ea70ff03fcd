"""Profiles: archetype households scored, and what one change at a time does to their score.

The ethics committee can read the model through a few households it can picture: a lone parent
with two children, a household with a child over 19, an AAH recipient who works... Each is
scored with the model under audit, then one item of its situation is changed at a time, the
others kept, and the change in score is reported. Only one column changes per line, literally
(changing the income does not change ``zero_income``): this shows the model's arithmetic, not a
realistic change of situation.

Any fitted scikit-learn classifier with ``predict_proba`` can be profiled too, given its
``features`` (by default its ``feature_names_in_``, which must be columns of the profiles): it
has no points, so its profiles give its probability, and the changes move its probability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from dmde.audit.classifiers import classifier_features, is_dmde_model, probabilities
from dmde.audit.settings import AuditError
from dmde.core.errors import DmdeError
from dmde.data.catalog import CATALOG

__all__ = ["ARCHETYPES", "CHANGES", "profile_changes", "score_profiles"]

_BASE: dict[str, Any] = {
    "dossier_id": 1,
    "caf_code": "75",
    "income_reporting": "prefilled",
    "household_type": "single",
    "n_children": 0,
    "child_over_19": 0,
    "children_activity": "no_children",
    "guardianship": 0,
    "separation_12m": 0,
    "income_to_smic": 1.0,
    "zero_income": 0,
    "income_volatility": 0.1,
    "activity_holder": "employed",
    "activity_partner": "no_partner",
    "alimony_24m": 0,
    "mean_total_12m": 0.0,
    "mean_af_12m": 0.0,
    "mean_cf_12m": 0.0,
    "mean_prime_activite_12m": 0.0,
    "mean_rsa_12m": 0.0,
    "mean_housing_aid_12m": 0.0,
    "mean_aah_12m": 0.0,
    "months_on_file": 60,
}

#: Archetype households: name -> (description, the values that differ from a base household).
ARCHETYPES: Mapping[str, tuple[str, Mapping[str, Any]]] = {
    "lone_parent_two_children": (
        "Lone parent working part time, two children in school, alimony declared",
        {
            "household_type": "lone_parent",
            "n_children": 2,
            "children_activity": "all_in_school",
            "income_to_smic": 0.7,
            "income_volatility": 0.2,
            "alimony_24m": 1,
            "mean_af_12m": 151.0,
            "mean_prime_activite_12m": 250.0,
            "mean_housing_aid_12m": 280.0,
            "mean_total_12m": 681.0,
        },
    ),
    "child_over_19": (
        "Couple, both working, two children of whom one is over 19 and works",
        {
            "household_type": "couple_with_children",
            "n_children": 2,
            "child_over_19": 1,
            "children_activity": "some_working",
            "income_to_smic": 1.8,
            "activity_partner": "employed",
            "mean_housing_aid_12m": 90.0,
            "mean_total_12m": 90.0,
            "months_on_file": 180,
        },
    ),
    "aah_working": (
        "Single person receiving the disability allowance (AAH) and working part time",
        {
            "income_to_smic": 0.5,
            "mean_aah_12m": 750.0,
            "mean_prime_activite_12m": 150.0,
            "mean_housing_aid_12m": 220.0,
            "mean_total_12m": 1120.0,
            "months_on_file": 120,
        },
    ),
    "rsa_no_income": (
        "Single person on RSA with no income",
        {
            "income_to_smic": 0.0,
            "zero_income": 1,
            "income_volatility": 0.0,
            "activity_holder": "unemployed",
            "mean_rsa_12m": 610.0,
            "mean_housing_aid_12m": 260.0,
            "mean_total_12m": 870.0,
            "months_on_file": 24,
        },
    ),
    "self_employed_family": (
        "Couple with three children, the holder self-employed with a volatile income",
        {
            "household_type": "couple_with_children",
            "n_children": 3,
            "children_activity": "all_in_school",
            "income_to_smic": 1.2,
            "income_volatility": 0.6,
            "activity_holder": "self_employed",
            "activity_partner": "inactive",
            "mean_af_12m": 345.0,
            "mean_cf_12m": 186.0,
            "mean_prime_activite_12m": 120.0,
            "mean_housing_aid_12m": 150.0,
            "mean_total_12m": 801.0,
            "months_on_file": 96,
        },
    ),
}

#: The changes tried one at a time: column -> values.
CHANGES: Mapping[str, Sequence[Any]] = {
    "income_reporting": ("declarative", "prefilled"),
    "household_type": CATALOG["household_type"].levels,
    "n_children": (0, 1, 2, 3, 4),
    "child_over_19": (0, 1),
    "separation_12m": (0, 1),
    "alimony_24m": (0, 1),
    "guardianship": (0, 1),
    "income_to_smic": (0.0, 0.5, 1.0, 1.5, 2.5),
    "activity_holder": CATALOG["activity_holder"].levels,
}


def _frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    for name in frame.columns:
        if name in CATALOG and CATALOG[name].dtype == "category":
            frame[name] = pd.Categorical(frame[name], categories=CATALOG[name].levels)
    return frame


def _classifier_columns(model: Any, features: Sequence[str] | None) -> tuple[str, ...] | None:
    """None for a dmde model; a classifier's features, each a column of the profiles."""
    if is_dmde_model(model):
        if features is not None:
            raise AuditError(
                "features is for other classifiers: a dmde model reads its own features_; "
                "leave features out."
            )
        return None
    try:
        return classifier_features(model, _frame([_BASE]), features)
    except AuditError as exc:
        if "the data have no column" not in str(exc):
            raise
        raise AuditError(
            f"{exc} The profiles hold {', '.join(_BASE)}: profile a model of these columns."
        ) from None


def score_profiles(
    model: Any,
    archetypes: Mapping[str, tuple[str, Mapping[str, Any]]] = ARCHETYPES,
    *,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Score each archetype household: archetype, description, score, probability.

    For a classifier other than dmde's (``features``: its columns, by default its
    ``feature_names_in_``): archetype, description, probability (it has no score in points).
    """
    chosen = _classifier_columns(model, features)
    rows = [{**_BASE, **values} for _, values in archetypes.values()]
    frame = _frame(rows)
    out = pd.DataFrame(
        {"archetype": list(archetypes), "description": [d for d, _ in archetypes.values()]}
    )
    if chosen is None:
        out["score"] = model.points(frame)
        out["probability"] = model.predict_proba(frame)[:, 1]
    else:
        out["probability"] = probabilities(model, frame, chosen)
    return out


def profile_changes(
    model: Any,
    archetypes: Mapping[str, tuple[str, Mapping[str, Any]]] = ARCHETYPES,
    changes: Mapping[str, Sequence[Any]] = CHANGES,
    *,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The score of each archetype when one column takes another value, the rest kept.

    Returns
    -------
    DataFrame
        archetype, column, label, value_before, value_after, score_before, score_after, delta.
        For a classifier other than dmde's (``features``: its columns, by default its
        ``feature_names_in_``): probability_before, probability_after and delta (in
        probability) instead of the scores.
    """
    chosen = _classifier_columns(model, features)
    for name in changes:
        if name not in _BASE:
            raise DmdeError(f"cannot change {name!r}: the profiles hold {', '.join(_BASE)}.")
    lines: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for archetype, (_, values) in archetypes.items():
        base = {**_BASE, **values}
        for name, options in changes.items():
            for option in options:
                if option == base[name]:
                    continue
                lines.append(
                    {
                        "archetype": archetype,
                        "column": name,
                        "label": CATALOG[name].label,
                        "value_before": base[name],
                        "value_after": option,
                    }
                )
                rows.append({**base, name: option})
    measure = "score" if chosen is None else "probability"
    before = score_profiles(model, archetypes, features=None if chosen is None else list(chosen))
    after: Any = []
    if rows:
        changed = _frame(rows)
        after = model.points(changed) if chosen is None else probabilities(model, changed, chosen)
    out = pd.DataFrame(lines)
    out[f"{measure}_before"] = (
        out["archetype"].map(before.set_index("archetype")[measure]).to_numpy()
    )
    out[f"{measure}_after"] = after
    out["delta"] = out[f"{measure}_after"] - out[f"{measure}_before"]
    return out
