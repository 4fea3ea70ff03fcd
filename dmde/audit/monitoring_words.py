"""The words of the monitoring report, in English and French: one set of strings, the same numbers.

The ethics committee reads French; the operator's terminal and an outside reader, English. Every
sentence of the monitor (its flags, its verdict, its limits, its method) is a format string of
:data:`MONITORING_STRINGS`, by language and key, with the same named fields in both; the terms the
audit report already translates (section titles, "Feature", group and attribute labels) come
from :mod:`dmde.audit.words` (:func:`~dmde.audit.words.tr`,
:func:`~dmde.audit.words.group_label`), not from a second dictionary. Numbers are written by
:func:`~dmde.core.rendering.format_value` in the language's conventions.

:func:`flag_sentence` writes one flag from its facts (a mapping of plain values that
:class:`~dmde.audit.monitoring.MonitoringFlag` carries), so that the same flag reads in either
language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dmde.audit.words import attribute_label, group_label
from dmde.core.rendering import Lang, format_value
from dmde.data.catalog import CATALOG

__all__ = [
    "MONITORING_STRINGS",
    "SEGMENT_WORDS",
    "attribute_words",
    "feature_words",
    "flag_sentence",
    "mtr",
    "p_text",
    "segment_words",
    "since_text",
    "subject_words",
]

#: The monitor's sentences, by language (the same keys and fields in each).
MONITORING_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Monitoring",
        "since_all": "from {first} (every month since, {n} in all)",
        "since_some": "from {first} ({n} of the {m} months since)",
        "since_first_all": "from the first month monitored, {first} (every month, {n} in all)",
        "since_first_some": "from the first month monitored, {first} ({n} of the {m} months)",
        "stable": "stable",
        "moderate": "moderate",
        "major": "major",
        "where_deciles": "on the baseline's deciles of its values",
        "where_bins": "on the model's bins",
        "where_segment": "on the model's bins in segment {segment}",
        "feature": (
            "Feature {feature} is unstable {since}: its distribution moved against the baseline "
            "up to a CSI of {csi} {where} in {month} ({level} shift; 0.10 moderate, 0.25 major)."
        ),
        "score": (
            "The score's distribution shifted {since}: PSI up to {psi} in {month} ({level} "
            "shift) on the baseline's score deciles."
        ),
        "rose": "rose",
        "fell": "fell",
        "group": (
            "The share of {group} among the files selected {way} from {base} in the baseline to "
            "{share} (95% interval {low} to {high}) {since}: beyond chance (p = {p}, Bonferroni "
            "over every month and group) and by more than the floor of {floor} points."
        ),
        "group_other": "{group} {way} from {base} to {share}",
        "group_others": " The other side of the same move, in {month}: {others}.",
        "auc": (
            "The AUC on the random controls fell {since}: {auc} (95% interval {low} to {high}) "
            "in {month}, against {reference} out of fold on the baseline's controls (interval "
            "{ref_low} to {ref_high}): below it beyond chance (one-sided p = {p}, Bonferroni "
            "over the months)."
        ),
        "calibration": (
            "Calibration departed {since}: in {month}, {observed} of the random controls had an "
            "overpayment (95% interval {low} to {high}) against {predicted} predicted, a gap of "
            "{gap} points where the baseline's was {base_gap}: beyond chance (p = {p}, "
            "Bonferroni over the months)."
        ),
        "verdict": "Verdict: {text}",
        "verdict_other_baseline": (
            "Verdict, against a baseline that is not the model's training data: {text}"
        ),
        "verdict_none": (
            "nothing moved beyond chance over the {n} months monitored ({first} to {last}); "
            "what this run could not see is said below."
        ),
        "verdict_changes": "{changes} over the {n} months monitored: {subjects}.",
        "verdict_gaps": (
            "no change during the {n} months monitored, but {gaps} with the baseline from the "
            "first month ({first}), which this run cannot date (before {first}, or the baseline "
            "itself): {subjects}."
        ),
        "verdict_both": (
            "{changes} over the {n} months monitored: {subjects}; and {gaps} with the baseline "
            "from the first month ({first}), which this run cannot date: {gap_subjects}."
        ),
        "one_change": "one change",
        "some_changes": "{k} changes",
        "one_gap": "one gap",
        "some_gaps": "{k} gaps",
        "subject_from": "{subject} from {month}",
        "held_since": "{subject} ({n} of the {m} months since)",
        "held_of": "{subject} ({n} of the {m} months)",
        "gap_note": (
            "A flag from the first month monitored ({first}) is a gap between the baseline and "
            "the months, not a change this run saw happen: it came between the baseline and "
            "{first}, or the baseline itself differs from the months (another period, a sample "
            "too small, not the data the model was trained on)."
        ),
        "gap_note_trained": (
            "A flag from the first month monitored ({first}) is a gap between the baseline (the "
            "model's training data) and the months, not a change this run saw happen: it came "
            "between the baseline and {first}, or from the training data itself (another "
            "period, a sample too small)."
        ),
        "calibration_first": (
            "The calibration gap is there from the first month monitored: the model predicts "
            "{predicted} where {observed} of the random controls had an overpayment in "
            "{month}. A model learns the rate of the controls it was trained on; the "
            "baseline's {controls} random controls ({months} months) had {rate} with an "
            "overpayment. A gap present from the first month more likely comes from that "
            "sample, or from a change before {month}, than from a drift seen during the run."
        ),
        "training_other": (
            "The baseline is not the data the model was trained on: the model file records "
            "training on {file} ({rows} random controls, SHA-256 {model_sha}), and the "
            "baseline's random controls, read as dmde train reads them, are {base_rows} rows"
            "{base_sha}. Every flag compares the months with this baseline, not "
            "with what the model learnt: what already differs between the training data and "
            "the baseline reads as a gap from the first month, and the baseline's AUC and "
            "calibration are not those of the training. If this baseline was chosen on "
            "purpose, read the flags as moves from it; otherwise give the training data as "
            "--baseline."
        ),
        "training_unknown": (
            "The model file records no SHA-256 of its training data: whether the baseline is "
            "that data was not checked."
        ),
        "training_unread": (
            "Whether the baseline is the model's training data was not checked: it has no "
            "random controls with a known {target}, as dmde train reads them."
        ),
        "meta_training": "training data",
        "with_sha": " with SHA-256 {sha}",
        "training_same": "the baseline (its random controls hash to the model file's SHA-256)",
        "training_not_same": "not the baseline (model trained on {file}, {rows} controls)",
        "training_not_checked": "not checked",
        "subject_feature": "feature {feature}",
        "subject_score": "the score's distribution",
        "subject_group": "the share of {group} among the files selected",
        "subject_auc": "the AUC",
        "subject_calibration": "the calibration",
        "nothing": (
            "Nothing was flagged over the {n} months monitored: no feature, no score shift, no "
            "fall of the AUC, no departure of calibration, and no group's share among the "
            "selected files moved beyond chance and beyond the floor of {floor} points."
        ),
        "below_floor": (
            "Beyond chance but below the floor of {floor} points, so not flagged: {items}."
        ),
        "below_floor_item": "{group} in {month} ({base} in the baseline, {share})",
        "untested": (
            "Not tested, too few files selected to compare (fewer than 5 expected in the group "
            "or out of it, in the month or in the baseline): {items}."
        ),
        "untested_item": "{group} ({n} of {m} months)",
        "limits_groups": (
            "Not flagged is not unchanged: with about {n1} files selected a month against {n0} "
            "in the baseline, a group making up 10% of the selected files is flagged only when "
            "its share moves by about {move} points or more (half the time at that size; the "
            "test is Bonferroni over {tested} month-group pairs, and the floor is {floor} "
            "points). Smaller moves pass unseen: see the figure and the table of shares."
        ),
        "limits_no_groups": "No group's share among the selected files could be tested.",
        "limits_auc": (
            "A month's AUC is flagged when it falls below the baseline's ({reference}, out of "
            "fold) by about {drop} or more at this run's sizes (half the time); a calibration "
            "gap, when it moves by about {gap} points or more. Both are read on each month's "
            "random controls only ({controls} a month)."
        ),
        "limits_no_auc": (
            "The AUC is not tested: the baseline's random controls could not be scored out of "
            "fold ({why})."
        ),
        "limits_no_calibration": (
            "Calibration is not tested: the baseline or the months have no random controls with "
            "a known target."
        ),
        "rejected": (
            "Rows left out because they break the catalog (as dmde score rejects them): {items}."
        ),
        "rejected_item": "{month}: {n} (first: row {row}, {column} {rule})",
        "method_psi": (
            "Stability index: sum over bins of (month share - baseline share) x ln(month share / "
            "baseline share). The score on the baseline's deciles; each feature on the model's "
            "bins (per segment) and on the baseline's deciles of its values. Below 0.10 stable, "
            "from 0.10 a moderate shift, from 0.25 a major shift (Siddiqi 2006)."
        ),
        "method_flag": (
            "An index is flagged when it reaches 0.10 and exceeds what chance gives with no "
            "change (chi-square bound, Yurdakul 2018), at a Bonferroni level: at most {alpha} "
            "chance of any false flag over the run, for the features and again for the score."
        ),
        "method_performance": (
            "Performance on each month's random controls, weighted by their survey weights: AUC "
            "with its Hanley-McNeil 95% interval, flagged when it falls below the baseline's "
            "AUC taken out of fold (the model refitted on 5 folds of the baseline's controls, "
            "as dmde train reports it) beyond chance (one-sided z test); observed rate (Wilson "
            "95% interval) against the mean predicted probability, flagged when their gap moves "
            "from the baseline's beyond chance (two-sided). Each at most {alpha} chance of any "
            "false flag over the run (Bonferroni over the months)."
        ),
        "method_groups": (
            "A group's share among the selected files is compared with its share among the "
            "baseline's selections (two-proportion z test), Bonferroni over every month and "
            "group tested: at most {alpha} chance of any false flag. A move beyond chance is "
            "flagged only when it reaches the floor of {floor} points: smaller ones are listed, "
            "not flagged."
        ),
        "fact_months": "months monitored",
        "fact_baseline_months": "baseline months",
        "fact_baseline_files": "baseline files",
        "fact_baseline_selected": "baseline files selected",
        "fact_baseline_auc": "baseline AUC (out of fold)",
        "fact_floor": "floor of a group's move",
        "over_time": "Over time",
        "fig_stability": (
            "The score's PSI and the features' largest CSI, month by month; dashed: 0.10 "
            "(moderate shift), dotted: 0.25 (major shift)."
        ),
        "fig_stability_alt": "Line chart of stability indices by month.",
        "fig_shares": (
            "Share of groups among the files selected, month by month, with 95% intervals; "
            "dashed: the group's share among the baseline's selections."
        ),
        "fig_shares_alt": "Line chart of group shares among the selected files by month.",
        "fig_performance": (
            "AUC on each month's random controls with 95% intervals; dashed: the baseline's "
            "AUC out of fold."
        ),
        "fig_performance_alt": "Line chart of the AUC by month.",
        "axis_stability": "stability index",
        "axis_share": "share among the selected (%)",
        "axis_auc": "AUC on the random controls",
        "score_psi": "score (PSI)",
        "method": "Method",
        "score_section": "The score month by month",
        "score_caption": "Score, selection, performance",
        "stability_section": "Features: the largest stability index each month",
        "stability_caption": (
            "Largest CSI of each feature (model's bins of each segment, deciles)"
        ),
        "composition_section": "Who is selected, month by month",
        "composition_caption": (
            "Share of each group among the files selected (Wilson 95% interval)"
        ),
        "col_month": "month",
        "col_files": "files",
        "col_rejected": "rows left out",
        "col_mean_score": "mean score",
        "col_psi": "PSI",
        "col_level": "level",
        "col_selected": "selected",
        "col_cut": "cut",
        "col_controls": "random controls",
        "col_auc": "AUC",
        "col_auc_low": "AUC low",
        "col_auc_high": "AUC high",
        "col_observed": "observed rate",
        "col_observed_low": "observed low",
        "col_observed_high": "observed high",
        "col_predicted": "predicted rate",
        "col_flags": "flagged",
        "col_feature": "feature",
        "col_attribute": "attribute",
        "col_group": "group",
        "col_share": "share",
        "col_low": "low",
        "col_high": "high",
        "col_baseline": "baseline",
        "col_p": "p",
        "yes": "yes",
        "below floor": "below the floor",
        "flag_auc": "AUC",
        "flag_calibration": "calibration",
        "flag_score": "PSI",
        "meta_model": "model",
        "meta_baseline": "baseline",
        "meta_panel": "panel",
        "meta_selection": "selection",
        "meta_false_alarms": "false alarms",
        "selection_budget": "{budget} files a month, ties ordered by seed {seed}",
        "selection_share": "{share} of each month, ties ordered by seed {seed}",
        "false_alarms": "at most {alpha} per kind of flag over the run",
    },
    "fr": {
        "title": "Surveillance",
        "since_all": "à partir de {first} (chaque mois depuis, {n} au total)",
        "since_some": "à partir de {first} ({n} des {m} mois depuis)",
        "since_first_all": "dès le premier mois surveillé, {first} (chaque mois, {n} au total)",
        "since_first_some": "dès le premier mois surveillé, {first} ({n} des {m} mois)",
        "stable": "stable",
        "moderate": "modéré",
        "major": "majeur",
        "where_deciles": "sur les déciles de ses valeurs dans la référence",
        "where_bins": "sur les classes du modèle",
        "where_segment": "sur les classes du modèle dans le segment {segment}",
        "feature": (
            "La variable {feature} est instable {since} : sa distribution s'est écartée de la "
            "référence jusqu'à un CSI de {csi} {where} en {month} (changement {level} ; 0,10 "
            "modéré, 0,25 majeur)."
        ),
        "score": (
            "La distribution du score s'est déplacée {since} : PSI jusqu'à {psi} en {month} "
            "(changement {level}) sur les déciles du score de la référence."
        ),
        "rose": "a augmenté",
        "fell": "a baissé",
        "group": (
            "La part des {group} parmi les dossiers sélectionnés {way} de {base} dans la "
            "référence à {share} (intervalle à 95 % de {low} à {high}) {since} : au-delà du "
            "hasard (p = {p}, Bonferroni sur tous les mois et groupes) et de plus que le seuil "
            "de {floor} points."
        ),
        "group_other": "la part des {group} {way} de {base} à {share}",
        "group_others": " L'autre face du même mouvement, en {month} : {others}.",
        "auc": (
            "L'AUC sur les contrôles aléatoires a baissé {since} : {auc} (intervalle à 95 % de "
            "{low} à {high}) en {month}, contre {reference} hors échantillon sur les contrôles "
            "de la référence (intervalle de {ref_low} à {ref_high}) : en dessous, au-delà du "
            "hasard (p unilatérale = {p}, Bonferroni sur les mois)."
        ),
        "calibration": (
            "La calibration s'est écartée {since} : en {month}, {observed} des contrôles "
            "aléatoires ont trouvé un indu (intervalle à 95 % de {low} à {high}) contre "
            "{predicted} prédits, un écart de {gap} points quand celui de la référence était "
            "de {base_gap} : au-delà du hasard (p = {p}, Bonferroni sur les mois)."
        ),
        "verdict": "Verdict : {text}",
        "verdict_other_baseline": (
            "Verdict, contre une référence qui n'est pas les données d'apprentissage du "
            "modèle : {text}"
        ),
        "verdict_none": (
            "rien n'a bougé au-delà du hasard sur les {n} mois surveillés (de {first} à "
            "{last}) ; ce que cette surveillance ne pouvait pas voir est dit plus bas."
        ),
        "verdict_changes": "{changes} sur les {n} mois surveillés : {subjects}.",
        "verdict_gaps": (
            "aucun changement pendant les {n} mois surveillés, mais {gaps} avec la référence "
            "dès le premier mois ({first}), que cette surveillance ne peut pas dater (avant "
            "{first}, ou la référence elle-même) : {subjects}."
        ),
        "verdict_both": (
            "{changes} sur les {n} mois surveillés : {subjects} ; et {gaps} avec la référence "
            "dès le premier mois ({first}), que cette surveillance ne peut pas dater : "
            "{gap_subjects}."
        ),
        "one_change": "un changement",
        "some_changes": "{k} changements",
        "one_gap": "un écart",
        "some_gaps": "{k} écarts",
        "subject_from": "{subject} à partir de {month}",
        "held_since": "{subject} ({n} des {m} mois depuis)",
        "held_of": "{subject} ({n} des {m} mois)",
        "gap_note": (
            "Une alerte dès le premier mois surveillé ({first}) est un écart entre la référence "
            "et les mois, pas un changement que cette surveillance a vu se produire : il est "
            "survenu entre la référence et {first}, ou la référence elle-même diffère des mois "
            "(une autre période, un échantillon trop petit, d'autres données que celles de "
            "l'apprentissage du modèle)."
        ),
        "gap_note_trained": (
            "Une alerte dès le premier mois surveillé ({first}) est un écart entre la référence "
            "(les données d'apprentissage du modèle) et les mois, pas un changement que cette "
            "surveillance a vu se produire : il est survenu entre la référence et {first}, ou "
            "vient des données d'apprentissage elles-mêmes (une autre période, un échantillon "
            "trop petit)."
        ),
        "calibration_first": (
            "L'écart de calibration est là dès le premier mois surveillé : le modèle prédit "
            "{predicted} quand {observed} des contrôles aléatoires ont trouvé un indu en "
            "{month}. Un modèle apprend le taux des contrôles sur lesquels il est entraîné ; "
            "les {controls} contrôles aléatoires de la référence ({months} mois) avaient "
            "trouvé un indu dans {rate} des cas. Un écart présent dès le premier mois vient "
            "plus probablement de cet échantillon, ou d'un changement avant {month}, que d'une "
            "dérive vue pendant la surveillance."
        ),
        "training_other": (
            "La référence n'est pas les données d'apprentissage du modèle : le fichier du "
            "modèle enregistre un apprentissage sur {file} ({rows} contrôles aléatoires, "
            "SHA-256 {model_sha}), et les contrôles aléatoires de la référence, lus comme dmde "
            "train les lit, font {base_rows} lignes{base_sha}. Chaque "
            "alerte compare les mois à cette référence, pas à ce que le modèle a appris : ce "
            "qui diffère déjà entre les données d'apprentissage et la référence se lit comme un "
            "écart dès le premier mois, et l'AUC et la calibration de la référence ne sont pas "
            "celles de l'apprentissage. Si cette référence a été choisie à dessein, lire les "
            "alertes comme des écarts à elle ; sinon, donner les données d'apprentissage en "
            "--baseline."
        ),
        "training_unknown": (
            "Le fichier du modèle n'enregistre pas l'empreinte SHA-256 de ses données "
            "d'apprentissage : que la référence soit ces données n'a pas été vérifié."
        ),
        "training_unread": (
            "Que la référence soit les données d'apprentissage du modèle n'a pas été vérifié : "
            "elle n'a pas de contrôle aléatoire au résultat connu ({target}), comme dmde train "
            "les lit."
        ),
        "meta_training": "données d'apprentissage",
        "with_sha": " d'empreinte SHA-256 {sha}",
        "training_same": (
            "la référence (ses contrôles aléatoires ont l'empreinte SHA-256 enregistrée dans "
            "le fichier du modèle)"
        ),
        "training_not_same": "pas la référence (modèle appris sur {file}, {rows} contrôles)",
        "training_not_checked": "non vérifié",
        "subject_feature": "la variable {feature}",
        "subject_score": "la distribution du score",
        "subject_group": "la part des {group} parmi les dossiers sélectionnés",
        "subject_auc": "l'AUC",
        "subject_calibration": "la calibration",
        "nothing": (
            "Aucune alerte sur les {n} mois surveillés : aucune variable, aucun déplacement du "
            "score, aucune baisse de l'AUC, aucun écart de calibration, et la part d'aucun "
            "groupe parmi les dossiers sélectionnés n'a bougé au-delà du hasard et du seuil de "
            "{floor} points."
        ),
        "below_floor": (
            "Au-delà du hasard mais sous le seuil de {floor} points, donc sans alerte : {items}."
        ),
        "below_floor_item": "{group} en {month} ({base} dans la référence, {share})",
        "untested": (
            "Non testés, trop peu de dossiers sélectionnés pour comparer (moins de 5 attendus "
            "dans le groupe ou hors du groupe, dans le mois ou dans la référence) : {items}."
        ),
        "untested_item": "{group} ({n} des {m} mois)",
        "limits_groups": (
            "Sans alerte ne veut pas dire sans changement : avec environ {n1} dossiers "
            "sélectionnés par mois contre {n0} dans la référence, un groupe qui forme 10 % des "
            "dossiers sélectionnés ne déclenche une alerte que si sa part bouge d'environ "
            "{move} points ou plus (une fois sur deux à cette taille ; le test est corrigé par "
            "Bonferroni sur {tested} couples mois-groupe, et le seuil est de {floor} points). "
            "Les mouvements plus petits passent inaperçus : voir la figure et le tableau des "
            "parts."
        ),
        "limits_no_groups": (
            "La part d'aucun groupe parmi les dossiers sélectionnés n'a pu être testée."
        ),
        "limits_auc": (
            "L'AUC d'un mois déclenche une alerte quand elle passe sous celle de la référence "
            "({reference}, hors échantillon) d'environ {drop} ou plus aux tailles de cette "
            "surveillance (une fois sur deux) ; un écart de calibration, quand il bouge "
            "d'environ {gap} points ou plus. Les deux se lisent sur les seuls contrôles "
            "aléatoires de chaque mois ({controls} par mois)."
        ),
        "limits_no_auc": (
            "L'AUC n'est pas testée : les contrôles aléatoires de la référence n'ont pas pu être "
            "scorés hors échantillon ({why})."
        ),
        "limits_no_calibration": (
            "La calibration n'est pas testée : la référence ou les mois n'ont pas de contrôle "
            "aléatoire au résultat connu."
        ),
        "rejected": (
            "Lignes écartées parce qu'elles enfreignent le catalogue (comme dmde score les "
            "rejette) : {items}."
        ),
        "rejected_item": "{month} : {n} (première : ligne {row}, {column} {rule})",
        "method_psi": (
            "Indice de stabilité : somme sur les classes de (part du mois - part de la "
            "référence) x ln(part du mois / part de la référence). Le score sur les déciles de "
            "la référence ; chaque variable sur les classes du modèle (par segment) et sur les "
            "déciles de ses valeurs dans la référence. Sous 0,10 stable, à partir de 0,10 un "
            "changement modéré, à partir de 0,25 un changement majeur (Siddiqi 2006)."
        ),
        "method_flag": (
            "Un indice déclenche une alerte quand il atteint 0,10 et dépasse ce que le hasard "
            "donne sans changement (borne du khi-deux, Yurdakul 2018), à un niveau de "
            "Bonferroni : au plus {alpha} de risque d'une fausse alerte sur toute la "
            "surveillance, pour les variables et de nouveau pour le score."
        ),
        "method_performance": (
            "Performance sur les contrôles aléatoires de chaque mois, pondérés par leurs poids "
            "d'enquête : AUC avec son intervalle à 95 % de Hanley-McNeil, en alerte quand elle "
            "passe sous l'AUC de la référence prise hors échantillon (le modèle réajusté sur 5 "
            "plis des contrôles de la référence, comme dmde train la rapporte) au-delà du "
            "hasard (test z unilatéral) ; taux observé (intervalle de Wilson à 95 %) contre la "
            "probabilité prédite moyenne, en alerte quand leur écart s'éloigne de celui de la "
            "référence au-delà du hasard (bilatéral). Chacun au plus {alpha} de risque d'une "
            "fausse alerte sur toute la surveillance (Bonferroni sur les mois)."
        ),
        "method_groups": (
            "La part d'un groupe parmi les dossiers sélectionnés est comparée à sa part parmi "
            "les sélections de la référence (test z de deux proportions), Bonferroni sur tous "
            "les mois et groupes testés : au plus {alpha} de risque d'une fausse alerte. Un "
            "mouvement au-delà du hasard n'est en alerte que s'il atteint le seuil de {floor} "
            "points : les plus petits sont listés, sans alerte."
        ),
        "fact_months": "mois surveillés",
        "fact_baseline_months": "mois de la référence",
        "fact_baseline_files": "dossiers de la référence",
        "fact_baseline_selected": "dossiers sélectionnés dans la référence",
        "fact_baseline_auc": "AUC de la référence (hors échantillon)",
        "fact_floor": "seuil du mouvement d'un groupe",
        "over_time": "Au fil des mois",
        "fig_stability": (
            "PSI du score et plus grand CSI des variables, mois par mois ; tirets : 0,10 "
            "(changement modéré), pointillés : 0,25 (changement majeur)."
        ),
        "fig_stability_alt": "Courbes des indices de stabilité par mois.",
        "fig_shares": (
            "Part des groupes parmi les dossiers sélectionnés, mois par mois, avec intervalles à "
            "95 % ; tirets : la part du groupe parmi les sélections de la référence."
        ),
        "fig_shares_alt": "Courbes des parts des groupes parmi les dossiers sélectionnés.",
        "fig_performance": (
            "AUC sur les contrôles aléatoires de chaque mois avec intervalles à 95 % ; tirets : "
            "l'AUC de la référence hors échantillon."
        ),
        "fig_performance_alt": "Courbe de l'AUC par mois.",
        "axis_stability": "indice de stabilité",
        "axis_share": "part parmi les sélectionnés (%)",
        "axis_auc": "AUC sur les contrôles aléatoires",
        "score_psi": "score (PSI)",
        "method": "Méthode",
        "score_section": "Le score mois par mois",
        "score_caption": "Score, sélection, performance",
        "stability_section": "Variables : le plus grand indice de stabilité de chaque mois",
        "stability_caption": (
            "Plus grand CSI de chaque variable (classes du modèle de chaque segment, déciles)"
        ),
        "composition_section": "Qui est sélectionné, mois par mois",
        "composition_caption": (
            "Part de chaque groupe parmi les dossiers sélectionnés (intervalle de Wilson à 95 %)"
        ),
        "col_month": "mois",
        "col_files": "dossiers",
        "col_rejected": "lignes écartées",
        "col_mean_score": "score moyen",
        "col_psi": "PSI",
        "col_level": "niveau",
        "col_selected": "sélectionnés",
        "col_cut": "seuil",
        "col_controls": "contrôles aléatoires",
        "col_auc": "AUC",
        "col_auc_low": "AUC basse",
        "col_auc_high": "AUC haute",
        "col_observed": "taux observé",
        "col_observed_low": "observé bas",
        "col_observed_high": "observé haut",
        "col_predicted": "taux prédit",
        "col_flags": "alerte",
        "col_feature": "variable",
        "col_attribute": "attribut",
        "col_group": "groupe",
        "col_share": "part",
        "col_low": "basse",
        "col_high": "haute",
        "col_baseline": "référence",
        "col_p": "p",
        "yes": "oui",
        "below floor": "sous le seuil",
        "flag_auc": "AUC",
        "flag_calibration": "calibration",
        "flag_score": "PSI",
        "meta_model": "modèle",
        "meta_baseline": "référence",
        "meta_panel": "panel",
        "meta_selection": "sélection",
        "meta_false_alarms": "fausses alertes",
        "selection_budget": ("{budget} dossiers par mois, ex aequo ordonnés par la graine {seed}"),
        "selection_share": "{share} de chaque mois, ex aequo ordonnés par la graine {seed}",
        "false_alarms": "au plus {alpha} par type d'alerte sur toute la surveillance",
    },
}


def mtr(key: str, lang: Lang = "en", **fields: Any) -> str:
    """The monitor's string ``key`` in ``lang`` (English for anything but ``"fr"``), filled.

    >>> mtr("since_all", "fr", first="2026-06", n=2)
    'à partir de 2026-06 (chaque mois depuis, 2 au total)'
    """
    text = MONITORING_STRINGS["fr" if lang == "fr" else "en"][key]
    return text.format(**fields) if fields else text


def p_text(p: float, lang: Lang = "en") -> str:
    """A p-value in two significant digits (``3.8e-06``; a decimal comma in French).

    >>> p_text(3.8e-06, "fr")
    '3,8e-06'
    """
    if not math.isfinite(p):
        return format_value(None, lang=lang)
    text = f"{p:.2g}"
    return text.replace(".", ",") if lang == "fr" else text


def since_text(months: Sequence[str], labels: Sequence[str], lang: Lang = "en") -> str:
    """ "from 2026-06 (every month since, 2 in all)": when a flag started and how it held.

    A flag from the first month monitored says so ("from the first month monitored, 2025-05
    (1 of the 3 months)"): it is a gap with the baseline, not a change seen during the run.

    >>> since_text(["2025-05"], ["2025-05", "2025-06", "2025-07"], "fr")
    'dès le premier mois surveillé, 2025-05 (1 des 3 mois)'
    """
    first = months[0]
    after = list(labels)[list(labels).index(first) :]
    every = len(months) == len(after)
    if first == labels[0]:
        key = "since_first_all" if every else "since_first_some"
    else:
        key = "since_all" if every else "since_some"
    return mtr(key, lang, first=first, n=len(months), m=len(after))


#: The levels that name a scorecard of a model (a family's segments, a model's periods).
SEGMENT_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "declarative": "incomes declared by the household",
        "prefilled": "pre-filled incomes",
        "before": "before income pre-filling",
        "after": "after income pre-filling",
    },
    "fr": {
        "declarative": "ressources déclarées par le foyer",
        "prefilled": "ressources préremplies",
        "before": "avant le préremplissage des ressources",
        "after": "après le préremplissage des ressources",
    },
}


def segment_words(segment: str, lang: Lang = "en") -> str:
    """A segment (a family's reporting mode, a model's period) as the reader names it: its
    French words in quotes in French, its code and its words in English.

    >>> segment_words("declarative", "fr"), segment_words("prefilled")
    ('«\xa0ressources déclarées par le foyer\xa0»', 'prefilled (pre-filled incomes)')
    """
    words = SEGMENT_WORDS["fr" if lang == "fr" else "en"].get(segment)
    if words is None:
        return segment
    return f"«\u00a0{words}\u00a0»" if lang == "fr" else f"{segment} ({words})"


def feature_words(feature: str, lang: Lang = "en", *, code: bool = False) -> str:
    """A feature as the reader names it: the catalog's label (:mod:`dmde.data.catalog`, as
    the audit report and the notices name it), in quotes in French; the column's name in
    English, with its label. ``code`` adds the column's name to the French (to find it in the
    tables).

    >>> feature_words("mean_cf_12m", "fr"), feature_words("mean_cf_12m", "fr", code=True)
    ('«\xa0complément familial\xa0»', '«\xa0complément familial\xa0» (mean_cf_12m)')
    >>> feature_words("mean_cf_12m")
    'mean_cf_12m (family supplement)'
    """
    column = CATALOG.get(feature)
    if column is None:
        return feature
    if lang == "fr":
        return f"«\u00a0{column.label_fr}\u00a0»" + (f" ({feature})" if code else "")
    return f"{feature} ({column.label})"


def _pct(x: float, lang: Lang) -> str:
    return format_value(x, "pct1", lang=lang)


def _num(x: float, fmt: str, lang: Lang) -> str:
    return format_value(x, fmt, lang=lang)


def _group(subject: str, lang: Lang) -> str:
    attribute, group = subject.split("=", 1)
    return group_label(attribute, group, lang)


def flag_sentence(kind: str, facts: Mapping[str, Any], lang: Lang = "en") -> str:
    """One flag in plain words from its facts (see :class:`~dmde.audit.monitoring.MonitoringFlag`).

    Raises
    ------
    KeyError
        If ``kind`` is not a kind of flag (a mistake in dmde, not in data).
    """
    since = since_text(facts["months"], facts["labels"], lang)
    if kind == "feature":
        segment = facts.get("segment")
        where = (
            mtr("where_deciles", lang)
            if facts["grid"] == "deciles"
            else mtr("where_bins", lang)
            if segment is None
            else mtr("where_segment", lang, segment=segment_words(segment, lang))
        )
        feature = facts["feature"]
        return mtr(
            "feature",
            lang,
            # the column's name in English, as the tables and the terminal show it
            feature=feature_words(feature, lang, code=True) if lang == "fr" else feature,
            since=since,
            csi=_num(facts["csi"], "num3", lang),
            where=where,
            month=facts["month"],
            level=mtr(facts["level"], lang),
        )
    if kind == "score":
        return mtr(
            "score",
            lang,
            since=since,
            psi=_num(facts["psi"], "num3", lang),
            month=facts["month"],
            level=mtr(facts["level"], lang),
        )
    if kind == "group":
        text = mtr(
            "group",
            lang,
            group=_group(facts["subject"], lang),
            way=mtr(facts["way"], lang),
            base=_pct(facts["baseline_share"], lang),
            share=_pct(facts["share"], lang),
            low=_pct(facts["share_low"], lang),
            high=_pct(facts["share_high"], lang),
            since=since,
            p=p_text(facts["p_value"], lang),
            floor=_num(100 * facts["floor"], "num1", lang),
        )
        others = [
            mtr(
                "group_other",
                lang,
                group=_group(o["subject"], lang),
                way=mtr(o["way"], lang),
                base=_pct(o["baseline_share"], lang),
                share=_pct(o["share"], lang),
            )
            for o in facts.get("others", ())
        ]
        if others:
            others_text = (" ; " if lang == "fr" else "; ").join(others)
            text += mtr("group_others", lang, month=facts["months"][0], others=others_text)
        return text
    if kind == "auc":
        return mtr(
            "auc",
            lang,
            since=since,
            auc=_num(facts["auc"], "num3", lang),
            low=_num(facts["auc_low"], "num3", lang),
            high=_num(facts["auc_high"], "num3", lang),
            month=facts["month"],
            reference=_num(facts["reference"], "num3", lang),
            ref_low=_num(facts["reference_low"], "num3", lang),
            ref_high=_num(facts["reference_high"], "num3", lang),
            p=p_text(facts["p_value"], lang),
        )
    if kind == "calibration":
        return mtr(
            "calibration",
            lang,
            since=since,
            month=facts["month"],
            observed=_pct(facts["observed_rate"], lang),
            low=_pct(facts["observed_low"], lang),
            high=_pct(facts["observed_high"], lang),
            predicted=_pct(facts["predicted_rate"], lang),
            gap=format_value(100 * facts["gap"], "signed2", lang=lang),
            base_gap=format_value(100 * facts["baseline_gap"], "signed2", lang=lang),
            p=p_text(facts["p_value"], lang),
        )
    raise KeyError(kind)


def subject_words(kind: str, subject: str, lang: Lang = "en") -> str:
    """What a flag is about, in a few words (the verdict's list)."""
    if kind == "feature":
        return mtr("subject_feature", lang, feature=feature_words(subject, lang))
    if kind == "group":
        return mtr("subject_group", lang, group=_group(subject, lang))
    return mtr(f"subject_{kind}", lang)


def attribute_words(attribute: str, lang: Lang = "en") -> str:
    """An attribute's label (``nationality``, ``nationalité``)."""
    return attribute_label(attribute, lang)
