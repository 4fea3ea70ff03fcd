"""The report's words and numbers: metric names and formats, the glossary, fixed texts, helpers.

:data:`METRIC_NAMES` and :data:`METRIC_FORMATS` say how each metric is named and written;
:data:`GLOSSARY` ends the report; :data:`KNOWN_TEMPLATES` are the texts that reach the report as
data (the method, the selection rule) and are translated by pattern. The helpers write numbers,
intervals and p-values in the reader's language and pick rows out of the result's tables; every
section of the report (:mod:`dmde.audit.report`) uses them.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit import plots
from dmde.audit.forked import in_child
from dmde.audit.result import AuditResult
from dmde.audit.targeting import GROUP_ATTRIBUTES
from dmde.audit.words import (
    FRENCH,
    attribute_label,
    group_label,
    tr,
)
from dmde.core.rendering import (
    Figure,
    Lang,
    Section,
    format_value,
)
from dmde.data.catalog import CATALOG

__all__ = ["GLOSSARY", "KNOWN_TEMPLATES", "MAX_FINDINGS", "METRIC_FORMATS", "METRIC_NAMES"]

#: How each metric is written in the report.
METRIC_FORMATS: dict[str, str] = {
    "population_share": "pct1",
    "share_among_selected": "pct1",
    "selection_rate": "pct2",
    "mean_score": "num1",
    "mean_probability": "pct2",
    "base_rate": "pct1",
    "precision": "pct1",
    "tpr": "pct1",
    "fpr": "pct2",
    "fnr": "pct1",
    "false_positive_burden": "num1",
    "calibration_gap": "pct2",
    "auc": "num3",
}
METRIC_NAMES: dict[str, str] = {
    "population_share": "Share of all files",
    "share_among_selected": "Share of selected files",
    "selection_rate": "Selection rate",
    "mean_score": "Mean score",
    "mean_probability": "Mean predicted risk",
    "base_rate": "Overpayment rate",
    "precision": "Precision (selected with overpayment)",
    "tpr": "True positive rate",
    "fpr": "False positive rate",
    "fnr": "False negative rate",
    "false_positive_burden": "Checks finding nothing per 1,000 files",
    "calibration_gap": "Calibration gap",
    "auc": "AUC within group",
}
#: The findings the first screen shows; the others are in the appendix table.
MAX_FINDINGS = 10

#: Words of the report explained for readers without statistics (the report's last section).
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Score", "Points given to a file by the published scorecard; higher means more risk."),
    (
        "Selection",
        "The files sent to a human agent for a check: the highest scores within the budget, "
        "and possibly a share drawn at random.",
    ),
    (
        "Random-control sample",
        "Files checked at random each year, whatever their score. It is the only unbiased "
        "measure of how often overpayments occur, and what the model learns from.",
    ),
    ("Overpayment (label)", "The check found an overpayment above the threshold (the target)."),
    ("Selection rate", "Share of a group's files that are selected for a check."),
    (
        "Precision",
        "Among a group's selected files, the share where the check finds an overpayment.",
    ),
    (
        "False positive rate",
        "Among a group's files without overpayment, the share selected anyway: a check that "
        "finds nothing.",
    ),
    (
        "False negative rate",
        "Among a group's files with an overpayment, the share not selected.",
    ),
    (
        "Checks finding nothing per 1,000 files",
        "The burden of fruitless checks a group bears, per 1,000 of its files.",
    ),
    (
        "AUC",
        "Probability that a file with an overpayment scores higher than one without: 0.5 is "
        "chance, 1 is perfect ranking.",
    ),
    (
        "Calibration",
        "Whether predicted risks match observed rates: a predicted 10% should come true about "
        "10% of the time.",
    ),
    (
        "Reference group",
        "The group each other group is compared with (by default the largest).",
    ),
    (
        "Ratio",
        "A group's value divided by the reference group's; 1 means no difference.",
    ),
    (
        "95% interval",
        "The range of values compatible with the data (bootstrap): a ratio whose interval "
        "excludes 1 is unlikely to be chance alone.",
    ),
    (
        "Adjusted p-value",
        "How surprising the difference would be if there were none, corrected because many "
        "comparisons are made at once.",
    ),
    (
        "Flag",
        "A ratio outside the band (by default 0.8 to 1.25) whose adjusted p-value is below "
        "the test level: a difference large enough to matter and unlikely to be chance. A "
        "flag calls for an explanation; it is not by itself proof of unfair treatment.",
    ),
    (
        "Suppressed",
        "A value computed from too few files (below the minimum cell size) is not shown.",
    ),
    (
        "Proxy",
        "A feature that carries information about a group attribute the model may not use.",
    ),
    ("Intersection", "Two attributes together, e.g. women × non-EU nationals."),
)

#: English texts that reach the report as data, made by dmde.audit (the method of
#: :mod:`dmde.audit.metrics`, the selection rule and label source of :mod:`dmde.audit.run`) from
#: these templates: :func:`_known` writes a value that fits one in the reader's language. Texts
#: that dmde holds as constants (metric definitions, corrections, label sources, the policy's
#: reasons, the archetypes) are keys of ``FRENCH`` as they are.
KNOWN_TEMPLATES: tuple[str, ...] = (
    "sample weights",
    "unit",
    "national weighted deciles; decile d holds (edge d-1, edge d], 10 = highest",
    "bootstrap percentile, {level}",
    "{n_boot} Poisson bootstrap resamples of cells (group × selected × label state): each "
    "cell's number of draws is Poisson(its rows), exact for count metrics with unit weights; "
    "the cell's sums of weight, weight·score and weight·probability given the draws use a "
    "normal approximation from the within-cell mean and covariance.",
    "Hanley-McNeil (1982) normal, {level}; disparities: normal difference of two independent "
    "AUCs, delta method on the log ratio",
    "two-sided Wald test of log ratio 0 with the bootstrap standard error of the log ratio (of "
    "the difference when under {share} of resampled ratios are positive); calibration_gap is "
    "compared by difference only, not tested; a disparity where either group's value is an "
    "empty count (0, or 1 for a rate) is not tested, since the bootstrap cannot measure its "
    "uncertainty",
    "ratio outside [{low}, {high}] and p < {alpha} (flag) or adjusted p < {alpha} (flagged)",
    "error metrics (base rate, precision, TPR, FPR, FNR, false-positive burden, calibration, "
    "AUC) are estimated on the random-control sample ({rows} files, survey-weighted); "
    "selection metrics on every file",
    "error metrics (base rate, precision, TPR, FPR, FNR, false-positive burden, calibration, "
    "AUC) are estimated on the random-control sample ({rows} files); selection metrics on "
    "every file",
    "column {column} (not 'none')",
    "column {column} of {file}",
    "column {column}",  # after the two above, which it would also match
    "the {budget} highest scores (ties as dmde select breaks them, seed 0)",
    "the {budget} highest scores (ties at the cut by a keyed hash of each row)",
    "the {budget} highest scores (ties at the cut by a keyed hash of {column})",
    # dmde.audit.engine_inputs.ENGINE_NOTE and spark_inputs.SPARK_NOTE: what dmde audit
    # --engine duckdb|spark computed how
    "{engine}: the files joined and the groups made in the engine; every group metric, "
    "interval, test and flag from cell sums (GROUP BY GROUPING SETS), the deciles from "
    "counts by national decile; the random-control sample and the files chosen for a "
    "check fetched exactly (error metrics, calibration, targeting, hit rates); proxies, "
    "feature association and the exclusion proof on the Python engine's seeded sample of "
    "{rows} rows; the score-gap decomposition (every row's points) not computed; the "
    "population's values not checked against the catalog",
)


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching what ``template`` gives, each field a named group."""
    parts: list[str] = []
    seen: set[str] = set()
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:  # a field given twice must repeat what it matched the first time
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


