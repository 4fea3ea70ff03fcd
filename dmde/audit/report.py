"""The ethics committee's report: an :class:`~dmde.audit.run.AuditResult` as a document.

:func:`build_report` turns the result into a :class:`dmde.core.rendering.Document` (data first,
rendering second); :func:`write_report` writes it as one self-contained HTML file (figures
embedded, no script, no external resource, every value escaped) with the same content as
Markdown and JSON beside it. The JSON also holds every result table in full
(``data.tables``), the flags (``data.flags``) and the model's hash (``data.model_sha256``), so a
reader can check any number of the report.

The text is written for readers without statistics: each section says what it shows and how
to read it; a glossary ends the report. Same result, same bytes.
"""

from __future__ import annotations

import functools
import os
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit import plots
from dmde.audit.findings import AMPLIFICATION, DECIDING, RISK, SELECTION
from dmde.audit.metrics import METRIC_DEFINITIONS, SEPARATOR
from dmde.audit.run import ALL_FILES, AuditResult
from dmde.audit.targeting import ATTRIBUTE_SOURCES, GROUP_ATTRIBUTES
from dmde.audit.words import (
    FRENCH,
    VERDICT_LABELS,
    attribute_label,
    group_label,
    ratio_phrase,
    ratio_words,
    tr,
    words,
)
from dmde.core.rendering import (
    Block,
    Column,
    Document,
    Facts,
    Figure,
    Items,
    Kind,
    Lang,
    Paragraph,
    Section,
    Table,
    format_value,
    write_document,
)
from dmde.data.catalog import CATALOG

__all__ = ["GLOSSARY", "build_report", "write_report"]

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


def _svg(axes: Any) -> str:
    return plots.to_svg(axes[0] if isinstance(axes, list) else axes)


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


# --------------------------------------------------------------------------------------------
# Findings: what the committee reads first


def _outcome(lang: Lang, outcome: str | None) -> str:
    return outcome or words(lang)["outcome"]


def _rate_of(lang: Lang, outcome: str) -> str:
    w = words(lang)
    if lang == "fr" and outcome[:1].lower() not in "aeiouyhéè":
        return f"taux de {outcome}"
    return w["rate_of"].format(outcome=outcome)


def _phrase(
    row: Any, names: tuple[str, str, str], lang: Lang, *, more: str, less: str
) -> tuple[str, str]:
    """One of a finding's ratios (named by ``names``) in words, and its interval."""
    ratio, low, high = (float(row[name]) for name in names)
    return ratio_phrase(ratio, low, high, lang, more=more, less=less)


def _sentence_of(row: Any, lang: Lang, outcome: str) -> str:
    """One group's finding in words, with its figures and intervals."""
    w = words(lang)
    attribute, verdict = str(row["attribute"]), str(row["verdict"])
    group = group_label(attribute, str(row["group"]), lang)
    reference = group_label(attribute, str(row["reference"]), lang)
    often = {"more": w["more_often"], "less": w["less_often"]}
    if verdict in ("beyond_risk", "in_proportion", "selection_gap"):
        ratio, ci = _phrase(row, SELECTION, lang, **often)
        parts = [w["selected_as"].format(group=group, ratio=ratio, reference=reference, ci=ci)]
        if pd.notna(row.get("risk_ratio")):
            risk, risk_ci = _phrase(row, RISK, lang, more=w["higher"], less=w["lower"])
            parts.append(w["risk_is"].format(rate=_rate_of(lang, outcome), ratio=risk, ci=risk_ci))
        if pd.notna(row.get("amplification")):
            amp, amp_ci = _phrase(row, AMPLIFICATION, lang, more=w["more"], less=w["less"])
            key = {"beyond_risk": "beyond", "in_proportion": "in_proportion"}.get(
                verdict, "unsettled"
            )
            plain = ratio_words(float(row["amplification"]), lang, more="×{r}", less="÷{r}")
            parts.append(w[key].format(ratio=amp if key == "beyond" else plain, ci=amp_ci))
        elif verdict == "selection_gap":
            parts.append(w["no_risk"])
        text = "; ".join(parts) if lang == "en" else " ; ".join(parts)
    elif verdict == "composition_shift":
        ratio, ci = _phrase(row, DECIDING, lang, **often)
        text = w["composition"].format(
            group=group,
            score_share=format_value(float(row["value"]), "pct1", lang=lang),
            random_share=format_value(float(row["reference_value"]), "pct1", lang=lang),
            ratio=ratio,
            ci=ci,
        )
    elif verdict == "interaction":
        _, ci = _phrase(row, DECIDING, lang, more=w["ratio_of"], less=w["ratio_of"])
        text = w["interaction"].format(
            group=group,
            observed=format_value(float(row["value"]), "pct2", lang=lang),
            expected=format_value(float(row["reference_value"]), "pct2", lang=lang),
            ratio=ratio_words(float(row["ratio"]), lang, more="×{r}", less="÷{r}"),
            ci=ci,
        )
    else:  # unequal_errors: the deciding comparison; precision beside it (both sides)
        text = _error_words(row, group, reference, lang, outcome)
    related = _both_sides(row.get("related") or [], verdict)
    if related:
        items = [_error_words(r, group, reference, lang, outcome) for r in related]
        text += ". " + w["both_sides"].format(items="; ".join(items)).rstrip(".")
    text = text.replace("  ", " ").replace(" ;", ";" if lang == "en" else " ;").strip()
    return _capital(text) + "."


def _both_sides(related: list[dict[str, Any]], verdict: str) -> list[dict[str, Any]]:
    """The error comparisons said in words beside a finding: one flagged, and precision.

    Only when an error measure differs (flagged), or for an ``unequal_errors`` finding: then
    precision (how often a check finds something) is said beside the false-positive side,
    flagged or not, so that both sides of the trade-off are read together. Fruitless checks
    per 1,000 files repeat the false-positive rate and are said only without it.
    """
    flagged = [r for r in related if r["flagged"]]
    if not flagged and verdict != "unequal_errors":
        return []
    chosen = []  # an unequal_errors finding already says its deciding error measure
    if verdict != "unequal_errors":
        chosen = [r for r in flagged if r["metric"] != "false_positive_burden"][:1] or flagged[:1]
    precision = [r for r in related if r["metric"] == "precision" and r not in chosen]
    return chosen + precision


def _error_words(row: Any, group: str, reference: str, lang: Lang, outcome: str) -> str:
    w = words(lang)
    metric = str(row["metric"])
    many = metric == "false_positive_burden"
    ratio, ci = _phrase(
        row,
        DECIDING,
        lang,
        more=w["as_many"] if many else w["more_often"],
        less=w["fewer"] if many else w["less_often"],
    )
    return w[f"error.{metric}"].format(
        group=group, reference=reference, ratio=ratio, ci=ci, outcome=outcome
    )


