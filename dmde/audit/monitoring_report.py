"""The monitoring report: a :class:`~dmde.audit.monitoring.MonitoringResult` as a document.

Built as data first (:class:`~dmde.core.rendering.Document`), rendered second by
:mod:`dmde.core.rendering` (HTML, Markdown, JSON, text). The findings open the page, each with
the figure that justifies it; then the method (thresholds, tests, false-alarm rates), the score
month by month (stability, cut, AUC and calibration on the random controls), the features'
stability (the largest index of each feature in each month) and the composition of the
selection by group.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from dmde.audit.monitoring import PSI_MAJOR, PSI_MODERATE, MonitoringResult
from dmde.audit.targeting import GROUP_ATTRIBUTES
from dmde.core.rendering import (
    Column,
    Document,
    Facts,
    Items,
    Paragraph,
    Section,
    Table,
    write_document,
)

__all__ = ["monitoring_document", "write_monitoring_report"]


def _findings(result: MonitoringResult) -> Section:
    if not result.flags:
        blocks: tuple[Paragraph, ...] = (
            Paragraph(
                f"Nothing moved beyond chance over the {len(result.months)} months monitored: "
                "no feature, no score shift, no group's share among the selected files.",
                "ok",
            ),
        )
    else:
        blocks = tuple(Paragraph(flag.sentence, "warning") for flag in result.flags)
    return Section("findings", "Findings", blocks)


def _method(result: MonitoringResult) -> Section:
    alpha = f"{result.alpha:.0%}"
    return Section(
        "method",
        "Method",
        (
            Items(
                (
                    "Stability index: sum over bins of (month share - baseline share) x "
                    "ln(month share / baseline share). The score on the baseline's deciles; each "
                    "feature on the model's bins (per segment) and on the baseline's deciles of "
                    f"its values. Below {PSI_MODERATE:.2f} stable, from {PSI_MODERATE:.2f} a "
                    f"moderate shift, from {PSI_MAJOR:.2f} a major shift (Siddiqi 2006).",
                    "An index is flagged when it reaches 0.10 and exceeds what chance gives "
                    "with no change (chi-square bound, Yurdakul 2018), at a Bonferroni level: "
                    f"at most {alpha} chance of any false flag over the run, for the features "
                    "and again for the score.",
                    "Performance on each month's random controls, weighted by their survey "
                    "weights: AUC with its Hanley-McNeil 95% interval; observed rate (Wilson "
                    "95% interval) against the mean predicted probability.",
                    "A group's share among the selected files is compared with its share among "
                    "the baseline's selections (two-proportion z test), Bonferroni over every "
                    f"month and group tested: at most {alpha} chance of any false flag.",
                )
            ),
            Facts(
                (
                    ("months monitored", f"{len(result.months)}"),
                    ("baseline months", f"{result.baseline.get('months', 1)}"),
                    ("baseline files", f"{result.baseline.get('files', 0):,}"),
                    ("baseline files selected", f"{result.baseline.get('selected', 0):,}"),
                )
            ),
        ),
    )


_SCORE_COLUMNS = (
    Column("month", "month"),
    Column("files", "files", "int"),
    Column("mean_score", "mean score", "num1"),
    Column("psi", "PSI", "num3"),
    Column("level", "level"),
    Column("selected", "selected", "int"),
    Column("cut", "cut", "num2"),
    Column("controls", "random controls", "int"),
    Column("auc", "AUC", "num3"),
    Column("auc_low", "AUC low", "num3"),
    Column("auc_high", "AUC high", "num3"),
    Column("observed_rate", "observed rate", "pct1"),
    Column("observed_low", "observed low", "pct1"),
    Column("observed_high", "observed high", "pct1"),
    Column("predicted_rate", "predicted rate", "pct1"),
)


def _score(result: MonitoringResult) -> Section:
    return Section(
        "score",
        "The score month by month",
        (Table.from_frame(result.score, _SCORE_COLUMNS, caption="Score, selection, performance"),),
    )


def _stability(result: MonitoringResult) -> Section:
    worst = result.stability.groupby(["feature", "month"], sort=False)["csi"].max().unstack()
    order = list(dict.fromkeys(result.stability["feature"]))
    worst = worst.loc[order, list(result.months)].reset_index()
    columns = (Column("feature", "feature"), *(Column(m, m, "num3") for m in result.months))
    return Section(
        "stability",
        "Features: the largest stability index each month",
        (
            Table.from_frame(
                worst,
                columns,
                caption="Largest CSI of each feature (model's bins of each segment, deciles)",
            ),
        ),
    )


_COMPOSITION_COLUMNS = (
    Column("month", "month"),
    Column("attribute", "attribute"),
    Column("group", "group"),
    Column("selected", "selected", "int"),
    Column("share", "share", "pct1"),
    Column("share_low", "low", "pct1"),
    Column("share_high", "high", "pct1"),
    Column("baseline_share", "baseline", "pct1"),
    Column("p_value", "p", "p"),
    Column("flagged", "flagged"),
)


def _composition(result: MonitoringResult) -> Section:
    frame = result.composition.copy()
    frame["attribute"] = [GROUP_ATTRIBUTES[a].label[0] for a in frame["attribute"]]
    frame["group"] = [
        GROUP_ATTRIBUTES[a].level_label(g)
        for a, g in zip(result.composition["attribute"], result.composition["group"], strict=True)
    ]
    frame["flagged"] = frame["flagged"].map({True: "yes", False: ""})
    return Section(
        "composition",
        "Who is selected, month by month",
        (
            Table.from_frame(
                pd.DataFrame(frame),
                _COMPOSITION_COLUMNS,
                caption="Share of each group among the files selected (Wilson 95% interval)",
                collapsed=True,
            ),
        ),
    )


def monitoring_document(result: MonitoringResult, *, title: str = "Monitoring") -> Document:
    """The report of a monitoring run, as a document (findings first)."""
    months = result.months
    return Document(
        kind="monitoring",
        title=title,
        subtitle=f"{months[0]} to {months[-1]}" if len(months) > 1 else months[0],
        sections=(
            _findings(result),
            _method(result),
            _score(result),
            _stability(result),
            _composition(result),
        ),
        toc_after=1,
    )


def write_monitoring_report(
    result: MonitoringResult,
    path: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
) -> list[Path]:
    """Write the report beside ``path`` in each format (same stem); return the paths written."""
    return write_document(monitoring_document(result), path, formats=formats)
