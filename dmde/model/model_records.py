"""The content of a model file as typed, frozen records, built from one parse of the file.

:func:`dmde.model.model_file.read_model_file` reads the JSON once, checks it as
:func:`~dmde.model.model_file.load_model` does (format, version, hash, policy, structure) and
returns a :class:`ModelFile`: the file's facts as attributes (``model_file.scaling.pdo``,
``model_file.segments["prefilled"].variables[0].points``) beside the model it builds. Documents
that describe or compare model files read these attributes, never the JSON by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dmde.model.binning import FeatureBinning
from dmde.model.scaling import PointsScaling
from dmde.model.scorecard import Scorecard, ScorecardFamily, TrainingSummary

__all__ = [
    "Coefficient",
    "ModelFile",
    "PolicyRecord",
    "SegmentRecord",
    "TrainingRecord",
    "VariableRecord",
    "model_file_records",
]

Model = Scorecard | ScorecardFamily


@dataclass(frozen=True)
class PolicyRecord:
    """The feature policy as the file records it (the reasons are those of the dmde that wrote it).

    Attributes
    ----------
    name : str
    allowed_families : tuple of str
        As listed in the file (sorted).
    removed_columns : tuple of str
    excluded_families : mapping of str to str
        Each excluded family and the reason it is excluded, in the file's order.
    features : tuple of str
        Every column the policy admits as a feature (not only those the model reads).
    """

    name: str
    allowed_families: tuple[str, ...]
    removed_columns: tuple[str, ...]
    excluded_families: Mapping[str, str]
    features: tuple[str, ...]


@dataclass(frozen=True)
class Coefficient:
    """One term of a segment's logistic regression on the WoE scale (the intercept first)."""

    term: str
    coefficient: float
    std_error: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class VariableRecord:
    """One feature of a segment: its bins, their labels and published points.

    Attributes
    ----------
    name, label : str
        The column and its readable label.
    binning : FeatureBinning
        The bins (edges or level groups), with the weighted counts and events of training.
    bin_labels : tuple of str
        One per bin, the missing-value bin last.
    points : tuple of float
        The published points of each bin.
    reference_points : float
        The weighted mean points of the feature on the training rows (reasons are measured
        above it).
    """

    name: str
    label: str
    binning: FeatureBinning
    bin_labels: tuple[str, ...]
    points: tuple[float, ...]
    reference_points: float


@dataclass(frozen=True)
class SegmentRecord:
    """One segment's scorecard as published in the file.

    Attributes
    ----------
    name : str
        The segment (``"all"`` for a model without routing).
    features : tuple of str
        The columns this segment's scorecard reads.
    params : mapping of str to object
        The scorecard's parameters as written (``max_prebins``, ``min_bin_share``,
        ``monotonic_trend``, ``rare_level_share``, ``C``, ``max_iter``, and ``shrinkage`` when
        it is not 1).
    classes : tuple
        The target's two classes.
    intercept, intercept_points : float
    coefficients : tuple of Coefficient
        The intercept first, then one per feature.
    variables : tuple of VariableRecord
    training : TrainingSummary
        Rows, events, weighted base rate and sum of weights of the segment.
    """

    name: str
    features: tuple[str, ...]
    params: Mapping[str, Any]
    classes: tuple[Any, ...]
    intercept: float
    intercept_points: float
    coefficients: tuple[Coefficient, ...]
    variables: tuple[VariableRecord, ...]
    training: TrainingSummary

    @property
    def shrinkage(self) -> float:
        """The shrinkage of the log-odds (``params.shrinkage``; 1, none, when not written)."""
        return float(self.params.get("shrinkage", 1.0))


