"""The model card: the description's facts in the sections model cards use.

Details, intended use, factors, metrics, training and evaluation data, ethical considerations,
caveats and recommendations (Mitchell et al., 2019), from the same
:class:`~dmde.documents.model_description.ModelDescription` as the public description.
"""

from __future__ import annotations

from dmde.core.rendering import Document, Facts, Items, Links, Paragraph, Section
from dmde.documents.audit_summary import fairness_blocks
from dmde.documents.description_document import (
    DESCRIPTION_STEM,
    action_words,
    auc_table,
    document_meta,
    lift_blocks,
    limits,
    recorded,
    routing_words,
    target_label,
    training_section,
)
from dmde.documents.model_description import Exclusion, ModelDescription

__all__ = ["model_card_document"]


def _exclusion_text(exclusion: Exclusion) -> str:
    """ "Address — excluded (published guarantee): address and place of residence are ..." """
    family = exclusion.family.replace("_", " ").capitalize()
    return f"{family} — {exclusion.kind}: {exclusion.reason}."


def model_card_document(description: ModelDescription) -> Document:
    """The model card: details, intended use, factors, metrics, data, ethics, caveats."""
    d = description
    kind = (
        "logistic scorecards on weight-of-evidence bins, one for each value of "
        f"{routing_words(d.routing_column, tuple(s.name for s in d.segments))}"
        if d.routing_column
        else "logistic scorecard on weight-of-evidence bins"
    )
    if d.periods is not None:
        kind = (
            "two logistic scorecards on weight-of-evidence bins, before and after income "
            f"pre-filling ({d.periods['reform_month']}), averaged over a check's "
            f"{d.periods['window_months']}-month look-back with weights by months (an "
            f'assumption: the agency\'s rule is not public); the "after" one alone from '
            f"{d.periods['retired']}"
        )
    details = Section(
        "details",
        "Model details",
        (
            Facts(
                (
                    ("Type", kind),
                    ("Variables", f"{len(d.features)} ({', '.join(d.features)})"),
                    ("Trained on", recorded(d, "date")),
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
                    "Primary use: rank benefit files by their risk of the target "
                    f"({target_label(d.target)}), {action_words(d, 'use')}",
                    "Primary users: the agency's control-planning staff; the ethics committee "
                    "and the public read this card and the description.",
                    action_words(d, "out_of_scope"),
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
                + (
                    f" The model is also split by {routing_words(d.routing_column)}."
                    if d.routing_column
                    else ""
                )
            ),
            *fairness_blocks(d),
        ),
    )
    metrics = Section(
        "metrics",
        "Metrics",
        (
            Paragraph(action_words(d, "metrics")),
            auc_table(d) if d.aucs or d.lift is not None else Paragraph("No AUC recorded."),
            *lift_blocks(d),
        ),
    )
    training = Section("training-data", "Training data", training_section(d).blocks[1:], level=2)
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
                "(enforced; see the description's table of excluded data). "
                + action_words(d, "burden")
            ),
            Items(tuple(_exclusion_text(e) for e in d.exclusions)),
        ),
    )
    caveats = Section("caveats", "Caveats and recommendations", (Items(limits(d)),))
    return Document(
        kind="model-card",
        title=action_words(d, "title"),
        subtitle="Model details, intended use, factors, metrics, data, ethical considerations "
        "and caveats, from the model file.",
        sections=(details, use, factors, metrics, training, evaluation, ethics, caveats),
        meta=document_meta(d),
        data=d.to_dict(),
    )
