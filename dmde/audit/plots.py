"""Figures of the audit, drawn from its result tables.

Every function takes the table it draws and an optional ``ax`` and returns the Axes, as
fairlearn's plotting functions do. matplotlib is imported here only, and only its object API is
used (``matplotlib.figure.Figure``): no global pyplot state. :func:`to_svg` renders a figure as
SVG text, deterministic for the same inputs (fixed hash salt, no date), so that a report that
embeds it is byte-identical from run to run.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.errors import DmdeError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_calibration",
    "plot_group_metric",
    "plot_income_bands",
    "plot_random_vs_selected",
    "plot_score_deciles",
    "plot_score_distributions",
    "to_svg",
]


def _axes(ax: Axes | None, size: tuple[float, float] = (6.0, 3.5)) -> Axes:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained").subplots()


def _rows(table: pd.DataFrame, attribute: str, **equal: Any) -> pd.DataFrame:
    rows = table[table["attribute"] == attribute]
    for column, value in equal.items():
        rows = rows[rows[column] == value]
    if rows.empty:
        known = ", ".join(sorted(table["attribute"].astype(str).unique())[:8])
        raise DmdeError(f"no rows for attribute {attribute!r} {equal or ''}; attributes: {known}.")
    return rows


def plot_group_metric(
    metrics: pd.DataFrame, *, attribute: str, metric: str = "selection_rate", ax: Axes | None = None
) -> Axes:
    """One metric by group with its interval; suppressed groups are named, not drawn."""
    rows = _rows(metrics, attribute, metric=metric).reset_index(drop=True)
    ax = _axes(ax)
    y = np.arange(len(rows))
    shown = ~rows["suppressed"].to_numpy(dtype=bool)
    value = rows["value"].to_numpy(dtype=float)
    low = value - rows["ci_low"].to_numpy(dtype=float)
    high = rows["ci_high"].to_numpy(dtype=float) - value
    ax.errorbar(value[shown], y[shown], xerr=[low[shown], high[shown]], fmt="o", capsize=3)
    labels = [
        f"{g} (suppressed, n={n})" if not s else str(g)
        for g, n, s in zip(rows["group"], rows["n"], shown, strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"{metric.replace('_', ' ')} (95% interval)")
    ax.set_title(attribute)
    ax.invert_yaxis()
    return ax


def plot_random_vs_selected(table: pd.DataFrame, *, attribute: str, ax: Axes | None = None) -> Axes:
    """Each group's share among random checks and among score selections, with intervals."""
    rows = _rows(table, attribute).reset_index(drop=True)
    ax = _axes(ax)
    y = np.arange(len(rows))
    for offset, method in ((-0.18, "random"), (0.18, "score")):
        share = rows[f"{method}_share"].to_numpy(dtype=float)
        err = [
            share - rows[f"{method}_share_low"].to_numpy(dtype=float),
            rows[f"{method}_share_high"].to_numpy(dtype=float) - share,
        ]
        label = "checked at random" if method == "random" else "selected by the score"
        ax.barh(y + offset, share, height=0.34, xerr=err, capsize=2, label=label)
    ax.set_yticks(y, rows["group"].astype(str).tolist())
    ax.set_xlabel("share of the files (95% interval)")
    ax.set_title(attribute)
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_calibration(calibration: pd.DataFrame, *, attribute: str, ax: Axes | None = None) -> Axes:
    """Predicted against observed rate by decile of probability, one line per group.

    The observed rates carry their 95% intervals when the table has them.
    """
    rows = _rows(calibration, attribute)
    ax = _axes(ax, (4.5, 4.5))
    for group, part in rows[~rows["suppressed"].astype(bool)].groupby("group", sort=True):
        x, y = part["mean_predicted"], part["observed_rate"]
        err = None
        if "observed_low" in part:
            # Clipped at 0: rounding can put a bound a hair inside the rate.
            err = [
                (y - part["observed_low"]).clip(lower=0),
                (part["observed_high"] - y).clip(lower=0),
            ]
        ax.errorbar(x, y, yerr=err, marker="o", capsize=2, label=str(group))
    top = float(np.nanmax(rows[["mean_predicted", "observed_rate"]].to_numpy(dtype=float)))
    ax.plot([0, top], [0, top], linestyle="--", color="grey", linewidth=1)
    ax.set_xlabel("predicted probability (mean by decile)")
    ax.set_ylabel("observed rate")
    ax.set_title(attribute)
    ax.legend(fontsize="small")
    return ax


def plot_score_distributions(
    score: npt.ArrayLike, group: npt.ArrayLike, *, bins: int = 40, ax: Axes | None = None
) -> Axes:
    """The distribution of scores in each group (densities, so groups of any size compare)."""
    values = np.asarray(score, dtype=float)
    labels = np.asarray(group).astype(str)
    if len(values) != len(labels):
        raise DmdeError(f"score has {len(values)} values but group has {len(labels)}.")
    ax = _axes(ax)
    edges = np.histogram_bin_edges(values[np.isfinite(values)], bins=bins)
    for name in sorted(set(labels)):
        ax.hist(
            values[labels == name], bins=edges.tolist(), density=True, histtype="step", label=name
        )
    ax.set_xlabel("score (points)")
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
    return ax


def plot_score_deciles(deciles: pd.DataFrame, *, attribute: str, ax: Axes | None = None) -> Axes:
    """Each group's share of files in each national score decile (10% everywhere = no gap)."""
    rows = _rows(deciles, attribute)
    ax = _axes(ax)
    for group, part in rows[~rows["suppressed"].astype(bool)].groupby("group", sort=True):
        ax.plot(part["decile"], part["share"], marker="o", label=str(group))
    ax.axhline(0.1, linestyle="--", color="grey", linewidth=1)
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("national score decile (10 = highest scores)")
    ax.set_ylabel("share of the group's files")
    ax.set_title(attribute)
    ax.legend(fontsize="small")
    return ax


_INCOME_PANELS = (
    ("selection_rate", "selection rate"),
    ("precision", "precision among selected"),
    ("mean_score", "mean score"),
)


def plot_income_bands(metrics: pd.DataFrame, *, attribute: str = "income_band") -> list[Axes]:
    """Selection rate, precision and mean score by income band, side by side, with intervals.

    Panels whose metric is absent or suppressed in every band (no labels, or too few labelled
    selected files: no precision) are left out.
    """
    from matplotlib.figure import Figure

    rows = _rows(metrics, attribute)
    shown = rows[~rows["suppressed"].astype(bool)]
    panels = [(m, t) for m, t in _INCOME_PANELS if (shown["metric"] == m).any()]
    figure = Figure(figsize=(3.2 * len(panels), 3.2), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for i, (ax, (metric, title)) in enumerate(zip(axes, panels, strict=True)):
        plot_group_metric(metrics, attribute=attribute, metric=metric, ax=ax)
        ax.set_title(title)
        ax.set_xlabel("95% interval")
        if i:
            ax.tick_params(labelleft=False)
    return list(axes)


def to_svg(ax: Axes) -> str:
    """The figure of ``ax`` as SVG text, the same bytes for the same figure."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "dmde", "svg.fonttype": "path"}):
        figure: Any = ax.get_figure()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
