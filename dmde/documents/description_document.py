"""The model's public description as a document: purpose, target, data, every point, limits.

:func:`description_document` renders a :class:`~dmde.documents.model_description.ModelDescription`
section by section (article L312-1-3 of the Code des relations entre le public et
l'administration); the sections the model card shares with it (training data, performance,
limits) are here too.
"""

from __future__ import annotations

import math
from typing import Any

from dmde._version import __version__
from dmde.core.rendering import (
    Column,
    Document,
    Facts,
    Items,
    Links,
    Paragraph,
    Section,
    Table,
    format_value,
)
from dmde.data.catalog import CATALOG
from dmde.documents.audit_summary import fairness_section
from dmde.documents.model_description import ModelDescription

__all__ = [
    "DESCRIPTION_STEM",
    "MODEL_CARD_STEM",
    "description_document",
    "routing_words",
    "target_label",
]

#: The file names :func:`dmde.documents.describe.write_description` writes in the output
#: folder (stems).
DESCRIPTION_STEM = "description"
MODEL_CARD_STEM = "model-card"


def _fmt(value: Any, fmt: str) -> str:
    return format_value(value, fmt)


def _points_format(description: ModelDescription) -> str:
    return f"num{min(int(description.scaling['decimals']), 3)}"


def _interval(value: float, low: float, high: float, fmt: str) -> str:
    if not math.isfinite(low):
        return _fmt(value, fmt)
    return f"{_fmt(value, fmt)} (95% interval {_fmt(low, fmt)} to {_fmt(high, fmt)})"


def target_label(target: str) -> str:
    """The target in words: the catalog's label of its column, else the column's name."""
    column = CATALOG.get(target)
    return column.label if column is not None else repr(target)


