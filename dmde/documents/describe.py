"""The model's public description and its model card, written from the model file.

French law asks an administration to publish the rules of the main algorithms behind its
individual decisions and their main characteristics (article L312-1-3 of the Code des relations
entre le public et l'administration). :func:`document_model` writes that description from the
model file alone, so that what is published is what scores:

- purpose and use; the target; the training data; every variable with every bin and its points
  (the full scorecard of every segment, the intercept included); the data the model may not read
  and why; performance with intervals; a fairness summary linking the audit report; limits and
  known risks; version and content hash;
- a model card in the sections model cards use (Mitchell et al., 2019): details, intended use,
  factors, metrics, training and evaluation data, quantitative analyses, ethical
  considerations, caveats and recommendations.

As everywhere in dmde, the description is data first (:class:`ModelDescription`, built by
:func:`describe_model`) and rendered second (:func:`description_document`,
:func:`model_card_document`, written by :func:`write_description` as HTML, Markdown and JSON).
The same inputs give byte-identical files: no date or path of the run is written.

Two figures need more than the model file:

- the **lift at the budget** needs labelled data: a population file with its random-control
  sample (``controlled``, ``target``, ``control_weight``). The top ``budget_share`` of its files
  are selected as ``dmde select`` would (same tie rule); the lift is the hit rate of the
  randomly checked files among them over the hit rate of all randomly checked files (survey
  weights), with a bootstrap interval over the checked files (:func:`lift_at_share`);
- the **fairness summary** reads the JSON of a report written by ``dmde audit``, refuses one of
  another model (its ``data.model_sha256`` must be this file's hash) and links to the HTML.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde._version import __version__
from dmde.batch.scoring import needed_columns, score_frame
from dmde.batch.selection import select
from dmde.core.errors import DmdeError
from dmde.core.rendering import (
    Column,
    Document,
    Facts,
    Items,
    Links,
    Paragraph,
    Section,
    Table,
    format_value,
    write_document,
)
from dmde.core.stats import auc_interval
from dmde.data.catalog import CATALOG, NON_FEATURE_FAMILIES, Family, columns_of
from dmde.data.datasets import BATCH_ROWS, file_columns, iter_batches
from dmde.model.model_file import load_model
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = [
    "BUDGET_SHARE",
    "TOP_FLAGS",
    "AucEstimate",
    "AuditFinding",
    "AuditFlag",
    "AuditSummary",
    "DescribeError",
    "Exclusion",
    "LiftEstimate",
    "ModelDescription",
    "ModelFile",
    "PointsRow",
    "SegmentSummary",
    "auc_interval",
    "describe_model",
    "description_document",
    "document_model",
    "lift_at_share",
    "model_card_document",
    "read_audit_summary",
    "read_model_file",
    "score_population",
    "write_description",
]

Model = Scorecard | ScorecardFamily
FloatArray = npt.NDArray[np.float64]

#: Assumed share of the files selected by the score for a check: about 166,000 score-driven
#: checks a year among 13.8 million files (public figures, see DESIGN.md). An assumption: pass
#: the agency's own share (``--budget-share``).
BUDGET_SHARE = 0.012

#: The file names :func:`write_description` writes in the output folder (stems).
DESCRIPTION_STEM = "description"
MODEL_CARD_STEM = "model-card"

_LABEL_COLUMNS = ("controlled", "target", "control_weight")
_SCORE_COLUMNS = ("dossier_id", "caf_code", "score", "probability")


class DescribeError(DmdeError, ValueError):
    """Input that the model description cannot use (the message says which and what to do)."""


# --------------------------------------------------------------------------------------------
# The model file
@dataclass(frozen=True)
class ModelFile:
    """A model file read and checked: its JSON content and the model it builds."""

    path: str
    document: Mapping[str, Any]
    model: Model

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def sha256(self) -> str:
        return str(self.document["sha256"])


def read_model_file(path: str | os.PathLike[str]) -> ModelFile:
    """Read a model file with every check of :func:`dmde.model.model_file.load_model`.

    Raises
    ------
    ModelFileError, PolicyError
        As :func:`~dmde.model.model_file.load_model` (missing file, edited file, excluded column...).
    """
    model = load_model(path)  # checks format, version, hash, policy and structure
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return ModelFile(os.fspath(path), document, model)


# --------------------------------------------------------------------------------------------
# Data of the description
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

    @property
    def target(self) -> str:
        return str(self.training.get("target", "target"))

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.segments)

    @property
    def events(self) -> int:
        return sum(s.events for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content (the ``data`` of the JSON renderings)."""
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Computations
def _check_share(share: float) -> float:
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        raise DescribeError(
            f"budget_share must be a number in (0, 1), the share of the files selected for a "
            f"check; got {share!r}. The default, {BUDGET_SHARE}, assumes about 166,000 "
            "score-driven checks among 13.8 million files."
        )
    return float(share)


def _weighted_auc(y: FloatArray, score: FloatArray, weight: FloatArray) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return math.nan
    return float(roc_auc_score(y, score, sample_weight=weight))


def _kish(weight: FloatArray) -> float:
    total = float(weight.sum())
    squares = float((weight**2).sum())
    return total**2 / squares if squares > 0 else 0.0


