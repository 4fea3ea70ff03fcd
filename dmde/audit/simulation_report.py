"""The simulation report: a :class:`~dmde.audit.simulation.SimulationResult` as a document.

Built as data first (:class:`~dmde.core.rendering.Document`), rendered second by
:mod:`dmde.core.rendering` (HTML, Markdown, JSON). The verdict opens the page: first what
the settings make void or uncertain (too few seeds; comparisons that cannot differ by
construction), then today's design (``dmde``) against the survey-only baseline
(``random-only``) and who bears dmde's checks against where the true overpayments are, then what
each alternative would change against dmde, each comparison saying "clearly higher/lower",
"no difference" or "cannot tell with N seeds" from its interval over the seeds; the figures over
time follow, then the tables, the world's assumptions and the month-by-month figures.

Every function that writes words takes ``lang`` (``"en"``, the default, or ``"fr"``): the
strings are :mod:`dmde.audit.simulation_words`'s, the numbers the same in both languages.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dmde.audit.plot_style import WORDS, WORDS_FR, _legend, _numbers, _percent
from dmde.audit.plots import to_svg
from dmde.audit.report import check_report_paths
from dmde.audit.simulation import METRICS, SimulationResult, seed_interval, simulate
from dmde.audit.simulation_policies import BUILTIN_POLICIES, SimulationPolicy
from dmde.audit.simulation_words import (
    HISTORY_WORDS,
    count_words,
    localize,
    policy_description,
    policy_name,
    policy_words,
    swr,
)
from dmde.audit.targeting import GROUP_ATTRIBUTES
from dmde.audit.words import attribute_label, group_label
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
    write_document,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "compare",
    "interval_words",
    "limits",
    "plot_composition",
    "plot_over_time",
    "simulate_to_files",
    "simulation_document",
    "verdict",
    "write_simulation_report",
]

#: The panels of the figure over time: (metric, in percent); their titles are
#: :mod:`~dmde.audit.simulation_words`'s ``panel_<metric>``.
_PANELS = (
    ("hit_rate", True),
    ("repeat_share", True),
    ("auc_truth", False),
    ("checked_2plus", False),
)
_REFERENCE = "dmde"


def _series(result: SimulationResult, metric: str) -> np.ndarray:
    if metric == "checked_2plus":
        m = result.metrics
        return m["checked_2"] + m["checked_3"] + m["checked_4plus"]
    return result.metrics[metric]


def _figure_words(lang: Lang) -> dict[str, str]:
    return WORDS_FR if lang == "fr" else WORDS


def plot_over_time(
    result: SimulationResult, *, axes: Sequence[Axes] | None = None, lang: Lang = "en"
) -> list[Axes]:
    """The policies side by side over the months: hit rate, share of checks on already-checked
    files, AUC on the truth and files checked twice or more; lines: mean over seeds, bands: 95%
    interval over the seeds (:func:`~dmde.audit.simulation.seed_interval`; none with one seed).
    Returns the axes."""
    if axes is None:
        from matplotlib.figure import Figure as MplFigure

        figure = MplFigure(figsize=(13.0, 3.8), layout="constrained")
        axes = list(figure.subplots(1, len(_PANELS)))
    from matplotlib.ticker import MaxNLocator

    x = np.arange(1, len(result.months) + 1)
    figure_words = _figure_words(lang)
    for ax, (metric, percent) in zip(axes, _PANELS, strict=True):
        values = _series(result, metric)
        for i, policy in enumerate(result.policies):
            per_seed = values[i]
            if np.isnan(per_seed).all():
                continue
            mean, low, high = _band(per_seed, percent)
            (line,) = ax.plot(x, mean, linewidth=1.6, label=policy_name(policy, lang))
            ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_title(swr(f"panel_{metric}", lang), fontsize="small")
        ax.set_xlabel(swr("axis_month", lang))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if percent:
            _percent(ax.yaxis, figure_words)
        else:
            _numbers(ax.yaxis, figure_words)
    _legend(axes[0], where="below")
    return list(axes)


def _band(per_seed: np.ndarray, bounded: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column (month, group) of ``per_seed`` (seeds x columns): mean and 95% interval over
    the seeds (:func:`~dmde.audit.simulation.seed_interval`; on the logit when ``bounded``;
    NaN bounds with one seed: no band)."""
    out = seed_interval(np.asarray(per_seed, dtype=np.float64).T, bounded=bounded)
    return out[:, 0], out[:, 1], out[:, 2]


