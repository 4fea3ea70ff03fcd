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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dmde.audit.monitoring import (
    FAMILY_ALPHA,
    MIN_SHARE_MOVE,
    PSI_MAJOR,
    PSI_MODERATE,
    MonitoringFlag,
    MonitoringResult,
    monitor,
    monitored_columns,
    panel_month_frames,
    read_month,
)
from dmde.audit.monitoring_words import feature_words, mtr, p_text, subject_words
from dmde.audit.plots import to_svg
from dmde.audit.report import check_report_paths
from dmde.audit.words import attribute_label, group_label, tr
from dmde.core.errors import DmdeError, UsageError
from dmde.core.rendering import (
    Column,
    Document,
    Facts,
    Figure,
    Items,
    Lang,
    Paragraph,
    Section,
    Table,
    format_value,
    write_document,
)
from dmde.core.stats import normal_quantile
from dmde.data.datasets import read_dataset
from dmde.data.panel_controls import read_panel_controls
from dmde.data.synthetic_panel import panel_files
from dmde.model.model_file import frame_sha256, read_model_file
from dmde.model.model_records import ModelFile
from dmde.model.periods import PeriodScorecards
from dmde.model.training import training_data

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "baseline_warning",
    "detection_limits",
    "monitor_files",
    "monitoring_document",
    "monitoring_verdict",
    "plot_performance",
    "plot_selection_shares",
    "plot_stability",
    "training_check",
    "write_monitoring_report",
]

_SHOWN_FEATURES = 5  # the features drawn: those flagged, else the most moved


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure as MplFigure

    return MplFigure(figsize=(7.0, 3.6), layout="constrained").subplots()


def plot_stability(result: MonitoringResult, *, ax: Axes | None = None, lang: Lang = "en") -> Axes:
    """The score's PSI and the largest CSI of the features flagged (else of the five that
    moved most), month by month, with the 0.10 and 0.25 thresholds."""
    ax = _axes(ax)
    x = range(len(result.months))
    ax.plot(
        x,
        result.score["psi"].to_numpy(),
        color="black",
        linewidth=2,
        label=mtr("score_psi", lang),
    )
    worst = result.stability.groupby(["feature", "month"], sort=False)["csi"].max().unstack()
    worst = worst[list(result.months)]
    flagged = [f.subject for f in result.flags if f.kind == "feature"]
    shown = flagged or list(worst.max(axis=1).sort_values(ascending=False, kind="stable").index)
    for feature in shown[:_SHOWN_FEATURES]:
        label = feature_words(str(feature), lang)
        ax.plot(x, worst.loc[feature].to_numpy(), marker="o", markersize=3, label=label)
    for level, style in ((PSI_MODERATE, "--"), (PSI_MAJOR, ":")):
        ax.axhline(level, color="grey", linestyle=style, linewidth=1)
    ax.set_xticks(list(x), list(result.months), rotation=90, fontsize=7)
    ax.set_ylabel(mtr("axis_stability", lang))
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return ax


def plot_selection_shares(
    result: MonitoringResult, *, ax: Axes | None = None, lang: Lang = "en"
) -> Axes:
    """Each flagged group's share among the files selected, month by month (Wilson 95%
    intervals), against its baseline share (dashed); without a flag, the nationality groups."""
    ax = _axes(ax)
    comp = result.composition
    subjects = [s for f in result.flags if f.kind == "group" for s in (f.subject, *f.also)]
    if not subjects:
        subjects = [f"nationality_group={g}" for g in ("french", "eu", "non_eu")]
    x = np.arange(len(result.months))
    for subject in subjects:
        attribute, group = subject.split("=", 1)
        rows = comp[(comp["attribute"] == attribute) & (comp["group"] == group)]
        if rows.empty:
            continue
        rows = rows.set_index("month").reindex(list(result.months))
        share = rows["share"].to_numpy(dtype=float)
        error = np.vstack(
            [
                share - rows["share_low"].to_numpy(dtype=float),
                rows["share_high"].to_numpy(dtype=float) - share,
            ]
        )
        label = group_label(attribute, group, lang)
        line = ax.errorbar(
            x, 100 * share, yerr=100 * error, marker="o", markersize=3, capsize=2, label=label
        )
        ax.axhline(
            100 * float(rows["baseline_share"].iloc[0]),
            color=line[0].get_color(),
            linestyle="--",
            linewidth=1,
        )
    ax.set_xticks(list(x), list(result.months), rotation=90, fontsize=7)
    ax.set_ylabel(mtr("axis_share", lang))
    ax.legend(fontsize=7, loc="best", frameon=False)
    return ax