def lift_at_share(
    scores: pd.DataFrame,
    *,
    share: float = BUDGET_SHARE,
    n_boot: int = 1000,
    seed: int = 0,
    data: str = "",
    same_name_as_training: bool = False,
) -> LiftEstimate:
    """Lift, hit rate and captured share at a budget share, on a random-control sample.

    The top ``floor(share * n_files)`` files are selected as :func:`dmde.batch.selection.select`
    does (tie seed 0, as ``dmde select``). Among the files of the random-control sample
    (``controlled == 1`` with a known ``target``), weighted by ``control_weight``: the hit rate
    of those selected, the base rate of all, their ratio (the lift), and the share of the
    weighted overpayments that the selection holds (captured).

    Parameters
    ----------
    scores : DataFrame
        One row per file of the population: ``dossier_id``, ``caf_code``, ``score``,
        ``probability``, ``controlled``, ``target``, ``control_weight``.
    share : float
        Share of the files selected, in (0, 1).
    n_boot : int
        Bootstrap resamples of the checked files (0: no interval).
    seed : int
        Seed of the bootstrap.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 20_000
    >>> score = rng.normal(500, 20, n)
    >>> checked = rng.random(n) < 0.3
    >>> target = np.where(checked, rng.random(n) < 1 / (1 + np.exp(-(score - 540) / 10)), np.nan)
    >>> frame = pd.DataFrame({"dossier_id": np.arange(1, n + 1), "caf_code": "75",
    ...     "score": score, "probability": 0.1, "controlled": checked.astype(int),
    ...     "target": target, "control_weight": np.where(checked, 3.3, np.nan)})
    >>> estimate = lift_at_share(frame, share=0.05, n_boot=200, seed=1)
    >>> estimate.budget, estimate.lift > 3, estimate.lift_low < estimate.lift < estimate.lift_high
    (1000, True, True)
    """
    share = _check_share(share)
    missing = [c for c in (*_SCORE_COLUMNS, *_LABEL_COLUMNS) if c not in scores.columns]
    if missing:
        raise DescribeError(f"the scores have no column {', '.join(missing)}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0:
        raise DescribeError(f"n_boot must be a whole number of at least 0; got {n_boot!r}.")
    chosen = select(scores[list(_SCORE_COLUMNS)], share=share)
    selected = np.isin(scores["dossier_id"].to_numpy(), chosen.frame["dossier_id"].to_numpy())
    checked, y, weight = _random_checks(scores, data)
    s = selected[checked].astype(float)
    point = _lift_parts(np.ones((1, len(y))), y, s, weight)[0]
    (hit_low, lift_low, cap_low), (hit_high, lift_high, cap_high) = _intervals(
        _bootstrap(y, s, weight, n_boot=n_boot, seed=seed)
    )
    positive = y == 1
    score = scores["score"].to_numpy(dtype=float)[checked]
    auc = _weighted_auc(y, score, weight)
    n_pos, n_neg = _kish(weight[positive]), _kish(weight[~positive])
    return LiftEstimate(
        data=data,
        share=share,
        n_files=len(scores),
        budget=int(chosen.summary["selected"]),
        n_checked=int(checked.sum()),
        n_events=int(positive.sum()),
        n_checked_selected=int(s.sum()),
        n_events_selected=int((s * y).sum()),
        base_rate=float(np.average(y, weights=weight)),
        hit_rate=float(point[0]),
        hit_low=hit_low,
        hit_high=hit_high,
        lift=float(point[1]),
        lift_low=lift_low,
        lift_high=lift_high,
        captured=float(point[2]),
        captured_low=cap_low,
        captured_high=cap_high,
        auc=AucEstimate(
            "random checks of the data",
            auc,
            *auc_interval(auc, n_pos, n_neg),
            n_pos=n_pos,
            n_neg=n_neg,
        ),
        n_boot=n_boot,
        seed=seed,
        same_name_as_training=same_name_as_training,
    )


def _random_checks(
    scores: pd.DataFrame, data: str
) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray]:
    """The rows of the random-control sample with a known target, their target and weight."""
    target = pd.to_numeric(scores["target"], errors="coerce").to_numpy(dtype=float)
    checked = (scores["controlled"].to_numpy(dtype=float) == 1) & ~np.isnan(target)
    weight = pd.to_numeric(scores["control_weight"]).to_numpy(dtype=float)[checked]
    if checked.sum() == 0:
        raise DescribeError(
            f"{data or 'the data'}: no file of the random-control sample (controlled = 1 with a "
            "known target): the lift needs the labelled random checks."
        )
    bad = np.isnan(weight) | (weight <= 0)
    if bad.any():
        raise DescribeError(
            f"{data or 'the data'}: control_weight is missing or not positive on "
            f"{int(bad.sum())} checked files."
        )
    return checked, target[checked], weight


def _bootstrap(
    y: FloatArray, selected: FloatArray, weight: FloatArray, *, n_boot: int, seed: int
) -> FloatArray:
    """:func:`_lift_parts` of ``n_boot`` resamples of the checked files (100 at a time)."""
    rng = np.random.default_rng(seed)
    parts = [np.empty((0, 3))]
    for start in range(0, n_boot, 100):
        size = min(100, n_boot - start)
        counts = rng.multinomial(len(y), np.full(len(y), 1 / len(y)), size=size)
        parts.append(_lift_parts(counts.astype(float), y, selected, weight))
    return np.concatenate(parts)


def _lift_parts(
    multiplicity: FloatArray, y: FloatArray, selected: FloatArray, weight: FloatArray
) -> FloatArray:
    """Hit rate of the selected, lift and captured share, for each row of multiplicities."""
    m = multiplicity * weight
    total, events = m.sum(axis=1), m @ y
    chosen, hits = m @ selected, m @ (y * selected)
    with np.errstate(divide="ignore", invalid="ignore"):
        hit = np.where(chosen > 0, hits / chosen, np.nan)
        base = events / total
        lift = np.where(base > 0, hit / base, np.nan)
        captured = np.where(events > 0, hits / events, np.nan)
    return np.column_stack([hit, lift, captured])


