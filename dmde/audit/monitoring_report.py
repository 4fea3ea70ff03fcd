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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dmde.audit.monitoring import (
    FAMILY_ALPHA,
    PSI_MAJOR,
    PSI_MODERATE,
    MonitoringResult,
    monitor,
    monitored_columns,
    panel_month_frames,
)
from dmde.audit.plots import to_svg
from dmde.audit.report import check_report_paths
from dmde.audit.targeting import GROUP_ATTRIBUTES
from dmde.core.errors import DmdeError
from dmde.core.rendering import (
    Column,
    Document,
    Facts,
    Figure,
    Items,
    Paragraph,
    Section,
    Table,
    write_document,
)
from dmde.core.stats import normal_quantile
from dmde.data.opening import file_columns
from dmde.data.synthetic_panel import panel_files
from dmde.data.validation import read_dataset
from dmde.model.model_file import load_model

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "detection_limits",
    "monitor_files",
    "monitoring_document",
    "plot_selection_shares",
    "plot_stability",
    "write_monitoring_report",
]

_SHOWN_FEATURES = 5  # the features drawn: those flagged, else the most moved


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure as MplFigure

    return MplFigure(figsize=(7.0, 3.6), layout="constrained").subplots()


def plot_stability(result: MonitoringResult, *, ax: Axes | None = None) -> Axes:
    """The score's PSI and the largest CSI of the features flagged (else of the five that
    moved most), month by month, with the 0.10 and 0.25 thresholds."""
    ax = _axes(ax)
    x = range(len(result.months))
    ax.plot(x, result.score["psi"].to_numpy(), color="black", linewidth=2, label="score (PSI)")
    worst = result.stability.groupby(["feature", "month"], sort=False)["csi"].max().unstack()
    worst = worst[list(result.months)]
    flagged = [f.subject for f in result.flags if f.kind == "feature"]
    shown = flagged or list(worst.max(axis=1).sort_values(ascending=False, kind="stable").index)
    for feature in shown[:_SHOWN_FEATURES]:
        ax.plot(x, worst.loc[feature].to_numpy(), marker="o", markersize=3, label=str(feature))
    for level, style in ((PSI_MODERATE, "--"), (PSI_MAJOR, ":")):
        ax.axhline(level, color="grey", linestyle=style, linewidth=1)
    ax.set_xticks(list(x), list(result.months), rotation=90, fontsize=7)
    ax.set_ylabel("stability index")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return ax


def plot_selection_shares(result: MonitoringResult, *, ax: Axes | None = None) -> Axes:
    """Each flagged group's share among the files selected, month by month (Wilson 95%
    intervals), against its baseline share (dashed); without a flag, the nationality groups."""
    ax = _axes(ax)
    comp = result.composition
    subjects = [f.subject for f in result.flags if f.kind == "group"]
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
        label = GROUP_ATTRIBUTES[attribute].level_label(group)
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
    ax.set_ylabel("share among the selected (%)")
    ax.legend(fontsize=7, loc="best", frameon=False)
    return ax


def _figures(result: MonitoringResult) -> Section:
    return Section(
        "over-time",
        "Over time",
        (
            Figure(
                "stability",
                to_svg(plot_stability(result)),
                "The score's PSI and the features' largest CSI, month by month; dashed: 0.10 "
                "(moderate shift), dotted: 0.25 (major shift).",
                "Line chart of stability indices by month.",
            ),
            Figure(
                "selection-shares",
                to_svg(plot_selection_shares(result)),
                "Share of groups among the files selected, month by month, with 95% intervals; "
                "dashed: the group's share among the baseline's selections.",
                "Line chart of group shares among the selected files by month.",
            ),
        ),
    )


def _findings(result: MonitoringResult) -> Section:
    if not result.flags:
        blocks: tuple[Paragraph, ...] = (
            Paragraph(
                f"Nothing was flagged over the {len(result.months)} months monitored: no "
                "feature, no score shift, no group's share among the selected files moved "
                "beyond chance.",
                "ok",
            ),
        )
    else:
        blocks = tuple(Paragraph(flag.sentence, "warning") for flag in result.flags)
    return Section("findings", "Findings", (*blocks, Paragraph(detection_limits(result))))


