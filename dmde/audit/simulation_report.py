"""The simulation report: a :class:`~dmde.audit.simulation.SimulationResult` as a document.

Built as data first (:class:`~dmde.core.rendering.Document`), rendered second by
:mod:`dmde.core.rendering` (HTML, Markdown, JSON). The verdict opens the page (how much each
policy concentrates checks on already-checked households, what it gains or loses in hit rate and
ranking, who bears its checks), with intervals over the seeds; the figures over time follow,
then the tables, the world's assumptions and the month-by-month figures.
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
from dmde.audit.simulation import METRICS, SimulationResult, _mean_interval, simulate
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
    interval over seeds (Student's t). Returns the axes."""
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
            mean, low, high = _band(per_seed)
            low, high = np.maximum(low, 0.0), np.minimum(high, 1.0) if percent else high
            (line,) = ax.plot(x, mean, linewidth=1.6, label=policy)
            ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_title(title, fontsize="small")
        ax.set_xlabel("month of the simulation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if percent:
            _percent(ax.yaxis, WORDS)
    _legend(axes[0], where="below")
    return list(axes)


def _band(per_seed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from scipy.stats import t as student

    n = per_seed.shape[0]
    mean = per_seed.mean(axis=0)
    if n < 2:
        return mean, mean, mean
    half = student.ppf(0.975, n - 1) * per_seed.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def plot_composition(
    result: SimulationResult, attribute: str = "household_type", *, ax: Axes | None = None
) -> Axes:
    """Each policy's share of checks by group of ``attribute`` over the run, beside the group's
    share of the true overpayments (mean over seeds, 95% interval)."""
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
        mean, low, high = _band(share)
        low, high = np.maximum(low, 0.0), np.minimum(high, 1.0)
        ax.bar(
            x + (j - (len(series) - 1) / 2) * width,
            mean,
            width,
            yerr=np.vstack([mean - low, high - mean]),
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
def _ci(values: np.ndarray, fmt: str = "pct") -> str:
    mean, low, high = (float(v) for v in values)
    if fmt == "pct":
        return f"{mean:.1%} [{low:.1%}, {high:.1%}]"
    if fmt == "int":
        return f"{mean:,.0f} [{low:,.0f}, {high:,.0f}]"
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def _difference(result: SimulationResult, metric: str, a: int, b: int) -> np.ndarray:
    """Mean over months of policy a minus policy b, per seed (paired: same panel), then the
    mean and 95% interval over seeds."""
    values = _series(result, metric)
    diff = _month_mean(values[a]) - _month_mean(values[b])
    return np.asarray(_mean_interval(diff[None, :])[0])


def _month_mean(per_seed: np.ndarray) -> np.ndarray:
    """Per seed, the mean over the months that have a value (NaN when none has)."""
    present = ~np.isnan(per_seed)
    total = np.where(present, per_seed, 0.0).sum(axis=1)
    count = present.sum(axis=1)
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan))


def verdict(result: SimulationResult) -> list[str]:
    """The main points, one sentence each with its figure and interval over the seeds."""
    names = list(result.policies)
    repeat = result.summary("repeat_share")
    hit = result.summary("hit_rate")
    auc = result.summary("auc_truth")
    twice = result.last("checked_2") + result.last("checked_3") + result.last("checked_4plus")
    n_seeds = len(result.seeds)
    points: list[str] = []
    ref = names.index(_REFERENCE) if _REFERENCE in names else None
    # the policies that learn from what they chose first, the baseline last
    first = ("with-history", "retrain-on-selected")
    order = sorted(
        range(len(names)),
        key=lambda i: (
            first.index(names[i])
            if names[i] in first
            else len(first) + (names[i] == "random-only"),
            i,
        ),
    )
    for i in order:
        name = names[i]
        if ref is None or i == ref:
            continue
        d = _difference(result, "repeat_share", i, ref)
        verb = (
            "concentrates checks more than"
            if d[1] > 0
            else (
                "concentrates checks less than"
                if d[2] < 0
                else "concentrates checks no differently (within the intervals) than"
            )
        )
        points.append(
            f"{name} {verb} dmde: {repeat[i][0]:.1%} of its checks fall on households already "
            f"checked in the last 24 months vs {repeat[ref][0]:.1%} under dmde (difference "
            f"{d[0]:+.1%} [{d[1]:+.1%}, {d[2]:+.1%}], {n_seeds} seeds); files checked twice or "
            f"more by the score by the last month: {twice[i][0]:,.0f} vs {twice[ref][0]:,.0f}."
        )
        dh = _difference(result, "hit_rate", i, ref)
        points.append(
            f"{name} finds an overpayment in {_ci(hit[i])} of its checks vs {_ci(hit[ref])} "
            f"under dmde (difference {dh[0]:+.1%} [{dh[1]:+.1%}, {dh[2]:+.1%}])"
            + (
                f"; its ranking against the truth: AUC {_ci(auc[i], 'num')} vs "
                f"{_ci(auc[ref], 'num')}."
                if not np.isnan(auc[i][0])
                else "."
            )
        )
    if "random-only" in names:
        r = names.index("random-only")
        base = result.summary("base_rate")
        points.append(
            f"random-only (no score) finds an overpayment in {_ci(hit[r])} of its checks, for "
            f"a true rate of {base[r][0]:.1%} among the open files."
        )
    drift = _largest_drift(result, ref)
    if drift:
        points.append(drift)
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


def _largest_drift(result: SimulationResult, ref: int | None) -> str:
    """The group whose share of checks moves most from dmde's under another policy."""
    if ref is None:
        return ""
    best: tuple[float, str] | None = None
    for attribute in GROUP_ATTRIBUTES:
        rows = [k for k, (a, _) in enumerate(result.levels) if a == attribute]
        base = _band(_shares(result, ref, rows, 0))[0]
        truth = _band(_shares(result, ref, rows, 2))[0]
        for i, name in enumerate(result.policies):
            if i == ref or name == "random-only":
                continue
            share = _band(_shares(result, i, rows, 0))[0]
            for j, k in enumerate(rows):
                gap = abs(share[j] - base[j])
                if best is None or gap > best[0]:
                    label = GROUP_ATTRIBUTES[attribute].level_label(result.levels[k][1])
                    text = (
                        f"The largest drift in who bears the checks: {label} "
                        f"({GROUP_ATTRIBUTES[attribute].label[0]}) make {share[j]:.1%} of "
                        f"{name}'s checks vs {base[j]:.1%} of dmde's, for {truth[j]:.1%} of "
                        "the true overpayments."
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
    Column("gini", "Gini of checks (last month)", "num3"),
)


def _interval(values: np.ndarray, pct: bool) -> str:
    if np.isnan(values[0]):
        return "–"
    if pct:
        return f"[{values[1]:.1%}, {values[2]:.1%}]"
    return f"[{values[1]:.3f}, {values[2]:.3f}]"


def _summary_table(result: SimulationResult) -> Table:
    hit = result.summary("hit_rate")
    auc = result.summary("auc_truth")
    repeat = result.summary("repeat_share")
    amount = result.summary("amount")
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
                float(result.last("checked_2")[i][0]),
                float(result.last("checked_3")[i][0]),
                float(result.last("checked_4plus")[i][0]),
                None if np.isnan(result.last("gini")[i][0]) else float(result.last("gini")[i][0]),
            )
        )
    return Table(
        _SUMMARY_COLUMNS,
        tuple(rows),
        caption="Each policy over the run: means over the months, then over the seeds (95% "
        "interval over the seeds, Student's t); counts of files checked several times and the "
        "Gini at the last month",
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
                    "Intervals: 95%, Student's t over the seeds (one panel per seed; the "
                    "policies of a seed share its panel, survey and draws).",
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
