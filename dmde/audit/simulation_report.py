"""The simulation report: a :class:`~dmde.audit.simulation.SimulationResult` as a document.

Built as data first (:class:`~dmde.core.rendering.Document`), rendered second by
:mod:`dmde.core.rendering` (HTML, Markdown, JSON). The verdict opens the page: first what
the settings make void or uncertain (too few seeds; comparisons that cannot differ by
construction), then today's design (``dmde``) against the survey-only baseline
(``random-only``) and who bears dmde's checks against where the true overpayments are, then what
each alternative would change against dmde, each comparison saying "clearly higher/lower",
"no difference" or "cannot tell with N seeds" from its interval over the seeds; the figures over
time follow, then the tables, the world's assumptions and the month-by-month figures.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dmde.audit.plot_style import WORDS, _legend, _percent
from dmde.audit.plots import to_svg
from dmde.audit.report import check_report_paths
from dmde.audit.simulation import METRICS, SimulationResult, seed_interval, simulate
from dmde.audit.simulation_policies import BUILTIN_POLICIES, HISTORY_FEATURES, SimulationPolicy
from dmde.audit.targeting import GROUP_ATTRIBUTES
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

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "compare",
    "limits",
    "plot_composition",
    "plot_over_time",
    "simulate_to_files",
    "simulation_document",
    "verdict",
    "write_simulation_report",
]

#: The panels of the figure over time: (metric, title, in percent).
_PANELS = (
    ("hit_rate", "Checks finding an overpayment", True),
    ("repeat_share", "Checks on files checked\nin the last 24 months", True),
    ("auc_truth", "Ranking against the truth (AUC)", False),
    ("checked_2plus", "Files checked twice or more\nby the score (cumulative)", False),
)
_REFERENCE = "dmde"


def _series(result: SimulationResult, metric: str) -> np.ndarray:
    if metric == "checked_2plus":
        m = result.metrics
        return m["checked_2"] + m["checked_3"] + m["checked_4plus"]
    return result.metrics[metric]


def plot_over_time(result: SimulationResult, *, axes: Sequence[Axes] | None = None) -> list[Axes]:
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
    for ax, (metric, title, percent) in zip(axes, _PANELS, strict=True):
        values = _series(result, metric)
        for i, policy in enumerate(result.policies):
            per_seed = values[i]
            if np.isnan(per_seed).all():
                continue
            mean, low, high = _band(per_seed, percent)
            (line,) = ax.plot(x, mean, linewidth=1.6, label=policy)
            ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_title(title, fontsize="small")
        ax.set_xlabel("month of the simulation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if percent:
            _percent(ax.yaxis, WORDS)
    _legend(axes[0], where="below")
    return list(axes)


def _band(per_seed: np.ndarray, bounded: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column (month, group) of ``per_seed`` (seeds x columns): mean and 95% interval over
    the seeds (:func:`~dmde.audit.simulation.seed_interval`; on the logit when ``bounded``;
    NaN bounds with one seed: no band)."""
    out = seed_interval(np.asarray(per_seed, dtype=np.float64).T, bounded=bounded)
    return out[:, 0], out[:, 1], out[:, 2]


def plot_composition(
    result: SimulationResult, attribute: str = "household_type", *, ax: Axes | None = None
) -> Axes:
    """Each policy's share of checks by group of ``attribute`` over the run, beside the group's
    share of the true overpayments (mean over seeds, 95% interval over the seeds; none with
    one seed)."""
    if ax is None:
        from matplotlib.figure import Figure as MplFigure

        ax = MplFigure(figsize=(8.0, 3.8), layout="constrained").subplots()
    rows = [k for k, (a, _) in enumerate(result.levels) if a == attribute]
    labels = [GROUP_ATTRIBUTES[attribute].level_label(result.levels[k][1]) for k in rows]
    series = [(p, _shares(result, i, rows, 0)) for i, p in enumerate(result.policies)]
    series.append(("true overpayments", _shares(result, 0, rows, 2)))
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
            color="0.35" if name == "true overpayments" else None,
        )
    ax.set_xticks(x, [label.replace(" ", "\n", 1) for label in labels], fontsize="small")
    _percent(ax.yaxis, WORDS)
    ax.set_ylabel("share (%)")
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
_SHARE_MARGIN = f"±{100 * MARGINS['share']:g} pp"
_ALTERNATIVES = ("retrain-on-selected", "with-history")


