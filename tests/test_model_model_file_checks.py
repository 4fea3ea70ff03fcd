"""The guarded model reader: forged files refused naming the field, genuine files still load."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.core.errors import PolicyError
from dmde.model import model_file_checks
from dmde.model.model_file import (
    ModelFileError,
    content_hash,
    load_model,
    read_model_file,
    save_model,
)
from dmde.model.model_file_checks import (
    MAX_MODEL_BYTES,
    MAX_NESTING,
    MAX_POINTS,
    nesting_depth,
)
from dmde.model.scaling import PointsScaling
from dmde.model.scorecard import Scorecard, ScorecardFamily

Doc = dict[str, Any]
SEGMENT = "segments.prefilled"
VARIABLE = f"{SEGMENT}.variables.n_children"


def _segment(d: Doc) -> Doc:
    return d["segments"]["prefilled"]  # type: ignore[no-any-return]


def _variable(d: Doc) -> Doc:
    return next(v for v in _segment(d)["variables"] if v["name"] == "n_children")


def _coefficient(d: Doc) -> Doc:
    return next(c for c in _segment(d)["coefficients"] if c["term"] == "n_children")


def _set(getter: Callable[[Doc], Any], key: Any, value: Any) -> Callable[[Doc], None]:
    return lambda d: getter(d).__setitem__(key, value)


def _scale_points(d: Doc) -> None:
    _variable(d)["points"] = [2 * p for p in _variable(d)["points"]]


def _points_with_woe(d: Doc) -> None:
    """Edit the WoE and the points consistently (the counts and events left as trained)."""
    variable, slope = _variable(d), _coefficient(d)["coefficient"]
    variable["binning"]["woe"][0] += 0.5
    factor = d["scaling"]["pdo"] / math.log(2)
    variable["points"] = [round(factor * slope * w, 2) + 0.0 for w in variable["binning"]["woe"]]


def _coefficient_with_interval(d: Doc) -> None:
    """Double a coefficient and its interval: the points no longer follow from it."""
    row = _coefficient(d)
    row["coefficient"] *= 2
    row["ci_low"] = row["coefficient"] - 1.959963984540054 * row["std_error"]
    row["ci_high"] = row["coefficient"] + 1.959963984540054 * row["std_error"]


# (id, change of the parsed file, error, the field named in the message). Each forged file has
# its hash recomputed, as a forger would: only the checks of the content can refuse it.
FORGERIES: list[tuple[str, Callable[[Doc], None], type[Exception], str]] = [
    ("point-edited", _set(lambda d: _variable(d)["points"], 0, -40.0), ModelFileError,
     rf"{VARIABLE}\.points\[0\]: expected .*factor \* coefficient \* woe.* inconsistent"),
    ("points-doubled", _scale_points, ModelFileError, rf"{VARIABLE}\.points\[0\]"),
    ("woe-and-points", _points_with_woe, ModelFileError,
     rf"{VARIABLE}\.binning\.woe\[0\]: expected .*the WoE of its count and events"),
    ("intercept-points", _set(_segment, "intercept_points", 600.0), ModelFileError,
     rf"{SEGMENT}\.intercept_points: expected .*offset \+ factor \* intercept"),
    ("intercept", _set(_segment, "intercept", 0.5), ModelFileError,
     rf"{SEGMENT}\.coefficients\.intercept\.coefficient: expected .*the segment's intercept"),
    ("coefficient", _set(_coefficient, "coefficient", 3.0), ModelFileError,
     rf"{SEGMENT}\.coefficients\.n_children\.ci_low: expected .*1\.96 std_error"),
    ("coefficient-and-interval", _coefficient_with_interval, ModelFileError,
     rf"{VARIABLE}\.points\[0\]: expected"),
    ("reference-points", _set(_variable, "reference_points", 900.0), ModelFileError,
     rf"{VARIABLE}\.reference_points: expected a weighted mean of the feature's points"),
    ("points-1e308", _set(lambda d: _variable(d)["points"], 0, 1e308), ModelFileError,
     rf"{VARIABLE}\.points\[0\]: expected a number from -1e\+06 to 1e\+06; got 1e\+308"),
    ("base-points-1e300", _set(lambda d: d["scaling"], "base_points", 1e300), ModelFileError,
     r"field scaling\.base_points: expected a number from -1e\+06 to 1e\+06"),
    ("version-float", _set(lambda d: d, "format_version", 1.0), ModelFileError,
     r"field format_version: expected an integer .*got 1\.0"),
    ("version-true", _set(lambda d: d, "format_version", True), ModelFileError,
     r"field format_version: expected an integer .*got True"),
    ("version-text", _set(lambda d: d, "format_version", "1"), ModelFileError,
     r"field format_version: expected an integer .*got '1'"),
    ("decimals-boolean", _set(lambda d: d["scaling"], "decimals", True), ModelFileError,
     r"field scaling\.decimals: expected an integer of at least 0; got true \(a boolean\)"),
    ("pdo-text", _set(lambda d: d["scaling"], "pdo", "20"), ModelFileError,
     r"field scaling\.pdo: expected a finite number; got \"20\" \(text\)"),
    ("point-boolean", _set(lambda d: _variable(d)["points"], 2, True), ModelFileError,
     rf"{VARIABLE}\.points\[2\]: expected a finite number; got true \(a boolean\)"),
    ("points-object", _set(_variable, "points", {"0": 1.0}), ModelFileError,
     rf"{VARIABLE}\.points: expected a list; got an object"),
    ("unknown-top-field", _set(lambda d: d, "note", "approved"), ModelFileError,
     r"field note is not a field of a dmde model file"),
    ("unknown-variable-field", _set(_variable, "points_override", [0.0]), ModelFileError,
     rf"{VARIABLE}\.points_override is not a field"),
    ("missing-field", lambda d: d["scaling"].pop("pdo"), ModelFileError,
     r"field scaling\.pdo is missing"),
    ("routing-column-number", _set(lambda d: d["routing"], "column", 3), ModelFileError,
     r"field routing\.column: expected text; got 3 \(an integer\)"),
    ("features-twice", lambda d: d["features"].append(d["features"][0]), ModelFileError,
     r"field features: expected distinct names; 'household_type' appears twice"),
    ("rows-text", _set(lambda d: d["training"], "rows", "5000"), ModelFileError,
     r"field training\.rows: expected an integer"),
    ("training-fact-object", _set(lambda d: d["training"], "approved_by", {"a": 1}),
     ModelFileError, r"field training\.approved_by: expected text, a number"),
    ("integer-valued-text", _set(lambda d: _variable(d)["binning"], "integer_valued", "yes"),
     ModelFileError, rf"{VARIABLE}\.binning\.integer_valued: expected true or false"),
    ("segments-list", _set(lambda d: d, "segments", []), ModelFileError,
     r"field segments: expected an object; got a list of 0"),
    ("three-classes", _set(_segment, "classes", [0, 1, 2]), ModelFileError,
     rf"{SEGMENT}\.classes: expected a list of the target's two classes"),
    ("class-boolean", _set(_segment, "classes", [False, True]), ModelFileError,
     rf"{SEGMENT}\.classes\[0\]: expected a finite number; got false"),
    ("routing-by-office", _set(lambda d: d["routing"], "column", "caf_code"), PolicyError,
     r"segment_column 'caf_code' locates the household .*geographic proxy"),
    ("routing-by-commune", _set(lambda d: d["routing"], "column", "commune_code"), PolicyError,
     r"segment_column 'commune_code' is in family 'address'"),
]  # fmt: skip


@pytest.fixture(scope="module")
def document(family_file: Path) -> Doc:
    return json.loads(family_file.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _write(tmp_path: Path, document: Doc, *, rehash: bool = True) -> Path:
    if rehash:
        document["sha256"] = content_hash(document)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [f[1:] for f in FORGERIES],
    ids=[f[0] for f in FORGERIES],
)
def test_a_forged_model_file_is_refused_naming_the_field(
    document: Doc,
    tmp_path: Path,
    change: Callable[[Doc], None],
    error: type[Exception],
    field: str,
) -> None:
    forged = json.loads(json.dumps(document))
    change(forged)
    path = _write(tmp_path, forged, rehash="sha256" in forged and isinstance(forged, dict))
    with pytest.raises(error, match=rf"^{path}: .*{field}"):
        load_model(path)


@pytest.mark.parametrize("seed", range(40))
def test_any_point_moved_by_more_than_the_rounding_is_refused(
    document: Doc, tmp_path: Path, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    forged = json.loads(json.dumps(document))
    name = str(rng.choice(list(forged["segments"])))
    variables = forged["segments"][name]["variables"]
    variable = variables[int(rng.integers(len(variables)))]
    b = int(rng.integers(len(variable["points"])))
    shift = float(rng.choice([-1, 1]) * rng.uniform(0.02, 50))
    variable["points"][b] = round(variable["points"][b] + shift, 2)
    path = _write(tmp_path, forged)
    where = rf"segments\.{name}\.variables\.{variable['name']}\.points\[{b}\]"
    with pytest.raises(ModelFileError, match=rf"field {where}: expected .*inconsistent"):
        read_model_file(path)


# ------------------------------------------------------------------------- the text of a file
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace('"points": [', '"points": [0, 0, 0, 0, 0], "points": [', 1),
            r"field segments\.declarative\.variables\.household_type\.points appears twice",
        ),
        (
            lambda t: t.replace('"format": ', '"format": "dmde.model", "format": ', 1),
            r"field format appears twice in the same object",
        ),
        (
            lambda t: re.sub(r'"intercept": [-0-9.e]+', '"intercept": NaN', t, count=1),
            r"field segments\.declarative\.intercept: expected a finite number; got NaN",
        ),
        (
            lambda t: t.replace('"base_points": 500.0', '"base_points": Infinity', 1),
            r"field scaling\.base_points: expected a finite number; got Infinity",
        ),
        (
            lambda t: t.replace('"base_points": 500.0', '"base_points": 1e400', 1),
            r"field scaling\.base_points: expected a finite number; got Infinity",
        ),
        (
            lambda t: t.replace('"date"', '"deep": ' + "[" * 31 + "]" * 31 + ', "date"', 1),
            rf"nested 33 levels deep; a model file has at most {MAX_NESTING}",
        ),
        (lambda t: "[" * 100_000 + "]" * 100_000, r"nested 100000 levels deep"),
        (lambda t: "{" * 1_000_000, r"nested 1000000 levels deep"),
        (
            lambda t: t.replace('"sha256": "', '"sha256": "A', 1),
            r"field sha256: expected 64 lowercase hexadecimal digits",
        ),
    ],
    ids=[
        "repeated-points",
        "repeated-format",
        "nan",
        "infinity",
        "overflowing-literal",
        "nested-33",
        "nested-100k",
        "unclosed-1m",
        "sha256-not-hex",
    ],
)
def test_a_forged_text_is_refused(
    document: Doc, tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    forged = dict(document)
    forged["training"] = {**document["training"], "date": "2026-11-27"}
    forged["sha256"] = content_hash(forged)
    path = tmp_path / "forged.json"
    path.write_text(edit(json.dumps(forged, indent=2)), encoding="utf-8")
    with pytest.raises(ModelFileError, match=rf"^{path}: .*{message}"):
        read_model_file(path)


def test_a_byte_that_is_not_utf8_is_refused(family_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(family_file.read_bytes().replace(b'"caf-2026"', b'"caf-2026\xe9"', 1))
    with pytest.raises(ModelFileError, match=r"the byte at offset \d+ is not UTF-8 text"):
        load_model(path)


# ------------------------------------------------------------------------ what the path names
def test_a_device_is_refused_before_reading() -> None:
    with pytest.raises(ModelFileError, match=r"'/dev/zero': it is a character device, not a"):
        load_model("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ModelFileError, match=r"it is a FIFO \(named pipe\), not a regular file"):
        load_model(tmp_path / "pipe")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"it is a directory, not a regular file"):
        read_model_file(tmp_path)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_MODEL_BYTES + 1)  # sparse: no disk space used
    with pytest.raises(ModelFileError, match=r"it holds 67,108,865 bytes; .* at most 67,108,864"):
        load_model(path)


def test_a_file_that_grew_past_the_limit_is_refused(
    family_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_file_checks, "MAX_MODEL_BYTES", 100)
    with pytest.raises(ModelFileError, match=r"at most 100 bytes"):
        load_model(family_file)


def test_the_limits_are_stated() -> None:
    assert (MAX_MODEL_BYTES, MAX_NESTING, MAX_POINTS) == (64 * 2**20, 32, 1e6)
    assert nesting_depth('{"a": "[[[", "b": [{"c": "\\"]["}]}') == 3


# --------------------------------------------------------------------- genuine files still load
@pytest.mark.parametrize(
    "scaling",
    [
        PointsScaling(),
        PointsScaling(base_points=600.0, base_odds=1 / 50, pdo=40.0, decimals=0),
        PointsScaling(base_points=0.0, pdo=1.0, decimals=6),
    ],
    ids=["default", "coarse", "fine"],
)
def test_genuine_files_load_and_score_as_saved(
    checked: pd.DataFrame, population: pd.DataFrame, tmp_path: Path, scaling: PointsScaling
) -> None:
    family = ScorecardFamily(scorecard=Scorecard(scaling=scaling))
    family.fit(checked, checked["target"], checked["control_weight"])
    save_model(family, tmp_path / "model.json", training={"auc_cv": None, "note": "x"})
    loaded = load_model(tmp_path / "model.json")
    np.testing.assert_array_equal(loaded.points(population), family.points(population))


def test_the_shared_model_file_loads(family_file: Path, family: ScorecardFamily) -> None:
    loaded = read_model_file(family_file).model
    assert isinstance(loaded, ScorecardFamily) and loaded.segments_ == family.segments_