def plot_performance(
    result: MonitoringResult, *, ax: Axes | None = None, lang: Lang = "en"
) -> Axes:
    """The AUC on each month's random controls (Hanley-McNeil 95% intervals) against the
    baseline's AUC out of fold (dashed)."""
    ax = _axes(ax)
    score = result.score
    x = np.arange(len(result.months))
    auc = score["auc"].to_numpy(dtype=float)
    error = np.vstack(
        [
            auc - score["auc_low"].to_numpy(dtype=float),
            score["auc_high"].to_numpy(dtype=float) - auc,
        ]
    )
    ax.errorbar(x, auc, yerr=error, marker="o", markersize=3, capsize=2, color="black")
    reference = float(result.baseline.get("auc", np.nan))
    if np.isfinite(reference):
        ax.axhline(reference, color="grey", linestyle="--", linewidth=1)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(list(x), list(result.months), rotation=90, fontsize=7)
    ax.set_ylabel(mtr("axis_auc", lang))
    return ax


def _figures(result: MonitoringResult, lang: Lang) -> Section:
    return Section(
        "over-time",
        mtr("over_time", lang),
        (
            Figure(
                "stability",
                to_svg(plot_stability(result, lang=lang)),
                mtr("fig_stability", lang),
                mtr("fig_stability_alt", lang),
            ),
            Figure(
                "selection-shares",
                to_svg(plot_selection_shares(result, lang=lang)),
                mtr("fig_shares", lang),
                mtr("fig_shares_alt", lang),
            ),
            Figure(
                "performance",
                to_svg(plot_performance(result, lang=lang)),
                mtr("fig_performance", lang),
                mtr("fig_performance_alt", lang),
            ),
        ),
    )


def monitoring_verdict(result: MonitoringResult, lang: Lang = "en") -> str:
    """The run in one sentence: what changed and from when, or that nothing did.

    Flags are counted as what they are: a change from a month after the first (the run saw
    it happen), or a gap with the baseline from the first month monitored (the run cannot
    date it: it came before that month, or from the baseline itself). A flag that held in
    some months only says in how many. A baseline that is not the model's training data
    (``result.baseline["training_data"] == "other"``, set by :func:`monitor_files`) is said
    at the start.

    For example "Verdict: one change over the 13 months monitored: feature mean_cf_12m
    (family supplement) from 2026-06."
    """
    months = result.months
    changes = [f for f in result.flags if f.first_month != months[0]]
    gaps = [f for f in result.flags if f.first_month == months[0]]
    if not result.flags:
        text = mtr("verdict_none", lang, n=len(months), first=months[0], last=months[-1])
    elif not gaps:
        text = mtr(
            "verdict_changes",
            lang,
            changes=_count("change", len(changes), lang),
            n=len(months),
            subjects=_subjects(changes, result, lang),
        )
    else:
        fields = {
            "gaps": _count("gap", len(gaps), lang),
            "n": len(months),
            "first": months[0],
        }
        if not changes:
            text = mtr("verdict_gaps", lang, subjects=_subjects(gaps, result, lang), **fields)
        else:
            text = mtr(
                "verdict_both",
                lang,
                changes=_count("change", len(changes), lang),
                subjects=_subjects(changes, result, lang),
                gap_subjects=_subjects(gaps, result, lang),
                **fields,
            )
    other = result.baseline.get("training_data") == "other"
    return mtr("verdict_other_baseline" if other else "verdict", lang, text=text)


def _join(items: Sequence[str], lang: Lang) -> str:
    """Items of a list in running text: " ; " in French, "; " in English."""
    return (" ; " if lang == "fr" else "; ").join(items)


