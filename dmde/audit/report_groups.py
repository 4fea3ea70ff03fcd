"""The report's group sections: selection, each attribute's table and figure, intersections.

For every attribute, the group metrics with their intervals and comparisons with the reference
group, the error rates when there are labels; then pairs of attributes, and the economic
situation (income bands), each with its figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dmde.audit import plots
from dmde.audit.metric_definitions import SEPARATOR
from dmde.audit.report_sections import Unavailable, _unavailable
from dmde.audit.report_text import (
    METRIC_NAMES,
    _attribute_name,
    _capital,
    _cell,
    _disparity,
    _group_name,
    _groups_of,
    _int,
    _interval,
    _known,
    _metric_name,
    _metric_wide,
    _num,
    _p,
    _plot_options,
    _singles,
    _svg,
    _tuples,
)
from dmde.audit.result import AuditResult
from dmde.audit.run import ALL_FILES
from dmde.audit.words import (
    attribute_label,
    group_label,
    tr,
)
from dmde.core.rendering import (
    Block,
    Column,
    Facts,
    Figure,
    Lang,
    Paragraph,
    Section,
    Table,
)


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
    if not plots.income_panels(g.metrics, attribute=attribute):
        blocks.append(
            Paragraph(
                tr(
                    "No chart by income band: every band's selection rate, precision and mean "
                    "score is suppressed, with fewer than {min_cell} files per band.",
                    lang,
                    min_cell=g.method["min_cell"],
                ),
                "note",
            )
        )
        return Section("economic", tr("Economic situation", lang), tuple(blocks))
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