def _amplification_figure(rows: pd.DataFrame, lang: Lang) -> Figure | None:
    chosen = rows[rows["selection_ratio"].notna()]
    if chosen.empty:
        return None
    table = pd.DataFrame(
        {
            "label": [
                f"{group_label(str(a), str(g), lang)} / {group_label(str(a), str(r), lang)}"
                for a, g, r in zip(
                    chosen["attribute"], chosen["group"], chosen["reference"], strict=True
                )
            ],
            **{k: chosen[k].astype(float).to_numpy() for k in (*SELECTION, *RISK)},
        }
    )
    w = words(lang)
    axes = plots.plot_amplification(table, words=plots.WORDS_FR if lang == "fr" else None)
    return Figure("amplification", plots.to_svg(axes), w["figure_caption"], w["figure_alt"])


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _findings_section(result: AuditResult, lang: Lang, outcome: str | None) -> Section:
    w = words(lang)
    out = _outcome(lang, outcome)
    found = result.findings
    d = result.data
    method = result.groups.method
    n = int(found["finding"].nunique()) if len(found) else 0
    count = {0: w["count_none"], 1: w["count_one"]}.get(n, w["count_many"].format(n=n))
    labels = (
        w["with_labels"].format(source=_known(str(d["labels"]), lang))
        if d.get("labels") is not None
        else ""
    )
    number = functools.partial(format_value, fmt="int", lang=lang)
    if d.get("all_checked"):
        lead = w["lead_checked"].format(
            selected=number(d["selected_by_score"]),
            random=number(d["selected_at_random"]),
            labels=labels,
            count=count,
        )
    else:
        lead = w["lead"].format(
            selected=number(d["selected_by_score"]),
            rows=number(d["rows"]),
            population=w["population"],
            labels=labels,
            count=count,
        )
    blocks: list[Block] = [Paragraph(f"{lead} {w['ranked']}" if n else lead)]
    metrics = result.groups.metrics
    shares = metrics[metrics["metric"] == "population_share"]
    sizes = shares.groupby("attribute", sort=False)["group"].nunique()
    alone = [str(a) for a in _singles(result) if sizes.get(a, 0) < 2]
    if alone:
        names = ", ".join(_capital(attribute_label(a, lang)) for a in alone)
        blocks.append(Paragraph(w["single_group"].format(attributes=names), "warning"))
    if n == 0 and int(method["n_tested"]) == 0:
        blocks.append(Paragraph(w["untested"].format(min_cell=method["min_cell"]), "warning"))
    elif n == 0:
        blocks.append(
            Paragraph(
                w["none"].format(
                    tested=number(int(method["n_tested"])),
                    low=format_value(method["band"][0], "num2", lang=lang),
                    high=format_value(method["band"][1], "num2", lang=lang),
                ),
                "ok",
            )
        )
    shown = found[found["finding"] <= MAX_FINDINGS]
    for k, part in shown.groupby("finding", sort=True):
        first = part.iloc[0]
        verdict = str(first["verdict"])
        head = w["finding_head"].format(
            attribute=_capital(attribute_label(str(first["attribute"]), lang)),
            verdict=VERDICT_LABELS[lang][verdict],
        )
        sentences = " ".join(_sentence_of(row, lang, out) for _, row in part.iterrows())
        kind: Kind = "ok" if verdict == "in_proportion" else "warning"
        blocks.append(Paragraph(f"{k}. {head} {sentences}", kind))
    if n > MAX_FINDINGS:
        blocks.append(Paragraph(w["more_findings"].format(n=n - MAX_FINDINGS)))
    if d.get("tied_at_cut"):
        blocks.append(
            Paragraph(
                w["ties"].format(
                    tied=number(d["tied_at_cut"]), rule=_known(str(d["selection_rule"]), lang)
                )
            )
        )
    blocks.append(
        Paragraph(
            w["how_to_read"].format(
                low=format_value(method["band"][0], "num2", lang=lang),
                high=format_value(method["band"][1], "num2", lang=lang),
                alpha=format_value(method["alpha"], "num2", lang=lang),
            ),
            "note",
        )
    )
    figure = _amplification_figure(
        found[found["verdict"].isin(["beyond_risk", "in_proportion", "selection_gap"])], lang
    )
    if figure is not None:
        blocks.append(figure)
    if len(found):
        blocks.append(
            Table(
                (
                    Column("finding", "#", "int"),
                    Column("verdict", tr("Verdict", lang)),
                    Column("group", tr("Group", lang)),
                    Column("sentence", tr("In words", lang)),
                ),
                tuple(
                    (
                        int(row["finding"]),
                        VERDICT_LABELS[lang][str(row["verdict"])],
                        group_label(str(row["attribute"]), str(row["group"]), lang),
                        _sentence_of(row, lang, out),
                    )
                    for _, row in found.iterrows()
                ),
                caption=w["all_findings"],
                collapsed=True,
            )
        )
    return Section("findings", w["findings"], tuple(blocks))


# --------------------------------------------------------------------------------------------
# Sections