def _count(what: str, k: int, lang: Lang) -> str:
    return mtr(f"one_{what}", lang) if k == 1 else mtr(f"some_{what}s", lang, k=k)


def _subjects(flags: Sequence[MonitoringFlag], result: MonitoringResult, lang: Lang) -> str:
    """Each flag's subject, from when (a change), and in how many months when not every."""
    months = list(result.months)
    items = []
    for f in flags:
        subject = subject_words(f.kind, f.subject, lang)
        since = len(months) - months.index(f.first_month)
        if f.first_month != months[0]:
            subject = mtr("subject_from", lang, subject=subject, month=f.first_month)
        if len(f.months) < since:
            key = "held_of" if f.first_month == months[0] else "held_since"
            subject = mtr(key, lang, subject=subject, n=len(f.months), m=since)
        items.append(subject)
    return _join(items, lang)


def _floor_points(result: MonitoringResult, lang: Lang) -> str:
    return format_value(100 * result.min_move, "num1", lang=lang)


def _findings(result: MonitoringResult, lang: Lang) -> Section:
    other = result.baseline.get("training_data") == "other"
    blocks: list[Paragraph] = [
        Paragraph(monitoring_verdict(result, lang), "warning" if result.flags or other else "ok")
    ]
    training = baseline_warning(result, lang)
    if training:
        blocks.append(Paragraph(training, "warning" if other else "text"))
    blocks += [Paragraph(text) for text in _gap_notes(result, lang)]
    if not result.flags:
        blocks.append(
            Paragraph(mtr("nothing", lang, n=len(result.months), floor=_floor_points(result, lang)))
        )
    blocks += [Paragraph(flag.in_words(lang), "warning") for flag in result.flags]
    blocks += [Paragraph(text) for text in _notes(result, lang)]
    blocks.append(Paragraph(detection_limits(result, lang)))
    title = tr("Findings", lang)
    return Section("findings", title, tuple(blocks))


def baseline_warning(result: MonitoringResult, lang: Lang = "en") -> str:
    """What :func:`monitor_files` found of the baseline against the model's training data:
    a warning when it is not that data (every flag is then a move from another reference),
    a note when it could not be checked, nothing when it is (or was not asked)."""
    base = result.baseline
    status = base.get("training_data")
    if status == "other":
        return mtr(
            "training_other",
            lang,
            file=base.get("training_file") or "?",
            rows=format_value(base.get("training_rows"), "int", lang=lang),
            model_sha=str(base.get("training_sha256", ""))[:12],
            base_rows=format_value(base.get("baseline_training_rows"), "int", lang=lang),
            base_sha=mtr("with_sha", lang, sha=str(base["baseline_sha256"])[:12])
            if base.get("baseline_sha256")
            else "",
        )
    if status == "not recorded":
        return mtr("training_unknown", lang)
    if status == "not readable":
        return mtr("training_unread", lang, target=base.get("training_target") or "target")
    return ""


def _gap_notes(result: MonitoringResult, lang: Lang) -> list[str]:
    """What a flag from the first month means (once), and why a calibration gap from the
    first month points at the baseline's sample of controls."""
    first = result.months[0]
    gaps = [f for f in result.flags if f.first_month == first]
    if not gaps or len(result.months) == 1:
        return []
    trained = result.baseline.get("training_data") == "same"
    notes = [mtr("gap_note_trained" if trained else "gap_note", lang, first=first)]
    calibration = next((f for f in gaps if f.kind == "calibration"), None)
    base = result.baseline
    if calibration is not None and np.isfinite(float(base.get("observed_rate", np.nan))):
        facts = calibration.facts
        notes.append(
            mtr(
                "calibration_first",
                lang,
                predicted=format_value(float(facts["predicted_rate"]), "pct1", lang=lang),
                observed=format_value(float(facts["observed_rate"]), "pct1", lang=lang),
                month=first,
                controls=format_value(base.get("controls"), "int", lang=lang),
                months=format_value(base.get("months", 1), "int", lang=lang),
                rate=format_value(float(base["observed_rate"]), "pct1", lang=lang),
            )
        )
    return notes