def _ci(values: np.ndarray, fmt: str = "pct") -> str:
    """An estimate and its interval ("[no interval]" when there is none)."""
    mean, low, high = (float(v) for v in values)
    point = f"{mean:.1%}" if fmt == "pct" else f"{mean:.3f}"
    if np.isnan(low):
        return f"{point} [no interval]"
    if fmt == "pct":
        return f"{point} [{low:.1%}, {high:.1%}]"
    return f"{point} [{low:.3f}, {high:.3f}]"


def _diff_text(d: np.ndarray, fmt: str = "pp") -> str:
    """A difference with its interval: percentage points for shares, plain for AUCs."""
    scale, unit, digits = (100.0, " pp", 1) if fmt == "pp" else (1.0, "", 3)
    mean, low, high = (float(v) * scale for v in d)
    if np.isnan(low):
        return f"{mean:+.{digits}f}{unit} [no interval]"
    return f"{mean:+.{digits}f}{unit} [{low:+.{digits}f}, {high:+.{digits}f}]"


def compare(d: np.ndarray, *, margin: float, n_seeds: int) -> str:
    """What a difference and its interval allow one to say.

    ``"higher"`` or ``"lower"`` when the interval excludes 0; ``"no difference"`` when the
    whole interval lies within ``± margin``; otherwise ``"cannot tell with N seeds"`` (the
    interval is too wide to tell a difference from none; with one seed there is none).

    Examples
    --------
    >>> compare(np.array([0.05, 0.02, 0.08]), margin=0.02, n_seeds=5)
    'higher'
    >>> compare(np.array([0.001, -0.005, 0.007]), margin=0.02, n_seeds=5)
    'no difference'
    >>> compare(np.array([0.04, -0.1, 0.18]), margin=0.02, n_seeds=2)
    'cannot tell with 2 seeds'
    """
    _, low, high = (float(v) for v in d)
    seeds = f"{n_seeds} seed{'s' if n_seeds != 1 else ''}"
    if np.isnan(low):
        return f"cannot tell with {seeds} (no interval across panels)"
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    if -margin <= low and high <= margin:
        return "no difference"
    return f"cannot tell with {seeds}"


def _said(word: str, margin: str) -> str:
    if word == "no difference":
        return f"no difference beyond {margin}"
    if word in ("higher", "lower"):
        return f"clearly {word}"
    return word


def limits(result: SimulationResult) -> list[str]:
    """What the settings make void or uncertain, before any figure: too few seeds for the
    intervals, comparisons that cannot differ by construction (no retraining within the
    horizon; no second check on the score allowed by the cooldown)."""
    s = result.settings
    names = list(result.policies)
    n = len(result.seeds)
    months = len(result.months)
    out: list[str] = []
    if n < 2:
        out.append(
            "One seed: no interval across panels exists. Shares carry the binomial interval of "
            "the one panel's checks (it ignores how much another panel would differ), other "
            f"figures and all differences none, and every comparison reads 'cannot tell': run "
            f"{FEW_SEEDS} seeds or more (--seeds)."
        )
    elif n < FEW_SEEDS:
        from scipy.stats import t as student

        out.append(
            f"Only {n} seeds: the intervals across seeds rest on {n - 1} degree"
            f"{'s' if n > 2 else ''} of freedom (t = {student.ppf(0.975, n - 1):.1f}), so they "
            "are wide and many comparisons cannot be told apart: run "
            f"{FEW_SEEDS} seeds or more (--seeds) before reading a difference, or its absence."
        )
    learners = [a for a in _ALTERNATIVES if a in names]
    retrain = int(s["retrain_every"])
    if learners and months <= retrain:
        out.append(
            f"Void by construction: no retraining happened within the {months} months "
            f"(every {retrain} months, the first in month {retrain + 1}), so the models never "
            "learnt from their own selections: retrain-on-selected is dmde exactly, and "
            "with-history differs from dmde only by reading control history, with a model "
            "fitted once on the first survey. "
            "Their comparisons with dmde below say nothing of the feedback loop: simulate more "
            f"than {retrain} months (--months) or retrain more often (--retrain-every)."
        )
    if _max_score_checks(result) < 2:
        out.append(
            f"Void by construction: the {s['cooldown']}-month cooldown forbids a second check "
            f"on the score within {months} months, so 'files checked twice or more' is 0 under "
            "every policy, not a finding (checks on households checked in the last 24 months "
            "still count the survey's and the panel's earlier checks)."
        )
    return out


