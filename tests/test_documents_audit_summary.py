"""The audit's findings and flags as the description and the model card word them, and the
phrases of those two documents a committee reads (no doubled label, no column name for words)."""

from __future__ import annotations

import pytest

from dmde.core.rendering import Facts, Items, Table, to_markdown
from dmde.documents.audit_summary import fairness_blocks
from dmde.documents.description_document import description_document
from dmde.documents.model_card import model_card_document
from dmde.documents.model_description import (
    AuditFinding,
    AuditFlag,
    AuditSummary,
    Exclusion,
    ModelDescription,
    SegmentSummary,
)

FINDING = AuditFinding(
    finding=1,
    verdict="beyond_risk",
    attribute="household_type",
    group="lone_parent",
    sentence="Lone parents are selected 2.40 times as often as single people [1.90 – 3.10].",
)


def _flag(**changes: object) -> AuditFlag:
    fields: dict[str, object] = {
        "attribute": "aah × income_band",
        "group": "receives AAH × zero",
        "reference": "no AAH × 0.5 to 1 Smic",
        "metric": "interaction",
        "ratio": 2.4,
        "ratio_low": 1.9,
        "ratio_high": 3.1,
        "p_adjusted": 0.0001,
        "sentence": "",
    }
    return AuditFlag(**{**fields, **changes})  # type: ignore[arg-type]


def _description(
    audit: AuditSummary | None = None, *, routing: str | None = None
) -> ModelDescription:
    segments = ("declarative", "prefilled") if routing else ("all",)
    return ModelDescription(
        name="model.json",
        sha256="0" * 64,
        dmde_version="0.1.0",
        format_version=1,
        policy={"name": "caf-2026"},
        features=("income_to_smic",),
        routing_column=routing,
        segments=tuple(SegmentSummary(s, 100, 10, 0.1, 1000.0, 1, 500.0) for s in segments),
        points=(),
        coefficients=(),
        scaling={"base_points": 500, "base_odds": 1 / 19, "pdo": 20, "decimals": 2},
        training={"target": "target", "weighted_base_rate": 0.1},
        exclusions=(
            Exclusion(
                "excluded (published guarantee)",
                "behaviour",
                ("web_logins_12m",),
                "behavioural data (logins, contacts) are excluded",
            ),
            Exclusion("never a feature", "control_history", ("fraud_ever",), "past checks"),
        ),
        aucs=(),
        budget_share=0.012,
        lift=None,
        audit=audit,
    )


def _summary(*findings: AuditFinding, flags: tuple[AuditFlag, ...] = ()) -> AuditSummary:
    return AuditSummary(
        report="audit.html", model_sha256="0" * 64, flags=flags, findings=tuple(findings)
    )


def test_a_finding_is_one_numbered_item_with_every_group() -> None:
    """As the report opens: one item per finding, numbered by the list (not "- 1." bullets
    repeating a number per group), the attribute and the verdict in words, then the sentences
    of all its groups."""
    second = AuditFinding(1, "beyond_risk", "household_type", "couple_with_children", "Couples.")
    other = AuditFinding(2, "interaction", "aah × income_band", "receives AAH × zero", "AAH.")
    blocks = fairness_blocks(_description(_summary(FINDING, second, other)))
    (findings,) = [b for b in blocks if isinstance(b, Items)]
    assert findings.ordered
    assert findings.items == (
        f"Household type: selected beyond their risk (amplified). {FINDING.sentence} Couples.",
        "Disability allowance (AAH) × income (relative to the Smic): an intersection that its "
        "two attributes do not explain. AAH.",
    )
    text = to_markdown(description_document(_description(_summary(FINDING, second, other))))
    assert "\n1. Household type: selected" in text and "\n2. Disability" in text
    assert "- 1." not in text


def test_findings_not_numbered_from_one_keep_their_numbers() -> None:
    later = AuditFinding(3, "selection_gap", "gender", "men", "Men.")
    (findings,) = [
        b for b in fairness_blocks(_description(_summary(later))) if isinstance(b, Items)
    ]
    assert not findings.ordered
    assert findings.items == ("3. Gender: a selection difference not settled against risk. Men.",)


def test_flags_are_worded_not_named_by_columns() -> None:
    """The table of flags names attributes and metrics in words; a flag without a sentence
    (an older report) is worded from the group labels ("receives AAH × zero" was shown raw)."""
    flags = (_flag(), _flag(metric="selection_rate", ratio=0.5), _flag(attribute="gender",
             group="men", reference="women", metric="auc", ratio=0.9))  # fmt: skip
    blocks = fairness_blocks(_description(_summary(flags=flags)))
    (table,) = [b for b in blocks if isinstance(b, Table)]
    assert table.rows == (
        (
            "Disability allowance (AAH) × income (relative to the Smic)",
            2,
            "intersection beyond its two attributes, selection rate",
            0.5,
            2.4,
        ),
        ("Gender", 1, "AUC within group", 0.9, 0.9),  # in the order of the labels
    )
    listed = [b for b in blocks if isinstance(b, Items)][-1].items
    assert listed[0] == (
        "AAH recipients × households with no income (disability allowance (AAH) × income "
        "(relative to the Smic)) compared with households without AAH × households at 0.5 to 1 "
        "Smic: intersection beyond its two attributes ratio 2.40"
    )
    assert not any("receives AAH" in item or "_" in item for item in listed)


@pytest.mark.parametrize("routing", [None, "income_reporting"], ids=["one", "segments"])
def test_description_and_card_say_each_label_once(routing: str | None) -> None:
    """No "Target: target: ...", no model file named twice in the card's details, no nested
    brackets in the card's list of excluded data, the routing column in words."""
    d = _description(routing=routing)
    description = to_markdown(description_document(d))
    card = to_markdown(model_card_document(d))
    assert "**Target**: The check found" in description
    assert "**Target column**: target" in description
    assert "target: target" not in description.lower()
    (details,) = [b for b in model_card_document(d).sections[0].blocks if isinstance(b, Facts)]
    names = [name for name, _ in details.pairs]
    assert len(names) == len(set(names)) and "SHA-256" not in names and "Model file" not in names
    assert "their risk of the target (overpayment of 600 EUR over 6 months or more), to" in card
    assert (
        "- Behaviour — excluded (published guarantee): behavioural data (logins, contacts) " in card
    )
    assert "- Control history — never a feature: past checks." in card
    if routing:
        values = "the income reporting mode (income_reporting: declarative, prefilled)"
        assert f"one for each value of {values}: each file" in description
        assert f"one for each value of {values}\n" in card
        assert "split by the income reporting mode (income_reporting)." in card