_KNOWN_PATTERNS = tuple((template, _pattern(template)) for template in KNOWN_TEMPLATES)
_ENGLISH_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?%?")


def _known(text: str, lang: Lang) -> str:
    """A text the report got as data (a method, a rule, a source), in ``lang`` if it is known.

    An unknown text (e.g. a label source named by the user) is written as it is.
    """
    if lang == "en":
        return text
    if text in FRENCH:
        return tr(text, lang)
    for template, pattern in _KNOWN_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            fields = {k: _french_number(v) for k, v in match.groupdict().items()}
            return tr(template, lang, **fields)
    return text


def _french_number(text: str) -> str:
    """A number written in English ("7,500", "0.8", "95%") in French conventions."""
    if not _ENGLISH_NUMBER.fullmatch(text):
        return text
    return text.replace(",", "\u202f").replace(".", ",").replace("%", "\u202f%")


def _metric_name(metric: str, lang: Lang) -> str:
    return tr(METRIC_NAMES[metric], lang) if metric in METRIC_NAMES else _known(metric, lang)


def _attribute_name(attribute: str, lang: Lang) -> str:
    """An attribute in running text: its name in English (as the data), its label in French."""
    return attribute if lang == "en" else attribute_label(attribute, lang)


def _group_name(attribute: str, group: str, lang: Lang) -> str:
    """A group in running text: its code in English (as the data), its label in French."""
    return group if lang == "en" else group_label(attribute, group, lang)


def _feature_label(column: str, label: str, lang: Lang) -> str:
    """A model feature's label: the catalog's French label in French."""
    return CATALOG[column].label_fr if lang == "fr" and column in CATALOG else label


def _num(value: Any, fmt: str, lang: Lang) -> str:
    return format_value(None if value is None else float(value), fmt, lang=lang)


def _int(value: Any, lang: Lang) -> str:
    """A count with its thousands separator ("1,234"; "1 234" in French)."""
    return format_value(int(value), "int", lang=lang)


def _g(value: float, lang: Lang) -> str:
    """A parameter as Python's ``g`` writes it (0.8, 1.25, 0.05), with the French comma."""
    return _decimal(f"{value:g}", lang)