def _times(n: int) -> str:
    return f"{n} time{'s' if n != 1 else ''}"


def _max_score_checks(result: SimulationResult) -> int:
    """The most checks on the score a file can get within the run under the cooldown."""
    months = len(result.months)
    return (months - 1) // (int(result.settings["cooldown"]) + 1) + 1


def _no_retraining(result: SimulationResult) -> bool:
    return len(result.months) <= int(result.settings["retrain_every"])


def verdict(result: SimulationResult) -> list[str]:
    """The main points, one sentence each with its figure and interval over the seeds.

    First what the settings make void or uncertain (:func:`limits`); then today's design
    (``dmde``) against the survey-only baseline (``random-only``), and who bears dmde's checks
    against where the true overpayments are; then what each alternative would change against
    dmde; then the caveats.
    """
    names = list(result.policies)
    n_seeds = len(result.seeds)
    points = limits(result)
    ref = names.index(_REFERENCE) if _REFERENCE in names else None
    base = names.index("random-only") if "random-only" in names else None
    hit = result.summary("hit_rate")
    repeat = result.summary("repeat_share")
    auc = result.summary("auc_truth")
    share_margin = _SHARE_MARGIN
    if ref is not None and base is not None:
        rate = result.summary("base_rate")
        dh = result.difference("hit_rate", ref, base)
        points.append(
            f"Today's design against the survey-only baseline: dmde finds an overpayment in "
            f"{_ci(hit[ref])} of its checks, random-only (no score) in {_ci(hit[base])}, for "
            f"a true rate of {rate[base][0]:.1%} among the open files: difference "
            f"{_diff_text(dh)}, "
            + _said(compare(dh, margin=MARGINS["share"], n_seeds=n_seeds), share_margin)
            + "."
        )
        dr = result.difference("repeat_share", ref, base)
        points.append(
            f"Checks on households already checked in the last 24 months: {_ci(repeat[ref])} "
            f"under dmde vs {_ci(repeat[base])} under random-only, difference {_diff_text(dr)}, "
            + _said(compare(dr, margin=MARGINS["share"], n_seeds=n_seeds), share_margin)
            + "."
        )
    elif base is not None:
        rate = result.summary("base_rate")
        points.append(
            f"random-only (no score) finds an overpayment in {_ci(hit[base])} of its checks, "
            f"for a true rate of {rate[base][0]:.1%} among the open files."
        )
    if ref is not None:
        points.append(_who_bears(result, ref, base))
        for i in _alternatives(names):
            points.extend(_against_dmde(result, i, ref, hit, repeat, auc))
    points.append(
        "This is a simulation on synthetic households whose truth is known, not a measurement "
        "of the agency's system; its assumptions (what a check finds, households that do not "
        "respond to checks) are stated below."
    )
    if "with-history" in names:
        points.append(
            "with-history reads control-history features that dmde's feature policy excludes "
            "from every model: it is outside the policy, fitted by the simulator alone to show "
            "what the exclusion prevents."
        )
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
) -> list[str]:
    name = result.policies[i]
    n_seeds = len(result.seeds)
    share_margin = _SHARE_MARGIN
    if name == "retrain-on-selected" and _no_retraining(result):
        return [
            "retrain-on-selected against dmde: the same policy within this horizon (it never "
            "retrained, see above): no comparison."
        ]
    dr = result.difference("repeat_share", i, ref)
    dh = result.difference("hit_rate", i, ref)
    text = (
        f"{name} against dmde: checks on households already checked in the last 24 months "
        f"{_ci(repeat[i])} vs {_ci(repeat[ref])}, difference {_diff_text(dr)}, "
        + _said(compare(dr, margin=MARGINS["share"], n_seeds=n_seeds), share_margin)
        + f"; checks finding an overpayment {_ci(hit[i])} vs {_ci(hit[ref])}, difference "
        f"{_diff_text(dh)}, "
        + _said(compare(dh, margin=MARGINS["share"], n_seeds=n_seeds), share_margin)
    )
    if not np.isnan(auc[i][0]) and not np.isnan(auc[ref][0]):
        da = result.difference("auc_truth", i, ref)
        text += (
            f"; AUC on the truth {_ci(auc[i], 'num')} vs {_ci(auc[ref], 'num')}, difference "
            f"{_diff_text(da, 'num')}, "
            + _said(compare(da, margin=MARGINS["auc"], n_seeds=n_seeds), f"±{MARGINS['auc']}")
        )
    if _max_score_checks(result) >= 2:
        twice = result.last("checked_2") + result.last("checked_3") + result.last("checked_4plus")
        text += (
            f"; files checked twice or more on the score by the last month: "
            f"{twice[i][0]:,.0f} vs {twice[ref][0]:,.0f} (means over the seeds)"
        )
    out = [text + "."]
    drift = _largest_drift(result, i, ref)
    if drift:
        out.append(drift)
    return out


