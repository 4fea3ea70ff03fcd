"""Group metrics of a selection, with bootstrap intervals and corrected tests of disparities.

:func:`audit_groups` answers the committee's question "who gets selected, and how fairly?" for
every group of every attribute passed in ``groups`` (gender, nationality group, age band, ...)
and, by default, every pairwise intersection of two attributes ("female × non_eu"). It returns a
:class:`GroupAudit`: tidy DataFrames (data first; rendering is the report's job).

Metrics
-------
All metrics are weighted by ``weight`` when it is given (survey weights); ``n`` is always the
unweighted number of rows the metric is computed from (its denominator within the group), and a
metric whose ``n`` is below ``min_cell`` is suppressed: value and interval are NaN,
``suppressed`` is True, and it is never tested. See :data:`METRIC_DEFINITIONS`.

Bootstrap: resampling cells, not rows
-------------------------------------
Every metric except the AUC is a ratio of sums over the cells (group × selected × label state,
where the label state is 0, 1 or unknown): sums of weight ``w``, of ``w·score`` and of
``w·probability``. A Poisson bootstrap of rows (each row drawn ``m ~ Poisson(1)`` times) therefore
only needs, per cell, the distribution of (number of draws, their three sums):

- the number of draws of a cell of ``n`` rows is exactly ``Poisson(n)``, independently across
  cells (this is exact: it *is* the Poisson row bootstrap's cell count);
- given ``N`` draws, the cell's three sums are drawn as ``N·μ + √N·Σ^½·z`` with ``μ`` and ``Σ``
  the within-cell mean and covariance of ``(w, w·score, w·probability)`` and ``z`` standard normal
  (the normal approximation of a sum of ``N`` draws with replacement from the cell).

With unit weights every count metric (selection rate, precision, TPR, FPR, FNR, base rate, shares,
false-positive burden) is therefore resampled *exactly* as by a Poisson row bootstrap; only the
means of score and probability (and the calibration gap) use the within-cell normal
approximation, which is accurate unless a cell is tiny, and then the count term dominates. With
sample weights, the weight sums also use it (sums clipped at 0). The cost is ``B × cells`` instead
of ``B × rows``: one pass over the rows per attribute, then arrays of about 1,000 × 300 numbers.

The AUC (within group, of the score, labelled rows only) is not a function of cell sums: its
interval is the Hanley and McNeil (1982) normal interval (Kish effective sizes under weights) and
its disparities use the normal difference of two independent AUCs (log scale for the ratio).

Intervals are bootstrap percentile intervals at level ``1 - alpha``. A disparity's ``p_value`` is
the two-sided Wald test of log ratio 0, with the bootstrap standard error of the log ratio (the
log scale stabilises the variance of rates: a Wald test of the difference, whose standard error is
estimated at the observed rather than the null rate, rejects far too easily when a group has few
events). When fewer than 95% of resampled ratios are positive and finite, the difference and its
bootstrap standard error are used instead. ``p_percentile`` is the percentile p (share of
resamples on the other side of 0, +1 corrected); it is reported for reference only, because it
cannot fall below ``2/(B+1)`` and so could never survive a correction over hundreds of tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.bootstrap import (
    _Attribute,
    _attributes,
    _audit_attribute,
    _calibration,
    _deciles,
    _rows_once,
    group_codes,
)
from dmde.audit.group_inputs import _bad, _floats, _labels, _selected, _weights
from dmde.audit.metric_definitions import (
    _CALIBRATION_COLUMNS,
    _FIGURES,
    _LOG_SHARE,
    _NEED_PROBABILITY,
    DISPARITY_COLUMNS,
    DISPARITY_METRICS,
    METRIC_DEFINITIONS,
)
from dmde.audit.settings import CORRECTIONS, AuditError, AuditSettings
from dmde.core.stats import (
    benjamini_hochberg,
    holm,
)

__all__ = [
    "CORRECTIONS",
    "DISPARITY_COLUMNS",
    "DISPARITY_METRICS",
    "METRIC_DEFINITIONS",
    "AuditError",
    "GroupAudit",
    "audit_groups",
    "audit_groups_with",
    "disparity_frame",
    "flag_disparities",
    "group_codes",
]


@dataclass(frozen=True)
class GroupAudit:
    """The results of :func:`audit_groups`, as tidy DataFrames (rendering is done elsewhere).

    Attributes
    ----------
    metrics : DataFrame
        attribute, group, metric, value, ci_low, ci_high, n, suppressed.
    disparities : DataFrame
        attribute, group, reference, metric, value, reference_value, ratio, ratio_ci_low,
        ratio_ci_high, difference, difference_ci_low, difference_ci_high, p_value, p_percentile,
        log_se (standard error of the log ratio behind the test; NaN when the difference was
        tested), p_adjusted, tested, suppressed, flag (ratio outside the band and p_value < alpha),
        flagged (ratio outside the band and p_adjusted < alpha).
    deciles : DataFrame
        attribute, group, decile (1-10 of the national score distribution, 10 = highest),
        share (of the group's weight), n, suppressed.
    calibration : DataFrame
        attribute, group, decile (1-10 of the national probability distribution, or of the
        score when no probability is given: then mean_predicted is NaN), n (labelled
        rows), mean_predicted, observed_rate with its Wilson 95% interval (observed_low,
        observed_high; Kish effective size under weights), suppressed. Empty without labels.
    method : dict
        What the report's method section needs: bootstrap, intervals, test, correction, seed.
    """

    metrics: pd.DataFrame
    disparities: pd.DataFrame
    deciles: pd.DataFrame
    calibration: pd.DataFrame
    method: dict[str, Any]


#: The function of each correction (:data:`CORRECTIONS`), from :mod:`dmde.core.stats`.
_ADJUST = {"holm": holm, "bh": benjamini_hochberg}


# --------------------------------------------------------------------------------------------
# The public function
def _references(
    reference: Mapping[str, str] | None, attributes: list[_Attribute]
) -> dict[str, str | None]:
    known = {a.name: a for a in attributes}
    chosen: dict[str, str | None] = dict.fromkeys(known)
    for name, group in (reference or {}).items():
        if name not in known:
            raise _bad(
                "reference",
                f"keyed by audited attributes ({', '.join(sorted(known)[:8])})",
                f"an unknown attribute {name!r}",
                "Name a column of 'groups' (or an intersection 'a × b').",
            )
        if group not in known[name].groups:
            raise _bad(
                "reference",
                f"a group present in {name!r} ({', '.join(known[name].groups[:10])})",
                f"{name!r}: {group!r}",
                "Pick one of the groups present, or leave it out for the largest group.",
            )
        chosen[name] = group
    return chosen


def audit_groups(
    *,
    selected: npt.ArrayLike,
    score: npt.ArrayLike,
    probability: npt.ArrayLike | None,
    groups: pd.DataFrame,
    label: npt.ArrayLike | None = None,
    weight: npt.ArrayLike | None = None,
    reference: Mapping[str, str] | None = None,
    intersections: bool = True,
    band: tuple[float, float] = (0.8, 1.25),
    n_boot: int = 1000,
    seed: int = 0,
    min_cell: int = 30,
    alpha: float = 0.05,
    correction: str = "holm",
) -> GroupAudit:
    """Who gets selected, how fairly: group metrics, intervals and corrected disparity tests.

    Parameters
    ----------
    selected : array-like of bool, shape (n,)
        True for the files selected for a check.
    score, probability : array-like of float, shape (n,)
        The score that ranked the files, and the predicted probability (in [0, 1]). A system
        that gives no probability passes ``probability=None``: the mean probability, the
        calibration gap and the calibration table are then left out.
    groups : DataFrame, n rows
        One column per attribute (strings or categoricals; NaN becomes ``"(missing)"``). These
        columns are never model inputs: they arrive only here. Rows align by position.
    label : array-like of {0, 1, NaN}, optional
        The outcome (of a check, or the synthetic truth); NaN where unknown. Without it only
        the metrics that need no label are computed, and ``calibration`` is empty.
    weight : array-like of float >= 0, optional
        Sample (survey) weights. Default: every file counts 1.
    reference : dict, optional
        Reference group per attribute, e.g. ``{"gender": "male"}``. Default: the largest group
        by weight.
    intersections : bool
        Also audit every pair of attributes (``"gender × nationality_group"``).
    band : (low, high)
        A ratio to the reference outside ``[low, high]`` is a disparity worth flagging.
    n_boot : int
        Bootstrap resamples (of cells: see the module docstring).
    seed : int
        Seed of the bootstrap; the same inputs and seed give identical results.
    min_cell : int
        Metrics computed from fewer rows are suppressed (NaN) and never tested.
    alpha : float
        Test level; intervals are at level ``1 - alpha``.
    correction : {"holm", "bh"}
        Multiple-comparison correction over every tested disparity of the audit.

        These options make an :class:`~dmde.audit.settings.AuditSettings`, which checks them;
        :func:`audit_groups_with` takes one directly.

    Returns
    -------
    GroupAudit
        ``metrics``, ``disparities``, ``deciles``, ``calibration`` and ``method``.

    Raises
    ------
    AuditError
        Misaligned inputs, labels other than 0/1/NaN, negative weights, an unknown reference
        group or a bad parameter; the message names it, the value and the fix.

    Examples
    --------
    >>> groups = pd.DataFrame({"gender": ["female"] * 100 + ["male"] * 100})
    >>> selected = np.arange(200) % 10 < np.where(np.arange(200) < 100, 2, 1)
    >>> audit = audit_groups(
    ...     selected=selected, score=np.linspace(0, 1, 200), probability=np.full(200, 0.1),
    ...     groups=groups, reference={"gender": "male"}, n_boot=200,
    ... )
    >>> audit.metrics.query("metric == 'selection_rate'")[["group", "value", "n"]]
        group  value    n
    2  female    0.2  100
    7    male    0.1  100
    >>> audit.disparities.loc[audit.disparities["metric"] == "selection_rate", "ratio"].item()
    2.0
    """
    settings = AuditSettings(
        reference=reference,
        intersections=intersections,
        band=band,
        n_boot=n_boot,
        seed=seed,
        min_cell=min_cell,
        alpha=alpha,
        correction=correction,
    )
    return audit_groups_with(
        settings=settings,
        selected=selected,
        score=score,
        probability=probability,
        groups=groups,
        label=label,
        weight=weight,
    )


def audit_groups_with(
    *,
    settings: AuditSettings,
    selected: npt.ArrayLike,
    score: npt.ArrayLike,
    probability: npt.ArrayLike | None,
    groups: pd.DataFrame,
    label: npt.ArrayLike | None = None,
    weight: npt.ArrayLike | None = None,
) -> GroupAudit:
    """:func:`audit_groups` with its options in one validated :class:`AuditSettings`.

    The other parameters, the result and the errors are those of :func:`audit_groups`
    (``settings.proxy_rows`` is not used here).
    """
    sel = _selected(selected)
    n = len(sel)
    scores = _floats(score, "score", n)
    calibrated = probability is not None
    probabilities = np.zeros(n) if probability is None else _floats(probability, "probability", n)
    if ((probabilities < 0) | (probabilities > 1)).any():
        raise _bad(
            "probability",
            "in [0, 1]",
            f"values from {probabilities.min()!r} to {probabilities.max()!r}",
            "Pass the predicted probability, not the score.",
        )
    labels = None if label is None else _labels(label, n)
    weights = None if weight is None else _weights(weight, n)
    if not isinstance(groups, pd.DataFrame) or groups.shape[1] == 0:
        raise _bad(
            "groups",
            "a DataFrame with at least one column",
            type(groups).__name__ if not isinstance(groups, pd.DataFrame) else "no columns",
            "Pass the group columns (e.g. gender, age_band) of the same files.",
        )
    if len(groups) != n:
        raise _bad(
            "groups",
            f"aligned with 'selected' ({n:,} rows)",
            f"{len(groups):,} rows",
            "Pass the group columns of the same files, in the same order.",
        )
    if n == 0:
        raise _bad("selected", "non-empty", "0 rows", "Pass the files to audit.")
    n_boot, seed, min_cell = settings.n_boot, settings.seed, settings.min_cell
    alpha, correction, intersections = settings.alpha, settings.correction, settings.intersections
    low, high = settings.band

    rows = _rows_once(sel, scores, probabilities, labels, weights)
    attributes = _attributes(groups, intersections)
    references = _references(settings.reference, attributes)
    metric_frames, disparity_frames, decile_frames, calibration_frames = [], [], [], []
    used: dict[str, str] = {}
    for k, attribute in enumerate(attributes):
        metrics, disparities, used[attribute.name] = _audit_attribute(
            attribute,
            rows,
            references[attribute.name],
            n_boot=n_boot,
            rng=np.random.default_rng([seed, k]),
            min_cell=min_cell,
            alpha=alpha,
        )
        metric_frames.append(metrics)
        disparity_frames.append(disparities)
        decile_frames.append(_deciles(attribute, rows, min_cell))
        if labels is not None:
            calibration_frames.append(_calibration(attribute, rows, min_cell, calibrated))

    metrics = pd.concat(metric_frames, ignore_index=True)
    disparities = pd.concat(disparity_frames, ignore_index=True)
    if not calibrated:
        metrics = metrics[~metrics["metric"].isin(_NEED_PROBABILITY)].reset_index(drop=True)
        keep = ~disparities["metric"].isin(_NEED_PROBABILITY)
        disparities = disparities[keep].reset_index(drop=True)
    disparities = flag_disparities(
        disparities, band=(low, high), alpha=alpha, correction=correction
    )
    tested = disparities["tested"].to_numpy()
    calibration = (
        pd.concat(calibration_frames, ignore_index=True)
        if calibration_frames
        else pd.DataFrame(columns=_CALIBRATION_COLUMNS)
    )
    method = _method(
        n_boot=n_boot,
        seed=seed,
        alpha=alpha,
        band=(low, high),
        min_cell=min_cell,
        correction=correction,
        references=used,
        intersections=intersections,
        weighted=weights is not None,
        n_tested=int(tested.sum()),
    )
    return GroupAudit(
        metrics=metrics,
        disparities=disparities[list(DISPARITY_COLUMNS)],
        deciles=pd.concat(decile_frames, ignore_index=True),
        calibration=calibration,
        method=method,
    )


def flag_disparities(
    disparities: pd.DataFrame,
    *,
    band: tuple[float, float] = (0.8, 1.25),
    alpha: float = 0.05,
    correction: str = "holm",
) -> pd.DataFrame:
    """Adjust the p-values of the tested disparities jointly, and set ``flag`` and ``flagged``.

    :func:`audit_groups` calls it on its own disparities; call it again on the concatenation
    of several audits' disparities (e.g. selection metrics on the whole population and error
    metrics on the random-control sample) so that the correction covers every test reported.
    """
    low, high = band
    out = disparities.copy()
    tested = out["tested"].to_numpy(dtype=bool)
    adjusted = np.full(len(out), np.nan)
    adjusted[tested] = _ADJUST[correction](out["p_value"].to_numpy(dtype=float)[tested])
    out["p_adjusted"] = adjusted
    ratio = out["ratio"].to_numpy(dtype=float)
    outside = tested & ~((ratio >= low) & (ratio <= high))
    out["flag"] = outside & (out["p_value"].to_numpy(dtype=float) < alpha)
    out["flagged"] = outside & (adjusted < alpha)
    return out


def disparity_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Comparison rows built outside :func:`audit_groups`, in the disparities' columns.

    Each row gives every column of :data:`DISPARITY_COLUMNS` up to ``suppressed`` (flags are
    set later by :func:`flag_disparities`). As in the group audit, a suppressed comparison
    shows no figure, and an untested one no p-value nor standard error.
    """
    built = DISPARITY_COLUMNS[: DISPARITY_COLUMNS.index("p_adjusted")]
    frame = pd.DataFrame(rows, columns=[*built, "tested", "suppressed"])
    if frame.empty:
        return frame
    suppressed = frame["suppressed"].to_numpy(dtype=bool)
    frame.loc[suppressed, list(_FIGURES)] = np.nan
    frame.loc[~frame["tested"].to_numpy(dtype=bool), ["p_value", "log_se"]] = np.nan
    return frame