def plot_composition(
    result: SimulationResult,
    attribute: str = "household_type",
    *,
    ax: Axes | None = None,
    lang: Lang = "en",
) -> Axes:
    """Each policy's share of checks by group of ``attribute`` over the run, beside the group's
    share of the true overpayments (mean over seeds, 95% interval over the seeds; none with
    one seed)."""
    if ax is None:
        from matplotlib.figure import Figure as MplFigure

        ax = MplFigure(figsize=(8.0, 3.8), layout="constrained").subplots()
    rows = [k for k, (a, _) in enumerate(result.levels) if a == attribute]
    labels = [group_label(attribute, result.levels[k][1], lang) for k in rows]
    series = [
        (policy_name(p, lang), _shares(result, i, rows, 0)) for i, p in enumerate(result.policies)
    ]
    truth = swr("true_overpayments", lang)
    series.append((truth, _shares(result, 0, rows, 2)))
    width = 0.8 / len(series)
    x = np.arange(len(rows))
    for j, (name, share) in enumerate(series):
        mean, low, high = _band(share, True)
        ax.bar(
            x + (j - (len(series) - 1) / 2) * width,
            mean,
            width,
            yerr=None if np.isnan(low).all() else np.vstack([mean - low, high - mean]),
            capsize=2,
            label=name,
            color="0.35" if j == len(series) - 1 else None,
        )
    ax.set_xticks(x, [label.replace(" ", "\n", 1) for label in labels], fontsize="small")
    _percent(ax.yaxis, _figure_words(lang))
    ax.set_ylabel(swr("axis_share", lang))
    _legend(ax, where="right")
    return ax


def _shares(result: SimulationResult, policy: int, rows: list[int], what: int) -> np.ndarray:
    """Per seed: each level's share of the policy's checks (what=0), of its fruitless checks
    (1) or of the true overpayments (2), summed over the months."""
    counts = result.composition[policy][:, :, rows, what].sum(axis=1)  # (seeds, levels)
    total = counts.sum(axis=1, keepdims=True)
    return np.asarray(counts / np.maximum(total, 1e-12))


def _fruitless(result: SimulationResult, policy: int, rows: list[int]) -> np.ndarray:
    """Per seed: each level's share of its checks that found nothing."""
    comp = result.composition[policy][:, :, rows].sum(axis=1)
    return np.asarray(
        np.where(comp[:, :, 0] > 0, comp[:, :, 1] / np.maximum(comp[:, :, 0], 1), np.nan)
    )


# ---------------------------------------------------------------------------------------------
# The verdict
#: Differences smaller than these are "no difference" when the whole interval lies within them:
#: 2 percentage points for shares, 0.01 for an AUC.
MARGINS = {"share": 0.02, "auc": 0.01}
#: Below this many seeds the report warns that the intervals across seeds are wide.
FEW_SEEDS = 5
_ALTERNATIVES = ("retrain-on-selected", "with-history")


def _pct(x: float, lang: Lang) -> str:
    return localize(f"{x:.1%}", lang)


def _num3(x: float, lang: Lang) -> str:
    return localize(f"{x:.3f}", lang)


def _share_margin(lang: Lang) -> str:
    """The margin of "no difference" for shares: ``±2 pp``."""
    return swr("share_margin", lang, margin=localize(f"{100 * MARGINS['share']:g}", lang))


def _auc_margin(lang: Lang) -> str:
    return swr("auc_margin", lang, margin=localize(f"{MARGINS['auc']}", lang))


def _ci(values: np.ndarray, fmt: str = "pct", lang: Lang = "en") -> str:
    """An estimate and its interval ("[no interval]" when there is none)."""
    mean, low, high = (float(v) for v in values)
    write = _pct if fmt == "pct" else _num3
    if np.isnan(low):
        return f"{write(mean, lang)} {swr('no_interval', lang)}"
    return f"{write(mean, lang)} " + swr(
        "interval", lang, low=write(low, lang), high=write(high, lang)
    )


