"""The words of the audit report, in English and French: one set of strings, the same numbers.

The committee reads French; an outside auditor may read English. Every sentence of the
findings and every verdict label comes from :data:`STRINGS` (format strings with named fields);
every other string of the report (the appendix: titles, tables, notes, method, glossary) is
written in English in :mod:`dmde.audit.report` and passed through :func:`tr`, which takes its
French from :data:`FRENCH` (gettext-style: the English is the key). Every number comes from
:func:`dmde.core.rendering.format_value` in the language's conventions. Groups are named by their
labels (:data:`GROUP_ATTRIBUTES`), never by their codes; a ratio below 1 is written "N times
less often", never "0.3 times as often".
"""

from __future__ import annotations

import math
from typing import Any

from dmde.audit.french_report import FRENCH_SECTIONS
from dmde.audit.french_terms import FRENCH_TERMS
from dmde.audit.metric_definitions import SEPARATOR
from dmde.audit.targeting import GROUP_ATTRIBUTES
from dmde.core.errors import DmdeError
from dmde.core.rendering import Lang, format_value

__all__ = [
    "FRENCH",
    "STRINGS",
    "VERDICT_LABELS",
    "MissingTranslationError",
    "attribute_label",
    "group_label",
    "interval",
    "ratio_phrase",
    "ratio_words",
    "tr",
    "words",
]

#: Verdict classes of :mod:`dmde.audit.findings`, as the report names them.
VERDICT_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "beyond_risk": "selected beyond their risk (amplified)",
        "in_proportion": "selected in proportion to their risk",
        "selection_gap": "a selection difference not settled against risk",
        "composition_shift": "a shift in who is checked",
        "unequal_errors": "unequal errors",
        "interaction": "an intersection that its two attributes do not explain",
    },
    "fr": {
        "beyond_risk": "sélection au-delà du risque (amplifiée)",
        "in_proportion": "sélection proportionnée au risque",
        "selection_gap": "écart de sélection non rapporté au risque",
        "composition_shift": "changement de composition des contrôles",
        "unequal_errors": "erreurs inégales",
        "interaction": "intersection que ses deux attributs n'expliquent pas",
    },
}