#: The sentences of the description and the model card that depend on the model's action:
#: a check model ranks files by overpayment (indu) for a check, a rights model by underpayment
#: (rappel) for a contact (``dmde train --target rappel_target``).
ACTION_WORDS: dict[str, dict[str, str]] = {
    "check": {
        "purpose": "The model gives each household's benefit file a risk score: how likely a "
        "check is to find an overpayment (indu) as defined below. The files are ranked by "
        "score and the highest scores are proposed for a check by an agent, within the "
        "number of checks the agency can make.",
        "decides": "The score decides nothing about a person's rights: the check does, and its "
        "outcome can be contested. The score is not an estimate of fraud: most "
        "overpayments come from errors or late declarations. A person whose file was "
        "selected can ask which data were used and how each item of their situation "
        "counted (articles L311-3-1 and R311-3-1-2 of the Code des relations entre le "
        "public et l'administration).",
        "budget": "about 166,000 score-driven checks a year among 13.8 million files",
        "hit": "a check chosen by the score finds an overpayment than a check chosen at random",
        "captured": "Share of the overpayments in the selection",
        "limit_target": "The target is an overpayment found by a check, not fraud, and not an "
        "underpayment (rappel): a file the score ranks low can still hold an error against "
        "the household.",
        "limit_income": "Files with more benefits have more occasions of error: the score can "
        "concentrate checks on low-income households. The audit's income bands show whether "
        "it does.",
        "limit_loop": "Checks chosen by the score find overpayments more often, which can look "
        "like a confirmation of the score: only the random-control survey measures the model "
        "without that bias, and it must keep being drawn at random.",
        "use": "to propose the highest for a check by an agent within the agency's budget.",
        "out_of_scope": "Out of scope: deciding a person's rights or a sanction; qualifying "
        "fraud; checks without an agent's review; files of another period, population or "
        "reporting mode than the segments trained on.",
        "metrics": "AUC (ranking quality over all files) and lift at the budget (how much more "
        "often a check chosen by the score finds an overpayment than one chosen at random): "
        "the agency checks only the top of the ranking, so the lift is the figure that "
        "matters for the people checked. Both come with 95% intervals.",
        "burden": "The people concerned are households receiving benefits, often with low "
        "incomes: a check is a burden even when it finds nothing, so who gets checked is "
        "audited group by group.",
        "title": "Model card: benefit-file risk score",
        "description_title": "Public description of the risk-scoring model",
    },
    "outreach": {
        "purpose": "The model gives each household's benefit file a score: how likely a review "
        "of the file is to find an underpayment (rappel: money due and not paid) as defined "
        "below. The files are ranked by score and the highest scores are proposed for a "
        "contact, to verify that the household receives all its rights, within the number of "
        "contacts the agency can make. A contact is not a check.",
        "decides": "The score decides nothing about a person's rights: a contact can neither "
        "reduce nor suspend a benefit, and the household need not answer. A person whose file "
        "was selected can ask which data were used and how each item of their situation "
        "counted (articles L311-3-1 and R311-3-1-2 of the Code des relations entre le public "
        "et l'administration).",
        "budget": "contacts are cheaper than checks; the agency's own share gives its own figures",
        "hit": "a contact chosen by the score reaches a household paid too little than a "
        "contact chosen at random",
        "captured": "Share of the underpayments in the selection",
        "limit_target": "The target is an underpayment (rappel) found by a review of the file, "
        "not an overpayment: the score says nothing of errors against the agency, and a file "
        "it ranks low can still be paid too little.",
        "limit_income": "Households that claim less have fewer traces in their file: the score "
        "can miss those most in need of a contact (non-take-up). The audit's income bands "
        "show who is reached against who is truly underpaid.",
        "limit_loop": "Contacts chosen by the score find underpayments more often, which can "
        "look like a confirmation of the score: only the random-control survey measures the "
        "model without that bias, and it must keep being drawn at random.",
        "use": "to propose the highest for a contact (to verify that the household receives "
        "all its rights) within the agency's budget of contacts.",
        "out_of_scope": "Out of scope: deciding a person's rights; selecting files for a check; "
        "files of another period, population or reporting mode than the segments trained on.",
        "metrics": "AUC (ranking quality over all files) and lift at the budget (how much more "
        "often a contact chosen by the score reaches a household paid too little than one "
        "chosen at random): the agency contacts only the top of the ranking, so the lift is "
        "the figure that matters for the people missed. Both come with 95% intervals.",
        "burden": "The people concerned are households receiving benefits, often with low "
        "incomes: a household the score ranks low is not contacted and may stay paid too "
        "little, so who is reached is audited group by group against who is underpaid.",
        "title": "Model card: benefit-file rights score",
        "description_title": "Public description of the rights-scoring model (outreach)",
    },
}


def action_words(d: ModelDescription, key: str) -> str:
    """The sentence ``key`` of :data:`ACTION_WORDS` for the model's action."""
    return ACTION_WORDS[d.action][key]


def _target_facts(target: str) -> tuple[tuple[str, str], ...]:
    """What the target is (the catalog's definition) and which column holds it."""
    column = CATALOG.get(target)
    if column is None:
        return (("Target column", target),)
    return (("Target", column.description), ("Target column", target))


def _scaling_text(description: ModelDescription) -> str:
    s = description.scaling
    base_points, pdo = _fmt(s["base_points"], "num0"), _fmt(s["pdo"], "num0")
    odds = float(s["base_odds"])
    shown = f"1/{_fmt(1 / odds, 'num0')}" if abs(1 / odds - round(1 / odds)) < 1e-9 else str(odds)
    return (
        f"The score of a file is the intercept's points plus, for each variable, the points of "
        f"the bin its value falls in (points rounded to {s['decimals']} decimals). Higher scores "
        f"mean a higher risk. A score of {base_points} means odds of {shown} (a probability of "
        f"{_fmt(odds / (1 + odds), 'pct1')}), and every {pdo} points double the odds: odds = "
        f"{shown} × 2^((score − {base_points}) / {pdo}), probability = odds / (1 + odds)."
    )


def routing_words(column: str, values: tuple[str, ...] = ()) -> str:
    """The routing column in words, with its values if given: "the income reporting mode
    (income_reporting: declarative, prefilled)"."""
    known = CATALOG.get(column)
    inside = f"{column}: {', '.join(values)}" if values else column
    return f"the {known.label} ({inside})" if known is not None else f"{column!r} ({inside})"


