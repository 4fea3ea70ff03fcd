"""The whole audit in one call: :func:`audit` runs every part and returns an :class:`AuditResult`.

It puts the pieces of :mod:`dmde.audit` together the way the ethics committee reads them:

1. group metrics and disparities (:func:`~dmde.audit.metrics.audit_groups`) of the selection
   *by the score*; when the labels come from a random-control sample, the selection metrics
   are computed on every file and the error metrics (base rate, precision, TPR, ...) on the
   sample with its survey weights, and one multiple-comparison correction covers both;
2. selection against random checks, by group (:func:`~dmde.audit.targeting.selection_vs_random`);
3. with the model: proxies (how much of each attribute its features carry, on a seeded sample
   of rows), the decomposition of each group's mean-score gap into the points of each feature
   (every row), the exclusion proof (on the same sample), archetype profiles;
4. what the report needs to say what was audited: data, selection, model identity, parameters.

The model is optional: a scored table from another system (score, selection, labels, groups)
gets parts 1 and 2 ("generic mode"). Nothing here reads or writes files; :mod:`dmde.audit.report`
renders the result and the CLI reads the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.bootstrap import shared_rows
from dmde.audit.findings import amplification, findings
from dmde.audit.flags import flag_sentences
from dmde.audit.interactions import interaction_tests
from dmde.audit.metric_definitions import DISPARITY_COLUMNS, DISPARITY_METRICS
from dmde.audit.metricframe import (
    MetricFunction,
    MetricInputs,
    check_metrics,
    extra_metric_table,
)
from dmde.audit.metrics import GroupAudit, audit_groups_with, flag_disparities
from dmde.audit.model_parts import start_model_parts
from dmde.audit.result import AuditResult
from dmde.audit.settings import AuditError, AuditSettings
from dmde.audit.table_columns import (
    METHODS,
    canonical_order,
    label_values,
    method_values,
    require_column,
    selected_rows,
)
from dmde.audit.targeting import composition_tests, hit_rates_by_method, selection_vs_random
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["ALL_FILES", "METHODS", "AuditResult", "audit"]

#: The name of the one group of the national figures (:attr:`AuditResult.overall`).
ALL_FILES = "all files"

Model = Scorecard | ScorecardFamily

_SELECTION_METRICS = ("population_share", "share_among_selected", "selection_rate")
_SCORE_METRICS = ("mean_score", "mean_probability")


def audit(
    frame: pd.DataFrame,
    *,
    groups: pd.DataFrame,
    score: str | None = "score",
    probability: str | None = "probability",
    selected: str | None = "selected",
    method: str | None = None,
    budget: int | None = None,
    label: str | None = None,
    label_source: str = "labels",
    sample: str | None = None,
    weight: str | None = None,
    model: Model | None = None,
    id_column: str | None = "dossier_id",
    dmde_inputs: bool = False,
    settings: AuditSettings | None = None,
    extra_metrics: Mapping[str, MetricFunction] | None = None,
) -> AuditResult:
    """Run the whole audit of a scored and selected population, and reach its findings.

    Parameters
    ----------
    frame : DataFrame
        One row per file: the score (and probability), the selection, optionally the labels,
        the random-sample flag and weights, and the model's input columns when ``model`` is
        given. Group attributes are *not* read from it.
    groups : DataFrame
        The group attributes, one row per row of ``frame`` (see
        :func:`dmde.audit.targeting.group_columns`), passed separately from the data;
        categorical columns keep their declared order in every table.
    score : str or None
        The score column. None for a system that publishes only who was checked, how, and
        the outcome: the audit then has no score metrics (composition, hit and error rates).
    probability : str or None
        The predicted probability column, if any.
    selected : str or None
        Boolean column of the files selected for a check. None: apply ``budget``, or (with
        ``method``) every file whose method is not ``"none"`` is selected.
    method : str, optional
        Column saying how each file was chosen: one of :data:`METHODS` (``"score"``,
        ``"random"``, ``"other"``, ``"none"``), as in ``dmde select``'s ``selection_reason``;
        any other value is an error. Only files selected *by the score* count as selected in
        the group metrics; the random ones are the score's comparison point. When every row
        was checked (no ``"none"``), the table is not a population: the audit compares the
        composition and hit rates of score and random checks instead of selection rates.
    budget : int, optional
        Without ``selected``: select the ``budget`` highest scores (ties at the cut by a keyed
        hash of the id, or of each row; as ``dmde select`` for dmde's files).
    label : str, optional
        Column of outcomes (1 = overpayment, 0 = none, NaN = unknown).
    label_source : str
        Where the labels come from, in words, for the report (e.g. "the random-control sample").
    sample : str, optional
        Boolean column of the files checked at random (the random-control survey). With it,
        the error metrics are estimated on the sample, weighted by ``weight``, and the report
        compares selection by the score with the random checks.
    weight : str, optional
        Survey weights of the sample rows (with ``sample``), or of every row (without).
    model : Scorecard or ScorecardFamily, optional
        The model that scored (loaded from its file, so that its hash is known): adds proxies,
        score-gap decomposition, the exclusion proof, profiles and the model's identity.
    id_column : str or None
        The files' identifier (ignored when absent): it fixes the order of the rows (so that
        shuffling the input changes nothing) and the tie order at a budget's cut.
    dmde_inputs : bool
        True when the inputs are dmde's own (synthetic) files: the report may then speak of
        the agency and the synthetic world; otherwise its wording is neutral.
    settings : AuditSettings, optional
        The statistical options (reference groups, intersections, band, resamples, seed,
        smallest cell, test level, correction, proxy rows); default ``AuditSettings()``.
    extra_metrics : dict of str to function, optional
        fairlearn-style metrics (``y_true, y_pred -> value``, e.g.
        ``{"balanced_accuracy": sklearn.metrics.balanced_accuracy_score}``), computed per group
        on the labelled files with fairlearn's ``MetricFrame`` (``result.extra_metrics``);
        they need ``label``.

    Returns
    -------
    AuditResult

    Raises
    ------
    AuditError
        A missing column, a method value not declared, no file selected by the score, ...

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"score": rng.normal(500, 20, 2000)})
    >>> frame["probability"] = 1 / (1 + np.exp(-(frame["score"] - 560) / 20))
    >>> groups = pd.DataFrame({"gender": rng.choice(["female", "male"], 2000)})
    >>> result = audit(
    ...     frame, groups=groups, selected=None, budget=200, settings=AuditSettings(n_boot=50)
    ... )
    >>> result.data["selected_by_score"]
    200
    """
    settings = AuditSettings() if settings is None else settings
    extras = check_metrics(extra_metrics)
    if extras and label is None:
        raise AuditError(
            "extra_metrics compare the outcome with the selection: name the label column too "
            "(or leave extra_metrics out)."
        )
    if len(groups) != len(frame):
        raise AuditError(
            f"groups has {len(groups):,} rows for {len(frame):,} rows of data: pass the group "
            "columns of the same files, in the same order."
        )
    roles = {
        "score": score,
        "probability": probability,
        "selection": selected,
        "selection-method": method,
        "label": label,
        "sample": sample,
        "weight": weight,
    }
    named = [name for name in roles.values() if name is not None]
    for role, name in roles.items():
        if name is not None:
            require_column(frame, name, role)
    id_column = id_column if id_column is not None and id_column in frame.columns else None
    order = canonical_order(frame, groups, named, id_column)
    if np.array_equal(order, np.arange(len(frame))):  # already in order (dmde's files): no copy
        frame, groups = frame.reset_index(drop=True), groups.reset_index(drop=True)
    else:
        frame = frame.iloc[order].reset_index(drop=True)
        groups = groups.iloc[order].reset_index(drop=True)

    score_values = None if score is None else frame[score].to_numpy(dtype=float)
    how = None if method is None else method_values(frame, method)
    if selected is None and budget is None and how is not None:
        chosen, selection_rule, tied = how != "none", f"column {method!r} (not 'none')", 0
    else:
        chosen, selection_rule, tied = selected_rows(
            frame, score_values, selected, budget, id_column
        )
    by_score = chosen.copy()
    by_random = np.zeros(len(frame), dtype=bool)
    if how is not None:
        by_score = chosen & (how == "score")
        by_random = chosen & (how == "random")
    if not by_score.any():
        seen = "" if how is None else f" (methods found: {', '.join(sorted(set(how)))})"
        raise AuditError(
            f"no file is selected by the score among {len(frame):,}{seen}: there is nothing "
            "to audit. Check the selection and method columns (--method-values maps their "
            "values)."
        )
    all_checked = bool(chosen.all())
    labels = None if label is None else label_values(frame, label)
    in_sample = None if sample is None else frame[sample].astype(bool).to_numpy()
    weights = None if weight is None else frame[weight].to_numpy(dtype=float)
    prob_values = None if probability is None else frame[probability].to_numpy(dtype=float)
    min_cell, intersections = settings.min_cell, settings.intersections
    filler = np.zeros(len(frame)) if score_values is None else score_values

    def run(by: pd.DataFrame, settings: AuditSettings) -> GroupAudit:
        if in_sample is None or labels is None:
            return audit_groups_with(
                settings=settings,
                selected=by_score,
                score=filler,
                probability=prob_values,
                groups=by,
                label=labels,
                weight=weights,
            )
        return _two_stage(by_score, filler, prob_values, by, labels, in_sample, weights, settings)

    # The model's parts measured on a sample start now (beside the group audit, when worth it).
    finish_parts = (
        None
        if model is None
        else start_model_parts(model, frame, groups, seed=settings.seed, rows=settings.proxy_rows)
    )
    with shared_rows():  # the groups and the "all files" line code the same rows once
        groups_audit = run(groups, settings)
        # Every file as one group: the national figures each group is read against.
        make: Any = pd.Categorical.from_codes
        everyone = pd.DataFrame(
            {"all": make(np.zeros(len(frame), np.int8), categories=[ALL_FILES])}
        )
        overall = run(everyone, replace(settings, reference=None, intersections=False)).metrics
    if score_values is None:
        groups_audit = _without_score(groups_audit)
        overall = overall[~overall["metric"].isin(SCORE_METRICS)].reset_index(drop=True)

    random_checks = in_sample if in_sample is not None else (by_random if by_random.any() else None)
    control_weight = weights if in_sample is not None else None
    targeting = None
    if random_checks is not None and random_checks.any():
        targeting = selection_vs_random(
            groups,
            selected=by_score,
            controlled=random_checks,
            label=labels,
            control_weight=control_weight,
            min_cell=min_cell,
        )
    references = dict(groups_audit.method["reference"])
    extra = []
    if all_checked:
        # Not a population: selection rates would be the model's share of checks.
        keep = groups_audit.disparities["metric"].isin(CHECKED_TABLE_METRICS)
        groups_audit = replace(groups_audit, disparities=groups_audit.disparities[keep])
        if random_checks is not None and random_checks.any():
            extra.append(
                composition_tests(
                    groups,
                    selected=by_score,
                    controlled=random_checks,
                    control_weight=control_weight,
                    min_cell=min_cell,
                )
            )
    else:
        if labels is not None:
            extra.append(amplification(groups_audit.disparities))
        if intersections and groups.shape[1] > 1:
            extra.append(
                interaction_tests(
                    groups,
                    selected=by_score,
                    weight=None if in_sample is not None else weights,
                    min_cell=min_cell,
                )
            )
    disparities = pd.concat(
        [groups_audit.disparities, *[e for e in extra if len(e)]], ignore_index=True
    )
    disparities = flag_disparities(
        disparities[list(DISPARITY_COLUMNS)],
        band=settings.band,
        alpha=settings.alpha,
        correction=settings.correction,
    )
    method_notes = dict(groups_audit.method)
    method_notes["n_tested"] = int(disparities["tested"].sum())
    groups_audit = replace(groups_audit, disparities=disparities, method=method_notes)
    flags = flag_sentences(disparities)
    hit_rates = hit_rates_by_method(
        chosen=chosen,
        by_score=by_score,
        by_random=by_random,
        in_sample=in_sample,
        label=labels,
        weight=weights,
    )

    parts: dict[str, Any] = {} if finish_parts is None else finish_parts(groups_audit)

    data = {
        "rows": len(frame),
        "selection_rule": selection_rule,
        "tied_at_cut": tied,
        "selected": int(chosen.sum()),
        "selected_by_score": int(by_score.sum()),
        "selected_at_random": int(by_random.sum()),
        "all_checked": all_checked,
        "scored": score_values is not None,
        "dmde_inputs": dmde_inputs,
        "labels": label_source if labels is not None else None,
        "labelled_rows": None if labels is None else int(np.isfinite(labels).sum()),
        "sample_rows": None if in_sample is None else int(in_sample.sum()),
        "weighted": weights is not None,
        "attributes": list(groups.columns),
        "score_min": None if score_values is None else float(np.nanmin(score_values)),
        "score_max": None if score_values is None else float(np.nanmax(score_values)),
        "score_cut": (
            float(score_values[by_score].min())
            if score_values is not None and by_score.any()
            else None
        ),
    }
    options = settings.options()
    parameters = {
        **{k: v for k, v in options.items() if k not in ("reference", "proxy_rows")},
        "reference": references,
        "columns": {
            "score": score,
            "probability": probability,
            "selected": selected,
            "method": method,
            "label": label,
            "sample": sample,
            "weight": weight,
            "id": id_column,
        },
        "budget": budget,
        "proxy_rows": settings.proxy_rows,
    }
    found = findings(
        disparities,
        groups_audit.metrics,
        all_checked=all_checked,
        labelled=labels is not None,
        band=settings.band,
    )
    used = labels if labels is None or in_sample is None else np.where(in_sample, labels, np.nan)
    inputs = MetricInputs(
        groups=groups,
        selected=by_score,
        label=used,
        selection_weight=weights if in_sample is None else None,
        label_weight=weights,
        extra_metrics=extras,
    )
    return AuditResult(
        groups=groups_audit,
        overall=overall,
        flags=flags,
        findings=found,
        hit_rates=hit_rates,
        targeting=targeting,
        proxies=parts.get("proxies"),
        associations=parts.get("associations"),
        gaps=parts.get("gaps"),
        exclusion=parts.get("exclusion"),
        profiles=parts.get("profiles"),
        changes=parts.get("changes"),
        model=parts.get("model"),
        data=data,
        parameters=parameters,
        extra_metrics=(
            None
            if not extras or used is None
            else extra_metric_table(
                extras, groups=groups, selected=by_score, label=used, min_cell=min_cell
            )
        ),
        metric_inputs=inputs,
    )


#: Score metrics, absent when the audited system publishes no score.
SCORE_METRICS = ("mean_score", "mean_probability", "calibration_gap", "auc")
#: Comparisons that still mean something when every row of the table was checked.
CHECKED_TABLE_METRICS = ("precision", "mean_score", "mean_probability", "auc")


def _without_score(result: GroupAudit) -> GroupAudit:
    metrics = result.metrics[~result.metrics["metric"].isin(SCORE_METRICS)]
    disparities = result.disparities[~result.disparities["metric"].isin(SCORE_METRICS)]
    return replace(
        result,
        metrics=metrics.reset_index(drop=True),
        disparities=disparities.reset_index(drop=True),
        deciles=result.deciles.iloc[0:0],
        calibration=result.calibration.iloc[0:0],
    )


def _two_stage(
    selected: np.ndarray[Any, Any],
    score: np.ndarray[Any, Any],
    probability: np.ndarray[Any, Any] | None,
    groups: pd.DataFrame,
    labels: np.ndarray[Any, Any],
    in_sample: np.ndarray[Any, Any],
    weights: np.ndarray[Any, Any] | None,
    settings: AuditSettings,
) -> GroupAudit:
    """Selection metrics on every file; error metrics on the random sample, weighted.

    The disparities are flagged by :func:`audit`, under one correction with its other tests.
    """
    whole = audit_groups_with(
        settings=settings, selected=selected, score=score, probability=probability, groups=groups
    )
    rows = np.flatnonzero(in_sample)
    if len(rows) == 0:
        raise AuditError("the random sample is empty: no row has the sample flag set.")
    checked = audit_groups_with(
        settings=replace(settings, reference=whole.method["reference"]),
        selected=selected[rows],
        score=score[rows],
        probability=None if probability is None else probability[rows],
        groups=groups.iloc[rows].reset_index(drop=True),
        label=labels[rows],
        weight=None if weights is None else weights[rows],
    )
    return _combine_stages(whole, checked, len(rows), weighted=weights is not None)


def _combine_stages(
    whole: GroupAudit, checked: GroupAudit, n_sample: int, *, weighted: bool
) -> GroupAudit:
    """Selection and score metrics of ``whole`` (every file), the others of ``checked`` (the
    random sample of ``n_sample`` files): the group audit of :func:`_two_stage`, whichever
    engine made the two parts."""
    from_whole = [*_SELECTION_METRICS, *_SCORE_METRICS]
    metrics = pd.concat(
        [
            whole.metrics[whole.metrics["metric"].isin(from_whole)],
            checked.metrics[~checked.metrics["metric"].isin(from_whole)],
        ],
        ignore_index=True,
    )
    disparities = pd.concat(
        [
            whole.disparities[whole.disparities["metric"].isin(from_whole)],
            checked.disparities[~checked.disparities["metric"].isin(from_whole)],
        ],
        ignore_index=True,
    )
    # Back in the order of one audit: groups in their natural order, metrics as declared.
    # The flags are set by audit(), once over every test.
    metric_order = {m: i for i, m in enumerate(DISPARITY_METRICS)}
    keys = list(zip(disparities["attribute"], disparities["group"], strict=True))
    group_order = {
        k: i
        for i, k in enumerate(
            dict.fromkeys(
                zip(whole.disparities["attribute"], whole.disparities["group"], strict=True)
            )
        )
    }
    disparities = disparities.iloc[
        np.lexsort(
            (
                disparities["metric"].map(metric_order).to_numpy(),
                np.asarray([group_order.get(k, len(group_order)) for k in keys]),
            )
        )
    ].reset_index(drop=True)
    method = dict(whole.method)
    method["labels"] = (
        "error metrics (base rate, precision, TPR, FPR, FNR, false-positive burden, "
        "calibration, AUC) are estimated on the random-control sample "
        f"({n_sample:,} files{', survey-weighted' if weighted else ''}); "
        "selection metrics on every file"
    )
    return GroupAudit(
        metrics=metrics,
        disparities=disparities,
        deciles=whole.deciles,
        calibration=checked.calibration,
        method=method,
    )