def _level_rows(result: SimulationResult, attribute: str) -> list[int]:
    return [k for k, (a, _) in enumerate(result.levels) if a == attribute]


def _who_bears(result: SimulationResult, ref: int, base: int | None) -> str:
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
    spec = GROUP_ATTRIBUTES[attribute]
    label = spec.level_label(result.levels[k][1])
    checks = _shares(result, ref, rows, 0)[:, j]
    truth = _shares(result, ref, rows, 2)[:, j]
    d = seed_interval((checks - truth)[None, :], within=(-1.0, 1.0))[0]
    counts = result.composition[ref][:, :, rows, 0].sum(axis=1)  # seeds x levels
    pooled = (np.array([counts[:, j].sum()]), np.array([counts.sum()]))
    share = seed_interval(checks[None, :], bounded=True, counts=pooled)[0]
    word = compare(d, margin=MARGINS["share"], n_seeds=n_seeds)
    baseline = ""
    if base is not None:
        baseline = f"; random-only's checks: {_shares(result, base, rows, 0)[:, j].mean():.1%}"
    return (
        f"Who bears dmde's checks: {label} ({spec.label[0]}) make {_ci(share)} of dmde's checks "
        f"and {truth.mean():.1%} of the true overpayments among the open files, a gap of "
        f"{_diff_text(d)} ({_said(word, _SHARE_MARGIN)}{baseline}). A score that targets risk "
        "concentrates checks on the groups it rates at higher risk, by design: the gap measures "
        "how far the checks depart from where the overpayments are, not whether that is right "
        "(every group in 'Who bears the checks')."
    )


def _largest_drift(result: SimulationResult, i: int, ref: int) -> str:
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
                word = compare(d, margin=MARGINS["share"], n_seeds=n_seeds)
                label = GROUP_ATTRIBUTES[attribute].level_label(result.levels[k][1])
                text = (
                    f"{result.policies[i]}'s largest move in who bears the checks: {label} "
                    f"({GROUP_ATTRIBUTES[attribute].label[0]}) make "
                    f"{_shares(result, i, rows, 0)[:, j].mean():.1%} of its checks vs "
                    f"{_shares(result, ref, rows, 0)[:, j].mean():.1%} of dmde's (difference "
                    f"{_diff_text(d)}, {_said(word, _SHARE_MARGIN)}), for {truth[j]:.1%} of the "
                    "true overpayments."
                )
                best = (gap, text)
    return best[1] if best else ""