def _diff_text(d: np.ndarray, fmt: str = "pp", lang: Lang = "en") -> str:
    """A difference with its interval: percentage points for shares, plain for AUCs."""
    scale, unit, digits = (100.0, swr("pp", lang), 1) if fmt == "pp" else (1.0, "", 3)
    mean, low, high = (localize(f"{float(v) * scale:+.{digits}f}", lang) for v in d)
    if np.isnan(float(d[1])):
        return f"{mean}{unit} {swr('no_interval', lang)}"
    return f"{mean}{unit} " + swr("interval", lang, low=low, high=high)


def _judge(d: np.ndarray, margin: float) -> str:
    """``higher``, ``lower``, ``none`` (within ± margin), ``unknown`` or ``no_interval``."""
    _, low, high = (float(v) for v in d)
    if np.isnan(low):
        return "no_interval"
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    if -margin <= low and high <= margin:
        return "none"
    return "unknown"


def compare(d: np.ndarray, *, margin: float, n_seeds: int) -> str:
    """What a difference and its interval allow one to say.

    ``"higher"`` or ``"lower"`` when the interval excludes 0; ``"no difference"`` when the
    whole interval lies within ``± margin``; otherwise ``"cannot tell with N seeds"`` (the
    interval is too wide to tell a difference from none; with one seed there is none). The
    report writes these in its language (:mod:`dmde.audit.simulation_words`).

    Examples
    --------
    >>> compare(np.array([0.05, 0.02, 0.08]), margin=0.02, n_seeds=5)
    'higher'
    >>> compare(np.array([0.001, -0.005, 0.007]), margin=0.02, n_seeds=5)
    'no difference'
    >>> compare(np.array([0.04, -0.1, 0.18]), margin=0.02, n_seeds=2)
    'cannot tell with 2 seeds'
    """
    word = _judge(d, margin)
    if word in ("higher", "lower"):
        return word
    if word == "none":
        return "no difference"
    key = "cannot_tell_no_interval" if word == "no_interval" else "cannot_tell"
    return swr(key, "en", seeds=count_words("seed", n_seeds))


def _said(d: np.ndarray, *, margin: float, words: str, n_seeds: int, lang: Lang) -> str:
    """What a comparison says, in words: "clearly higher", "no difference beyond ±2 pp"
    (``words`` is the margin written), "cannot tell with N seeds"."""
    word = _judge(d, margin)
    if word in ("higher", "lower"):
        return swr(word, lang)
    if word == "none":
        return swr("no_difference", lang, margin=words)
    key = "cannot_tell_no_interval" if word == "no_interval" else "cannot_tell"
    return swr(key, lang, seeds=count_words("seed", n_seeds, lang))


def _said_share(d: np.ndarray, n_seeds: int, lang: Lang) -> str:
    return _said(d, margin=MARGINS["share"], words=_share_margin(lang), n_seeds=n_seeds, lang=lang)


def limits(result: SimulationResult, lang: Lang = "en") -> list[str]:
    """What the settings make void or uncertain, before any figure: too few seeds for the
    intervals, comparisons that cannot differ by construction (no retraining within the
    horizon; no second check on the score allowed by the cooldown)."""
    s = result.settings
    names = list(result.policies)
    n = len(result.seeds)
    months = len(result.months)
    out: list[str] = []
    if n < 2:
        out.append(swr("one_seed", lang, few=FEW_SEEDS))
    elif n < FEW_SEEDS:
        from scipy.stats import t as student

        out.append(
            swr(
                "few_seeds",
                lang,
                n=n,
                dof=count_words("degree", n - 1, lang),
                t=localize(f"{student.ppf(0.975, n - 1):.1f}", lang),
                few=FEW_SEEDS,
            )
        )
    learners = [a for a in _ALTERNATIVES if a in names]
    retrain = int(s["retrain_every"])
    if learners and months <= retrain:
        out.append(
            swr(
                "void_retrain",
                lang,
                months=months,
                retrain=retrain,
                first=retrain + 1,
                selected=policy_words("retrain-on-selected", lang),
                history=policy_words("with-history", lang),
            )
        )
    if _max_score_checks(result) < 2:
        out.append(swr("void_cooldown", lang, cooldown=s["cooldown"], months=months))
    return out


