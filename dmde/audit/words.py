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

from dmde.audit.metrics import SEPARATOR
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
FRENCH: dict[str, str] = {
    # The document, section titles and words used across tables
    "Audit of the control-targeting score": "Audit du score de ciblage des contrôles",
    "Audit of a selection": "Audit d'une sélection",
    "Who is selected for a check, how fairly, and with what certainty.": (
        "Pour le comité d'éthique : qui est sélectionné pour un contrôle, avec quelle équité, "
        "avec quelle certitude."
    ),
    "Findings": "Constats",
    "At a glance: every test, the exclusion proof, proxies": (
        "En bref : tous les tests, la preuve d'exclusion, les proxies"
    ),
    "Hit rate by selection method": "Taux de réussite par mode de sélection",
    "Selection": "Sélection",
    "Groups": "Groupes",
    "Intersections": "Intersections",
    "Economic situation": "Situation économique",
    "Selection against random checks": "Sélection face aux contrôles aléatoires",
    "Calibration": "Calibration",
    "Proxies": "Variables indirectes (proxies)",
    "Profiles": "Profils",
    "Exclusion proof": "Preuve d'exclusion",
    "Model identity": "Identité du modèle",
    "Data": "Données",
    "Method and limits": "Méthode et limites",
    "Glossary": "Glossaire",
    "suppressed": "masqué",
    "suppressed (n={n})": "masqué (n={n})",
    "reference": "référence",
    "FLAG": "ALERTE",
    "; ": " ; ",
    "{metric} [95%]": "{metric} [95 %]",
    "{attribute}: {group}": "{attribute} : {group}",
    "{n} files": "{n} dossiers",
    "{low} to {high}": "de {low} à {high}",
    "none": "aucune",
    "not from a file": "pas issu d'un fichier",
    "Attribute": "Attribut",
    "Attributes": "Attributs",
    "Group": "Groupe",
    "Reference": "Référence",
    "Files": "Dossiers",
    "Metric": "Indicateur",
    "Ratio": "Rapport",
    "Ratio [95%]": "Rapport [95 %]",
    "Adjusted p": "p ajustée",
    "Flag": "Alerte",
    "Selection rate": "Taux de sélection",
    "Feature": "Variable",
    "Score": "Score",
    # Findings (the table under the findings; the sentences are in STRINGS)
    "Verdict": "Verdict",
    "In words": "En clair",
    # At a glance
    (
        "This report audits the selection of {selected} files by the score among {rows} files, "
        "for {attributes} group attributes{pairwise}. {tested} differences between groups were "
        "tested; {flagged} are flagged (ratio outside {low}–{high} and adjusted p-value below "
        "{alpha}, {correction})."
    ): (
        "Ce rapport audite la sélection de {selected} dossiers par le score parmi {rows} "
        "dossiers, pour {attributes} attributs de groupe{pairwise}. {tested} différences entre "
        "groupes ont été testées ; {flagged} déclenchent une alerte (rapport hors de "
        "{low}–{high} et p ajustée sous {alpha}, {correction})."
    ),
    " and their pairwise intersections": " et leurs intersections deux à deux",
    "{metric}: {count}": "{metric} : {count}",
    "Flags by metric (all attributes and intersections): {listed}.": (
        "Alertes par indicateur (tous attributs et intersections) : {listed}."
    ),
    (
        "Exclusion proof: after shuffling every column the model may not read ({columns} "
        "columns, {rows} files), every score was recomputed identical."
    ): (
        "Preuve d'exclusion : après mélange de chaque colonne que le modèle ne peut pas lire "
        "({columns} colonnes, {rows} dossiers), chaque score recalculé est identique."
    ),
    (
        "Exclusion proof: after shuffling every column the model may not read ({columns} "
        "columns, {rows} files), every score was recomputed DIFFERENT: the model reads them."
    ): (
        "Preuve d'exclusion : après mélange de chaque colonne que le modèle ne peut pas lire "
        "({columns} colonnes, {rows} dossiers), les scores recalculés sont DIFFÉRENTS : le "
        "modèle les lit."
    ),
    (
        "Strongest proxy among the attributes the model may not read: its features predict "
        "'{group}' ({attribute}) with a cross-validated AUC of {auc} (0.5 = no information). "
        "See 'Proxies'."
    ): (
        "Proxy le plus fort parmi les attributs que le modèle ne peut pas lire : ses variables "
        "reconnaissent « {group} » ({attribute}) avec une AUC en validation croisée de {auc} "
        "(0,5 = aucune information). Voir « Variables indirectes (proxies) »."
    ),
    (
        "A flag is a difference large enough to matter and unlikely to be chance. It is not by "
        "itself proof of unfair treatment: read it beside the groups' overpayment rates and the "
        "precision of their checks, and the proxies section, which says which of the model's "
        "features produce the difference."
    ): (
        "Une alerte est une différence assez grande pour compter et peu probable par hasard. "
        "Elle n'est pas à elle seule la preuve d'un traitement injuste : elle se lit à côté des "
        "taux d'indu des groupes et de la précision de leurs contrôles, et de la section des "
        "proxies, qui dit quelles variables du modèle produisent la différence."
    ),
    # Hit rates
    "Hit rates by selection method need outcomes (labels).": (
        "Les taux de réussite par mode de sélection demandent les résultats des contrôles."
    ),
    "random checks": "contrôles aléatoires",
    "selected by the score": "sélectionnés par le score",
    "other checks": "autres contrôles",
    (
        "The share of checks that found something, by how the files were chosen: the comparison "
        "that says whether the score finds more than chance."
    ): (
        "La part des contrôles qui ont trouvé quelque chose, selon la façon dont les dossiers "
        "ont été choisis : la comparaison qui dit si le score trouve davantage que le hasard."
    ),
    "Selection method": "Mode de sélection",
    "Checks": "Contrôles",
    "With an outcome": "Avec un résultat",
    "Hit rate [95%]": "Taux de réussite [95 %]",
    "Hit rate by selection method (Wilson 95% intervals)": (
        "Taux de réussite par mode de sélection (intervalles de Wilson à 95 %)"
    ),
    # Selection
    (
        "Every row of the table was checked: there is no population to select from, so no "
        "selection rate; the findings compare the score's checks with random checks."
    ): (
        "Chaque ligne de la table a été contrôlée : il n'y a pas de population où sélectionner, "
        "donc pas de taux de sélection ; les constats comparent les contrôles du score aux "
        "contrôles aléatoires."
    ),
    "Selected": "Sélectionnés",
    "Selected by the score": "Sélectionnés par le score",
    "Selected at random": "Sélectionnés au hasard",
    "Lowest score selected": "Plus bas score sélectionné",
    "Score range": "Étendue des scores",
    "All files [95%]": "Tous les dossiers [95 %]",
    "National figures: every group below is read against these": (
        "Chiffres nationaux : chaque groupe ci-dessous se lit par rapport à eux"
    ),
    (
        "Only the files selected by the score are 'selected' in the group metrics; files drawn "
        "at random are the score's point of comparison."
    ): (
        "Seuls les dossiers sélectionnés par le score comptent comme « sélectionnés » dans les "
        "indicateurs par groupe ; les dossiers tirés au hasard sont le point de comparaison du "
        "score."
    ),
    # Groups
    (
        "For each attribute, each group's share of all files and of the selected files, its "
        "selection rate and its ratio to the reference group, with 95% intervals. A ratio of 2 "
        "means the group's files are selected twice as often."
    ): (
        "Pour chaque attribut, la part de chaque groupe dans l'ensemble des dossiers et dans les "
        "dossiers sélectionnés, son taux de sélection et son rapport au groupe de référence, "
        "avec des intervalles à 95 %. Un rapport de 2 signifie que les dossiers du groupe sont "
        "sélectionnés deux fois plus souvent."
    ),
    (
        "Every row of this table was checked, so there are no selection rates: each group's "
        "share of checks by method is in 'Selection against random checks'; below, what the "
        "checks found, by group."
    ): (
        "Chaque ligne de cette table a été contrôlée, il n'y a donc pas de taux de sélection : "
        "la part de chaque groupe dans les contrôles, par mode, figure dans « Sélection face aux "
        "contrôles aléatoires » ; ci-dessous, ce que les contrôles ont trouvé, par groupe."
    ),
    "Share of files [95%]": "Part des dossiers [95 %]",
    "Share of selected [95%]": "Part des sélectionnés [95 %]",
    "Selection rate [95%]": "Taux de sélection [95 %]",
    "Ratio to {reference} [95%]": "Rapport à la référence ({reference}) [95 %]",
    "Mean score [95%]": "Score moyen [95 %]",
    "{attribute}: selection by the score": "{attribute} : sélection par le score",
    "Burden flag": "Alerte sur la charge",
    "{attribute}: what the checks find": "{attribute} : ce que trouvent les contrôles",
    "Estimated on the labelled files; see 'Data' for where the labels come from.": (
        "Estimé sur les dossiers avec un résultat de contrôle ; voir « Données » pour l'origine "
        "de ces résultats."
    ),
    "Selection rate by {attribute}, with 95% intervals.": (
        "Taux de sélection par groupe ({attribute}), avec intervalles à 95 %."
    ),
    "Chart of the selection rate of each {attribute} group.": (
        "Graphique du taux de sélection de chaque groupe ({attribute})."
    ),
    (
        "Share of each {attribute} group's files in each national score decile (the dashed "
        "line, 10%, is what no difference would look like)."
    ): (
        "Part des dossiers de chaque groupe ({attribute}) dans chaque décile national du score "
        "(la ligne pointillée, 10 %, correspond à l'absence de différence)."
    ),
    "Chart of the score distribution of each {attribute} group by decile.": (
        "Graphique de la distribution du score de chaque groupe ({attribute}) par décile."
    ),
    # Intersections
    "Every row of the table was checked: intersections of selection rates do not apply.": (
        "Chaque ligne de la table a été contrôlée : les intersections de taux de sélection ne "
        "s'appliquent pas."
    ),
    "Intersections were not audited.": "Les intersections n'ont pas été auditées.",
    (
        "Selection rate of every intersection against its reference, flagged first, then by "
        "size of the difference"
    ): (
        "Taux de sélection de chaque intersection face à sa référence, alertes d'abord, puis par "
        "ampleur de la différence"
    ),
    (
        "{groups} intersection groups; {suppressed} have fewer than {min_cell} files and are "
        "suppressed (not shown, never tested). {flagged} selection-rate differences are flagged."
    ): (
        "{groups} groupes d'intersection ; {suppressed} ont moins de {min_cell} dossiers et sont "
        "masqués (ni affichés, ni testés). {flagged} différences de taux de sélection "
        "déclenchent une alerte."
    ),
    # Economic situation
    "The population has no income column: this section is empty.": (
        "La population n'a pas de colonne de revenus : cette section est vide."
    ),
    (
        "The agency states that the model 'targets low incomes, less so zero incomes'. Income "
        "is the household's resources relative to the Smic (net minimum wage); zero income is "
        "its own band."
    ): (
        "L'organisme indique que le modèle « cible les bas revenus, moins les revenus nuls ». "
        "Les revenus sont les ressources du foyer rapportées au Smic (salaire minimum net) ; les "
        "revenus nuls forment une tranche à part."
    ),
    "Income band": "Tranche de revenus",
    "Selection, precision and mean score by income band": (
        "Sélection, précision et score moyen par tranche de revenus"
    ),
    "Zero-income files are selected at {zero}; the most selected band, '{band}', at {rate}.": (
        "Les dossiers sans revenu sont sélectionnés à {zero} ; la tranche la plus sélectionnée, "
        "« {band} », à {rate}."
    ),
    (
        "Precision by income band is suppressed: it needs files that were both selected and "
        "checked, and with labels from the random-control sample few selected files were also "
        "checked at random (fewer than {min_cell} per band). In a simulation, audit with the "
        "synthetic truth (--labels truth) to see it."
    ): (
        "La précision par tranche de revenus est masquée : elle demande des dossiers à la fois "
        "sélectionnés et contrôlés, et avec les résultats de l'échantillon de contrôles "
        "aléatoires, peu de dossiers sélectionnés ont aussi été contrôlés au hasard (moins de "
        "{min_cell} par tranche). En simulation, auditer avec la vérité synthétique "
        "(--labels truth) pour la voir."
    ),
    "Selection rate, precision and mean score by income band, with 95% intervals.": (
        "Taux de sélection, précision et score moyen par tranche de revenus, avec intervalles à "
        "95 %."
    ),
    "Three charts by income band: selection rate, precision among selected, mean score.": (
        "Trois graphiques par tranche de revenus : taux de sélection, précision parmi les "
        "sélectionnés, score moyen."
    ),
    # Selection against random checks
    "No random checks were given: this comparison is not possible.": (
        "Aucun contrôle aléatoire n'a été fourni : cette comparaison n'est pas possible."
    ),
    (
        "Each group's share among the files checked at random (what the population looks like) "
        "against its share among the files selected by the score, and the share of checks that "
        "found an overpayment (hit rate) by each method. This is how journalists audited the "
        "welfare-fraud models of Rotterdam and Sweden. A group whose share grows from random to "
        "score selection is targeted by the model."
    ): (
        "La part de chaque groupe parmi les dossiers contrôlés au hasard (l'image de la "
        "population) face à sa part parmi les dossiers sélectionnés par le score, et la part des "
        "contrôles qui ont trouvé un indu (taux de réussite) selon chaque mode. C'est ainsi que "
        "des journalistes ont audité les modèles de détection de la fraude aux prestations de "
        "Rotterdam et de Suède. Un groupe dont la part augmente de la sélection aléatoire à "
        "celle du score est ciblé par le modèle."
    ),
    "Share, random [95%]": "Part, aléatoire [95 %]",
    "Share, score [95%]": "Part, score [95 %]",
    "Hit rate, random [95%]": "Taux de réussite, aléatoire [95 %]",
    "Hit rate, score [95%]": "Taux de réussite, score [95 %]",
    "Random checks against selection by the score": (
        "Contrôles aléatoires face à la sélection par le score"
    ),
    "{attribute}: share among random checks and among score selections.": (
        "Part de chaque groupe ({attribute}) parmi les contrôles aléatoires et parmi les "
        "sélections du score."
    ),
    "Bar chart of each {attribute} group's share by selection method.": (
        "Diagramme en barres de la part de chaque groupe ({attribute}) par mode de sélection."
    ),
    # Calibration
    "No labels (or no probability): calibration cannot be checked.": (
        "Pas de résultats de contrôle (ou pas de probabilité) : la calibration ne peut pas être "
        "vérifiée."
    ),
    (
        "Whether the predicted risk means the same thing in every group: by decile of predicted "
        "probability, the mean prediction against the observed rate. A group whose points lie "
        "below the diagonal is predicted riskier than it is."
    ): (
        "Le risque prédit a-t-il le même sens dans chaque groupe ? Par décile de probabilité "
        "prédite, la prédiction moyenne face au taux observé. Un groupe dont les points sont "
        "sous la diagonale est prédit plus risqué qu'il ne l'est."
    ),
    (
        "Whether a score means the same risk in every group: the observed rate by national "
        "score decile, per group, with 95% intervals (the system gives no probability, so there "
        "is no prediction to compare with)."
    ): (
        "Un même score signifie-t-il le même risque dans chaque groupe ? Le taux observé par "
        "décile national du score, par groupe, avec des intervalles à 95 % (le système ne donne "
        "pas de probabilité, il n'y a donc pas de prédiction à comparer)."
    ),
    "Predicted − observed [95%]": "Prédit − observé [95 %]",
    "Calibration gap by group (overall)": "Écart de calibration par groupe (global)",
    "Calibration by {attribute}: predicted against observed, by decile.": (
        "Calibration par groupe ({attribute}) : prédit face à observé, par décile."
    ),
    "Calibration lines of each {attribute} group against the diagonal.": (
        "Courbes de calibration de chaque groupe ({attribute}) face à la diagonale."
    ),
    # Proxies
    "Generic mode: proxies need the model and its input columns.": (
        "Mode générique : les proxies demandent le modèle et ses colonnes d'entrée."
    ),
    (
        "The model never reads the group attributes, but its features can carry them. For each "
        "group, a model using only the scorecard's features tries to recognise the group's "
        "files (cross-validated AUC: 0.5 means the features say nothing about the group, 1 that "
        "they identify it). Then the features most associated with each attribute (Cramér's V, "
        "0 to 1), on {rows} files drawn at random."
    ): (
        "Le modèle ne lit jamais les attributs de groupe, mais ses variables peuvent les porter. "
        "Pour chaque groupe, un modèle qui n'utilise que les variables de la grille de score "
        "tente de reconnaître les dossiers du groupe (AUC en validation croisée : 0,5 signifie "
        "que les variables ne disent rien du groupe, 1 qu'elles l'identifient). Puis les "
        "variables les plus associées à chaque attribut (V de Cramér, de 0 à 1), sur {rows} "
        "dossiers tirés au hasard."
    ),
    "AUC [95%]": "AUC [95 %]",
    "How well the model's features predict each group": (
        "Dans quelle mesure les variables du modèle reconnaissent chaque groupe"
    ),
    "Cramér's V": "V de Cramér",
    "The three features most associated with each attribute": (
        "Les trois variables les plus associées à chaque attribut"
    ),
    (
        "No single attribute has a flagged selection-rate difference, so no score gap is "
        "decomposed here (the JSON holds every group's decomposition)."
    ): (
        "Aucun attribut pris seul n'a de différence de taux de sélection en alerte : aucun écart "
        "de score n'est donc décomposé ici (le JSON contient la décomposition de chaque groupe)."
    ),
    "Gap in mean score": "Écart de score moyen",
    "Largest contributions (points)": "Principales contributions (points)",
    (
        "Where the score gaps of flagged groups come from: the gap in mean score is exactly the "
        "sum of the gaps in each feature's points"
    ): (
        "D'où viennent les écarts de score des groupes en alerte : l'écart de score moyen est "
        "exactement la somme des écarts de points de chaque variable"
    ),
    # Profiles
    "Generic mode: profiles need the model.": "Mode générique : les profils demandent le modèle.",
    (
        "Households the committee can picture, scored by the model, then one item of their "
        "situation changed at a time."
    ): (
        "Des foyers que le comité peut se représenter, notés par le modèle, puis un élément de "
        "leur situation changé à la fois."
    ),
    "Household": "Foyer",
    "Situation": "Situation",
    "Predicted risk": "Risque prédit",
    "Archetype households": "Foyers types",
    "Item changed": "Élément changé",
    "From": "Avant",
    "To": "Après",
    "Score change": "Variation du score",
    "One change at a time": "Un changement à la fois",
    # Exclusion proof
    "Generic mode: the proof needs the model.": "Mode générique : la preuve demande le modèle.",
    (
        "Every column the model may not read was shuffled across files (each column "
        "independently, seeded), and every file rescored. If the model read any of them, some "
        "score would change."
    ): (
        "Chaque colonne que le modèle ne peut pas lire a été mélangée entre les dossiers (chaque "
        "colonne indépendamment, avec une graine fixée), puis chaque dossier a été noté à "
        "nouveau. Si le modèle lisait l'une d'elles, un score changerait."
    ),
    "Result": "Résultat",
    "identical scores": "scores identiques",
    "scores CHANGED": "scores MODIFIÉS",
    "Files rescored": "Dossiers notés à nouveau",
    "Model hash": "Empreinte du modèle",
    "Seed": "Graine",
    "Columns shuffled": "Colonnes mélangées",
    # Model identity
    (
        "The model was not given (another system's table): the report cannot check which "
        "fields it used."
    ): (
        "Le modèle n'a pas été fourni (table d'un autre système) : le rapport ne peut pas "
        "vérifier quels champs il utilise."
    ),
    "Model file hash (sha256)": "Empreinte du fichier du modèle (sha256)",
    "Kind": "Type",
    "one scorecard per segment": "une grille de score par segment",
    "scorecard": "grille de score",
    "Routing column": "Colonne d'aiguillage",
    "Feature policy": "Politique des variables",
    "Features": "Variables",
    "Excluded family": "Famille exclue",
    "Columns": "Colonnes",
    "Why": "Motif",
    "Fields the model may not read (enforced by the feature policy)": (
        "Champs que le modèle ne peut pas lire (imposé par la politique des variables)"
    ),
    "Column": "Colonne",
    "Meaning": "Signification",
    "Features the model reads": "Variables lues par le modèle",
    "Segment": "Segment",
    "Bin": "Classe",
    "Points": "Points",
    "Points table (the score is the sum of the points of a file's bins)": (
        "Table des points (le score est la somme des points des classes d'un dossier)"
    ),
    (
        "The audited model is identified by the hash of its file: the same hash appears in the "
        "scoring manifest, so the committee can check that the model audited is the one that "
        "scored."
    ): (
        "Le modèle audité est identifié par l'empreinte de son fichier : la même empreinte "
        "figure dans le manifeste du calcul des scores, le comité peut donc vérifier que le "
        "modèle audité est bien celui qui a calculé les scores."
    ),
    # Data
    "Group attributes": "Attributs de groupe",
    "Labels": "Résultats de contrôle",
    "none (only selection metrics)": "aucun (indicateurs de sélection seulement)",
    "Labelled files": "Dossiers avec un résultat",
    "Random-control sample": "Échantillon de contrôles aléatoires",
    "Weights": "Pondérations",
    "survey weights": "poids de sondage",
    "none (each file counts 1)": "aucune (chaque dossier compte pour 1)",
    "Where error metrics come from": "Origine des indicateurs d'erreur",
    # Method and limits
    "Intervals": "Intervalles",
    "Bootstrap": "Bootstrap",
    "Resamples, seed": "Rééchantillonnages ; graine",
    "{n_boot}, {seed}": "{n_boot} ; {seed}",
    "AUC intervals": "Intervalles de l'AUC",
    "Test": "Test",
    "Correction": "Correction",
    "{correction} over {tests} tests": "{correction}, sur {tests} tests",
    "Flag rule": "Règle d'alerte",
    "Minimum cell size": "Taille minimale de case",
    "Reference groups": "Groupes de référence",
    "Relation to fairlearn": "Lien avec fairlearn",
    (
        "the group metrics equal fairlearn's MetricFrame on the same data (checked in dmde's "
        "tests); dmde adds reference groups with ratios and differences, pairwise intersections "
        "with suppression of small cells, corrected tests, and a bootstrap of cell counts "
        "instead of rows (seconds instead of hours on a million files)"
    ): (
        "les indicateurs par groupe sont égaux à ceux du MetricFrame de fairlearn sur les mêmes "
        "données (vérifié par les tests de dmde) ; dmde ajoute des groupes de référence avec "
        "rapports et différences, des intersections deux à deux avec masquage des petites "
        "cases, des tests corrigés, et un bootstrap des effectifs des cases plutôt que des "
        "lignes (des secondes plutôt que des heures sur un million de dossiers)"
    ),
    "Score deciles": "Déciles de score",
    (
        "The data are synthetic: the report shows what the method finds on a simulated world, "
        "not facts about real households."
    ): (
        "Les données sont synthétiques : le rapport montre ce que la méthode trouve dans un "
        "monde simulé, pas des faits sur des foyers réels."
    ),
    (
        "Labels exist only where a check took place. Error metrics on the random-control "
        "sample are unbiased but rest on few files per group (see the intervals); error metrics "
        "on selected files alone would be biased by the selection itself."
    ): (
        "Un résultat de contrôle n'existe que là où un contrôle a eu lieu. Les indicateurs "
        "d'erreur calculés sur l'échantillon de contrôles aléatoires sont sans biais mais "
        "reposent sur peu de dossiers par groupe (voir les intervalles) ; calculés sur les seuls "
        "dossiers sélectionnés, ils seraient biaisés par la sélection elle-même."
    ),
    (
        "A check that finds nothing is not harmless: it costs the household time and stress; "
        "the false-positive burden counts them but does not weigh them."
    ): (
        "Un contrôle qui ne trouve rien n'est pas anodin : il coûte au foyer du temps et du "
        "stress ; la charge des faux positifs compte ces contrôles mais ne les pèse pas."
    ),
    (
        "Group attributes are those the population file holds; other groups (e.g. disability "
        "other than AAH) are not audited."
    ): (
        "Les attributs de groupe sont ceux que contient le fichier de population ; d'autres "
        "groupes (par exemple un handicap autre que l'AAH) ne sont pas audités."
    ),
    (
        "Proxies are measured on a random subsample; the association of each feature is "
        "marginal (features also act together)."
    ): (
        "Les proxies sont mesurés sur un sous-échantillon aléatoire ; l'association de chaque "
        "variable est marginale (les variables agissent aussi ensemble)."
    ),
    (
        "Flags are statistical: they say where to look, not why. The decomposition of score "
        "gaps says which features produce a difference, not whether it is justified."
    ): (
        "Les alertes sont statistiques : elles disent où regarder, pas pourquoi. La "
        "décomposition des écarts de score dit quelles variables produisent une différence, pas "
        "si elle est justifiée."
    ),
    (
        "Intersections are pairwise only; small intersections are suppressed, so the situation "
        "of the smallest groups remains unseen."
    ): (
        "Les intersections sont seulement deux à deux ; les petites intersections sont "
        "masquées, si bien que la situation des plus petits groupes reste invisible."
    ),
    "Definition": "Définition",
    "Metric definitions": "Définitions des indicateurs",
    "{title}: not in this report. {why}": "{title} : absent de ce rapport. {why}",
    # METRIC_NAMES of dmde.audit.report
    "Share of all files": "Part des dossiers",
    "Share of selected files": "Part des dossiers sélectionnés",
    "Mean score": "Score moyen",
    "Mean predicted risk": "Risque prédit moyen",
    "Overpayment rate": "Taux d'indu",
    "Precision (selected with overpayment)": "Précision (contrôles sélectionnés avec indu)",
    "True positive rate": "Taux de vrais positifs",
    "False positive rate": "Taux de faux positifs",
    "False negative rate": "Taux de faux négatifs",
    "Checks finding nothing per 1,000 files": "Contrôles sans résultat pour 1 000 dossiers",
    "Calibration gap": "Écart de calibration",
    "AUC within group": "AUC au sein du groupe",
    # GLOSSARY of dmde.audit.report (the terms above are shared)
    "Points given to a file by the published scorecard; higher means more risk.": (
        "Points attribués à un dossier par la grille de score publiée ; plus ils sont élevés, "
        "plus le risque est grand."
    ),
    (
        "The files sent to a human agent for a check: the highest scores within the budget, and "
        "possibly a share drawn at random."
    ): (
        "Les dossiers confiés à un agent pour un contrôle : les scores les plus élevés dans la "
        "limite du budget, et éventuellement une part tirée au hasard."
    ),
    (
        "Files checked at random each year, whatever their score. It is the only unbiased "
        "measure of how often overpayments occur, and what the model learns from."
    ): (
        "Des dossiers contrôlés au hasard chaque année, quel que soit leur score. C'est la seule "
        "mesure sans biais de la fréquence des indus, et ce sur quoi le modèle apprend."
    ),
    "Overpayment (label)": "Indu (résultat du contrôle)",
    "The check found an overpayment above the threshold (the target).": (
        "Le contrôle a trouvé un indu au-dessus du seuil (la cible)."
    ),
    "Share of a group's files that are selected for a check.": (
        "Part des dossiers d'un groupe sélectionnés pour un contrôle."
    ),
    "Precision": "Précision",
    "Among a group's selected files, the share where the check finds an overpayment.": (
        "Parmi les dossiers sélectionnés d'un groupe, la part où le contrôle trouve un indu."
    ),
    (
        "Among a group's files without overpayment, the share selected anyway: a check that "
        "finds nothing."
    ): (
        "Parmi les dossiers d'un groupe sans indu, la part sélectionnée malgré tout : un contrôle "
        "qui ne trouve rien."
    ),
    "Among a group's files with an overpayment, the share not selected.": (
        "Parmi les dossiers d'un groupe avec un indu, la part non sélectionnée."
    ),
    "The burden of fruitless checks a group bears, per 1,000 of its files.": (
        "La charge des contrôles infructueux que supporte un groupe, pour 1 000 de ses dossiers."
    ),
    "AUC": "AUC",
    (
        "Probability that a file with an overpayment scores higher than one without: 0.5 is "
        "chance, 1 is perfect ranking."
    ): (
        "Probabilité qu'un dossier avec indu ait un score plus élevé qu'un dossier sans indu : "
        "0,5 correspond au hasard, 1 à un classement parfait."
    ),
    (
        "Whether predicted risks match observed rates: a predicted 10% should come true about "
        "10% of the time."
    ): (
        "Accord entre risques prédits et taux observés : un risque prédit de 10 % devrait se "
        "réaliser environ une fois sur dix."
    ),
    "Reference group": "Groupe de référence",
    "The group each other group is compared with (by default the largest).": (
        "Le groupe auquel chaque autre groupe est comparé (par défaut le plus grand)."
    ),
    "A group's value divided by the reference group's; 1 means no difference.": (
        "La valeur d'un groupe divisée par celle du groupe de référence ; 1 signifie aucune "
        "différence."
    ),
    "95% interval": "Intervalle à 95 %",
    (
        "The range of values compatible with the data (bootstrap): a ratio whose interval "
        "excludes 1 is unlikely to be chance alone."
    ): (
        "L'ensemble des valeurs compatibles avec les données (bootstrap) : un rapport dont "
        "l'intervalle exclut 1 a peu de chances d'être dû au seul hasard."
    ),
    "Adjusted p-value": "p ajustée",
    (
        "How surprising the difference would be if there were none, corrected because many "
        "comparisons are made at once."
    ): (
        "À quel point la différence serait surprenante s'il n'y en avait aucune, corrigée parce "
        "que de nombreuses comparaisons sont faites à la fois."
    ),
    (
        "A ratio outside the band (by default 0.8 to 1.25) whose adjusted p-value is below the "
        "test level: a difference large enough to matter and unlikely to be chance. A flag "
        "calls for an explanation; it is not by itself proof of unfair treatment."
    ): (
        "Un rapport hors de la bande (par défaut de 0,8 à 1,25) dont la p ajustée est sous le "
        "seuil du test : une différence assez grande pour compter et peu probable par hasard. "
        "Une alerte appelle une explication ; elle n'est pas à elle seule la preuve d'un "
        "traitement injuste."
    ),
    "Suppressed": "Masqué",
    "A value computed from too few files (below the minimum cell size) is not shown.": (
        "Une valeur calculée sur trop peu de dossiers (sous la taille minimale de case) n'est "
        "pas affichée."
    ),
    "Proxy": "Proxy (variable indirecte)",
    "A feature that carries information about a group attribute the model may not use.": (
        "Une variable qui porte de l'information sur un attribut de groupe que le modèle ne peut "
        "pas utiliser."
    ),
    "Intersection": "Intersection",
    "Two attributes together, e.g. women × non-EU nationals.": (
        "Deux attributs ensemble, par exemple femmes × ressortissants hors UE."
    ),
    # Texts that reach the report as data: dmde.audit.metrics.METRIC_DEFINITIONS
    "weight of the group / weight of all files": "poids du groupe / poids de tous les dossiers",
    "weight of the group's selected files / weight of all selected files": (
        "poids des dossiers sélectionnés du groupe / poids de tous les dossiers sélectionnés"
    ),
    "weight of the group's selected files / weight of the group": (
        "poids des dossiers sélectionnés du groupe / poids du groupe"
    ),
    "weighted mean score in the group": "score moyen pondéré dans le groupe",
    "weighted mean predicted probability in the group": (
        "probabilité prédite moyenne pondérée dans le groupe"
    ),
    "weighted share of label 1 among the group's labelled files": (
        "part pondérée des résultats 1 (indu) parmi les dossiers du groupe avec un résultat"
    ),
    "weighted share of label 1 among the group's selected labelled files": (
        "part pondérée des résultats 1 parmi les dossiers sélectionnés du groupe avec un résultat"
    ),
    "weighted share selected among the group's files with label 1": (
        "part pondérée de sélectionnés parmi les dossiers du groupe de résultat 1"
    ),
    "weighted share selected among the group's files with label 0": (
        "part pondérée de sélectionnés parmi les dossiers du groupe de résultat 0"
    ),
    "weighted share not selected among the group's files with label 1 (1 - tpr)": (
        "part pondérée de non-sélectionnés parmi les dossiers du groupe de résultat 1 (1 - tpr)"
    ),
    (
        "selected files with label 0 per 1,000 files of the group (all files, labelled or not: "
        "selected files of unknown label are not counted)"
    ): (
        "dossiers sélectionnés de résultat 0 pour 1 000 dossiers du groupe (tous les dossiers, "
        "avec ou sans résultat : les dossiers sélectionnés au résultat inconnu ne sont pas "
        "comptés)"
    ),
    "mean predicted probability - observed rate of label 1, on the group's labelled files": (
        "probabilité prédite moyenne - taux observé de résultat 1, sur les dossiers du groupe "
        "avec un résultat"
    ),
    "within-group AUC of the score on labelled files (NaN if one class)": (
        "AUC du score au sein du groupe, sur les dossiers avec un résultat (NaN si une seule "
        "classe)"
    ),
    # dmde.audit.metrics: the method (CORRECTIONS, and the fixed values of KNOWN_TEMPLATES)
    "Holm (1979) step-down, controls the family-wise error rate": (
        "méthode de Holm (1979), descendante, qui contrôle le taux d'erreur global (FWER)"
    ),
    "Benjamini-Hochberg (1995) step-up, controls the false discovery rate": (
        "méthode de Benjamini-Hochberg (1995), ascendante, qui contrôle le taux de fausses "
        "découvertes (FDR)"
    ),
    "sample weights": "poids d'échantillonnage",
    "unit": "unitaires",
    "national weighted deciles; decile d holds (edge d-1, edge d], 10 = highest": (
        "déciles nationaux pondérés ; le décile d contient ]borne d-1, borne d], 10 = le plus élevé"
    ),
    # dmde.audit.report.KNOWN_TEMPLATES: the method, the selection rule, the label source
    "bootstrap percentile, {level}": "bootstrap par percentiles, {level}",
    (
        "{n_boot} Poisson bootstrap resamples of cells (group × selected × label state): each "
        "cell's number of draws is Poisson(its rows), exact for count metrics with unit "
        "weights; the cell's sums of weight, weight·score and weight·probability given the "
        "draws use a normal approximation from the within-cell mean and covariance."
    ): (
        "{n_boot} rééchantillonnages bootstrap de Poisson des cases (groupe × sélectionné × état "
        "du résultat) : le nombre de tirages de chaque case suit une loi de Poisson(ses lignes), "
        "exacte pour les indicateurs de comptage à poids unitaires ; les sommes de la case "
        "(poids, poids·score et poids·probabilité) sachant les tirages suivent une "
        "approximation normale tirée de la moyenne et de la covariance au sein de la case."
    ),
    (
        "Hanley-McNeil (1982) normal, {level}; disparities: normal difference of two "
        "independent AUCs, delta method on the log ratio"
    ): (
        "Hanley-McNeil (1982), loi normale, {level} ; écarts : différence normale de deux AUC "
        "indépendantes, méthode delta sur le logarithme du rapport"
    ),
    (
        "two-sided Wald test of log ratio 0 with the bootstrap standard error of the log ratio "
        "(of the difference when under {share} of resampled ratios are positive); "
        "calibration_gap is compared by difference only, not tested; a disparity where either "
        "group's value is an empty count (0, or 1 for a rate) is not tested, since the "
        "bootstrap cannot measure its uncertainty"
    ): (
        "test de Wald bilatéral d'un logarithme du rapport nul, avec l'erreur type bootstrap de "
        "ce logarithme (de la différence quand moins de {share} des rapports rééchantillonnés "
        "sont positifs) ; l'écart de calibration est comparé par différence seulement, sans "
        "test ; un écart où la valeur de l'un des groupes est un comptage vide (0, ou 1 pour un "
        "taux) n'est pas testé, car le bootstrap ne peut pas en mesurer l'incertitude"
    ),
    "ratio outside [{low}, {high}] and p < {alpha} (flag) or adjusted p < {alpha} (flagged)": (
        "rapport hors de [{low} ; {high}] et p < {alpha} (colonne flag du JSON) ou p ajustée "
        "< {alpha} (colonne flagged : les alertes de ce rapport)"
    ),
    (
        "error metrics (base rate, precision, TPR, FPR, FNR, false-positive burden, calibration, "
        "AUC) are estimated on the random-control sample ({rows} files, survey-weighted); "
        "selection metrics on every file"
    ): (
        "les indicateurs d'erreur (taux d'indu, précision, TPR, FPR, FNR, charge des faux "
        "positifs, calibration, AUC) sont estimés sur l'échantillon de contrôles aléatoires "
        "({rows} dossiers, avec poids de sondage) ; les indicateurs de sélection sur tous les "
        "dossiers"
    ),
    (
        "error metrics (base rate, precision, TPR, FPR, FNR, false-positive burden, calibration, "
        "AUC) are estimated on the random-control sample ({rows} files); selection metrics on "
        "every file"
    ): (
        "les indicateurs d'erreur (taux d'indu, précision, TPR, FPR, FNR, charge des faux "
        "positifs, calibration, AUC) sont estimés sur l'échantillon de contrôles aléatoires "
        "({rows} dossiers) ; les indicateurs de sélection sur tous les dossiers"
    ),
    "column {column} (not 'none')": "colonne {column} (valeurs autres que 'none')",
    "column {column} of {file}": "colonne {column} de {file}",
    "column {column}": "colonne {column}",
    "the {budget} highest scores (ties as dmde select breaks them, seed 0)": (
        "les {budget} scores les plus élevés (ex aequo départagés comme par dmde select, graine 0)"
    ),
    "the {budget} highest scores (ties at the cut by a keyed hash of each row)": (
        "les {budget} scores les plus élevés (ex aequo à la coupure départagés par un hachage à "
        "clé de chaque ligne)"
    ),
    "the {budget} highest scores (ties at the cut by a keyed hash of {column})": (
        "les {budget} scores les plus élevés (ex aequo à la coupure départagés par un hachage à "
        "clé de {column})"
    ),
    # dmde.data.catalog.EXCLUDED_FAMILIES (the reasons of the feature policy)
    (
        "sensitive data (gender, nationality, age) are excluded: the 2026 model's published "
        "guarantee is that it uses no sensitive data"
    ): (
        "les données sensibles (sexe, nationalité, âge) sont exclues : la garantie publiée du "
        "modèle 2026 est qu'il n'utilise aucune donnée sensible"
    ),
    (
        "address and place of residence are excluded: the 2026 model's published guarantee is "
        "that it uses no address or place-of-residence data"
    ): (
        "l'adresse et le lieu de résidence sont exclus : la garantie publiée du modèle 2026 est "
        "qu'il n'utilise aucune donnée d'adresse ou de lieu de résidence"
    ),
    (
        "behavioural data (logins, contacts, visits, documents sent) are excluded: the 2026 "
        "model's published guarantee is that it uses no data on how people deal with the agency"
    ): (
        "les données de comportement (connexions, contacts, visites, documents envoyés) sont "
        "exclues : la garantie publiée du modèle 2026 est qu'il n'utilise aucune donnée sur la "
        "façon dont les personnes s'adressent à l'organisme"
    ),
    (
        "the history of controls and litigation is excluded: the 2026 model's published "
        "guarantee is that past checks do not feed the score, which would otherwise re-select "
        "the files already checked"
    ): (
        "l'historique des contrôles et des contentieux est exclu : la garantie publiée du modèle "
        "2026 est que les contrôles passés n'alimentent pas le score, qui sinon resélectionnerait "
        "les dossiers déjà contrôlés"
    ),
    # dmde.audit.profiles.ARCHETYPES (the households' descriptions)
    "Lone parent working part time, two children in school, alimony declared": (
        "Parent isolé travaillant à temps partiel, deux enfants scolarisés, pension alimentaire "
        "déclarée"
    ),
    "Couple, both working, two children of whom one is over 19 and works": (
        "Couple, tous deux en emploi, deux enfants dont un de plus de 19 ans qui travaille"
    ),
    "Single person receiving the disability allowance (AAH) and working part time": (
        "Personne seule percevant l'allocation aux adultes handicapés (AAH) et travaillant à "
        "temps partiel"
    ),
    "Single person on RSA with no income": "Personne seule au RSA, sans revenu",
    "Couple with three children, the holder self-employed with a volatile income": (
        "Couple avec trois enfants, l'allocataire indépendant aux revenus irréguliers"
    ),
    # dmde.audit.inputs.LABEL_SOURCES
    "the random-control sample (target, weighted by control_weight)": (
        "l'échantillon de contrôles aléatoires (target, pondéré par control_weight)"
    ),
    "the synthetic truth (truth_target, every file: simulation only)": (
        "la vérité synthétique (truth_target, chaque dossier : simulation seulement)"
    ),
    "no labels": "aucun résultat de contrôle",
}


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
