"""The ethics committee's report: an :class:`~dmde.audit.run.AuditResult` as a document.

:func:`build_report` turns the result into a :class:`dmde.rendering.Document` (data first,
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
    VERDICT_LABELS,
    attribute_label,
    group_label,
    ratio_phrase,
    ratio_words,
    words,
)
from dmde.rendering import (
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


def _num(value: Any, fmt: str) -> str:
    return format_value(None if value is None else float(value), fmt)


def _interval(value: Any, low: Any, high: Any, fmt: str) -> str:
    if value is None or pd.isna(value):
        return "suppressed"
    if low is None or pd.isna(low):
        return _num(value, fmt)
    return f"{_num(value, fmt)} [{_num(low, fmt)} – {_num(high, fmt)}]"


def _p(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else format_value(float(value), "p")


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


def _cell(wide: pd.DataFrame, group: str, metric: str) -> str:
    if (group, metric) not in wide.index:
        return "–"
    row: Any = wide.loc[(group, metric)]
    if bool(row["suppressed"]):
        return f"suppressed (n={int(row['n'])})"
    return _interval(row["value"], row["ci_low"], row["ci_high"], METRIC_FORMATS[metric])


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
    labels = w["with_labels"].format(source=d["labels"]) if d.get("labels") is not None else ""
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
            Paragraph(w["ties"].format(tied=number(d["tied_at_cut"]), rule=d["selection_rule"]))
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
                    Column("verdict", "Verdict"),
                    Column("group", "Group"),
                    Column("sentence", "In words"),
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


def _summary(result: AuditResult) -> Section:
    g = result.groups
    tested = int(g.disparities["tested"].sum())
    flags = result.flags
    singles = set(_singles(result))
    blocks: list[Block] = []
    method = g.method
    blocks.append(
        Paragraph(
            f"This report audits the selection of {result.data['selected_by_score']:,} files "
            f"by the score among {result.data['rows']:,} files, for "
            f"{len(singles)} group attributes"
            + (" and their pairwise intersections" if method.get("intersections") else "")
            + f". {tested:,} differences between groups were tested; "
            f"{len(flags):,} are flagged (ratio outside "
            f"{method['band'][0]:g}–{method['band'][1]:g} and adjusted p-value below "
            f"{method['alpha']:g}, {method['correction_name']})."
        )
    )
    # The findings above read these flags; listing the first ones here again (or an all-clear
    # on a subset of metrics) would contradict them. The full list is the JSON's data.flags.
    counts = flags.groupby("metric", sort=False).size()
    if len(counts):
        listed = ", ".join(
            f"{METRIC_NAMES.get(str(m), str(m)).lower()}: {int(n)}" for m, n in counts.items()
        )
        blocks.append(Paragraph(f"Flags by metric (all attributes and intersections): {listed}."))
    if result.exclusion is not None:
        ex = result.exclusion
        kind: Kind = "ok" if ex["identical"] else "warning"
        blocks.append(
            Paragraph(
                (
                    "Exclusion proof: after shuffling every column the model may not read "
                    f"({len(ex['columns_permuted'])} columns, {ex['rows']:,} files), every score "
                    "was recomputed "
                    + ("identical." if ex["identical"] else "DIFFERENT: the model reads them.")
                ),
                kind,
            )
        )
    hidden = _hidden_attributes(result)
    if result.proxies is not None and result.proxies["attribute"].isin(hidden).any():
        proxies = result.proxies[result.proxies["attribute"].isin(hidden)]
        top = proxies.sort_values("auc", ascending=False, kind="stable").iloc[0]
        blocks.append(
            Paragraph(
                "Strongest proxy among the attributes the model may not read: its features "
                f"predict '{top['group']}' ({top['attribute']}) with a cross-validated AUC of "
                f"{top['auc']:.3f} (0.5 = no information). See 'Proxies'."
            )
        )
    blocks.append(
        Paragraph(
            "A flag is a difference large enough to matter and unlikely to be chance. It is "
            "not by itself proof of unfair treatment: read it beside the groups' overpayment "
            "rates and the precision of their checks, and the proxies section, which says "
            "which of the model's features produce the difference.",
            "note",
        )
    )
    return Section(
        "summary", "At a glance: every test, the exclusion proof, proxies", tuple(blocks)
    )


def _hidden_attributes(result: AuditResult) -> list[str]:
    """Attributes made from a column the model does not read (the others are features)."""
    read = {f["column"] for f in (result.model or {}).get("features", [])}
    return [a for a in _singles(result) if ATTRIBUTE_SOURCES.get(a, a) not in read]


def _model_section(result: AuditResult) -> Section | Unavailable:
    model = result.model
    if model is None:
        return _unavailable(
            "model",
            "Model identity",
            "The model was not given (another system's table): the report cannot check which "
            "fields it used.",
        )
    facts = Facts(
        (
            ("Model file hash (sha256)", str(model["sha256"] or "not from a file")),
            ("Kind", "one scorecard per segment" if model["kind"] == "family" else "scorecard"),
            ("Routing column", str(model["routing"] or "none")),
            ("Feature policy", str(model["policy"])),
            ("Features", str(len(model["features"]))),
        )
    )
    excluded = Table(
        (
            Column("family", "Excluded family"),
            Column("columns", "Columns"),
            Column("reason", "Why"),
        ),
        tuple((e["family"], ", ".join(e["columns"]), e["reason"]) for e in model["excluded"]),
        caption="Fields the model may not read (enforced by the feature policy)",
    )
    features = Table(
        (Column("column", "Column"), Column("label", "Meaning")),
        tuple((f["column"], f["label"]) for f in model["features"]),
        caption="Features the model reads",
    )
    points = Table.from_frame(
        model["points"],
        (
            Column("segment", "Segment"),
            Column("feature", "Feature"),
            Column("bin_label", "Bin"),
            Column("points", "Points", "num2"),
        ),
        caption="Points table (the score is the sum of the points of a file's bins)",
        collapsed=True,
    )
    return Section(
        "model",
        "Model identity",
        (
            Paragraph(
                "The audited model is identified by the hash of its file: the same hash appears "
                "in the scoring manifest, so the committee can check that the model audited is "
                "the one that scored."
            ),
            facts,
            excluded,
            features,
            points,
        ),
    )


def _data_section(result: AuditResult) -> Section:
    d = result.data
    pairs = [
        ("Files", f"{d['rows']:,}"),
        ("Group attributes", ", ".join(d["attributes"])),
        ("Labels", str(d["labels"] or "none (only selection metrics)")),
    ]
    if d["labelled_rows"] is not None:
        pairs.append(("Labelled files", f"{d['labelled_rows']:,}"))
    if d["sample_rows"] is not None:
        pairs.append(("Random-control sample", f"{d['sample_rows']:,} files"))
    pairs.append(("Weights", "survey weights" if d["weighted"] else "none (each file counts 1)"))
    if "labels" in result.groups.method:
        pairs.append(("Where error metrics come from", str(result.groups.method["labels"])))
    return Section("data", "Data", (Facts(tuple(pairs)),))


@dataclass(frozen=True)
class Unavailable:
    """A section that cannot be computed from these inputs: left out, its reason in the limits."""

    id: str
    title: str
    why: str


def _unavailable(section_id: str, title: str, why: str) -> Unavailable:
    return Unavailable(section_id, title, why)


def _selection_section(result: AuditResult) -> Section | Unavailable:
    d = result.data
    if d.get("all_checked"):
        return _unavailable(
            "selection",
            "Selection",
            "Every row of the table was checked: there is no population to select from, so no "
            "selection rate; the findings compare the score's checks with random checks.",
        )
    pairs = (
        ("Selection", str(d["selection_rule"])),
        ("Selected", f"{d['selected']:,}"),
        ("Selected by the score", f"{d['selected_by_score']:,}"),
        ("Selected at random", f"{d['selected_at_random']:,}"),
        ("Lowest score selected", _num(d["score_cut"], "num2")),
        ("Score range", f"{_num(d['score_min'], 'num2')} to {_num(d['score_max'], 'num2')}"),
    )
    overall = result.overall.set_index(["group", "metric"]).sort_index()
    shares = ("population_share", "share_among_selected", "calibration_gap")
    national = Table(
        (Column("metric", "Metric"), Column("value", "All files [95%]")),
        tuple(
            (name, _cell(overall, ALL_FILES, m))
            for m, name in METRIC_NAMES.items()
            if (ALL_FILES, m) in overall.index and m not in shares
        ),
        caption="National figures: every group below is read against these",
    )
    return Section(
        "selection",
        "Selection",
        (
            Paragraph(
                "Only the files selected by the score are 'selected' in the group metrics; "
                "files drawn at random are the score's point of comparison."
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
            ratio, p, flag = "reference", "–", ""
        elif group in ratios.index:
            r = ratios.loc[group]
            ratio = _interval(r["ratio"], r["ratio_ci_low"], r["ratio_ci_high"], "num2")
            p, flag = _p(r["p_adjusted"]), "FLAG" if bool(r["flagged"]) else ""
        else:
            ratio, p, flag = "–", "–", ""
        rows.append(
            (
                group_label(attribute, group, lang),
                n,
                _cell(wide, group, "population_share"),
                _cell(wide, group, "share_among_selected"),
                _cell(wide, group, "selection_rate"),
                ratio,
                p,
                flag,
                _cell(wide, group, "mean_score"),
            )
        )
    return Table(
        (
            Column("group", "Group"),
            Column("n", "Files", "int"),
            Column("population_share", "Share of files [95%]"),
            Column("share_among_selected", "Share of selected [95%]"),
            Column("selection_rate", "Selection rate [95%]"),
            Column("ratio", f"Ratio to {group_label(attribute, reference, lang)} [95%]"),
            Column("p_adjusted", "Adjusted p"),
            Column("flag", "Flag"),
            Column("mean_score", "Mean score [95%]"),
        ),
        tuple(rows),
        caption=f"{_capital(attribute_label(attribute, lang))}: selection by the score",
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
        cells = (_cell(wide, group, m) for m in metrics)
        rows.append((group_label(attribute, group, lang), *cells, "FLAG" if flagged else ""))
    return Table(
        (
            Column("group", "Group"),
            *(Column(m, f"{METRIC_NAMES[m]} [95%]") for m in metrics),
            Column("burden_flag", "Burden flag"),
        ),
        tuple(rows),
        caption=f"{_capital(attribute_label(attribute, lang))}: what the checks find",
        note="Estimated on the labelled files; see 'Data' for where the labels come from.",
    )


def _groups_section(result: AuditResult, lang: Lang) -> tuple[Section, list[Section]]:
    intro = Section(
        "groups",
        "Groups",
        (
            Paragraph(
                "For each attribute, each group's share of all files and of the selected files, "
                "its selection rate and its ratio to the reference group, with 95% intervals. "
                "A ratio of 2 means the group's files are selected twice as often."
            ),
        ),
    )
    checked = bool(result.data.get("all_checked"))
    if checked:
        intro = Section(
            "groups",
            "Groups",
            (
                Paragraph(
                    "Every row of this table was checked, so there are no selection rates: "
                    "each group's share of checks by method is in 'Selection against random "
                    "checks'; below, what the checks found, by group.",
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
                    f"Selection rate by {attribute}, with 95% intervals.",
                    f"Chart of the selection rate of each {attribute} group.",
                )
            )
        if result.data.get("scored", True) and (deciles["attribute"] == attribute).any():
            blocks.append(
                Figure(
                    f"score-deciles-{k + 1}",
                    _svg(plots.plot_score_deciles(deciles, attribute=attribute, **options)),
                    f"Share of each {attribute} group's files in each national score decile "
                    "(the dashed line, 10%, is what no difference would look like).",
                    f"Chart of the score distribution of each {attribute} group by decile.",
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
            "Intersections",
            "Every row of the table was checked: intersections of selection rates do not apply.",
        )
    if inter.empty:
        return _unavailable("intersections", "Intersections", "Intersections were not audited.")
    rate = inter[inter["metric"] == "selection_rate"]
    suppressed = int(rate["suppressed"].sum())
    shown = rate[~rate["suppressed"].astype(bool)]
    top = shown.assign(dev=np.abs(np.log(shown["ratio"].astype(float).clip(lower=1e-12))))
    top = top.sort_values(["flagged", "dev"], ascending=[False, False], kind="stable")
    table = Table(
        (
            Column("attribute", "Attributes"),
            Column("group", "Group"),
            Column("reference", "Reference"),
            Column("rate", "Selection rate"),
            Column("ratio", "Ratio [95%]"),
            Column("p", "Adjusted p"),
            Column("flag", "Flag"),
        ),
        tuple(
            (
                attribute_label(str(r.attribute), lang),
                group_label(str(r.attribute), str(r.group), lang),
                group_label(str(r.attribute), str(r.reference), lang),
                _num(r.value, "pct2"),
                _interval(r.ratio, r.ratio_ci_low, r.ratio_ci_high, "num2"),
                _p(r.p_adjusted),
                "FLAG" if r.flagged else "",
            )
            for r in _tuples(top)
        ),
        caption="Selection rate of every intersection against its reference, flagged first, "
        "then by size of the difference",
        collapsed=len(top) > 30,
    )
    return Section(
        "intersections",
        "Intersections",
        (
            Paragraph(
                f"{len(rate):,} intersection groups; {suppressed:,} have fewer than "
                f"{g.method['min_cell']} files and are suppressed (not shown, never tested). "
                f"{int(shown['flagged'].sum()):,} selection-rate differences are flagged."
            ),
            table,
        ),
    )


def _economic_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    attribute = "income_band"
    if attribute not in _singles(result):
        return _unavailable(
            "economic",
            "Economic situation",
            "The population has no income column: this section is empty.",
        )
    g = result.groups
    wide = _metric_wide(g.metrics, attribute)
    candidates = ("selection_rate", "precision", "mean_score", "base_rate")
    metrics = tuple(m for m in candidates if any((x, m) in wide.index for x in _groups_of(wide)))
    rows = tuple(
        (group_label(attribute, grp, lang), *(_cell(wide, grp, m) for m in metrics))
        for grp in _groups_of(wide)
    )
    blocks: list[Block] = [
        Paragraph(
            "The agency states that the model 'targets low incomes, less so zero incomes'. "
            "Income is the household's resources relative to the Smic (net minimum wage); "
            "zero income is its own band."
        ),
        Table(
            (
                Column("group", "Income band"),
                *(Column(m, f"{METRIC_NAMES[m]} [95%]") for m in metrics),
            ),
            rows,
            caption="Selection, precision and mean score by income band",
        ),
    ]
    metric_rows = g.metrics[g.metrics["attribute"] == attribute]
    rate = metric_rows[metric_rows["metric"] == "selection_rate"]
    values = dict(zip(rate["group"].astype(str), rate["value"].astype(float), strict=True))
    if "zero" in values and len(values) > 1:
        top = max((v, k) for k, v in values.items() if k != "zero")
        blocks.append(
            Paragraph(
                f"Zero-income files are selected at {_num(values['zero'], 'pct2')}; the most "
                f"selected band, '{top[1]}', at {_num(top[0], 'pct2')}."
            )
        )
    precision = metric_rows[metric_rows["metric"] == "precision"]
    if len(precision) and precision["suppressed"].all():
        blocks.append(
            Paragraph(
                "Precision by income band is suppressed: it needs files that were both selected "
                "and checked, and with labels from the random-control sample few selected files "
                f"were also checked at random (fewer than {g.method['min_cell']} per band). "
                "In a simulation, audit with the synthetic truth (--labels truth) to see it.",
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
            "Selection rate, precision and mean score by income band, with 95% intervals.",
            "Three charts by income band: selection rate, precision among selected, mean score.",
        )
    )
    return Section("economic", "Economic situation", tuple(blocks))


def _targeting_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    t = result.targeting
    if t is None:
        return _unavailable(
            "random",
            "Selection against random checks",
            "No random checks were given: this comparison is not possible.",
        )
    blocks: list[Block] = [
        Paragraph(
            "Each group's share among the files checked at random (what the population looks "
            "like) against its share among the files selected by the score, and the share of "
            "checks that found an overpayment (hit rate) by each method. This is how "
            "journalists audited the welfare-fraud models of Rotterdam and Sweden. A group "
            "whose share grows from random to score selection is targeted by the model."
        ),
        Table(
            (
                Column("attribute", "Attribute"),
                Column("group", "Group"),
                Column("random_share", "Share, random [95%]"),
                Column("score_share", "Share, score [95%]"),
                Column("share_ratio", "Ratio", "num2"),
                Column("random_hit", "Hit rate, random [95%]"),
                Column("score_hit", "Hit rate, score [95%]"),
            ),
            tuple(
                (
                    attribute_label(str(r.attribute), lang),
                    group_label(str(r.attribute), str(r.group), lang),
                    _interval(r.random_share, r.random_share_low, r.random_share_high, "pct1"),
                    _interval(r.score_share, r.score_share_low, r.score_share_high, "pct1"),
                    None if pd.isna(r.share_ratio) else float(r.share_ratio),
                    _interval(r.random_hit_rate, r.random_hit_low, r.random_hit_high, "pct1"),
                    _interval(r.score_hit_rate, r.score_hit_low, r.score_hit_high, "pct1"),
                )
                for r in _tuples(t)
            ),
            caption="Random checks against selection by the score",
        ),
    ]
    for k, attribute in enumerate(_singles(result)):
        if (t["attribute"] == attribute).any():
            blocks.append(
                Figure(
                    f"random-vs-score-{k + 1}",
                    _svg(
                        plots.plot_random_vs_selected(
                            t, attribute=attribute, **_plot_options(attribute, lang)
                        )
                    ),
                    f"{attribute}: share among random checks and among score selections.",
                    f"Bar chart of each {attribute} group's share by selection method.",
                )
            )
    return Section("random", "Selection against random checks", tuple(blocks))


def _proxies_section(result: AuditResult) -> Section | Unavailable:
    if result.proxies is None:
        return _unavailable(
            "proxies", "Proxies", "Generic mode: proxies need the model and its input columns."
        )
    blocks: list[Block] = [
        Paragraph(
            "The model never reads the group attributes, but its features can carry them. "
            "For each group, a model using only the scorecard's features tries to recognise "
            "the group's files (cross-validated AUC: 0.5 means the features say nothing about "
            "the group, 1 that they identify it). Then the features most associated with each "
            f"attribute (Cramér's V, 0 to 1), on {result.parameters['proxy_rows']:,} files "
            "drawn at random."
        ),
        Table.from_frame(
            result.proxies.assign(
                interval=[
                    _interval(a, lo, hi, "num3")
                    for a, lo, hi in zip(
                        result.proxies["auc"],
                        result.proxies["ci_low"],
                        result.proxies["ci_high"],
                        strict=True,
                    )
                ]
            ),
            (
                Column("attribute", "Attribute"),
                Column("group", "Group"),
                Column("n", "Files", "int"),
                Column("interval", "AUC [95%]"),
            ),
            caption="How well the model's features predict each group",
        ),
    ]
    assoc = result.associations
    if assoc is not None:
        top = assoc.groupby("attribute", sort=False).head(3)
        blocks.append(
            Table.from_frame(
                top,
                (
                    Column("attribute", "Attribute"),
                    Column("label", "Feature"),
                    Column("cramers_v", "Cramér's V", "num3"),
                ),
                caption="The three features most associated with each attribute",
            )
        )
    if result.gaps is not None:
        blocks.append(_gaps_table(result))
    return Section("proxies", "Proxies", tuple(blocks))


def _gaps_table(result: AuditResult) -> Block:
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
        terms = "; ".join(f"{r.label} {r.gap:+.1f}" for r in _tuples(main))
        rows.append((str(attribute), str(group), str(part["reference"].iloc[0]), total, terms))
    if not rows:
        return Paragraph(
            "No single attribute has a flagged selection-rate difference, so no score gap "
            "is decomposed here (the JSON holds every group's decomposition)."
        )
    return Table(
        (
            Column("attribute", "Attribute"),
            Column("group", "Group"),
            Column("reference", "Reference"),
            Column("gap", "Gap in mean score", "signed2"),
            Column("terms", "Largest contributions (points)"),
        ),
        tuple(rows),
        caption="Where the score gaps of flagged groups come from: the gap in mean score is "
        "exactly the sum of the gaps in each feature's points",
    )


def _calibration_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    cal = result.groups.calibration
    if cal.empty:
        return _unavailable(
            "calibration",
            "Calibration",
            "No labels (or no probability): calibration cannot be checked.",
        )
    g = result.groups
    gap = g.metrics[g.metrics["metric"] == "calibration_gap"]
    gap = gap[gap["attribute"].isin(_singles(result))]
    predicted = bool(cal["mean_predicted"].notna().any())
    blocks: list[Block] = [
        Paragraph(
            "Whether the predicted risk means the same thing in every group: by decile of "
            "predicted probability, the mean prediction against the observed rate. A group "
            "whose points lie below the diagonal is predicted riskier than it is."
            if predicted
            else "Whether a score means the same risk in every group: the observed rate by "
            "national score decile, per group, with 95% intervals (the system gives no "
            "probability, so there is no prediction to compare with)."
        ),
    ]
    if len(gap):
        blocks.append(
            Table(
                (
                    Column("attribute", "Attribute"),
                    Column("group", "Group"),
                    Column("gap", "Predicted − observed [95%]"),
                ),
                tuple(
                    (
                        attribute_label(str(r.attribute), lang),
                        group_label(str(r.attribute), str(r.group), lang),
                        "suppressed"
                        if r.suppressed
                        else _interval(r.value, r.ci_low, r.ci_high, "pct2"),
                    )
                    for r in _tuples(gap)
                ),
                caption="Calibration gap by group (overall)",
            )
        )
    for k, attribute in enumerate(_singles(result)):
        if (cal["attribute"] == attribute).any() and not cal.loc[
            cal["attribute"] == attribute, "suppressed"
        ].all():
            blocks.append(
                Figure(
                    f"calibration-{k + 1}",
                    _svg(
                        plots.plot_calibration(
                            cal, attribute=attribute, **_plot_options(attribute, lang)
                        )
                    ),
                    f"Calibration by {attribute}: predicted against observed, by decile.",
                    f"Calibration lines of each {attribute} group against the diagonal.",
                )
            )
    return Section("calibration", "Calibration", tuple(blocks))


def _profiles_section(result: AuditResult) -> Section | Unavailable:
    if result.profiles is None or result.changes is None:
        return _unavailable("profiles", "Profiles", "Generic mode: profiles need the model.")
    changes = result.changes.copy()
    changes["before"] = changes["value_before"].astype(str)
    changes["after"] = changes["value_after"].astype(str)
    return Section(
        "profiles",
        "Profiles",
        (
            Paragraph(
                "Households the committee can picture, scored by the model, then one item of "
                "their situation changed at a time."
            ),
            Table.from_frame(
                result.profiles,
                (
                    Column("archetype", "Household"),
                    Column("description", "Situation"),
                    Column("score", "Score", "num2"),
                    Column("probability", "Predicted risk", "pct1"),
                ),
                caption="Archetype households",
            ),
            Table.from_frame(
                changes,
                (
                    Column("archetype", "Household"),
                    Column("label", "Item changed"),
                    Column("before", "From"),
                    Column("after", "To"),
                    Column("delta", "Score change", "signed2"),
                ),
                caption="One change at a time",
                collapsed=True,
            ),
        ),
    )


def _exclusion_section(result: AuditResult) -> Section | Unavailable:
    ex = result.exclusion
    if ex is None:
        return _unavailable(
            "exclusion", "Exclusion proof", "Generic mode: the proof needs the model."
        )
    return Section(
        "exclusion",
        "Exclusion proof",
        (
            Paragraph(
                "Every column the model may not read was shuffled across files (each column "
                "independently, seeded), and every file rescored. If the model read any of "
                "them, some score would change.",
            ),
            Facts(
                (
                    ("Result", "identical scores" if ex["identical"] else "scores CHANGED"),
                    ("Files rescored", f"{ex['rows']:,}"),
                    ("Model hash", str(ex.get("model_sha256") or "not from a file")),
                    ("Seed", str(ex["seed"])),
                    ("Columns shuffled", ", ".join(ex["columns_permuted"])),
                )
            ),
        ),
    )


def _method_section(result: AuditResult, missing: list[Unavailable]) -> Section:
    m = result.groups.method
    facts = [
        ("Intervals", str(m["interval"])),
        ("Bootstrap", str(m["bootstrap"])),
        ("Resamples, seed", f"{m['n_boot']}, {m['seed']}"),
        ("AUC intervals", str(m["auc_interval"])),
        ("Test", str(m["test"])),
        ("Correction", f"{m['correction_name']} over {m['n_tested']:,} tests"),
        ("Flag rule", str(m["flag_rule"])),
        ("Minimum cell size", f"{m['min_cell']} files"),
        (
            "Reference groups",
            "; ".join(f"{k}: {v}" for k, v in m["reference"].items() if SEPARATOR not in k),
        ),
        ("Weights", str(m["weights"])),
        (
            "Relation to fairlearn",
            "the group metrics equal fairlearn's MetricFrame on the same data (checked in "
            "dmde's tests); dmde adds reference groups with ratios and differences, pairwise "
            "intersections with suppression of small cells, corrected tests, and a bootstrap "
            "of cell counts instead of rows (seconds instead of hours on a million files)",
        ),
        ("Score deciles", str(m["deciles"])),
    ]
    synthetic = (
        (
            "The data are synthetic: the report shows what the method finds on a simulated "
            "world, not facts about real households.",
        )
        if result.data.get("dmde_inputs")
        else ()
    )
    limits = (
        *synthetic,
        "Labels exist only where a check took place. Error metrics on the random-control sample "
        "are unbiased but rest on few files per group (see the intervals); error metrics on "
        "selected files alone would be biased by the selection itself.",
        "A check that finds nothing is not harmless: it costs the household time and stress; "
        "the false-positive burden counts them but does not weigh them.",
        "Group attributes are those the population file holds; other groups (e.g. disability "
        "other than AAH) are not audited.",
        "Proxies are measured on a random subsample; the association of each feature is "
        "marginal (features also act together).",
        "Flags are statistical: they say where to look, not why. The decomposition of score "
        "gaps says which features produce a difference, not whether it is justified.",
        "Intersections are pairwise only; small intersections are suppressed, so the "
        "situation of the smallest groups remains unseen.",
    )
    definitions = Table(
        (Column("metric", "Metric"), Column("definition", "Definition")),
        tuple((METRIC_NAMES.get(k, k), v) for k, v in METRIC_DEFINITIONS.items()),
        caption="Metric definitions",
    )
    absent = tuple(f"{m.title}: not in this report. {m.why}" for m in missing)
    return Section(
        "method",
        "Method and limits",
        (Facts(tuple(facts)), definitions, Items((*limits, *absent))),
    )


def _glossary() -> Section:
    return Section("glossary", "Glossary", (Facts(GLOSSARY),))


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


TITLE = "Audit of the control-targeting score"


def _hit_rates_section(result: AuditResult, lang: Lang) -> Section | Unavailable:
    rates = result.hit_rates
    if rates.empty:
        return Unavailable(
            "hit-rates",
            "Hit rate by selection method",
            "Hit rates by selection method need outcomes (labels).",
        )
    names = {"random": "random checks", "score": "selected by the score", "other": "other checks"}
    return Section(
        "hit-rates",
        "Hit rate by selection method",
        (
            Paragraph(
                "The share of checks that found something, by how the files were chosen: the "
                "comparison that says whether the score finds more than chance."
            ),
            Table(
                (
                    Column("method", "Selection method"),
                    Column("checks", "Checks", "int"),
                    Column("labelled", "With an outcome", "int"),
                    Column("rate", "Hit rate [95%]"),
                ),
                tuple(
                    (
                        names.get(str(r.method), str(r.method)),
                        int(r.checks),
                        int(r.labelled),
                        _interval(r.hit_rate, r.hit_low, r.hit_high, "pct1")
                        if int(r.labelled)
                        else "–",
                    )
                    for r in _tuples(rates)
                ),
                caption="Hit rate by selection method (Wilson 95% intervals)",
            ),
        ),
    )


def default_title(result: AuditResult, lang: Lang = "en") -> str:
    """The report's title: the agency's framing only for dmde's own inputs."""
    if result.data.get("dmde_inputs"):
        return "Audit du score de ciblage des contrôles" if lang == "fr" else TITLE
    return "Audit d'une sélection" if lang == "fr" else "Audit of a selection"


