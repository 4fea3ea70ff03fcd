"""The ethics committee's report: an :class:`~dmde.audit.run.AuditResult` as a document.

:func:`build_report` turns the result into a :class:`dmde.core.rendering.Document` (data first,
rendering second); :func:`write_report` writes it as one self-contained HTML file (figures
embedded, no script, no external resource, every value escaped) with the same content as
Markdown and JSON beside it. The JSON also holds every result table in full
(``data.tables``), the flags (``data.flags``) and the model's hash (``data.model_sha256``), so a
reader can check any number of the report.

The text is written for readers without statistics: each section says what it shows and how
to read it; a glossary ends the report. Same result, same bytes.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from dmde.audit.report_findings import _findings_records, _findings_section
from dmde.audit.report_groups import (
    _economic_section,
    _groups_section,
    _intersections_section,
    _selection_section,
)
from dmde.audit.report_model import (
    _exclusion_section,
    _model_section,
    _profiles_section,
    _proxies_section,
)
from dmde.audit.report_sections import (
    Unavailable,
    _actions_section,
    _calibration_section,
    _data_section,
    _glossary,
    _hit_rates_section,
    _method_section,
    _summary,
    _targeting_section,
)
from dmde.audit.report_text import GLOSSARY, _deferred_figures, _records, _with_figures
from dmde.audit.result import AuditResult
from dmde.audit.settings import AuditError, AuditParameterError
from dmde.audit.words import (
    tr,
)
from dmde.core.errors import UsageError
from dmde.core.files import FileSet
from dmde.core.rendering import (
    SUFFIXES,
    Document,
    Lang,
    Paragraph,
    Section,
    format_value,
    write_document,
)
from dmde.data.manifest import document_manifest_path, land_run
from dmde.data.paths import check_distinct_paths

__all__ = ["GLOSSARY", "build_report", "check_report_paths", "write_report"]

#: What an outreach audit's outcome is called, by language.
_UNDERPAYMENT = {"en": "underpayment", "fr": "rappel"}


def default_title(result: AuditResult, lang: Lang = "en") -> str:
    """The report's title: the agency's framing only for dmde's own inputs."""
    if result.data.get("action") == "outreach":
        return tr("Audit of the outreach selection", lang)
    if result.data.get("dmde_inputs"):
        return tr("Audit of the control-targeting score", lang)
    return tr("Audit of a selection", lang)


def build_report(
    result: AuditResult,
    *,
    title: str | None = None,
    lang: Lang = "en",
    outcome: str | None = None,
) -> Document:
    """The report as a document (see :mod:`dmde.core.rendering` for the renderings).

    It opens with the findings (:mod:`dmde.audit.report_findings`), in ``lang``; tables, figures,
    methods and every tested difference follow as the appendix. Sections that cannot be
    computed from the inputs are left out of the contents and named once in the limits.
    ``outcome`` names what a check finds (default: an overpayment; an underpayment for an
    outreach audit, :func:`dmde.audit.outreach_audit.audit_outreach_files`). An audit carrying
    both actions (``data["actions"]``) has a section showing them side by side.
    """
    outreach = result.data.get("action") == "outreach"
    if outreach and outcome is None:
        outcome = _UNDERPAYMENT[lang]
    actions = _actions_section(result, lang)
    with _deferred_figures() as figures:  # drawn now, written at the end (two processes)
        groups_intro, group_sections = _groups_section(result, lang)
        candidates: list[Section | Unavailable] = [
            _findings_section(result, lang, outcome),
            _summary(result, lang),
            _hit_rates_section(result, lang),
            _selection_section(result, lang),
            *([] if actions is None else [actions]),
            groups_intro,
            *group_sections,
            _intersections_section(result, lang),
            _economic_section(result, lang),
            _targeting_section(result, lang),
            _calibration_section(result, lang),
            _proxies_section(result, lang),
            _profiles_section(result, lang),
            _exclusion_section(result, lang),
            _model_section(result, lang),
            _data_section(result, lang),
        ]
        missing = [c for c in candidates if isinstance(c, Unavailable)]
        sections = _with_figures(
            (
                *([_outreach_reading(lang)] if outreach else []),
                *(c for c in candidates if isinstance(c, Section)),
                _method_section(result, missing, lang),
                _glossary(lang),
            ),
            figures,
        )
    n_findings = int(result.findings["finding"].nunique()) if len(result.findings) else 0
    number = functools.partial(format_value, fmt="int", lang=lang)
    meta = (
        (tr("Files", lang), number(result.data["rows"])),
        (tr("Selected by the score", lang), number(result.data["selected_by_score"])),
        (tr("Findings", lang), number(n_findings)),
    )
    model = result.model or {}
    tables = {
        "overall": _records(result.overall),
        "metrics": _records(result.groups.metrics),
        "disparities": _records(result.groups.disparities),
        "deciles": _records(result.groups.deciles),
        "calibration": _records(result.groups.calibration),
        "targeting": _records(result.targeting),
        "hit_rates": _records(result.hit_rates),
        "proxies": _records(result.proxies),
        "associations": _records(result.associations),
        "gaps": _records(result.gaps),
        "profiles": _records(result.profiles),
        "changes": _records(result.changes),
        "points": _records(model.get("points")),
    }
    if result.data.get("actions"):
        tables["actions"] = list(result.data["actions"])
    if result.extra_metrics is not None:  # fairlearn-style metrics asked for: beside the tables
        tables["extra_metrics"] = _records(result.extra_metrics)
    flag_keys = ("attribute", "group", "reference", "metric", "ratio", "p_adjusted", "sentence")
    flags = [
        {
            **{k: r[k] for k in flag_keys},
            "ratio_low": r["ratio_ci_low"],
            "ratio_high": r["ratio_ci_high"],
        }
        for r in _records(result.flags) or []
    ]
    data = {
        "format": "dmde-audit",
        "format_version": 2,
        "model_sha256": model.get("sha256"),
        "findings": _findings_records(result, lang, outcome),
        "flags": flags,
        "inputs": result.data,
        "parameters": result.parameters,
        "method": result.groups.method,
        "exclusion": result.exclusion,
        "tables": tables,
    }
    subtitle = (
        tr("Who is contacted to verify their rights, how fairly, and with what certainty.", lang)
        if outreach
        else tr("Who is selected for a check, how fairly, and with what certainty.", lang)
    )
    return Document(
        kind="dmde-audit-report",
        title=title or default_title(result, lang),
        subtitle=subtitle,
        meta=meta,
        sections=sections,
        data=data,
        lang=lang,
        toc_after=2 if outreach else 1,
    )