def period_paragraphs(d: ModelDescription) -> tuple[Any, ...]:
    """What a model by period says of its two scorecards and how a month combines them."""
    p = d.periods
    if p is None:
        return ()
    before, after = p["trained_months"]["before"], p["trained_months"]["after"]
    rule = Paragraph(
        f'The model is made of 2 scorecards by period: the "before" scorecard, for the '
        f"months before income pre-filling ({p['reform_month']}), trained on the checked files "
        f'of {before[0]} to {before[1]}; the "after" scorecard, for the months from '
        f"{p['reform_month']}, trained on those of {after[0]} to {after[1]}. A check in a "
        f"month looks back over the {p['window_months']} months before it. Each item's points, "
        "and the starting points, are the average of its points in the two scorecards, each "
        "weighted by the number of months of that window in its period, rounded to the "
        "scaling's decimals; the score is their sum, so it is still a sum of points a notice "
        "can show, and it is the month-weighted average of the two scorecards' scores (and "
        "log-odds) up to that rounding. This combination is an assumption of dmde: the "
        "agency's exact rule is not public. From "
        f'{p["retired"]} the window lies entirely after pre-filling and only the "after" '
        "scorecard scores."
    )
    table = Table(
        (
            Column("month", "Month of the check"),
            Column("window", "Months looked back"),
            Column("before", 'Months before (weight of the "before" scorecard)'),
            Column("after", 'Months after (weight of the "after" scorecard)'),
        ),
        tuple(
            (
                e["month"],
                e["window"],
                f"{e['months']['before']}/{p['window_months']}",
                f"{e['months']['after']}/{p['window_months']}",
            )
            for e in p["examples"]
        ),
        caption="Which scorecard scores which months, and with what weight",
    )
    return (rule, table)


def _purpose_section(d: ModelDescription) -> Section:
    routing = (
        f"The model is made of {len(d.segments)} scorecards, one for each value of "
        f"{routing_words(d.routing_column, tuple(s.name for s in d.segments))}: each file is "
        "scored by the scorecard of its segment."
        if d.routing_column
        else "The model is one scorecard, applied to every file."
    )
    routed = period_paragraphs(d) or (Paragraph(routing),)
    return Section(
        "purpose",
        "Purpose and use",
        (
            Paragraph(action_words(d, "purpose")),
            Paragraph(action_words(d, "decides")),
            *routed,
            Paragraph(
                "dmde runs on synthetic data: this model was trained on synthetic files and its "
                "figures are not those of any agency.",
                "note",
            ),
        ),
    )


def _target_section(d: ModelDescription) -> Section:
    return Section(
        "target",
        "What the score predicts",
        (
            Facts(
                (
                    *_target_facts(d.target),
                    (
                        "Labelled files",
                        "only files checked in the random-control survey (drawn at random, "
                        "stratified, whole file checked over 24 months) have a label",
                    ),
                    ("Rate in the training files", _fmt(_base_rate(d), "pct2")),
                )
            ),
        ),
    )


def _base_rate(d: ModelDescription) -> float:
    rate = d.training.get("weighted_base_rate")
    return float(rate) if isinstance(rate, int | float) else math.nan


def recorded(d: ModelDescription, key: str) -> str:
    value = d.training.get(key)
    return "not recorded" if value is None else str(value)


def training_section(d: ModelDescription) -> Section:
    weights = d.training.get("sum_of_weights")
    facts = (
        ("Files", _fmt(d.rows, "int")),
        ("With the target", _fmt(d.events, "int")),
        ("Files they represent (sum of survey weights)", _fmt(weights, "int")),
        ("Weighted rate of the target", _fmt(_base_rate(d), "pct2")),
        ("Trained on", recorded(d, "date")),
        ("Data file", recorded(d, "data_file")),
        ("SHA-256 of the training rows", recorded(d, "data_sha256")),
    )
    table = Table(
        (
            Column("segment", "Segment"),
            Column("rows", "Files", "int"),
            Column("events", "With the target", "int"),
            Column("rate", "Weighted rate", "pct2"),
            Column("weights", "Files represented", "int"),
            Column("features", "Variables", "int"),
        ),
        tuple(
            (s.name, s.rows, s.events, s.weighted_base_rate, s.sum_of_weights, s.n_features)
            for s in d.segments
        ),
        caption="Training files by segment",
    )
    return Section(
        "training-data",
        "Training data",
        (
            Paragraph(
                "The model was trained on the files of the random-control survey, each weighted "
                "by its survey weight (the survey is stratified) so that the training files "
                "represent all files."
            ),
            Facts(facts),
            table,
        ),
    )


