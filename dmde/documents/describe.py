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

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dmde.core.files import FileSet
from dmde.core.rendering import write_document
from dmde.core.stats import auc_interval
from dmde.data.catalog import CATALOG, NON_FEATURE_FAMILIES, Family, columns_of
from dmde.data.datasets import file_columns
from dmde.data.manifest import check_vouched, document_manifest_path, land_run
from dmde.documents.audit_summary import TOP_FLAGS, read_audit_summary
from dmde.documents.description_document import (
    DESCRIPTION_STEM,
    MODEL_CARD_STEM,
    description_document,
)
from dmde.documents.lift import (
    BUDGET_SHARE,
    LABEL_COLUMNS,
    check_share,
    lift_at_share,
    score_population,
)
from dmde.documents.model_card import model_card_document
from dmde.documents.model_description import (
    AucEstimate,
    AuditFinding,
    AuditFlag,
    AuditSummary,
    DescribeError,
    Exclusion,
    LiftEstimate,
    ModelDescription,
    PointsRow,
    SegmentSummary,
)
from dmde.documents.value_words import bin_text
from dmde.model.model_file import read_model_file
from dmde.model.model_records import ModelFile, PolicyRecord, SegmentRecord
from dmde.model.periods import PeriodScorecards, month_number, month_text, window_weights

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


def _points_rows(segment: SegmentRecord) -> list[PointsRow]:
    rows = [
        PointsRow(
            segment=segment.name,
            feature="intercept",
            label="intercept",
            bin=0,
            bin_label="every file",
            points=segment.intercept_points,
            share=1.0,
            event_rate=segment.training.weighted_base_rate,
        )
    ]
    for variable in segment.variables:
        counts, events = variable.binning.count, variable.binning.events
        total = sum(counts)
        for b, points in enumerate(variable.points):
            rows.append(
                PointsRow(
                    segment=segment.name,
                    feature=variable.name,
                    label=variable.label,
                    bin=b,
                    bin_label=bin_text(variable.binning, b, lang="en"),
                    points=points,
                    share=counts[b] / total if total > 0 else math.nan,
                    event_rate=events[b] / counts[b] if counts[b] > 0 else math.nan,
                )
            )
    return rows


def _exclusions(policy: PolicyRecord, features: Sequence[str]) -> list[Exclusion]:
    out = [
        Exclusion("excluded (published guarantee)", family, columns_of(family), reason)
        for family, reason in sorted(policy.excluded_families.items())
    ]
    out += [
        Exclusion("never a feature", family.value, columns_of(family), reason)
        for family, reason in NON_FEATURE_FAMILIES.items()
    ]
    allowed = set(policy.allowed_families)
    for family in (Family.HOUSEHOLD, Family.RESOURCES, Family.BENEFITS):
        if family.value not in allowed:
            out.append(
                Exclusion(
                    "not allowed by the policy",
                    family.value,
                    columns_of(family),
                    f"the policy {policy.name!r} allows only {', '.join(sorted(allowed))}",
                )
            )
    removed = policy.removed_columns
    if removed:
        out.append(
            Exclusion(
                "removed by the policy",
                ", ".join(sorted({CATALOG[c].family.value for c in removed})),
                removed,
                f"the policy {policy.name!r} removes these columns",
            )
        )
    unused = tuple(c for c in policy.features if c not in set(features))
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
    >>> from dmde.model.scorecard import ScorecardFamily
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
    if audit is not None and audit.model_sha256 != model_file.sha256:
        raise DescribeError("the audit summary is of another model than the model file.")
    points: list[PointsRow] = []
    summaries: list[SegmentSummary] = []
    coefficients: list[dict[str, Any]] = []
    for name, segment in model_file.segments.items():
        summaries.append(
            SegmentSummary(
                name=name,
                rows=segment.training.rows,
                events=segment.training.events,
                weighted_base_rate=segment.training.weighted_base_rate,
                sum_of_weights=segment.training.sum_of_weights,
                n_features=len(segment.features),
                intercept_points=segment.intercept_points,
                shrinkage=segment.shrinkage,
            )
        )
        points += _points_rows(segment)
        coefficients += [{"segment": name, **asdict(c)} for c in segment.coefficients]
    events = sum(s.events for s in summaries)
    rows = sum(s.rows for s in summaries)
    aucs = []
    training = model_file.training
    periods = period_facts(model_file.model)
    if periods is not None:
        aucs = _period_aucs(training.facts, summaries)
    for value, label in (
        (training.auc_train, "training rows"),
        (training.auc_cv, "cross-validated"),
    ):
        if value is not None:
            aucs.append(
                AucEstimate(
                    label,
                    value,
                    *auc_interval(value, events, rows - events),
                    n_pos=events,
                    n_neg=rows - events,
                )
            )
    policy = model_file.policy
    return ModelDescription(
        name=model_file.name,
        sha256=model_file.sha256,
        dmde_version=model_file.dmde_version,
        format_version=model_file.format_version,
        policy={
            "name": policy.name,
            "allowed_families": list(policy.allowed_families),
            "removed_columns": list(policy.removed_columns),
        },
        features=model_file.features,
        routing_column=model_file.routing_column,
        segments=tuple(summaries),
        points=tuple(points),
        coefficients=tuple(coefficients),
        scaling=model_file.scaling.to_dict(),
        training=dict(training.facts),
        exclusions=tuple(_exclusions(policy, model_file.features)),
        aucs=tuple(aucs),
        budget_share=check_share(budget_share),
        lift=lift,
        audit=audit,
        periods=periods,
    )