@dataclass(frozen=True)
class TrainingRecord:
    """What the model file records about training, summed over the segments.

    Attributes
    ----------
    rows : int
    sum_of_weights, weighted_base_rate : float
    target, date, data_file, data_sha256 : str or None
        Recorded by ``dmde train`` (:func:`dmde.model.training.training_facts`); None when absent.
    auc_train, auc_cv : float or None
        The AUC on the training rows and cross-validated; None when absent.
    facts : mapping of str to object
        Every training fact as written in the file, in its order (the fields above included).
    """

    rows: int
    sum_of_weights: float
    weighted_base_rate: float
    target: str | None
    date: str | None
    data_file: str | None
    data_sha256: str | None
    auc_train: float | None
    auc_cv: float | None
    facts: Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class ModelFile:
    """A model file read once and checked: its content as typed attributes, and its model.

    Attributes
    ----------
    path : str
        The file as given.
    format : str
        ``"dmde.model"``.
    format_version : int
    dmde_version : str
        The dmde that wrote the file.
    sha256 : str
        The content hash (checked on reading).
    policy : PolicyRecord
    features : tuple of str
        Every column the model reads, over all segments.
    routing_column : str or None
        The column that routes rows to their segment; None for a single scorecard.
    segments : mapping of str to SegmentRecord
        In the file's order.
    scaling : PointsScaling
    training : TrainingRecord
    model : Scorecard or ScorecardFamily
        The model the file builds (what :func:`~dmde.model.model_file.load_model` returns).
    """

    path: str
    format: str
    format_version: int
    dmde_version: str
    sha256: str
    policy: PolicyRecord
    features: tuple[str, ...]
    routing_column: str | None
    segments: Mapping[str, SegmentRecord]
    scaling: PointsScaling
    training: TrainingRecord
    model: Model

    @property
    def name(self) -> str:
        """The file's name, without its folder."""
        return Path(self.path).name


def model_file_records(path: str, document: Mapping[str, Any], model: Model) -> ModelFile:
    """The typed records of a model file's content, already checked by ``model_from_dict``.

    The bins are the model's own :class:`FeatureBinning` objects (built from the same JSON).
    """
    scorecards = getattr(model, "models_", None) or {"all": model}  # a family, or by period
    policy = document["policy"]
    return ModelFile(
        path=path,
        format=str(document["format"]),
        format_version=int(document["format_version"]),
        dmde_version=str(document["dmde_version"]),
        sha256=str(document["sha256"]),
        policy=PolicyRecord(
            name=str(policy["name"]),
            allowed_families=tuple(str(f) for f in policy["allowed_families"]),
            removed_columns=tuple(str(c) for c in policy.get("removed_columns", ())),
            excluded_families=_frozen(
                {str(k): str(v) for k, v in policy["excluded_families"].items()}
            ),
            features=tuple(str(c) for c in policy["features"]),
        ),
        features=tuple(str(f) for f in document["features"]),
        routing_column=document["routing"]["column"],
        segments=_frozen(
            {
                name: _segment(name, segment, scorecards[name])
                for name, segment in document["segments"].items()
            }
        ),
        scaling=PointsScaling.from_dict(document["scaling"]),
        training=_training(document["training"]),
        model=model,
    )


def _segment(name: str, data: Mapping[str, Any], scorecard: Scorecard) -> SegmentRecord:
    return SegmentRecord(
        name=name,
        features=tuple(str(f) for f in data["features"]),
        params=_frozen(dict(data["params"])),
        classes=tuple(data["classes"]),
        intercept=float(data["intercept"]),
        intercept_points=float(data["intercept_points"]),
        coefficients=tuple(
            Coefficient(
                term=str(c["term"]),
                coefficient=float(c["coefficient"]),
                std_error=float(c["std_error"]),
                ci_low=float(c["ci_low"]),
                ci_high=float(c["ci_high"]),
            )
            for c in data["coefficients"]
        ),
        variables=tuple(
            VariableRecord(
                name=str(v["name"]),
                label=str(v["label"]),
                binning=binning,
                bin_labels=tuple(str(label) for label in v["bin_labels"]),
                points=tuple(float(p) for p in v["points"]),
                reference_points=float(v["reference_points"]),
            )
            for v, binning in zip(data["variables"], scorecard.binning_.bins_, strict=True)
        ),
        training=TrainingSummary(
            rows=int(data["training"]["rows"]),
            events=int(data["training"]["events"]),
            weighted_base_rate=float(data["training"]["weighted_base_rate"]),
            sum_of_weights=float(data["training"]["sum_of_weights"]),
        ),
    )


def _training(data: Mapping[str, Any]) -> TrainingRecord:
    return TrainingRecord(
        rows=int(data["rows"]),
        sum_of_weights=float(data["sum_of_weights"]),
        weighted_base_rate=float(data["weighted_base_rate"]),
        target=_text(data.get("target")),
        date=_text(data.get("date")),
        data_file=_text(data.get("data_file")),
        data_sha256=_text(data.get("data_sha256")),
        auc_train=_number(data.get("auc_train")),
        auc_cv=_number(data.get("auc_cv")),
        facts=_frozen(dict(data)),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _frozen(mapping: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(mapping)