_POINTS_COLUMNS = ("Variable", "Column", "Bin", "Points", "Share of training files", "Rate")


def _variables_sections(d: ModelDescription) -> list[Section]:
    variables = Table(
        (
            Column("column", "Column"),
            Column("label", "Variable"),
            Column("family", "Family"),
            Column("description", "Description"),
            Column("unit", "Unit"),
        ),
        tuple(
            (f, CATALOG[f].label, CATALOG[f].family.value, CATALOG[f].description, CATALOG[f].unit)
            for f in d.features
        ),
        caption=f"The {len(d.features)} columns the model reads",
    )
    out = [
        Section(
            "variables",
            "Variables and points",
            (Paragraph(_scaling_text(d)), variables),
        )
    ]
    fmt = _points_format(d)
    for s in d.segments:
        rows = tuple(
            (
                p.label,
                p.feature if p.feature != "intercept" else "",
                p.bin_label,
                p.points,
                p.share,
                p.event_rate,
            )
            for p in d.points
            if p.segment == s.name
        )
        table = Table(
            (
                Column("label", "Variable"),
                Column("feature", "Column"),
                Column("bin", "Bin"),
                Column("points", "Points", fmt),
                Column("share", "Share of training files", "pct1"),
                Column("rate", "Rate of the target", "pct1"),
            ),
            rows,
            caption=(f"Scorecard of segment {s.name}" if d.routing_column else "Scorecard")
            + ": every bin and its points",
            note="Shares and rates are survey-weighted; a bin without training files "
            "(missing values never seen in training) scores as shown. Bin bounds are rounded "
            "for reading (whole euros, hundredths of a Smic, more digits only where needed to "
            "tell two bins apart); the model file holds the exact bounds.",
        )
        coefficients = Table(
            (
                Column("term", "Term"),
                Column("coefficient", "Coefficient (WoE scale)", "num3"),
                Column("std_error", "Standard error", "num3"),
                Column("ci_low", "95% low", "num3"),
                Column("ci_high", "95% high", "num3"),
            ),
            tuple(
                (c["term"], c["coefficient"], c["std_error"], c["ci_low"], c["ci_high"])
                for c in d.coefficients
                if c["segment"] == s.name
            ),
            caption=f"Logistic regression of segment {s.name}",
            note="Robust (sandwich) standard errors, treating the weights of evidence as fixed: "
            "somewhat too small.",
            collapsed=True,
        )
        title = f"Segment {s.name}" if d.routing_column else "Scorecard"
        if d.periods is not None:
            side = "before" if s.name == "before" else "from"
            title = f"Period {s.name} (months {side} {d.periods['reform_month']})"
        elif d.routing_column:
            title += f" ({d.routing_column} = {s.name})"
        out.append(Section(f"scorecard-{_slug(s.name)}", title, (table, coefficients), level=3))
    return out