def build_report(
    result: AuditResult,
    *,
    title: str | None = None,
    lang: Lang = "en",
    outcome: str | None = None,
) -> Document:
    """The report as a document (see :mod:`dmde.rendering` for the renderings).

    It opens with the findings (:func:`_findings_section`), in ``lang``; tables, figures,
    methods and every tested difference follow as the appendix. Sections that cannot be
    computed from the inputs are left out of the contents and named once in the limits.
    ``outcome`` names what a check finds (default: an overpayment).
    """
    groups_intro, group_sections = _groups_section(result, lang)
    candidates: list[Section | Unavailable] = [
        _findings_section(result, lang, outcome),
        _summary(result),
        _hit_rates_section(result, lang),
        _selection_section(result),
        groups_intro,
        *group_sections,
        _intersections_section(result, lang),
        _economic_section(result, lang),
        _targeting_section(result, lang),
        _calibration_section(result, lang),
        _proxies_section(result),
        _profiles_section(result),
        _exclusion_section(result),
        _model_section(result),
        _data_section(result),
    ]
    missing = [c for c in candidates if isinstance(c, Unavailable)]
    sections = (
        *(c for c in candidates if isinstance(c, Section)),
        _method_section(result, missing),
        _glossary(),
    )
    n_findings = int(result.findings["finding"].nunique()) if len(result.findings) else 0
    number = functools.partial(format_value, fmt="int", lang=lang)
    meta_words = (
        ("Dossiers", "Sélectionnés par le score", "Constats")
        if lang == "fr"
        else ("Files", "Selected by the score", "Findings")
    )
    meta = (
        (meta_words[0], number(result.data["rows"])),
        (meta_words[1], number(result.data["selected_by_score"])),
        (meta_words[2], number(n_findings)),
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
    subtitle = (
        "Pour le comité d'éthique : qui est sélectionné pour un contrôle, avec quelle équité, "
        "avec quelle certitude."
        if lang == "fr"
        else "Who is selected for a check, how fairly, and with what certainty."
    )
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