def _notes(result: MonitoringResult, lang: Lang) -> list[str]:
    """What is said but not flagged: moves below the floor, groups not tested, rows left out."""
    notes: list[str] = []
    comp = result.composition
    if len(comp):
        below = comp[comp["significant"] & ~comp["material"]]
        items = [
            mtr(
                "below_floor_item",
                lang,
                group=group_label(str(r["attribute"]), str(r["group"]), lang),
                month=r["month"],
                base=format_value(float(r["baseline_share"]), "pct1", lang=lang),
                share=format_value(float(r["share"]), "pct1", lang=lang),
            )
            for _, r in below.iterrows()
        ]
        if items:
            notes.append(
                mtr(
                    "below_floor", lang, floor=_floor_points(result, lang), items=_join(items, lang)
                )
            )
        untested = comp[~comp["tested"]]
        counts = untested.groupby(["attribute", "group"], sort=False).size().reset_index()
        items = [
            mtr(
                "untested_item",
                lang,
                group=group_label(str(a), str(g), lang),
                n=int(n),
                m=len(result.months),
            )
            for a, g, n in counts.itertuples(index=False)
        ]
        if items:
            notes.append(mtr("untested", lang, items=_join(items, lang)))
    score = result.score
    if "rejected" in score and int(score["rejected"].sum()) > 0:
        rows = score[score["rejected"] > 0]
        items = [
            f"{r['month']}: {format_value(int(r['rejected']), 'int', lang=lang)} "
            f"({r['rejected_first']})"
            for _, r in rows.iterrows()
        ]
        notes.append(mtr("rejected", lang, items=_join(items, lang)))
    return notes


def detection_limits(result: MonitoringResult, lang: Lang = "en") -> str:
    """What the monitor could not see: the smallest move of a group's share, fall of the AUC
    and gap of calibration it flags at the sizes of this run (half the time)."""
    parts = [_group_limits(result, lang), _performance_limits(result, lang)]
    return " ".join(p for p in parts if p)


def _group_limits(result: MonitoringResult, lang: Lang) -> str:
    composition = result.composition
    tested = int(composition["tested"].sum()) if len(composition) else 0
    n0 = float(result.baseline.get("selected", 0))
    if tested == 0 or n0 <= 0:
        return mtr("limits_no_groups", lang)
    per_month = composition.groupby(["month", "attribute"], sort=False)["selected"].sum()
    n1 = float(per_month.groupby(level="month", sort=False).max().median())
    z = normal_quantile(result.alpha / tested)
    move = max(z * np.sqrt(0.1 * 0.9 * (1 / n1 + 1 / n0)), result.min_move)
    return mtr(
        "limits_groups",
        lang,
        n1=format_value(n1, "int", lang=lang),
        n0=format_value(n0, "int", lang=lang),
        move=format_value(100 * move, "num1", lang=lang),
        tested=format_value(tested, "int", lang=lang),
        floor=_floor_points(result, lang),
    )


def _performance_limits(result: MonitoringResult, lang: Lang) -> str:
    base = result.baseline
    score = result.score
    months = max(len(result.months), 1)
    texts = []
    if not np.isfinite(float(base.get("auc", np.nan))):
        texts.append(mtr("limits_no_auc", lang, why=base.get("auc_note", "")))
    se_cal = float(base.get("observed_se", np.nan))
    if not np.isfinite(se_cal) or not np.isfinite(score["observed_rate"]).any():
        texts.append(mtr("limits_no_calibration", lang))
    if texts:
        return " ".join(texts)
    z2 = normal_quantile(result.alpha / months)  # two-sided: calibration
    z1 = normal_quantile(2 * result.alpha / months)  # one-sided: the AUC
    drop = z1 * float(np.sqrt(base["auc_se"] ** 2 + np.nanmedian(score["auc_se"]) ** 2))
    observed = score["observed_rate"]
    month_se = np.sqrt(observed * (1 - observed) / score["controls_effective"])
    gap = z2 * float(np.sqrt(se_cal**2 + np.nanmedian(month_se) ** 2))
    return mtr(
        "limits_auc",
        lang,
        reference=format_value(float(base["auc"]), "num3", lang=lang),
        drop=format_value(drop, "num3", lang=lang),
        gap=format_value(100 * gap, "num1", lang=lang),
        controls=format_value(float(np.median(score["controls"])), "int", lang=lang),
    )


