"""The proxy and profile analyses with any fitted scikit-learn classifier (here a
HistGradientBoostingClassifier) beside dmde's own models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from dmde.audit.classifiers import feature_bins, one_hot
from dmde.audit.profiles import profile_changes, score_profiles
from dmde.audit.proxies import (
    exclusion_proof,
    feature_association,
    proxy_strength,
    score_gap,
    score_gaps,
)
from dmde.audit.settings import AuditError
from dmde.data.catalog import DEFAULT_POLICY
from dmde.data.synthetic import synthesize
from dmde.model.scorecard import Scorecard

FEATURES = ["n_children", "income_to_smic", "household_type", "activity_holder", "months_on_file"]


def _hgb(X: pd.DataFrame, y: Any) -> Any:
    """Gradient boosting on ``X``'s columns, its text columns encoded as categories."""
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    levels = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
    encode = ColumnTransformer([("levels", levels, text)], remainder="passthrough")
    boost = HistGradientBoostingClassifier(
        max_iter=40, categorical_features=list(range(len(text))), random_state=0
    )
    return make_pipeline(encode, boost).fit(X, y)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthesize(6_000, seed=8, controls=0, with_truth=True)


@pytest.fixture(scope="module")
def hgb(frame: pd.DataFrame) -> Any:
    return _hgb(frame[FEATURES], frame["truth_target"])


