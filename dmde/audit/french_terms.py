"""The French of the audit report's terms, and of the texts that reach the report as data.

Metric names and the glossary of :mod:`dmde.audit.report`; the metric definitions and the method
of :mod:`dmde.audit.metrics`; the report's known templates (selection rule, label source); the
reasons of the feature policy (:data:`dmde.data.catalog.EXCLUDED_FAMILIES`), the households of
:data:`dmde.audit.profiles.ARCHETYPES` and :data:`dmde.audit.inputs.LABEL_SOURCES`.
:data:`dmde.audit.words.FRENCH` joins it with :mod:`dmde.audit.french_report`.
"""

from __future__ import annotations

__all__ = ["FRENCH_TERMS"]

#: The report's terms and data texts in French (the English is the key).
FRENCH_TERMS: dict[str, str] = {
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
        "{engine}: the files joined and the groups made in the engine; every group metric, "
        "interval, test and flag from cell sums (GROUP BY GROUPING SETS), the deciles from "
        "counts by national decile; the random-control sample and the files chosen for a "
        "check fetched exactly (error metrics, calibration, targeting, hit rates); proxies, "
        "feature association and the exclusion proof on the Python engine's seeded sample of "
        "{rows} rows; the score-gap decomposition (every row's points) not computed; the "
        "population's values not checked against the catalog"
    ): (
        "{engine} : fichiers joints et groupes formés dans le moteur ; chaque métrique de "
        "groupe, intervalle, test et signalement calculé sur des sommes par case (GROUP BY "
        "GROUPING SETS), les déciles sur des effectifs par décile national ; l'échantillon de "
        "contrôles aléatoires et les dossiers choisis pour un contrôle lus exactement "
        "(métriques d'erreur, calibration, ciblage, taux de découverte) ; proxys, association "
        "des variables et preuve d'exclusion sur l'échantillon tiré par le moteur Python "
        "({rows} lignes, même graine) ; décomposition des écarts de score (points de chaque "
        "ligne) non calculée ; valeurs de la population non vérifiées par rapport au "
        "catalogue"
    ),
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
    # dmde.audit.outreach_audit.OUTREACH_LABEL_SOURCES
    "the random-control sample (rappel_target, weighted by control_weight)": (
        "l'échantillon de contrôles aléatoires (rappel_target, pondéré par control_weight)"
    ),
    "the synthetic truth (truth_rappel_target, every file: simulation only)": (
        "la vérité synthétique (truth_rappel_target, chaque dossier : simulation seulement)"
    ),
}