def _method(result: MonitoringResult, lang: Lang) -> Section:
    alpha = format_value(result.alpha, "pct0", lang=lang)
    floor = _floor_points(result, lang)
    base = result.baseline
    return Section(
        "method",
        mtr("method", lang),
        (
            Items(
                (
                    mtr("method_psi", lang),
                    mtr("method_flag", lang, alpha=alpha),
                    mtr("method_performance", lang, alpha=alpha),
                    mtr("method_groups", lang, alpha=alpha, floor=floor),
                )
            ),
            Facts(
                (
                    (mtr("fact_months", lang), format_value(len(result.months), "int", lang=lang)),
                    (
                        mtr("fact_baseline_months", lang),
                        format_value(base.get("months", 1), "int", lang=lang),
                    ),
                    (
                        mtr("fact_baseline_files", lang),
                        format_value(base.get("files", 0), "int", lang=lang),
                    ),
                    (
                        mtr("fact_baseline_selected", lang),
                        format_value(base.get("selected", 0), "int", lang=lang),
                    ),
                    (
                        mtr("fact_baseline_auc", lang),
                        format_value(_finite(base.get("auc")), "num3", lang=lang),
                    ),
                    (mtr("fact_floor", lang), floor),
                )
            ),
        ),
    )


def _finite(value: object) -> float | None:
    x = float(value) if isinstance(value, int | float) else np.nan
    return x if np.isfinite(x) else None


_SCORE_COLUMNS = (
    ("month", "col_month", "text"),
    ("files", "col_files", "int"),
    ("rejected", "col_rejected", "int"),
    ("mean_score", "col_mean_score", "num1"),
    ("psi", "col_psi", "num3"),
    ("level", "col_level", "text"),
    ("selected", "col_selected", "int"),
    ("cut", "col_cut", "num2"),
    ("controls", "col_controls", "int"),
    ("auc", "col_auc", "num3"),
    ("auc_low", "col_auc_low", "num3"),
    ("auc_high", "col_auc_high", "num3"),
    ("observed_rate", "col_observed", "pct1"),
    ("observed_low", "col_observed_low", "pct1"),
    ("observed_high", "col_observed_high", "pct1"),
    ("predicted_rate", "col_predicted", "pct1"),
    ("flags", "col_flags", "text"),
)


def _columns(spec: Sequence[tuple[str, str, str]], lang: Lang) -> tuple[Column, ...]:
    return tuple(Column(key, mtr(label, lang), fmt) for key, label, fmt in spec)


def _score(result: MonitoringResult, lang: Lang) -> Section:
    frame = result.score.copy()
    frame["level"] = [
        mtr(str(level), lang) if level in ("stable", "moderate", "major") else level
        for level in frame["level"]
    ]
    marks = []
    for _, row in frame.iterrows():
        hit = [
            mtr(key, lang)
            for key, column in (
                ("flag_score", "flagged"),
                ("flag_auc", "auc_flagged"),
                ("flag_calibration", "calibration_flagged"),
            )
            if bool(row[column])
        ]
        marks.append(", ".join(hit))
    frame["flags"] = marks
    return Section(
        "score",
        mtr("score_section", lang),
        (
            Table.from_frame(
                frame, _columns(_SCORE_COLUMNS, lang), caption=mtr("score_caption", lang)
            ),
        ),
    )


def _stability(result: MonitoringResult, lang: Lang) -> Section:
    worst = result.stability.groupby(["feature", "month"], sort=False)["csi"].max().unstack()
    order = list(dict.fromkeys(result.stability["feature"]))
    worst = worst.loc[order, list(result.months)].reset_index()
    worst["feature"] = [feature_words(str(f), lang, code=True) for f in worst["feature"]]
    columns = (
        Column("feature", mtr("col_feature", lang)),
        *(Column(m, m, "num3") for m in result.months),
    )
    return Section(
        "stability",
        mtr("stability_section", lang),
        (Table.from_frame(worst, columns, caption=mtr("stability_caption", lang)),),
    )