#: Every other string of the findings, by language.
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "findings": "Findings",
        "outcome": "overpayment",
        "rate_of": "rate of {outcome}",
        "lead": (
            "This audit compares the {selected} files selected by the score with the {rows} "
            "files {population}{labels}. It reached {count}."
        ),
        "lead_checked": (
            "Every row of this table was checked: it is not a population, so selection rates "
            "cannot be computed. The audit compares who the score's {selected} checks were "
            "with who the {random} random checks were, and what each kind of check found{labels}. "
            "It reached {count}."
        ),
        "population": "of the population",
        "with_labels": ", with outcomes from {source}",
        "count_none": "no finding",
        "ranked": "The most important come first; every figure has its 95% interval.",
        "count_one": "1 finding",
        "count_many": "{n} findings",
        "none": (
            "No finding: {tested} comparisons were tested (one correction for all of them) and "
            "none differs by more than the band ({low}–{high}) with certainty. This is not a "
            "proof of fairness: small groups are suppressed and the intervals say how large a "
            "difference the data could have missed."
        ),
        "more_findings": "{n} further findings are listed in the appendix table below.",
        "untested": (
            "Nothing could be tested: no comparison between groups had enough files (at least "
            "{min_cell} per cell) and a reference to compare with. This is not an all-clear."
        ),
        "single_group": (
            "{attributes}: a single group in this table, so there is nothing to compare."
        ),
        "ties": (
            "{tied} files share the score at the budget's cut; which of them were selected was "
            "decided by {rule}."
        ),
        "how_to_read": (
            "A finding is a difference large enough to matter (outside {low}–{high}) and "
            "unlikely to be chance (adjusted p below {alpha}); it says where to look, not why. "
            "Tables, methods and every tested difference follow as the appendix."
        ),
        "all_findings": "Every finding, group by group",
        "finding_head": "{attribute}: {verdict}.",
        "selected_as": "{group} are selected {ratio} {reference} {ci}",
        "risk_is": "while their {rate} is {ratio} {ci}",
        "beyond": "{ratio} than their risk alone would give {ci}",
        "in_proportion": "in proportion to their risk (selection per unit of risk: {ratio} {ci})",
        "unsettled": (
            "the data cannot tell whether this goes beyond their risk (selection per unit of "
            "risk: {ratio} {ci})"
        ),
        "no_risk": "without outcomes for this group, it cannot be set against their risk",
        "composition": (
            "{group} make up {score_share} of the score's checks against {random_share} of "
            "random checks: the score checks their files {ratio} other files {ci}"
        ),
        "interaction": (
            "{group} are selected at {observed}, {ratio} what their two attributes predict on "
            "their own ({expected}) {ci}"
        ),
        "error.fpr": "when they have no {outcome}, {group} are selected {ratio} {reference} {ci}",
        "error.false_positive_burden": (
            "of checks that find nothing, per 1,000 files, {group} bear {ratio} {reference} {ci}"
        ),
        "error.precision": (
            "when selected, {group} are found with an {outcome} {ratio} {reference} {ci}"
        ),
        "error.fnr": "when they have an {outcome}, {group} are missed {ratio} {reference} {ci}",
        "both_sides": "Read together: {items}.",
        "more_often": "{r} times as often as",
        "less_often": "{r} times less often than",
        "more": "{r} times more often",
        "less": "{r} times less often",
        "as_many": "{r} times as many as",
        "fewer": "{r} times fewer than",
        "higher": "{r} times higher",
        "lower": "{r} times lower",
        "ratio_of": "{r} times",
        "figure_caption": (
            "Selection ratio and risk ratio of each group against its reference: when the two "
            "markers stand apart, the group is selected beyond (or below) its risk."
        ),
        "figure_alt": "Dot plot of selection and risk ratios by group, log scale.",
        "interval": "[{low} – {high}]",
    },
    "fr": {
        "findings": "Constats",
        "outcome": "indu",
        "rate_of": "taux d'{outcome}",
        "lead": (
            "Cet audit compare les {selected} dossiers sélectionnés par le score aux {rows} "
            "dossiers {population}{labels}. Il aboutit à {count}."
        ),
        "lead_checked": (
            "Chaque ligne de cette table a été contrôlée : ce n'est pas une population, les "
            "taux de sélection ne peuvent pas être calculés. L'audit compare qui étaient les "
            "{selected} contrôles du score et les {random} contrôles aléatoires, et ce que "
            "chacun a trouvé{labels}. Il aboutit à {count}."
        ),
        "population": "de la population",
        "with_labels": ", avec les résultats issus de {source}",
        "count_none": "aucun constat",
        "ranked": "Les plus importants viennent d'abord ; chaque chiffre a son intervalle à 95 %.",
        "count_one": "1 constat",
        "count_many": "{n} constats",
        "none": (
            "Aucun constat : {tested} comparaisons ont été testées (une seule correction pour "
            "toutes) et aucune ne s'écarte avec certitude de plus que la bande ({low}–{high}). "
            "Ce n'est pas une preuve d'équité : les petits groupes sont masqués et les "
            "intervalles disent quelle différence les données ont pu manquer."
        ),
        "more_findings": "{n} autres constats figurent dans le tableau en annexe ci-dessous.",
        "untested": (
            "Rien n'a pu être testé : aucune comparaison entre groupes n'avait assez de "
            "dossiers (au moins {min_cell} par case) et une référence. Ce n'est pas un "
            "satisfecit."
        ),
        "single_group": "{attributes} : un seul groupe dans cette table, rien à comparer.",
        "ties": (
            "{tied} dossiers ont le score de la coupure du budget ; lesquels ont été "
            "sélectionnés a été décidé par {rule}."
        ),
        "how_to_read": (
            "Un constat est une différence assez grande pour compter (hors de {low}–{high}) et "
            "peu probable par hasard (p ajustée sous {alpha}) ; il dit où regarder, pas "
            "pourquoi. Les tableaux, la méthode et toutes les différences testées suivent en "
            "annexe."
        ),
        "all_findings": "Tous les constats, groupe par groupe",
        "finding_head": "{attribute} : {verdict}.",
        "selected_as": (
            "les dossiers des {group} sont sélectionnés {ratio} ceux des {reference} {ci}"
        ),
        "risk_is": "alors que leur {rate} est {ratio} {ci}",
        "beyond": "{ratio} que leur seul risque ne le donnerait {ci}",
        "in_proportion": (
            "en proportion de leur risque (sélection par unité de risque : {ratio} {ci})"
        ),
        "unsettled": (
            "les données ne permettent pas de dire si cela dépasse leur risque (sélection par "
            "unité de risque : {ratio} {ci})"
        ),
        "no_risk": (
            "sans résultats de contrôle pour ce groupe, l'écart ne peut être rapporté au risque"
        ),
        "composition": (
            "les {group} représentent {score_share} des contrôles du score contre "
            "{random_share} des contrôles aléatoires : le score contrôle leurs dossiers "
            "{ratio} les autres dossiers {ci}"
        ),
        "interaction": (
            "les dossiers des {group} sont sélectionnés à {observed}, {ratio} ce que leurs "
            "deux attributs prédisent seuls ({expected}) {ci}"
        ),
        "error.fpr": (
            "sans {outcome}, les dossiers des {group} sont sélectionnés {ratio} ceux des "
            "{reference} {ci}"
        ),
        "error.false_positive_burden": (
            "en contrôles sans résultat pour 1 000 dossiers, les {group} en subissent {ratio} "
            "{reference} {ci}"
        ),
        "error.precision": (
            "une fois sélectionnés, les dossiers des {group} révèlent un {outcome} {ratio} "
            "ceux des {reference} {ci}"
        ),
        "error.fnr": (
            "avec un {outcome}, les dossiers des {group} sont manqués {ratio} ceux des "
            "{reference} {ci}"
        ),
        "both_sides": "À lire ensemble : {items}.",
        "more_often": "{r} fois plus souvent que",
        "less_often": "{r} fois moins souvent que",
        "more": "{r} fois plus souvent",
        "less": "{r} fois moins souvent",
        "as_many": "{r} fois plus que les",
        "fewer": "{r} fois moins que les",
        "higher": "{r} fois plus élevé",
        "lower": "{r} fois plus faible",
        "ratio_of": "{r} fois",
        "figure_caption": (
            "Rapport de sélection et rapport de risque de chaque groupe à sa référence : quand "
            "les deux marques s'écartent, le groupe est sélectionné au-delà (ou en deçà) de son "
            "risque."
        ),
        "figure_alt": "Graphique des rapports de sélection et de risque par groupe, échelle log.",
        "interval": "[{low} – {high}]",
    },
}


