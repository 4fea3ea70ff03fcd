"""The model file: round trip, determinism, and refusal of anything edited or excluded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.core.errors import DmdeError, PolicyError
from dmde.data.synthetic import synthesize
from dmde.model.model_file import (
    FORMAT_VERSION,
    ModelFileError,
    content_hash,
    load_model,
    model_to_dict,
    save_model,
)
from dmde.model.scorecard import Scorecard, ScorecardFamily

FACTS = {"target": "target", "date": "2026-11-27"}


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return synthesize(40_000, seed=8, controls=6_000)


@pytest.fixture(scope="module")
def family(population: pd.DataFrame) -> ScorecardFamily:
    checked = population[population["controlled"] == 1]
    return ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])


@pytest.fixture(scope="module")
def saved(family: ScorecardFamily, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.json"
    save_model(family, path, training=FACTS)
    return path


def test_round_trip_scores_identically(
    saved: Path, family: ScorecardFamily, population: pd.DataFrame
) -> None:
    loaded = load_model(saved)
    assert isinstance(loaded, ScorecardFamily)
    assert loaded.segments_ == family.segments_
    np.testing.assert_array_equal(loaded.points(population), family.points(population))
    np.testing.assert_array_equal(
        loaded.predict_proba(population), family.predict_proba(population)
    )
    pd.testing.assert_frame_equal(
        loaded.reason_codes(population.head(50)), family.reason_codes(population.head(50))
    )


def test_single_scorecard_round_trip(population: pd.DataFrame, tmp_path: Path) -> None:
    checked = population[population["controlled"] == 1]
    model = Scorecard(features=["income_to_smic", "mean_rsa_12m", "household_type"])
    model.fit(checked, checked["target"])
    save_model(model, tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    assert isinstance(loaded, Scorecard)
    np.testing.assert_array_equal(loaded.points(population), model.points(population))
    pd.testing.assert_frame_equal(loaded.points_table(), model.points_table())


def test_file_is_readable_json_with_what_an_auditor_needs(saved: Path) -> None:
    doc = json.loads(saved.read_text())
    assert doc["format"] == "dmde.model.scorecard" and doc["format_version"] == FORMAT_VERSION
    assert set(doc) >= {
        "dmde_version",
        "policy",
        "features",
        "scaling",
        "routing",
        "segments",
        "training",
        "sha256",
    }
    assert doc["policy"]["excluded_families"].keys() == {
        "sensitive",
        "address",
        "behaviour",
        "control_history",
    }
    assert doc["routing"] == {
        "column": "income_reporting",
        "segments": ["declarative", "prefilled"],
    }
    assert doc["training"]["date"] == "2026-11-27" and doc["training"]["rows"] == 6_000
    variable = doc["segments"]["prefilled"]["variables"][0]
    assert set(variable) >= {"name", "label", "binning", "bin_labels", "points", "reference_points"}
    assert doc["sha256"] == content_hash(doc)
    assert "\n  " in saved.read_text()  # indented for people


def test_saving_is_deterministic(family: ScorecardFamily, saved: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    save_model(family, again, training=FACTS)
    assert again.read_bytes() == saved.read_bytes()


def _edit(
    path: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None], *, rehash: bool
) -> Path:
    doc = json.loads(path.read_text())
    change(doc)
    if rehash:
        doc["sha256"] = content_hash(doc)
    out = tmp_path / "edited.json"
    out.write_text(json.dumps(doc))
    return out


def _first_variable(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["segments"]["prefilled"]["variables"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "rehash", "error", "message"),
    [
        (
            lambda d: _first_variable(d)["points"].__setitem__(0, 99.0),
            False,
            ModelFileError,
            r"content hash does not match: the file was changed after it was saved",
        ),
        (
            lambda d: d.__setitem__("format_version", 2),
            True,
            ModelFileError,
            r"unknown format version 2: this dmde .* reads version 1",
        ),
        (
            lambda d: d.__setitem__("format", "other"),
            True,
            ModelFileError,
            r"not a dmde model file",
        ),
        (
            lambda d: d["features"].append("nationality_group"),
            True,
            PolicyError,
            r"'nationality_group' \(family 'sensitive'\) cannot be a model feature",
        ),
        (
            lambda d: d["policy"]["allowed_families"].append("behaviour"),
            True,
            PolicyError,
            r"family 'behaviour' .* cannot be allowed",
        ),
        (
            lambda d: _first_variable(d).__setitem__("name", "web_logins_12m"),
            True,
            ModelFileError,
            r"variables do not match",
        ),
        (
            lambda d: d["segments"]["prefilled"].__setitem__("features", ["web_logins_12m"]),
            True,
            PolicyError,
            r"family 'behaviour'",
        ),
        (
            lambda d: d["routing"].__setitem__("column", "gender"),
            True,
            DmdeError,
            r"segment_column 'gender' is in family 'sensitive'",
        ),
        (lambda d: _first_variable(d)["points"].pop(), True, ModelFileError, r"points for .* bins"),
        (
            lambda d: d["segments"]["prefilled"].pop("intercept_points"),
            True,
            ModelFileError,
            r"malformed model file: KeyError: 'intercept_points'",
        ),
    ],
    ids=[
        "edited-points",
        "version",
        "format",
        "sensitive-feature",
        "behaviour-family",
        "renamed-variable",
        "segment-feature",
        "sensitive-routing",
        "points-length",
        "missing-key",
    ],
)
def test_tampered_files_are_refused(
    saved: Path, tmp_path: Path, change: Any, rehash: bool, error: type[Exception], message: str
) -> None:
    path = _edit(saved, tmp_path, change, rehash=rehash)
    with pytest.raises(error, match=message):
        load_model(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", r"invalid JSON at line 1"), ("[1, 2]", r"not a dmde model file")],
    ids=["not-json", "not-a-model"],
)
def test_not_a_model_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"cannot read model file .*nope.json.*no such file"):
        load_model(tmp_path / "nope.json")


def test_a_model_on_anonymous_columns_cannot_be_saved(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    model = Scorecard().fit(X, (X[:, 0] + rng.normal(size=300) > 0).astype(int))
    with pytest.raises(ModelFileError, match="only a model fitted on a DataFrame of catalog"):
        model_to_dict(model)