# ---------------------------------------------------------------------------------------------
# Tables
_SUMMARY_COLUMNS = (
    Column("policy", "Policy"),
    Column("hit_rate", "Checks finding an overpayment", "pct1"),
    Column("hit_rate_ci", "95% interval"),
    Column("amount", "Found per month (EUR)", "num0"),
    Column("auc_truth", "AUC on the truth", "num3"),
    Column("auc_ci", "95% interval"),
    Column("repeat_share", "Checks on already-checked files", "pct1"),
    Column("repeat_ci", "95% interval"),
    Column("checked_2", "Files checked 2 times", "num0"),
    Column("checked_3", "3 times", "num0"),
    Column("checked_4plus", "4+ times", "num0"),
    Column("gini", "Gini of checks among the checked (last month)", "num3"),
)


def _interval(values: np.ndarray, pct: bool) -> str:
    if np.isnan(values[0]):
        return "–"
    if np.isnan(values[1]):
        return "no interval (one seed)"
    if pct:
        return f"[{values[1]:.1%}, {values[2]:.1%}]"
    return f"[{values[1]:.3f}, {values[2]:.3f}]"


def _summary_table(result: SimulationResult) -> Table:
    hit = result.summary("hit_rate")
    auc = result.summary("auc_truth")
    repeat = result.summary("repeat_share")
    amount = result.summary("amount")
    repeats = _max_score_checks(result) >= 2  # else 0 by construction: shown as void
    rows = []
    for i, name in enumerate(result.policies):
        rows.append(
            (
                name,
                float(hit[i][0]),
                _interval(hit[i], True),
                float(amount[i][0]),
                None if np.isnan(auc[i][0]) else float(auc[i][0]),
                _interval(auc[i], False),
                float(repeat[i][0]),
                _interval(repeat[i], True),
                *(
                    float(result.last(k)[i][0]) if repeats else None
                    for k in ("checked_2", "checked_3", "checked_4plus")
                ),
                None if np.isnan(result.last("gini")[i][0]) else float(result.last("gini")[i][0]),
            )
        )
    return Table(
        _SUMMARY_COLUMNS,
        tuple(rows),
        caption="Each policy over the run: shares of its checks pooled over the months and "
        "the seeds, the AUC and the amount means over the months then the seeds; intervals: "
        f"{result.interval_words}. Files checked several times on the score (means over the "
        "seeds; '–' when the cooldown forbids it within the run) and the Gini of all checks, "
        "score and survey, among the households checked at least once (0: each checked once), "
        "at the last month",
    )


def _composition_table(result: SimulationResult) -> Table:
    columns = [Column("attribute", "Attribute"), Column("group", "Group")]
    for name in result.policies:
        columns.append(Column(f"share_{name}", f"Share of {name}'s checks", "pct1"))
    columns.append(Column("truth", "Share of true overpayments", "pct1"))
    for name in result.policies:
        columns.append(Column(f"fruitless_{name}", f"Fruitless, {name}", "pct1"))
    rows = []
    for attribute, spec in GROUP_ATTRIBUTES.items():
        idx = [k for k, (a, _) in enumerate(result.levels) if a == attribute]
        shares = [_band(_shares(result, i, idx, 0))[0] for i in range(len(result.policies))]
        truth = _band(_shares(result, 0, idx, 2))[0]
        fruitless = [_nanmean_rows(_fruitless(result, i, idx)) for i in range(len(result.policies))]
        for j, k in enumerate(idx):
            rows.append(
                (
                    spec.label[0],
                    spec.level_label(result.levels[k][1]),
                    *(float(s[j]) for s in shares),
                    float(truth[j]),
                    *(None if np.isnan(f[j]) else float(f[j]) for f in fruitless),
                )
            )
    return Table(
        tuple(columns),
        tuple(rows),
        caption="Who bears the checks: each group's share of each policy's checks over the run, "
        "against its share of the true overpayments among the open files; fruitless: the share "
        "of the group's checks that found nothing (means over the seeds)",
    )


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    total = np.where(present, values, 0.0).sum(axis=0)
    count = present.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _monthly_table(result: SimulationResult) -> Table:
    columns = (
        Column("policy", "Policy"),
        Column("month", "Month"),
        Column("checks", "Checks", "num0"),
        Column("hit_rate", "Hit rate", "pct1"),
        Column("amount", "Found (EUR)", "num0"),
        Column("auc_truth", "AUC on the truth", "num3"),
        Column("repeat_share", "On already-checked files", "pct1"),
        Column("gini", "Gini", "num3"),
    )
    rows = []
    for i, name in enumerate(result.policies):
        for t, month in enumerate(result.months):
            cells: list[Any] = [name, month]
            for key in ("checks", "hit_rate", "amount", "auc_truth", "repeat_share", "gini"):
                values = result.metrics[key][i, :, t]
                value = float(np.mean(values))
                cells.append(None if np.isnan(value) else value)
            rows.append(tuple(cells))
    return Table(
        columns,
        tuple(rows),
        caption="Month by month, means over the seeds",
        collapsed=True,
    )