def _summary(result: AuditResult, lang: Lang) -> Section:
    g = result.groups
    tested = int(g.disparities["tested"].sum())
    flags = result.flags
    singles = set(_singles(result))
    blocks: list[Block] = []
    method = g.method
    pairwise = tr(" and their pairwise intersections", lang) if method.get("intersections") else ""
    blocks.append(
        Paragraph(
            tr(
                "This report audits the selection of {selected} files by the score among {rows} "
                "files, for {attributes} group attributes{pairwise}. {tested} differences between "
                "groups were tested; {flagged} are flagged (ratio outside {low}–{high} and "
                "adjusted p-value below {alpha}, {correction}).",
                lang,
                selected=_int(result.data["selected_by_score"], lang),
                rows=_int(result.data["rows"], lang),
                attributes=len(singles),
                pairwise=pairwise,
                tested=_int(tested, lang),
                flagged=_int(len(flags), lang),
                low=_g(method["band"][0], lang),
                high=_g(method["band"][1], lang),
                alpha=_g(method["alpha"], lang),
                correction=_known(str(method["correction_name"]), lang),
            )
        )
    )
    # The findings above read these flags; listing the first ones here again (or an all-clear
    # on a subset of metrics) would contradict them. The full list is the JSON's data.flags.
    counts = flags.groupby("metric", sort=False).size()
    if len(counts):
        listed = ", ".join(
            tr("{metric}: {count}", lang, metric=_metric_name(str(m), lang).lower(), count=int(n))
            for m, n in counts.items()
        )
        blocks.append(
            Paragraph(
                tr(
                    "Flags by metric (all attributes and intersections): {listed}.",
                    lang,
                    listed=listed,
                )
            )
        )
    if result.exclusion is not None:
        ex = result.exclusion
        kind: Kind = "ok" if ex["identical"] else "warning"
        shuffled = {"columns": len(ex["columns_permuted"]), "rows": _int(ex["rows"], lang)}
        blocks.append(
            Paragraph(
                tr(
                    "Exclusion proof: after shuffling every column the model may not read "
                    "({columns} columns, {rows} files), every score was recomputed identical.",
                    lang,
                    **shuffled,
                )
                if ex["identical"]
                else tr(
                    "Exclusion proof: after shuffling every column the model may not read "
                    "({columns} columns, {rows} files), every score was recomputed DIFFERENT: "
                    "the model reads them.",
                    lang,
                    **shuffled,
                ),
                kind,
            )
        )
    hidden = _hidden_attributes(result)
    if result.proxies is not None and result.proxies["attribute"].isin(hidden).any():
        proxies = result.proxies[result.proxies["attribute"].isin(hidden)]
        top = proxies.sort_values("auc", ascending=False, kind="stable").iloc[0]
        attribute = str(top["attribute"])
        blocks.append(
            Paragraph(
                tr(
                    "Strongest proxy among the attributes the model may not read: its features "
                    "predict '{group}' ({attribute}) with a cross-validated AUC of {auc} (0.5 = "
                    "no information). See 'Proxies'.",
                    lang,
                    group=_group_name(attribute, str(top["group"]), lang),
                    attribute=_attribute_name(attribute, lang),
                    auc=format_value(float(top["auc"]), "num3", lang=lang),
                )
            )
        )
    blocks.append(
        Paragraph(
            tr(
                "A flag is a difference large enough to matter and unlikely to be chance. It is "
                "not by itself proof of unfair treatment: read it beside the groups' overpayment "
                "rates and the precision of their checks, and the proxies section, which says "
                "which of the model's features produce the difference.",
                lang,
            ),
            "note",
        )
    )
    return Section(
        "summary", tr("At a glance: every test, the exclusion proof, proxies", lang), tuple(blocks)
    )


def _hidden_attributes(result: AuditResult) -> list[str]:
    """Attributes made from a column the model does not read (the others are features)."""
    read = {f["column"] for f in (result.model or {}).get("features", [])}
    return [a for a in _singles(result) if ATTRIBUTE_SOURCES.get(a, a) not in read]


def _model_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    model = result.model
    if model is None:
        return _unavailable(
            "model",
            tr("Model identity", lang),
            tr(
                "The model was not given (another system's table): the report cannot check which "
                "fields it used.",
                lang,
            ),
        )
    facts = Facts(
        (
            (
                tr("Model file hash (sha256)", lang),
                str(model["sha256"] or tr("not from a file", lang)),
            ),
            (
                tr("Kind", lang),
                tr("one scorecard per segment", lang)
                if model["kind"] == "family"
                else tr("scorecard", lang),
            ),
            (tr("Routing column", lang), str(model["routing"] or tr("none", lang))),
            (tr("Feature policy", lang), str(model["policy"])),
            (tr("Features", lang), str(len(model["features"]))),
        )
    )
    excluded = Table(
        (
            Column("family", tr("Excluded family", lang)),
            Column("columns", tr("Columns", lang)),
            Column("reason", tr("Why", lang)),
        ),
        tuple(
            (e["family"], ", ".join(e["columns"]), _known(e["reason"], lang))
            for e in model["excluded"]
        ),
        caption=tr("Fields the model may not read (enforced by the feature policy)", lang),
    )
    features = Table(
        (Column("column", tr("Column", lang)), Column("label", tr("Meaning", lang))),
        tuple(
            (f["column"], _feature_label(f["column"], f["label"], lang)) for f in model["features"]
        ),
        caption=tr("Features the model reads", lang),
    )
    points = Table.from_frame(
        model["points"],
        (
            Column("segment", tr("Segment", lang)),
            Column("feature", tr("Feature", lang)),
            Column("bin_label", tr("Bin", lang)),
            Column("points", tr("Points", lang), "num2"),
        ),
        caption=tr("Points table (the score is the sum of the points of a file's bins)", lang),
        collapsed=True,
    )
    return Section(
        "model",
        tr("Model identity", lang),
        (
            Paragraph(
                tr(
                    "The audited model is identified by the hash of its file: the same hash "
                    "appears in the scoring manifest, so the committee can check that the model "
                    "audited is the one that scored.",
                    lang,
                )
            ),
            facts,
            excluded,
            features,
            points,
        ),
    )


def _data_section(result: AuditResult, lang: Lang) -> Section:
    d = result.data
    pairs = [
        (tr("Files", lang), _int(d["rows"], lang)),
        (
            tr("Group attributes", lang),
            ", ".join(_attribute_name(str(a), lang) for a in d["attributes"]),
        ),
        (
            tr("Labels", lang),
            _known(str(d["labels"]), lang)
            if d["labels"]
            else tr("none (only selection metrics)", lang),
        ),
    ]
    if d["labelled_rows"] is not None:
        pairs.append((tr("Labelled files", lang), _int(d["labelled_rows"], lang)))
    if d["sample_rows"] is not None:
        pairs.append(
            (
                tr("Random-control sample", lang),
                tr("{n} files", lang, n=_int(d["sample_rows"], lang)),
            )
        )
    pairs.append(
        (
            tr("Weights", lang),
            tr("survey weights", lang) if d["weighted"] else tr("none (each file counts 1)", lang),
        )
    )
    if "labels" in result.groups.method:
        pairs.append(
            (
                tr("Where error metrics come from", lang),
                _known(str(result.groups.method["labels"]), lang),
            )
        )
    return Section("data", tr("Data", lang), (Facts(tuple(pairs)),))


@dataclass(frozen=True)
class Unavailable:
    """A section that cannot be computed from these inputs: left out, its reason in the limits."""

    id: str
    title: str
    why: str


def _unavailable(section_id: str, title: str, why: str) -> Unavailable:
    return Unavailable(section_id, title, why)


