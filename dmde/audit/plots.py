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
- every word of a figure comes from :data:`WORDS` (English) and can be replaced through
  ``words``; :data:`WORDS_FR` holds the French equivalents.

:func:`to_svg` renders a figure as SVG text, deterministic for the same inputs (fixed hash salt,
no date), so that a report that embeds it is byte-identical from run to run.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.metrics import AuditError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.legend import Legend

__all__ = [
    "WORDS",
    "WORDS_FR",
    "plot_amplification",
    "plot_calibration",
    "plot_group_metric",
    "plot_income_bands",
    "plot_random_vs_selected",
    "plot_score_deciles",
    "plot_score_distributions",
    "to_svg",
]

#: Every word the figures show, in English; pass ``words`` to any function to replace some.
#: Metric names (``selection_rate``, ``precision``...) label the axis of that metric.
WORDS: dict[str, str] = {
    # Metrics of dmde.audit.metrics, as axis titles.
    "population_share": "Share of all files (%)",
    "share_among_selected": "Share of the selected files (%)",
    "selection_rate": "Selection rate (%)",
    "mean_score": "Mean score (points)",
    "mean_probability": "Mean predicted risk (%)",
    "base_rate": "Overpayment rate (%)",
    "precision": "Precision (%)",
    "tpr": "Overpaid files selected (%)",
    "fpr": "Files without overpayment selected (%)",
    "fnr": "Overpaid files not selected (%)",
    "false_positive_burden": "Checks finding no overpayment, per 1,000 files",
    "calibration_gap": "Predicted minus observed (percentage points)",
    "auc": "Ranking accuracy within the group (AUC, 0.5 = chance)",
    # Notes on groups and intervals.
    "interval": "lines: 95% interval",
    "suppressed": "too few files to show",
    # Random checks against selection by the score.
    "share": "Share of the files (%)",
    "random": "Random checks",
    "score": "Selected by the score",
    # Score deciles.
    "decile": "National score decile (10 = highest scores)",
    "decile_share": "Share of the group's files (%)",
    "even_share": "10% in each decile (no difference)",
    # Calibration.
    "predicted": "Predicted risk (%)",
    "observed": "Observed rate (%)",
    "perfect_calibration": "Predicted = observed",
    "score_decile": "Score decile (10 = highest)",
    # Score distributions.
    "score_points": "Score (points)",
    "density": "Density",
    # Amplification: selected more because riskier, or beyond the risk?
    "selection_ratio": "Selection rate ratio",
    "risk_ratio": "Overpayment rate ratio (risk)",
    "no_difference": "No difference",
    "ratio": "Ratio to the reference group (log scale)",
    # Number formatting on the axes.
    "decimal_separator": ".",
    "percent_sign": "%",
}

#: The same words in French (same keys as :data:`WORDS`).
WORDS_FR: dict[str, str] = {
    "population_share": "Part de l'ensemble des dossiers (%)",
    "share_among_selected": "Part des dossiers sélectionnés (%)",
    "selection_rate": "Taux de sélection (%)",
    "mean_score": "Score moyen (points)",
    "mean_probability": "Risque prédit moyen (%)",
    "base_rate": "Taux d'indu (%)",
    "precision": "Précision (%)",
    "tpr": "Dossiers en indu sélectionnés (%)",
    "fpr": "Dossiers sans indu sélectionnés (%)",
    "fnr": "Dossiers en indu non sélectionnés (%)",
    "false_positive_burden": "Contrôles sans indu, pour 1 000 dossiers",
    "calibration_gap": "Prédit moins observé (points de pourcentage)",
    "auc": "Qualité du classement dans le groupe (AUC, 0,5 = hasard)",
    "interval": "traits : intervalle à 95 %",
    "suppressed": "trop peu de dossiers pour être montré",
    "share": "Part des dossiers (%)",
    "random": "Contrôles aléatoires",
    "score": "Sélection par le score",
    "decile": "Décile de score national (10 = scores les plus élevés)",
    "decile_share": "Part des dossiers du groupe (%)",
    "even_share": "10 % dans chaque décile (aucune différence)",
    "predicted": "Risque prédit (%)",
    "observed": "Taux observé (%)",
    "perfect_calibration": "Prédit = observé",
    "score_decile": "Décile de score (10 = le plus élevé)",
    "score_points": "Score (points)",
    "density": "Densité",
    "selection_ratio": "Rapport des taux de sélection",
    "risk_ratio": "Rapport des taux d'indu (risque)",
    "no_difference": "Aucune différence",
    "ratio": "Rapport au groupe de référence (échelle logarithmique)",
    "decimal_separator": ",",
    "percent_sign": "\u00a0%",
}

# Metrics that are rates or shares in [0, 1], drawn in percent from 0.
_RATES = frozenset(
    {
        "population_share",
        "share_among_selected",
        "selection_rate",
        "mean_probability",
        "base_rate",
        "precision",
        "tpr",
        "fpr",
        "fnr",
    }
)
# Colour-blind safe (Okabe and Ito): blue and vermilion for the two methods or ratios.
_BLUE, _VERMILION = "#0072B2", "#D55E00"


# --------------------------------------------------------------------------------------------
# Helpers
def _words(words: Mapping[str, str] | None) -> dict[str, str]:
    unknown = sorted(set(words or {}) - set(WORDS))
    if unknown:
        raise AuditError(
            f"words has unknown keys {unknown}; the known keys are {sorted(WORDS)}. "
            "Pass only keys of dmde.audit.plots.WORDS."
        )
    return {**WORDS, **(words or {})}


