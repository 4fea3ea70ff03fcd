"""The words of the simulation report, in English and French: one set of strings, the same numbers.

The ethics committee reads French and must read the simulation's verdict first; an outside
reader, English. Every sentence, title, column header, caption and figure word of
:mod:`dmde.audit.simulation_report` is a format string of :data:`SIMULATION_STRINGS`, by language
and key, with the same named fields in both; :func:`swr` fills one. Terms the other reports
already translate are reused, not translated twice: groups and attributes by the audit's labels
(:func:`~dmde.audit.words.group_label`, :func:`~dmde.audit.words.attribute_label`), the figures'
number words (:data:`~dmde.audit.plot_style.WORDS_FR`), the monitor's "over time"
(:data:`~dmde.audit.monitoring_words.MONITORING_STRINGS`); the French uses the audit's and the
monitor's terms (contrôles, contrôles aléatoires, indu, dossiers, foyers, graine, politique des
variables). A policy's description in English stays where the policy is
(:data:`~dmde.audit.simulation_policies.BUILTIN_POLICIES`); its French is :data:`POLICY_WORDS`.

Numbers are written as the English report writes them, then put in French conventions by
:func:`localize` (decimal comma, narrow no-break space between thousands and before ``%``), so
that the two languages carry the same digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dmde.audit.monitoring_words import MONITORING_STRINGS
from dmde.audit.simulation_policies import BUILTIN_POLICIES, HISTORY_FEATURES
from dmde.core.rendering import Lang

__all__ = [
    "HISTORY_WORDS",
    "POLICY_NAMES",
    "POLICY_WORDS",
    "SIMULATION_STRINGS",
    "count_words",
    "localize",
    "policy_description",
    "policy_name",
    "policy_words",
    "swr",
]

#: The report's strings, by language (the same keys and fields in each).
SIMULATION_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # The document
        "title": "The reinforcement loop, simulated",
        "subtitle": "a simulation on synthetic data",
        "meta_world": "world",
        "world": (
            "synthetic panel, {rows} households, {months} months from {first}, seeds {seeds}"
        ),
        "meta_budget": "budget",
        "budget": "{share} of the files a year, {cooldown}-month cooldown",
        "meta_later": "a later check",
        "later_recovery": "finds only what no earlier check covered (recovery)",
        "later_no_recovery": "finds the overpayment again (no recovery)",
        "meta_effect": "history effect",
        "effect_none": "none (neutral world)",
        "effect_planted": "{effect} on the logit (planted)",
        "section_verdict": "Verdict",
        "section_over_time": "Over time",
        "section_compared": "The policies compared",
        "section_who": "Who bears the checks",
        "section_policies": "The policies",
        "section_assumptions": "What the simulator assumes",
        "section_months": "Month by month",
        # The figures
        "fig_over_time": (
            "The policies side by side, month by month: mean over the seeds (line) and 95% "
            "interval (band)."
        ),
        "fig_over_time_alt": (
            "Four line charts by month: hit rate, share of checks on already-checked files, "
            "AUC on the truth, files checked twice or more."
        ),
        "fig_composition": (
            "Share of each policy's checks by household type over the run, beside the type's "
            "share of the true overpayments (mean over seeds, 95% interval)."
        ),
        "fig_composition_alt": (
            "Grouped bar chart of shares of checks by household type and policy."
        ),
        "panel_hit_rate": "Checks finding an overpayment",
        "panel_repeat_share": "Checks on files checked\nin the last 24 months",
        "panel_auc_truth": "Ranking against the truth (AUC)",
        "panel_checked_2plus": "Files checked twice or more\nby the score (cumulative)",
        "axis_month": "month of the simulation",
        "axis_share": "share (%)",
        "true_overpayments": "true overpayments",
        # Counts and intervals
        "seed_one": "{n} seed",
        "seed_many": "{n} seeds",
        "degree_one": "{n} degree",
        "degree_many": "{n} degrees",
        "time_one": "{n} time",
        "time_many": "{n} times",
        "interval": "[{low}, {high}]",
        "no_interval": "[no interval]",
        "no_interval_cell": "no interval (one seed)",
        "pp": " pp",
        "share_margin": "±{margin} pp",
        "auc_margin": "±{margin}",
        "intervals_one": (
            "one seed: no interval across panels exists; shares carry the binomial (Wilson) "
            "95% interval of the one panel's checks, other figures and differences none"
        ),
        "intervals_many": (
            "95% across the {n} seeds (Student's t with {dof} of freedom; shares and AUCs on "
            "the logit, so that they stay within 0 and 1, around the share pooled over the "
            "seeds; differences paired by seed)"
        ),
        # What a comparison may say
        "higher": "clearly higher",
        "lower": "clearly lower",
        "no_difference": "no difference beyond {margin}",
        "cannot_tell": "cannot tell with {seeds}",
        "cannot_tell_no_interval": "cannot tell with {seeds} (no interval across panels)",
        # The verdict: what the settings make void or uncertain
        "one_seed": (
            "One seed: no interval across panels exists. Shares carry the binomial interval of "
            "the one panel's checks (it ignores how much another panel would differ), other "
            "figures and all differences none, and every comparison reads 'cannot tell': run "
            "{few} seeds or more (--seeds)."
        ),
        "few_seeds": (
            "Only {n} seeds: the intervals across seeds rest on {dof} of freedom (t = {t}), so "
            "they are wide and many comparisons cannot be told apart: run {few} seeds or more "
            "(--seeds) before reading a difference, or its absence."
        ),
        "void_retrain": (
            "Void by construction: no retraining happened within the {months} months (every "
            "{retrain} months, the first in month {first}), so the models never learnt from "
            "their own selections: {selected} is dmde exactly, and {history} differs from dmde "
            "only by reading control history, with a model fitted once on the first survey. "
            "Their comparisons with dmde below say nothing of the feedback loop: simulate more "
            "than {retrain} months (--months) or retrain more often (--retrain-every)."
        ),
        "void_cooldown": (
            "Void by construction: the {cooldown}-month cooldown forbids a second check on the "
            "score within {months} months, so 'files checked twice or more' is 0 under every "
            "policy, not a finding (checks on households checked in the last 24 months still "
            "count the survey's and the panel's earlier checks)."
        ),
        # The verdict: today's design, who bears the checks, the alternatives
        "today": (
            "Today's design against the survey-only baseline: dmde finds an overpayment in "
            "{hit} of its checks, {base} (no score) in {hit_base}, for a true rate of {rate} "
            "among the open files: difference {diff}, {said}."
        ),
        "repeats": (
            "Checks on households already checked in the last 24 months: {share} under dmde vs "
            "{share_base} under {base}, difference {diff}, {said}."
        ),
        "base_only": (
            "{base} (no score) finds an overpayment in {hit} of its checks, for a true rate of "
            "{rate} among the open files."
        ),
        "who": (
            "Who bears dmde's checks: {group} ({attribute}) make {share} of dmde's checks and "
            "{truth} of the true overpayments among the open files, a gap of {diff} "
            "({said}{baseline}). A score that targets risk concentrates checks on the groups it "
            "rates at higher risk, by design: the gap measures how far the checks depart from "
            "where the overpayments are, not whether that is right (every group in "
            "'{section}')."
        ),
        "who_baseline": "; {base}'s checks: {share}",
        "no_comparison": (
            "{name} against dmde: the same policy within this horizon (it never retrained, see "
            "above): no comparison."
        ),
        "against": (
            "{name} against dmde: checks on households already checked in the last 24 months "
            "{repeat} vs {repeat_ref}, difference {repeat_diff}, {repeat_said}; checks finding "
            "an overpayment {hit} vs {hit_ref}, difference {hit_diff}, {hit_said}"
        ),
        "against_auc": "; AUC on the truth {auc} vs {auc_ref}, difference {diff}, {said}",
        "against_twice": (
            "; files checked twice or more on the score by the last month: {twice} vs "
            "{twice_ref} (means over the seeds)"
        ),
        "drift": (
            "{name}'s largest move in who bears the checks: {group} ({attribute}) make {share} "
            "of its checks vs {share_ref} of dmde's (difference {diff}, {said}), for {truth} of "
            "the true overpayments."
        ),
        "caveat_simulation": (
            "This is a simulation on synthetic households whose truth is known, not a "
            "measurement of the agency's system; its assumptions (what a check finds, households "
            "that do not respond to checks) are stated below."
        ),
        "caveat_history": (
            "{history} reads control-history features that dmde's feature policy excludes from "
            "every model: it is outside the policy, fitted by the simulator alone to show what "
            "the exclusion prevents."
        ),
        # The tables
        "col_policy": "Policy",
        "col_hit_rate": "Checks finding an overpayment",
        "col_interval": "95% interval",
        "col_amount": "Found per month (EUR)",
        "col_auc": "AUC on the truth",
        "col_repeat": "Checks on already-checked files",
        "col_checked_2": "Files checked 2 times",
        "col_checked_3": "3 times",
        "col_checked_4plus": "4+ times",
        "col_gini": "Gini of checks among the checked (last month)",
        "summary_caption": (
            "Each policy over the run: shares of its checks pooled over the months and the "
            "seeds, the AUC and the amount means over the months then the seeds; intervals: "
            "{intervals}. Files checked several times on the score (means over the seeds; '–' "
            "when the cooldown forbids it within the run) and the Gini of all checks, score and "
            "survey, among the households checked at least once (0: each checked once), at the "
            "last month"
        ),
        "col_attribute": "Attribute",
        "col_group": "Group",
        "col_share_of": "Share of {name}'s checks",
        "col_truth": "Share of true overpayments",
        "col_fruitless": "Fruitless, {name}",
        "who_caption": (
            "Who bears the checks: each group's share of each policy's checks over the run, "
            "against its share of the true overpayments among the open files; fruitless: the "
            "share of the group's checks that found nothing (means over the seeds)"
        ),
        "col_month": "Month",
        "col_checks": "Checks",
        "col_month_hit_rate": "Hit rate",
        "col_found": "Found (EUR)",
        "col_month_repeat": "On already-checked files",
        "col_month_gini": "Gini",
        "months_caption": "Month by month, means over the seeds",
        # The policies
        "custom_policy": "a policy given through the Python API",
        "feature_item": "{feature}: {bins}",
        "list_separator": "; ",
        "policies_note": (
            "{history}'s control-history features ({features}) are excluded by dmde's feature "
            "policy from every model; the simulator fits them with its own logistic regression "
            "on bin codes, outside the production path, whose checks are unchanged."
        ),
        # The assumptions
        "assumptions_note": (
            "A simulation: synthetic households of dmde's monthly panel, whose true risk is "
            "known, not the agency's files. Its figures show what each policy does in this "
            "world; they carry over to the real system only as far as its assumptions do."
        ),
        "assume_check": (
            "What a check finds: an overpayment of at least 600 EUR lasting at least 6 months "
            "when the panel's truth says so (one latent draw per household against the month's "
            "true probability){recovery} Amount found: 600 EUR plus a lognormal(log 700, 0.8), "
            "as in the panel's labels."
        ),
        "assume_recovery": (
            ", if the 24-month look-back reaches months no earlier check covered: a file "
            "checked g months before (g < 24) yields a finding with probability g / 24 (what the "
            "earlier check found was recovered)."
        ),
        "assume_no_recovery": (
            ", whatever the earlier checks found (no recovery: the overpayment persists and a "
            "later check finds it again)."
        ),
        "assume_neutral": (
            "Behaviour: households do not respond to checks; their situations and true risk "
            "move as the panel says, whatever the policies do (the neutral world)."
        ),
        "assume_planted": (
            "Behaviour: planted: a check in the last 24 months moves the household's true logit "
            "by {effect} (checks change the truth)."
        ),
        "assume_budget": (
            "Budget: {share} of the files a year checked on the score, spread evenly over the "
            "months (floor(share x files open / 12) a month); a file checked (on the score or at "
            "random) in the last {cooldown} months is not selected again, under every policy "
            "(so over {months} months a file is checked on the score at most {most} times)."
        ),
        "assume_survey": (
            "Survey: the panel's random controls ({controls} a month, stratified, weighted) are "
            "checked under every policy and enter its control history; the first model of every "
            "model policy is trained on a year's survey drawn uniformly from the first month."
        ),
        "assume_training": (
            "Training: a logistic regression on binned features (deciles of the first month; "
            "one weight of evidence per bin), on the checks of the last 12 months, retrained "
            "every {retrain} months."
        ),
        "assume_history": (
            "Control history: each policy's own checks (score and survey) of the last 24 months, "
            "starting from the panel's history in the first month."
        ),
        "assume_auc": (
            "AUC on the truth: the AUC the scores would have against outcomes drawn from the "
            "true probabilities, over all open files (each file a case with weight p, a non-case "
            "with weight 1 - p)."
        ),
        "assume_intervals": (
            "Intervals: {intervals}. One panel per seed; the policies of a seed share its panel, "
            "survey and draws. A comparison names a difference when its interval excludes 0, "
            "says 'no difference' when the whole interval lies within {margin} (0.01 for an "
            "AUC), and 'cannot tell' otherwise. Differences of shares are in percentage points "
            "(pp)."
        ),
        "assume_concentration": (
            "Concentration: the share of checks on households checked (on the score or at "
            "random) in the last 24 months; files checked 2, 3, 4+ times on the score since "
            "month 1 (under the cooldown at most {times} in {months} months); the Gini of all "
            "checks (score and survey) among the households checked at least once since month "
            "1: 0 when each was checked once, higher when checks pile up on some."
        ),
    },
    "fr": {
        "title": "La boucle de renforcement, simulée",
        "subtitle": "une simulation sur données synthétiques",
        "meta_world": "monde simulé",
        "world": (
            "panel synthétique, {rows} foyers, {months} mois à partir de {first}, graines {seeds}"
        ),
        "meta_budget": "budget",
        "budget": (
            "{share} des dossiers par an, pas de nouveau contrôle sur un dossier pendant "
            "{cooldown} mois"
        ),
        "meta_later": "un contrôle ultérieur",
        "later_recovery": "ne trouve que ce qu'aucun contrôle antérieur n'a couvert (recouvrement)",
        "later_no_recovery": "retrouve le même indu (pas de recouvrement)",
        "meta_effect": "effet de l'historique",
        "effect_none": "aucun (monde neutre)",
        "effect_planted": "{effect} sur le logit (effet introduit)",
        "section_verdict": "Verdict",
        "section_over_time": MONITORING_STRINGS["fr"]["over_time"],
        "section_compared": "Les stratégies comparées",
        "section_who": "Qui supporte les contrôles",
        "section_policies": "Les stratégies",
        "section_assumptions": "Ce que suppose le simulateur",
        "section_months": "Mois par mois",
        "fig_over_time": (
            "Les stratégies côte à côte, mois par mois : moyenne sur les graines (trait) et "
            "intervalle à 95 % (bande)."
        ),
        "fig_over_time_alt": (
            "Quatre courbes par mois : taux de détection, part des contrôles sur des dossiers "
            "déjà contrôlés, AUC sur le risque réel, dossiers contrôlés deux fois ou plus."
        ),
        "fig_composition": (
            "Part des contrôles de chaque stratégie par situation familiale sur toute la "
            "simulation, à côté de la part des indus réels de chaque situation (moyenne sur les "
            "graines, intervalle à 95 %)."
        ),
        "fig_composition_alt": (
            "Diagramme en barres des parts des contrôles par situation familiale et par stratégie."
        ),
        "panel_hit_rate": "Contrôles trouvant un indu",
        "panel_repeat_share": "Contrôles sur des dossiers contrôlés\ndans les 24 derniers mois",
        "panel_auc_truth": "Classement face au risque réel (AUC)",
        "panel_checked_2plus": "Dossiers contrôlés deux fois ou plus\nsur le score (cumul)",
        "axis_month": "mois de la simulation",
        "axis_share": "part (%)",
        "true_overpayments": "indus réels",
        "seed_one": "{n} graine",
        "seed_many": "{n} graines",
        "degree_one": "{n} degré",
        "degree_many": "{n} degrés",
        "time_one": "{n} fois",
        "time_many": "{n} fois",
        # French notation of an interval, with no-break spaces: a line or a table cell never
        # splits it (it may split after the audit's "–", a break opportunity)
        "interval": "[{low}\u00a0;\u00a0{high}]",
        "no_interval": "[pas d'intervalle]",
        "no_interval_cell": "pas d'intervalle (une seule graine)",
        "pp": " points",
        "share_margin": "±{margin} points",
        "auc_margin": "±{margin}",
        "intervals_one": (
            "une seule graine : aucun intervalle entre panels n'existe ; les parts portent "
            "l'intervalle binomial (Wilson) à 95 % des contrôles de l'unique panel, les autres "
            "chiffres et les écarts aucun"
        ),
        "intervals_many": (
            "à 95 % entre les {n} graines (t de Student à {dof} de liberté ; parts et AUC sur "
            "le logit, pour qu'elles restent entre 0 et 1, autour de la part regroupée sur les "
            "graines ; écarts appariés par graine)"
        ),
        "higher": "nettement plus élevé",
        "lower": "nettement plus faible",
        "no_difference": "pas de différence au-delà de {margin}",
        "cannot_tell": "impossible de conclure avec {seeds}",
        "cannot_tell_no_interval": (
            "impossible de conclure avec {seeds} (pas d'intervalle entre panels)"
        ),
        "one_seed": (
            "Une seule graine, donc un seul panel simulé : il n'existe pas d'intervalle entre "
            "panels. Les parts portent l'intervalle binomial des contrôles de ce seul panel (il "
            "ignore combien un autre panel différerait), les autres chiffres et tous les écarts "
            "n'en ont aucun, et aucune comparaison ne peut trancher (« impossible de "
            "conclure ») : lancer {few} graines ou plus (--seeds)."
        ),
        "few_seeds": (
            "Seulement {n} graines (panels simulés) : les intervalles entre graines sont donc "
            "larges ({dof} de liberté, t = {t}) et beaucoup de comparaisons ne peuvent pas "
            "trancher : lancer {few} graines ou plus (--seeds) avant de lire un écart, ou son "
            "absence."
        ),
        "void_retrain": (
            "Sans objet par construction : aucun réapprentissage n'a eu lieu pendant les "
            "{months} mois (tous les {retrain} mois, le premier au mois {first}) ; les modèles "
            "n'ont donc jamais appris de leurs propres sélections : {selected} est exactement "
            "dmde, et {history} ne diffère de dmde que par la lecture de l'historique des "
            "contrôles, avec un modèle ajusté une seule fois sur la première enquête. Leurs "
            "comparaisons avec dmde ci-dessous ne disent rien de la boucle de renforcement : "
            "simuler plus de {retrain} mois (--months) ou réapprendre plus souvent "
            "(--retrain-every)."
        ),
        "void_cooldown": (
            "Sans objet par construction : un dossier contrôlé ne peut l'être de nouveau avant "
            "{cooldown} mois, ce qui interdit un second contrôle sur le score en {months} mois ; "
            "« dossiers contrôlés deux fois ou plus » vaut donc 0 pour chaque stratégie, ce "
            "n'est pas un constat (les contrôles sur des foyers contrôlés dans les 24 derniers "
            "mois comptent toujours les contrôles antérieurs de l'enquête et du panel)."
        ),
        "today": (
            "Le dispositif actuel face à la référence sans score : dmde trouve un indu dans "
            "{hit} de ses contrôles, {base} (sans score) dans {hit_base}, pour un taux réel "
            "d'indu de {rate} parmi les dossiers ouverts : écart de {diff}, {said}."
        ),
        "repeats": (
            "Contrôles sur des foyers déjà contrôlés dans les 24 derniers mois : {share} avec "
            "dmde contre {share_base} avec {base}, écart de {diff}, {said}."
        ),
        "base_only": (
            "{base} (sans score) trouve un indu dans {hit} de ses contrôles, pour un taux réel "
            "d'indu de {rate} parmi les dossiers ouverts."
        ),
        "who": (
            "Qui supporte les contrôles de dmde : les {group} ({attribute}) forment {share} des "
            "contrôles de dmde et {truth} des indus réels parmi les dossiers ouverts, un écart "
            "de {diff} ({said}{baseline}). Un score qui cible le risque concentre, par "
            "construction, les contrôles sur les groupes qu'il juge plus à risque : l'écart "
            "mesure combien les contrôles s'éloignent de là où sont les indus, pas si c'est "
            "justifié (tous les groupes dans « {section} »)."
        ),
        "who_baseline": " ; contrôles de {base} : {share}",
        "no_comparison": (
            "{name} face à dmde : la même stratégie sur cet horizon (jamais réentraînée, voir "
            "plus haut) : pas de comparaison."
        ),
        "against": (
            "{name} face à dmde : contrôles sur des foyers déjà contrôlés dans les 24 derniers "
            "mois {repeat} contre {repeat_ref}, écart de {repeat_diff}, {repeat_said} ; contrôles "
            "trouvant un indu {hit} contre {hit_ref}, écart de {hit_diff}, {hit_said}"
        ),
        "against_auc": " ; AUC sur le risque réel {auc} contre {auc_ref}, écart de {diff}, {said}",
        "against_twice": (
            " ; dossiers contrôlés deux fois ou plus sur le score au dernier mois : {twice} "
            "contre {twice_ref} (moyennes sur les graines)"
        ),
        "drift": (
            "{name} : le groupe dont la part des contrôles change le plus face à dmde est celui "
            "des {group} ({attribute}), qui forment {share} de ses contrôles contre {share_ref} "
            "de ceux de dmde (écart de {diff}, {said}), pour {truth} des indus réels."
        ),
        "caveat_simulation": (
            "Ceci est une simulation sur des foyers synthétiques dont la vérité est connue, pas "
            "une mesure du système de l'organisme ; ses hypothèses (ce que trouve un contrôle, "
            "des foyers qui ne réagissent pas aux contrôles) sont exposées plus bas."
        ),
        "caveat_history": (
            "{history} lit des variables d'historique des contrôles que la politique des "
            "variables de dmde exclut de tout modèle : cette stratégie est hors de la politique, "
            "ajustée par le seul simulateur pour montrer ce que l'exclusion empêche."
        ),
        "col_policy": "Stratégie",
        "col_hit_rate": "Contrôles trouvant un indu",
        "col_interval": "Intervalle à 95 %",
        "col_amount": "Indus trouvés par mois (euros)",
        "col_auc": "AUC sur le risque réel",
        "col_repeat": "Contrôles sur des dossiers déjà contrôlés",
        "col_checked_2": "Dossiers contrôlés 2 fois",
        "col_checked_3": "3 fois",
        "col_checked_4plus": "4 fois ou plus",
        "col_gini": "Gini des contrôles parmi les dossiers contrôlés (dernier mois)",
        "summary_caption": (
            "Chaque stratégie sur toute la simulation : parts de ses contrôles regroupées sur "
            "les mois et les graines, AUC et montants en moyenne sur les mois puis sur les "
            "graines ; intervalles : {intervals}. Dossiers contrôlés plusieurs fois sur le "
            "score (moyennes sur les graines ; « – » quand le délai entre deux contrôles "
            "l'interdit pendant la simulation) et Gini de tous les contrôles, score et enquête, "
            "parmi les foyers contrôlés au moins une fois (0 : chacun contrôlé une fois), au "
            "dernier mois"
        ),
        "col_attribute": "Attribut",
        "col_group": "Groupe",
        "col_share_of": "Part des contrôles, {name}",
        "col_truth": "Part des indus réels",
        "col_fruitless": "Sans résultat, {name}",
        "who_caption": (
            "Qui supporte les contrôles : part de chaque groupe dans les contrôles de chaque "
            "stratégie sur toute la simulation, face à sa part des indus réels parmi les "
            "dossiers ouverts ; sans résultat : la part des contrôles du groupe qui n'ont rien "
            "trouvé (moyennes sur les graines)"
        ),
        "col_month": "Mois",
        "col_checks": "Contrôles",
        "col_month_hit_rate": "Taux de détection",
        "col_found": "Indus trouvés (euros)",
        "col_month_repeat": "Sur des dossiers déjà contrôlés",
        "col_month_gini": "Gini",
        "months_caption": "Mois par mois, moyennes sur les graines",
        "custom_policy": "une stratégie fournie par l'API Python",
        "feature_item": "{feature} : {bins}",
        "list_separator": " ; ",
        "policies_note": (
            "Les variables d'historique des contrôles que lit {history} ({features}) sont "
            "exclues de tout modèle par la politique des variables de dmde ; le simulateur les "
            "ajuste avec "
            "sa propre régression logistique sur les codes de classes, hors du circuit de "
            "production, dont les vérifications restent inchangées."
        ),
        "assumptions_note": (
            "Une simulation : des foyers synthétiques du panel mensuel de dmde, dont le risque "
            "réel est connu, pas les dossiers de l'organisme. Ses chiffres montrent ce que fait "
            "chaque stratégie dans ce monde ; ils ne valent pour le système réel que dans la "
            "mesure où ses hypothèses valent."
        ),
        "assume_check": (
            "Ce que trouve un contrôle : un indu d'au moins 600 euros sur au moins 6 mois quand "
            "la vérité synthétique du panel le dit (un tirage latent par foyer face à la "
            "probabilité réelle du mois){recovery} Montant trouvé : 600 euros plus une loi "
            "log-normale (log 700 ; 0,8), comme dans les résultats de contrôle du panel."
        ),
        "assume_recovery": (
            ", si les 24 mois examinés par le contrôle atteignent des mois qu'aucun contrôle "
            "antérieur n'a couverts : un dossier contrôlé g mois plus tôt (g inférieur à 24) "
            "ne trouve l'indu qu'avec la probabilité g / 24 (ce que le contrôle antérieur a "
            "trouvé a été recouvré)."
        ),
        "assume_no_recovery": (
            ", quoi qu'aient trouvé les contrôles antérieurs (pas de recouvrement : l'indu "
            "persiste et un contrôle ultérieur le retrouve)."
        ),
        "assume_neutral": (
            "Comportement : les foyers ne réagissent pas aux contrôles ; leur situation et leur "
            "risque réel évoluent comme le panel le prévoit, quoi que fassent les stratégies "
            "(le monde neutre)."
        ),
        "assume_planted": (
            "Comportement : effet introduit : un contrôle dans les 24 derniers mois déplace le "
            "logit réel du foyer de {effect} (les contrôles changent la vérité)."
        ),
        "assume_budget": (
            "Budget : {share} des dossiers par an contrôlés sur le score, répartis également "
            "sur les mois (partie entière de (part x dossiers ouverts / 12) par mois) ; un "
            "dossier contrôlé (sur le score ou au hasard) dans les {cooldown} derniers mois "
            "n'est pas sélectionné de nouveau, quelle que soit la stratégie (ainsi, en {months} "
            "mois, un dossier est contrôlé sur le score au plus {most} fois)."
        ),
        "assume_survey": (
            "Enquête : les contrôles aléatoires du panel ({controls} par mois, stratifiés, "
            "pondérés) sont faits quelle que soit la stratégie et entrent dans son historique des "
            "contrôles ; le premier modèle de chaque stratégie à score est appris sur une "
            "année d'enquête tirée uniformément dans le premier mois."
        ),
        "assume_training": (
            "Apprentissage : une régression logistique sur des variables en classes (déciles du "
            "premier mois ; un poids de l'évidence par classe), sur les contrôles des 12 derniers "
            "mois, réapprise tous les {retrain} mois."
        ),
        "assume_history": (
            "Historique des contrôles : les contrôles propres à chaque stratégie (score et "
            "enquête) des 24 derniers mois, à partir de l'historique du panel au premier mois."
        ),
        "assume_auc": (
            "AUC sur le risque réel : l'AUC qu'auraient les scores face à des résultats tirés "
            "selon les probabilités réelles, sur tous les dossiers ouverts (chaque dossier un "
            "cas de poids p, un non-cas de poids 1 - p)."
        ),
        "assume_intervals": (
            "Intervalles : {intervals}. Un panel par graine ; les stratégies d'une même graine "
            "partagent son panel, son enquête et ses tirages. Une comparaison conclut à un écart "
            "quand son intervalle exclut 0, à « pas de différence » quand tout l'intervalle tient "
            "dans {margin} (0,01 pour une AUC), et à « impossible de conclure » sinon. Les écarts "
            "de parts sont en points de pourcentage (points)."
        ),
        "assume_concentration": (
            "Concentration : la part des contrôles sur des foyers contrôlés (sur le score ou au "
            "hasard) dans les 24 derniers mois ; les dossiers contrôlés 2, 3, 4 fois ou plus sur "
            "le score depuis le mois 1 (au plus {times} en {months} mois, vu le délai entre deux "
            "contrôles) ; le Gini de tous les contrôles (score et enquête) parmi les foyers "
            "contrôlés au moins une fois depuis le mois 1 : 0 quand chacun l'a été une fois, "
            "plus élevé quand les contrôles s'accumulent sur certains."
        ),
    },
}

#: The built-in policies' names as the report shows them (codes in English, as ``--policy``
#: takes them; plain words in French, the code beside them in "The policies").
POLICY_NAMES: dict[str, dict[str, str]] = {
    "en": {name: name for name in BUILTIN_POLICIES},
    "fr": {
        "random-only": "tirage au sort",
        "dmde": "dmde",
        "retrain-on-selected": "réappris sur ses sélections",
        "with-history": "avec l'historique des contrôles",
    },
}

#: What each built-in policy does (the English is :data:`BUILTIN_POLICIES`'s).
POLICY_WORDS: dict[str, Mapping[str, str]] = {
    "en": BUILTIN_POLICIES,
    "fr": {
        "random-only": "pas de score : le budget tiré uniformément au hasard (la référence)",
        "dmde": (
            "appris sur la seule enquête de contrôles aléatoires, variables sans historique des "
            "contrôles (le dispositif actuel)"
        ),
        "retrain-on-selected": (
            "appris sur tous les dossiers contrôlés, y compris ceux sélectionnés par le score"
        ),
        "with-history": (
            "comme « réappris sur ses sélections », plus des variables d'historique des "
            "contrôles (hors de la politique des variables de dmde)"
        ),
    },
}

#: The control-history features of ``with-history`` and their bins (the English is
#: :data:`HISTORY_FEATURES`'s).
HISTORY_WORDS: dict[str, Mapping[str, str]] = {
    "en": HISTORY_FEATURES,
    "fr": {
        "sim_checks_24m": "contrôles dans les 24 derniers mois : 0, 1, 2, 3 ou plus",
        "sim_found_24m": "l'un d'eux a trouvé un indu : non, oui",
        "sim_months_since_check": (
            "mois depuis le dernier contrôle : aucun en 24 mois, 0-5, 6-11, 12-23"
        ),
    },
}


def _strings(lang: Lang) -> dict[str, str]:
    return SIMULATION_STRINGS["fr" if lang == "fr" else "en"]


def swr(key: str, lang: Lang = "en", **fields: Any) -> str:
    """The simulation report's string ``key`` in ``lang`` (English for anything but ``"fr"``),
    filled with ``fields``.

    >>> swr("cannot_tell", "fr", seeds=count_words("seed", 3, "fr"))
    'impossible de conclure avec 3 graines'
    """
    text = _strings(lang)[key]
    return text.format(**fields) if fields else text


def count_words(what: str, n: int, lang: Lang = "en") -> str:
    """``n`` and the noun ``what`` (``seed``, ``degree``, ``time``), singular or plural as the
    language has it (French: singular for 0 and 1).

    >>> count_words("seed", 1), count_words("seed", 0), count_words("seed", 0, "fr")
    ('1 seed', '0 seeds', '0 graine')
    """
    one = n == 1 if lang != "fr" else n < 2
    return swr(f"{what}_{'one' if one else 'many'}", lang, n=n)


def localize(number: str, lang: Lang = "en") -> str:
    """A number written in English conventions (``1,234.5``, ``19.6%``, ``+0.017``), in
    ``lang``'s: unchanged in English; in French a decimal comma and a narrow no-break space
    between thousands and before ``%``, as :func:`~dmde.core.rendering.format_value` writes them.

    >>> localize("19.6%", "fr"), localize("1,234", "fr"), localize("+0.017", "fr")
    ('19,6\\u202f%', '1\\u202f234', '+0,017')
    """
    if lang != "fr":
        return number
    return (
        number.replace(",", "\x00")
        .replace(".", ",")
        .replace("\x00", "\u202f")
        .replace("%", "\u202f%")
    )


def policy_name(name: str, lang: Lang = "en") -> str:
    """A policy as the tables and figures name it: its code in English, its French name in
    French (a policy given through the Python API keeps its own name)."""
    return POLICY_NAMES["fr" if lang == "fr" else "en"].get(name, name)


def policy_words(name: str, lang: Lang = "en") -> str:
    """A policy as a sentence names it: its code in English; in French its name in quotes,
    ``dmde`` as is.

    >>> policy_words("random-only", "fr"), policy_words("random-only")
    ('«\\xa0tirage au sort\\xa0»', 'random-only')
    """
    label = policy_name(name, lang)
    if lang != "fr" or name == "dmde":
        return label
    return f"«\u00a0{label}\u00a0»"


def policy_description(name: str, lang: Lang = "en") -> str:
    """What a built-in policy does (:data:`POLICY_WORDS`), or that it was given through the
    Python API."""
    words = POLICY_WORDS["fr" if lang == "fr" else "en"]
    return words[name] if name in words else swr("custom_policy", lang)
