"""A model file read and checked, as the published tables that score: no estimator is built.

Scoring needs what a model file publishes: for each segment, the bins of each feature, the
points of each bin, the reference points (reasons are measured above them) and the intercept's
points, with the scaling that turns points into a probability. :func:`read_published_model`
reads a model file and checks it exactly as :func:`~dmde.model.model_file.load_model` does
(limits of the file, format, version, types, hash, policy, structure, re-derived points, and the
signature with ``verify_key``), and returns these tables as a :class:`PublishedModel`, without
building the scorecards: numpy, the catalog and the checks, not scikit-learn, so ``dmde score``
starts in a fraction of the time. :func:`dmde.model.model_file.build_model` builds the estimators
from a :class:`PublishedModel` (:func:`~dmde.model.model_file.load_model` reads files this way),
so both readers accept and refuse the same files with the same messages.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from dmde._version import __version__
from dmde.core.errors import PolicyError
from dmde.data.catalog import FeaturePolicy, check_routing_column
from dmde.model.bins import FeatureBinning
from dmde.model.model_file_checks import (
    ModelFileError,
    check_document,
    check_points,
    parse_model_json,
    read_model_bytes,
)
from dmde.model.scaling import PointsScaling
from dmde.model.signature_file import check_content_hash, check_signature

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "PublishedModel",
    "PublishedScorecard",
    "check_model",
    "content_hash",
    "published_model_from_bytes",
    "read_published_model",
]

#: The ``format`` field of a model file.
FORMAT = "dmde.model"
#: The model file format this version writes and reads; other versions are refused.
FORMAT_VERSION = 1
#: A scorecard's parameters, as a model file lists them (``shrinkage`` apart).
PARAMS = ("max_prebins", "min_bin_share", "monotonic_trend", "rare_level_share", "C", "max_iter")

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PublishedScorecard:
    """One segment's scorecard as its model file publishes it (checked).

    Attributes
    ----------
    name : str
        The segment (``"all"`` for a model without routing).
    features : tuple of str
        The columns it reads, in its order.
    binnings : tuple of FeatureBinning
        The bins of each feature.
    points : tuple of ndarray
        The published points of each feature's bins (the missing-value bin last).
    reference_points : ndarray
        Each feature's reference points (reasons are points above it).
    intercept_points : float
    scaling : PointsScaling
        Points to probability.
    params : mapping of str to object
        The scorecard's parameters as written (``shrinkage`` 1 when absent).
    classes : list
        The target's two classes.
    intercept : float
    coefficients, std_errors : ndarray
        The regression's coefficients (one per feature) and standard errors (intercept first).
    training : mapping of str to object
        The segment's training summary as written.
    """

    name: str
    features: tuple[str, ...]
    binnings: tuple[FeatureBinning, ...]
    points: tuple[FloatArray, ...]
    reference_points: FloatArray
    intercept_points: float
    scaling: PointsScaling
    params: Mapping[str, Any]
    classes: list[Any]
    intercept: float
    coefficients: FloatArray
    std_errors: FloatArray
    training: Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class PublishedModel:
    """A checked model file's tables: what scoring reads, no estimator built.

    Attributes
    ----------
    path : str
        The file as given ("" when checked from its content alone).
    sha256 : str
        The content hash (checked).
    policy : FeaturePolicy
    features : tuple of str
        Every column the model reads, over all segments.
    routing_column : str or None
        The column that routes rows to their segment; None for a single scorecard.
    segments : mapping of str to PublishedScorecard
        In the file's order.
    document : mapping of str to object
        The file's checked content.

    Examples
    --------
    >>> import os, tempfile
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.model_file import save_model
    >>> from dmde.model.scorecard import ScorecardFamily
    >>> df = synthesize(5_000, seed=1, controls=2_000)
    >>> checked = df[df["controlled"] == 1]
    >>> model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     digest = save_model(model, os.path.join(tmp, "model.json"))
    ...     published = read_published_model(os.path.join(tmp, "model.json"))
    >>> published.sha256 == digest, published.routing_column, list(published.segments)
    (True, 'income_reporting', ['declarative', 'prefilled'])
    """

    path: str
    sha256: str
    policy: FeaturePolicy
    features: tuple[str, ...]
    routing_column: str | None
    segments: Mapping[str, PublishedScorecard]
    document: Mapping[str, Any]

    @property
    def by_period(self) -> bool:
        """Whether the file holds two scorecards by period (:mod:`dmde.model.periods`), which
        combine by the month: scored by the estimator, not by tables per segment."""
        return "periods" in self.document


def content_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``document`` without its ``sha256`` field."""
    body = {k: v for k, v in document.items() if k != "sha256"}
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_published_model(
    path: str | os.PathLike[str], *, verify_key: str | os.PathLike[str] | None = None
) -> PublishedModel:
    """Read a model file once and check it, as :func:`~dmde.model.model_file.read_model_file`
    does, without building its estimators.

    Parameters
    ----------
    path : path
        The model file (JSON).
    verify_key : path, optional
        A public key file: the model must come with its signature ``<path>.sig`` by this key,
        checked on the bytes the tables are then read from.

    Raises
    ------
    ModelFileError
        With the file, what is wrong and what to do (a ``SignatureError`` for a signature that
        is missing or refused).
    PolicyError
        If the file's policy or columns include an excluded family.
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
    published = published_model_from_bytes(raw, path=path)
    if signature is not None:
        check_content_hash(signature, published.sha256, model_path=published.path)
    return published


def published_model_from_bytes(raw: bytes, *, path: str | os.PathLike[str]) -> PublishedModel:
    """The checked tables of a model file's bytes, already read (``path`` names the file in
    messages): every check of :func:`read_published_model` but the file's own and the
    signature's."""
    shown = os.fspath(path)
    document = parse_model_json(raw, shown)
    try:
        return check_model(document, path=shown)
    except (ModelFileError, PolicyError) as exc:
        raise type(exc)(f"{shown}: {exc}") from None