def _intervals(draws: FloatArray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    nan3 = (math.nan, math.nan, math.nan)
    if len(draws) == 0:
        return nan3, nan3
    low, high = [], []
    for j in range(draws.shape[1]):
        column = draws[:, j][np.isfinite(draws[:, j])]
        if len(column) < 0.9 * len(draws):  # too many resamples without a selected file
            low.append(math.nan)
            high.append(math.nan)
            continue
        low.append(float(np.quantile(column, 0.025)))
        high.append(float(np.quantile(column, 0.975)))
    return tuple(low), tuple(high)


def _category(name: str, values: Any) -> Any:
    column = CATALOG[name]
    if column.dtype == "category":
        return pd.Categorical(values, categories=list(column.levels))
    return values


def score_population(
    path: str | os.PathLike[str],
    models: Mapping[str, Model],
    *,
    keep: Sequence[str] = (),
    batch_size: int = BATCH_ROWS,
) -> pd.DataFrame:
    """Score a population file with one or more models, streaming, as ``dmde score`` does.

    Returns
    -------
    DataFrame
        One row per file, in file order: ``dossier_id``, ``caf_code``, then for each model name
        ``score_<name>`` and ``probability_<name>`` (with one model named ``""``: ``score`` and
        ``probability``), then the ``keep`` columns (categories with the catalog's levels).

    Raises
    ------
    SchemaError
        If the file is missing, unreadable, lacks a column, or a value breaks the catalog.
    """
    needed = {c for m in models.values() for c in needed_columns(m)} | set(keep)
    columns = [c for c in CATALOG if c in needed]
    parts: list[pd.DataFrame] = []
    for batch in iter_batches(path, columns=columns, batch_size=batch_size):
        frame = pd.DataFrame(
            {c: _category(c, batch.column(c).to_numpy(zero_copy_only=False)) for c in columns}
        )
        out = pd.DataFrame(
            {"dossier_id": frame["dossier_id"].to_numpy(), "caf_code": frame["caf_code"]}
        )
        for name, model in models.items():
            scored = score_frame(model, frame, reasons=0)
            suffix = f"_{name}" if name else ""
            out[f"score{suffix}"] = scored["score"].to_numpy()
            out[f"probability{suffix}"] = scored["probability"].to_numpy()
        for c in keep:
            out[c] = frame[c]
        parts.append(out)
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------
# The audit report
def _number(value: Any) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


def read_audit_summary(
    path: str | os.PathLike[str], *, model_sha256: str, relative_to: str | os.PathLike[str]
) -> AuditSummary:
    """The flags of an audit report written by ``dmde audit``, checked against the model.

    Parameters
    ----------
    path : path
        The report's HTML or its JSON sibling (same stem); the JSON is read.
    model_sha256 : str
        The content hash of the model described: the report's ``data.model_sha256`` must match.
    relative_to : path
        The folder of the description: the link to the report is relative to it.

    Raises
    ------
    DescribeError
        If the JSON is missing or malformed, or the report is of another model.
    """
    given = Path(path)
    source = given.with_suffix(".json")
    try:
        payload = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DescribeError(
            f"{source}: no such file: the audit report's JSON (written by 'dmde audit' beside "
            "its HTML) is needed for the fairness summary."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DescribeError(f"{source}: not a readable audit report ({exc}).") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or "model_sha256" not in data:
        raise DescribeError(
            f"{source}: not a dmde audit report (no data.model_sha256). Pass the report "
            "written by 'dmde audit'."
        )
    found = str(data["model_sha256"])
    if data["model_sha256"] is None:
        raise DescribeError(
            f"{source}: the audit report was made without a model file (generic mode), so it "
            "cannot be checked against the model described. Audit this model file with "
            "'dmde audit --model' and pass that report."
        )
    if found != model_sha256:
        raise DescribeError(
            f"{source}: the audit report is of another model (sha256 {found[:12]}...), not of "
            f"the model described (sha256 {model_sha256[:12]}...). Audit this model file with "
            "'dmde audit' and pass that report."
        )
    raw = data.get("flags", [])
    if not isinstance(raw, list) or not all(isinstance(f, dict) for f in raw):
        raise DescribeError(f"{source}: data.flags must be a list of objects.")
    flags = tuple(
        AuditFlag(
            attribute=str(f.get("attribute", "")),
            group=str(f.get("group", "")),
            reference=str(f.get("reference", "")),
            metric=str(f.get("metric", "")),
            ratio=_number(f.get("ratio")),
            ratio_low=_number(f.get("ratio_low")),
            ratio_high=_number(f.get("ratio_high")),
            p_adjusted=_number(f.get("p_adjusted")),
            sentence=str(f.get("sentence", "")),
        )
        for f in raw
    )
    html = given.with_suffix(".html")
    target = html if html.exists() else source
    link = Path(os.path.relpath(target.resolve(), Path(relative_to).resolve())).as_posix()
    method = data.get("method")
    tested = method.get("n_tested") if isinstance(method, dict) else None
    return AuditSummary(
        report=link,
        model_sha256=found,
        flags=flags,
        findings=_findings(data.get("findings"), source),
        tested=int(tested) if isinstance(tested, int | float) else None,
    )


def _findings(raw: Any, source: Path) -> tuple[AuditFinding, ...] | None:
    """The report's ``data.findings`` (None for a report that has none: an older format)."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(f, dict) for f in raw):
        raise DescribeError(f"{source}: data.findings must be a list of objects.")
    if not all(isinstance(f.get("finding"), int) for f in raw):
        raise DescribeError(f"{source}: every data.findings entry needs a 'finding' number.")
    return tuple(
        AuditFinding(
            finding=int(f["finding"]),
            verdict=str(f.get("verdict", "")),
            attribute=str(f.get("attribute", "")),
            group=str(f.get("group", "")),
            sentence=str(f.get("sentence", "")),
        )
        for f in raw
    )


# --------------------------------------------------------------------------------------------
# The description
def _points_rows(name: str, segment: Mapping[str, Any]) -> list[PointsRow]:
    training = segment["training"]
    rows = [
        PointsRow(
            segment=name,
            feature="intercept",
            label="intercept",
            bin=0,
            bin_label="every file",
            points=float(segment["intercept_points"]),
            share=1.0,
            event_rate=float(training["weighted_base_rate"]),
        )
    ]
    for variable in segment["variables"]:
        counts = [float(c) for c in variable["binning"]["count"]]
        events = [float(e) for e in variable["binning"]["events"]]
        total = sum(counts)
        for b, (label, points) in enumerate(
            zip(variable["bin_labels"], variable["points"], strict=True)
        ):
            rows.append(
                PointsRow(
                    segment=name,
                    feature=str(variable["name"]),
                    label=str(variable["label"]),
                    bin=b,
                    bin_label=str(label),
                    points=float(points),
                    share=counts[b] / total if total > 0 else math.nan,
                    event_rate=events[b] / counts[b] if counts[b] > 0 else math.nan,
                )
            )
    return rows


def _exclusions(policy: Mapping[str, Any], features: Sequence[str]) -> list[Exclusion]:
    out = [
        Exclusion("excluded (published guarantee)", family, columns_of(family), str(reason))
        for family, reason in sorted(policy["excluded_families"].items())
    ]
    out += [
        Exclusion("never a feature", family.value, columns_of(family), reason)
        for family, reason in NON_FEATURE_FAMILIES.items()
    ]
    allowed = set(policy["allowed_families"])
    for family in (Family.HOUSEHOLD, Family.RESOURCES, Family.BENEFITS):
        if family.value not in allowed:
            out.append(
                Exclusion(
                    "not allowed by the policy",
                    family.value,
                    columns_of(family),
                    f"the policy {policy['name']!r} allows only {', '.join(sorted(allowed))}",
                )
            )
    removed = tuple(policy.get("removed_columns", ()))
    if removed:
        out.append(
            Exclusion(
                "removed by the policy",
                ", ".join(sorted({CATALOG[c].family.value for c in removed})),
                removed,
                f"the policy {policy['name']!r} removes these columns",
            )
        )
    unused = tuple(c for c in policy["features"] if c not in set(features))
    if unused:
        out.append(
            Exclusion(
                "admitted, not read",
                ", ".join(sorted({CATALOG[c].family.value for c in unused})),
                unused,
                "the policy admits these columns but this model was trained without them",
            )
        )
    return out


def describe_model(
    model_file: ModelFile,
    *,
    budget_share: float = BUDGET_SHARE,
    lift: LiftEstimate | None = None,
    audit: AuditSummary | None = None,
) -> ModelDescription:
    """The content of the public description, from a model file (and optional measurements).

    Examples
    --------
    >>> import tempfile, os
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.model_file import save_model
    >>> df = synthesize(20_000, seed=1, controls=4_000)
    >>> checked = df[df["controlled"] == 1]
    >>> model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_model(model, os.path.join(tmp, "model.json"))
    ...     described = describe_model(read_model_file(os.path.join(tmp, "model.json")))
    >>> [s.name for s in described.segments], described.rows
    (['declarative', 'prefilled'], 4000)
    >>> described.points[0].feature, described.points[1].feature
    ('intercept', 'household_type')
    """
    document = model_file.document
    if audit is not None and audit.model_sha256 != model_file.sha256:
        raise DescribeError("the audit summary is of another model than the model file.")
    segments = document["segments"]
    points: list[PointsRow] = []
    summaries: list[SegmentSummary] = []
    coefficients: list[dict[str, Any]] = []
    for name, segment in segments.items():
        training = segment["training"]
        summaries.append(
            SegmentSummary(
                name=name,
                rows=int(training["rows"]),
                events=int(training["events"]),
                weighted_base_rate=float(training["weighted_base_rate"]),
                sum_of_weights=float(training["sum_of_weights"]),
                n_features=len(segment["features"]),
                intercept_points=float(segment["intercept_points"]),
            )
        )
        points += _points_rows(name, segment)
        coefficients += [{"segment": name, **c} for c in segment["coefficients"]]
    training = dict(document["training"])
    events = sum(s.events for s in summaries)
    rows = sum(s.rows for s in summaries)
    aucs = []
    for key, label in (("auc_train", "training rows"), ("auc_cv", "cross-validated")):
        if isinstance(training.get(key), int | float):
            value = float(training[key])
            aucs.append(
                AucEstimate(
                    label,
                    value,
                    *auc_interval(value, events, rows - events),
                    n_pos=events,
                    n_neg=rows - events,
                )
            )
    return ModelDescription(
        name=model_file.name,
        sha256=model_file.sha256,
        dmde_version=str(document["dmde_version"]),
        format_version=int(document["format_version"]),
        policy={k: document["policy"][k] for k in ("name", "allowed_families", "removed_columns")},
        features=tuple(document["features"]),
        routing_column=document["routing"]["column"],
        segments=tuple(summaries),
        points=tuple(points),
        coefficients=tuple(coefficients),
        scaling=dict(document["scaling"]),
        training=training,
        exclusions=tuple(_exclusions(document["policy"], document["features"])),
        aucs=tuple(aucs),
        budget_share=_check_share(budget_share),
        lift=lift,
        audit=audit,
    )


# --------------------------------------------------------------------------------------------
# Rendering
def _fmt(value: Any, fmt: str) -> str:
    return format_value(value, fmt)


def _points_format(description: ModelDescription) -> str:
    return f"num{min(int(description.scaling['decimals']), 3)}"


def _interval(value: float, low: float, high: float, fmt: str) -> str:
    if not math.isfinite(low):
        return _fmt(value, fmt)
    return f"{_fmt(value, fmt)} (95% interval {_fmt(low, fmt)} to {_fmt(high, fmt)})"


def _target_text(target: str) -> str:
    column = CATALOG.get(target)
    return column.description if column is not None else target


def _scaling_text(description: ModelDescription) -> str:
    s = description.scaling
    base_points, pdo = _fmt(s["base_points"], "num0"), _fmt(s["pdo"], "num0")
    odds = float(s["base_odds"])
    shown = f"1/{_fmt(1 / odds, 'num0')}" if abs(1 / odds - round(1 / odds)) < 1e-9 else str(odds)
    return (
        f"The score of a file is the intercept's points plus, for each variable, the points of "
        f"the bin its value falls in (points rounded to {s['decimals']} decimals). Higher scores "
        f"mean a higher risk. A score of {base_points} means odds of {shown} (a probability of "
        f"{_fmt(odds / (1 + odds), 'pct1')}), and every {pdo} points double the odds: odds = "
        f"{shown} × 2^((score − {base_points}) / {pdo}), probability = odds / (1 + odds)."
    )


def _purpose_section(d: ModelDescription) -> Section:
    routing = (
        f"The model is {len(d.segments)} scorecards, one for each value of "
        f"'{d.routing_column}' ({', '.join(s.name for s in d.segments)}): each file is scored by "
        "the scorecard of its segment."
        if d.routing_column
        else "The model is one scorecard, applied to every file."
    )
    return Section(
        "purpose",
        "Purpose and use",
        (
            Paragraph(
                "The model gives each household's benefit file a risk score: how likely a check "
                "is to find an overpayment (indu) as defined below. The files are ranked by "
                "score and the highest scores are proposed for a check by an agent, within the "
                "number of checks the agency can make."
            ),
            Paragraph(
                "The score decides nothing about a person's rights: the check does, and its "
                "outcome can be contested. The score is not an estimate of fraud: most "
                "overpayments come from errors or late declarations. A person whose file was "
                "selected can ask which data were used and how each item of their situation "
                "counted (articles L311-3-1 and R311-3-1-2 of the Code des relations entre le "
                "public et l'administration)."
            ),
            Paragraph(routing),
            Paragraph(
                "dmde runs on synthetic data: this model was trained on synthetic files and its "
                "figures are not those of any agency.",
                "note",
            ),
        ),
    )


def _target_section(d: ModelDescription) -> Section:
    return Section(
        "target",
        "What the score predicts",
        (
            Facts(
                (
                    ("Target", f"{d.target}: {_target_text(d.target)}"),
                    (
                        "Labelled files",
                        "only files checked in the random-control survey (drawn at random, "
                        "stratified, whole file checked over 24 months) have a label",
                    ),
                    ("Rate in the training files", _fmt(_base_rate(d), "pct2")),
                )
            ),
        ),
    )


def _base_rate(d: ModelDescription) -> float:
    rate = d.training.get("weighted_base_rate")
    return float(rate) if isinstance(rate, int | float) else math.nan


def _recorded(d: ModelDescription, key: str) -> str:
    value = d.training.get(key)
    return "not recorded" if value is None else str(value)


def _training_section(d: ModelDescription) -> Section:
    weights = d.training.get("sum_of_weights")
    facts = (
        ("Files", _fmt(d.rows, "int")),
        ("With the target", _fmt(d.events, "int")),
        ("Files they represent (sum of survey weights)", _fmt(weights, "int")),
        ("Weighted rate of the target", _fmt(_base_rate(d), "pct2")),
        ("Trained on", _recorded(d, "date")),
        ("Data file", _recorded(d, "data_file")),
        ("SHA-256 of the training rows", _recorded(d, "data_sha256")),
    )
    table = Table(
        (
            Column("segment", "Segment"),
            Column("rows", "Files", "int"),
            Column("events", "With the target", "int"),
            Column("rate", "Weighted rate", "pct2"),
            Column("weights", "Files represented", "int"),
            Column("features", "Variables", "int"),
        ),
        tuple(
            (s.name, s.rows, s.events, s.weighted_base_rate, s.sum_of_weights, s.n_features)
            for s in d.segments
        ),
        caption="Training files by segment",
    )
    return Section(
        "training-data",
        "Training data",
        (
            Paragraph(
                "The model was trained on the files of the random-control survey, each weighted "
                "by its survey weight (the survey is stratified) so that the training files "
                "represent all files."
            ),
            Facts(facts),
            table,
        ),
    )


_POINTS_COLUMNS = ("Variable", "Column", "Bin", "Points", "Share of training files", "Rate")


def _variables_sections(d: ModelDescription) -> list[Section]:
    variables = Table(
        (
            Column("column", "Column"),
            Column("label", "Variable"),
            Column("family", "Family"),
            Column("description", "Description"),
            Column("unit", "Unit"),
        ),
        tuple(
            (f, CATALOG[f].label, CATALOG[f].family.value, CATALOG[f].description, CATALOG[f].unit)
            for f in d.features
        ),
        caption=f"The {len(d.features)} columns the model reads",
    )
    out = [
        Section(
            "variables",
            "Variables and points",
            (Paragraph(_scaling_text(d)), variables),
        )
    ]
    fmt = _points_format(d)
    for s in d.segments:
        rows = tuple(
            (
                p.label,
                p.feature if p.feature != "intercept" else "",
                p.bin_label,
                p.points,
                p.share,
                p.event_rate,
            )
            for p in d.points
            if p.segment == s.name
        )
        table = Table(
            (
                Column("label", "Variable"),
                Column("feature", "Column"),
                Column("bin", "Bin"),
                Column("points", "Points", fmt),
                Column("share", "Share of training files", "pct1"),
                Column("rate", "Rate of the target", "pct1"),
            ),
            rows,
            caption=(f"Scorecard of segment {s.name}" if d.routing_column else "Scorecard")
            + ": every bin and its points",
            note="Shares and rates are survey-weighted; a bin without training files "
            "(missing values never seen in training) scores as shown.",
        )
        coefficients = Table(
            (
                Column("term", "Term"),
                Column("coefficient", "Coefficient (WoE scale)", "num3"),
                Column("std_error", "Standard error", "num3"),
                Column("ci_low", "95% low", "num3"),
                Column("ci_high", "95% high", "num3"),
            ),
            tuple(
                (c["term"], c["coefficient"], c["std_error"], c["ci_low"], c["ci_high"])
                for c in d.coefficients
                if c["segment"] == s.name
            ),
            caption=f"Logistic regression of segment {s.name}",
            note="Robust (sandwich) standard errors, treating the weights of evidence as fixed: "
            "somewhat too small.",
            collapsed=True,
        )
        title = f"Segment {s.name}" if d.routing_column else "Scorecard"
        if d.routing_column:
            title += f" ({d.routing_column} = {s.name})"
        out.append(Section(f"scorecard-{_slug(s.name)}", title, (table, coefficients), level=3))
    return out


def _slug(text: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return slug or "segment"


def _exclusions_section(d: ModelDescription) -> Section:
    table = Table(
        (
            Column("kind", "Rule"),
            Column("family", "Family"),
            Column("columns", "Columns"),
            Column("reason", "Why"),
        ),
        tuple((e.kind, e.family, ", ".join(e.columns), e.reason) for e in d.exclusions),
        caption="Data the model does not read",
    )
    return Section(
        "excluded-data",
        "Data the model does not use, and why",
        (
            Paragraph(
                "The exclusion is enforced, not conventional: training a model on an excluded "
                "column is an error, the model file records the policy and the columns the "
                f"model reads (policy {d.policy['name']!r}), and loading or scoring a file that "
                "names an excluded column fails."
            ),
            table,
            Paragraph(
                "Excluding a column does not exclude what other columns say about it: household "
                "type or benefits can be associated with gender or age. The audit measures "
                "these associations.",
                "note",
            ),
        ),
    )


def _auc_table(d: ModelDescription) -> Table:
    aucs = list(d.aucs) + ([d.lift.auc] if d.lift is not None else [])
    return Table(
        (
            Column("name", "Measured on"),
            Column("auc", "AUC", "num3"),
            Column("low", "95% low", "num3"),
            Column("high", "95% high", "num3"),
            Column("pos", "With the target", "int"),
            Column("neg", "Without", "int"),
        ),
        tuple((a.name, a.value, a.low, a.high, a.n_pos, a.n_neg) for a in aucs),
        caption="Discrimination (AUC: the chance that a file with the target scores higher "
        "than one without)",
        note="Hanley-McNeil intervals. On the training rows the counts are unweighted files "
        "(the survey design is ignored, so the intervals are somewhat too narrow); on the "
        "data's random checks they are Kish's effective counts.",
    )


def _lift_blocks(d: ModelDescription) -> list[Any]:
    share = _fmt(d.budget_share, "pct1")
    assumption = Paragraph(
        f"Budget: the top {share} of the files are selected. This share is an assumption "
        f"(about 166,000 score-driven checks a year among 13.8 million files); the agency's "
        "own share gives its own figures.",
        "note",
    )
    lift = d.lift
    if lift is None:
        return [
            assumption,
            Paragraph(
                "The lift at the budget is not given: it needs labelled data that the model "
                "file does not hold (a population file with its random-control sample: "
                "controlled, target, control_weight). Run 'dmde document' with --data.",
                "warning",
            ),
        ]
    facts = Facts(
        (
            ("Data", lift.data),
            ("Files", _fmt(lift.n_files, "int")),
            ("Selected (budget)", _fmt(lift.budget, "int")),
            (
                "Randomly checked files",
                f"{_fmt(lift.n_checked, 'int')} ({_fmt(lift.n_events, 'int')} with the target)",
            ),
            (
                "Of them, selected",
                f"{_fmt(lift.n_checked_selected, 'int')} "
                f"({_fmt(lift.n_events_selected, 'int')} with the target)",
            ),
            ("Rate of the target, all files", _fmt(lift.base_rate, "pct2")),
            (
                "Rate of the target, selected files",
                _interval(lift.hit_rate, lift.hit_low, lift.hit_high, "pct1"),
            ),
            ("Lift at the budget", _interval(lift.lift, lift.lift_low, lift.lift_high, "num2")),
            (
                "Share of the overpayments in the selection",
                _interval(lift.captured, lift.captured_low, lift.captured_high, "pct1"),
            ),
        )
    )
    blocks: list[Any] = [
        assumption,
        Paragraph(
            f"The top {share} of the files of {lift.data} are selected as 'dmde select' does. "
            "Among the files of its random-control sample (survey-weighted), the rate of the "
            "target among those selected, divided by the rate among all, is the lift: how many "
            "times more often a check chosen by the score finds an overpayment than a check "
            f"chosen at random. Intervals: {lift.n_boot} bootstrap resamples of the checked "
            f"files (seed {lift.seed}), 95% percentile."
        ),
        facts,
    ]
    if lift.n_checked_selected < 30:
        blocks.append(
            Paragraph(
                f"Only {lift.n_checked_selected} randomly checked files are in the selection: "
                "the lift is uncertain (see its interval).",
                "warning",
            )
        )
    if lift.same_name_as_training:
        blocks.append(
            Paragraph(
                "The data file has the name of the training file: if it holds the training "
                "rows, these figures are measured in sample and are optimistic.",
                "warning",
            )
        )
    return blocks


def _performance_section(d: ModelDescription) -> Section:
    blocks: list[Any] = []
    if d.aucs or d.lift is not None:
        blocks.append(_auc_table(d))
    else:
        blocks.append(Paragraph("The model file records no AUC.", "warning"))
    blocks += _lift_blocks(d)
    return Section("performance", "Performance", tuple(blocks))


def _fairness_blocks(d: ModelDescription) -> list[Any]:
    audit = d.audit
    if audit is None:
        return [
            Paragraph(
                "No audit report was given: the fairness of the selections is not summarised "
                "here. Audit this model with 'dmde audit' and pass the report with --audit.",
                "warning",
            )
        ]
    blocks: list[Any] = [Links((("The audit report of this model", audit.report),))]
    blocks += _findings_blocks(audit)
    if audit.tested == 0:
        blocks.append(
            Paragraph(
                "The audit could test no comparison between groups (too few files per group, "
                "or a single group): it says nothing about fairness. This is not an all-clear.",
                "warning",
            )
        )
        return blocks
    if not audit.flags:
        blocks.append(
            Paragraph(
                "The audit flagged no disparity: no group's ratio to its reference group is "
                "outside the audit's band with a significant adjusted p-value.",
                "ok",
            )
        )
        return blocks
    n = len(audit.flags)
    shown = sorted(audit.flags, key=_strength)[:TOP_FLAGS]
    blocks.append(
        Paragraph(
            f"The audit flagged {n} disparit{'y' if n == 1 else 'ies'}: ratios of a group to "
            "its reference group outside the audit's band, with a significant adjusted "
            f"p-value. The {len(shown)} largest:",
            "warning",
        )
    )
    blocks.append(Items(tuple(f.sentence or _flag_text(f) for f in shown)))
    by_attribute: dict[str, list[AuditFlag]] = {}
    for flag in audit.flags:
        by_attribute.setdefault(flag.attribute, []).append(flag)
    blocks.append(
        Table(
            (
                Column("attribute", "Attribute"),
                Column("flags", "Flags", "int"),
                Column("metrics", "Metrics"),
                Column("low", "Smallest ratio", "num2"),
                Column("high", "Largest ratio", "num2"),
            ),
            tuple(
                (
                    attribute,
                    len(flags),
                    ", ".join(sorted({f.metric for f in flags})),
                    min(f.ratio for f in flags),
                    max(f.ratio for f in flags),
                )
                for attribute, flags in sorted(by_attribute.items())
            ),
            caption="Flagged disparities by attribute (every flag is in the audit report)",
        )
    )
    return blocks


#: Flagged disparities listed in the description (the largest; the report lists them all).
TOP_FLAGS = 10


def _findings_blocks(audit: AuditSummary) -> list[Any]:
    """The audit's findings first, as the report opens with them (at most TOP_FLAGS)."""
    if audit.findings is None:
        return [
            Paragraph(
                "This audit report was written by an older dmde, before the audit reached "
                "findings (verdicts); run 'dmde audit' again for them. Its flags follow.",
                "note",
            )
        ]
    numbers = sorted({f.finding for f in audit.findings})
    if not numbers:
        return []
    shown = [f for f in audit.findings if f.finding in numbers[:TOP_FLAGS]]
    return [
        Paragraph(
            f"The audit reached {len(numbers)} finding{'s' if len(numbers) != 1 else ''} "
            "(the most important first; each is explained in the report):",
            "warning",
        ),
        Items(tuple(f"{f.finding}. {f.sentence}" for f in shown)),
    ]


def _strength(flag: AuditFlag) -> tuple[float, str, str, str]:
    size = abs(math.log(flag.ratio)) if flag.ratio > 0 and math.isfinite(flag.ratio) else 0.0
    return (-size, flag.attribute, flag.group, flag.metric)


def _flag_text(flag: AuditFlag) -> str:
    return (
        f"{flag.group} ({flag.attribute}) vs {flag.reference}: {flag.metric} ratio "
        f"{_fmt(flag.ratio, 'num2')}"
    )


def _fairness_section(d: ModelDescription) -> Section:
    return Section("fairness", "Fairness", tuple(_fairness_blocks(d)))


def _limits(d: ModelDescription) -> tuple[str, ...]:
    items = [
        "The target is an overpayment found by a check, not fraud, and not an underpayment "
        "(rappel): a file the score ranks low can still hold an error against the household.",
        f"Labels exist only for the {_fmt(d.rows, 'int')} randomly checked files "
        f"({_fmt(d.events, 'int')} with the target): the points of rare situations rest on few "
        "files.",
        "The columns the model reads can carry part of what the excluded columns say "
        "(proxies): the exclusion removes the columns, not every association with them.",
        "Files with more benefits have more occasions of error: the score can concentrate "
        "checks on low-income households. The audit's income bands show whether it does.",
        "Checks chosen by the score find overpayments more often, which can look like a "
        "confirmation of the score: only the random-control survey measures the model without "
        "that bias, and it must keep being drawn at random.",
        "The model describes the period it was trained on; households' situations and the "
        "rules change (pre-filled income reporting since March 2025). It must be re-evaluated "
        "on each year's random-control survey and its changes reviewed ('dmde diff').",
        "The standard errors treat the weights of evidence as fixed: they are somewhat too small.",
    ]
    for s in d.segments:
        if s.events < 100:
            items.append(
                f"Segment {s.name} was trained on {s.events} files with the target: its points "
                "are uncertain."
            )
    train, cv = d.training.get("auc_train"), d.training.get("auc_cv")
    if isinstance(train, int | float) and isinstance(cv, int | float) and train - cv > 0.02:
        items.append(
            f"The AUC on the training rows ({_fmt(train, 'num3')}) exceeds the cross-validated "
            f"AUC ({_fmt(cv, 'num3')}): the model fits its training files better than new "
            "ones; rely on the cross-validated figure."
        )
    return tuple(items)


def _limits_section(d: ModelDescription) -> Section:
    return Section("limits", "Limits and known risks", (Items(_limits(d)),))


def _version_facts(d: ModelDescription) -> Facts:
    return Facts(
        (
            ("Model file", d.name),
            ("SHA-256 of the model file's content", d.sha256),
            ("Written by dmde", d.dmde_version),
            ("Model file format version", str(d.format_version)),
            ("Feature policy", str(d.policy["name"])),
            ("Described by dmde", __version__),
        )
    )


def _version_section(d: ModelDescription) -> Section:
    return Section(
        "version",
        "Version and integrity",
        (
            _version_facts(d),
            Paragraph(
                "The hash covers everything in the model file but the hash itself (canonical "
                "JSON): dmde refuses to load a file whose content does not match it, and every "
                "scoring run records the hash of the model that scored."
            ),
        ),
    )


def _meta(d: ModelDescription) -> tuple[tuple[str, str], ...]:
    return (("Model file", d.name), ("SHA-256", d.sha256), ("Policy", str(d.policy["name"])))


def description_document(description: ModelDescription) -> Document:
    """The public description (L312-1-3): purpose, target, data, every point, limits."""
    d = description
    sections = [
        _purpose_section(d),
        _target_section(d),
        _training_section(d),
        *_variables_sections(d),
        _exclusions_section(d),
        _performance_section(d),
        _fairness_section(d),
        _limits_section(d),
        _version_section(d),
        Section(
            "model-card",
            "Model card",
            (Links((("The model card of this model", f"{MODEL_CARD_STEM}.html"),)),),
        ),
    ]
    return Document(
        kind="model-description",
        title="Public description of the risk-scoring model",
        subtitle="The rules of the algorithm and its main characteristics (article L312-1-3 "
        "of the Code des relations entre le public et l'administration).",
        sections=tuple(sections),
        meta=_meta(d),
        data=d.to_dict(),
    )


def model_card_document(description: ModelDescription) -> Document:
    """The model card: details, intended use, factors, metrics, data, ethics, caveats."""
    d = description
    kind = (
        f"logistic scorecard on weight-of-evidence bins, one per value of {d.routing_column} "
        f"({', '.join(s.name for s in d.segments)})"
        if d.routing_column
        else "logistic scorecard on weight-of-evidence bins"
    )
    details = Section(
        "details",
        "Model details",
        (
            Facts(
                (
                    ("Type", kind),
                    ("Variables", f"{len(d.features)} ({', '.join(d.features)})"),
                    ("Trained on", _recorded(d, "date")),
                    ("Model file", d.name),
                    ("SHA-256", d.sha256),
                    ("Written by dmde", d.dmde_version),
                )
            ),
            Links((("The full public description, with every point", f"{DESCRIPTION_STEM}.html"),)),
        ),
    )
    use = Section(
        "intended-use",
        "Intended use",
        (
            Items(
                (
                    "Primary use: rank benefit files by the risk that a check finds an "
                    f"overpayment ({d.target}), to propose the highest for a check by an agent "
                    "within the agency's budget.",
                    "Primary users: the agency's control-planning staff; the ethics committee "
                    "and the public read this card and the description.",
                    "Out of scope: deciding a person's rights or a sanction; qualifying fraud; "
                    "checks without an agent's review; files of another period, population or "
                    "reporting mode than the segments trained on.",
                )
            ),
        ),
    )
    factors = Section(
        "factors",
        "Factors",
        (
            Paragraph(
                "Groups the audit compares (from columns the model never reads): gender, "
                "nationality, age band, household type, disabled adult allowance (AAH), urban "
                "or rural residence, income band (zero income its own band), and their "
                "pairwise intersections."
                + (f" The model is also split by {d.routing_column}." if d.routing_column else "")
            ),
            *_fairness_blocks(d),
        ),
    )
    metrics = Section(
        "metrics",
        "Metrics",
        (
            Paragraph(
                "AUC (ranking quality over all files) and lift at the budget (how much more "
                "often a check chosen by the score finds an overpayment than one chosen at "
                "random): the agency checks only the top of the ranking, so the lift is the "
                "figure that matters for the people checked. Both come with 95% intervals."
            ),
            _auc_table(d) if d.aucs or d.lift is not None else Paragraph("No AUC recorded."),
            *_lift_blocks(d),
        ),
    )
    training = Section("training-data", "Training data", _training_section(d).blocks[1:], level=2)
    evaluation = Section(
        "evaluation-data",
        "Evaluation data",
        (
            Paragraph(
                "Cross-validation on the training files (the whole procedure refitted in each "
                "fold)"
                + (
                    f"; lift and AUC on the random-control sample of {d.lift.data}."
                    if d.lift is not None
                    else "; no separate evaluation data was given."
                )
            ),
        ),
    )
    ethics = Section(
        "ethical-considerations",
        "Ethical considerations",
        (
            Paragraph(
                "The model reads no sensitive, address, behaviour or control-history data "
                "(enforced; see the description's table of excluded data). The people concerned "
                "are households receiving benefits, often with low incomes: a check is a burden "
                "even when it finds nothing, so who gets checked is audited group by group."
            ),
            Items(tuple(e.kind + ": " + e.family + " (" + e.reason + ")" for e in d.exclusions)),
        ),
    )
    caveats = Section("caveats", "Caveats and recommendations", (Items(_limits(d)),))
    return Document(
        kind="model-card",
        title="Model card: benefit-file risk score",
        subtitle="Model details, intended use, factors, metrics, data, ethical considerations "
        "and caveats, from the model file.",
        sections=(details, use, factors, metrics, training, evaluation, ethics, caveats),
        meta=_meta(d),
        data=d.to_dict(),
    )


def write_description(
    description: ModelDescription,
    out_dir: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
) -> list[Path]:
    """Write ``description.*`` and ``model-card.*`` in ``out_dir``; return the paths written."""
    folder = Path(out_dir)
    formats = tuple(formats)
    written = write_document(
        description_document(description), folder / f"{DESCRIPTION_STEM}.html", formats=formats
    )
    written += write_document(
        model_card_document(description), folder / f"{MODEL_CARD_STEM}.html", formats=formats
    )
    return written


def _outputs(out_dir: Path, formats: Sequence[str]) -> list[Path]:
    suffix = {"html": ".html", "md": ".md", "json": ".json", "txt": ".txt"}
    return [
        out_dir / f"{stem}{suffix.get(f, '.' + f)}"
        for stem in (DESCRIPTION_STEM, MODEL_CARD_STEM)
        for f in formats
    ]


def document_model(
    model: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    data: str | os.PathLike[str] | None = None,
    audit: str | os.PathLike[str] | None = None,
    budget_share: float = BUDGET_SHARE,
    n_boot: int = 1000,
    seed: int = 0,
    formats: Iterable[str] = ("html", "md", "json"),
) -> tuple[ModelDescription, list[Path]]:
    """Read the model file (and the optional data and audit report), write the description.

    This is ``dmde document``: the model's public description and its model card, as
    ``description.{html,md,json}`` and ``model-card.{html,md,json}`` in ``out_dir``.

    Parameters
    ----------
    model : path
        The model file (JSON), checked as by :func:`dmde.model.model_file.load_model`.
    out_dir : path
        Folder of the outputs (created).
    data : path, optional
        A population file with its random-control sample, for the lift at the budget.
    audit : path, optional
        An audit report of this model (HTML or its JSON sibling), for the fairness summary.
    budget_share : float
        Share of the files selected (an assumption; default :data:`BUDGET_SHARE`).
    n_boot, seed : int
        Bootstrap resamples and seed of the lift's intervals.

    Raises
    ------
    DescribeError
        If an output would overwrite an input, the data lack the labels, or the audit is of
        another model. Also the errors of the model file and data readers.
    """
    formats = tuple(formats)
    folder = Path(out_dir)
    model_file = read_model_file(model)
    budget_share = _check_share(budget_share)
    inputs = [Path(p).resolve() for p in (model, data, audit) if p is not None]
    for output in _outputs(folder, formats):
        if output.resolve() in inputs:
            raise DescribeError(
                f"{output} would overwrite an input: write the description to another folder."
            )
    lift = None
    if data is not None:
        header = file_columns(data)
        missing = [c for c in _LABEL_COLUMNS if c not in header]
        if missing:
            raise DescribeError(
                f"{os.fspath(data)}: no column {', '.join(missing)}: the lift at the budget "
                "needs a population with its random-control sample (controlled, target, "
                "control_weight)."
            )
        scores = score_population(data, {"": model_file.model}, keep=_LABEL_COLUMNS)
        lift = lift_at_share(
            scores,
            share=budget_share,
            n_boot=n_boot,
            seed=seed,
            data=Path(data).name,
            same_name_as_training=Path(data).name
            == model_file.document["training"].get("data_file"),
        )
    summary = None
    if audit is not None:
        summary = read_audit_summary(audit, model_sha256=model_file.sha256, relative_to=folder)
    description = describe_model(model_file, budget_share=budget_share, lift=lift, audit=summary)
    return description, write_description(description, folder, formats=formats)