def _decimal(text: str, lang: Lang) -> str:
    return text.replace(".", ",") if lang == "fr" else text


def _interval(value: Any, low: Any, high: Any, fmt: str, lang: Lang) -> str:
    if value is None or pd.isna(value):
        return tr("suppressed", lang)
    if low is None or pd.isna(low):
        return _num(value, fmt, lang)
    return f"{_num(value, fmt, lang)} [{_num(low, fmt, lang)} – {_num(high, fmt, lang)}]"


def _p(value: Any, lang: Lang) -> str:
    return "–" if value is None or pd.isna(value) else format_value(float(value), "p", lang=lang)


def _tuples(frame: pd.DataFrame) -> Iterator[Any]:
    return frame.itertuples(index=False)


#: Figures drawn while a report is built: their SVG is written at the end, in two processes.
_PENDING: ContextVar[list[Any] | None] = ContextVar("dmde_pending_figures", default=None)
_MARK = "\x00dmde-figure-{}\x00"  # stands for the SVG of a pending figure until it is written
#: From this many figures, half of them are written in a child process (see _write_figures).
FIGURES_IN_CHILD = 6


def _svg(axes: Any) -> str:
    """The SVG of a figure; while :func:`_deferred_figures` is open, a mark that stands for it."""
    ax = axes[0] if isinstance(axes, list) else axes
    pending = _PENDING.get()
    if pending is None:
        return plots.to_svg(ax)
    pending.append(ax)
    return _MARK.format(len(pending) - 1)


@contextmanager
def _deferred_figures() -> Iterator[list[Any]]:
    """Collect the figures drawn inside; :func:`_with_figures` then writes them all at once."""
    pending: list[Any] = []
    token = _PENDING.set(pending)
    try:
        yield pending
    finally:
        _PENDING.reset(token)


def _write_figures(pending: list[Any]) -> list[str]:
    """The SVG of each figure; from :data:`FIGURES_IN_CHILD` figures, every other one is
    written in a child process (:func:`dmde.audit.forked.in_child`) beside the others. Each
    figure's SVG depends on that figure only: the same bytes, in about half the time."""
    if len(pending) < FIGURES_IN_CHILD:
        return [plots.to_svg(ax) for ax in pending]
    theirs = pending[1::2]
    wait = in_child(lambda: [plots.to_svg(ax) for ax in theirs])
    out: list[str] = [""] * len(pending)
    out[0::2] = [plots.to_svg(ax) for ax in pending[0::2]]
    out[1::2] = wait()
    return out


def _with_figures(sections: Sequence[Section], pending: list[Any]) -> tuple[Section, ...]:
    """``sections`` with the SVG of every pending figure in place of its mark."""
    svgs = _write_figures(pending)
    marks = {_MARK.format(k): svg for k, svg in enumerate(svgs)}

    def filled(block: Any) -> Any:
        if isinstance(block, Figure) and block.svg in marks:
            return dataclasses.replace(block, svg=marks[block.svg])
        return block

    return tuple(
        dataclasses.replace(s, blocks=tuple(filled(b) for b in s.blocks)) for s in sections
    )


def _singles(result: AuditResult) -> list[str]:
    return [str(a) for a in result.data["attributes"]]


def _metric_wide(metrics: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """One attribute's metrics by (group, metric), groups in their natural (table) order."""
    rows = metrics[metrics["attribute"] == attribute]
    order = list(dict.fromkeys(rows["group"].astype(str)))
    rows = rows.assign(group=pd.Categorical(rows["group"].astype(str), categories=order))
    return rows.set_index(["group", "metric"]).sort_index()


def _disparity(disparities: pd.DataFrame, attribute: str, metric: str) -> pd.DataFrame:
    rows = disparities[(disparities["attribute"] == attribute) & (disparities["metric"] == metric)]
    return rows.set_index("group")


def _cell(wide: pd.DataFrame, group: str, metric: str, lang: Lang) -> str:
    if (group, metric) not in wide.index:
        return "–"
    row: Any = wide.loc[(group, metric)]
    if bool(row["suppressed"]):
        return tr("suppressed (n={n})", lang, n=int(row["n"]))
    return _interval(row["value"], row["ci_low"], row["ci_high"], METRIC_FORMATS[metric], lang)


def _groups_of(wide: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(str(g) for g in wide.index.get_level_values("group")))


def _plot_options(attribute: str, lang: Lang) -> dict[str, Any]:
    """What every figure of one attribute is given: group labels, words, a title."""
    declared = GROUP_ATTRIBUTES.get(attribute)
    labels = (
        {} if declared is None else {c: declared.level_label(c, lang) for c, *_ in declared.levels}
    )
    return {
        "labels": labels,
        "words": plots.WORDS_FR if lang == "fr" else None,
        "title": _capital(attribute_label(attribute, lang)),
    }


def _json_number(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if frame is None:
        return None
    out = frame.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype) or out[name].dtype == object:
            out[name] = out[name].astype(str)
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in out.to_dict(orient="records")
    ]
    return records


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
