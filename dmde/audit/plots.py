"""Figures of the audit, drawn from its result tables, for readers who are not statisticians.

Every function takes the table it draws, keyword-only options and an optional ``ax``, and
returns the Axes, as fairlearn's plotting functions do. matplotlib is imported here only, and only
its object API is used (``matplotlib.figure.Figure``): no global pyplot state.

The figures follow the habits of the report's tables, so that a committee member reads both the
same way:

- groups appear in the order of the table (natural order: income bands from lowest to highest,
  age bands from youngest), or in the ``order`` given, never alphabetically; ``labels`` maps each
  group's code to the words shown (``{"couple_with_children": "Couple with children"}``);
- rates and shares are shown in percent, mean scores in points;
- an axis whose reference is "10% everywhere" starts at 0, so that a gap of 0.1 point looks as
  small as it is;
- legends sit outside the axes and never cover data;
- every word of a figure comes from :data:`~dmde.audit.plot_style.WORDS` (English) and can be
  replaced through ``words``; :data:`~dmde.audit.plot_style.WORDS_FR` holds the French
  equivalents.

:func:`to_svg` renders a figure as SVG text, deterministic for the same inputs (fixed hash salt,
no date), so that a report that embeds it is byte-identical from run to run.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.plot_style import (
    _BLUE,
    _RATES,
    _VERMILION,
    WORDS,
    WORDS_FR,
    _axes,
    _error,
    _group_order,
    _in_order,
    _legend,
    _numbers,
    _percent,
    _rows,
    _shown,
    _width,
    _words,
)
from dmde.audit.settings import AuditError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "WORDS",
    "WORDS_FR",
    "income_panels",
    "plot_amplification",
    "plot_calibration",
    "plot_group_metric",
    "plot_income_bands",
    "plot_random_vs_selected",
    "plot_score_deciles",
    "plot_score_distributions",
    "to_svg",
]


# --------------------------------------------------------------------------------------------
# Figures
def plot_group_metric(
    metrics: pd.DataFrame,
    *,
    attribute: str,
    metric: str = "selection_rate",
    order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One metric by group with its 95% interval; suppressed groups are named, not drawn.

    Parameters
    ----------
    metrics : DataFrame
        :attr:`GroupAudit.metrics`: attribute, group, metric, value, ci_low, ci_high, n,
        suppressed.
    attribute : str
        The attribute whose groups are drawn (e.g. ``"age_band"``).
    metric : str
        The metric drawn. Rates and shares are shown in percent from 0, mean scores in points.
    order : sequence of str, optional
        The groups in display order, top to bottom. Groups absent from the table are skipped;
        groups of the table not named go last, in the table's order. By default, the table's
        order.
    labels : mapping, optional
        Group code -> words shown; codes not in it are shown as they are.
    words : mapping, optional
        Replacements for :data:`WORDS` (e.g. :data:`WORDS_FR`).
    title : str, optional
        Title of the axes; by default the attribute's name.
    ax : Axes, optional
        Where to draw; a new figure when absent.

    Returns
    -------
    Axes

    Examples
    --------
    >>> metrics = pd.DataFrame({
    ...     "attribute": "age_band", "group": ["25-34", "under 25"], "metric": "selection_rate",
    ...     "value": [0.08, 0.12], "ci_low": [0.07, 0.10], "ci_high": [0.09, 0.14],
    ...     "n": [900, 400], "suppressed": False})
    >>> ax = plot_group_metric(metrics, attribute="age_band", order=["under 25", "25-34"])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['under 25', '25-34']
    """
    w = _words(words)
    names = labels or {}
    rows = _in_order(_rows(metrics, attribute, metric=metric), order)
    width = _width([names.get(str(g), str(g)) for g in rows["group"]], suffix=len(w["suppressed"]))
    ax = _axes(ax, (width, max(2.8, 1.4 + 0.32 * len(rows))))
    y = np.arange(len(rows))
    shown = ~rows["suppressed"].to_numpy(dtype=bool)
    value = rows["value"]
    err = _error(value, rows["ci_low"], rows["ci_high"])
    ax.errorbar(
        value.to_numpy(dtype=float)[shown],
        y[shown],
        xerr=err[:, shown],
        fmt="o",
        capsize=3,
        color=_BLUE,
    )
    ticks = [
        str(names.get(str(g), str(g)))
        if s
        else f"{names.get(str(g), str(g))} ({w['suppressed']}, n={int(n)})"
        for g, n, s in zip(rows["group"], rows["n"], shown, strict=True)
    ]
    ax.set_yticks(y, ticks)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first group on top
    ax.set_xlabel(f"{w.get(metric, metric.replace('_', ' '))}\n{w['interval']}")
    if metric in _RATES:
        _percent(ax.xaxis, w)
        ax.set_xlim(left=0.0)
    elif metric == "calibration_gap":
        _percent(ax.xaxis, w, symbol=False)
    else:
        _numbers(ax.xaxis, w)
    ax.set_title(attribute if title is None else title)
    return ax


