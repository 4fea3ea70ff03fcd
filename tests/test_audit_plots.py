"""Figures of the audit: drawn from the result tables, readable, deterministic SVG."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from dmde.audit import audit_groups, selection_vs_random
from dmde.audit.plot_style import WORDS, WORDS_FR
from dmde.audit.plots import (
    plot_amplification,
    plot_calibration,
    plot_group_metric,
    plot_income_bands,
    plot_random_vs_selected,
    plot_score_deciles,
    plot_score_distributions,
    to_svg,
)
from dmde.core.errors import DmdeError

# A table order that is not alphabetical: the figures must keep it.
BANDS = ["zero", "under 0.5 Smic", "0.5 to 1 Smic", "over 1 Smic"]


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    n = 6_000
    groups = pd.DataFrame(
        {
            "gender": rng.choice(["female", "male"], n),
            "rare": np.where(np.arange(n) < 10, "few", "many"),
        }
    )
    p = rng.uniform(0.01, 0.3, n)
    score = np.log(p / (1 - p))
    selected = score > np.quantile(score, 0.9)
    label = (rng.random(n) < p).astype(float)
    audit = audit_groups(
        selected=selected,
        score=score,
        probability=p,
        groups=groups,
        label=label,
        n_boot=100,
        seed=1,
    )
    controlled = rng.random(n) < 0.2
    table = selection_vs_random(groups, selected=selected, controlled=controlled, label=label)
    return {"audit": audit, "table": table, "score": score, "groups": groups}


# --------------------------------------------------------------------------------------------
# Small tables built by hand, with the columns of the audit's, groups in BANDS order.
def _metrics() -> pd.DataFrame:
    rows = [
        {
            "attribute": "income_band",
            "group": g,
            "metric": m,
            "value": v,
            "ci_low": v * 0.9,
            "ci_high": v * 1.1,
            "n": 500,
            "suppressed": False,
        }
        for i, g in enumerate(BANDS)
        for m, v in (("selection_rate", 0.1 + i / 100), ("precision", 0.3), ("mean_score", 500.0))
    ]
    return pd.DataFrame(rows)


def _random_vs_selected() -> pd.DataFrame:
    share = {"share": 0.25, "share_low": 0.2, "share_high": 0.3}
    return pd.DataFrame(
        [
            {"attribute": "income_band", "group": g}
            | {f"{method}_{k}": v for method in ("random", "score") for k, v in share.items()}
            for g in BANDS
        ]
    )


def _deciles(share: Callable[[int, int], float] = lambda g, d: 0.1) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "attribute": "income_band",
                "group": g,
                "decile": d,
                "share": share(i, d),
                "n": 100,
                "suppressed": False,
            }
            for i, g in enumerate(BANDS)
            for d in range(1, 11)
        ]
    )


def _calibration(*, predicted: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "attribute": "income_band",
                "group": g,
                "decile": d,
                "n": 200,
                "mean_predicted": d / 40 if predicted else np.nan,
                "observed_rate": d / 40 + i / 200,
                "observed_low": d / 40 + i / 200 - 0.02,
                "observed_high": d / 40 + i / 200 + 0.02,
                "suppressed": False,
            }
            for i, g in enumerate(BANDS)
            for d in range(1, 11)
        ]
    )


def _amplification(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": [f"Group {k}" for k in range(n)],
            "selection_ratio": np.linspace(0.7, 2.5, n),
            "selection_low": np.linspace(0.6, 2.0, n),
            "selection_high": np.linspace(0.9, 3.0, n),
            "risk_ratio": np.linspace(0.9, 1.5, n),
            "risk_low": np.linspace(0.7, 1.1, n),
            "risk_high": np.linspace(1.2, 2.0, n),
        }
    )


_SCORE = np.repeat(np.arange(4.0), 50) * 10 + np.tile(np.arange(50.0), 4)
_GROUP = pd.Series(np.repeat(BANDS, 50))


def _yticks(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def _legend_groups(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    references = {WORDS["even_share"], WORDS["perfect_calibration"]}
    return [t.get_text() for t in legend.get_texts() if t.get_text() not in references]


# Each figure that draws groups, and how to read back the groups it shows, in order.
GROUP_FIGURES: list[tuple[Callable[..., Any], Callable[[Axes], list[str]]]] = [
    (lambda **kw: plot_group_metric(_metrics(), attribute="income_band", **kw), _yticks),
    (
        lambda **kw: plot_group_metric(
            _metrics(), attribute="income_band", metric="mean_score", **kw
        ),
        _yticks,
    ),
    (lambda **kw: plot_income_bands(_metrics(), **kw)[0], _yticks),
    (
        lambda **kw: plot_random_vs_selected(_random_vs_selected(), attribute="income_band", **kw),
        _yticks,
    ),
    (lambda **kw: plot_score_deciles(_deciles(), attribute="income_band", **kw), _legend_groups),
    (
        lambda **kw: plot_calibration(_calibration(), attribute="income_band", **kw),
        _legend_groups,
    ),
    (
        lambda **kw: plot_calibration(_calibration(predicted=False), attribute="income_band", **kw),
        _legend_groups,
    ),
    (lambda **kw: plot_score_distributions(_SCORE, _GROUP, **kw), _legend_groups),
]
GROUP_IDS = [
    "group_metric",
    "mean_score",
    "income_bands",
    "random_vs_selected",
    "deciles",
    "calibration",
    "calibration_no_prediction",
    "distributions",
]


# --------------------------------------------------------------------------------------------
# Order and labels
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, BANDS),
        ({"order": list(reversed(BANDS))}, list(reversed(BANDS))),
        (
            {"order": ["over 1 Smic", "not in the table", "zero"]},
            ["over 1 Smic", "zero", "under 0.5 Smic", "0.5 to 1 Smic"],
        ),
        (
            {"labels": {"zero": "No income", "over 1 Smic": "Over 1 minimum wage"}},
            ["No income", "under 0.5 Smic", "0.5 to 1 Smic", "Over 1 minimum wage"],
        ),
        (
            {"order": ["over 1 Smic"], "labels": {"over 1 Smic": "Over 1 minimum wage"}},
            ["Over 1 minimum wage", "zero", "under 0.5 Smic", "0.5 to 1 Smic"],
        ),
    ],
    ids=["table-order", "reversed", "absent-skipped-rest-last", "labels", "order-and-labels"],
)
@pytest.mark.parametrize(("make", "read"), GROUP_FIGURES, ids=GROUP_IDS)
def test_order_and_labels_are_honoured(
    make: Callable[..., Any],
    read: Callable[[Axes], list[str]],
    options: dict[str, Any],
    expected: list[str],
) -> None:
    assert read(make(**options)) == expected


def test_distributions_follow_category_order() -> None:
    group = pd.Categorical(_GROUP, categories=list(reversed(BANDS)))
    assert _legend_groups(plot_score_distributions(_SCORE, group)) == list(reversed(BANDS))


# --------------------------------------------------------------------------------------------
# Percent, points and the deciles' scale
@pytest.mark.parametrize(
    ("make", "axis", "percent"),
    [
        (lambda: plot_group_metric(_metrics(), attribute="income_band"), "x", True),
        (
            lambda: plot_group_metric(_metrics(), attribute="income_band", metric="precision"),
            "x",
            True,
        ),
        (
            lambda: plot_group_metric(_metrics(), attribute="income_band", metric="mean_score"),
            "x",
            False,
        ),
        (
            lambda: plot_random_vs_selected(_random_vs_selected(), attribute="income_band"),
            "x",
            True,
        ),
        (lambda: plot_score_deciles(_deciles(), attribute="income_band"), "y", True),
        (lambda: plot_calibration(_calibration(), attribute="income_band"), "x", True),
        (lambda: plot_calibration(_calibration(), attribute="income_band"), "y", True),
        (
            lambda: plot_calibration(_calibration(predicted=False), attribute="income_band"),
            "y",
            True,
        ),
    ],
    ids=[
        "selection-rate",
        "precision",
        "mean-score-in-points",
        "random-vs-selected",
        "deciles",
        "calibration-predicted",
        "calibration-observed",
        "calibration-no-prediction",
    ],
)
def test_rates_are_in_percent(make: Callable[[], Axes], axis: str, percent: bool) -> None:
    ax = make()
    formatter = getattr(ax, f"{axis}axis").get_major_formatter()
    assert isinstance(formatter, PercentFormatter) == percent
    title = (ax.get_xlabel() if axis == "x" else ax.get_ylabel()).split("\n")[0]
    assert ("%" in title) == percent
    if percent:
        assert formatter(0.2, 0) == "20%"


def test_income_bands_panels_in_percent_then_points() -> None:
    axes = plot_income_bands(_metrics())
    assert [ax.get_title() for ax in axes] == [
        WORDS["selection_rate"],
        WORDS["precision"],
        WORDS["mean_score"],
    ]
    formatters = [ax.xaxis.get_major_formatter() for ax in axes]
    assert [isinstance(f, PercentFormatter) for f in formatters] == [True, True, False]


@pytest.mark.parametrize(
    ("share", "top"),
    [
        (lambda g, d: 0.0985 + 0.0025 * (d % 2), 0.2),
        (lambda g, d: 0.35 if d == 10 else 0.07, 0.35),
    ],
    ids=["flat-near-10%", "tall-decile"],
)
def test_deciles_axis_starts_at_zero_and_spans_20_percent(
    share: Callable[[int, int], float], top: float
) -> None:
    ax = plot_score_deciles(_deciles(share), attribute="income_band")
    low, high = ax.get_ylim()
    assert low == 0
    assert high >= top
    reference = [line for line in ax.get_lines() if list(line.get_ydata()) == [0.1, 0.1]]
    assert len(reference) == 1


# --------------------------------------------------------------------------------------------
# Legends
LEGEND_FIGURES: list[Callable[[], Axes]] = [
    lambda: plot_random_vs_selected(_random_vs_selected(), attribute="income_band"),
    lambda: plot_score_deciles(_deciles(), attribute="income_band"),
    lambda: plot_score_deciles(_deciles(), attribute="income_band", words=WORDS_FR),
    lambda: plot_calibration(_calibration(), attribute="income_band"),
    lambda: plot_calibration(_calibration(predicted=False), attribute="income_band"),
    lambda: plot_score_distributions(_SCORE, _GROUP),
    lambda: plot_amplification(_amplification()),
    lambda: plot_amplification(_amplification(8), words=WORDS_FR),
]


@pytest.mark.parametrize(
    "make",
    LEGEND_FIGURES,
    ids=[
        "random-vs-selected",
        "deciles",
        "deciles-fr",
        "calibration",
        "calibration-no-prediction",
        "distributions",
        "amplification",
        "amplification-fr",
    ],
)
def test_legends_are_outside_the_axes_and_inside_the_figure(make: Callable[[], Axes]) -> None:
    ax = make()
    figure: Any = ax.get_figure()
    figure.draw_without_rendering()  # runs the constrained layout
    legend = ax.get_legend()
    assert legend is not None
    box = legend.get_window_extent()
    inside = box.transformed(ax.transAxes.inverted())
    assert inside.x0 >= 1 or inside.x1 <= 0 or inside.y0 >= 1 or inside.y1 <= 0
    assert not box.overlaps(ax.xaxis.label.get_window_extent())
    page = figure.bbox
    assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1


# --------------------------------------------------------------------------------------------
# Calibration with and without predictions
def _dashed(ax: Axes) -> list[Line2D]:
    return [line for line in ax.get_lines() if line.get_linestyle() == "--"]


def test_calibration_with_predictions_has_the_diagonal() -> None:
    ax = plot_calibration(_calibration(), attribute="income_band")
    (diagonal,) = _dashed(ax)
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata())
    assert ax.get_xlabel() == WORDS["predicted"]


def test_calibration_without_predictions_draws_by_score_decile() -> None:
    ax = plot_calibration(_calibration(predicted=False), attribute="income_band")
    assert _dashed(ax) == []
    assert ax.get_xlabel() == WORDS["score_decile"] == "Score decile (10 = highest)"
    assert list(ax.get_xticks()) == list(range(1, 11))
    assert len(ax.containers) == len(BANDS)  # one series with error bars per group


def test_calibration_without_predictions_from_the_audit(data: dict[str, Any]) -> None:
    calibration = data["audit"].calibration.assign(mean_predicted=np.nan)
    ax = plot_calibration(calibration, attribute="gender")
    assert _dashed(ax) == []
    assert to_svg(ax) == to_svg(plot_calibration(calibration, attribute="gender"))


# --------------------------------------------------------------------------------------------
# Amplification
def test_amplification_draws_two_series_per_row_on_a_log_axis() -> None:
    table = _amplification(4)
    ax = plot_amplification(table)
    assert ax.get_xscale() == "log"
    selection, risk = ax.containers
    for series in (selection, risk):
        assert len(series.lines[0].get_xdata()) == len(table)
    assert list(selection.lines[0].get_xdata()) == list(table["selection_ratio"])
    assert list(risk.lines[0].get_xdata()) == list(table["risk_ratio"])
    assert selection.lines[0].get_color() != risk.lines[0].get_color()
    assert selection.lines[0].get_marker() != risk.lines[0].get_marker()
    at_one = [line for line in ax.get_lines() if list(line.get_xdata()) == [1, 1]]
    assert len(at_one) == 1
    assert _yticks(ax) == list(table["label"])
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert {"×0.5", "×1", "×2"} <= set(ticks)


def test_amplification_skips_unknown_risks_without_warning() -> None:
    table = _amplification(3)
    table.loc[0, ["risk_ratio", "risk_low", "risk_high"]] = np.nan
    table.loc[1, "risk_low"] = 0.0
    table.loc[2, "risk_high"] = np.inf
    ax = plot_amplification(table)
    selection, risk = ax.containers
    assert len(selection.lines[0].get_xdata()) == 3
    assert len(risk.lines[0].get_xdata()) == 2
    to_svg(ax)  # drawing a log axis warns on non-positive values: warnings are errors here


def test_amplification_grows_with_rows_and_speaks_french() -> None:
    small: Any = plot_amplification(_amplification(2)).get_figure()
    large: Any = plot_amplification(_amplification(8)).get_figure()
    assert large.get_figheight() > small.get_figheight()
    ax = plot_amplification(_amplification(3), words=WORDS_FR)
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "Rapport des taux de sélection",
        "Rapport des taux d'indu (risque)",
        "Aucune différence",
    ]
    assert "×0,5" in [t.get_text() for t in ax.get_xticklabels()]


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (_amplification().drop(columns=["risk_low"]), r"table lacks the columns \['risk_low'\]"),
        (_amplification().iloc[:0], "table has no rows"),
    ],
    ids=["missing-column", "empty"],
)
def test_amplification_refuses_bad_tables(table: pd.DataFrame, match: str) -> None:
    with pytest.raises(DmdeError, match=match):
        plot_amplification(table)


# --------------------------------------------------------------------------------------------
# Words
def test_french_words_cover_every_english_key() -> None:
    assert set(WORDS_FR) == set(WORDS)
    assert WORDS_FR["selection_rate"] == "Taux de sélection (%)"


def test_words_replace_the_defaults() -> None:
    ax = plot_score_deciles(_deciles(), attribute="income_band", words=WORDS_FR)
    assert ax.get_xlabel() == WORDS_FR["decile"]
    assert ax.yaxis.get_major_formatter()(0.125, 0) == "12,5\u00a0%"
    ax = plot_group_metric(_metrics(), attribute="income_band", words={"interval": "95% CI"})
    assert ax.get_xlabel() == f"{WORDS['selection_rate']}\n95% CI"


@pytest.mark.parametrize(
    ("words", "match"),
    [
        ({"selecton_rate": "x"}, r"words has unknown keys \['selecton_rate'\]"),
        ({"share": "x", "zz": "y"}, r"unknown keys \['zz'\]; the known keys are"),
    ],
    ids=["typo", "one-of-two"],
)
def test_unknown_words_are_refused(words: dict[str, str], match: str) -> None:
    with pytest.raises(DmdeError, match=match):
        plot_random_vs_selected(_random_vs_selected(), attribute="income_band", words=words)


# --------------------------------------------------------------------------------------------
# From the audit's own tables
def test_group_metric_names_suppressed_groups(data: dict[str, Any]) -> None:
    ax = plot_group_metric(data["audit"].metrics, attribute="rare")
    labels = _yticks(ax)
    assert any(WORDS["suppressed"] in label for label in labels)
    svg = to_svg(ax)
    assert svg.startswith("<?xml") and "<svg" in svg


def test_every_figure_draws_and_svg_is_deterministic(data: dict[str, Any]) -> None:
    audit, table = data["audit"], data["table"]
    figures: list[Callable[[], Any]] = [
        lambda: plot_group_metric(audit.metrics, attribute="gender", metric="precision"),
        lambda: plot_random_vs_selected(table, attribute="gender"),
        lambda: plot_random_vs_selected(table, attribute="rare", words=WORDS_FR),
        lambda: plot_calibration(audit.calibration, attribute="gender"),
        lambda: plot_score_deciles(audit.deciles, attribute="gender", order=["male"]),
        lambda: plot_score_distributions(data["score"], data["groups"]["gender"]),
        lambda: plot_income_bands(audit.metrics, attribute="gender", words=WORDS_FR)[0],
        lambda: plot_amplification(_amplification(), words=WORDS_FR),
    ]
    for make in figures:
        assert to_svg(make()) == to_svg(make())


def _savefig_svg(ax: Axes) -> str:
    """What ``to_svg`` gave before it skipped savefig's drawing-disabled pass."""
    import io

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "dmde", "svg.fonttype": "path"}):
        ax.get_figure().savefig(buffer, format="svg", metadata={"Date": None})  # type: ignore[union-attr]
    return buffer.getvalue()