def _max_score_checks(result: SimulationResult) -> int:
    """The most checks on the score a file can get within the run under the cooldown."""
    months = len(result.months)
    return (months - 1) // (int(result.settings["cooldown"]) + 1) + 1


def _no_retraining(result: SimulationResult) -> bool:
    return len(result.months) <= int(result.settings["retrain_every"])


def verdict(result: SimulationResult, lang: Lang = "en") -> list[str]:
    """The main points, one sentence each with its figure and interval over the seeds.

    First what the settings make void or uncertain (:func:`limits`); then today's design
    (``dmde``) against the survey-only baseline (``random-only``), and who bears dmde's checks
    against where the true overpayments are; then what each alternative would change against
    dmde; then the caveats. In ``lang`` (``"en"`` or ``"fr"``), the same numbers.
    """
    names = list(result.policies)
    n_seeds = len(result.seeds)
    points = limits(result, lang)
    ref = names.index(_REFERENCE) if _REFERENCE in names else None
    base = names.index("random-only") if "random-only" in names else None
    hit = result.summary("hit_rate")
    repeat = result.summary("repeat_share")
    auc = result.summary("auc_truth")
    base_words = policy_words("random-only", lang)
    if ref is not None and base is not None:
        rate = result.summary("base_rate")
        dh = result.difference("hit_rate", ref, base)
        points.append(
            swr(
                "today",
                lang,
                hit=_ci(hit[ref], lang=lang),
                base=base_words,
                hit_base=_ci(hit[base], lang=lang),
                rate=_pct(rate[base][0], lang),
                diff=_diff_text(dh, lang=lang),
                said=_said_share(dh, n_seeds, lang),
            )
        )
        dr = result.difference("repeat_share", ref, base)
        points.append(
            swr(
                "repeats",
                lang,
                share=_ci(repeat[ref], lang=lang),
                share_base=_ci(repeat[base], lang=lang),
                base=base_words,
                diff=_diff_text(dr, lang=lang),
                said=_said_share(dr, n_seeds, lang),
            )
        )
    elif base is not None:
        rate = result.summary("base_rate")
        points.append(
            swr(
                "base_only",
                lang,
                base=base_words,
                hit=_ci(hit[base], lang=lang),
                rate=_pct(rate[base][0], lang),
            )
        )
    if ref is not None:
        points.append(_who_bears(result, ref, base, lang))
        for i in _alternatives(names):
            points.extend(_against_dmde(result, i, ref, hit, repeat, auc, lang))
    points.append(swr("caveat_simulation", lang))
    if "with-history" in names:
        points.append(swr("caveat_history", lang, history=policy_words("with-history", lang)))
    return points


def _alternatives(names: list[str]) -> list[int]:
    """The policies compared with dmde, the built-in alternatives first."""
    order = [names.index(a) for a in _ALTERNATIVES if a in names]
    others = [
        i for i, n in enumerate(names) if n not in (_REFERENCE, "random-only", *_ALTERNATIVES)
    ]
    return order + others


