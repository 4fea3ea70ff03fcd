"""The notice for the person concerned: their file's score, item by item, from the model file.

French law gives a person whose file was handled with an algorithm the right to an explanation
(CRPA articles L311-3-1 and R311-3-1-2): the degree and mode of contribution of the algorithm to
the decision; the data processed and their sources; the parameters and their weighting applied
to the person's situation; the operations performed. This module produces it from the model
that actually scored, as data first and a document second:

1. :func:`explain` turns one validated row into an :class:`Explanation`: for each item the
   model reads, the person's value, its bin, the points the model file gives that bin and the
   points of the average file; the intercept points; the score and the probability, all taken
   from the model itself (:meth:`~dmde.model.scorecard.Scorecard.contributions`,
   :meth:`~dmde.model.scorecard.Scorecard.points`, ``predict_proba``), so that the points shown add up
   exactly to the score; where the file stands in a selection (:class:`SelectionTable`); and the
   smallest changes of one or two items that would have brought the score below the selection
   cut (:data:`CHANGEABLE`), each re-scored through the model.
2. :func:`notice` renders an explanation as a :class:`~dmde.core.rendering.Document` in plain French
   (``lang="fr"``, the default) or English; every user-facing string of the notice is in
   :data:`STRINGS`, :data:`LEVELS`, :data:`SOURCES` and :data:`UNITS`, one entry per language.
3. :func:`explain_file` finds a ``dossier_id`` in a CSV or Parquet file in one streaming pass
   (only the columns the model needs are read) and :func:`write_notices` writes one notice per
   selected file of a selection, also in one pass.

The selection cut
-----------------
A selection file (``dmde select``) lists the selected files only, with ``rank_national``,
``rank_in_group``, ``score`` and ``selection_reason`` (``score`` or ``random``). The cut of a
file's group is the **lowest score among the files selected by score in that group**: the
person's quota group when the selection was made per group (the ``per`` column recorded in the
selection's manifest, or else read from the file's columns), the whole selection otherwise.
A score strictly below the cut ranks after every file selected by score in the group. (The
first file not selected is not in a selection file: its score is at most the cut, usually a
hundredth of a point below at national scale, so the cut is the threshold a reader can check.)
Files drawn at random were not chosen for their score: no change of score explains them.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dmde._version import __version__
from dmde.batch.manifest import read_manifest
from dmde.batch.scoring import csv_batches, needed_columns, parquet_batches
from dmde.batch.selection import OUTPUT_COLUMNS
from dmde.core.errors import DmdeError
from dmde.core.rendering import (
    Column as TableColumn,
)
from dmde.core.rendering import (
    Document,
    Items,
    Lang,
    Paragraph,
    Section,
    Table,
    format_value,
    to_html,
    to_json,
    to_markdown,
    to_text,
    write_text,
)
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, EXCLUDED_FAMILIES, Column, Family, columns_of
from dmde.data.datasets import (
    BATCH_ROWS,
    EXTENSIONS,
    arrow_schema,
    file_columns,
    parse_text,
    type_message,
    value_problems,
)
from dmde.model.binning import FeatureBinning
from dmde.model.model_file import load_model
from dmde.model.scaling import PointsScaling
from dmde.model.scorecard import Scorecard, ScorecardFamily

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

__all__ = [
    "CHANGEABLE",
    "DERIVED",
    "FIXED_LEVELS",
    "LEVELS",
    "NOTICE_FORMATS",
    "SOURCES",
    "STRINGS",
    "UNCHANGEABLE",
    "UNITS",
    "Change",
    "Counterfactual",
    "ExplainError",
    "Explanation",
    "FeatureLine",
    "FoundRow",
    "Placement",
    "Reason",
    "SelectionTable",
    "bin_text",
    "explain",
    "explain_file",
    "find_rows",
    "format_for",
    "notice",
    "read_selection",
    "render_notice",
    "value_text",
    "write_notice",
    "write_notices",
]

Model = Scorecard | ScorecardFamily
Value = str | int | float | None

#: Formats a notice can be written in, and their file extensions.
NOTICE_FORMATS: Mapping[str, str] = {"html": ".html", "md": ".md", "txt": ".txt", "json": ".json"}
#: At most this many counterfactual changes are reported.
MAX_COUNTERFACTUALS = 3
#: At most this many items are listed as having weighed most.
MAX_REASONS = 3


class ExplainError(DmdeError, ValueError):
    """A notice that cannot be produced: unknown file id, invalid row, mismatched selection."""


# --------------------------------------------------------------------------------------------
# What a situation can change. Counterfactuals change only the features of CHANGEABLE; every
# feature a policy admits is declared in exactly one of the three mappings (a test checks it).

#: Features a person's situation can actually change, and why.
CHANGEABLE: Mapping[str, str] = {
    # Income from work or other resources can rise or fall.
    "income_to_smic": "income can rise or fall (work, hours, other resources)",
    # How regular incomes are over the year changes with the kind of work.
    "income_volatility": "how regular incomes are changes with the kind of work",
    # The holder can take up, change or stop an activity (not retire: see FIXED_LEVELS).
    "activity_holder": "the holder can take up, change or stop an activity",
    # The partner's activity, when there is a partner (having one is not changed).
    "activity_partner": "the partner can take up, change or stop an activity",
}

#: Features that follow another one when it changes, and the rule (never changed on their own).
DERIVED: Mapping[str, str] = {
    # zero_income is 1 exactly when income_to_smic is 0 (the synthetic world and the catalog).
    "zero_income": "income_to_smic",
}

#: Features never changed by a counterfactual, and why (they cannot, or should not, change).
UNCHANGEABLE: Mapping[str, str] = {
    # Family composition: nobody should be led to change their family to avoid a check.
    "household_type": "the composition of the family",
    "n_children": "the number of children",
    "child_over_19": "the age of a child",
    # The children's activity is their own choice, not the person's.
    "children_activity": "the children's own activity",
    # A legal protection measure decided by a judge.
    "guardianship": "a legal protection measure decided by a judge",
    # Past events and facts of the last 12 or 24 months cannot be undone.
    "separation_12m": "a past event",
    "alimony_24m": "a fact of the last 24 months",
    # Benefit amounts follow from the person's rights: giving up a right is no change to suggest.
    "mean_total_12m": "benefits paid according to the person's rights",
    "mean_af_12m": "benefits paid according to the person's rights",
    "mean_cf_12m": "benefits paid according to the person's rights",
    "mean_prime_activite_12m": "benefits paid according to the person's rights",
    "mean_rsa_12m": "benefits paid according to the person's rights",
    "mean_housing_aid_12m": "benefits paid according to the person's rights",
    # A disability allowance follows from a disability.
    "mean_aah_12m": "a disability",
    # Time since the file was opened.
    "months_on_file": "the age of the file",
}

#: Levels a change never goes to or from (the feature is then left as it is).
FIXED_LEVELS: Mapping[str, tuple[str, ...]] = {
    # Retirement depends on age and career, not on a choice.
    "activity_holder": ("retired",),
    # Having a partner or not is a family matter; retirement as above.
    "activity_partner": ("no_partner", "retired"),
}

# --------------------------------------------------------------------------------------------
# Every user-facing string of the notice, one mapping per language.

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
                       "leur somme donne exactement le score.",
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
                       "add up exactly to the score.",
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


def _t(lang: Lang, key: str, **fields: object) -> str:
    return STRINGS[lang][key].format(**fields)


def _singular(value: float, lang: Lang) -> bool:
    """French writes "1,5 point" (singular below 2), English "1.5 points" (singular at 1)."""
    return abs(value) < 2 if lang == "fr" else abs(value) == 1


# --------------------------------------------------------------------------------------------
# The explanation, as data
@dataclass(frozen=True)
class FeatureLine:
    """One item the model reads: the person's value, its bin and its points.

    ``points`` is what the model file gives the bin; ``average_points`` the model's reference
    (its weighted mean points over the training rows) rounded like the points, and
    ``difference`` their difference.
    """

    column: str
    value: Value
    bin: int
    bin_label_fr: str
    bin_label_en: str
    points: float
    average_points: float
    difference: float

    def bin_label(self, lang: Lang) -> str:
        """The bin in words, in ``lang``."""
        return self.bin_label_fr if lang == "fr" else self.bin_label_en


@dataclass(frozen=True)
class Reason:
    """An item that gives the file more points than the average file (reason code)."""

    column: str
    points: float
    average_points: float
    excess: float


@dataclass(frozen=True)
class Placement:
    """Where the file stands in a selection.

    ``cut`` is the lowest score among the files selected by score in the file's group
    (``group_column`` = ``group``; the whole selection when ``group_column`` is None), or None
    if no file of the group was selected by score.
    """

    selected: bool
    reason: str | None
    rank_national: int | None
    rank_in_group: int | None
    group_column: str | None
    group: str | None
    cut: float | None
    n_files: int | None = None
    group_files: int | None = None


@dataclass(frozen=True)
class Change:
    """One feature moved to another bin; ``derived`` if it follows another change."""

    column: str
    old_value: Value
    new_value: Value
    old_bin: int
    new_bin: int
    new_bin_label_fr: str
    new_bin_label_en: str
    derived: bool = False

    def new_bin_label(self, lang: Lang) -> str:
        return self.new_bin_label_fr if lang == "fr" else self.new_bin_label_en


@dataclass(frozen=True)
class Counterfactual:
    """Changes of one or two features, and the score the model gives the changed file."""

    changes: tuple[Change, ...]
    score: float
    probability: float

    @property
    def columns(self) -> tuple[str, ...]:
        """The features changed on purpose (derived changes left out)."""
        return tuple(c.column for c in self.changes if not c.derived)


CounterfactualStatus = Literal[
    "found", "none_found", "no_selection", "not_selected", "random", "no_cut"
]


@dataclass(frozen=True)
class Explanation:
    """Everything a notice says about one file, computed from the model that scored it.

    The points add up: ``round(intercept_points + sum of the features' points, decimals)``
    equals ``score``, which is what the model's ``points`` gives the row.
    """

    dossier_id: int
    model_sha256: str | None
    segment_column: str | None
    segment: str | None
    values: Mapping[str, Value]
    features: tuple[FeatureLine, ...]
    intercept_points: float
    score: float
    probability: float
    scaling: PointsScaling
    reasons: tuple[Reason, ...]
    placement: Placement | None
    counterfactuals: tuple[Counterfactual, ...]
    counterfactual_status: CounterfactualStatus
    unused_features: tuple[str, ...]
    row: int | None = None
    excluded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def decimals(self) -> int:
        """Decimals of the published points."""
        return self.scaling.decimals

    @property
    def items_points(self) -> float:
        """The sum of the features' points, rounded like the score."""
        return round(math.fsum(f.points for f in self.features), self.decimals) + 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready raw values (the ``data`` of the notice's JSON)."""
        return {
            "dossier_id": self.dossier_id,
            "row": self.row,
            "model_sha256": self.model_sha256,
            "segment_column": self.segment_column,
            "segment": self.segment,
            "values": dict(self.values),
            "intercept_points": self.intercept_points,
            "features": [
                {
                    "column": f.column,
                    "value": f.value,
                    "bin": f.bin,
                    "bin_label": f.bin_label_en,
                    "points": f.points,
                    "average_points": f.average_points,
                    "difference": f.difference,
                }
                for f in self.features
            ],
            "score": self.score,
            "probability": self.probability,
            "scaling": self.scaling.to_dict(),
            "reasons": [r.__dict__ for r in self.reasons],
            "placement": None if self.placement is None else dict(self.placement.__dict__),
            "counterfactual_status": self.counterfactual_status,
            "counterfactuals": [
                {
                    "changes": [
                        {
                            "column": c.column,
                            "old_value": c.old_value,
                            "new_value": c.new_value,
                            "old_bin": c.old_bin,
                            "new_bin": c.new_bin,
                            "derived": c.derived,
                        }
                        for c in cf.changes
                    ],
                    "score": cf.score,
                    "probability": cf.probability,
                }
                for cf in self.counterfactuals
            ],
            "unused_features": list(self.unused_features),
            "excluded": {k: list(v) for k, v in self.excluded.items()},
        }


# --------------------------------------------------------------------------------------------
# The selection
@dataclass(frozen=True)
class SelectionTable:
    """A selection (the output of ``dmde select``) and its quota groups.

    Parameters
    ----------
    frame : DataFrame
        The selected files: at least ``dossier_id``, ``rank_national``, ``rank_in_group``,
        ``score`` and ``selection_reason``, plus the ``per`` column when groups were used.
    per : str, optional
        The column the budget was split by (None: one national group).
    n_files : int, optional
        Files ranked (from the selection's manifest), shown in the notice when known.
    group_files : mapping, optional
        Files ranked in each group (from the manifest).
    """

    frame: pd.DataFrame
    per: str | None = None
    n_files: int | None = None
    group_files: Mapping[str, int] = field(default_factory=dict)
    _position: dict[int, int] = field(init=False, repr=False, compare=False)
    _groups: Any = field(init=False, repr=False, compare=False)
    _cuts: dict[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needed = ["dossier_id", "rank_national", "rank_in_group", "score", "selection_reason"]
        if self.per is not None:
            needed.append(self.per)
        missing = [c for c in needed if c not in self.frame.columns]
        if missing:
            raise ExplainError(
                f"the selection has no column {', '.join(missing)}; use the file written by "
                "'dmde select'."
            )
        frame = self.frame.reset_index(drop=True)
        ids = frame["dossier_id"].to_numpy(dtype=np.int64)
        groups = (
            np.full(len(frame), "", dtype=object)
            if self.per is None
            else frame[self.per].astype(str).to_numpy(dtype=object)
        )
        by_score = frame["selection_reason"].astype(str).to_numpy() == "score"
        scores = frame["score"].to_numpy(dtype=np.float64)
        cuts: dict[str, float] = {}
        for group in sorted(set(groups[by_score].tolist())):
            cuts[group] = float(scores[by_score & (groups == group)].min())
        object.__setattr__(self, "frame", frame)
        object.__setattr__(self, "_position", {int(v): i for i, v in enumerate(ids)})
        object.__setattr__(self, "_groups", groups)
        object.__setattr__(self, "_cuts", cuts)

    @property
    def ids(self) -> list[int]:
        """The selected files' ids, in the order of the selection (national rank)."""
        return [int(v) for v in self.frame["dossier_id"]]

    def placement(self, dossier_id: int, group: str | None) -> Placement:
        """The placement of a file; ``group`` is its value of ``per`` (when not selected)."""
        position: int | None = self._position.get(int(dossier_id))
        if position is not None:
            group = str(self._groups[position])
        key = "" if self.per is None else (group or "")
        common = {
            "group_column": self.per,
            "group": None if self.per is None else group,
            "cut": self._cuts.get(key),
            "n_files": self.n_files,
            "group_files": self.group_files.get(key) if self.per is not None else self.n_files,
        }
        if position is None:
            return Placement(False, None, None, None, **common)  # type: ignore[arg-type]
        row = self.frame.iloc[position]
        return Placement(
            True,
            str(row["selection_reason"]),
            int(row["rank_national"]),
            int(row["rank_in_group"]),
            **common,  # type: ignore[arg-type]
        )

    def score_of(self, dossier_id: int) -> float | None:
        """The score the selection records for a file (None if not selected)."""
        position = self._position.get(int(dossier_id))
        return None if position is None else float(self.frame["score"].iloc[position])


_EXTRA = re.compile(r"^(segment|reason_.+)$")
_SELECTION_NUMBERS = {
    "dossier_id": pa.int64(),
    "rank_national": pa.int64(),
    "rank_in_group": pa.int64(),
    "score": pa.float64(),
    "probability": pa.float64(),
}


def read_selection(path: str | os.PathLike[str]) -> SelectionTable:
    """Read a selection file written by ``dmde select`` (CSV or Parquet) and its manifest.

    The quota column is the manifest's ``per`` when the manifest is beside the file; otherwise
    the column after :data:`~dmde.batch.selection.OUTPUT_COLUMNS` that is not ``segment`` or a
    reason code, else ``caf_code`` if a file's rank in its group differs from its national
    rank, else none (a national selection).

    Raises
    ------
    ExplainError
        If the file is missing, unreadable or lacks a column of a selection.
    """
    source = Path(path)
    kind = EXTENSIONS.get(source.suffix.lower())
    if kind is None:
        raise ExplainError(f"selection file {str(source)!r}: use a .csv or .parquet file.")
    if not source.is_file():
        raise ExplainError(f"selection file {str(source)!r} does not exist. Check the path.")
    try:
        if kind == "parquet":
            table = pq.read_table(source)
        else:
            header = _csv_header(source)
            types = {c: _SELECTION_NUMBERS.get(c, pa.string()) for c in header}
            types = {c: t for c, t in types.items() if not c.endswith("_points")}
            table = pacsv.read_csv(
                source,
                convert_options=pacsv.ConvertOptions(
                    column_types=types, null_values=[""], strings_can_be_null=True
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ExplainError(
            f"selection file {str(source)!r} cannot be read as {kind}: {first}. Use the file "
            "written by 'dmde select'."
        ) from None
    frame = table.to_pandas()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(str)
    manifest = _manifest(source)
    summary = manifest.get("summary", {}) if isinstance(manifest, dict) else {}
    per = summary["per"] if "per" in summary else _infer_per(frame)
    groups = summary.get("groups") or {}
    try:
        return SelectionTable(
            frame,
            per=per,
            n_files=summary.get("n_files"),
            group_files={str(k): int(v["files"]) for k, v in groups.items()},
        )
    except ExplainError as exc:
        raise ExplainError(f"selection file {str(source)!r}: {exc}") from None


def _csv_header(source: Path) -> list[str]:
    with source.open(encoding="utf-8-sig", newline="") as stream:
        return next(csv.reader(stream), [])


def _manifest(source: Path) -> Any:
    """The selection's manifest, or {} when absent or unreadable (it only adds context)."""
    try:
        return read_manifest(source) or {}
    except DmdeError:
        return {}


def _infer_per(frame: pd.DataFrame) -> str | None:
    extra = [c for c in frame.columns if c not in OUTPUT_COLUMNS and not _EXTRA.match(str(c))]
    if extra:
        return str(extra[0])
    if len(frame) and (frame["rank_in_group"] != frame["rank_national"]).any():
        return "caf_code"
    return None


# --------------------------------------------------------------------------------------------
# Explaining one row
def explain(
    model: Model,
    row: Mapping[str, Any] | pd.DataFrame,
    *,
    selection: SelectionTable | None = None,
    row_number: int | None = None,
) -> Explanation:
    """Explain the score of one file, item by item, from the model.

    Parameters
    ----------
    model : Scorecard or ScorecardFamily
        The model that scored (a loaded model file records its hash in the notice).
    row : mapping or one-row DataFrame
        The file's values: ``dossier_id``, the model's features and, for a model family, the
        routing column (``caf_code`` too when the selection is by Caf). Checked against the
        catalog.
    selection : SelectionTable, optional
        The selection the file was part of (see :func:`read_selection`): gives the rank, the
        cut and the counterfactual changes.
    row_number : int, optional
        The file's row in its data file (1 = first data row), recorded in the notice's data.

    Returns
    -------
    Explanation

    Raises
    ------
    ExplainError
        If a value breaks the catalog, the file's segment has no scorecard, or the selection
        records another score for the file (it was not made with this model and data).

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> df = synthesize(20_000, seed=1, controls=4_000)
    >>> checked = df[df["controlled"] == 1]
    >>> model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    >>> e = explain(model, df.iloc[0])
    >>> e.score == float(model.points(df.head(1))[0])
    True
    >>> round(e.intercept_points + e.items_points, 2) == e.score
    True
    """
    values = _row_values(row, model, _extra_columns(selection))
    problems = _row_problems(values)
    if problems:
        raise ExplainError(
            f"dossier_id {values.get('dossier_id')}: the row breaks the catalog, so it was not "
            f"scored: {'; '.join(problems)}. Fix the data, then score again."
        )
    return _explain(model, values, selection=selection, row_number=row_number)


def _explain(
    model: Model,
    values: Mapping[str, Value],
    *,
    selection: SelectionTable | None,
    row_number: int | None,
) -> Explanation:
    dossier_id = int(values["dossier_id"])  # type: ignore[arg-type]
    frame = _frame(values, needed_columns(model))
    scorecard, segment_column, segment = _scorecard_of(model, frame, dossier_id)
    contributions = scorecard.contributions(frame)[0]
    score = float(model.points(frame)[0])
    probability = float(model.predict_proba(frame)[0, 1])
    decimals = scorecard.scaling_.decimals
    lines = _feature_lines(scorecard, frame, contributions, decimals)
    total = round(scorecard.intercept_points_ + math.fsum(f.points for f in lines), decimals)
    if total != score:  # pragma: no cover - the model's points are these sums
        raise ExplainError(f"dossier_id {dossier_id}: the points add up to {total}, not {score}.")
    placement = None
    if selection is not None:
        group = None if selection.per is None else _text(values.get(selection.per))
        placement = selection.placement(dossier_id, group)
        recorded = selection.score_of(dossier_id)
        if recorded is not None and abs(recorded - score) > 0.5 * 10.0**-decimals:
            raise ExplainError(
                f"dossier_id {dossier_id}: the selection records a score of {recorded}, but the "
                f"model gives {score}: the selection was not made with this model and this data "
                "file. Use the model file and the data that were scored."
            )
    status, counterfactuals = _counterfactual_status(model, scorecard, frame, score, placement)
    codes = scorecard.reason_codes(frame, k=MAX_REASONS)
    by_column = {f.column: f for f in lines}
    reasons = tuple(
        Reason(
            column=str(c),
            points=by_column[str(c)].points,
            average_points=by_column[str(c)].average_points,
            excess=by_column[str(c)].difference,
        )
        for c in codes["feature"]
    )
    policy = scorecard.policy or DEFAULT_POLICY
    return Explanation(
        dossier_id=dossier_id,
        model_sha256=getattr(model, "model_sha256_", None),
        segment_column=segment_column,
        segment=segment,
        values=dict(values),
        features=lines,
        intercept_points=float(scorecard.intercept_points_),
        score=score,
        probability=probability,
        scaling=scorecard.scaling_,
        reasons=reasons,
        placement=placement,
        counterfactuals=counterfactuals,
        counterfactual_status=status,
        unused_features=tuple(c for c in policy.features if c not in model.features_),
        row=row_number,
        excluded={f.value: columns_of(f) for f in EXCLUDED_FAMILIES},
    )


def _row_values(
    row: Mapping[str, Any] | pd.DataFrame, model: Model, extra: Sequence[str]
) -> dict[str, Value]:
    """The row's values of the columns the model needs, and of ``extra`` ones when given.

    Nothing else of the row is kept: sensitive or other excluded columns never reach a notice.
    """
    if isinstance(row, pd.DataFrame):
        if len(row) != 1:
            raise ExplainError(f"explain takes one row; got a DataFrame of {len(row)} rows.")
        given = {str(k): v for k, v in row.iloc[0].items()}
    else:
        given = {str(k): v for k, v in row.items()}
    wanted = [*needed_columns(model)]
    missing = [c for c in wanted if c not in given]
    if missing:
        raise ExplainError(
            f"the row has no {', '.join(missing)}, which the model needs; give every column of "
            f"{', '.join(wanted)}."
        )
    keep = [*wanted, *(c for c in extra if c in given and c in CATALOG and c not in wanted)]
    return {c: _plain(given[c], CATALOG[c]) for c in keep}


def _plain(value: Any, col: Column) -> Value:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if col.dtype in ("category", "string"):
        return str(value)
    number = float(value)
    if col.dtype in ("int", "flag") and number.is_integer():
        return int(number)
    return number


def _row_problems(values: Mapping[str, Value]) -> list[str]:
    """The catalog rules one row's values break, in words."""
    found = []
    for name, value in values.items():
        col = CATALOG[name]
        target = arrow_schema([name]).field(name).type
        try:
            array = pa.array([value], type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            found.append(f"{name} = {value!r}: {type_message(col)}")
            continue
        for _, expected, _ in value_problems(col, array):
            found.append(f"{name} = {'(missing)' if value is None else repr(value)}: {expected}")
    return found


def _frame(values: Mapping[str, Value], columns: Sequence[str]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for name in columns:
        value = values[name]
        if CATALOG[name].dtype in ("category", "string"):
            data[name] = pd.Series([value], dtype=object)
        else:
            data[name] = pd.Series([np.nan if value is None else float(value)], dtype=np.float64)
    return pd.DataFrame(data)


def _scorecard_of(
    model: Model, frame: pd.DataFrame, dossier_id: int
) -> tuple[Scorecard, str | None, str | None]:
    if isinstance(model, Scorecard):
        return model, None, None
    segment = _text(frame[model.segment_column].iloc[0])
    if segment not in model.models_:
        raise ExplainError(
            f"dossier_id {dossier_id}: {model.segment_column} = {segment!r} has no scorecard "
            f"in the model (it has {', '.join(model.segments_)}), so the file was not scored."
        )
    return model.models_[segment], model.segment_column, segment


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _feature_lines(
    scorecard: Scorecard, frame: pd.DataFrame, contributions: Any, decimals: int
) -> tuple[FeatureLine, ...]:
    lines = []
    for j, (name, binning) in enumerate(
        zip(scorecard.features_, scorecard.binning_.bins_, strict=True)
    ):
        b = int(binning.assign(frame[name])[0])
        points = float(contributions[j])
        average = round(float(scorecard.reference_points_[j]), decimals) + 0.0
        lines.append(
            FeatureLine(
                column=name,
                value=_plain(frame[name].iloc[0], CATALOG[name]),
                bin=b,
                bin_label_fr=bin_text(binning, b, lang="fr"),
                bin_label_en=bin_text(binning, b, lang="en"),
                points=points,
                average_points=average,
                difference=round(points - average, decimals) + 0.0,
            )
        )
    return tuple(lines)


# --------------------------------------------------------------------------------------------
# Counterfactuals
@dataclass(frozen=True)
class _Move:
    column: str
    value: Value
    bin: int
    drop: float  # points lost by the move (positive)


def _counterfactual_status(
    model: Model,
    scorecard: Scorecard,
    frame: pd.DataFrame,
    score: float,
    placement: Placement | None,
) -> tuple[CounterfactualStatus, tuple[Counterfactual, ...]]:
    if placement is None:
        return "no_selection", ()
    if not placement.selected:
        return "not_selected", ()
    if placement.reason == "random":
        return "random", ()
    if placement.cut is None:  # pragma: no cover - a file selected by score sets its group's cut
        return "no_cut", ()
    found = _counterfactuals(model, scorecard, frame, cut=placement.cut)
    return ("found" if found else "none_found"), found


def _counterfactuals(
    model: Model, scorecard: Scorecard, frame: pd.DataFrame, *, cut: float
) -> tuple[Counterfactual, ...]:
    """The smallest changes of one, then two, :data:`CHANGEABLE` features bringing the score
    strictly below ``cut``, each verified by re-scoring the changed row through ``model``.

    Smallest means: fewest features, then the smallest drop of the score. For each set of
    features, only its smallest sufficient change is kept; a pair is kept only if neither of
    its features suffices alone. At most :data:`MAX_COUNTERFACTUALS` are returned.
    """
    moves = _moves(scorecard, frame)
    singles = [(m,) for ms in moves.values() for m in ms]
    pairs = [
        (a, b) for c1, c2 in itertools.combinations(moves, 2) for a in moves[c1] for b in moves[c2]
    ]
    candidates = [*singles, *pairs]
    if not candidates:
        return ()
    changed = _apply_all(frame, candidates)
    new_scores = model.points(changed)
    new_probability = scorecard.scaling_.probability(new_scores)  # as predict_proba does
    best: dict[tuple[str, ...], tuple[float, int]] = {}
    for i, combo in enumerate(candidates):
        if not new_scores[i] < cut:
            continue
        key = tuple(m.column for m in combo)
        if len(key) == 2 and any((c,) in best for c in key):
            continue
        if key not in best or new_scores[i] > best[key][0]:
            best[key] = (float(new_scores[i]), i)
    order = sorted(best.items(), key=lambda kv: (len(kv[0]), -kv[1][0], kv[0]))
    out = []
    for _, (new_score, i) in order[:MAX_COUNTERFACTUALS]:
        out.append(
            Counterfactual(
                changes=_changes(scorecard, frame, candidates[i]),
                score=new_score,
                probability=float(new_probability[i]),
            )
        )
    return tuple(out)


def _moves(scorecard: Scorecard, frame: pd.DataFrame) -> dict[str, list[_Move]]:
    """For each changeable feature, its moves to another bin that lower the points."""
    moves: dict[str, list[_Move]] = {}
    for name, binning, points in zip(
        scorecard.features_, scorecard.binning_.bins_, scorecard.bin_points_, strict=True
    ):
        if name not in CHANGEABLE:
            continue
        current = _plain(frame[name].iloc[0], CATALOG[name])
        if current is None or current in FIXED_LEVELS.get(name, ()):
            continue
        here = int(binning.assign(frame[name])[0])
        found = []
        for b in range(binning.n_bins - 1):  # never to the missing bin
            if b == here or not points[b] < points[here]:
                continue
            value = _value_in_bin(binning, b, current, CATALOG[name])
            if value is not None:
                found.append(_Move(name, value, b, float(points[here] - points[b])))
        if found:
            moves[name] = found
    return moves


def _value_in_bin(binning: FeatureBinning, b: int, current: Value, col: Column) -> Value:
    """A value of bin ``b`` close to ``current`` (None if the bin has no allowed value)."""
    if binning.kind == "categorical":
        fixed = FIXED_LEVELS.get(col.name, ())
        levels = [lv for lv in col.levels if lv in binning.groups[b] and lv not in fixed]
        return levels[0] if levels else None
    edges = binning.edges
    low = edges[b - 1] if b > 0 else -math.inf
    high = edges[b] if b < len(edges) else math.inf
    x = float(current)  # type: ignore[arg-type]
    if x < low:
        value = math.ceil(low) if binning.integer_valued else low
    else:
        value = math.ceil(high) - 1 if binning.integer_valued else math.floor(high * 100) / 100
        if not binning.integer_valued and value >= high:
            value = round(value - 0.01, 2)
        if value < low:
            value = (low + high) / 2
    if col.minimum is not None and value < col.minimum:
        value = col.minimum
    if col.maximum is not None and value > col.maximum:
        return None
    if int(binning.assign(np.array([value], dtype=np.float64))[0]) != b:
        return None
    return int(value) if col.dtype in ("int", "flag") else float(value)


def _apply_all(frame: pd.DataFrame, candidates: Sequence[Sequence[_Move]]) -> pd.DataFrame:
    """The one-row ``frame`` repeated, row i changed by ``candidates[i]`` (and derived columns)."""
    n = len(candidates)
    changed = frame.iloc[np.zeros(n, dtype=np.intp)].reset_index(drop=True)
    columns: dict[str, Any] = {}
    for i, combo in enumerate(candidates):
        for move in combo:
            if move.column not in columns:
                columns[move.column] = changed[move.column].to_numpy(copy=True)
            columns[move.column][i] = move.value
    for name, values in columns.items():
        changed[name] = pd.Series(values, dtype=frame[name].dtype)
    for derived, source in DERIVED.items():
        if source in columns and derived in changed.columns:
            touched = np.array([any(m.column == source for m in c) for c in candidates])
            rule = (changed[source].to_numpy(dtype=np.float64) == 0).astype(np.float64)
            changed[derived] = np.where(touched, rule, changed[derived].to_numpy(np.float64))
    return changed


def _apply(frame: pd.DataFrame, combo: Sequence[_Move]) -> pd.DataFrame:
    changed = frame.copy()
    for move in combo:
        changed[move.column] = pd.Series([move.value], dtype=changed[move.column].dtype)
        for derived, source in DERIVED.items():
            if source == move.column and derived in changed.columns:
                changed[derived] = float(move.value == 0)
    return changed


def _changes(
    scorecard: Scorecard, frame: pd.DataFrame, combo: Sequence[_Move]
) -> tuple[Change, ...]:
    changed = _apply(frame, combo)
    out = []
    primary = {m.column for m in combo}
    columns = [*(m.column for m in combo), *(d for d, s in DERIVED.items() if s in primary)]
    for name in columns:
        if name not in scorecard.features_:
            continue
        binning = scorecard.binning_.bins_[scorecard.features_.index(name)]
        old, new = frame[name].iloc[0], changed[name].iloc[0]
        old_bin, new_bin = (
            int(binning.assign(frame[name])[0]),
            int(binning.assign(changed[name])[0]),
        )
        if name not in primary and _plain(old, CATALOG[name]) == _plain(new, CATALOG[name]):
            continue
        out.append(
            Change(
                column=name,
                old_value=_plain(old, CATALOG[name]),
                new_value=_plain(new, CATALOG[name]),
                old_bin=old_bin,
                new_bin=new_bin,
                new_bin_label_fr=bin_text(binning, new_bin, lang="fr"),
                new_bin_label_en=bin_text(binning, new_bin, lang="en"),
                derived=name not in primary,
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Words for values and bins
def _number(value: float, lang: Lang) -> str:
    """A bin edge as the model holds it (6 significant digits), thousands grouped."""
    text = f"{value:.6g}"
    if "e" in text:
        text = np.format_float_positional(value, trim="-")
    decimals = len(text.partition(".")[2])
    if decimals <= 3:
        return format_value(value, f"num{decimals}", lang=lang)
    return text.replace(".", ",") if lang == "fr" else text


def _with_unit(text: str, col: Column, lang: Lang) -> str:
    unit = UNITS[lang].get(col.unit, col.unit)
    return f"{text} {unit}" if unit else text


def value_text(column: str, value: Value, *, lang: Lang = "fr") -> str:
    """A file's value of ``column`` in words (levels translated, units written out).

    Examples
    --------
    >>> value_text("household_type", "lone_parent")
    'parent isolé'
    >>> value_text("mean_rsa_12m", 1612.5, lang="en")
    '1,612.50 EUR a month'
    >>> value_text("zero_income", 1)
    'oui'
    """
    col = CATALOG[column]
    if value is None:
        return _t(lang, "missing")
    if col.dtype == "category":
        return LEVELS[lang].get(str(value), str(value))
    if col.dtype == "string":
        return str(value)
    if col.dtype == "flag":
        return _t(lang, "yes" if value else "no")
    fmt = "int" if col.dtype == "int" else "num2"
    return _with_unit(format_value(value, fmt, lang=lang), col, lang)


def bin_text(binning: FeatureBinning, b: int, *, lang: Lang = "fr") -> str:
    """Bin ``b`` of a feature in words, with the catalog's unit and levels translated.

    Examples
    --------
    >>> b = FeatureBinning(name="income_to_smic", kind="numeric", edges=(0.5, 1.2),
    ...                    woe=(0.4, 0.0, -0.3, 0.1), count=(30.0, 40.0, 30.0, 5.0),
    ...                    events=(6.0, 5.0, 2.0, 1.0))
    >>> [bin_text(b, i) for i in range(4)]
    ['moins de 0,5 Smic', 'de 0,5 à moins de 1,2 Smic', '1,2 Smic ou plus', 'non renseigné']
    >>> bin_text(b, 1, lang="en")
    '0.5 to less than 1.2 Smic'
    """
    col = CATALOG.get(binning.name)
    if b == binning.missing_bin:
        return _t(lang, "missing")
    if binning.kind == "categorical":
        return STRINGS[lang]["or"].join(LEVELS[lang].get(v, v) for v in binning.groups[b])
    if not binning.edges:
        return _t(lang, "all_values")
    ranges = _integer_ranges(binning, col) if binning.integer_valued else None
    if ranges is not None:
        low, high = ranges[b]
        if col is not None and col.dtype == "flag" and low == high:
            return _t(lang, "yes" if low else "no")
        if low == high:
            text = str(low)
        elif low is None:
            text = _t(lang, "int_less", high=high)
        elif high is None:
            text = _t(lang, "int_more", low=low)
        else:
            text = _t(lang, "int_between", low=low, high=high)
    else:
        edges = [_number(e, lang) for e in binning.edges]
        if b == 0:
            text = _t(lang, "num_less", high=edges[0])
        elif b == len(edges):
            text = _t(lang, "num_more", low=edges[-1])
        else:
            text = _t(lang, "num_between", low=edges[b - 1], high=edges[b])
    return text if col is None else _unit_in(text, col, lang)


def _unit_in(text: str, col: Column, lang: Lang) -> str:
    """The unit after the last number of a bin's words ("1,2 Smic ou plus")."""
    unit = UNITS[lang].get(col.unit, col.unit)
    if not unit:
        return text
    match = list(re.finditer(r"[0-9][0-9.,]*", text))[-1]
    return f"{text[: match.end()]} {unit}{text[match.end() :]}"


def _integer_ranges(
    binning: FeatureBinning, col: Column | None
) -> list[tuple[int | None, int | None]] | None:
    """Integer (low, high) of each value bin, as :func:`dmde.model.scorecard.bin_labels` reads them."""
    firsts = [math.ceil(e) for e in binning.edges]
    if any(high <= low for low, high in itertools.pairwise(firsts)):
        return None
    lows: list[int | None] = [None, *firsts]
    highs: list[int | None] = [*(f - 1 for f in firsts), None]
    if col is not None and col.minimum is not None and math.ceil(col.minimum) <= firsts[0] - 1:
        lows[0] = math.ceil(col.minimum)
    if col is not None and col.maximum is not None and math.ceil(col.maximum) == firsts[-1]:
        highs[-1] = math.ceil(col.maximum)
    return list(zip(lows, highs, strict=True))


def _lower_label(column: str, lang: Lang) -> str:
    col = CATALOG[column]
    return col.label_fr if lang == "fr" else col.label


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _label(column: str, lang: Lang) -> str:
    return _capitalised(_lower_label(column, lang))


def _source(column: str, lang: Lang) -> str:
    source = CATALOG[column].source
    return SOURCES[lang].get(source, source)


# --------------------------------------------------------------------------------------------
# The notice
def notice(explanation: Explanation, *, lang: Lang = "fr") -> Document:
    """The notice for the person concerned, as a document (see :mod:`dmde.core.rendering`).

    Parameters
    ----------
    explanation : Explanation
        From :func:`explain` or :func:`explain_file`.
    lang : {"fr", "en"}, default "fr"
        French (the notice sent) or English (a faithful translation, same numbers).
    """
    if lang not in STRINGS:
        raise ExplainError(f"lang must be 'fr' or 'en'; got {lang!r}.")
    e = explanation
    meta = [(_t(lang, "meta_dossier"), str(e.dossier_id))]
    if e.values.get("caf_code") is not None:
        meta.append((_t(lang, "meta_caf"), str(e.values["caf_code"])))
    if e.segment is not None:
        meta.append((_t(lang, "meta_segment"), LEVELS[lang].get(e.segment, e.segment)))
    meta.append((_t(lang, "meta_model"), e.model_sha256 or _t(lang, "meta_unsaved")))
    meta.append((_t(lang, "meta_version"), f"dmde {__version__}"))
    sections = (
        _section_what(lang),
        _section_selection(e, lang),
        _section_data(e, lang),
        _section_points(e, lang),
        _section_weighed(e, lang),
        _section_change(e, lang),
        _section_never(e, lang),
        _section_operations(e, lang),
        _section_contest(lang),
    )
    return Document(
        kind="notice",
        title=_t(lang, "title"),
        subtitle=_t(lang, "subtitle", dossier=e.dossier_id),
        sections=sections,
        lang=lang,
        meta=tuple(meta),
        data=e.to_dict(),
    )


def _target(lang: Lang) -> str:
    return CATALOG["target"].label_fr if lang == "fr" else CATALOG["target"].label


def _section_what(lang: Lang) -> Section:
    return Section(
        "what",
        _t(lang, "s_what"),
        (
            Paragraph(_t(lang, "what_1", target=_target(lang))),
            Paragraph(_t(lang, "what_2"), kind="note"),
            Paragraph(_t(lang, "what_3")),
        ),
    )


def _where(placement: Placement, lang: Lang) -> str:
    if placement.group_column is None:
        return _t(lang, "where_national")
    if placement.group_column == "caf_code":
        return _t(lang, "where_caf", group=placement.group)
    return _t(
        lang, "where_group", label=_label(placement.group_column, lang), group=placement.group
    )


def _points(value: float, e: Explanation, lang: Lang) -> str:
    return format_value(value, f"num{min(e.decimals, 3)}", lang=lang)


def _points_words(value: float, e: Explanation, lang: Lang, *, signed: bool = False) -> str:
    """A number of points with its noun: "0,44 point", "+31,23 points"."""
    text = format_value(value, "signed2", lang=lang) if signed else _points(value, e, lang)
    return f"{text} {_t(lang, 'point_one' if _singular(value, lang) else 'point_many')}"


def _section_selection(e: Explanation, lang: Lang) -> Section:
    p = e.placement
    blocks: list[Paragraph] = []
    if p is None:
        blocks.append(Paragraph(_t(lang, "sel_none")))
    else:
        where = _where(p, lang)
        if p.selected and p.reason == "score":

            def count(n: int | None) -> str:
                return (
                    "" if n is None else _t(lang, "of_count", n=format_value(n, "int", lang=lang))
                )

            blocks.append(
                Paragraph(
                    _t(
                        lang,
                        "sel_score",
                        rank_group=format_value(p.rank_in_group, "int", lang=lang),
                        where=where,
                        of_group=count(p.group_files),
                        rank=format_value(p.rank_national, "int", lang=lang),
                        of_all=count(p.n_files),
                    ),
                    kind="warning",
                )
            )
        elif p.selected:
            blocks.append(Paragraph(_t(lang, "sel_random"), kind="warning"))
        else:
            blocks.append(Paragraph(_t(lang, "sel_not"), kind="ok"))
        if p.cut is None:
            blocks.append(Paragraph(_t(lang, "sel_no_cut", where=where)))
        else:
            cut, score = _points(p.cut, e, lang), _points(e.score, e, lang)
            blocks.append(Paragraph(_t(lang, "sel_cut", where=where, cut=cut, score=score)))
    return Section("selection", _t(lang, "s_selection"), tuple(blocks))


def _section_data(e: Explanation, lang: Lang) -> Section:
    items = []
    shown = [*(f.column for f in e.features)]
    if e.segment_column is not None:
        shown.insert(0, e.segment_column)
    for name in shown:
        items.append(
            _t(
                lang,
                "data_item",
                label=_label(name, lang),
                value=value_text(name, e.values.get(name), lang=lang),
                source=_source(name, lang),
            )
        )
    blocks: list[Paragraph | Items] = [Paragraph(_t(lang, "data_intro")), Items(tuple(items))]
    if e.segment_column is not None:
        blocks.append(Paragraph(_t(lang, "data_routing"), kind="note"))
    if e.unused_features:
        labels = ", ".join(_lower_label(c, lang) for c in e.unused_features)
        blocks.append(Paragraph(_t(lang, "data_unused", labels=labels), kind="note"))
    return Section("data", _t(lang, "s_data"), tuple(blocks))


def _section_points(e: Explanation, lang: Lang) -> Section:
    fmt = f"num{min(e.decimals, 3)}"
    columns = (
        TableColumn("item", _t(lang, "col_item")),
        TableColumn("value", _t(lang, "col_value")),
        TableColumn("bin", _t(lang, "col_bin")),
        TableColumn("points", _t(lang, "col_points"), fmt),
        TableColumn("average", _t(lang, "col_average"), fmt),
        TableColumn("difference", _t(lang, "col_difference"), "signed2"),
    )
    rows: list[tuple[str | float | None, ...]] = [
        (_t(lang, "row_base"), "", "", e.intercept_points, e.intercept_points, 0.0)
    ]
    for f in e.features:
        rows.append(
            (
                _label(f.column, lang),
                value_text(f.column, f.value, lang=lang),
                f.bin_label(lang),
                f.points,
                f.average_points,
                f.difference,
            )
        )
    average_total = round(
        e.intercept_points + math.fsum(f.average_points for f in e.features), e.decimals
    )
    rows.append(
        (
            _t(lang, "row_total"),
            "",
            "",
            e.score,
            average_total,
            round(e.score - average_total, e.decimals) + 0.0,
        )
    )
    table = Table(
        columns,
        tuple(rows),
        caption=_t(lang, "points_caption"),
        note=_t(lang, "points_note"),
    )
    scaling = e.scaling
    base_probability = float(scaling.probability(scaling.base_points))
    return Section(
        "points",
        _t(lang, "s_points"),
        (
            Paragraph(_t(lang, "points_intro")),
            table,
            Paragraph(
                _t(
                    lang,
                    "points_sum",
                    base=_points(e.intercept_points, e, lang),
                    items=_points_words(e.items_points, e, lang, signed=True),
                    score=_points(e.score, e, lang),
                )
            ),
            Paragraph(
                _t(
                    lang,
                    "probability",
                    probability=format_value(e.probability, "pct1", lang=lang),
                    target=_target(lang),
                )
            ),
            Paragraph(
                _t(
                    lang,
                    "scaling",
                    base_points=format_value(scaling.base_points, "num0", lang=lang),
                    base_probability=format_value(base_probability, "pct0", lang=lang),
                    pdo=format_value(scaling.pdo, "num0", lang=lang),
                ),
                kind="note",
            ),
        ),
    )


def _section_weighed(e: Explanation, lang: Lang) -> Section:
    if not e.reasons:
        return Section("weighed", _t(lang, "s_weighed"), (Paragraph(_t(lang, "weighed_none")),))
    by_column = {f.column: f for f in e.features}
    items = tuple(
        _t(
            lang,
            "weighed_item",
            label=_label(r.column, lang),
            value=value_text(r.column, by_column[r.column].value, lang=lang),
            points=_points_words(r.points, e, lang, signed=True),
            excess=_points_words(r.excess, e, lang),
        )
        for r in e.reasons
    )
    return Section(
        "weighed",
        _t(lang, "s_weighed"),
        (Paragraph(_t(lang, "weighed_intro")), Items(items, ordered=True)),
    )


def _change_text(change: Change, lang: Lang) -> str:
    col = CATALOG[change.column]
    new = (
        value_text(change.column, change.new_value, lang=lang)
        if col.dtype in ("category", "flag")
        else change.new_bin_label(lang)
    )
    if change.derived:
        return _t(lang, "change_derived", label=_lower_label(change.column, lang), new=new)
    old = value_text(change.column, change.old_value, lang=lang)
    return _t(lang, "change_one", label=_lower_label(change.column, lang), new=new, old=old)


def _section_change(e: Explanation, lang: Lang) -> Section:
    title = _t(lang, "s_change")
    status = e.counterfactual_status
    cut = (
        "" if e.placement is None or e.placement.cut is None else _points(e.placement.cut, e, lang)
    )
    if status not in ("found", "none_found"):
        return Section("change", title, (Paragraph(_t(lang, f"change_{status}")),))
    changeable = ", ".join(_lower_label(c, lang) for c in CHANGEABLE)
    blocks: list[Paragraph | Items] = [
        Paragraph(_t(lang, "change_intro", cut=cut, changeable=changeable))
    ]
    if status == "none_found":
        blocks.append(Paragraph(_t(lang, "change_none", cut=cut)))
    else:
        items = tuple(
            _t(
                lang,
                "change_item",
                changes=_capitalised(
                    STRINGS[lang]["change_and"].join(_change_text(c, lang) for c in cf.changes)
                ),
                score=_points(cf.score, e, lang),
                drop=_points_words(round(cf.score - e.score, e.decimals), e, lang, signed=True),
            )
            for cf in e.counterfactuals
        )
        blocks += [Items(items), Paragraph(_t(lang, "change_caveat"), kind="note")]
    return Section("change", title, tuple(blocks))


def _section_never(e: Explanation, lang: Lang) -> Section:
    items = []
    for family, columns in e.excluded.items():
        labels = ", ".join(_lower_label(c, lang) for c in columns)
        items.append(_t(lang, f"never_{family}", labels=labels))
    return Section(
        "never", _t(lang, "s_never"), (Paragraph(_t(lang, "never_intro")), Items(tuple(items)))
    )


def _section_operations(e: Explanation, lang: Lang) -> Section:
    steps = [_t(lang, "op_read")]
    if e.segment is not None:
        steps.append(_t(lang, "op_route", segment=LEVELS[lang].get(e.segment, e.segment)))
    steps += [_t(lang, "op_bins"), _t(lang, "op_sum")]
    if e.placement is not None:
        steps += [_t(lang, "op_rank"), _t(lang, "op_select")]
    return Section("operations", _t(lang, "s_operations"), (Items(tuple(steps), ordered=True),))


def _section_contest(lang: Lang) -> Section:
    keys = ("contest_ask", "contest_correct", "contest_cada", "contest_decision", "contest_ddd")
    return Section("contest", _t(lang, "s_contest"), tuple(Paragraph(_t(lang, k)) for k in keys))


def render_notice(document: Document, *, format: str = "html") -> str:
    """The notice's text in ``format`` (html, md, txt or json)."""
    if format not in NOTICE_FORMATS:
        raise ExplainError(f"format must be one of {', '.join(NOTICE_FORMATS)}; got {format!r}.")
    if format == "html":
        return to_html(document)
    if format == "md":
        return to_markdown(document)
    if format == "txt":
        return to_text(document)
    return to_json(document)


def format_for(path: str | os.PathLike[str]) -> str:
    """The notice format of a file name: by its extension (``.htm`` too), html without one.

    Examples
    --------
    >>> format_for("notice.md"), format_for("notice")
    ('md', 'html')
    """
    suffix = Path(path).suffix.lower()
    if suffix in ("", ".htm"):
        return "html"
    for name, extension in NOTICE_FORMATS.items():
        if suffix == extension:
            return name
    raise ExplainError(
        f"cannot tell the notice format of {os.fspath(path)!r}: use an extension among "
        f"{', '.join(NOTICE_FORMATS.values())}, or give the format."
    )


def write_notice(
    explanation: Explanation,
    path: str | os.PathLike[str],
    *,
    lang: Lang = "fr",
    format: str = "html",
) -> Path:
    """Write one notice to ``path`` (atomically) and return the path."""
    target = Path(path)
    write_text(target, render_notice(notice(explanation, lang=lang), format=format))
    return target


# --------------------------------------------------------------------------------------------
# Finding files in a data file
@dataclass(frozen=True)
class FoundRow:
    """A file found in a data file: its row number, values and problems (empty if valid)."""

    row: int
    values: Mapping[str, Value]
    problems: tuple[str, ...]


def find_rows(
    model: Model,
    input_path: str | os.PathLike[str],
    ids: Iterable[int],
    *,
    extra: Sequence[str] = (),
    batch_size: int = BATCH_ROWS,
) -> dict[int, FoundRow]:
    """Find files by ``dossier_id`` in one streaming pass, reading only the needed columns.

    Each row found is checked against the catalog on its own (a problem elsewhere in the file
    does not matter). Ids not in the file are absent from the result.

    Raises
    ------
    ExplainError
        If the file lacks a column the model needs, or an id is on several rows.
    """
    source = Path(input_path)
    wanted = [*needed_columns(model)]
    header = file_columns(source)
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ExplainError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}, "
            "which the model needs."
        )
    wanted += [c for c in extra if c in header and c not in wanted and c in CATALOG]
    targets = np.unique(np.fromiter((int(i) for i in ids), dtype=np.int64))
    found: dict[int, FoundRow] = {}
    for first, batch, text in _batches(source, wanted, batch_size):
        id_values = batch.column("dossier_id")
        if text:
            id_values = parse_text(CATALOG["dossier_id"], id_values)[0]
        hits = pc.is_in(id_values, value_set=pa.array(targets, pa.int64()))
        positions = np.flatnonzero(np.asarray(hits.fill_null(False).to_numpy(zero_copy_only=False)))
        if positions.size == 0:
            continue
        rows = _check_rows(batch.take(pa.array(positions, pa.int64())), text=text)
        for position, (values, problems) in zip(positions, rows, strict=True):
            dossier = int(values["dossier_id"])  # type: ignore[arg-type]
            if dossier in found:
                raise ExplainError(
                    f"{source}: dossier_id {dossier} is on rows {found[dossier].row} and "
                    f"{first + int(position)}: each file must appear once (dmde validate lists "
                    "the rows)."
                )
            found[dossier] = FoundRow(first + int(position), values, tuple(problems))
    return found


def _batches(
    source: Path, columns: Sequence[str], batch_size: int
) -> Iterator[tuple[int, pa.RecordBatch, bool]]:
    """(first row number, batch, values are text) for every batch of the file."""
    text = EXTENSIONS[source.suffix.lower()] == "csv"
    stream = (
        csv_batches(source, columns, batch_size, text=True)
        if text
        else parquet_batches(source, columns, batch_size)
    )
    first = 1
    try:
        for batch in stream:
            yield first, batch, text
            first += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ExplainError(
            f"{source}: cannot be read: {first_line}. Run 'dmde validate' to list every problem."
        ) from None


def _check_rows(batch: pa.RecordBatch, *, text: bool) -> list[tuple[dict[str, Value], list[str]]]:
    """The values and the catalog problems of each row of a (small) batch."""
    n = batch.num_rows
    values: dict[str, list[Value]] = {}
    problems: list[list[str]] = [[] for _ in range(n)]
    for name in batch.schema.names:
        col, raw = CATALOG[name], batch.column(name)
        parsed = raw
        flagged = np.zeros(n, dtype=bool)
        if text:
            parsed, bad = parse_text(col, raw)
            for i in bad.tolist():
                problems[i].append(f"{name} = {raw[i].as_py()!r}: {type_message(col)}")
                flagged[i] = True
        for _, expected, mask in value_problems(col, parsed):
            for i in np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False))).tolist():
                if not flagged[i]:
                    shown = raw[i].as_py()
                    problems[i].append(
                        f"{name} = {'(missing)' if shown is None else repr(shown)}: {expected}"
                    )
                    flagged[i] = True
        if pa.types.is_dictionary(parsed.type):
            parsed = parsed.cast(parsed.type.value_type)
        values[name] = [_plain(v, col) for v in parsed.to_pylist()]
    return [({name: values[name][i] for name in values}, problems[i]) for i in range(n)]


def _load(model: Model | str | os.PathLike[str]) -> Model:
    if isinstance(model, Scorecard | ScorecardFamily):
        return model
    return load_model(model)


def _extra_columns(selection: SelectionTable | None) -> tuple[str, ...]:
    """Columns read besides the model's: the Caf and the quota column, if operational."""
    extra = ["caf_code"]
    if selection is not None and selection.per is not None:
        extra.append(selection.per)
    return tuple(c for c in extra if c in CATALOG and CATALOG[c].family is Family.OPERATIONAL)


def explain_file(
    model: Model | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    dossier_id: int,
    *,
    selection: SelectionTable | str | os.PathLike[str] | None = None,
    batch_size: int = BATCH_ROWS,
) -> Explanation:
    """Find a file in a data file (one streaming pass) and explain its score.

    Parameters
    ----------
    model : model or path of a model file
    input_path : path
        The data file that was scored (CSV or Parquet).
    dossier_id : int
    selection : SelectionTable or path of a selection file, optional

    Raises
    ------
    ExplainError
        If the id is not in the file, its row breaks the catalog (each problem named), or
        :func:`explain` refuses it.
    """
    loaded = _load(model)
    chosen = read_selection(selection) if isinstance(selection, str | os.PathLike) else selection
    found = find_rows(
        loaded, input_path, [dossier_id], extra=_extra_columns(chosen), batch_size=batch_size
    )
    if int(dossier_id) not in found:
        raise ExplainError(
            f"dossier_id {dossier_id} is not in {os.fspath(input_path)}: check the number and "
            "that this is the data file that was scored."
        )
    return _explain_found(loaded, found[int(dossier_id)], input_path, chosen)


def _explain_found(
    model: Model,
    row: FoundRow,
    input_path: str | os.PathLike[str],
    selection: SelectionTable | None,
) -> Explanation:
    if row.problems:
        raise ExplainError(
            f"{os.fspath(input_path)}: row {row.row} (dossier_id {row.values['dossier_id']}) "
            f"breaks the catalog, so it was not scored: {'; '.join(row.problems)}. Fix the "
            "data, then score again."
        )
    return _explain(model, row.values, selection=selection, row_number=row.row)


def write_notices(
    model: Model | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    selection_path: str | os.PathLike[str] | SelectionTable,
    out_dir: str | os.PathLike[str],
    *,
    lang: Lang = "fr",
    format: str = "html",
    limit: int | None = None,
    batch_size: int = BATCH_ROWS,
) -> list[Path]:
    """Write one notice per selected file, ``<out_dir>/<dossier_id>.<ext>``, in one pass.

    Every selected file is looked for first; if one is missing from the data file or breaks
    the catalog, nothing is written and the error lists them.

    Parameters
    ----------
    model : model or path of a model file
        The model that scored.
    input_path : path
        The data file that was scored (CSV or Parquet).
    selection_path : path or SelectionTable
        The selection (``dmde select``).
    out_dir : path
        Folder of the notices (created if needed).
    lang : {"fr", "en"}, default "fr"
    format : {"html", "md", "txt", "json"}, default "html"
    limit : int, optional
        Only the first ``limit`` selected files, in the selection's order (national rank).

    Returns
    -------
    list of Path
        The notices written, in the selection's order.
    """
    if format not in NOTICE_FORMATS:
        raise ExplainError(f"format must be one of {', '.join(NOTICE_FORMATS)}; got {format!r}.")
    loaded = _load(model)
    selection = (
        selection_path
        if isinstance(selection_path, SelectionTable)
        else read_selection(selection_path)
    )
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ExplainError(f"limit must be a whole number of at least 0; got {limit!r}.")
    ids = selection.ids if limit is None else selection.ids[:limit]
    found = find_rows(
        loaded, input_path, ids, extra=_extra_columns(selection), batch_size=batch_size
    )
    absent = [i for i in ids if i not in found]
    invalid = [
        f"row {found[i].row} (dossier_id {i})" for i in ids if i in found and found[i].problems
    ]
    if absent or invalid:
        parts = []
        if absent:
            shown = ", ".join(str(i) for i in absent[:5])
            parts.append(f"{len(absent)} selected files are not in the data file ({shown})")
        if invalid:
            parts.append(f"{len(invalid)} rows break the catalog ({', '.join(invalid[:5])})")
        raise ExplainError(
            f"{os.fspath(input_path)}: {'; '.join(parts)}; nothing was written. Use the data "
            "file that was scored."
        )
    target = Path(out_dir)
    written = []
    for i in ids:
        explanation = _explain(
            loaded, found[i].values, selection=selection, row_number=found[i].row
        )
        written.append(
            write_notice(
                explanation, target / f"{i}{NOTICE_FORMATS[format]}", lang=lang, format=format
            )
        )
    return written
