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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.findings import amplification, findings
from dmde.audit.interactions import interaction_tests
from dmde.audit.metricframe import (
    MetricFunction,
    MetricInputs,
    check_metrics,
    extra_metric_table,
    metric_frame,
)
from dmde.audit.metrics import (
    DISPARITY_COLUMNS,
    DISPARITY_METRICS,
    GroupAudit,
    audit_groups_with,
    flag_disparities,
)
from dmde.audit.profiles import profile_changes, score_profiles
from dmde.audit.proxies import exclusion_proof, feature_association, proxy_strength, score_gaps
from dmde.audit.settings import AuditError, AuditSettings
from dmde.audit.targeting import composition_tests, hit_rates_by_method, selection_vs_random
from dmde.audit.words import attribute_label, group_label
from dmde.batch.selection import rank_order
from dmde.core.rendering import format_value
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, EXCLUDED_FAMILIES, columns_of
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["ALL_FILES", "METHODS", "AuditResult", "audit"]

#: The name of the one group of the national figures (:attr:`AuditResult.overall`).
ALL_FILES = "all files"

Model = Scorecard | ScorecardFamily

_SELECTION_METRICS = ("population_share", "share_among_selected", "selection_rate")
_SCORE_METRICS = ("mean_score", "mean_probability")

#: How a flag reads, per metric: "<group> <phrase> <reference>".
PHRASES: dict[str, str] = {
    "selection_rate": "are selected for a check {ratio} times as often as",
    "mean_score": "have a mean score {ratio} times that of",
    "mean_probability": "have a mean predicted risk {ratio} times that of",
    "base_rate": "have an overpayment {ratio} times as often as",
    "precision": "when selected, are found with an overpayment {ratio} times as often as",
    "tpr": "when they have an overpayment, are selected {ratio} times as often as",
    "fpr": "when they have no overpayment, are selected {ratio} times as often as",
    "fnr": "when they have an overpayment, are missed {ratio} times as often as",
    "false_positive_burden": "bear {ratio} times as many checks that find nothing as",
    "auc": "are ranked with an AUC {ratio} times that of",
}


@dataclass(frozen=True)
class AuditResult:
    """Everything the report shows, as data (tables and JSON-ready dicts).

    Attributes
    ----------
    groups : GroupAudit
        Metrics, disparities (one correction over all), score deciles, calibration, method.
    overall : DataFrame
        The same metrics for all files together (attribute ``"all"``), with intervals.
    flags : DataFrame
        The flagged disparities with a plain-words ``sentence``; strongest evidence first.
    findings : DataFrame
        The verdicts, ranked (:func:`dmde.audit.findings.findings`): what the report opens with.
    hit_rates : DataFrame
        The share of checks that found something, by selection method (empty without labels).
    targeting : DataFrame or None
        Selection by the score against random checks (None without a random sample).
    proxies, associations, gaps : DataFrame or None
        Proxy strength, Cramér's V per feature, mean-score gap decomposition (model only).
    exclusion : dict or None
        The exclusion proof (model only).
    profiles, changes : DataFrame or None
        Archetype households and one change at a time (model only).
    model : dict or None
        Identity of the model: sha256, policy, features, excluded families, points table.
    data : dict
        Rows, selected (by method), labels and their source, weights, sample sizes.
    parameters : dict
        The parameters of the audit, as given.
    extra_metrics : DataFrame or None
        The extra metrics (fairlearn-style functions) per group: attribute, group, metric,
        value, n, suppressed (:func:`dmde.audit.metricframe.extra_metric_table`); None when
        none were asked for.
    """

    groups: GroupAudit
    overall: pd.DataFrame
    flags: pd.DataFrame
    findings: pd.DataFrame
    hit_rates: pd.DataFrame
    targeting: pd.DataFrame | None
    proxies: pd.DataFrame | None
    associations: pd.DataFrame | None
    gaps: pd.DataFrame | None
    exclusion: dict[str, Any] | None
    profiles: pd.DataFrame | None
    changes: pd.DataFrame | None
    model: dict[str, Any] | None
    data: dict[str, Any]
    parameters: dict[str, Any]
    extra_metrics: pd.DataFrame | None = None
    metric_inputs: MetricInputs | None = field(default=None, repr=False, compare=False)

    def to_metricframe(self, attributes: str | Sequence[str] | None = None) -> Any:
        """The point estimates per group as a ``fairlearn.metrics.MetricFrame``.

        Metrics: ``selection_rate`` and, with labels, ``base_rate`` (the overpayment rate),
        weighted as in the audit (so ``by_group`` equals the values of
        ``groups.metrics``), and the extra metrics given to :func:`audit`.

        Parameters
        ----------
        attributes : str or sequence of str, optional
            The attribute(s) used as sensitive features; several give their intersections.
            Default: every attribute of the audit.

        Returns
        -------
        fairlearn.metrics.MetricFrame

        Raises
        ------
        AuditError
            If an attribute is not one of the audit's, or the result was not made by
            :func:`audit`.
        """
        if self.metric_inputs is None:
            raise AuditError(
                "this result holds no rows to build a MetricFrame from: make it with audit()."
            )
        return metric_frame(self.metric_inputs, attributes)


