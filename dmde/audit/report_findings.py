"""The report's first section: the findings in words, what the committee reads first.

Each finding of :func:`dmde.audit.findings.findings` becomes a sentence in the reader's language
(with its figure, interval and the comparison that justifies its verdict), then the table of
the comparisons behind it and, where selection amplifies risk, its figure.
``_findings_records`` gives the same findings to the report's JSON.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from dmde.audit import plots
from dmde.audit.findings import AMPLIFICATION, DECIDING, RISK, SELECTION
from dmde.audit.report_text import (
    MAX_FINDINGS,
    _capital,
    _json_number,
    _known,
    _singles,
    _svg,
)
from dmde.audit.result import AuditResult
from dmde.audit.words import (
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
    Figure,
    Kind,
    Lang,
    Paragraph,
    Section,
    Table,
    format_value,
)

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
        elif verdict == "selection_gap" and pd.notna(row.get("risk_ratio")):
            # the risk ratio was just given: what is missing is the ratio per unit of risk
            parts.append(
                tr(
                    "their selection per unit of risk has no interval: too few of their files "
                    "are selected or have a known outcome to set the gap against their risk",
                    lang,
                )
            )
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


def _amplification_figure(
    rows: pd.DataFrame, lang: Lang, *, outreach: bool = False
) -> Figure | None:
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
    labels = dict(plots.WORDS_FR) if lang == "fr" else {}
    ax = None
    if outreach:  # the risk of an outreach audit is an underpayment
        labels["risk_ratio"] = tr("Ratio of underpayment rates (need)", lang)
        ax = _wide_axes(table["label"], len(table))
    axes = plots.plot_amplification(table, ax=ax, words=labels or None)
    return Figure("amplification", _svg(axes), w["figure_caption"], w["figure_alt"])


def _wide_axes(labels: pd.Series[Any], rows: int) -> Any:
    """Axes for the outreach audit's figure: room for the plot beside long group labels (about
    4.5 inches, so that ratio ticks such as "×0,03125" do not overlap) and for its legend on
    one line (its labels are longer than the check's)."""
    from matplotlib.figure import Figure as MplFigure

    longest = max((len(str(label)) for label in labels), default=0)
    width = max(10.0, 3.8 + 0.075 * longest + 4.5)
    return MplFigure(figsize=(width, 1.8 + 0.5 * rows), layout="constrained").subplots()


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
        found[found["verdict"].isin(["beyond_risk", "in_proportion", "selection_gap"])],
        lang,
        outreach=d.get("action") == "outreach",
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
