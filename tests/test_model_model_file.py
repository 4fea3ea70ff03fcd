"""The model file: round trip, determinism, and refusal of anything edited or excluded."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.core.errors import PolicyError
from dmde.data.datasets import read_dataset
from dmde.model.model_file import (
    FORMAT,
    FORMAT_VERSION,
    ModelFile,
    ModelFileError,
    content_hash,
    load_model,
    model_to_dict,
    read_model_file,
    save_model,
)
from dmde.model.scorecard import Scorecard, ScorecardFamily

FACTS = {"target": "target", "date": "2026-11-27"}


# population and family: the shared world of tests/conftest.py
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
    assert doc["format"] == "dmde.model" and doc["format_version"] == FORMAT_VERSION
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
    assert doc["training"]["date"] == "2026-11-27" and doc["training"]["rows"] == 5_000
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
            PolicyError,
            r"segment_column 'gender' is in family 'sensitive'",
        ),
        (lambda d: _first_variable(d)["points"].pop(), True, ModelFileError, r"points for .* bins"),
        (
            lambda d: d["segments"]["prefilled"].pop("intercept_points"),
            True,
            ModelFileError,
            r"field segments\.prefilled\.intercept_points is missing",
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
@pytest.mark.parametrize("reader", [load_model, read_model_file], ids=["load", "read"])
def test_tampered_files_are_refused(
    saved: Path,
    tmp_path: Path,
    change: Any,
    rehash: bool,
    error: type[Exception],
    message: str,
    reader: Callable[[Path], object],
) -> None:
    path = _edit(saved, tmp_path, change, rehash=rehash)
    with pytest.raises(error, match=rf"^{tmp_path}.*{message}"):
        reader(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", r"invalid JSON at line 1"), ("[1, 2]", r"not a dmde model file")],
    ids=["not-json", "not-a-model"],
)
@pytest.mark.parametrize("reader", [load_model, read_model_file], ids=["load", "read"])
def test_not_a_model_file(
    tmp_path: Path, text: str, message: str, reader: Callable[[Path], object]
) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(ModelFileError, match=message):
        reader(path)


@pytest.mark.parametrize("reader", [load_model, read_model_file], ids=["load", "read"])
def test_missing_model_file(tmp_path: Path, reader: Callable[[Path], object]) -> None:
    with pytest.raises(ModelFileError, match=r"cannot read model file .*nope.json.*no such file"):
        reader(tmp_path / "nope.json")


# ------------------------------------------------------------------------------ typed reading
def test_read_model_file_gives_the_content_as_typed_records(
    saved: Path, family: ScorecardFamily, population: pd.DataFrame
) -> None:
    document = json.loads(saved.read_text())
    model_file = read_model_file(saved)
    assert isinstance(model_file, ModelFile)
    assert (model_file.path, model_file.name) == (str(saved), "model.json")
    assert (
        model_file.format,
        model_file.format_version,
        model_file.dmde_version,
        model_file.sha256,
    ) == (document["format"], 1, document["dmde_version"], document["sha256"])
    policy = document["policy"]
    assert model_file.policy.name == policy["name"]
    assert list(model_file.policy.allowed_families) == policy["allowed_families"]
    assert list(model_file.policy.removed_columns) == policy["removed_columns"]
    assert dict(model_file.policy.excluded_families) == policy["excluded_families"]
    assert list(model_file.policy.features) == policy["features"]
    assert list(model_file.features) == document["features"]
    assert model_file.routing_column == document["routing"]["column"] == "income_reporting"
    assert model_file.scaling.to_dict() == document["scaling"]
    training = model_file.training
    assert dict(training.facts) == document["training"]
    assert list(training.facts) == list(document["training"])  # the file's order
    assert (training.rows, training.target, training.date) == (5_000, "target", "2026-11-27")
    assert training.auc_train is None and training.data_file is None
    assert list(model_file.segments) == list(document["segments"])
    for name, segment in document["segments"].items():
        record = model_file.segments[name]
        assert record.name == name
        assert list(record.features) == segment["features"]
        assert dict(record.params) == segment["params"]
        assert list(record.classes) == segment["classes"]
        assert record.intercept == segment["intercept"]
        assert record.intercept_points == segment["intercept_points"]
        assert [dataclasses.asdict(c) for c in record.coefficients] == segment["coefficients"]
        assert record.training.to_dict() == segment["training"]
        assert len(record.variables) == len(segment["variables"])
        for variable, written in zip(record.variables, segment["variables"], strict=True):
            assert (variable.name, variable.label) == (written["name"], written["label"])
            assert variable.binning.to_dict() == written["binning"]
            assert list(variable.bin_labels) == written["bin_labels"]
            assert list(variable.points) == written["points"]
            assert variable.reference_points == written["reference_points"]
    np.testing.assert_array_equal(model_file.model.points(population), family.points(population))


def test_the_records_are_frozen(saved: Path) -> None:
    model_file = read_model_file(saved)
    with pytest.raises(dataclasses.FrozenInstanceError):
        model_file.sha256 = "0" * 64  # type: ignore[misc]
    with pytest.raises(TypeError):
        model_file.segments["new"] = model_file.segments["prefilled"]  # type: ignore[index]
    with pytest.raises(TypeError):
        model_file.training.facts["auc_cv"] = 1.0  # type: ignore[index]


def test_a_single_scorecard_file_has_one_segment_and_no_routing(
    population: pd.DataFrame, tmp_path: Path
) -> None:
    checked = population[population["controlled"] == 1]
    model = Scorecard(features=["n_children", "income_to_smic"]).fit(checked, checked["target"])
    path = tmp_path / "single.json"
    save_model(model, path, training={"auc_cv": 0.7, "auc_train": 1})
    model_file = read_model_file(path)
    assert model_file.routing_column is None and list(model_file.segments) == ["all"]
    assert model_file.features == ("n_children", "income_to_smic")
    assert (model_file.training.auc_cv, model_file.training.auc_train) == (0.7, 1.0)
    assert isinstance(model_file.model, Scorecard)


def test_the_file_is_read_and_parsed_once(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"read": 0, "parse": 0}
    opened, parse = os.open, json.loads

    def counted_open(path: Any, *args: Any, **kwargs: Any) -> int:
        calls["read"] += Path(path) == saved
        return opened(path, *args, **kwargs)

    def counted_parse(text: Any, *args: Any, **kwargs: Any) -> Any:
        calls["parse"] += 1
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(os, "open", counted_open)
    monkeypatch.setattr(json, "loads", counted_parse)
    read_model_file(saved)
    assert calls == {"read": 1, "parse": 1}


def test_a_model_on_anonymous_columns_cannot_be_saved(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    model = Scorecard().fit(X, (X[:, 0] + rng.normal(size=300) > 0).astype(int))
    with pytest.raises(ModelFileError, match="only a model fitted on a DataFrame of catalog"):
        model_to_dict(model)


# A model file written by dmde before the package moved into layer folders: files in the wild
# carry their format name and hash, and must load, score and save the same forever.
FORMAT_1 = Path(__file__).resolve().parent / "fixtures" / "model-format-1.json"
# sha256 of the points of population-10k.csv's rows, as the writing version computed them.
FORMAT_1_POINTS = "0dbd6b601fa27a5eaf6f38fdebd55fd8a8e6a416b842d3be62b0abc2623a54c4"


def test_a_file_written_by_an_earlier_version_loads_scores_and_saves_the_same(
    tmp_path: Path,
) -> None:
    model = load_model(FORMAT_1)
    sample = FORMAT_1.parents[2] / "data" / "synthetic" / "population-10k.csv"
    points = np.ascontiguousarray(model.points(read_dataset(sample)))
    assert hashlib.sha256(points.tobytes()).hexdigest() == FORMAT_1_POINTS
    save_model(model, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == FORMAT_1.read_bytes()
    assert json.loads(FORMAT_1.read_text(encoding="utf-8"))["format"] == FORMAT == "dmde.model"