def _column(frame: pd.DataFrame, name: str, role: str) -> pd.Series[Any]:
    if name not in frame.columns:
        known = ", ".join(map(str, frame.columns[:20]))
        raise AuditError(
            f"the {role} column {name!r} is not in the table; columns: {known}. "
            f"Name the {role} column with the matching option."
        )
    return frame[name]


def _interval_words(low: float, high: float) -> str:
    if np.isfinite(low) and np.isfinite(high):
        return f"95% interval {low:.2f} to {high:.2f}"
    if np.isfinite(low):
        return f"95% interval from {low:.2f}, upper bound not estimable"
    return "95% interval not estimable"


def _flag_sentences(disparities: pd.DataFrame) -> pd.DataFrame:
    flagged = disparities[disparities["flagged"].astype(bool)].copy()
    flagged = flagged.sort_values(
        ["p_adjusted", "attribute", "group", "metric"], kind="stable"
    ).reset_index(drop=True)
    sentences = []
    row: Any
    for row in flagged.itertuples(index=False):
        phrase = PHRASES.get(str(row.metric), str(row.metric) + " is {ratio} times that of")
        p = format_value(float(row.p_adjusted), "p")
        ratio, low, high = float(row.ratio), float(row.ratio_ci_low), float(row.ratio_ci_high)
        if 0 < ratio < 1 and _LESS.get(phrase, phrase) != phrase:
            # "4 times less often", never "0.25 times as often"
            phrase = _LESS[phrase]
            ratio, low, high = (
                1 / ratio,
                1 / high if high > 0 else np.inf,
                1 / low if low > 0 else np.inf,
            )
        group = group_label(str(row.attribute), str(row.group))
        reference = group_label(str(row.attribute), str(row.reference))
        sentences.append(
            f"Files of {group} ({attribute_label(str(row.attribute))}) "
            + phrase.format(ratio=f"{ratio:.2f}")
            + f" files of {reference} ({_interval_words(low, high)}; adjusted p {p})."
        )
    flagged["sentence"] = sentences
    return flagged


#: Each phrase of :data:`PHRASES` for a ratio below 1, written with its inverse.
_LESS = {
    phrase: phrase.replace("times as often as", "times less often than")
    .replace("times as many", "times fewer")
    .replace("checks that find nothing as", "checks that find nothing than")
    for phrase in PHRASES.values()
}


def _points_tables(model: Model) -> pd.DataFrame:
    if isinstance(model, ScorecardFamily):
        return model.points_table()
    table = model.points_table()
    table.insert(0, "segment", "all")
    return table


def model_identity(model: Model) -> dict[str, Any]:
    """What the report says the audited model is: hash, policy, features, excluded, points."""
    card = next(iter(model.models_.values())) if isinstance(model, ScorecardFamily) else model
    policy = card.policy or DEFAULT_POLICY
    return {
        "sha256": getattr(model, "model_sha256_", None),
        "kind": "family" if isinstance(model, ScorecardFamily) else "scorecard",
        "routing": model.segment_column if isinstance(model, ScorecardFamily) else None,
        "policy": policy.name,
        "features": [{"column": f, "label": CATALOG[f].label} for f in model.features_],
        "excluded": [
            {
                "family": family.value,
                "columns": list(columns_of(family)),
                "reason": reason,
            }
            for family, reason in EXCLUDED_FAMILIES.items()
        ],
        "points": _points_tables(model),
    }