def check_model(document: Any, *, path: str = "") -> PublishedModel:
    """Check a model file's parsed content and return its tables: format, version, types,
    hash, policy, structure and re-derived points, in this order (messages without the path).
    """
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
        published = _tables(document, path=path, sha256=actual)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, PolicyError | ModelFileError):
            raise
        raise ModelFileError(f"malformed model file: {type(exc).__name__}: {exc}.") from None
    check_points(document)
    return published


def _tables(document: Mapping[str, Any], *, path: str, sha256: str) -> PublishedModel:
    policy = FeaturePolicy.from_dict(document["policy"])
    features = policy.check(document["features"])
    scaling = PointsScaling.from_dict(document["scaling"])
    routing = document["routing"]
    segments = document["segments"]
    if list(segments) != list(routing["segments"]):
        raise ModelFileError("the segments do not match the routing's list of segments.")
    scorecards = {
        name: _scorecard(name, seg, policy=policy, scaling=scaling)
        for name, seg in segments.items()
    }
    for name, scorecard in scorecards.items():
        extra = set(scorecard.features) - set(features)
        if extra:
            raise ModelFileError(
                f"segment {name!r} reads {', '.join(sorted(extra))}, not in the file's features."
            )
    if "periods" in document:
        pass  # two models by period: dmde.model.periods checks them as it builds them
    elif routing["column"] is None:
        if list(scorecards) != ["all"]:
            raise ModelFileError("a model without routing must have one segment, 'all'.")
    else:
        check_routing_column(routing["column"])
    return PublishedModel(
        path=path,
        sha256=sha256,
        policy=policy,
        features=tuple(features),
        routing_column=routing["column"],
        segments=MappingProxyType(scorecards),
        document=document,
    )


def _scorecard(
    name: str, data: Mapping[str, Any], *, policy: FeaturePolicy, scaling: PointsScaling
) -> PublishedScorecard:
    features = policy.check(data["features"])
    params = {p: data["params"][p] for p in PARAMS}
    params["shrinkage"] = data["params"].get("shrinkage", 1.0)  # absent: an unshrunk model
    variables = data["variables"]
    if [v["name"] for v in variables] != list(features):
        raise ModelFileError("the variables do not match the segment's features.")
    bins = [FeatureBinning.from_dict(v["binning"]) for v in variables]
    for v, b in zip(variables, bins, strict=True):
        if len(v["points"]) != b.n_bins:
            raise ModelFileError(
                f"variable {v['name']!r} has {len(v['points'])} points for {b.n_bins} bins."
            )
    classes = list(data["classes"])
    terms = [c["term"] for c in data["coefficients"]]
    if terms != ["intercept", *features]:
        raise ModelFileError("the coefficients do not match the segment's features.")
    return PublishedScorecard(
        name=name,
        features=tuple(features),
        binnings=tuple(bins),
        points=tuple(np.asarray(v["points"], dtype=np.float64) for v in variables),
        reference_points=np.array([float(v["reference_points"]) for v in variables]),
        intercept_points=float(data["intercept_points"]),
        scaling=scaling,
        params=MappingProxyType(params),
        classes=classes,
        intercept=float(data["intercept"]),
        coefficients=np.array([float(c["coefficient"]) for c in data["coefficients"][1:]]),
        std_errors=np.array([float(c["std_error"]) for c in data["coefficients"]]),
        training=MappingProxyType(dict(data["training"])),
    )