def _against_dmde(
    result: SimulationResult,
    i: int,
    ref: int,
    hit: np.ndarray,
    repeat: np.ndarray,
    auc: np.ndarray,
    lang: Lang = "en",
) -> list[str]:
    name = result.policies[i]
    n_seeds = len(result.seeds)
    if name == "retrain-on-selected" and _no_retraining(result):
        return [swr("no_comparison", lang, name=policy_words(name, lang))]
    dr = result.difference("repeat_share", i, ref)
    dh = result.difference("hit_rate", i, ref)
    text = swr(
        "against",
        lang,
        name=policy_words(name, lang),
        repeat=_ci(repeat[i], lang=lang),
        repeat_ref=_ci(repeat[ref], lang=lang),
        repeat_diff=_diff_text(dr, lang=lang),
        repeat_said=_said_share(dr, n_seeds, lang),
        hit=_ci(hit[i], lang=lang),
        hit_ref=_ci(hit[ref], lang=lang),
        hit_diff=_diff_text(dh, lang=lang),
        hit_said=_said_share(dh, n_seeds, lang),
    )
    if not np.isnan(auc[i][0]) and not np.isnan(auc[ref][0]):
        da = result.difference("auc_truth", i, ref)
        text += swr(
            "against_auc",
            lang,
            auc=_ci(auc[i], "num", lang),
            auc_ref=_ci(auc[ref], "num", lang),
            diff=_diff_text(da, "num", lang),
            said=_said(
                da, margin=MARGINS["auc"], words=_auc_margin(lang), n_seeds=n_seeds, lang=lang
            ),
        )
    if _max_score_checks(result) >= 2:
        twice = result.last("checked_2") + result.last("checked_3") + result.last("checked_4plus")
        text += swr(
            "against_twice",
            lang,
            twice=localize(f"{twice[i][0]:,.0f}", lang),
            twice_ref=localize(f"{twice[ref][0]:,.0f}", lang),
        )
    out = [text + "."]
    drift = _largest_drift(result, i, ref, lang)
    if drift:
        out.append(drift)
    return out


def _level_rows(result: SimulationResult, attribute: str) -> list[int]:
    return [k for k, (a, _) in enumerate(result.levels) if a == attribute]


def _who_bears(result: SimulationResult, ref: int, base: int | None, lang: Lang = "en") -> str:
    """The group whose share of dmde's checks departs most from its share of the true
    overpayments, with the interval of the gap (paired by seed)."""
    n_seeds = len(result.seeds)
    best: tuple[float, str, int, list[int], int] | None = None
    for attribute in GROUP_ATTRIBUTES:
        rows = _level_rows(result, attribute)
        gap = _shares(result, ref, rows, 0) - _shares(result, ref, rows, 2)  # seeds x levels
        mean = gap.mean(axis=0)
        j = int(np.argmax(np.abs(mean)))
        if best is None or abs(mean[j]) > best[0]:
            best = (abs(float(mean[j])), attribute, j, rows, rows[j])
    assert best is not None
    _, attribute, j, rows, k = best
    checks = _shares(result, ref, rows, 0)[:, j]
    truth = _shares(result, ref, rows, 2)[:, j]
    d = seed_interval((checks - truth)[None, :], within=(-1.0, 1.0))[0]
    counts = result.composition[ref][:, :, rows, 0].sum(axis=1)  # seeds x levels
    pooled = (np.array([counts[:, j].sum()]), np.array([counts.sum()]))
    share = seed_interval(checks[None, :], bounded=True, counts=pooled)[0]
    baseline = ""
    if base is not None:
        baseline = swr(
            "who_baseline",
            lang,
            base=policy_words("random-only", lang),
            share=_pct(_shares(result, base, rows, 0)[:, j].mean(), lang),
        )
    return swr(
        "who",
        lang,
        group=group_label(attribute, result.levels[k][1], lang),
        attribute=attribute_label(attribute, lang),
        share=_ci(share, lang=lang),
        truth=_pct(truth.mean(), lang),
        diff=_diff_text(d, lang=lang),
        said=_said_share(d, n_seeds, lang),
        baseline=baseline,
        section=swr("section_who", lang),
    )