def plot_random_vs_selected(
    table: pd.DataFrame,
    *,
    attribute: str,
    order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Each group's share among random checks and among score selections, with intervals.

    ``table`` is :func:`dmde.audit.selection_vs_random`'s. A group with too few files in one
    method has no bar for it and says so. ``order``, ``labels``, ``words``, ``title`` and ``ax``
    as in :func:`plot_group_metric`.
    """
    w = _words(words)
    names = labels or {}
    rows = _in_order(_rows(table, attribute), order)
    width = _width([names.get(str(g), str(g)) for g in rows["group"]], suffix=len(w["suppressed"]))
    ax = _axes(ax, (width, max(3.2, 1.8 + 0.4 * len(rows))))
    y = np.arange(len(rows))
    missing = np.zeros(len(rows), dtype=bool)
    for offset, method, colour in ((-0.18, "random", _BLUE), (0.18, "score", _VERMILION)):
        share = rows[f"{method}_share"]
        known = share.notna().to_numpy()
        missing |= ~known
        err = _error(share, rows[f"{method}_share_low"], rows[f"{method}_share_high"])
        ax.barh(
            y[known] + offset,
            share.to_numpy(dtype=float)[known],
            height=0.34,
            xerr=err[:, known],
            capsize=2,
            color=colour,
            label=w[method],
        )
    ticks = [
        f"{names.get(str(g), str(g))} ({w['suppressed']})" if m else names.get(str(g), str(g))
        for g, m in zip(rows["group"], missing, strict=True)
    ]
    ax.set_yticks(y, ticks)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(left=0.0)
    _percent(ax.xaxis, w)
    ax.set_xlabel(f"{w['share']}\n{w['interval']}")
    ax.set_title(attribute if title is None else title)
    _legend(ax, where="below")
    return ax


def plot_calibration(
    calibration: pd.DataFrame,
    *,
    attribute: str,
    order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Observed rate by decile, one line per group, against the predicted risk when there is one.

    With predictions (``mean_predicted``), the observed rate is drawn against the mean predicted
    probability of each decile, in percent on both axes, with the diagonal where they would be
    equal. A system that gives a score but no probability has ``mean_predicted`` all NaN: the
    observed rate is then drawn against the score decile (1 to 10), with no diagonal. Observed
    rates carry their 95% intervals as error bars. ``order``, ``labels``, ``words``, ``title``
    and ``ax`` as in :func:`plot_group_metric`.
    """
    w = _words(words)
    names = labels or {}
    rows = _in_order(_rows(calibration, attribute), order)
    predicted = bool(rows["mean_predicted"].notna().any())
    ax = _axes(ax, (6.0, 4.5))
    groups = _group_order(rows["group"].astype(str).tolist(), None)
    shown = _shown(rows)
    for i, group in enumerate(groups):
        part = shown[shown["group"].astype(str) == group]
        x = part["mean_predicted"] if predicted else part["decile"].astype(float)
        keep = (x.notna() & part["observed_rate"].notna()).to_numpy()
        if not keep.any():
            continue
        part, x = part[keep], x[keep]
        if not predicted:  # side by side, so that intervals of different groups do not overlap
            x = x + 0.08 * (i - (len(groups) - 1) / 2)
        err = _error(part["observed_rate"], part["observed_low"], part["observed_high"])
        ax.errorbar(
            x.to_numpy(dtype=float),
            part["observed_rate"].to_numpy(dtype=float),
            yerr=err,
            marker="o",
            capsize=2,
            label=names.get(group, group),
        )
    top_y = np.nanmax(rows[["observed_rate", "observed_high"]].to_numpy(dtype=float), initial=0.0)
    if predicted:
        top = max(float(np.nanmax(rows["mean_predicted"].to_numpy(dtype=float))), top_y) * 1.05
        top = top if top > 0 else 1.0
        ax.plot(
            [0, top],
            [0, top],
            linestyle="--",
            color="grey",
            linewidth=1,
            label=w["perfect_calibration"],
        )
        ax.set_xlim(0.0, top)
        ax.set_ylim(0.0, top)
        _percent(ax.xaxis, w)
        ax.set_xlabel(w["predicted"])
    else:
        ax.set_xticks(range(1, 11))
        ax.set_xlim(0.5, 10.5)
        ax.set_ylim(0.0, top_y * 1.05 if top_y > 0 else 1.0)
        ax.set_xlabel(w["score_decile"])
    _percent(ax.yaxis, w)
    ax.set_ylabel(w["observed"])
    ax.set_title(attribute if title is None else title)
    _legend(ax, where="right", last=[w["perfect_calibration"]])
    return ax


def plot_score_distributions(
    score: npt.ArrayLike,
    group: npt.ArrayLike,
    *,
    bins: int = 40,
    order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The distribution of scores in each group (densities, so groups of any size compare).

    By default the groups are drawn in their category order when ``group`` is categorical, in
    order of first appearance otherwise. ``order``, ``labels``, ``words`` and ``ax`` as in
    :func:`plot_group_metric`.
    """
    w = _words(words)
    names = labels or {}
    values = np.asarray(score, dtype=float)
    column = group if isinstance(group, pd.Series) else pd.Series(group)
    codes = column.astype(str).to_numpy()
    if len(values) != len(codes):
        raise AuditError(
            f"score has {len(values)} values but group has {len(codes)}; pass one group per score."
        )
    if isinstance(column.dtype, pd.CategoricalDtype):
        present = set(codes)
        natural = [str(c) for c in column.cat.categories if str(c) in present]
    else:
        natural = [str(c) for c in pd.unique(codes)]
    ax = _axes(ax, (6.0, 4.0))
    finite = np.isfinite(values)
    edges = np.histogram_bin_edges(values[finite], bins=bins)
    for name in _group_order(natural, order):
        inside = (codes == name) & finite
        if inside.any():
            ax.hist(
                values[inside],
                bins=edges.tolist(),
                density=True,
                histtype="step",
                label=names.get(name, name),
            )
    _numbers(ax.xaxis, w)
    _numbers(ax.yaxis, w)
    ax.set_xlabel(w["score_points"])
    ax.set_ylabel(w["density"])
    _legend(ax, where="below")
    return ax


def plot_score_deciles(
    deciles: pd.DataFrame,
    *,
    attribute: str,
    order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Each group's share of files in each national score decile (10% everywhere = no gap).

    The share axis is in percent, starts at 0 and reaches at least 20%, so that a group at 10%
    give or take a tenth of a point looks flat, as it is. ``order``, ``labels``, ``words``,
    ``title`` and ``ax`` as in :func:`plot_group_metric`.
    """
    w = _words(words)
    names = labels or {}
    rows = _in_order(_rows(deciles, attribute), order)
    ax = _axes(ax, (6.0, 4.0))
    shown = _shown(rows)
    for group in _group_order(rows["group"].astype(str).tolist(), None):
        part = shown[(shown["group"].astype(str) == group) & shown["share"].notna()]
        if not part.empty:
            ax.plot(
                part["decile"].to_numpy(dtype=float),
                part["share"].to_numpy(dtype=float),
                marker="o",
                label=names.get(group, group),
            )
    ax.axhline(0.1, linestyle="--", color="grey", linewidth=1, label=w["even_share"])
    top = np.nanmax(shown["share"].to_numpy(dtype=float), initial=0.0)
    ax.set_ylim(0.0, max(0.2, 1.1 * top))
    _percent(ax.yaxis, w)
    ax.set_xticks(range(1, 11))
    ax.set_xlabel(w["decile"])
    ax.set_ylabel(w["decile_share"])
    ax.set_title(attribute if title is None else title)
    _legend(ax, where="below", last=[w["even_share"]])
    return ax


_INCOME_PANELS = ("selection_rate", "precision", "mean_score")


def income_panels(metrics: pd.DataFrame, *, attribute: str = "income_band") -> list[str]:
    """The metrics :func:`plot_income_bands` draws: those shown (not suppressed) in some band."""
    shown = _shown(_rows(metrics, attribute))
    return [m for m in _INCOME_PANELS if (shown["metric"] == m).any()]


def plot_income_bands(
    metrics: pd.DataFrame,
    *,
    attribute: str = "income_band",
    order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
) -> list[Axes]:
    """Selection rate, precision and mean score by income band, side by side, with intervals.

    Panels whose metric is absent or suppressed in every band (no labels, or too few labelled
    selected files: no precision) are left out. ``order``, ``labels`` and ``words`` as in
    :func:`plot_group_metric`; each panel's title is the metric's word.
    """
    from matplotlib.figure import Figure

    w = _words(words)
    rows = _rows(metrics, attribute)
    panels = income_panels(metrics, attribute=attribute)
    if not panels:
        raise ValueError(
            f"nothing to plot by {attribute}: every band's selection rate, precision and mean "
            "score is suppressed (too few files per band); say so instead of a figure."
        )
    n_groups = rows["group"].nunique()
    figure = Figure(
        figsize=(3.2 * len(panels), max(3.2, 1.6 + 0.32 * n_groups)), layout="constrained"
    )
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for i, (ax, metric) in enumerate(zip(axes, panels, strict=True)):
        plot_group_metric(
            metrics, attribute=attribute, metric=metric, order=order, labels=labels, words=w, ax=ax
        )
        ax.set_title(w[metric])
        ax.set_xlabel(w["interval"])
        if i:
            ax.tick_params(labelleft=False)
    return list(axes)


_AMPLIFICATION_COLUMNS = (
    "label",
    "selection_ratio",
    "selection_low",
    "selection_high",
    "risk_ratio",
    "risk_low",
    "risk_high",
)


def plot_amplification(
    table: pd.DataFrame, *, ax: Axes | None = None, words: Mapping[str, str] | None = None
) -> Axes:
    """Is a group selected more because it is riskier, or beyond its risk?

    For each group, two ratios to a reference group, each with its 95% interval, on one
    logarithmic axis (so that ×2 and ×0.5 lie as far from ×1): how many times as often the group
    is selected (blue circles), and how many times as high its overpayment rate is (vermilion
    squares). A selection ratio near the risk ratio means the score follows the risk; a
    selection ratio beyond the risk ratio means the score amplifies the gap.

    Parameters
    ----------
    table : DataFrame
        One row per group, drawn top to bottom in the table's order, with columns ``label``
        (the words shown), ``selection_ratio``, ``selection_low``, ``selection_high``,
        ``risk_ratio``, ``risk_low``, ``risk_high``. Risk columns may be NaN when unknown. Ratios
        that are NaN or not positive are not drawn; a lower bound at 0 (or below) reaches the
        left edge, an infinite upper bound the right edge.
    ax : Axes, optional
        Where to draw; a new figure, taller for more rows, when absent.
    words : mapping, optional
        Replacements for :data:`WORDS` (e.g. :data:`WORDS_FR`).

    Returns
    -------
    Axes

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "label": ["Lone parents", "Under 25"],
    ...     "selection_ratio": [2.1, 1.5], "selection_low": [1.8, 1.2],
    ...     "selection_high": [2.4, 1.9],
    ...     "risk_ratio": [1.2, float("nan")], "risk_low": [0.9, float("nan")],
    ...     "risk_high": [1.6, float("nan")]})
    >>> ax = plot_amplification(table)
    >>> ax.get_xscale()
    'log'
    """
    w = _words(words)
    absent = [c for c in _AMPLIFICATION_COLUMNS if c not in table.columns]
    if absent:
        raise AuditError(
            f"table lacks the columns {absent}; it needs {list(_AMPLIFICATION_COLUMNS)} "
            f"(got {list(table.columns)}). Build one row per group with these columns."
        )
    if table.empty:
        raise AuditError("table has no rows; pass one row per group to show.")
    rows = table.reset_index(drop=True)
    ax = _axes(ax, (_width(rows["label"], base=6.5), 1.8 + 0.5 * len(rows)))
    ax.set_xscale("log")
    left, right = _ratio_limits(rows)
    y = np.arange(len(rows), dtype=float)
    for offset, name, marker, colour in (
        (-0.14, "selection", "o", _BLUE),
        (0.14, "risk", "s", _VERMILION),
    ):
        value = rows[f"{name}_ratio"].to_numpy(dtype=float)
        drawn = np.isfinite(value) & (value > 0)
        if not drawn.any():
            continue
        low = _bound(rows[f"{name}_low"].to_numpy(dtype=float), value, left, right)
        high = _bound(rows[f"{name}_high"].to_numpy(dtype=float), value, left, right)
        err = np.vstack([np.clip(value - low, 0, None), np.clip(high - value, 0, None)])
        ax.errorbar(
            value[drawn],
            y[drawn] + offset,
            xerr=err[:, drawn],
            fmt=marker,
            color=colour,
            capsize=3,
            label=w[f"{name}_ratio"],
        )
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1, label=w["no_difference"])
    _ratio_axis(ax, left, right, w)
    ax.set_yticks(y, rows["label"].astype(str).tolist())
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(w["ratio"])
    _legend(ax, where="below", last=[w["no_difference"]])
    return ax


def _ratio_limits(rows: pd.DataFrame) -> tuple[float, float]:
    """Limits of the ratio axis: every positive finite ratio and bound, and at least ×0.5-×2."""
    columns = [c for c in _AMPLIFICATION_COLUMNS if c != "label"]
    values = rows[columns].to_numpy(dtype=float).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    low = min(0.5, float(values.min())) if len(values) else 0.5
    high = max(2.0, float(values.max())) if len(values) else 2.0
    return low / 1.15, high * 1.15


def _bound(
    bound: npt.NDArray[np.float64], value: npt.NDArray[np.float64], left: float, right: float
) -> npt.NDArray[np.float64]:
    """Interval bounds drawable on a log axis: unknown -> the value (no bar), <= 0 -> left edge,
    infinite -> right edge."""
    out = np.where(np.isnan(bound), value, bound)
    out = np.where(out <= 0, left, out)
    return np.where(np.isposinf(out), right, out)


def _ratio_axis(ax: Axes, left: float, right: float, w: Mapping[str, str]) -> None:
    """Ticks at powers of two, labelled "×0.5", "×1", "×2"."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    first, last = math.ceil(math.log2(left)), math.floor(math.log2(right))
    step = max(1, math.ceil((last - first + 1) / 9))
    ticks = [2.0**k for k in range(first, last + 1) if k % step == 0]

    def times(value: float, _: int | None) -> str:
        return f"×{value:g}".replace(".", w["decimal_separator"])

    ax.set_xlim(left, right)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(times))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def to_svg(ax: Axes) -> str:
    """The figure of ``ax`` as SVG text, the same bytes for the same figure.

    ``savefig`` draws a figure with a layout engine twice: once with drawing turned off, to
    lay it out, then once to write it. The first pass here runs the layout only (the same
    layout, hence the same bytes), which saves about a sixth of the time. Should ``savefig``
    ever draw otherwise than in these two passes, the figure is saved again plainly.
    """
    import matplotlib

    figure: Any = ax.get_figure()
    with (
        matplotlib.rc_context({"svg.hashsalt": "dmde", "svg.fonttype": "path"}),
        _measured_once(),
    ):
        laid_out = figure.get_layout_engine() is not None
        text, passes = _save_svg(figure, lay_out_first=laid_out)
        if laid_out and passes != 2:
            text, _ = _save_svg(figure, lay_out_first=False)
    return text


def _save_svg(figure: Any, *, lay_out_first: bool) -> tuple[str, int]:
    """``figure.savefig`` as SVG text (no date); with ``lay_out_first``, its first draw only
    lays the figure out. Returns the text and how many times the figure was drawn."""
    buffer = io.StringIO()
    full = figure.draw
    passes = 0

    def draw(renderer: Any) -> None:
        nonlocal passes
        passes += 1
        if passes > 1 or not lay_out_first:
            full(renderer)
            return
        figure._get_draw_artists(renderer)  # as Figure.draw does first (apply_aspect)
        figure.get_layout_engine().execute(figure)
        figure.stale = False

    figure.draw = draw
    try:
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        del figure.draw
    return buffer.getvalue(), passes


#: Text sizes measured by SVG renderers, by the font settings they were measured under.
_SIZES: dict[tuple[Any, ...], dict[tuple[Any, ...], Any]] = {}


@contextmanager
def _measured_once() -> Iterator[None]:
    """Each text measured once per font, size and dpi for every SVG renderer, not once per
    renderer.

    matplotlib keeps the size of each text for the renderer that measured it; writing one
    figure takes three SVG renderers (two to lay it out, one to write it), and the audit's
    figures share most of their words. An SVG renderer's measure is a function of the text,
    the font properties and the font settings only (it lays the text out with the font at 72
    dpi): the sizes kept here are those it would give again, so the SVG is the same.
    """
    import matplotlib
    import matplotlib.text
    from matplotlib.backends.backend_svg import RendererSVG

    mtext: Any = matplotlib.text  # the private cache every Text measures through
    measure = mtext._get_text_metrics_with_cache
    svg = RendererSVG.get_text_width_height_descent
    params = matplotlib.rcParams
    settings = tuple(
        (k, str(params[k])) for k in sorted(params) if k.startswith(("font.", "mathtext.", "text."))
    )
    sizes = _SIZES.setdefault(settings, {})

    def metrics(renderer: Any, text: str, fontprop: Any, ismath: Any, dpi: float) -> Any:
        if getattr(renderer.get_text_width_height_descent, "__func__", None) is not svg:
            return measure(renderer, text, fontprop, ismath, dpi)
        key = (text, fontprop.copy(), ismath, dpi)
        if key not in sizes:
            sizes[key] = measure(renderer, text, fontprop, ismath, dpi)
        return sizes[key]

    mtext._get_text_metrics_with_cache = metrics
    try:
        yield
    finally:
        mtext._get_text_metrics_with_cache = measure
