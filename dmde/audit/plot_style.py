"""The style the audit's figures share: their words (English and French), colours and helpers.

:data:`WORDS` holds every word a figure shows in English and :data:`WORDS_FR` its French; the
helpers size the axes, order the groups as the tables do, draw rates in percent and put the
legend outside the data. :mod:`dmde.audit.plots` draws the figures with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.settings import AuditError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.legend import Legend

__all__ = ["WORDS", "WORDS_FR"]

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