def period_facts(model: object) -> dict[str, Any] | None:
    """What the description says of a model by period (None for another model): the reform
    month, the window, the rule, the months each period was trained on, and for the reform
    month, every 6 months after it and the retirement month, which model scores which months
    of the window and with what weight.
    """
    if not isinstance(model, PeriodScorecards):
        return None
    reform, window = month_number(model.reform_month), int(model.window_months)
    months = sorted({reform, *range(reform + 6, reform + window, 6), reform + window})
    examples = []
    for m in months:
        weights = window_weights(
            month_text(m), reform_month=model.reform_month, window_months=window
        )
        examples.append(
            {
                "month": weights.month,
                "window": f"{weights.first} to {weights.last}",
                "months": dict(weights.months),
                "label": weights.label,
                "text": weights.describe(),
            }
        )
    record = model.periods_record()
    return {
        "month_column": record["month_column"],
        "reform_month": record["reform_month"],
        "window_months": record["window_months"],
        "combination": record["combination"],
        "retired": record["retired"]["before"],
        "trained_months": record["trained_months"],
        "examples": examples,
    }


def _period_aucs(facts: Any, summaries: Sequence[SegmentSummary]) -> list[AucEstimate]:
    """Each period's AUCs (``auc_train_before``... in the training facts), with its rows."""
    out = []
    for s in summaries:
        for key, label in (("auc_train", "training rows"), ("auc_cv", "cross-validated")):
            value = facts.get(f"{key}_{s.name}")
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append(
                    AucEstimate(
                        f"{label}, {s.name} model on its period's files",
                        float(value),
                        *auc_interval(float(value), s.events, s.rows - s.events),
                        n_pos=s.events,
                        n_neg=s.rows - s.events,
                    )
                )
    return out


def write_description(
    description: ModelDescription,
    out_dir: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
) -> list[Path]:
    """Write ``description.*`` and ``model-card.*`` in ``out_dir``; return the paths written.

    They land as one set with ``description.manifest.json``, which vouches for them all.
    """
    folder = Path(out_dir)
    formats = tuple(formats)
    with FileSet(error=DescribeError) as files:
        written = write_document(
            description_document(description),
            folder / f"{DESCRIPTION_STEM}.html",
            formats=formats,
            files=files,
        )
        written += write_document(
            model_card_document(description),
            folder / f"{MODEL_CARD_STEM}.html",
            formats=formats,
            files=files,
        )
        record = {"command": "document", "model": {"sha256": description.sha256}}
        land_run(files, folder / f"{DESCRIPTION_STEM}.manifest.json", record, error=DescribeError)
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
    verify_key: str | os.PathLike[str] | None = None,
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
    verify_key : path, optional
        A public key file (``NAME.pub``): the model must be signed by it
        (:func:`dmde.model.model_file.load_model`).

    Raises
    ------
    DescribeError
        If an output would overwrite an input, the data lack the labels, or the audit is of
        another model. Also the errors of the model file and data readers.
    """
    formats = tuple(formats)
    folder = Path(out_dir)
    model_file = read_model_file(model, verify_key=verify_key)
    budget_share = check_share(budget_share)
    inputs = [Path(p).resolve() for p in (model, data, audit) if p is not None]
    for output in _outputs(folder, formats):
        if output.resolve() in inputs:
            raise DescribeError(
                f"{output} would overwrite an input: write the description to another folder."
            )
    lift = None
    if data is not None:
        header = file_columns(data)
        missing = [c for c in LABEL_COLUMNS if c not in header]
        if missing:
            raise DescribeError(
                f"{os.fspath(data)}: no column {', '.join(missing)}: the lift at the budget "
                "needs a population with its random-control sample (controlled, target, "
                "control_weight)."
            )
        # the label of the model's own target: a rights model's lift is measured on
        # underpayments (rappel_target), read as the lift's "target"
        label = str(model_file.training.facts.get("target") or "target")
        if label != "target" and label not in header:
            raise DescribeError(
                f"{os.fspath(data)}: no column {label}: the model predicts it, so its lift at "
                "the budget is measured on it. Give a population with that label."
            )
        kept = tuple(label if c == "target" else c for c in LABEL_COLUMNS)
        scores = score_population(data, {"": model_file.model}, keep=kept)
        scores = scores.rename(columns={label: "target"})
        lift = lift_at_share(
            scores,
            share=budget_share,
            n_boot=n_boot,
            seed=seed,
            data=Path(data).name,
            same_name_as_training=Path(data).name == model_file.training.data_file,
        )
    summary = None
    if audit is not None:
        report = Path(audit).with_suffix(".json")  # the file the summary is read from
        if report.is_file():
            check_vouched(
                report,
                manifest=document_manifest_path(report),
                what="audit report",
                required=True,
                error=DescribeError,
            )
        summary = read_audit_summary(audit, model_sha256=model_file.sha256, relative_to=folder)
    description = describe_model(model_file, budget_share=budget_share, lift=lift, audit=summary)
    return description, write_description(description, folder, formats=formats)
