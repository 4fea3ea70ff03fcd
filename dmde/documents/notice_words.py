"""Every user-facing string of the notice, in French and English, one mapping per language.

The notice (:mod:`dmde.documents.notice`) and the words for values and bins
(:mod:`dmde.documents.value_words`) take their text from here only: :data:`STRINGS` (the
sentences, ``str.format`` fields in braces), :data:`LEVELS` (category levels),
:data:`SOURCES` (where each item comes from) and :data:`UNITS`. Both languages have the same
keys (a test checks it), so a notice in English says exactly what the French one says.
"""

from __future__ import annotations

from collections.abc import Mapping

from dmde.core.rendering import Lang

__all__ = ["LEVELS", "SOURCES", "STRINGS", "UNITS", "phrase", "singular"]


#: Readable names of category levels, by language.
LEVELS: Mapping[Lang, Mapping[str, str]] = {
    "fr": {
        "single": "personne seule",
        "lone_parent": "parent isolé",
        "couple_no_children": "couple sans enfant",
        "couple_with_children": "couple avec enfants",
        "no_children": "pas d'enfant au foyer",
        "all_in_school": "tous scolarisés",
        "some_working": "au moins un enfant qui travaille ou est en apprentissage",
        "employed": "salarié",
        "self_employed": "travailleur indépendant",
        "unemployed": "au chômage",
        "inactive": "sans activité",
        "student": "étudiant",
        "retired": "retraité",
        "no_partner": "pas de conjoint",
        "declarative": "ressources déclarées par le foyer",
        "prefilled": "ressources préremplies",
    },
    "en": {
        "single": "single person",
        "lone_parent": "lone parent",
        "couple_no_children": "couple without children",
        "couple_with_children": "couple with children",
        "no_children": "no children in the household",
        "all_in_school": "all in school",
        "some_working": "at least one child working or in an apprenticeship",
        "employed": "employee",
        "self_employed": "self-employed",
        "unemployed": "unemployed",
        "inactive": "not working",
        "student": "student",
        "retired": "retired",
        "no_partner": "no partner",
        "declarative": "incomes declared by the household",
        "prefilled": "pre-filled incomes",
    },
}

#: The catalog's sources (in English there) in plain words, by language.
SOURCES: Mapping[Lang, Mapping[str, str]] = {
    "fr": {
        "file-management system": "système de gestion des dossiers de la Caf",
        "declared family situation": "situation familiale que vous avez déclarée",
        "declared or pre-filled resources": "ressources déclarées ou préremplies",
        "declared professional situation": "situation professionnelle que vous avez déclarée",
        "declared resources": "ressources que vous avez déclarées",
        "benefit payment system (12-month mean of monthly payments)": (
            "paiements de la Caf, moyenne des versements mensuels sur 12 mois"
        ),
    },
    "en": {
        "file-management system": "the Caf's file-management system",
        "declared family situation": "the family situation you declared",
        "declared or pre-filled resources": "declared or pre-filled resources",
        "declared professional situation": "the professional situation you declared",
        "declared resources": "the resources you declared",
        "benefit payment system (12-month mean of monthly payments)": (
            "the Caf's payments, mean of the monthly payments over 12 months"
        ),
    },
}

#: Units of the catalog, as written after a number, by language.
UNITS: Mapping[Lang, Mapping[str, str]] = {
    "fr": {"EUR/month": "€ par mois", "EUR": "€", "Smic": "Smic", "months": "mois", "years": "ans"},
    "en": {
        "EUR/month": "EUR a month",
        "EUR": "EUR",
        "Smic": "Smic",
        "months": "months",
        "years": "years",
    },
}

