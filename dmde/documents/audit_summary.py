"""The audit report's findings and flags in the description: read, checked, and summarised.

The **fairness summary** reads the JSON of a report written by ``dmde audit``
(:func:`read_audit_summary`), refuses one of another model (its ``data.model_sha256`` must be
the model file's hash) and links to the HTML; ``fairness_blocks`` gives the paragraphs the
description and the model card show (the findings first, as the report opens with them).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from dmde.audit.report_text import METRIC_NAMES
from dmde.audit.words import VERDICT_LABELS, attribute_label, group_label
from dmde.core.rendering import Column, Items, Links, Paragraph, Section, Table, format_value
from dmde.documents.model_description import (
    AuditFinding,
    AuditFlag,
    AuditSummary,
    DescribeError,
    ModelDescription,
)

__all__ = ["METRIC_WORDS", "TOP_FLAGS", "read_audit_summary"]


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


def fairness_blocks(d: ModelDescription) -> list[Any]:
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
                    capitalised(attribute_label(attribute)),
                    len(flags),
                    _metric_words({f.metric for f in flags}),
                    min(f.ratio for f in flags),
                    max(f.ratio for f in flags),
                )
                for attribute, flags in sorted(
                    by_attribute.items(), key=lambda kv: (attribute_label(kv[0]), kv[0])
                )
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
    shown = numbers[:TOP_FLAGS]
    intro = (
        f"The audit reached {len(numbers)} finding{'s' if len(numbers) != 1 else ''} "
        "(the most important first; each is explained in the report)"
    )
    if len(shown) < len(numbers):
        intro += f". The first {len(shown)}:"
    else:
        intro += ":"
    texts = tuple(_finding_text(n, audit.findings) for n in shown)
    if shown == list(range(1, len(shown) + 1)):  # the list's own numbers are the findings'
        return [Paragraph(intro, "warning"), Items(texts, ordered=True)]
    numbered = tuple(f"{n}. {t}" for n, t in zip(shown, texts, strict=True))
    return [Paragraph(intro, "warning"), Items(numbered)]


def _finding_text(number: int, findings: tuple[AuditFinding, ...]) -> str:
    """One finding as the report opens with it: "Income (relative to the Smic): selected beyond
    their risk (amplified). <the sentence of each of its groups>"."""
    parts = [f for f in findings if f.finding == number]
    first = parts[0]
    head = capitalised(attribute_label(first.attribute)) if first.attribute else ""
    verdict = VERDICT_LABELS["en"].get(first.verdict, first.verdict.replace("_", " "))
    if verdict:
        head = f"{head}: {verdict}" if head else capitalised(verdict)
    sentences = " ".join(f.sentence for f in parts if f.sentence)
    return (f"{head}. {sentences}" if head else sentences).strip()


def _lower(label: str) -> str:
    """A label to go inside a sentence: "Selection rate" -> "selection rate", "AUC" kept."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


#: The audit's metrics in words in the table of flags (the report's names, and those of the
#: two comparisons that are not group metrics).
METRIC_WORDS: dict[str, str] = {
    **{name: _lower(label) for name, label in METRIC_NAMES.items()},
    "amplification": "selection per unit of risk",
    "interaction": "intersection beyond its two attributes",
}


def _metric_words(metrics: set[str]) -> str:
    return ", ".join(sorted(METRIC_WORDS.get(m, m) for m in metrics))


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _strength(flag: AuditFlag) -> tuple[float, str, str, str]:
    size = abs(math.log(flag.ratio)) if flag.ratio > 0 and math.isfinite(flag.ratio) else 0.0
    return (-size, flag.attribute, flag.group, flag.metric)


def _flag_text(flag: AuditFlag) -> str:
    """A flag in words when its report gave no sentence (an older report)."""
    attribute = attribute_label(flag.attribute)
    return (
        f"{capitalised(group_label(flag.attribute, flag.group))} ({attribute}) compared with "
        f"{group_label(flag.attribute, flag.reference)}: "
        f"{METRIC_WORDS.get(flag.metric, flag.metric)} ratio {format_value(flag.ratio, 'num2')}"
    )


def fairness_section(d: ModelDescription) -> Section:
    return Section("fairness", "Fairness", tuple(fairness_blocks(d)))