_COMPOSITION_COLUMNS = (
    ("month", "col_month", "text"),
    ("attribute", "col_attribute", "text"),
    ("group", "col_group", "text"),
    ("selected", "col_selected", "int"),
    ("share", "col_share", "pct1"),
    ("share_low", "col_low", "pct1"),
    ("share_high", "col_high", "pct1"),
    ("baseline_share", "col_baseline", "pct1"),
    ("p_text", "col_p", "text"),
    ("flagged", "col_flags", "text"),
)


def _composition(result: MonitoringResult, lang: Lang) -> Section:
    comp = result.composition
    frame = comp.copy()
    frame["attribute"] = [attribute_label(a, lang) for a in comp["attribute"]]
    frame["group"] = [
        group_label(a, g, lang) for a, g in zip(comp["attribute"], comp["group"], strict=True)
    ]
    # two significant digits: "< 0.001" would hide whether p passes its Bonferroni level
    frame["p_text"] = [p_text(float(p), lang) for p in comp["p_value"]]
    frame["flagged"] = [
        mtr("yes", lang) if f else mtr("below floor", lang) if s else ""
        for f, s in zip(comp["flagged"], comp["significant"], strict=True)
    ]
    return Section(
        "composition",
        mtr("composition_section", lang),
        (
            Table.from_frame(
                pd.DataFrame(frame),
                _columns(_COMPOSITION_COLUMNS, lang),
                caption=mtr("composition_caption", lang),
                collapsed=True,
            ),
        ),
    )


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A table as JSON records: plain numbers, None for missing."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): _plain(v) for k, v in row.items()})
    return out


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _data(result: MonitoringResult) -> dict[str, object]:
    """The figures behind the report, month by month, for machines (the JSON's ``data``)."""
    return {
        "months": list(result.months),
        "alpha": result.alpha,
        "min_move": result.min_move,
        "baseline": {
            str(k): _plain(v) if not isinstance(v, list) else v for k, v in result.baseline.items()
        },
        "flags": [
            {
                "kind": f.kind,
                "subject": f.subject,
                "also": list(f.also),
                "first_month": f.first_month,
                "months": list(f.months),
                "sentence": f.sentence,
            }
            for f in result.flags
        ],
        "score": _records(result.score),
        "features": _records(result.stability),
        "composition": _records(result.composition),
    }


def monitoring_document(
    result: MonitoringResult,
    *,
    title: str | None = None,
    meta: Sequence[tuple[str, str]] = (),
    lang: Lang = "en",
) -> Document:
    """The report of a monitoring run, as a document: the verdict in one sentence first, then
    each finding, what was not flagged and why, and the limits; ``meta`` says what was
    monitored (model file and SHA-256, baseline, panel, selection), shown under the title."""
    months = result.months
    return Document(
        meta=tuple(meta),
        kind="monitoring",
        title=title or mtr("title", lang),
        lang=lang,
        subtitle=f"{months[0]} – {months[-1]}" if len(months) > 1 else months[0],
        sections=(
            _findings(result, lang),
            _figures(result, lang),
            _method(result, lang),
            _score(result, lang),
            _stability(result, lang),
            _composition(result, lang),
        ),
        data=_data(result),
        toc_after=1,
    )


def write_monitoring_report(
    result: MonitoringResult,
    path: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
    meta: Sequence[tuple[str, str]] = (),
    lang: Lang = "en",
) -> list[Path]:
    """Write the report beside ``path`` in each format (same stem); return the paths written."""
    document = monitoring_document(result, meta=meta, lang=lang)
    return write_document(document, path, formats=formats)


def _training_meta(checked: Mapping[str, Any], lang: Lang) -> str:
    status = checked["training_data"]
    if status == "same":
        return mtr("training_same", lang)
    if status == "other":
        return mtr(
            "training_not_same",
            lang,
            file=checked.get("training_file") or "?",
            rows=format_value(checked.get("training_rows"), "int", lang=lang),
        )
    return mtr("training_not_checked", lang)