#: How each selected file was chosen, in the method column (other values: --method-values).
METHODS = ("score", "random", "other", "none")


def _canonical_order(
    frame: pd.DataFrame, groups: pd.DataFrame, columns: list[str], id_column: str | None
) -> np.ndarray[Any, Any]:
    """An order of the rows that depends on the data only, not on how the rows were sorted.

    By the id when it is unique, else by every column the audit reads (rows equal on all of
    them are interchangeable). Everything downstream (sums, bootstrap, samples, ties) runs in
    this order, so shuffling the input changes no figure.
    """
    if id_column is not None and frame[id_column].is_unique:
        values = frame[id_column]
        if pd.api.types.is_numeric_dtype(values):
            return np.argsort(values.to_numpy(), kind="stable")
        return np.argsort(values.astype(str).to_numpy(), kind="stable")
    keys = [frame[c] for c in columns] + [groups[c] for c in groups.columns]
    hashed = [pd.util.hash_pandas_object(k, index=False).to_numpy() for k in keys]
    return np.lexsort(hashed[::-1])


def _tie_keys(frame: pd.DataFrame, id_column: str | None, seed: int) -> np.ndarray[Any, Any]:
    """A keyed hash per row (of its id, else of its content): the tie order at a budget cut."""
    source = frame[[id_column]] if id_column is not None else frame
    key = f"dmde-ties-{seed:06d}"[:16]
    return pd.util.hash_pandas_object(source.astype(str), index=False, hash_key=key).to_numpy()


def _selection(
    frame: pd.DataFrame,
    score: np.ndarray[Any, Any] | None,
    selected: str | None,
    budget: int | None,
    id_column: str | None,
) -> tuple[np.ndarray[Any, Any], str, int]:
    """The selected files, the rule in words, and how many files tie at the budget's cut."""
    if selected is not None:
        values = _column(frame, selected, "selection")
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            text = values.astype(str).str.lower()
            bad = ~text.isin(["true", "false", "1", "0", "yes", "no"])
            if bad.any():
                raise AuditError(
                    f"the selection column {selected!r} holds {text[bad].iloc[0]!r}; expected "
                    "true/false or 1/0."
                )
            return text.isin(["true", "1", "yes"]).to_numpy(), f"column {selected!r}", 0
        if values.isna().any():
            raise AuditError(f"the selection column {selected!r} has missing values.")
        return values.astype(bool).to_numpy(), f"column {selected!r}", 0
    if budget is None:
        raise AuditError("give either the selection (a column) or a budget to apply.")
    if score is None:
        raise AuditError("a budget selects the highest scores: name the score column too.")
    if not 0 < budget <= len(frame):
        raise AuditError(f"budget must be in [1, {len(frame):,}] (the files); got {budget}.")
    ids = frame[id_column] if id_column is not None else None
    if id_column == "dossier_id" and ids is not None and pd.api.types.is_integer_dtype(ids):
        # dmde's files: the order `dmde select` uses (ties by its keyed hash, seed 0).
        ranking = pd.DataFrame({"dossier_id": ids.to_numpy(), "score": score})
        order = rank_order(ranking, seed=0)
        rule = f"the {budget:,} highest scores (ties as dmde select breaks them, seed 0)"
    else:
        order = np.lexsort((_tie_keys(frame, id_column, 0), -score))
        by = f"a keyed hash of {id_column!r}" if id_column else "a keyed hash of each row"
        rule = f"the {budget:,} highest scores (ties at the cut by {by})"
    chosen = np.zeros(len(frame), dtype=bool)
    chosen[order[:budget]] = True
    cut = score[order[budget - 1]]
    tied = int((score == cut).sum()) if (score[~chosen] == cut).any() else 0
    return chosen, rule, tied