# ---------------------------------------------------------------------------------------------
# The document
def _assumptions(result: SimulationResult) -> Section:
    s = result.settings
    effect = s["history_effect"]
    return Section(
        "assumptions",
        "What the simulator assumes",
        (
            Paragraph(
                "A simulation: synthetic households of dmde's monthly panel, whose true risk is "
                "known, not the agency's files. Its figures show what each policy does in this "
                "world; they carry over to the real system only as far as its assumptions do.",
                "note",
            ),
            Items(
                (
                    "What a check finds: an overpayment of at least 600 EUR lasting at least 6 "
                    "months when the panel's truth says so (one latent draw per household "
                    "against the month's true probability)"
                    + (
                        ", if the 24-month look-back reaches months no earlier check covered: a "
                        "file checked g months before (g < 24) yields a finding with "
                        "probability g / 24 (what the earlier check found was recovered)."
                        if s.get("recovery", True)
                        else ", whatever the earlier checks found (no recovery: the "
                        "overpayment persists and a later check finds it again)."
                    )
                    + " Amount found: 600 EUR plus a lognormal(log 700, 0.8), as in the "
                    "panel's labels.",
                    "Behaviour: "
                    + (
                        "households do not respond to checks; their situations and true risk "
                        "move as the panel says, whatever the policies do (the neutral world)."
                        if effect == 0
                        else f"planted: a check in the last 24 months moves the household's "
                        f"true logit by {effect:+g} (checks change the truth)."
                    ),
                    f"Budget: {s['budget_share']} of the files a year checked on the score, "
                    "spread evenly over the months (floor(share x files open / 12) a month); "
                    f"a file checked (on the score or at random) in the last {s['cooldown']} "
                    "months is not selected again, under every policy (so over "
                    f"{len(result.months)} months a file is checked on the score at most "
                    f"{-(-len(result.months) // (s['cooldown'] + 1))} times).",
                    f"Survey: the panel's random controls ({s['controls']:,} a month, "
                    "stratified, weighted) are checked under every policy and enter its "
                    "control history; the first model of every model policy is trained on a "
                    "year's survey drawn uniformly from the first month.",
                    f"Training: a logistic regression on binned features (deciles of the "
                    "first month; one weight of evidence per bin), on the checks of the last "
                    f"12 months, retrained every {s['retrain_every']} months.",
                    "Control history: each policy's own checks (score and survey) of the last "
                    "24 months, starting from the panel's history in the first month.",
                    "AUC on the truth: the AUC the scores would have against outcomes drawn "
                    "from the true probabilities, over all open files (each file a case with "
                    "weight p, a non-case with weight 1 - p).",
                    f"Intervals: {result.interval_words}. One panel per seed; the policies "
                    "of a seed share its panel, survey and draws. A comparison names a "
                    "difference when its interval excludes 0, says 'no difference' when the "
                    f"whole interval lies within {_SHARE_MARGIN} (0.01 for an AUC), and "
                    "'cannot tell' otherwise. Differences of shares are in percentage points "
                    "(pp).",
                    "Concentration: the share of checks on households checked (on the score "
                    "or at random) in the last 24 months; files checked 2, 3, 4+ times on the "
                    "score since month 1 (under the cooldown at most "
                    f"{_times(_max_score_checks(result))} in {len(result.months)} months); the "
                    "Gini of all checks (score and survey) among the households checked at "
                    "least once since month 1: 0 when each was checked once, higher when checks "
                    "pile up on some.",
                )
            ),
        ),
    )