def _outreach_reading(lang: Lang) -> Section:
    """How to read the audit of outreach: the check audit's words, read the other way."""
    return Section(
        "reading",
        tr("How to read this audit of outreach", lang),
        (
            Paragraph(
                tr(
                    "This is the audit of a check selection, read the other way: the files "
                    "'selected' are the households contacted to verify that they receive all "
                    "their rights, and the outcome is an underpayment (300 EUR over 3 months or "
                    "more). Where the tables and the glossary say check, overpayment or "
                    "overpayment rate, read contact, underpayment and underpayment rate; a "
                    "'false positive' is a contact that finds nothing due, a 'false negative' "
                    "an underpaid household left without a contact. Being selected here is "
                    "help offered, not a suspicion: a group selected below its risk is a group "
                    "the outreach misses.",
                    lang,
                ),
                kind="note",
            ),
        ),
    )


def check_report_paths(
    out: str | os.PathLike[str],
    inputs: Mapping[str, str | os.PathLike[str]],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
) -> None:
    """Refuse a report named with another extension than its formats', or whose files would
    overwrite one of the audit's ``inputs``.

    The report writes ``<stem>.html``, ``.md``, ``.json`` and ``<stem>.manifest.json``: ``--out
    audit.html`` beside a model file ``audit.json`` would destroy the model, and ``--out
    report.pdf`` would quietly write ``report.html``.

    Raises
    ------
    UsageError
        If ``out`` ends with another extension: naming the extensions it may have.
    AuditParameterError
        Naming ``out``, the input it would overwrite and what to do.
    """
    base = Path(out)
    written = [SUFFIXES[fmt] for fmt in formats]
    if base.suffix.lower() not in written:
        raise UsageError(
            f"--out {os.fspath(out)!r}: the report is written as {', '.join(written)} (all of "
            f"them, with its stem); got {base.suffix or 'no extension'!r}: give a name ending in "
            f"{written[0]}, such as report{written[0]}."
        )
    outputs = [
        ("out", f"the report's {fmt.upper()}", base.with_suffix(SUFFIXES[fmt])) for fmt in formats
    ]
    outputs.append(("out", "the report's manifest", document_manifest_path(base)))
    check_distinct_paths(outputs, inputs, error=AuditParameterError)


def write_report(
    result: AuditResult,
    path: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
    title: str | None = None,
    lang: Lang = "en",
    outcome: str | None = None,
) -> list[Path]:
    """Write the report (HTML, Markdown, JSON with the same stem); return the files written.

    The files land as one set with their manifest, ``<stem>.manifest.json``
    (:func:`dmde.data.manifest.land_run`), which is not in the list returned.
    """
    document = build_report(result, title=title, lang=lang, outcome=outcome)
    with FileSet(error=AuditError) as files:
        written = write_document(document, path, formats=formats, files=files)
        record = {"command": "audit", "title": document.title, "lang": lang}
        land_run(files, document_manifest_path(path), record, error=AuditError)
    return written