def _largest_drift(result: SimulationResult, i: int, ref: int, lang: Lang = "en") -> str:
    """The group whose share of checks moves most between policy ``i`` and dmde."""
    n_seeds = len(result.seeds)
    best: tuple[float, str] | None = None
    for attribute in GROUP_ATTRIBUTES:
        rows = _level_rows(result, attribute)
        diff = _shares(result, i, rows, 0) - _shares(result, ref, rows, 0)
        truth = _shares(result, ref, rows, 2).mean(axis=0)
        for j, k in enumerate(rows):
            gap = abs(float(diff[:, j].mean()))
            if best is None or gap > best[0]:
                d = seed_interval(diff[None, :, j], within=(-1.0, 1.0))[0]
                text = swr(
                    "drift",
                    lang,
                    name=policy_words(result.policies[i], lang),
                    group=group_label(attribute, result.levels[k][1], lang),
                    attribute=attribute_label(attribute, lang),
                    share=_pct(_shares(result, i, rows, 0)[:, j].mean(), lang),
                    share_ref=_pct(_shares(result, ref, rows, 0)[:, j].mean(), lang),
                    diff=_diff_text(d, lang=lang),
                    said=_said_share(d, n_seeds, lang),
                    truth=_pct(truth[j], lang),
                )
                best = (gap, text)
    return best[1] if best else ""


def interval_words(result: SimulationResult, lang: Lang = "en") -> str:
    """How the intervals were taken, in words (in English,
    :attr:`~dmde.audit.simulation.SimulationResult.interval_words`)."""
    n = len(result.seeds)
    if n < 2:
        return swr("intervals_one", lang)
    return swr("intervals_many", lang, n=n, dof=count_words("degree", n - 1, lang))


# ---------------------------------------------------------------------------------------------
# Tables
def _summary_columns(lang: Lang) -> tuple[Column, ...]:
    interval = swr("col_interval", lang)
    return (
        Column("policy", swr("col_policy", lang)),
        Column("hit_rate", swr("col_hit_rate", lang), "pct1"),
        Column("hit_rate_ci", interval),
        Column("amount", swr("col_amount", lang), "num0"),
        Column("auc_truth", swr("col_auc", lang), "num3"),
        Column("auc_ci", interval),
        Column("repeat_share", swr("col_repeat", lang), "pct1"),
        Column("repeat_ci", interval),
        Column("checked_2", swr("col_checked_2", lang), "num0"),
        Column("checked_3", swr("col_checked_3", lang), "num0"),
        Column("checked_4plus", swr("col_checked_4plus", lang), "num0"),
        Column("gini", swr("col_gini", lang), "num3"),
    )


def _interval(values: np.ndarray, pct: bool, lang: Lang = "en") -> str:
    if np.isnan(values[0]):
        return "–"
    if np.isnan(values[1]):
        return swr("no_interval_cell", lang)
    write = _pct if pct else _num3
    return swr("interval", lang, low=write(values[1], lang), high=write(values[2], lang))


def _summary_table(result: SimulationResult, lang: Lang = "en") -> Table:
    hit = result.summary("hit_rate")
    auc = result.summary("auc_truth")
    repeat = result.summary("repeat_share")
    amount = result.summary("amount")
    repeats = _max_score_checks(result) >= 2  # else 0 by construction: shown as void
    rows = []
    for i, name in enumerate(result.policies):
        rows.append(
            (
                policy_name(name, lang),
                float(hit[i][0]),
                _interval(hit[i], True, lang),
                float(amount[i][0]),
                None if np.isnan(auc[i][0]) else float(auc[i][0]),
                _interval(auc[i], False, lang),
                float(repeat[i][0]),
                _interval(repeat[i], True, lang),
                *(
                    float(result.last(k)[i][0]) if repeats else None
                    for k in ("checked_2", "checked_3", "checked_4plus")
                ),
                None if np.isnan(result.last("gini")[i][0]) else float(result.last("gini")[i][0]),
            )
        )
    return Table(
        _summary_columns(lang),
        tuple(rows),
        caption=swr("summary_caption", lang, intervals=interval_words(result, lang)),
    )


