"""What the model's public description and its model card say, as data.

:func:`dmde.documents.describe.describe_model` builds a :class:`ModelDescription` from the model
file (and the optional measured lift and audit summary); :mod:`dmde.documents.description_document`
and :mod:`dmde.documents.model_card` render it. :class:`DescribeError` is the error of every
step of the description.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from dmde.core.errors import DmdeError

__all__ = [
    "AucEstimate",
    "AuditFinding",
    "AuditFlag",
    "AuditSummary",
    "DescribeError",
    "Exclusion",
    "LiftEstimate",
    "ModelDescription",
    "PointsRow",
    "SegmentSummary",
]


class DescribeError(DmdeError, ValueError):
    """Input that the model description cannot use (the message says which and what to do)."""


@dataclass(frozen=True)
class PointsRow:
    """One published line of a scorecard: a bin of a variable (or the intercept) and its points.

    ``share`` is the (survey-weighted) share of the training files of the segment in the bin
    and ``event_rate`` their rate of the target (NaN for an empty bin; the intercept's are the
    segment's share 1 and base rate).
    """

    segment: str
    feature: str
    label: str
    bin: int
    bin_label: str
    points: float
    share: float
    event_rate: float


@dataclass(frozen=True)
class SegmentSummary:
    """One scorecard of the model: the segment it scores and what it was trained on."""

    name: str
    rows: int
    events: int
    weighted_base_rate: float
    sum_of_weights: float
    n_features: int
    intercept_points: float
    shrinkage: float = 1.0


@dataclass(frozen=True)
class Exclusion:
    """Columns the model does not read, and why (``kind`` says by what rule)."""

    kind: str
    family: str
    columns: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class AucEstimate:
    """An AUC with its 95% Hanley-McNeil interval and the counts it rests on."""

    name: str
    value: float
    low: float
    high: float
    n_pos: float
    n_neg: float


@dataclass(frozen=True)
class LiftEstimate:
    """Lift and hit rate at a budget share, measured on a random-control sample.

    Rates are survey-weighted over the randomly checked files with a known target; intervals
    are 95% percentile intervals of ``n_boot`` bootstrap resamples of those files (seed
    ``seed``); the AUC's interval is Hanley-McNeil's with Kish's effective counts.
    """

    data: str
    share: float
    n_files: int
    budget: int
    n_checked: int
    n_events: int
    n_checked_selected: int
    n_events_selected: int
    base_rate: float
    hit_rate: float
    hit_low: float
    hit_high: float
    lift: float
    lift_low: float
    lift_high: float
    captured: float
    captured_low: float
    captured_high: float
    auc: AucEstimate
    n_boot: int
    seed: int
    same_name_as_training: bool


@dataclass(frozen=True)
class AuditFlag:
    """One disparity flagged by the audit report."""

    attribute: str
    group: str
    reference: str
    metric: str
    ratio: float
    ratio_low: float
    ratio_high: float
    p_adjusted: float
    sentence: str


@dataclass(frozen=True)
class AuditFinding:
    """One finding of the audit report: its number, verdict class, group and sentence."""

    finding: int
    verdict: str
    attribute: str
    group: str
    sentence: str


@dataclass(frozen=True)
class AuditSummary:
    """The findings and flags of an audit report of this model, and where the report is.

    ``findings`` is None for a report written before the audit reached findings (format 1);
    ``tested`` is the number of comparisons the audit tested (None when not recorded).
    """

    report: str
    model_sha256: str
    flags: tuple[AuditFlag, ...]
    findings: tuple[AuditFinding, ...] | None = None
    tested: int | None = None


@dataclass(frozen=True)
class ModelDescription:
    """Everything the public description and the model card say, as data."""

    name: str
    sha256: str
    dmde_version: str
    format_version: int
    policy: Mapping[str, Any]
    features: tuple[str, ...]
    routing_column: str | None
    segments: tuple[SegmentSummary, ...]
    points: tuple[PointsRow, ...]
    coefficients: tuple[Mapping[str, Any], ...]
    scaling: Mapping[str, Any]
    training: Mapping[str, Any]
    exclusions: tuple[Exclusion, ...]
    aucs: tuple[AucEstimate, ...]
    budget_share: float
    lift: LiftEstimate | None
    audit: AuditSummary | None
    #: Two models by period (:mod:`dmde.model.periods`): the reform month, the window, the
    #: rule and, for a few months, which model scores which period with what weight (see
    #: ``dmde.documents.describe.period_facts``); None for a model routed per file.
    periods: Mapping[str, Any] | None = None

    @property
    def target(self) -> str:
        return str(self.training.get("target", "target"))

    @property
    def action(self) -> str:
        """What the files the model ranks highest are selected for: "outreach" for a rights
        model (its training facts record it), else "check"."""
        return "outreach" if self.training.get("action") == "outreach" else "check"

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.segments)

    @property
    def events(self) -> int:
        return sum(s.events for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content (the ``data`` of the JSON renderings).

        A segment's ``shrinkage`` is given only when it is not 1 (the content of the documents
        of unshrunk models is that of the dmde that did not know it).
        """
        data = asdict(self)
        if data["periods"] is None:  # the documents of other models, as before
            del data["periods"]
        for segment in data["segments"]:
            if segment["shrinkage"] == 1.0:
                del segment["shrinkage"]
        return data
