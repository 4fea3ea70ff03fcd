"""The model file: human-readable JSON, versioned, hashed, audited on load. Never pickle.

A model file holds everything needed to score and to explain: the policy and the columns the
model reads, the routing, and for each segment the bins, the coefficients and the published
points, plus the scaling and a training summary. Its ``sha256`` field is the SHA-256 of the
canonical JSON of everything else (keys sorted, no spaces, UTF-8), so any edit of the content is
detected. Scoring a loaded model uses the points as written in the file.

:func:`load_model` refuses, each with a message saying why and what to do: a path that is not a
regular file, a file too large, too deeply nested, not JSON or repeating a key
(:func:`~dmde.model.model_file_checks.read_model_json`); another format, an unknown format
version, a field missing, unknown or of the wrong type, a number that is not finite
(:func:`~dmde.model.model_file_checks.check_document`); a hash that does not match (the file was
edited); a column outside the policy or in an excluded family, a routing column that is not
allowed to route; any malformed structure; and points that do not follow from the coefficients,
the weights of evidence and the scaling
(:func:`~dmde.model.model_file_checks.check_points`).

The hash proves integrity, not origin: whoever edits the file can recompute it. With
``verify_key`` (a public key file), :func:`load_model` and :func:`read_model_file` also require
the model's signature by that key (:mod:`dmde.model.signing` signs;
:mod:`dmde.model.signature_file` checks), on the very bytes the model is then built from.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dmde._version import __version__
from dmde.core.errors import PolicyError
from dmde.core.files import write_text
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, FeaturePolicy
from dmde.model.binning import FeatureBinning, WoEBinning
from dmde.model.family import _check_routing
from dmde.model.model_file_checks import (
    ModelFileError,
    check_document,
    check_points,
    parse_model_json,
    read_model_bytes,
)
from dmde.model.model_records import ModelFile, model_file_records
from dmde.model.scaling import PointsScaling
from dmde.model.scorecard import (
    Scorecard,
    ScorecardFamily,
    TrainingSummary,
    bin_labels,
)
from dmde.model.signature_file import check_content_hash, check_signature

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ModelFile",
    "ModelFileError",
    "content_hash",
    "frame_sha256",
    "load_model",
    "model_file_from_bytes",
    "model_from_dict",
    "model_to_dict",
    "read_model_file",
    "save_model",
]

#: The ``format`` field of a model file.
FORMAT = "dmde.model"
#: The model file format this version writes and reads; other versions are refused.
FORMAT_VERSION = 1
_PARAMS = ("max_prebins", "min_bin_share", "monotonic_trend", "rare_level_share", "C", "max_iter")

Model = Scorecard | ScorecardFamily


# --------------------------------------------------------------------------------------------
def content_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``document`` without its ``sha256`` field."""
    body = {k: v for k, v in document.items() if k != "sha256"}
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """A SHA-256 of the values of a DataFrame (column names and order included)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest.update(np.ascontiguousarray(hashed).tobytes())
    return digest.hexdigest()


def model_to_dict(model: Model, *, training: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The model file's content, hash included.

    Parameters
    ----------
    model : Scorecard or ScorecardFamily
        Fitted, on a DataFrame of catalog columns.
    training : mapping, optional
        Extra training facts to record (target, date, data hash...).
    """
    routing: dict[str, Any]
    models: Mapping[str, Scorecard]
    if isinstance(model, ScorecardFamily):
        models = model.models_
        routing = {"column": model.segment_column, "segments": list(model.segments_)}
        features = list(model.features_)
    else:
        models = {"all": model}
        routing = {"column": None, "segments": ["all"]}
        features = list(getattr(model, "features_", ()))
    first = next(iter(models.values()))
    for name, scorecard in models.items():
        if not getattr(scorecard, "catalog_features_", False):
            raise ModelFileError(
                f"segment {name!r}: only a model fitted on a DataFrame of catalog columns can be "
                "saved (a model fitted on a bare array reads anonymous columns)."
            )
    policy = first.policy or DEFAULT_POLICY
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "dmde_version": __version__,
        "policy": policy.to_dict(),
        "features": features,
        "scaling": first.scaling_.to_dict(),
        "routing": routing,
        "segments": {name: _scorecard_to_dict(m) for name, m in models.items()},
        "training": _training(models, training),
    }
    document["sha256"] = content_hash(document)
    return document