def _selection_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    d = result.data
    if d.get("all_checked"):
        return _unavailable(
            "selection",
            tr("Selection", lang),
            tr(
                "Every row of the table was checked: there is no population to select from, so "
                "no selection rate; the findings compare the score's checks with random checks.",
                lang,
            ),
        )
    pairs = (
        (tr("Selection", lang), _known(str(d["selection_rule"]), lang)),
        (tr("Selected", lang), _int(d["selected"], lang)),
        (tr("Selected by the score", lang), _int(d["selected_by_score"], lang)),
        (tr("Selected at random", lang), _int(d["selected_at_random"], lang)),
        (tr("Lowest score selected", lang), _num(d["score_cut"], "num2", lang)),
        (
            tr("Score range", lang),
            tr(
                "{low} to {high}",
                lang,
                low=_num(d["score_min"], "num2", lang),
                high=_num(d["score_max"], "num2", lang),
            ),
        ),
    )
    overall = result.overall.set_index(["group", "metric"]).sort_index()
    shares = ("population_share", "share_among_selected", "calibration_gap")
    national = Table(
        (Column("metric", tr("Metric", lang)), Column("value", tr("All files [95%]", lang))),
        tuple(
            (_metric_name(m, lang), _cell(overall, ALL_FILES, m, lang))
            for m in METRIC_NAMES
            if (ALL_FILES, m) in overall.index and m not in shares
        ),
        caption=tr("National figures: every group below is read against these", lang),
    )
    return Section(
        "selection",
        tr("Selection", lang),
        (
            Paragraph(
                tr(
                    "Only the files selected by the score are 'selected' in the group metrics; "
                    "files drawn at random are the score's point of comparison.",
                    lang,
                )
            ),
            Facts(pairs),
            national,
        ),
    )


def _group_table(result: AuditResult, attribute: str, lang: Lang) -> Table:
    g = result.groups
    wide = _metric_wide(g.metrics, attribute)
    ratios = _disparity(g.disparities, attribute, "selection_rate")
    reference = str(g.method["reference"].get(attribute, ""))
    rows = []
    for group in _groups_of(wide):
        share: Any = wide.loc[(group, "population_share")]
        n = int(share["n"])
        if group == reference:
            ratio, p, flag = tr("reference", lang), "–", ""
        elif group in ratios.index:
            r = ratios.loc[group]
            ratio = _interval(r["ratio"], r["ratio_ci_low"], r["ratio_ci_high"], "num2", lang)
            p, flag = _p(r["p_adjusted"], lang), tr("FLAG", lang) if bool(r["flagged"]) else ""
        else:
            ratio, p, flag = "–", "–", ""
        rows.append(
            (
                group_label(attribute, group, lang),
                n,
                _cell(wide, group, "population_share", lang),
                _cell(wide, group, "share_among_selected", lang),
                _cell(wide, group, "selection_rate", lang),
                ratio,
                p,
                flag,
                _cell(wide, group, "mean_score", lang),
            )
        )
    return Table(
        (
            Column("group", tr("Group", lang)),
            Column("n", tr("Files", lang), "int"),
            Column("population_share", tr("Share of files [95%]", lang)),
            Column("share_among_selected", tr("Share of selected [95%]", lang)),
            Column("selection_rate", tr("Selection rate [95%]", lang)),
            Column(
                "ratio",
                tr(
                    "Ratio to {reference} [95%]",
                    lang,
                    reference=group_label(attribute, reference, lang),
                ),
            ),
            Column("p_adjusted", tr("Adjusted p", lang)),
            Column("flag", tr("Flag", lang)),
            Column("mean_score", tr("Mean score [95%]", lang)),
        ),
        tuple(rows),
        caption=tr(
            "{attribute}: selection by the score",
            lang,
            attribute=_capital(attribute_label(attribute, lang)),
        ),
    )


def _error_table(result: AuditResult, attribute: str, lang: Lang) -> Table | None:
    g = result.groups
    wide = _metric_wide(g.metrics, attribute)
    metrics = ("base_rate", "precision", "fpr", "fnr", "false_positive_burden", "auc")
    if not any((grp, "precision") in wide.index for grp in _groups_of(wide)):
        return None
    burden = _disparity(g.disparities, attribute, "false_positive_burden")
    rows = []
    for group in _groups_of(wide):
        flagged = group in burden.index and bool(burden.loc[group]["flagged"])
        cells = (_cell(wide, group, m, lang) for m in metrics)
        rows.append(
            (group_label(attribute, group, lang), *cells, tr("FLAG", lang) if flagged else "")
        )
    return Table(
        (
            Column("group", tr("Group", lang)),
            *(Column(m, tr("{metric} [95%]", lang, metric=_metric_name(m, lang))) for m in metrics),
            Column("burden_flag", tr("Burden flag", lang)),
        ),
        tuple(rows),
        caption=tr(
            "{attribute}: what the checks find",
            lang,
            attribute=_capital(attribute_label(attribute, lang)),
        ),
        note=tr(
            "Estimated on the labelled files; see 'Data' for where the labels come from.", lang
        ),
    )


def _groups_section(result: AuditResult, lang: Lang) -> tuple[Section, list[Section]]:
    intro = Section(
        "groups",
        tr("Groups", lang),
        (
            Paragraph(
                tr(
                    "For each attribute, each group's share of all files and of the selected "
                    "files, its selection rate and its ratio to the reference group, with 95% "
                    "intervals. A ratio of 2 means the group's files are selected twice as often.",
                    lang,
                )
            ),
        ),
    )
    checked = bool(result.data.get("all_checked"))
    if checked:
        intro = Section(
            "groups",
            tr("Groups", lang),
            (
                Paragraph(
                    tr(
                        "Every row of this table was checked, so there are no selection rates: "
                        "each group's share of checks by method is in 'Selection against random "
                        "checks'; below, what the checks found, by group.",
                        lang,
                    ),
                    "note",
                ),
            ),
        )
    deciles = result.groups.deciles
    subsections = []
    for k, attribute in enumerate(_singles(result)):
        blocks: list[Block] = [] if checked else [_group_table(result, attribute, lang)]
        errors = _error_table(result, attribute, lang)
        options = _plot_options(attribute, lang)
        name = _attribute_name(attribute, lang)
        if errors is not None:
            blocks.append(errors)
        if not checked:
            blocks.append(
                Figure(
                    f"selection-rate-{k + 1}",
                    _svg(
                        plots.plot_group_metric(
                            result.groups.metrics, attribute=attribute, **options
                        )
                    ),
                    tr("Selection rate by {attribute}, with 95% intervals.", lang, attribute=name),
                    tr(
                        "Chart of the selection rate of each {attribute} group.",
                        lang,
                        attribute=name,
                    ),
                )
            )
        if result.data.get("scored", True) and (deciles["attribute"] == attribute).any():
            blocks.append(
                Figure(
                    f"score-deciles-{k + 1}",
                    _svg(plots.plot_score_deciles(deciles, attribute=attribute, **options)),
                    tr(
                        "Share of each {attribute} group's files in each national score decile "
                        "(the dashed line, 10%, is what no difference would look like).",
                        lang,
                        attribute=name,
                    ),
                    tr(
                        "Chart of the score distribution of each {attribute} group by decile.",
                        lang,
                        attribute=name,
                    ),
                )
            )
        if not blocks:
            continue
        title = _capital(attribute_label(attribute, lang))
        subsections.append(Section(f"group-{k + 1}", title, tuple(blocks), level=3))
    return intro, subsections