def _composition_table(result: SimulationResult, lang: Lang = "en") -> Table:
    columns = [
        Column("attribute", swr("col_attribute", lang)),
        Column("group", swr("col_group", lang)),
    ]
    names = [policy_name(name, lang) for name in result.policies]
    for code, name in zip(result.policies, names, strict=True):
        columns.append(Column(f"share_{code}", swr("col_share_of", lang, name=name), "pct1"))
    columns.append(Column("truth", swr("col_truth", lang), "pct1"))
    for code, name in zip(result.policies, names, strict=True):
        columns.append(Column(f"fruitless_{code}", swr("col_fruitless", lang, name=name), "pct1"))
    rows = []
    for attribute in GROUP_ATTRIBUTES:
        idx = [k for k, (a, _) in enumerate(result.levels) if a == attribute]
        shares = [_band(_shares(result, i, idx, 0))[0] for i in range(len(result.policies))]
        truth = _band(_shares(result, 0, idx, 2))[0]
        fruitless = [_nanmean_rows(_fruitless(result, i, idx)) for i in range(len(result.policies))]
        for j, k in enumerate(idx):
            rows.append(
                (
                    attribute_label(attribute, lang),
                    group_label(attribute, result.levels[k][1], lang),
                    *(float(s[j]) for s in shares),
                    float(truth[j]),
                    *(None if np.isnan(f[j]) else float(f[j]) for f in fruitless),
                )
            )
    return Table(tuple(columns), tuple(rows), caption=swr("who_caption", lang))


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    total = np.where(present, values, 0.0).sum(axis=0)
    count = present.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _monthly_table(result: SimulationResult, lang: Lang = "en") -> Table:
    columns = (
        Column("policy", swr("col_policy", lang)),
        Column("month", swr("col_month", lang)),
        Column("checks", swr("col_checks", lang), "num0"),
        Column("hit_rate", swr("col_month_hit_rate", lang), "pct1"),
        Column("amount", swr("col_found", lang), "num0"),
        Column("auc_truth", swr("col_auc", lang), "num3"),
        Column("repeat_share", swr("col_month_repeat", lang), "pct1"),
        Column("gini", swr("col_month_gini", lang), "num3"),
    )
    rows = []
    for i, name in enumerate(result.policies):
        for t, month in enumerate(result.months):
            cells: list[Any] = [policy_name(name, lang), month]
            for key in ("checks", "hit_rate", "amount", "auc_truth", "repeat_share", "gini"):
                values = result.metrics[key][i, :, t]
                value = float(np.mean(values))
                cells.append(None if np.isnan(value) else value)
            rows.append(tuple(cells))
    return Table(columns, tuple(rows), caption=swr("months_caption", lang), collapsed=True)


# ---------------------------------------------------------------------------------------------
# The document
def _budget_share(share: float, lang: Lang) -> str:
    """The yearly budget as the settings give it (``0.012``); in French, in percent."""
    return localize(f"{100 * share:g}%", lang) if lang == "fr" else f"{share}"