def _width(labels: Any, base: float = 6.0, suffix: int = 0) -> float:
    """A figure width that leaves the plot room beside its longest tick label (in inches)."""
    longest = max((len(str(label)) for label in labels), default=0) + suffix
    return max(base, 3.8 + 0.075 * longest)


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
        raise AuditError(f"no rows for attribute {attribute!r} {equal or ''}; attributes: {known}.")
    return rows


def _group_order(present: Sequence[str], order: Sequence[str] | None) -> list[str]:
    """The groups of ``present`` (in their order), those named in ``order`` first, in its order."""
    groups = list(dict.fromkeys(present))
    if order is None:
        return groups
    first = [g for g in dict.fromkeys(order) if g in set(groups)]
    return first + [g for g in groups if g not in set(first)]


def _in_order(rows: pd.DataFrame, order: Sequence[str] | None) -> pd.DataFrame:
    """The rows sorted by group in display order (stable: each group's rows keep their order)."""
    groups = rows["group"].astype(str)
    rank = {g: i for i, g in enumerate(_group_order(groups.tolist(), order))}
    position = np.argsort(groups.map(rank).to_numpy(dtype=np.int64), kind="stable")
    return rows.iloc[position].reset_index(drop=True)


def _shown(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~rows["suppressed"].astype(bool).to_numpy()]


def _percent(axis: Any, w: Mapping[str, str], *, symbol: bool = True) -> None:
    """Ticks of ``axis`` (data in [0, 1]) in percent, with the words' decimal separator."""
    from matplotlib.ticker import PercentFormatter

    class _Percent(PercentFormatter):
        def format_pct(self, x: float, display_range: float) -> str:
            number = super().format_pct(x, display_range).removesuffix(self.symbol)
            if "." in number:  # "20%", not "20.0%"; "2.5%" keeps its decimal
                number = number.rstrip("0").rstrip(".")
            return number.replace(".", w["decimal_separator"]) + self.symbol

    axis.set_major_formatter(_Percent(xmax=1, symbol=w["percent_sign"] if symbol else ""))


def _numbers(axis: Any, w: Mapping[str, str]) -> None:
    """Plain numbers on ``axis`` with the words' decimal separator (left as is for ".")."""
    if w["decimal_separator"] == ".":
        return
    from matplotlib.ticker import ScalarFormatter

    class _Numbers(ScalarFormatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return super().__call__(x, pos).replace(".", w["decimal_separator"])

    axis.set_major_formatter(_Numbers())


def _legend(
    ax: Axes, *, where: Literal["below", "right"], last: Sequence[str] = ()
) -> Legend | None:
    """A legend outside the axes: under the x-axis title, or right of the axes.

    ``below`` is offset in points from the bottom of the axes by the height of the tick labels
    and of the axis title, so that it stays clear of them whatever size the layout gives the
    axes; constrained layout then makes room for it inside the figure. Entries named in
    ``last`` (reference lines) come after the data's.
    """
    entries = list(zip(*ax.get_legend_handles_labels(), strict=True))
    if not entries:
        return None
    entries.sort(key=lambda entry: entry[1] in last)  # stable: data first, references last
    handles = [h for h, _ in entries]
    texts = [t for _, t in entries]
    if where == "right":
        return ax.legend(
            handles, texts, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small"
        )
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.transforms import ScaledTranslation

    rc = matplotlib.rcParams
    tick_text = FontProperties(size=rc["xtick.labelsize"]).get_size_in_points()
    title = ax.get_xlabel()
    title_lines = title.count("\n") + 1 if title else 0
    points = (
        rc["xtick.major.size"]
        + rc["xtick.major.pad"]
        + 1.3 * tick_text
        + ax.xaxis.labelpad
        + 1.3 * title_lines * ax.xaxis.label.get_fontproperties().get_size_in_points()
        + 6.0
    )
    figure: Any = ax.get_figure()
    below = ax.transAxes + ScaledTranslation(0.0, -points / 72.0, figure.dpi_scale_trans)
    return ax.legend(
        handles,
        texts,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=below,
        ncol=_columns(ax, texts),
        fontsize="small",
    )


def _columns(ax: Axes, texts: Sequence[str]) -> int:
    """As many legend columns as fit across the axes.

    A rough width: 4.6 points a character and 40 for the marker and spacing; matplotlib fills
    the columns one after the other, each as wide as its longest entry. The axes' width before
    layout is the subplot default; constrained layout widens it by about a tenth.
    """
    figure: Any = ax.get_figure()
    width = 1.1 * ax.get_position().width * figure.get_figwidth() * 72.0
    for ncol in range(len(texts), 1, -1):
        rows = math.ceil(len(texts) / ncol)
        columns = [texts[k : k + rows] for k in range(0, len(texts), rows)]
        if sum(4.6 * max(map(len, c)) + 40.0 for c in columns) <= width:
            return ncol
    return 1


def _error(value: pd.Series, low: pd.Series, high: pd.Series) -> npt.NDArray[np.float64]:
    """Lengths of the error bars below and above ``value`` (0 where a bound is unknown).

    Clipped at 0: rounding can put a bound a hair inside the value.
    """
    below = (value - low).clip(lower=0).fillna(0.0).to_numpy(dtype=float)
    above = (high - value).clip(lower=0).fillna(0.0).to_numpy(dtype=float)
    return np.vstack([below, above])


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
    shown = _shown(rows)
    panels = [m for m in _INCOME_PANELS if (shown["metric"] == m).any()]
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
    """The figure of ``ax`` as SVG text, the same bytes for the same figure."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "dmde", "svg.fonttype": "path"}):
        figure: Any = ax.get_figure()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