def _intersections_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    g = result.groups
    inter = g.disparities[g.disparities["attribute"].str.contains(SEPARATOR, regex=False)]
    if result.data.get("all_checked"):
        return _unavailable(
            "intersections",
            tr("Intersections", lang),
            tr(
                "Every row of the table was checked: intersections of selection rates do not "
                "apply.",
                lang,
            ),
        )
    if inter.empty:
        return _unavailable(
            "intersections",
            tr("Intersections", lang),
            tr("Intersections were not audited.", lang),
        )
    rate = inter[inter["metric"] == "selection_rate"]
    suppressed = int(rate["suppressed"].sum())
    shown = rate[~rate["suppressed"].astype(bool)]
    top = shown.assign(dev=np.abs(np.log(shown["ratio"].astype(float).clip(lower=1e-12))))
    top = top.sort_values(["flagged", "dev"], ascending=[False, False], kind="stable")
    table = Table(
        (
            Column("attribute", tr("Attributes", lang)),
            Column("group", tr("Group", lang)),
            Column("reference", tr("Reference", lang)),
            Column("rate", tr("Selection rate", lang)),
            Column("ratio", tr("Ratio [95%]", lang)),
            Column("p", tr("Adjusted p", lang)),
            Column("flag", tr("Flag", lang)),
        ),
        tuple(
            (
                attribute_label(str(r.attribute), lang),
                group_label(str(r.attribute), str(r.group), lang),
                group_label(str(r.attribute), str(r.reference), lang),
                _num(r.value, "pct2", lang),
                _interval(r.ratio, r.ratio_ci_low, r.ratio_ci_high, "num2", lang),
                _p(r.p_adjusted, lang),
                tr("FLAG", lang) if r.flagged else "",
            )
            for r in _tuples(top)
        ),
        caption=tr(
            "Selection rate of every intersection against its reference, flagged first, then by "
            "size of the difference",
            lang,
        ),
        collapsed=len(top) > 30,
    )
    return Section(
        "intersections",
        tr("Intersections", lang),
        (
            Paragraph(
                tr(
                    "{groups} intersection groups; {suppressed} have fewer than {min_cell} files "
                    "and are suppressed (not shown, never tested). {flagged} selection-rate "
                    "differences are flagged.",
                    lang,
                    groups=_int(len(rate), lang),
                    suppressed=_int(suppressed, lang),
                    min_cell=g.method["min_cell"],
                    flagged=_int(int(shown["flagged"].sum()), lang),
                )
            ),
            table,
        ),
    )


def _economic_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    attribute = "income_band"
    if attribute not in _singles(result):
        return _unavailable(
            "economic",
            tr("Economic situation", lang),
            tr("The population has no income column: this section is empty.", lang),
        )
    g = result.groups
    wide = _metric_wide(g.metrics, attribute)
    candidates = ("selection_rate", "precision", "mean_score", "base_rate")
    metrics = tuple(m for m in candidates if any((x, m) in wide.index for x in _groups_of(wide)))
    rows = tuple(
        (group_label(attribute, grp, lang), *(_cell(wide, grp, m, lang) for m in metrics))
        for grp in _groups_of(wide)
    )
    blocks: list[Block] = [
        Paragraph(
            tr(
                "The agency states that the model 'targets low incomes, less so zero incomes'. "
                "Income is the household's resources relative to the Smic (net minimum wage); "
                "zero income is its own band.",
                lang,
            )
        ),
        Table(
            (
                Column("group", tr("Income band", lang)),
                *(
                    Column(m, tr("{metric} [95%]", lang, metric=_metric_name(m, lang)))
                    for m in metrics
                ),
            ),
            rows,
            caption=tr("Selection, precision and mean score by income band", lang),
        ),
    ]
    metric_rows = g.metrics[g.metrics["attribute"] == attribute]
    rate = metric_rows[metric_rows["metric"] == "selection_rate"]
    values = dict(zip(rate["group"].astype(str), rate["value"].astype(float), strict=True))
    if "zero" in values and len(values) > 1:
        top = max((v, k) for k, v in values.items() if k != "zero")
        blocks.append(
            Paragraph(
                tr(
                    "Zero-income files are selected at {zero}; the most selected band, '{band}', "
                    "at {rate}.",
                    lang,
                    zero=_num(values["zero"], "pct2", lang),
                    band=_group_name(attribute, top[1], lang),
                    rate=_num(top[0], "pct2", lang),
                )
            )
        )
    precision = metric_rows[metric_rows["metric"] == "precision"]
    if len(precision) and precision["suppressed"].all():
        blocks.append(
            Paragraph(
                tr(
                    "Precision by income band is suppressed: it needs files that were both "
                    "selected and checked, and with labels from the random-control sample few "
                    "selected files were also checked at random (fewer than {min_cell} per band). "
                    "In a simulation, audit with the synthetic truth (--labels truth) to see it.",
                    lang,
                    min_cell=g.method["min_cell"],
                ),
                "note",
            )
        )
    blocks.append(
        Figure(
            "income-bands",
            _svg(
                plots.plot_income_bands(
                    g.metrics,
                    attribute=attribute,
                    labels=_plot_options(attribute, lang)["labels"],
                    words=_plot_options(attribute, lang)["words"],
                )
            ),
            tr(
                "Selection rate, precision and mean score by income band, with 95% intervals.", lang
            ),
            tr(
                "Three charts by income band: selection rate, precision among selected, mean "
                "score.",
                lang,
            ),
        )
    )
    return Section("economic", tr("Economic situation", lang), tuple(blocks))


def _targeting_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    t = result.targeting
    if t is None:
        return _unavailable(
            "random",
            tr("Selection against random checks", lang),
            tr("No random checks were given: this comparison is not possible.", lang),
        )
    blocks: list[Block] = [
        Paragraph(
            tr(
                "Each group's share among the files checked at random (what the population "
                "looks like) against its share among the files selected by the score, and the "
                "share of checks that found an overpayment (hit rate) by each method. This is "
                "how journalists audited the welfare-fraud models of Rotterdam and Sweden. A "
                "group whose share grows from random to score selection is targeted by the "
                "model.",
                lang,
            )
        ),
        Table(
            (
                Column("attribute", tr("Attribute", lang)),
                Column("group", tr("Group", lang)),
                Column("random_share", tr("Share, random [95%]", lang)),
                Column("score_share", tr("Share, score [95%]", lang)),
                Column("share_ratio", tr("Ratio", lang), "num2"),
                Column("random_hit", tr("Hit rate, random [95%]", lang)),
                Column("score_hit", tr("Hit rate, score [95%]", lang)),
            ),
            tuple(
                (
                    attribute_label(str(r.attribute), lang),
                    group_label(str(r.attribute), str(r.group), lang),
                    _interval(
                        r.random_share, r.random_share_low, r.random_share_high, "pct1", lang
                    ),
                    _interval(r.score_share, r.score_share_low, r.score_share_high, "pct1", lang),
                    None if pd.isna(r.share_ratio) else float(r.share_ratio),
                    _interval(r.random_hit_rate, r.random_hit_low, r.random_hit_high, "pct1", lang),
                    _interval(r.score_hit_rate, r.score_hit_low, r.score_hit_high, "pct1", lang),
                )
                for r in _tuples(t)
            ),
            caption=tr("Random checks against selection by the score", lang),
        ),
    ]
    for k, attribute in enumerate(_singles(result)):
        if (t["attribute"] == attribute).any():
            name = _attribute_name(attribute, lang)
            blocks.append(
                Figure(
                    f"random-vs-score-{k + 1}",
                    _svg(
                        plots.plot_random_vs_selected(
                            t, attribute=attribute, **_plot_options(attribute, lang)
                        )
                    ),
                    tr(
                        "{attribute}: share among random checks and among score selections.",
                        lang,
                        attribute=name,
                    ),
                    tr(
                        "Bar chart of each {attribute} group's share by selection method.",
                        lang,
                        attribute=name,
                    ),
                )
            )
    return Section("random", tr("Selection against random checks", lang), tuple(blocks))