def test_svg_is_savefigs_to_the_byte(data: dict[str, Any]) -> None:
    """to_svg lays a figure out without savefig's extra pass: the bytes are savefig's."""
    from matplotlib.figure import Figure

    audit, table = data["audit"], data["table"]
    figures: list[Callable[[], Any]] = [
        lambda: plot_group_metric(audit.metrics, attribute="rare"),
        lambda: plot_random_vs_selected(table, attribute="rare", words=WORDS_FR),
        lambda: plot_calibration(audit.calibration, attribute="gender", words=WORDS_FR),
        lambda: plot_score_deciles(audit.deciles, attribute="gender"),
        lambda: plot_score_distributions(data["score"], data["groups"]["gender"]),
        lambda: plot_income_bands(audit.metrics, attribute="gender")[0],
        lambda: plot_amplification(_amplification()),
        # No layout engine: savefig draws once, as to_svg lets it.
        lambda: plot_group_metric(audit.metrics, attribute="gender", ax=Figure().subplots()),
    ]
    for make in figures:
        assert to_svg(make()) == _savefig_svg(make())


def test_unknown_attribute(data: dict[str, Any]) -> None:
    with pytest.raises(DmdeError, match="no rows for attribute 'age_band'"):
        plot_group_metric(data["audit"].metrics, attribute="age_band")


def test_score_and_group_lengths_must_match() -> None:
    with pytest.raises(DmdeError, match="score has 3 values but group has 2"):
        plot_score_distributions([1.0, 2.0, 3.0], ["a", "b"])


@pytest.mark.parametrize(
    "settings",
    [{"font.size": 14.0}, {"font.family": "serif"}, {"axes.titlesize": "xx-large"}],
    ids=["font-size", "font-family", "title-size"],
)
def test_text_sizes_kept_between_figures_follow_the_font_settings(
    data: dict[str, Any], settings: dict[str, Any]
) -> None:
    """to_svg keeps each text's measured size from figure to figure: under other font
    settings the texts are measured again, and the bytes are still savefig's."""
    import matplotlib

    def make() -> Axes:
        return plot_group_metric(data["audit"].metrics, attribute="gender")

    to_svg(make())  # sizes measured under the default settings
    with matplotlib.rc_context(settings):
        assert to_svg(make()) == _savefig_svg(make())
