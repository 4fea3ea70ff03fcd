"""The report's frame: summary, hit rates, random checks, calibration, data, method, glossary.

Sections that cannot be computed from the inputs return an :class:`Unavailable` (its title and
why), which the method section names once among the limits instead of showing an empty table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dmde.audit import plots
from dmde.audit.metric_definitions import METRIC_DEFINITIONS, SEPARATOR
from dmde.audit.report_text import (
    GLOSSARY,
    _attribute_name,
    _g,
    _group_name,
    _int,
    _interval,
    _known,
    _metric_name,
    _plot_options,
    _singles,
    _svg,
    _tuples,
)
from dmde.audit.result import AuditResult
from dmde.audit.targeting import ATTRIBUTE_SOURCES
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
    Items,
    Kind,
    Lang,
    Paragraph,
    Section,
    Table,
    format_value,
)

__all__ = ["Unavailable"]


# --------------------------------------------------------------------------------------------
# Sections


def _summary(result: AuditResult, lang: Lang) -> Section:
    g = result.groups
    tested = int(g.disparities["tested"].sum())
    flags = result.flags
    outreach = result.data.get("action") == "outreach"
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

        def named(metric: str) -> str:  # an outreach audit's outcome is an underpayment
            if outreach and metric == "base_rate":
                return tr("Underpayment rate", lang)
            if outreach and metric == "precision":
                return tr("Precision (contacts with an underpayment)", lang)
            if outreach and metric == "false_positive_burden":
                return tr("Contacts finding nothing per 1,000 files", lang)
            return _metric_name(metric, lang)

        listed = ", ".join(
            tr("{metric}: {count}", lang, metric=named(str(m)).lower(), count=int(n))
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
                "not by itself proof of unfair treatment: read it beside the groups' "
                "underpayment rates and the share of their contacts that find money due, and "
                "the proxies section, which says which of the model's features produce the "
                "difference.",
                lang,
            )
            if outreach
            else tr(
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
    engine = result.data.get("engine")
    if engine:  # dmde audit --engine duckdb: what was computed from aggregates, sampled, left out
        facts.append((tr("Engine", lang), _known(str(engine["computed"]), lang)))
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


def _actions_section(result: AuditResult, lang: Lang) -> Section | None:
    """Both actions side by side (checks and outreach contacts, against overpayments and
    underpayments), when the audit carries them (``data["actions"]``, from
    :func:`dmde.audit.outreach_audit.actions_side_by_side`); None otherwise (no section, and
    nothing said in the limits: most audits have one action)."""
    records = result.data.get("actions")
    if not records:
        return None
    pct = "pct1"
    blocks: list[Block] = [
        Paragraph(
            tr(
                "The agency has two actions after the ranking: a check (the overpayment model's "
                "selection) or a contact to verify that the household receives all its rights "
                "(outreach, the rights model's selection). For each group, the share of the "
                "checks and of the contacts it receives, against its share of the households "
                "overpaid (overpayment of 600 EUR over 6 months or more) and underpaid "
                "(underpayment of 300 EUR over 3 months or more), both estimated from the "
                "random-control sample weighted by the survey. A group whose share of checks "
                "exceeds its share of overpayments is checked more than its overpayments "
                "warrant; a group whose share of contacts falls short of its share of "
                "underpayments is helped less than its underpayments call for.",
                lang,
            )
        )
    ]
    frame = pd.DataFrame(records)
    for attribute, part in frame.groupby("attribute", sort=False):
        rows = tuple(
            (
                _group_name(str(attribute), str(r["group"]), lang),
                format_value(float(r["share_files"]), pct, lang=lang),
                format_value(float(r["share_checks"]), pct, lang=lang),
                format_value(float(r["share_overpaid"]), pct, lang=lang),
                format_value(float(r["share_contacts"]), pct, lang=lang),
                format_value(float(r["share_underpaid"]), pct, lang=lang),
            )
            for r in part.to_dict("records")
        )
        blocks.append(
            Table(
                (
                    Column("group", tr("Group", lang)),
                    Column("files", tr("Share of files", lang)),
                    Column("checks", tr("Share of checks", lang)),
                    Column("overpaid", tr("Share of overpayments", lang)),
                    Column("contacts", tr("Share of outreach contacts", lang)),
                    Column("underpaid", tr("Share of underpayments", lang)),
                ),
                rows,
                caption=tr(
                    "Who is checked, who is helped, by {attribute}",
                    lang,
                    attribute=_attribute_name(str(attribute), lang),
                ),
            )
        )
    return Section("actions", tr("Checks and outreach, side by side", lang), tuple(blocks))