def _planted(seed: int, n: int = 3_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A feature that carries attribute ``a`` (not ``b``), another that carries nothing."""
    rng = np.random.default_rng(seed)
    a = rng.random(n) < 0.3
    frame = pd.DataFrame(
        {"carrier": rng.normal(a * 1.0, 1.0), "noise": rng.normal(0.0, 1.0, n).round(1)}
    )
    groups = pd.DataFrame({"a": np.where(a, "yes", "no"), "b": rng.choice(["x", "y"], n)})
    return frame, groups


@pytest.mark.parametrize("seed", range(8))
def test_a_planted_proxy_is_found_and_nothing_else(seed: int) -> None:
    frame, groups = _planted(seed)
    y = (np.random.default_rng(seed + 100).random(len(frame)) < 0.2).astype(int)
    model = LogisticRegression().fit(frame, y)  # any classifier: only its columns matter
    strength = proxy_strength(model, frame, groups, seed=seed).set_index(["attribute", "group"])
    assert strength.loc[("a", "yes"), "ci_low"] > 0.65  # d = 1: AUC about 0.76
    assert strength.loc[("b", "x"), "ci_low"] < 0.5 < strength.loc[("b", "x"), "ci_high"] + 0.02
    association = feature_association(model, frame, groups).set_index(["attribute", "feature"])
    assert association.loc[("a", "carrier"), "cramers_v"] > 0.3
    assert association.loc[("a", "noise"), "cramers_v"] < 0.1
    assert association.loc[("b", "carrier"), "cramers_v"] < 0.1


def test_a_classifier_and_the_scorecard_see_the_same_proxies(frame: pd.DataFrame, hgb: Any) -> None:
    groups = pd.DataFrame({"gender": frame["gender"].astype(str)})
    card = Scorecard(features=FEATURES).fit(frame, frame["truth_target"])
    ours = proxy_strength(card, frame, groups, seed=1)
    theirs = proxy_strength(hgb, frame, groups, seed=1)  # its feature_names_in_
    assert theirs["group"].tolist() == ours["group"].tolist()
    assert np.allclose(theirs["auc"], ours["auc"], atol=0.05)
    association = feature_association(hgb, frame, groups)
    assert sorted(association["feature"]) == sorted(FEATURES)
    assert "number of children" in association["label"].tolist()  # catalog labels


def test_the_exclusion_proof_holds_for_a_classifier_of_allowed_columns(
    frame: pd.DataFrame, hgb: Any
) -> None:
    proof = exclusion_proof(hgb, frame, seed=3)
    assert proof["identical"] and "gender" in proof["columns_permuted"]
    routed = _hgb(frame[["income_reporting", *FEATURES]], frame["truth_target"])
    proof = exclusion_proof(routed, frame, seed=3)
    assert proof["identical"] and "income_reporting" not in proof["columns_permuted"]
    assert "caf_code" in proof["columns_permuted"]
    leaky = _hgb(frame[[*FEATURES, "age"]], frame["truth_target"])
    assert not exclusion_proof(leaky, frame, seed=3)["identical"]


def test_the_score_gap_needs_points(frame: pd.DataFrame, hgb: Any) -> None:
    groups = pd.DataFrame({"gender": frame["gender"].astype(str)})
    with pytest.raises(AuditError, match=r"^a Pipeline has no points"):
        score_gap(hgb, frame, groups["gender"], a="F", b="M")
    with pytest.raises(AuditError, match=r"^a Pipeline has no points"):
        score_gaps(hgb, frame, groups, reference={"gender": "M"})


def test_profiles_of_a_classifier_give_its_probabilities(frame: pd.DataFrame, hgb: Any) -> None:
    profiles = score_profiles(hgb)
    assert profiles.columns.tolist() == ["archetype", "description", "probability"]
    changes = profile_changes(hgb)
    assert {"probability_before", "probability_after", "delta"} <= set(changes.columns)
    first = changes.iloc[0]
    assert first["delta"] == pytest.approx(first["probability_after"] - first["probability_before"])


def test_a_planted_effect_moves_a_classifiers_profile() -> None:
    rng = np.random.default_rng(0)
    n = 4_000
    X = pd.DataFrame({"n_children": rng.integers(0, 5, n), "income_to_smic": rng.random(n) * 2})
    y = (rng.random(n) < 0.05 + 0.1 * X["n_children"]).astype(int)
    model = LogisticRegression().fit(X, y)
    changes = profile_changes(model, changes={"n_children": (0, 4)})
    more = changes[changes["value_after"] == 4]
    fewer = changes[changes["value_after"] == 0]
    assert (more["delta"] > 0).all() and (fewer["delta"] < 0).all()


def test_dmde_models_are_unchanged_by_the_classifier_path(frame: pd.DataFrame) -> None:
    card = Scorecard(features=FEATURES).fit(frame, frame["truth_target"])
    assert score_profiles(card).columns.tolist() == [
        "archetype",
        "description",
        "score",
        "probability",
    ]
    assert "score_before" in profile_changes(card).columns


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda f, g, m: proxy_strength(object(), f, g),
            r"^model must be a dmde model or a fitted classifier with predict_proba; got a object",
        ),
        (
            lambda f, g, m: proxy_strength(
                LogisticRegression().fit(f[["n_children"]].to_numpy(), f["truth_target"]), f, g
            ),
            r"^the LogisticRegression was fitted without column names: pass its feature columns",
        ),
        (
            lambda f, g, m: feature_association(m, f.drop(columns="n_children"), g),
            r"^the data have no column 'n_children', which the Pipeline",
        ),
        (
            lambda f, g, m: proxy_strength(
                Scorecard().fit(f, f["truth_target"]), f, g, features=["n_children"]
            ),
            r"^features is for other classifiers: a dmde model reads its own features_",
        ),
        (
            lambda f, g, m: score_profiles(_hgb(f[["n_children", "age"]], f["truth_target"])),
            r"^the data have no column 'age'.*The profiles hold dossier_id",
        ),
    ],
    ids=["no-proba", "no-names", "missing-column", "features-for-dmde", "profile-column"],
)
def test_bad_models_are_refused(frame: pd.DataFrame, hgb: Any, call: Any, match: str) -> None:
    groups = pd.DataFrame({"gender": frame["gender"].astype(str)})
    with pytest.raises(AuditError, match=match):
        call(frame, groups, hgb)


def test_feature_bins_and_one_hot() -> None:
    frame = pd.DataFrame({"x": np.arange(100.0), "c": pd.Categorical(["a", "b"] * 50)})
    codes = feature_bins(frame, ["x", "c"])
    assert np.bincount(codes[:, 0]).tolist() == [10] * 10  # deciles
    assert one_hot(codes).shape == (100, 9 + 1)
    assert set(DEFAULT_POLICY.features) >= set(FEATURES)