def _labels(frame: pd.DataFrame, label: str) -> np.ndarray[Any, Any]:
    """The outcome column as 1, 0 or NaN (unknown), or an error naming the column."""
    values = pd.to_numeric(frame[label], errors="coerce")
    bad = values.notna() & ~values.isin([0, 1])
    bad |= values.isna() & frame[label].notna()
    if bad.any():
        shown = ", ".join(map(repr, pd.unique(frame.loc[bad, label].astype(str))[:5]))
        raise AuditError(
            f"the label column {label!r} holds {shown}; expected 1 (found), 0 (not found) or "
            "empty (unknown). Recode the outcome column."
        )
    return values.to_numpy(dtype=float)


def _methods(frame: pd.DataFrame, method: str) -> np.ndarray[Any, Any]:
    how = _column(frame, method, "selection-method").astype(str).to_numpy()
    found = sorted(set(how))
    unknown = [v for v in found if v not in METHODS]
    if unknown:
        raise AuditError(
            f"the method column {method!r} holds {', '.join(map(repr, found[:10]))}; expected "
            f"{', '.join(map(repr, METHODS))}. Map the values found with --method-values, e.g. "
            f"--method-values score={unknown[0]},random=..."
        )
    return how


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
            _column(frame, name, role)
    id_column = id_column if id_column is not None and id_column in frame.columns else None
    order = _canonical_order(frame, groups, named, id_column)
    frame = frame.iloc[order].reset_index(drop=True)
    groups = groups.iloc[order].reset_index(drop=True)

    score_values = None if score is None else frame[score].to_numpy(dtype=float)
    how = None if method is None else _methods(frame, method)
    if selected is None and budget is None and how is not None:
        chosen, selection_rule, tied = how != "none", f"column {method!r} (not 'none')", 0
    else:
        chosen, selection_rule, tied = _selection(frame, score_values, selected, budget, id_column)
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
    labels = None if label is None else _labels(frame, label)
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

    groups_audit = run(groups, settings)
    # Every file as one group: the national figures each group is read against.
    everyone = pd.DataFrame({"all": pd.Categorical(np.full(len(frame), ALL_FILES))})
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
    flags = _flag_sentences(disparities)
    hit_rates = hit_rates_by_method(
        chosen=chosen,
        by_score=by_score,
        by_random=by_random,
        in_sample=in_sample,
        label=labels,
        weight=weights,
    )

    parts: dict[str, Any] = {}
    if model is not None:
        parts = _model_parts(
            model, frame, groups, groups_audit, seed=settings.seed, rows=settings.proxy_rows
        )

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
        f"({len(rows):,} files{', survey-weighted' if weights is not None else ''}); "
        "selection metrics on every file"
    )
    return GroupAudit(
        metrics=metrics,
        disparities=disparities,
        deciles=whole.deciles,
        calibration=checked.calibration,
        method=method,
    )


def _model_parts(
    model: Model,
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    groups_audit: GroupAudit,
    *,
    seed: int,
    rows: int,
) -> dict[str, Any]:
    missing = [c for c in model.features_ if c not in frame.columns]
    if isinstance(model, ScorecardFamily) and model.segment_column not in frame.columns:
        missing.append(model.segment_column)
    if missing:
        raise AuditError(
            f"the model reads {', '.join(missing)}, which the table lacks: pass the population "
            "file the scores came from (or audit without the model)."
        )
    rng = np.random.default_rng([seed, 7])
    take = np.sort(rng.choice(len(frame), size=min(rows, len(frame)), replace=False))
    part = frame.iloc[take].reset_index(drop=True)
    part_groups = groups.iloc[take].reset_index(drop=True)
    references = groups_audit.method["reference"]
    return {
        "model": model_identity(model),
        "proxies": proxy_strength(model, part, part_groups, seed=seed),
        "associations": feature_association(model, part, part_groups),
        "gaps": score_gaps(model, frame, groups, reference=references),
        "exclusion": exclusion_proof(model, part, seed=seed),
        "profiles": score_profiles(model),
        "changes": profile_changes(model),
    }