def _policies(result: SimulationResult) -> Section:
    pairs = [
        (name, BUILTIN_POLICIES.get(name, "a policy given through the Python API"))
        for name in result.policies
    ]
    return Section(
        "policies",
        "The policies",
        (
            Facts(tuple(pairs)),
            Paragraph(
                "with-history's control-history features ("
                + "; ".join(f"{k}: {v}" for k, v in HISTORY_FEATURES.items())
                + ") are excluded by dmde's feature policy from every model; the simulator fits "
                "them with its own logistic regression on bin codes, outside the production "
                "path, whose checks are unchanged.",
                "note",
            ),
        ),
    )


def simulation_document(
    result: SimulationResult, *, title: str = "The reinforcement loop, simulated"
) -> Document:
    """The report of a simulation, as a document (the verdict first)."""
    s = result.settings
    meta = (
        (
            "world",
            f"synthetic panel, {s['rows']:,} households, {len(result.months)} months "
            f"from {result.months[0]}, seeds {', '.join(map(str, result.seeds))}",
        ),
        ("budget", f"{s['budget_share']} of the files a year, {s['cooldown']}-month cooldown"),
        (
            "a later check",
            "finds only what no earlier check covered (recovery)"
            if s.get("recovery", True)
            else "finds the overpayment again (no recovery)",
        ),
        (
            "history effect",
            "none (neutral world)"
            if s["history_effect"] == 0
            else f"{s['history_effect']:+g} on the logit (planted)",
        ),
    )
    figures = Section(
        "over-time",
        "Over time",
        (
            Figure(
                "over-time",
                to_svg(plot_over_time(result)[0]),
                "The policies side by side, month by month: mean over the seeds (line) and 95% "
                "interval (band).",
                "Four line charts by month: hit rate, share of checks on already-checked files, "
                "AUC on the truth, files checked twice or more.",
            ),
            Figure(
                "composition",
                to_svg(plot_composition(result)),
                "Share of each policy's checks by household type over the run, beside the "
                "type's share of the true overpayments (mean over seeds, 95% interval).",
                "Grouped bar chart of shares of checks by household type and policy.",
            ),
        ),
    )
    return Document(
        kind="simulation",
        title=title,
        subtitle="a simulation on synthetic data",
        meta=meta,
        sections=(
            Section("verdict", "Verdict", (Items(tuple(verdict(result))),)),
            figures,
            Section("figures", "The policies compared", (_summary_table(result),)),
            Section("who", "Who bears the checks", (_composition_table(result),)),
            _policies(result),
            _assumptions(result),
            Section("months", "Month by month", (_monthly_table(result),)),
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
) -> list[Path]:
    """Write the report beside ``path`` in each format (same stem); return the paths written."""
    return write_document(simulation_document(result), path, formats=formats)


def simulate_to_files(
    out: str | os.PathLike[str],
    policies: Sequence[str | SimulationPolicy] = tuple(BUILTIN_POLICIES),
    *,
    formats: Iterable[str] = ("html", "md", "json"),
    **options: Any,
) -> tuple[SimulationResult, list[Path]]:
    """Run :func:`~dmde.audit.simulation.simulate` (``options`` are its keywords) and write the
    report beside ``out`` (``dmde simulate``): the output paths are checked first."""
    check_report_paths(out, {}, formats=tuple(formats))
    result = simulate(policies, **options)
    return result, write_simulation_report(result, out, formats=formats)