def _assumptions(result: SimulationResult, lang: Lang = "en") -> Section:
    s = result.settings
    effect = s["history_effect"]
    months = len(result.months)
    return Section(
        "assumptions",
        swr("section_assumptions", lang),
        (
            Paragraph(swr("assumptions_note", lang), "note"),
            Items(
                (
                    swr(
                        "assume_check",
                        lang,
                        recovery=swr(
                            "assume_recovery" if s.get("recovery", True) else "assume_no_recovery",
                            lang,
                        ),
                    ),
                    swr("assume_neutral", lang)
                    if effect == 0
                    else swr("assume_planted", lang, effect=localize(f"{effect:+g}", lang)),
                    swr(
                        "assume_budget",
                        lang,
                        share=_budget_share(s["budget_share"], lang),
                        cooldown=s["cooldown"],
                        months=months,
                        most=-(-months // (s["cooldown"] + 1)),
                    ),
                    swr("assume_survey", lang, controls=localize(f"{s['controls']:,}", lang)),
                    swr("assume_training", lang, retrain=s["retrain_every"]),
                    swr("assume_history", lang),
                    swr("assume_auc", lang),
                    swr(
                        "assume_intervals",
                        lang,
                        intervals=interval_words(result, lang),
                        margin=_share_margin(lang),
                    ),
                    swr(
                        "assume_concentration",
                        lang,
                        times=count_words("time", _max_score_checks(result), lang),
                        months=months,
                    ),
                )
            ),
        ),
    )


def _policy_label(name: str, lang: Lang) -> str:
    """A policy in "The policies": its name, and in French its code beside its French name."""
    label = policy_name(name, lang)
    return f"{label} ({name})" if label != name else name


def _policies(result: SimulationResult, lang: Lang = "en") -> Section:
    pairs = [
        (_policy_label(name, lang), policy_description(name, lang)) for name in result.policies
    ]
    history = HISTORY_WORDS["fr" if lang == "fr" else "en"]
    features = swr("list_separator", lang).join(
        swr("feature_item", lang, feature=k, bins=v) for k, v in history.items()
    )
    return Section(
        "policies",
        swr("section_policies", lang),
        (
            Facts(tuple(pairs)),
            Paragraph(
                swr(
                    "policies_note",
                    lang,
                    history=policy_words("with-history", lang),
                    features=features,
                ),
                "note",
            ),
        ),
    )


def simulation_document(
    result: SimulationResult, *, title: str | None = None, lang: Lang = "en"
) -> Document:
    """The report of a simulation, as a document (the verdict first), in ``lang``."""
    s = result.settings
    effect = s["history_effect"]
    meta = (
        (
            swr("meta_world", lang),
            swr(
                "world",
                lang,
                rows=localize(f"{s['rows']:,}", lang),
                months=len(result.months),
                first=result.months[0],
                seeds=", ".join(map(str, result.seeds)),
            ),
        ),
        (
            swr("meta_budget", lang),
            swr(
                "budget",
                lang,
                share=_budget_share(s["budget_share"], lang),
                cooldown=s["cooldown"],
            ),
        ),
        (
            swr("meta_later", lang),
            swr("later_recovery" if s.get("recovery", True) else "later_no_recovery", lang),
        ),
        (
            swr("meta_effect", lang),
            swr("effect_none", lang)
            if effect == 0
            else swr("effect_planted", lang, effect=localize(f"{effect:+g}", lang)),
        ),
    )
    figures = Section(
        "over-time",
        swr("section_over_time", lang),
        (
            Figure(
                "over-time",
                to_svg(plot_over_time(result, lang=lang)[0]),
                swr("fig_over_time", lang),
                swr("fig_over_time_alt", lang),
            ),
            Figure(
                "composition",
                to_svg(plot_composition(result, lang=lang)),
                swr("fig_composition", lang),
                swr("fig_composition_alt", lang),
            ),
        ),
    )
    return Document(
        kind="simulation",
        title=title or swr("title", lang),
        subtitle=swr("subtitle", lang),
        lang=lang,
        meta=meta,
        sections=(
            Section(
                "verdict", swr("section_verdict", lang), (Items(tuple(verdict(result, lang))),)
            ),
            figures,
            Section("figures", swr("section_compared", lang), (_summary_table(result, lang),)),
            Section("who", swr("section_who", lang), (_composition_table(result, lang),)),
            _policies(result, lang),
            _assumptions(result, lang),
            Section("months", swr("section_months", lang), (_monthly_table(result, lang),)),
        ),
        data={
            "settings": result.settings,
            "policies": list(result.policies),
            "months": list(result.months),
            "metrics": {
                k: {
                    p: np.round(result.metrics[k][i], 6).tolist()
                    for i, p in enumerate(result.policies)
                }
                for k in METRICS
            },
        },
        toc_after=1,
    )


def write_simulation_report(
    result: SimulationResult,
    path: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
    lang: Lang = "en",
) -> list[Path]:
    """Write the report beside ``path`` in each format (same stem), in ``lang``; return the
    paths written."""
    return write_document(simulation_document(result, lang=lang), path, formats=formats)


def simulate_to_files(
    out: str | os.PathLike[str],
    policies: Sequence[str | SimulationPolicy] = tuple(BUILTIN_POLICIES),
    *,
    formats: Iterable[str] = ("html", "md", "json"),
    lang: Lang = "en",
    **options: Any,
) -> tuple[SimulationResult, list[Path]]:
    """Run :func:`~dmde.audit.simulation.simulate` (``options`` are its keywords) and write the
    report beside ``out`` in ``lang`` (``dmde simulate``): the output paths are checked first."""
    check_report_paths(out, {}, formats=tuple(formats))
    result = simulate(policies, **options)
    return result, write_simulation_report(result, out, formats=formats, lang=lang)
