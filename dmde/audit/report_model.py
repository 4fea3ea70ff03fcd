"""The report's sections about the model: identity, proxies, score gaps, profiles, exclusion.

Present only when the audit had the model: what it is (hash, policy, points), how much of each
attribute its features carry, which features make the groups' score gaps, archetype households,
and the proof that excluded columns do not move the scores.
"""

from __future__ import annotations

from dmde.audit.report_sections import Unavailable, _unavailable
from dmde.audit.report_text import (
    _attribute_name,
    _decimal,
    _feature_label,
    _group_name,
    _int,
    _interval,
    _known,
    _tuples,
)
from dmde.audit.result import AuditResult
from dmde.audit.words import (
    tr,
)
from dmde.core.rendering import (
    Block,
    Column,
    Facts,
    Lang,
    Paragraph,
    Section,
    Table,
)


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
                else tr("two scorecards by period, weighted by the months of the look-back", lang)
                if model["kind"] == "periods"
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