def _proxies_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    if result.proxies is None:
        return _unavailable(
            "proxies",
            tr("Proxies", lang),
            tr("Generic mode: proxies need the model and its input columns.", lang),
        )
    proxies = result.proxies
    blocks: list[Block] = [
        Paragraph(
            tr(
                "The model never reads the group attributes, but its features can carry them. "
                "For each group, a model using only the scorecard's features tries to recognise "
                "the group's files (cross-validated AUC: 0.5 means the features say nothing "
                "about the group, 1 that they identify it). Then the features most associated "
                "with each attribute (Cramér's V, 0 to 1), on {rows} files drawn at random.",
                lang,
                rows=_int(result.parameters["proxy_rows"], lang),
            )
        ),
        Table.from_frame(
            proxies.assign(
                attribute=[_attribute_name(str(a), lang) for a in proxies["attribute"]],
                group=[
                    _group_name(str(a), str(grp), lang)
                    for a, grp in zip(proxies["attribute"], proxies["group"], strict=True)
                ],
                interval=[
                    _interval(a, lo, hi, "num3", lang)
                    for a, lo, hi in zip(
                        proxies["auc"], proxies["ci_low"], proxies["ci_high"], strict=True
                    )
                ],
            ),
            (
                Column("attribute", tr("Attribute", lang)),
                Column("group", tr("Group", lang)),
                Column("n", tr("Files", lang), "int"),
                Column("interval", tr("AUC [95%]", lang)),
            ),
            caption=tr("How well the model's features predict each group", lang),
        ),
    ]
    assoc = result.associations
    if assoc is not None:
        top = assoc.groupby("attribute", sort=False).head(3)
        blocks.append(
            Table.from_frame(
                top.assign(
                    attribute=[_attribute_name(str(a), lang) for a in top["attribute"]],
                    label=[
                        _feature_label(str(f), str(label), lang)
                        for f, label in zip(top["feature"], top["label"], strict=True)
                    ],
                ),
                (
                    Column("attribute", tr("Attribute", lang)),
                    Column("label", tr("Feature", lang)),
                    Column("cramers_v", tr("Cramér's V", lang), "num3"),
                ),
                caption=tr("The three features most associated with each attribute", lang),
            )
        )
    if result.gaps is not None:
        blocks.append(_gaps_table(result, lang))
    return Section("proxies", tr("Proxies", lang), tuple(blocks))


def _gaps_table(result: AuditResult, lang: Lang) -> Block:
    gaps = result.gaps
    assert gaps is not None
    flagged = result.flags[result.flags["metric"] == "selection_rate"]
    keys = set(zip(flagged["attribute"].astype(str), flagged["group"].astype(str), strict=True))
    rows: list[tuple[str, str, str, float, str]] = []
    for (attribute, group), part in gaps.groupby(["attribute", "group"], sort=True):
        if (attribute, group) not in keys:
            continue
        total = float(part["gap"].sum())
        main = part.assign(size=part["gap"].abs()).sort_values("size", ascending=False).head(3)
        terms = tr("; ", lang).join(
            f"{_feature_label(str(r.term), str(r.label), lang)} {_decimal(f'{r.gap:+.1f}', lang)}"
            for r in _tuples(main)
        )
        reference = str(part["reference"].iloc[0])
        rows.append(
            (
                _attribute_name(str(attribute), lang),
                _group_name(str(attribute), str(group), lang),
                _group_name(str(attribute), reference, lang),
                total,
                terms,
            )
        )
    if not rows:
        return Paragraph(
            tr(
                "No single attribute has a flagged selection-rate difference, so no score gap "
                "is decomposed here (the JSON holds every group's decomposition).",
                lang,
            )
        )
    return Table(
        (
            Column("attribute", tr("Attribute", lang)),
            Column("group", tr("Group", lang)),
            Column("reference", tr("Reference", lang)),
            Column("gap", tr("Gap in mean score", lang), "signed2"),
            Column("terms", tr("Largest contributions (points)", lang)),
        ),
        tuple(rows),
        caption=tr(
            "Where the score gaps of flagged groups come from: the gap in mean score is exactly "
            "the sum of the gaps in each feature's points",
            lang,
        ),
    )


def _calibration_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    cal = result.groups.calibration
    if cal.empty:
        return _unavailable(
            "calibration",
            tr("Calibration", lang),
            tr("No labels (or no probability): calibration cannot be checked.", lang),
        )
    g = result.groups
    gap = g.metrics[g.metrics["metric"] == "calibration_gap"]
    gap = gap[gap["attribute"].isin(_singles(result))]
    predicted = bool(cal["mean_predicted"].notna().any())
    blocks: list[Block] = [
        Paragraph(
            tr(
                "Whether the predicted risk means the same thing in every group: by decile of "
                "predicted probability, the mean prediction against the observed rate. A group "
                "whose points lie below the diagonal is predicted riskier than it is.",
                lang,
            )
            if predicted
            else tr(
                "Whether a score means the same risk in every group: the observed rate by "
                "national score decile, per group, with 95% intervals (the system gives no "
                "probability, so there is no prediction to compare with).",
                lang,
            )
        ),
    ]
    if len(gap):
        blocks.append(
            Table(
                (
                    Column("attribute", tr("Attribute", lang)),
                    Column("group", tr("Group", lang)),
                    Column("gap", tr("Predicted − observed [95%]", lang)),
                ),
                tuple(
                    (
                        attribute_label(str(r.attribute), lang),
                        group_label(str(r.attribute), str(r.group), lang),
                        tr("suppressed", lang)
                        if r.suppressed
                        else _interval(r.value, r.ci_low, r.ci_high, "pct2", lang),
                    )
                    for r in _tuples(gap)
                ),
                caption=tr("Calibration gap by group (overall)", lang),
            )
        )
    for k, attribute in enumerate(_singles(result)):
        if (cal["attribute"] == attribute).any() and not cal.loc[
            cal["attribute"] == attribute, "suppressed"
        ].all():
            name = _attribute_name(attribute, lang)
            blocks.append(
                Figure(
                    f"calibration-{k + 1}",
                    _svg(
                        plots.plot_calibration(
                            cal, attribute=attribute, **_plot_options(attribute, lang)
                        )
                    ),
                    tr(
                        "Calibration by {attribute}: predicted against observed, by decile.",
                        lang,
                        attribute=name,
                    ),
                    tr(
                        "Calibration lines of each {attribute} group against the diagonal.",
                        lang,
                        attribute=name,
                    ),
                )
            )
    return Section("calibration", tr("Calibration", lang), tuple(blocks))


