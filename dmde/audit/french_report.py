"""The French of the audit report's sections: titles, tables, notes and the method.

Each English string of :mod:`dmde.audit.report` (a format template with ``{fields}``), by section,
and its French with the same fields. :data:`dmde.audit.words.FRENCH` joins it with
:mod:`dmde.audit.french_terms`; :func:`dmde.audit.words.tr` reads it.
"""

from __future__ import annotations

__all__ = ["FRENCH_SECTIONS"]

#: The report's section strings in French (the English is the key).
FRENCH_SECTIONS: dict[str, str] = {
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
    # Both actions side by side (checks and outreach), and the outreach audit
    "Checks and outreach, side by side": "Contrôles et accès aux droits, côte à côte",
    "The agency has two actions after the ranking: a check (the overpayment model's "
    "selection) or a contact to verify that the household receives all its rights "
    "(outreach, the rights model's selection). For each group, the share of the "
    "checks and of the contacts it receives, against its share of the households "
    "overpaid (overpayment of 600 EUR over 6 months or more) and underpaid "
    "(underpayment of 300 EUR over 3 months or more), both estimated from the "
    "random-control sample weighted by the survey. A group whose share of checks "
    "exceeds its share of overpayments is checked more than its overpayments "
    "warrant; a group whose share of contacts falls short of its share of "
    "underpayments is helped less than its underpayments call for.": (
        "Après le classement, l'organisme a deux actions : un contrôle (la sélection du modèle "
        "des indus) ou un contact pour vérifier que le foyer perçoit tous ses droits (accès aux "
        "droits, la sélection du modèle des rappels). Pour chaque groupe, sa part des contrôles "
        "et des contacts, face à sa part des foyers ayant un indu (au moins 600 euros sur au "
        "moins 6 mois) et un rappel (au moins 300 euros sur au moins 3 mois), toutes deux "
        "estimées sur l'échantillon des contrôles aléatoires pondéré par le sondage. Un groupe "
        "dont la part des contrôles dépasse sa part des indus est plus contrôlé que ses indus "
        "ne le justifient ; un groupe dont la part des contacts reste sous sa part des rappels "
        "est moins aidé que ses rappels ne l'appellent."
    ),
    "Share of files": "Part des dossiers",
    "Share of checks": "Part des contrôles",
    "Share of overpayments": "Part des indus",
    "Share of outreach contacts": "Part des contacts (accès aux droits)",
    "Share of underpayments": "Part des rappels",
    "Underpayment rate": "Taux de rappel",
    "Precision (contacts with an underpayment)": "Précision (contacts avec un rappel)",
    "Contacts finding nothing per 1,000 files": "Contacts sans rappel pour 1 000 dossiers",
    "Ratio of underpayment rates (need)": "Rapport des taux de rappel (besoin)",
    (
        "their selection per unit of risk has no interval: too few of their files are selected "
        "or have a known outcome to set the gap against their risk"
    ): (
        "leur sélection par unité de risque n'a pas d'intervalle : trop peu de leurs dossiers "
        "sont sélectionnés ou ont un résultat connu pour rapporter l'écart à leur risque"
    ),
    (
        "A flag is a difference large enough to matter and unlikely to be chance. It is not by "
        "itself proof of unfair treatment: read it beside the groups' underpayment rates and "
        "the share of their contacts that find money due, and the proxies section, which says "
        "which of the model's features produce the difference."
    ): (
        "Une alerte est une différence assez grande pour compter et peu probable par hasard. "
        "Elle n'est pas à elle seule la preuve d'un traitement injuste : elle se lit à côté des "
        "taux de rappel des groupes et de la part de leurs contacts qui trouvent une somme due, "
        "et de la section des proxies, qui dit quelles variables du modèle produisent la "
        "différence."
    ),
    "Who is checked, who is helped, by {attribute}": (
        "Qui est contrôlé, qui est aidé, par {attribute}"
    ),
    "Audit of the outreach selection": "Audit de la sélection pour l'accès aux droits",
    "How to read this audit of outreach": "Comment lire cet audit de l'accès aux droits",
    "This is the audit of a check selection, read the other way: the files "
    "'selected' are the households contacted to verify that they receive all "
    "their rights, and the outcome is an underpayment (300 EUR over 3 months or "
    "more). Where the tables and the glossary say check, overpayment or "
    "overpayment rate, read contact, underpayment and underpayment rate; a "
    "'false positive' is a contact that finds nothing due, a 'false negative' "
    "an underpaid household left without a contact. Being selected here is "
    "help offered, not a suspicion: a group selected below its risk is a group "
    "the outreach misses.": (
        "C'est l'audit d'une sélection pour contrôle, lu dans l'autre sens : les dossiers "
        "« sélectionnés » sont les foyers contactés pour vérifier qu'ils perçoivent tous leurs "
        "droits, et le résultat est un rappel (au moins 300 euros sur au moins 3 mois). Là où "
        "les tableaux et le glossaire disent contrôle, indu ou taux d'indu, lire contact, rappel "
        "et taux de rappel ; un « faux positif » est un contact qui ne trouve rien de dû, un "
        "« faux négatif » un foyer privé d'une somme due et resté sans contact. Être "
        "sélectionné ici, c'est une aide proposée, pas un soupçon : un groupe sélectionné "
        "en dessous de son risque est un groupe que l'accès aux droits manque."
    ),
    "Who is contacted to verify their rights, how fairly, and with what certainty.": (
        "Pour le comité d'éthique : qui est contacté pour vérifier ses droits, avec quelle "
        "équité, avec quelle certitude."
    ),
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
        "No chart by income band: every band's selection rate, precision and mean score is "
        "suppressed, with fewer than {min_cell} files per band."
    ): (
        "Pas de graphique par tranche de revenus : le taux de sélection, la précision et le "
        "score moyen de chaque tranche sont masqués, avec moins de {min_cell} dossiers par "
        "tranche."
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
    "two scorecards by period, weighted by the months of the look-back": (
        "deux grilles de score par période, pondérées par les mois de la période examinée"
    ),
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
    "Engine": "Moteur de calcul",
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
}