# fmt: off
#: The sentences of the notice, by language (``str.format`` fields in braces).
STRINGS: Mapping[Lang, Mapping[str, str]] = {
    "fr": {
        "title": "Comment le score de votre dossier a été calculé",
        "subtitle": "Dossier n° {dossier} — information prévue par les articles L311-3-1 et "
                    "R311-3-1-2 du code des relations entre le public et l'administration",
        "meta_dossier": "Numéro de dossier",
        "meta_caf": "Caf",
        "meta_segment": "Grille de points appliquée",
        "meta_period": "Période examinée",
        "period_one": "{first} à {last} ({window} mois) : grille « {table} » seule",
        "period_two": "{first} à {last} ({window} mois) : grille « avant » pour {before} mois, "
                      "grille « après » pour {after} mois",
        "table_before": "avant",
        "table_after": "après",
        "op_period_one": "Le contrôle examine les {window} mois précédant {month}, tous {table} "
                         "le pré-remplissage des ressources ({reform}) : votre score est celui "
                         "de la grille « {table} » ({score} points).",
        "op_period_two": "Le contrôle examine les {window} mois précédant {month}. Deux grilles "
                         "de points existent, l'une pour les mois avant le pré-remplissage des "
                         "ressources ({reform}), l'autre pour les mois suivants. Les points de "
                         "chaque information (et les points de départ) sont la moyenne de ses "
                         "points dans les deux grilles, pondérée par le nombre de mois examinés "
                         "dans chaque période ({weights}), arrondie au centième ; leur somme "
                         "donne le score. À titre de comparaison : {scores}. Cette règle de "
                         "combinaison est une hypothèse : celle de la Caf n'est pas publiée.",
        "period_score": "grille « {table} » seule : {score} points",
        "meta_model": "Référence du modèle (empreinte SHA-256)",
        "meta_unsaved": "modèle non enregistré",
        "meta_version": "Produit par",
        "yes": "oui",
        "no": "non",
        "point_one": "point",
        "point_many": "points",
        "missing": "non renseigné",
        "all_values": "toutes les valeurs",
        "or": " ou ",
        "num_less": "moins de {high}",
        "num_between": "de {low} à moins de {high}",
        "num_more": "{low} ou plus",
        "int_less": "{high} ou moins",
        "int_between": "de {low} à {high}",
        "int_more": "{low} ou plus",
        "s_what": "Ce qu'est ce score, et ce qu'il n'est pas",
        "what_1": "Le score est un nombre de points calculé à partir de votre dossier par un "
                  "modèle statistique. Il sert seulement à classer les dossiers, pour choisir "
                  "ceux qu'un agent de la Caf vérifiera : plus le score est élevé, plus le modèle "
                  "estime probable qu'une vérification trouve une somme versée à tort ({target}).",
        "what_2": "Le score n'est pas une décision. Aucune décision sur vos droits n'est prise "
                  "par le score, et il ne signifie pas que vous avez commis une erreur ou une "
                  "fraude. Si votre dossier est vérifié, c'est un agent qui examine votre "
                  "situation ; toute décision éventuelle (une somme à rembourser, ou au contraire "
                  "une somme qui vous est due) repose sur ce qu'il constate, et vous est notifiée "
                  "avec les voies de recours.",
        "what_3": "Le traitement automatisé intervient donc à une seule étape : le choix des "
                  "dossiers proposés pour une vérification. Il ne calcule ni vos droits ni le "
                  "montant de vos prestations.",
        "s_selection": "Votre dossier et la sélection",
        "sel_none": "Aucune liste de sélection n'est jointe à cette notice : elle explique le "
                    "score seul.",
        "sel_score": "Votre dossier a été retenu pour une vérification parce que son score le "
                     "plaçait parmi les premiers : il est classé au rang {rank_group} {where}"
                     "{of_group}. Au niveau national, il est au rang {rank}{of_all}.",
        "sel_score_national": "Votre dossier a été retenu pour une vérification parce que son "
                              "score le plaçait parmi les premiers : au niveau national, il est "
                              "au rang {rank}{of_all}.",
        "sel_random": "Votre dossier a été tiré au sort pour une vérification, parmi les "
                      "dossiers qui n'étaient pas retenus au titre du score. Ce tirage ne dépend "
                      "pas du score : une part des vérifications est faite sur des dossiers pris "
                      "au hasard, pour contrôler que le modèle reste juste.",
        "sel_not": "Votre dossier ne fait pas partie des dossiers retenus pour une vérification.",
        "sel_cut": "Le score le plus bas parmi les dossiers retenus au titre du score {where} "
                   "est de {cut} points ; le score de votre dossier est de {score} points.",
        "sel_no_cut": "Aucun dossier n'a été retenu au titre du score {where}.",
        "where_national": "au niveau national",
        "where_caf": "dans votre Caf ({group})",
        "where_group": "dans votre groupe ({label} : {group})",
        "of_count": " sur {n} dossiers",
        "s_data": "Les données utilisées et leur source",
        "data_intro": "Le modèle a lu uniquement les informations suivantes de votre dossier, "
                      "telles qu'elles figuraient dans le fichier traité :",
        "data_item": "{label} : {value} (source : {source})",
        "data_routing": "Le mode de déclaration des ressources a seulement servi à choisir la "
                        "grille de points ; il ne donne pas de points.",
        "data_unused": "D'autres informations de votre dossier pourraient être utilisées par un "
                       "modèle mais ne le sont pas par celui-ci : {labels}.",
        "s_points": "Le détail des points",
        "points_intro": "Chaque information est classée dans une catégorie, et chaque catégorie "
                        "donne un nombre de points fixé à l'avance (la grille publiée du modèle). "
                        "Le tableau compare vos points à ceux du dossier moyen (la moyenne des "
                        "dossiers ayant servi à construire le modèle).",
        "col_item": "Élément",
        "col_value": "Votre situation",
        "col_bin": "Catégorie retenue",
        "col_points": "Vos points",
        "col_average": "Dossier moyen",
        "col_difference": "Écart",
        "row_base": "Points de départ (tous les dossiers)",
        "row_total": "Score (total)",
        "points_caption": "Les points de votre dossier",
        "points_note": "Les points sont arrondis au centième, comme dans la grille publiée ; "
                       "leur somme donne exactement le score. Les limites des catégories sont "
                       "arrondies pour la lecture (à l'euro, au centième de Smic) ; le fichier "
                       "du modèle donne leurs valeurs exactes.",
        "points_sum": "Score : {base} points de départ, {items} pour les éléments de votre "
                      "situation, soit {score} points au total.",
        "probability": "Ce score correspond à une probabilité estimée de {probability} qu'une "
                       "vérification trouve une somme versée à tort ({target}). C'est une "
                       "estimation statistique sur des dossiers comparables, pas un constat sur "
                       "le vôtre.",
        "scaling": "Le score se traduit en probabilité par une règle fixe : {base_points} "
                   "points correspondent à une probabilité de {base_probability}, et chaque "
                   "fois que le score augmente de {pdo} points, la cote (la probabilité d'une "
                   "somme versée à tort divisée par celle de son absence) double.",
        "s_weighed": "Ce qui a le plus pesé",
        "weighed_intro": "Les éléments qui ont le plus augmenté votre score par rapport au "
                         "dossier moyen :",
        "weighed_item": "{label} ({value}) : {points}, soit {excess} de plus que le dossier "
                        "moyen",
        "weighed_none": "Aucun élément ne donne à votre dossier plus de points qu'au dossier "
                        "moyen.",
        "s_change": "Ce qui aurait changé le résultat",
        "change_intro": "Voici les plus petits changements de votre situation qui, tout le "
                        "reste étant égal, auraient placé votre score sous le seuil de sélection "
                        "({cut} points). Ce ne sont pas des conseils : ils montrent seulement "
                        "comment le modèle réagit. Seuls sont considérés les éléments qu'une "
                        "situation peut réellement changer : {changeable}. La composition de la "
                        "famille, les enfants, un handicap, l'ancienneté du dossier et les "
                        "montants de prestations ne le sont pas.",
        "change_item": "{changes} — score de {score} points ({drop})",
        "change_one": "{label} : {new} au lieu de {old}",
        "change_derived": "{label} devient {new}",
        "change_and": " ; ",
        "change_caveat": "Le calcul ne change que les éléments cités. Dans la réalité, un "
                         "changement de revenus ou d'activité modifie aussi le montant de "
                         "certaines prestations, qui comptent elles aussi dans le score.",
        "change_none": "Aucun changement d'un ou de deux de ces éléments n'aurait suffi à "
                       "placer votre score sous le seuil de sélection ({cut} points).",
        "change_no_selection": "Sans liste de sélection, il n'y a pas de seuil de sélection à "
                               "comparer.",
        "change_not_selected": "Votre dossier n'a pas été retenu : il n'y a rien à changer.",
        "change_random": "Votre dossier a été tiré au sort : aucun changement de votre score "
                         "n'aurait changé ce tirage.",
        "change_no_cut": "Aucun dossier n'a été retenu au titre du score dans votre groupe : il "
                         "n'y a pas de seuil de sélection.",
        "s_never": "Ce que le modèle n'utilise jamais",
        "never_intro": "Par construction, le modèle ne peut lire aucune des informations "
                       "suivantes ; lui en donner une est refusé par le programme :",
        "never_sensitive": "les données sensibles ({labels})",
        "never_address": "votre adresse et votre lieu de résidence ({labels})",
        "never_behaviour": "vos échanges avec la Caf ({labels})",
        "never_control_history": "l'historique des contrôles de votre dossier ({labels})",
        "s_operations": "Les opérations effectuées",
        "op_read": "Les informations listées plus haut ont été lues dans le fichier de votre "
                   "dossier ; une information manquante ou hors des valeurs prévues aurait "
                   "écarté le dossier du calcul.",
        "op_route": "Votre dossier a été orienté vers la grille de points de son mode de "
                    "déclaration des ressources ({segment}).",
        "op_bins": "Chaque information a été classée dans une catégorie de la grille, qui lui "
                   "donne ses points.",
        "op_sum": "Les points ont été additionnés aux points de départ pour donner le score, "
                  "puis le score a été traduit en probabilité.",
        "op_rank": "Les dossiers ont été classés du score le plus élevé au plus bas ; à score "
                   "égal, l'ordre est fixé par un tirage pseudo-aléatoire qui ne dépend que du "
                   "numéro de dossier.",
        "op_select": "Dans la limite du nombre de vérifications prévu (réparti entre les Caf "
                     "lorsque des quotas sont fixés), les dossiers les mieux classés ont été "
                     "retenus ; une petite part peut être tirée au sort parmi les autres.",
        "s_contest": "Poser une question ou contester",
        "contest_ask": "Vous pouvez demander à votre Caf les règles de ce traitement et les "
                       "principales caractéristiques de sa mise en œuvre (article L311-3-1 du "
                       "code des relations entre le public et l'administration) : cette notice "
                       "en fait partie, et la grille complète des points peut vous être "
                       "communiquée. Citez votre numéro de dossier et la référence du modèle "
                       "indiqués en tête de cette notice.",
        "contest_correct": "Si une information de votre dossier est inexacte, vous pouvez en "
                           "demander la correction ; elle vaut aussi pour le calcul du score.",
        "contest_cada": "Si cette communication vous est refusée, ou reste sans réponse pendant "
                        "un mois, vous pouvez saisir la Commission d'accès aux documents "
                        "administratifs (CADA).",
        "contest_decision": "Être choisi pour une vérification n'est pas une décision sur vos "
                            "droits. Si une décision est prise après la vérification, elle vous "
                            "est notifiée avec les voies et délais de recours : vous pourrez "
                            "présenter vos observations, puis contester devant la commission de "
                            "recours amiable de votre Caf et, si besoin, devant le juge.",
        "contest_ddd": "Si vous pensez avoir été traité de manière inégale, vous pouvez aussi "
                       "saisir le Défenseur des droits.",
    },
    "en": {
        "title": "How your file's score was calculated",
        "subtitle": "File no. {dossier} — information required by articles L311-3-1 and "
                    "R311-3-1-2 of the French code of relations between the public and the "
                    "administration (CRPA)",
        "meta_dossier": "File number",
        "meta_caf": "Caf",
        "meta_segment": "Points table applied",
        "meta_period": "Period examined",
        "period_one": "{first} to {last} ({window} months): the “{table}” table alone",
        "period_two": "{first} to {last} ({window} months): the “before” table for {before} "
                      "months, the “after” table for {after} months",
        "table_before": "before",
        "table_after": "after",
        "op_period_one": "The check examines the {window} months before {month}, all {table} "
                         "income pre-filling ({reform}): your score is that of the “{table}” "
                         "table ({score} points).",
        "op_period_two": "The check examines the {window} months before {month}. There are two "
                         "points tables, one for the months before income pre-filling "
                         "({reform}), one for the months after. The points of each item (and "
                         "the starting points) are the average of its points in the two "
                         "tables, weighted by the number of months examined in each period "
                         "({weights}), rounded to the hundredth; they add up to the score. For "
                         "comparison: {scores}. This combination rule is an assumption: the "
                         "Caf's is not published.",
        "period_score": "the “{table}” table alone: {score} points",
        "meta_model": "Model reference (SHA-256 fingerprint)",
        "meta_unsaved": "unsaved model",
        "meta_version": "Produced by",
        "yes": "yes",
        "no": "no",
        "point_one": "point",
        "point_many": "points",
        "missing": "not given",
        "all_values": "all values",
        "or": " or ",
        "num_less": "less than {high}",
        "num_between": "{low} to less than {high}",
        "num_more": "{low} or more",
        "int_less": "{high} or less",
        "int_between": "{low} to {high}",
        "int_more": "{low} or more",
        "s_what": "What this score is, and what it is not",
        "what_1": "The score is a number of points calculated from your file by a statistical "
                  "model. It is used only to rank files, to choose those that a Caf agent will "
                  "check: the higher the score, the higher the model's estimate of the chance "
                  "that a check finds money paid in error ({target}).",
        "what_2": "The score is not a decision. No decision on your rights is taken by the "
                  "score, and it does not mean that you made a mistake or committed fraud. If "
                  "your file is checked, an agent examines your situation; any decision (money "
                  "to pay back, or on the contrary money owed to you) rests on what the agent "
                  "finds, and is notified to you with the ways to appeal.",
        "what_3": "The automated processing therefore plays a part at one step only: the choice "
                  "of the files proposed for a check. It calculates neither your rights nor the "
                  "amount of your benefits.",
        "s_selection": "Your file and the selection",
        "sel_none": "No selection list comes with this notice: it explains the score alone.",
        "sel_score": "Your file was selected for a check because its score placed it among the "
                     "first: it ranks {rank_group} {where}{of_group}. Nationally, it ranks "
                     "{rank}{of_all}.",
        "sel_score_national": "Your file was selected for a check because its score placed it "
                              "among the first: nationally, it ranks {rank}{of_all}.",
        "sel_random": "Your file was drawn at random for a check, among the files not selected "
                      "for their score. This draw does not depend on the score: a share of the "
                      "checks is made on files taken at random, to check that the model stays "
                      "fair.",
        "sel_not": "Your file is not among the files selected for a check.",
        "sel_cut": "The lowest score among the files selected for their score {where} is "
                   "{cut} points; your file's score is {score} points.",
        "sel_no_cut": "No file was selected for its score {where}.",
        "where_national": "nationally",
        "where_caf": "in your Caf ({group})",
        "where_group": "in your group ({label}: {group})",
        "of_count": " of {n} files",
        "s_data": "The data used and their source",
        "data_intro": "The model read only the following information from your file, as it "
                      "stood in the file processed:",
        "data_item": "{label}: {value} (source: {source})",
        "data_routing": "The income reporting mode was used only to choose the points table; "
                        "it gives no points.",
        "data_unused": "Other information in your file could be used by a model but is not used "
                       "by this one: {labels}.",
        "s_points": "The points in detail",
        "points_intro": "Each item of information is placed in a category, and each category "
                        "gives a number of points fixed in advance (the model's published "
                        "points table). The table compares your points with those of the "
                        "average file (the mean over the files the model was built on).",
        "col_item": "Item",
        "col_value": "Your situation",
        "col_bin": "Category",
        "col_points": "Your points",
        "col_average": "Average file",
        "col_difference": "Difference",
        "row_base": "Starting points (every file)",
        "row_total": "Score (total)",
        "points_caption": "The points of your file",
        "points_note": "Points are rounded to the hundredth, as in the published table; they "
                       "add up exactly to the score. The limits of the categories are rounded "
                       "for reading (to the euro, to the hundredth of a Smic); the model file "
                       "gives their exact values.",
        "points_sum": "Score: {base} starting points, {items} for the items of your situation, "
                      "{score} points in all.",
        "probability": "This score corresponds to an estimated probability of {probability} "
                       "that a check would find money paid in error ({target}). It is a "
                       "statistical estimate over comparable files, not a finding about yours.",
        "scaling": "The score becomes a probability by a fixed rule: {base_points} points "
                   "correspond to a probability of {base_probability}, and every time the score "
                   "rises by {pdo} points, the odds (the probability of money paid in error "
                   "divided by the probability of none) double.",
        "s_weighed": "What weighed most",
        "weighed_intro": "The items that raised your score most compared with the average "
                         "file:",
        "weighed_item": "{label} ({value}): {points}, {excess} more than the average file",
        "weighed_none": "No item gives your file more points than the average file.",
        "s_change": "What would have changed the outcome",
        "change_intro": "Here are the smallest changes of your situation that, everything else "
                        "being equal, would have placed your score below the selection cut "
                        "({cut} points). They are not advice: they only show how the model "
                        "responds. Only items that a situation can really change are "
                        "considered: {changeable}. The make-up of the family, the children, a "
                        "disability, the age of the file and the amounts of benefits are not.",
        "change_item": "{changes} — a score of {score} points ({drop})",
        "change_one": "{label}: {new} instead of {old}",
        "change_derived": "{label} becomes {new}",
        "change_and": "; ",
        "change_caveat": "The calculation changes only the items named. In reality, a change "
                         "of income or activity also changes the amount of some benefits, "
                         "which count in the score too.",
        "change_none": "No change of one or two of these items would have been enough to place "
                       "your score below the selection cut ({cut} points).",
        "change_no_selection": "Without a selection list, there is no selection cut to compare "
                               "with.",
        "change_not_selected": "Your file was not selected: there is nothing to change.",
        "change_random": "Your file was drawn at random: no change of your score would have "
                         "changed this draw.",
        "change_no_cut": "No file was selected for its score in your group: there is no "
                         "selection cut.",
        "s_never": "What the model never uses",
        "never_intro": "By construction, the model cannot read any of the following "
                       "information; giving it one is refused by the program:",
        "never_sensitive": "sensitive data ({labels})",
        "never_address": "your address and place of residence ({labels})",
        "never_behaviour": "how you deal with the Caf ({labels})",
        "never_control_history": "the history of checks of your file ({labels})",
        "s_operations": "The operations performed",
        "op_read": "The information listed above was read from your file; a missing value or "
                   "a value outside those expected would have kept the file out of the "
                   "calculation.",
        "op_route": "Your file was sent to the points table of its income reporting mode "
                    "({segment}).",
        "op_bins": "Each item of information was placed in a category of the table, which "
                   "gives it its points.",
        "op_sum": "The points were added to the starting points to give the score, and the "
                  "score was turned into a probability.",
        "op_rank": "Files were ranked from the highest score to the lowest; at equal scores, "
                   "the order is set by a pseudo-random draw that depends only on the file "
                   "number.",
        "op_select": "Within the number of checks planned (shared between the Cafs when quotas "
                     "are set), the highest-ranked files were selected; a small share may be "
                     "drawn at random among the others.",
        "s_contest": "Asking a question or contesting",
        "contest_ask": "You can ask your Caf for the rules of this processing and the main "
                       "features of how it is carried out (article L311-3-1 of the CRPA): this "
                       "notice is part of them, and the full points table can be sent to you. "
                       "Quote your file number and the model reference given at the top of "
                       "this notice.",
        "contest_correct": "If an item of your file is wrong, you can ask for it to be "
                           "corrected; the correction also applies to the score.",
        "contest_cada": "If this information is refused to you, or you get no answer within a "
                        "month, you can refer the matter to the Commission for access to "
                        "administrative documents (CADA).",
        "contest_decision": "Being chosen for a check is not a decision on your rights. If a "
                            "decision is taken after the check, it is notified to you with the "
                            "ways and time limits to appeal: you will be able to give your "
                            "observations, then contest it before your Caf's amicable appeals "
                            "board and, if need be, before a court.",
        "contest_ddd": "If you think you were treated unequally, you can also refer the matter "
                       "to the Defender of Rights (Défenseur des droits).",
    },
}
# fmt: on


def phrase(lang: Lang, key: str, **fields: object) -> str:
    return STRINGS[lang][key].format(**fields)


def singular(value: float, lang: Lang) -> bool:
    """French writes "1,5 point" (singular below 2), English "1.5 points" (singular at 1)."""
    return abs(value) < 2 if lang == "fr" else abs(value) == 1