def _check_out_outside_panels(
    out: str | os.PathLike[str], folders: Mapping[str, str | os.PathLike[str]]
) -> None:
    """The report is not written inside a panel: in a month folder it would be read with the
    month (a hive-partitioned reader takes every file of the folder), and in the panel's
    folder beside its months."""
    where = Path(out).resolve().parent
    given = Path(out).parents  # named as typed where the path says it, else resolved
    for parent in (*given, where, *where.parents):
        if parent.name.startswith("snapshot_month="):
            raise UsageError(
                f"--out {os.fspath(out)!r} is inside the month folder {parent.name} of the panel "
                f"{os.fspath(parent.parent)!r}: the report's files would be read with that "
                "month; write the report outside the panel, such as monitor/monitor.html."
            )
    for flag, folder in folders.items():
        root = Path(folder).resolve()
        if _holds_months(root) and (where == root or root in where.parents):
            raise UsageError(
                f"--out {os.fspath(out)!r} is inside the panel {os.fspath(folder)!r} given as "
                f"{flag}: the report's files would sit among its months; write the report "
                "outside the panel, such as monitor/monitor.html."
            )


def _holds_months(folder: Path) -> bool:
    """A panel folder: a folder with a ``snapshot_month=...`` folder in it (a folder without
    one is refused as no panel when read, saying so)."""
    return folder.is_dir() and any(
        d.is_dir() and d.name.startswith("snapshot_month=") for d in folder.iterdir()
    )


def training_check(model: ModelFile, baseline: str | os.PathLike[str]) -> dict[str, Any]:
    """Whether ``baseline`` is the data the model was trained on: its random controls, read as
    ``dmde train`` reads them (a file, or a panel folder's controls of every month), hashed
    as the model file's training fact ``data_sha256`` was.

    Returns
    -------
    dict
        ``training_data``: "same", "other", "not recorded" (the model file has no hash) or
        "not readable" (the baseline has no random controls with the model's target); the
        model file's ``training_file``, ``training_rows``, ``training_sha256``,
        ``training_target``; for "same" and "other", the baseline's ``baseline_sha256`` and
        ``baseline_training_rows``.
    """
    record = model.training
    facts: dict[str, Any] = {
        "training_file": record.data_file,
        "training_rows": record.rows,
        "training_sha256": record.data_sha256,
        "training_target": record.target,
    }
    if not record.data_sha256:
        return {"training_data": "not recorded", **facts}
    path = Path(baseline)
    target = record.target or "target"
    files = [f for _, f in panel_files(path)] if path.is_dir() else [path]
    if not isinstance(model.model, PeriodScorecards):  # its rows are the fitted rows
        # counted on two columns first: another number of controls is another baseline,
        # without reading (and typing) every column of it
        try:
            rows = sum(_training_rows(f, target) for f in files)
        except DmdeError:
            return {"training_data": "not readable", **facts}
        if rows != record.rows:
            return {"training_data": "other", **facts, "baseline_training_rows": rows}
    try:
        frame = read_panel_controls(path) if path.is_dir() else read_dataset(path)
        data = training_data(frame, target=target)
    except DmdeError:
        return {"training_data": "not readable", **facts}
    digest = frame_sha256(data.X)
    return {
        "training_data": "same" if digest == record.data_sha256 else "other",
        **facts,
        "baseline_sha256": digest,
        "baseline_training_rows": len(data.X),
    }


def _training_rows(path: Path, target: str) -> int:
    """The rows ``dmde train`` trains on in a file: random controls with a known target."""
    frame = read_dataset(path, columns=["controlled", target])
    return int(((frame["controlled"] == 1) & frame[target].notna()).sum())