class MissingTranslationError(DmdeError, LookupError):
    """A string of the report has no French in :data:`FRENCH` (a mistake in dmde, not in data)."""


#: The report's appendix in French: each English string (a format template with ``{fields}``)
#: and its translation, with the same fields. :func:`tr` reads it; the tests check that every
#: string of :mod:`dmde.audit.report` is here and that nothing here is unused.
FRENCH: dict[str, str] = {**FRENCH_SECTIONS, **FRENCH_TERMS}


def tr(text: str, lang: Lang, **fields: Any) -> str:
    """``text`` (English, a format template) in ``lang``, with its ``fields`` filled in.

    French comes from :data:`FRENCH`; numbers are formatted by the caller, in ``lang``.

    >>> tr("Selection rate by {attribute}, with 95% intervals.", "fr", attribute="sexe")
    'Taux de sélection par groupe (sexe), avec intervalles à 95 %.'
    >>> tr("{n} files", "en", n="1,234")
    '1,234 files'
    """
    if lang == "fr":
        if text not in FRENCH:
            raise MissingTranslationError(
                f"no French for the report string {text!r}: add it to FRENCH in "
                "dmde/audit/words.py."
            )
        text = FRENCH[text]
    return text.format(**fields) if fields else text


def words(lang: Lang) -> dict[str, str]:
    """The strings of one language (English for anything but ``"fr"``)."""
    return STRINGS["fr" if lang == "fr" else "en"]


def attribute_label(attribute: str, lang: Lang = "en") -> str:
    """An attribute's label (each part of an intersection), or its name if not declared."""
    parts = attribute.split(SEPARATOR)
    index = 1 if lang == "fr" else 0
    return SEPARATOR.join(
        GROUP_ATTRIBUTES[p].label[index] if p in GROUP_ATTRIBUTES else p for p in parts
    )


def group_label(attribute: str, group: str, lang: Lang = "en") -> str:
    """A group's label, e.g. "lone parents" (each part of an intersection), else its code."""
    names = attribute.split(SEPARATOR)
    levels = group.split(SEPARATOR)
    if len(names) != len(levels):
        return group
    return SEPARATOR.join(
        GROUP_ATTRIBUTES[n].level_label(level, lang) if n in GROUP_ATTRIBUTES else level
        for n, level in zip(names, levels, strict=True)
    )


def _digits(ratio: float) -> str:
    return "num1" if ratio >= 10 else "num2"


def ratio_words(ratio: float, lang: Lang, *, more: str, less: str) -> str:
    """A ratio in words: ``more`` (with r = ratio) at or above 1, ``less`` (r = 1/ratio) below.

    >>> ratio_words(0.25, "en", more="{r} times as often as", less="{r} times less often than")
    '4.00 times less often than'
    >>> ratio_words(2.5, "fr", more="{r} fois plus souvent", less="{r} fois moins souvent")
    '2,50 fois plus souvent'
    """
    if not math.isfinite(ratio) or ratio <= 0:
        return format_value(None, lang=lang)
    if ratio >= 1:
        return more.format(r=format_value(ratio, _digits(ratio), lang=lang))
    inverse = 1 / ratio
    return less.format(r=format_value(inverse, _digits(inverse), lang=lang))


def interval(low: float, high: float, lang: Lang, fmt: str = "num2") -> str:
    """An interval in brackets, each bound formatted with ``fmt``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    a, b = format_value(low, fmt, lang=lang), format_value(high, fmt, lang=lang)
    return words(lang)["interval"].format(low=a, high=b)


def ratio_phrase(
    ratio: float, low: float, high: float, lang: Lang, *, more: str, less: str
) -> tuple[str, str]:
    """A ratio in words and its interval in the same direction (inverted below 1).

    >>> ratio_phrase(0.25, 0.2, 0.3, "en", more="{r} times as", less="{r} times less often than")
    ('4.00 times less often than', '[3.33 – 5.00]')
    """
    text = ratio_words(ratio, lang, more=more, less=less)
    if not math.isfinite(ratio) or ratio <= 0:
        return text, ""
    if ratio >= 1:
        return text, interval(low, high, lang, _digits(max(high, 1.0)))
    lo = 1 / high if high > 0 else math.inf
    hi = 1 / low if low > 0 else math.inf
    return text, interval(lo, hi, lang, _digits(max(hi if math.isfinite(hi) else 10, 1.0)))