def _training(models: Mapping[str, Scorecard], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    rows = sum(m.training_.rows for m in models.values())
    weights = sum(m.training_.sum_of_weights for m in models.values())
    rate = (
        sum(m.training_.weighted_base_rate * m.training_.sum_of_weights for m in models.values())
        / weights
    )
    return {
        "rows": rows,
        "sum_of_weights": weights,
        "weighted_base_rate": rate,
        **dict(extra or {}),
    }


def _scorecard_to_dict(model: Scorecard) -> dict[str, Any]:
    table = model.coefficient_table()
    return {
        "features": list(model.features_),
        "params": _params(model),
        "classes": [_plain(c) for c in model.classes_],
        "intercept": float(model.intercept_[0]),
        "intercept_points": float(model.intercept_points_),
        "coefficients": [
            {
                k: (_plain(v))
                for k, v in row.items()
                if k in ("term", "coefficient", "std_error", "ci_low", "ci_high")
            }
            for row in table.to_dict("records")
        ],
        "variables": [
            {
                "name": name,
                "label": CATALOG[name].label,
                "binning": binning.to_dict(),
                "bin_labels": list(bin_labels(binning)),
                "points": [float(p) for p in points],
                "reference_points": float(reference),
            }
            for name, binning, points, reference in zip(
                model.features_,
                model.binning_.bins_,
                model.bin_points_,
                model.reference_points_,
                strict=True,
            )
        ],
        "training": model.training_.to_dict(),
    }


def _params(model: Scorecard) -> dict[str, Any]:
    """The scorecard's parameters; ``shrinkage`` only when it is not 1 (files of unshrunk
    models are those of the dmde that did not know it)."""
    params = {p: getattr(model, p) for p in _PARAMS}
    shrinkage = getattr(model, "shrinkage", 1.0)
    if shrinkage != 1.0:
        params["shrinkage"] = float(shrinkage)
    return params


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


# --------------------------------------------------------------------------------------------
def save_model(
    model: Model, path: str | os.PathLike[str], *, training: Mapping[str, Any] | None = None
) -> str:
    """Write the model file (JSON, atomically) and return its content hash."""
    document = model_to_dict(model, training=training)
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_text(path, text, what="model file", error=ModelFileError)
    return str(document["sha256"])


def read_model_file(
    path: str | os.PathLike[str], *, verify_key: str | os.PathLike[str] | None = None
) -> ModelFile:
    """Read a model file once: its content as typed records, and the model it builds.

    The checks are those of :func:`load_model` (limits of the file, format, version, types,
    hash, policy, structure, re-derived points).

    Parameters
    ----------
    path : path
        The model file (JSON).
    verify_key : path, optional
        A public key file (PEM, Ed25519, as ``dmde keygen`` writes ``NAME.pub``). When given,
        the model must come with its signature ``<path>.sig`` by this key
        (:mod:`dmde.model.signature_file`): the file's bytes are read once, the signature is
        checked on them, and the model is built from the same bytes.

    Raises
    ------
    ModelFileError
        With the file, what is wrong and what to do.
    SignatureError
        (A ``ModelFileError``.) With ``verify_key``: no signature file, a signature by another
        key or of other bytes, a malformed signature file, or a key file that is not a PEM
        Ed25519 public key.
    PolicyError
        If the file's policy or columns include an excluded family.

    Examples
    --------
    >>> import os, tempfile
    >>> from dmde.data.synthetic import synthesize
    >>> df = synthesize(5_000, seed=1, controls=2_000)
    >>> checked = df[df["controlled"] == 1]
    >>> model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "model.json")
    ...     digest = save_model(model, path)
    ...     model_file = read_model_file(path)
    >>> model_file.sha256 == digest, model_file.routing_column, list(model_file.segments)
    (True, 'income_reporting', ['declarative', 'prefilled'])
    >>> model_file.scaling.pdo, model_file.segments["prefilled"].variables[0].name
    (20.0, 'household_type')
    """
    given: object = path  # a fitted model passed by mistake: said, not a TypeError
    if not isinstance(given, str | os.PathLike):
        checked = " (a signature is checked on the file's bytes)" if verify_key else ""
        raise ModelFileError(
            f"expected the path of a model file{checked}; got {type(given).__name__}."
        )
    raw = read_model_bytes(path)
    signature = None
    if verify_key is not None:
        signature = check_signature(raw, model_path=path, key_path=verify_key)
    model_file = model_file_from_bytes(raw, path=path)
    if signature is not None:
        check_content_hash(signature, model_file.sha256, model_path=model_file.path)
    return model_file


def model_file_from_bytes(raw: bytes, *, path: str | os.PathLike[str]) -> ModelFile:
    """The model file of bytes already read (by :func:`read_model_file`, or to be signed).

    ``path`` names the file in messages and in the records. All checks of :func:`load_model`
    but the file's own (regular file, size), which the reader of ``raw`` applied.
    """
    shown = os.fspath(path)
    document = parse_model_json(raw, shown)
    try:
        model = model_from_dict(document)
        return _records(shown, document, model)
    except (ModelFileError, PolicyError) as exc:
        raise type(exc)(f"{shown}: {exc}") from None


def load_model(
    path: str | os.PathLike[str], *, verify_key: str | os.PathLike[str] | None = None
) -> Model:
    """Read a model file, checking format, version, hash, policy and structure.

    Parameters
    ----------
    path : path
        The model file (JSON).
    verify_key : path, optional
        A public key file: the model must be signed by it (see :func:`read_model_file`).

    Raises
    ------
    ModelFileError
        With the file, what is wrong and what to do (a ``SignatureError`` for a signature that
        is missing or refused).
    PolicyError
        If the file's policy or columns include an excluded family.
    """
    return read_model_file(path, verify_key=verify_key).model


def _records(path: str, document: Mapping[str, Any], model: Model) -> ModelFile:
    try:
        return model_file_records(path, document, model)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        if isinstance(exc, PolicyError | ModelFileError):
            raise
        raise ModelFileError(f"malformed model file: {type(exc).__name__}: {exc}.") from None


def model_from_dict(document: Any) -> Model:
    """Rebuild a model from a model file's content (all checks of :func:`load_model`)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f'not a dmde model file (expected "format": "{FORMAT}").')
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ModelFileError(
            f"field format_version: expected an integer (this dmde reads {FORMAT_VERSION}); got "
            f"{version!r}."
        )
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"unknown format version {version!r}: this dmde ({__version__}) reads version "
            f"{FORMAT_VERSION}. Use the dmde version that wrote the file "
            f"({document.get('dmde_version', 'unknown')}) or retrain."
        )
    check_document(document)
    expected = document.get("sha256")
    try:
        actual = content_hash(document)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"malformed model file: {exc}.") from None
    if expected != actual:
        raise ModelFileError(
            "the content hash does not match: the file was changed after it was saved "
            f"(recorded {str(expected)[:12]}..., computed {actual[:12]}...). Use the file as "
            "saved by 'dmde train', or retrain."
        )
    try:
        model = _build(document)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, PolicyError | ModelFileError):
            raise
        raise ModelFileError(f"malformed model file: {type(exc).__name__}: {exc}.") from None
    check_points(document)
    model.model_sha256_ = actual  # which file scored: recorded in every run manifest
    return model


def _build(document: Mapping[str, Any]) -> Model:
    policy = FeaturePolicy.from_dict(document["policy"])
    features = policy.check(document["features"])
    scaling = PointsScaling.from_dict(document["scaling"])
    routing = document["routing"]
    segments = document["segments"]
    if list(segments) != list(routing["segments"]):
        raise ModelFileError("the segments do not match the routing's list of segments.")
    models = {
        name: _scorecard_from_dict(seg, policy=policy, scaling=scaling)
        for name, seg in segments.items()
    }
    for name, model in models.items():
        extra = set(model.features_) - set(features)
        if extra:
            raise ModelFileError(
                f"segment {name!r} reads {', '.join(sorted(extra))}, not in the file's features."
            )
    if routing["column"] is None:
        if list(models) != ["all"]:
            raise ModelFileError("a model without routing must have one segment, 'all'.")
        return models["all"]
    _check_routing(routing["column"])
    family = ScorecardFamily(
        scorecard=Scorecard(policy=policy, scaling=scaling), segment_column=routing["column"]
    )
    family.segments_ = tuple(models)
    family.models_ = models
    family.features_ = tuple(features)
    family.classes_ = next(iter(models.values())).classes_
    return family


def _scorecard_from_dict(
    data: Mapping[str, Any], *, policy: FeaturePolicy, scaling: PointsScaling
) -> Scorecard:
    features = policy.check(data["features"])
    params = {p: data["params"][p] for p in _PARAMS}
    shrinkage = data["params"].get("shrinkage", 1.0)  # absent: an unshrunk model
    model = Scorecard(
        features=list(features), policy=policy, scaling=scaling, shrinkage=shrinkage, **params
    )
    variables = data["variables"]
    if [v["name"] for v in variables] != list(features):
        raise ModelFileError("the variables do not match the segment's features.")
    bins = [FeatureBinning.from_dict(v["binning"]) for v in variables]
    for v, b in zip(variables, bins, strict=True):
        if len(v["points"]) != b.n_bins:
            raise ModelFileError(
                f"variable {v['name']!r} has {len(v['points'])} points for {b.n_bins} bins."
            )
    binning = WoEBinning(
        max_prebins=params["max_prebins"],
        min_bin_share=params["min_bin_share"],
        monotonic_trend=params["monotonic_trend"],
        rare_level_share=params["rare_level_share"],
    )
    binning.bins_ = bins
    binning.n_features_in_ = len(features)
    binning.feature_names_in_ = np.asarray(features, dtype=object)
    model.binning_ = binning
    model.features_ = tuple(features)
    model.catalog_features_ = True
    model.n_features_in_ = len(features)
    model.feature_names_in_ = np.asarray(features, dtype=object)
    model.classes_ = np.asarray(data["classes"])
    terms = [c["term"] for c in data["coefficients"]]
    if terms != ["intercept", *features]:
        raise ModelFileError("the coefficients do not match the segment's features.")
    model.intercept_ = np.array([float(data["intercept"])])
    model.coef_ = np.array([[float(c["coefficient"]) for c in data["coefficients"][1:]]])
    model.std_errors_ = np.array([float(c["std_error"]) for c in data["coefficients"]])
    model.scaling_ = scaling
    model.intercept_points_ = float(data["intercept_points"])
    model.bin_points_ = tuple(np.asarray(v["points"], dtype=np.float64) for v in variables)
    model.reference_points_ = np.array([float(v["reference_points"]) for v in variables])
    model.training_ = TrainingSummary(**data["training"])
    return model