def monitor_files(
    model: str | os.PathLike[str],
    baseline: str | os.PathLike[str],
    months: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    budget: int | None = None,
    share: float | None = None,
    alpha: float = FAMILY_ALPHA,
    seed: int = 0,
    min_move: float = MIN_SHARE_MOVE,
    verify_key: str | os.PathLike[str] | None = None,
    formats: Iterable[str] = ("html", "md", "json"),
    lang: Lang = "en",
) -> tuple[MonitoringResult, list[Path]]:
    """Monitor a model file over a panel folder and write the report (``dmde monitor``).

    Parameters
    ----------
    model : path
        The model file (JSON), loaded with its checks (and its signature, with
        ``verify_key``).
    baseline : path
        The population the model was trained on: one file (CSV or Parquet), or a panel folder
        whose months are all the baseline.
    months : path
        A panel folder (``snapshot_month=YYYY-MM/part-0.parquet``), read a month at a time;
        when ``baseline`` is a panel folder, only the months after its last are monitored.
        Rows that break the catalog are left out and counted, as ``dmde score`` rejects them;
        a row whose ``snapshot_month`` is not its folder's is refused.
    out : path
        The report, ending in ``.html``, ``.md`` or ``.json`` (the three are written, with the
        same stem), outside the panel folders.
    budget, share, alpha, seed, min_move
        See :func:`~dmde.audit.monitoring.monitor`.
    lang : {"en", "fr"}, default "en"
        Language of the report (``dmde monitor`` writes French unless told, as ``dmde audit``).

    Returns
    -------
    (MonitoringResult, list of Path)
        The result and the files written. Its ``baseline`` says whether ``baseline`` is the
        model's training data (:func:`training_check`); when it is not, the verdict and the
        first screen say so.

    Raises
    ------
    UsageError
        If ``out`` has another extension, would overwrite an input, or lies inside a panel
        (a month folder, or the ``months`` or ``baseline`` folder).
    DmdeError
        If a file cannot be read, or the panel holds no month after the baseline.
    """
    check_report_paths(
        out, {"the model file": model, "the baseline": baseline}, formats=tuple(formats)
    )
    _check_out_outside_panels(out, {"--months": months, "--baseline": baseline})
    model_file = read_model_file(model, verify_key=verify_key)
    fitted = model_file.model
    columns = monitored_columns(fitted)
    base_path = Path(baseline)
    if base_path.is_dir():
        reference = list(panel_month_frames(base_path, columns=columns))
        since: str | None = reference[-1][0]
    else:
        frame = read_month(base_path, columns=columns)
        reference = [("baseline", frame)]
        # A month of the panel taken as the baseline: the later months only are monitored
        # (the baseline against itself, or earlier months, would read as drift).
        stamped = frame["snapshot_month"].dropna().astype(str) if "snapshot_month" in frame else ()
        since = str(max(stamped)) if len(stamped) else None
    if not any(since is None or month > since for month, _ in panel_files(months)):
        raise DmdeError(
            f"{os.fspath(months)!r} holds no month after the baseline's last ({since}): give "
            "a panel of later months."
        )
    frames = panel_month_frames(months, columns=columns, since=since, after=True)
    result = monitor(
        fitted,
        reference,
        frames,
        budget=budget,
        share=share,
        alpha=alpha,
        seed=seed,
        min_move=min_move,
    )
    del reference
    checked = training_check(model_file, baseline)
    result = replace(result, baseline={**result.baseline, **checked})
    selection = (
        mtr("selection_budget", lang, budget=format_value(budget, "int", lang=lang), seed=seed)
        if budget is not None
        else mtr("selection_share", lang, share=format_value(share, "pct2", lang=lang), seed=seed)
    )
    meta = (
        (mtr("meta_model", lang), f"{os.fspath(model)} (sha256 {fitted.model_sha256_})"),
        (mtr("meta_baseline", lang), os.fspath(baseline)),
        (mtr("meta_training", lang), _training_meta(checked, lang)),
        (mtr("meta_panel", lang), os.fspath(months)),
        (mtr("meta_selection", lang), selection),
        (
            mtr("meta_false_alarms", lang),
            mtr("false_alarms", lang, alpha=format_value(alpha, "pct0", lang=lang)),
        ),
    )
    written = write_monitoring_report(result, out, formats=formats, meta=meta, lang=lang)
    return result, written