def _slug(text: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return slug or "segment"


def _exclusions_section(d: ModelDescription) -> Section:
    table = Table(
        (
            Column("kind", "Rule"),
            Column("family", "Family"),
            Column("columns", "Columns"),
            Column("reason", "Why"),
        ),
        tuple((e.kind, e.family, ", ".join(e.columns), e.reason) for e in d.exclusions),
        caption="Data the model does not read",
    )
    return Section(
        "excluded-data",
        "Data the model does not use, and why",
        (
            Paragraph(
                "The exclusion is enforced, not conventional: training a model on an excluded "
                "column is an error, the model file records the policy and the columns the "
                f"model reads (policy {d.policy['name']!r}), and loading or scoring a file that "
                "names an excluded column fails."
            ),
            table,
            Paragraph(
                "Excluding a column does not exclude what other columns say about it: household "
                "type or benefits can be associated with gender or age. The audit measures "
                "these associations.",
                "note",
            ),
        ),
    )


def auc_table(d: ModelDescription) -> Table:
    aucs = list(d.aucs) + ([d.lift.auc] if d.lift is not None else [])
    return Table(
        (
            Column("name", "Measured on"),
            Column("auc", "AUC", "num3"),
            Column("low", "95% low", "num3"),
            Column("high", "95% high", "num3"),
            Column("pos", "With the target", "int"),
            Column("neg", "Without", "int"),
        ),
        tuple((a.name, a.value, a.low, a.high, a.n_pos, a.n_neg) for a in aucs),
        caption="Discrimination (AUC: the chance that a file with the target scores higher "
        "than one without)",
        note="Hanley-McNeil intervals. On the training rows the counts are unweighted files "
        "(the survey design is ignored, so the intervals are somewhat too narrow); on the "
        "data's random checks they are Kish's effective counts.",
    )


def lift_blocks(d: ModelDescription) -> list[Any]:
    share = _fmt(d.budget_share, "pct1")
    assumption = Paragraph(
        f"Budget: the top {share} of the files are selected. This share is an assumption "
        f"({action_words(d, 'budget')}); the agency's own share gives its own figures."
        if d.action == "check"
        else f"Budget: the top {share} of the files are selected. This share is an assumption "
        f"({action_words(d, 'budget')}).",
        "note",
    )
    lift = d.lift
    if lift is None:
        return [
            assumption,
            Paragraph(
                "The lift at the budget is not given: it needs labelled data that the model "
                "file does not hold (a population file with its random-control sample: "
                "controlled, target, control_weight). Run 'dmde document' with --data.",
                "warning",
            ),
        ]
    facts = Facts(
        (
            ("Data", lift.data),
            ("Files", _fmt(lift.n_files, "int")),
            ("Selected (budget)", _fmt(lift.budget, "int")),
            (
                "Randomly checked files",
                f"{_fmt(lift.n_checked, 'int')} ({_fmt(lift.n_events, 'int')} with the target)",
            ),
            (
                "Of them, selected",
                f"{_fmt(lift.n_checked_selected, 'int')} "
                f"({_fmt(lift.n_events_selected, 'int')} with the target)",
            ),
            ("Rate of the target, all files", _fmt(lift.base_rate, "pct2")),
            (
                "Rate of the target, selected files",
                _interval(lift.hit_rate, lift.hit_low, lift.hit_high, "pct1"),
            ),
            ("Lift at the budget", _interval(lift.lift, lift.lift_low, lift.lift_high, "num2")),
            (
                action_words(d, "captured"),
                _interval(lift.captured, lift.captured_low, lift.captured_high, "pct1"),
            ),
        )
    )
    blocks: list[Any] = [
        assumption,
        Paragraph(
            f"The top {share} of the files of {lift.data} are selected as 'dmde select' does. "
            "Among the files of its random-control sample (survey-weighted), the rate of the "
            "target among those selected, divided by the rate among all, is the lift: how many "
            f"times more often {action_words(d, 'hit')}. Intervals: {lift.n_boot} bootstrap "
            "resamples of the checked "
            f"files (seed {lift.seed}), 95% percentile."
        ),
        facts,
    ]
    if lift.n_checked_selected < 30:
        blocks.append(
            Paragraph(
                f"Only {lift.n_checked_selected} randomly checked files are in the selection: "
                "the lift is uncertain (see its interval).",
                "warning",
            )
        )
    if lift.same_name_as_training:
        blocks.append(
            Paragraph(
                "The data file has the name of the training file: if it holds the training "
                "rows, these figures are measured in sample and are optimistic.",
                "warning",
            )
        )
    return blocks


def _performance_section(d: ModelDescription) -> Section:
    blocks: list[Any] = []
    if d.aucs or d.lift is not None:
        blocks.append(auc_table(d))
    else:
        blocks.append(Paragraph("The model file records no AUC.", "warning"))
    blocks += lift_blocks(d)
    return Section("performance", "Performance", tuple(blocks))


def limits(d: ModelDescription) -> tuple[str, ...]:
    items = [
        action_words(d, "limit_target"),
        f"Labels exist only for the {_fmt(d.rows, 'int')} randomly checked files "
        f"({_fmt(d.events, 'int')} with the target): the points of rare situations rest on few "
        "files.",
        "The columns the model reads can carry part of what the excluded columns say "
        "(proxies): the exclusion removes the columns, not every association with them.",
        action_words(d, "limit_income"),
        action_words(d, "limit_loop"),
        "The model describes the period it was trained on; households' situations and the "
        "rules change (pre-filled income reporting since March 2025). It must be re-evaluated "
        "on each year's random-control survey and its changes reviewed ('dmde diff').",
        "The standard errors treat the weights of evidence as fixed: they are somewhat too small.",
    ]
    for s in d.segments:
        if s.shrinkage != 1.0:
            items.append(
                f"Segment {s.name}: the regression's log-odds were shrunk by the factor "
                f"{s.shrinkage:.3g} and its intercept refitted (a correction of overconfidence "
                "measured by cross-validation): the points are smaller than the regression's "
                "and the predicted rates less spread out; the ranking of the files is the "
                "regression's."
            )
        if s.events < 100:
            items.append(
                f"Segment {s.name} was trained on {s.events} files with the target: its points "
                "are uncertain."
            )
    train, cv = d.training.get("auc_train"), d.training.get("auc_cv")
    if isinstance(train, int | float) and isinstance(cv, int | float) and train - cv > 0.02:
        items.append(
            f"The AUC on the training rows ({_fmt(train, 'num3')}) exceeds the cross-validated "
            f"AUC ({_fmt(cv, 'num3')}): the model fits its training files better than new "
            "ones; rely on the cross-validated figure."
        )
    return tuple(items)


def _limits_section(d: ModelDescription) -> Section:
    return Section("limits", "Limits and known risks", (Items(limits(d)),))


def _version_facts(d: ModelDescription) -> Facts:
    return Facts(
        (
            ("Model file", d.name),
            ("SHA-256 of the model file's content", d.sha256),
            ("Written by dmde", d.dmde_version),
            ("Model file format version", str(d.format_version)),
            ("Feature policy", str(d.policy["name"])),
            ("Described by dmde", __version__),
        )
    )


def _version_section(d: ModelDescription) -> Section:
    return Section(
        "version",
        "Version and integrity",
        (
            _version_facts(d),
            Paragraph(
                "The hash covers everything in the model file but the hash itself (canonical "
                "JSON): dmde refuses to load a file whose content does not match it, and every "
                "scoring run records the hash of the model that scored."
            ),
        ),
    )


def document_meta(d: ModelDescription) -> tuple[tuple[str, str], ...]:
    return (("Model file", d.name), ("SHA-256", d.sha256), ("Policy", str(d.policy["name"])))


def description_document(description: ModelDescription) -> Document:
    """The public description (L312-1-3): purpose, target, data, every point, limits."""
    d = description
    sections = [
        _purpose_section(d),
        _target_section(d),
        training_section(d),
        *_variables_sections(d),
        _exclusions_section(d),
        _performance_section(d),
        fairness_section(d),
        _limits_section(d),
        _version_section(d),
        Section(
            "model-card",
            "Model card",
            (Links((("The model card of this model", f"{MODEL_CARD_STEM}.html"),)),),
        ),
    ]
    return Document(
        kind="model-description",
        title=action_words(d, "description_title"),
        subtitle="The rules of the algorithm and its main characteristics (article L312-1-3 "
        "of the Code des relations entre le public et l'administration).",
        sections=tuple(sections),
        meta=document_meta(d),
        data=d.to_dict(),
    )