def _method(
    *,
    n_boot: int,
    seed: int,
    alpha: float,
    band: tuple[float, float],
    min_cell: int,
    correction: str,
    references: dict[str, str],
    intersections: bool,
    weighted: bool,
    n_tested: int,
) -> dict[str, Any]:
    level = f"{100 * (1 - alpha):g}%"
    return {
        "bootstrap": (
            f"{n_boot} Poisson bootstrap resamples of cells (group × selected × label state): "
            "each cell's number of draws is Poisson(its rows), exact for count metrics with "
            "unit weights; the cell's sums of weight, weight·score and weight·probability given "
            "the draws use a normal approximation from the within-cell mean and covariance."
        ),
        "n_boot": n_boot,
        "seed": seed,
        "interval": f"bootstrap percentile, {level}",
        "auc_interval": (
            f"Hanley-McNeil (1982) normal, {level}; disparities: normal difference of two "
            "independent AUCs, delta method on the log ratio"
        ),
        "test": (
            "two-sided Wald test of log ratio 0 with the bootstrap standard error of the log "
            f"ratio (of the difference when under {_LOG_SHARE:.0%} of resampled ratios are "
            "positive); calibration_gap is compared by difference only, not tested; a "
            "disparity where either group's value is an empty count (0, or 1 for a rate) is "
            "not tested, since the bootstrap cannot measure its uncertainty"
        ),
        "alpha": alpha,
        "correction": correction,
        "correction_name": CORRECTIONS[correction],
        "n_tested": n_tested,
        "band": list(band),
        "flag_rule": (
            f"ratio outside [{band[0]:g}, {band[1]:g}] and p < {alpha:g} (flag) or adjusted p "
            f"< {alpha:g} (flagged)"
        ),
        "min_cell": min_cell,
        "reference": dict(references),
        "intersections": intersections,
        "weights": "sample weights" if weighted else "unit",
        "deciles": "national weighted deciles; decile d holds (edge d-1, edge d], 10 = highest",
        "definitions": dict(METRIC_DEFINITIONS),
    }
