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

Reading and checking are :mod:`dmde.model.published_model`'s (numpy only: ``dmde score`` reads
a model file there, as tables, without building estimators); this module builds the scorecards
from the same checked content, and writes model files.

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
from dmde.model.binning import WoEBinning
from dmde.model.model_file_checks import ModelFileError
from dmde.model.model_records import ModelFile, model_file_records
from dmde.model.periods import PeriodScorecards, periods_from_record
from dmde.model.published_model import (
    FORMAT,
    FORMAT_VERSION,
    PARAMS,
    PublishedModel,
    PublishedScorecard,
    check_model,
    content_hash,
    published_model_from_bytes,
    read_published_model,
)
from dmde.model.scorecard import (
    Scorecard,
    ScorecardFamily,
    TrainingSummary,
    bin_labels,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ModelFile",
    "ModelFileError",
    "build_model",
    "content_hash",
    "frame_sha256",
    "load_model",
    "model_file_from_bytes",
    "model_from_dict",
    "model_to_dict",
    "read_model_file",
    "save_model",
]

_PARAMS = PARAMS

Model = Scorecard | ScorecardFamily | PeriodScorecards


# --------------------------------------------------------------------------------------------
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
    elif isinstance(model, PeriodScorecards):  # two models by period: a ``periods`` block
        models = model.models_
        routing = {"column": model.month_column, "segments": list(model.periods_)}
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
    if isinstance(model, PeriodScorecards):
        document["periods"] = model.periods_record()
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
    return _model_file(read_published_model(path, verify_key=verify_key))


def model_file_from_bytes(raw: bytes, *, path: str | os.PathLike[str]) -> ModelFile:
    """The model file of bytes already read (by :func:`read_model_file`, or to be signed).

    ``path`` names the file in messages and in the records. All checks of :func:`load_model`
    but the file's own (regular file, size), which the reader of ``raw`` applied.
    """
    return _model_file(published_model_from_bytes(raw, path=path))


def _model_file(published: PublishedModel) -> ModelFile:
    """The records and the model of a checked model file (errors name the file)."""
    try:
        return _records(published.path, published.document, build_model(published))
    except (ModelFileError, PolicyError) as exc:
        raise type(exc)(f"{published.path}: {exc}") from None


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
    return build_model(check_model(document))


def build_model(published: PublishedModel) -> Model:
    """The model a checked model file builds (the checks are
    :func:`~dmde.model.published_model.check_model`'s).

    The model records the file's hash as ``model_sha256_``: which file scored, recorded in
    every run manifest.
    """
    try:
        model = _build(published)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, PolicyError | ModelFileError):
            raise
        raise ModelFileError(f"malformed model file: {type(exc).__name__}: {exc}.") from None
    model.model_sha256_ = published.sha256
    return model


def _build(published: PublishedModel) -> Model:
    policy = published.policy
    models = {
        name: _scorecard_from_tables(seg, policy=policy) for name, seg in published.segments.items()
    }
    scaling = next(iter(published.segments.values())).scaling
    if "periods" in published.document:  # two models by period (dmde.model.periods)
        return periods_from_record(
            published.document["periods"],
            models,
            routing_column=published.routing_column,
            template=Scorecard(policy=policy, scaling=scaling),
        )
    if published.routing_column is None:
        return models["all"]
    family = ScorecardFamily(
        scorecard=Scorecard(policy=policy, scaling=scaling),
        segment_column=published.routing_column,
    )
    family.segments_ = tuple(models)
    family.models_ = models
    family.features_ = tuple(published.features)
    family.classes_ = next(iter(models.values())).classes_
    return family


def _scorecard_from_tables(data: PublishedScorecard, *, policy: FeaturePolicy) -> Scorecard:
    features = list(data.features)
    params = {p: data.params[p] for p in _PARAMS}
    model = Scorecard(
        features=list(features),
        policy=policy,
        scaling=data.scaling,
        shrinkage=data.params["shrinkage"],
        **params,
    )
    binning = WoEBinning(
        max_prebins=params["max_prebins"],
        min_bin_share=params["min_bin_share"],
        monotonic_trend=params["monotonic_trend"],
        rare_level_share=params["rare_level_share"],
    )
    binning.bins_ = list(data.binnings)
    binning.n_features_in_ = len(features)
    binning.feature_names_in_ = np.asarray(features, dtype=object)
    model.binning_ = binning
    model.features_ = tuple(features)
    model.catalog_features_ = True
    model.n_features_in_ = len(features)
    model.feature_names_in_ = np.asarray(features, dtype=object)
    model.classes_ = np.asarray(data.classes)
    model.intercept_ = np.array([data.intercept])
    model.coef_ = np.array([data.coefficients])
    model.std_errors_ = data.std_errors.copy()
    model.scaling_ = data.scaling
    model.intercept_points_ = data.intercept_points
    model.bin_points_ = tuple(p.copy() for p in data.points)
    model.reference_points_ = data.reference_points.copy()
    model.training_ = TrainingSummary(**data.training)
    return model