def _profiles_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    if result.profiles is None or result.changes is None:
        return _unavailable(
            "profiles",
            tr("Profiles", lang),
            tr("Generic mode: profiles need the model.", lang),
        )
    changes = result.changes.copy()
    changes["before"] = changes["value_before"].astype(str)
    changes["after"] = changes["value_after"].astype(str)
    profiles = result.profiles.assign(
        description=[_known(str(d), lang) for d in result.profiles["description"]]
    )
    changes["label"] = [
        _feature_label(str(c), str(label), lang)
        for c, label in zip(changes["column"], changes["label"], strict=True)
    ]
    return Section(
        "profiles",
        tr("Profiles", lang),
        (
            Paragraph(
                tr(
                    "Households the committee can picture, scored by the model, then one item of "
                    "their situation changed at a time.",
                    lang,
                )
            ),
            Table.from_frame(
                profiles,
                (
                    Column("archetype", tr("Household", lang)),
                    Column("description", tr("Situation", lang)),
                    Column("score", tr("Score", lang), "num2"),
                    Column("probability", tr("Predicted risk", lang), "pct1"),
                ),
                caption=tr("Archetype households", lang),
            ),
            Table.from_frame(
                changes,
                (
                    Column("archetype", tr("Household", lang)),
                    Column("label", tr("Item changed", lang)),
                    Column("before", tr("From", lang)),
                    Column("after", tr("To", lang)),
                    Column("delta", tr("Score change", lang), "signed2"),
                ),
                caption=tr("One change at a time", lang),
                collapsed=True,
            ),
        ),
    )


def _exclusion_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    ex = result.exclusion
    if ex is None:
        return _unavailable(
            "exclusion",
            tr("Exclusion proof", lang),
            tr("Generic mode: the proof needs the model.", lang),
        )
    return Section(
        "exclusion",
        tr("Exclusion proof", lang),
        (
            Paragraph(
                tr(
                    "Every column the model may not read was shuffled across files (each column "
                    "independently, seeded), and every file rescored. If the model read any of "
                    "them, some score would change.",
                    lang,
                ),
            ),
            Facts(
                (
                    (
                        tr("Result", lang),
                        tr("identical scores", lang)
                        if ex["identical"]
                        else tr("scores CHANGED", lang),
                    ),
                    (tr("Files rescored", lang), _int(ex["rows"], lang)),
                    (
                        tr("Model hash", lang),
                        str(ex.get("model_sha256") or tr("not from a file", lang)),
                    ),
                    (tr("Seed", lang), str(ex["seed"])),
                    (tr("Columns shuffled", lang), ", ".join(ex["columns_permuted"])),
                )
            ),
        ),
    )


def _method_section(result: AuditResult, missing: list[Unavailable], lang: Lang) -> Section:
    m = result.groups.method
    references = tr("; ", lang).join(
        tr(
            "{attribute}: {group}",
            lang,
            attribute=_attribute_name(str(k), lang),
            group=_group_name(str(k), str(v), lang),
        )
        for k, v in m["reference"].items()
        if SEPARATOR not in k
    )
    facts = [
        (tr("Intervals", lang), _known(str(m["interval"]), lang)),
        (tr("Bootstrap", lang), _known(str(m["bootstrap"]), lang)),
        (
            tr("Resamples, seed", lang),
            tr("{n_boot}, {seed}", lang, n_boot=m["n_boot"], seed=m["seed"]),
        ),
        (tr("AUC intervals", lang), _known(str(m["auc_interval"]), lang)),
        (tr("Test", lang), _known(str(m["test"]), lang)),
        (
            tr("Correction", lang),
            tr(
                "{correction} over {tests} tests",
                lang,
                correction=_known(str(m["correction_name"]), lang),
                tests=_int(m["n_tested"], lang),
            ),
        ),
        (tr("Flag rule", lang), _known(str(m["flag_rule"]), lang)),
        (tr("Minimum cell size", lang), tr("{n} files", lang, n=m["min_cell"])),
        (tr("Reference groups", lang), references),
        (tr("Weights", lang), _known(str(m["weights"]), lang)),
        (
            tr("Relation to fairlearn", lang),
            tr(
                "the group metrics equal fairlearn's MetricFrame on the same data (checked in "
                "dmde's tests); dmde adds reference groups with ratios and differences, pairwise "
                "intersections with suppression of small cells, corrected tests, and a bootstrap "
                "of cell counts instead of rows (seconds instead of hours on a million files)",
                lang,
            ),
        ),
        (tr("Score deciles", lang), _known(str(m["deciles"]), lang)),
    ]
    synthetic = (
        (
            tr(
                "The data are synthetic: the report shows what the method finds on a simulated "
                "world, not facts about real households.",
                lang,
            ),
        )
        if result.data.get("dmde_inputs")
        else ()
    )
    limits = (
        *synthetic,
        tr(
            "Labels exist only where a check took place. Error metrics on the random-control "
            "sample are unbiased but rest on few files per group (see the intervals); error "
            "metrics on selected files alone would be biased by the selection itself.",
            lang,
        ),
        tr(
            "A check that finds nothing is not harmless: it costs the household time and stress; "
            "the false-positive burden counts them but does not weigh them.",
            lang,
        ),
        tr(
            "Group attributes are those the population file holds; other groups (e.g. "
            "disability other than AAH) are not audited.",
            lang,
        ),
        tr(
            "Proxies are measured on a random subsample; the association of each feature is "
            "marginal (features also act together).",
            lang,
        ),
        tr(
            "Flags are statistical: they say where to look, not why. The decomposition of score "
            "gaps says which features produce a difference, not whether it is justified.",
            lang,
        ),
        tr(
            "Intersections are pairwise only; small intersections are suppressed, so the "
            "situation of the smallest groups remains unseen.",
            lang,
        ),
    )
    definitions = Table(
        (Column("metric", tr("Metric", lang)), Column("definition", tr("Definition", lang))),
        tuple((_metric_name(k, lang), _known(v, lang)) for k, v in METRIC_DEFINITIONS.items()),
        caption=tr("Metric definitions", lang),
    )
    absent = tuple(
        tr("{title}: not in this report. {why}", lang, title=u.title, why=u.why) for u in missing
    )
    return Section(
        "method",
        tr("Method and limits", lang),
        (Facts(tuple(facts)), definitions, Items((*limits, *absent))),
    )