def detection_limits(result: MonitoringResult) -> str:
    """What the monitor could not see: the smallest move of a group's share it flags at the
    sizes of this run, and the figures it shows without testing them."""
    text = (
        "AUC and calibration are shown month by month with their intervals but never flagged: "
        "read them in the tables."
    )
    composition = result.composition
    tested = int(composition["tested"].sum()) if len(composition) else 0
    n0 = float(result.baseline.get("selected", 0))
    if tested == 0 or n0 <= 0:
        return "No group's share among the selected files could be tested. " + text
    per_month = composition.groupby(["month", "attribute"], sort=False)["selected"].sum()
    n1 = float(per_month.groupby(level="month", sort=False).max().median())
    z = normal_quantile(result.alpha / tested)
    move = z * np.sqrt(0.1 * 0.9 * (1 / n1 + 1 / n0))
    return (
        f"Not flagged is not unchanged: with about {n1:,.0f} files selected a month against "
        f"{n0:,.0f} in the baseline, a group making up 10% of the selected files is flagged "
        f"only when its share moves by about {100 * move:.1f} points or more (half the time "
        f"at that size; the test is Bonferroni over {tested:,} month-group pairs). Smaller "
        "moves pass unseen: see the figure and the table of shares. " + text
    )


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


def monitoring_document(
    result: MonitoringResult,
    *,
    title: str = "Monitoring",
    meta: Sequence[tuple[str, str]] = (),
) -> Document:
    """The report of a monitoring run, as a document (findings first); ``meta`` says what was
    monitored (model file and SHA-256, baseline, panel, selection), shown under the title."""
    months = result.months
    return Document(
        meta=tuple(meta),
        kind="monitoring",
        title=title,
        subtitle=f"{months[0]} to {months[-1]}" if len(months) > 1 else months[0],
        sections=(
            _findings(result),
            _figures(result),
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
    meta: Sequence[tuple[str, str]] = (),
) -> list[Path]:
    """Write the report beside ``path`` in each format (same stem); return the paths written."""
    return write_document(monitoring_document(result, meta=meta), path, formats=formats)


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
    verify_key: str | os.PathLike[str] | None = None,
    formats: Iterable[str] = ("html", "md", "json"),
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
    out : path
        The report (``.html``; ``.md`` and ``.json`` beside it).
    budget, share, alpha, seed
        See :func:`~dmde.audit.monitoring.monitor`.

    Returns
    -------
    (MonitoringResult, list of Path)
        The result and the files written.
    """
    check_report_paths(
        out, {"the model file": model, "the baseline": baseline}, formats=tuple(formats)
    )
    fitted = load_model(model, verify_key=verify_key)
    columns = monitored_columns(fitted)
    base_path = Path(baseline)
    if base_path.is_dir():
        reference = list(panel_month_frames(base_path, columns=columns))
        since: str | None = reference[-1][0]
    else:
        header = set(file_columns(base_path))
        wanted = [c for c in (*columns, "snapshot_month") if c in header]
        frame = read_dataset(base_path, columns=list(dict.fromkeys(wanted)))
        reference = [("baseline", frame)]
        # A month of the panel taken as the baseline: the later months only are monitored
        # (the baseline against itself, or earlier months, would read as drift).
        stamped = frame["snapshot_month"].dropna() if "snapshot_month" in frame else ()
        since = str(max(stamped)) if len(stamped) else None
    if not any(since is None or month > since for month, _ in panel_files(months)):
        raise DmdeError(
            f"{os.fspath(months)!r} holds no month after the baseline's last ({since}): give "
            "a panel of later months."
        )
    frames = panel_month_frames(months, columns=columns, since=since, after=True)
    result = monitor(fitted, reference, frames, budget=budget, share=share, alpha=alpha, seed=seed)
    selection = f"{budget:,} files a month" if budget is not None else f"{share:.2%} of each month"
    meta = (
        ("model", f"{os.fspath(model)} (sha256 {fitted.model_sha256_})"),
        ("baseline", os.fspath(baseline)),
        ("panel", os.fspath(months)),
        ("selection", f"{selection}, ties ordered by seed {seed}"),
        ("false alarms", f"at most {alpha:.0%} per kind of flag over the run"),
    )
    return result, write_monitoring_report(result, out, formats=formats, meta=meta)