def _glossary(lang: Lang) -> Section:
    terms = tuple((tr(term, lang), tr(meaning, lang)) for term, meaning in GLOSSARY)
    return Section("glossary", tr("Glossary", lang), (Facts(terms),))


# --------------------------------------------------------------------------------------------
# The document


def _findings_records(result: AuditResult, lang: Lang, outcome: str | None) -> list[dict[str, Any]]:
    """The findings for machines: class, figures, intervals, and the sentence shown."""
    out = _outcome(lang, outcome)
    records = []
    for _, row in result.findings.iterrows():
        record = {k: _json_number(row[k]) for k in row.index if k != "related"}
        record["related"] = [
            {k: _json_number(v) for k, v in r.items()} for r in (row["related"] or [])
        ]
        record["sentence"] = _sentence_of(row, lang, out)
        records.append(record)
    return records


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


def _hit_rates_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    rates = result.hit_rates
    if rates.empty:
        return _unavailable(
            "hit-rates",
            tr("Hit rate by selection method", lang),
            tr("Hit rates by selection method need outcomes (labels).", lang),
        )
    names = {
        "random": tr("random checks", lang),
        "score": tr("selected by the score", lang),
        "other": tr("other checks", lang),
    }
    return Section(
        "hit-rates",
        tr("Hit rate by selection method", lang),
        (
            Paragraph(
                tr(
                    "The share of checks that found something, by how the files were chosen: the "
                    "comparison that says whether the score finds more than chance.",
                    lang,
                )
            ),
            Table(
                (
                    Column("method", tr("Selection method", lang)),
                    Column("checks", tr("Checks", lang), "int"),
                    Column("labelled", tr("With an outcome", lang), "int"),
                    Column("rate", tr("Hit rate [95%]", lang)),
                ),
                tuple(
                    (
                        names.get(str(r.method), str(r.method)),
                        int(r.checks),
                        int(r.labelled),
                        _interval(r.hit_rate, r.hit_low, r.hit_high, "pct1", lang)
                        if int(r.labelled)
                        else "–",
                    )
                    for r in _tuples(rates)
                ),
                caption=tr("Hit rate by selection method (Wilson 95% intervals)", lang),
            ),
        ),
    )


def default_title(result: AuditResult, lang: Lang = "en") -> str:
    """The report's title: the agency's framing only for dmde's own inputs."""
    if result.data.get("dmde_inputs"):
        return tr("Audit of the control-targeting score", lang)
    return tr("Audit of a selection", lang)


def build_report(
    result: AuditResult,
    *,
    title: str | None = None,
    lang: Lang = "en",
    outcome: str | None = None,
) -> Document:
    """The report as a document (see :mod:`dmde.core.rendering` for the renderings).

    It opens with the findings (:func:`_findings_section`), in ``lang``; tables, figures,
    methods and every tested difference follow as the appendix. Sections that cannot be
    computed from the inputs are left out of the contents and named once in the limits.
    ``outcome`` names what a check finds (default: an overpayment).
    """
    groups_intro, group_sections = _groups_section(result, lang)
    candidates: list[Section | Unavailable] = [
        _findings_section(result, lang, outcome),
        _summary(result, lang),
        _hit_rates_section(result, lang),
        _selection_section(result, lang),
        groups_intro,
        *group_sections,
        _intersections_section(result, lang),
        _economic_section(result, lang),
        _targeting_section(result, lang),
        _calibration_section(result, lang),
        _proxies_section(result, lang),
        _profiles_section(result, lang),
        _exclusion_section(result, lang),
        _model_section(result, lang),
        _data_section(result, lang),
    ]
    missing = [c for c in candidates if isinstance(c, Unavailable)]
    sections = (
        *(c for c in candidates if isinstance(c, Section)),
        _method_section(result, missing, lang),
        _glossary(lang),
    )
    n_findings = int(result.findings["finding"].nunique()) if len(result.findings) else 0
    number = functools.partial(format_value, fmt="int", lang=lang)
    meta = (
        (tr("Files", lang), number(result.data["rows"])),
        (tr("Selected by the score", lang), number(result.data["selected_by_score"])),
        (tr("Findings", lang), number(n_findings)),
    )
    model = result.model or {}
    tables = {
        "overall": _records(result.overall),
        "metrics": _records(result.groups.metrics),
        "disparities": _records(result.groups.disparities),
        "deciles": _records(result.groups.deciles),
        "calibration": _records(result.groups.calibration),
        "targeting": _records(result.targeting),
        "hit_rates": _records(result.hit_rates),
        "proxies": _records(result.proxies),
        "associations": _records(result.associations),
        "gaps": _records(result.gaps),
        "profiles": _records(result.profiles),
        "changes": _records(result.changes),
        "points": _records(model.get("points")),
    }
    if result.extra_metrics is not None:  # fairlearn-style metrics asked for: beside the tables
        tables["extra_metrics"] = _records(result.extra_metrics)
    flag_keys = ("attribute", "group", "reference", "metric", "ratio", "p_adjusted", "sentence")
    flags = [
        {
            **{k: r[k] for k in flag_keys},
            "ratio_low": r["ratio_ci_low"],
            "ratio_high": r["ratio_ci_high"],
        }
        for r in _records(result.flags) or []
    ]
    data = {
        "format": "dmde-audit",
        "format_version": 2,
        "model_sha256": model.get("sha256"),
        "findings": _findings_records(result, lang, outcome),
        "flags": flags,
        "inputs": result.data,
        "parameters": result.parameters,
        "method": result.groups.method,
        "exclusion": result.exclusion,
        "tables": tables,
    }
    subtitle = tr("Who is selected for a check, how fairly, and with what certainty.", lang)
    return Document(
        kind="dmde-audit-report",
        title=title or default_title(result, lang),
        subtitle=subtitle,
        meta=meta,
        sections=sections,
        data=data,
        lang=lang,
        toc_after=1,
    )


def write_report(
    result: AuditResult,
    path: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
    title: str | None = None,
    lang: Lang = "en",
    outcome: str | None = None,
) -> list[Path]:
    """Write the report (HTML, Markdown, JSON with the same stem); return the files written."""
    document = build_report(result, title=title, lang=lang, outcome=outcome)
    return write_document(document, path, formats=formats)
