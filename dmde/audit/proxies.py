"""Proxies: how much of an excluded attribute the model's own features carry, and where.

The policy keeps sensitive, address, behaviour and control-history columns out of the model,
but the allowed features can still carry them (lone parents are mostly women; nationality
relates to family size and activity). This module measures that, with the model's own view of
the features (its bins):

- :func:`proxy_strength`: how well the model's features predict each group attribute
  (cross-validated AUC of a logistic regression on the model's WoE values, one level against the
  rest, with a 95% interval);
- :func:`feature_association`: which features carry it (Cramér's V between each feature's bins
  and the attribute);
- :func:`score_gap`: the gap in mean score between two groups, split exactly into the points of
  each feature (exact because the score is a sum of points);
- :func:`exclusion_proof`: scores recomputed after permuting every excluded column are
  identical to the original ones.

Each accepts, besides dmde's models, any fitted scikit-learn classifier with ``predict_proba``
and its ``features`` (by default its ``feature_names_in_``), so that two models can be compared
on the same audit: the proxy strength and the associations then use the features cut at their
deciles or levels (:mod:`dmde.audit.classifiers`), the exclusion proof its probabilities. The
score-gap decomposition needs points: it is for dmde's models only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.bootstrap import text_codes
from dmde.audit.classifiers import (
    classifier_features,
    feature_bins,
    is_dmde_model,
    one_hot,
    probabilities,
)
from dmde.audit.settings import AuditError
from dmde.core.errors import DmdeError, PolicyError
from dmde.core.stats import auc_interval
from dmde.data.catalog import CATALOG, FEATURE_FAMILIES, check_routing_column
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = [
    "exclusion_proof",
    "feature_association",
    "points_by_term",
    "proxy_strength",
    "score_gap",
    "score_gaps",
]

Model = Scorecard | ScorecardFamily


def _scorecards(model: Model) -> dict[str, Scorecard]:
    return model.models_ if isinstance(model, ScorecardFamily) else {"all": model}


def _segments(model: Model, frame: pd.DataFrame) -> dict[str, npt.NDArray[np.intp]]:
    if isinstance(model, ScorecardFamily):
        codes, names = text_codes(frame[model.segment_column])
        code = {name: k for k, name in enumerate(names)}
        return {s: np.flatnonzero(codes == code.get(s, -2)) for s in model.segments_}
    return {"all": np.arange(len(frame))}


def _positions(names: Sequence[str], features: Sequence[str]) -> npt.NDArray[np.intp]:
    return np.asarray([names.index(f) for f in features], dtype=np.intp)


def _woe(model: Model, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """WoE values of every row under its own segment's binning (features in model order)."""
    names = list(model.features_)
    out = np.zeros((len(frame), len(names)))
    for name, rows in _segments(model, frame).items():
        card = _scorecards(model)[name]
        woe = card.binning_.transform(frame.iloc[rows][list(card.features_)])
        out[np.ix_(rows, _positions(names, card.features_))] = woe
    return out


def _bins(model: Model, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Each row's bin per feature, as a code unique across segments (segment * 1000 + bin)."""
    names = list(model.features_)
    out = np.full((len(frame), len(names)), -1, dtype=np.int64)
    for s, (name, rows) in enumerate(_segments(model, frame).items()):
        card = _scorecards(model)[name]
        indices = card.binning_.bin_indices(frame.iloc[rows][list(card.features_)])
        out[np.ix_(rows, _positions(names, card.features_))] = s * 1000 + indices
    return out


def _features_of(
    model: Any, frame: pd.DataFrame, features: Sequence[str] | None
) -> tuple[str, ...] | None:
    """None for a dmde model (read by its own bins); a classifier's checked feature columns."""
    if is_dmde_model(model):
        if features is not None:
            raise AuditError(
                "features is for other classifiers: a dmde model reads its own features_; "
                "leave features out."
            )
        return None
    return classifier_features(model, frame, features)


def _label(feature: str) -> str:
    return CATALOG[feature].label if feature in CATALOG else feature


def proxy_strength(
    model: Any,
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    cv: int = 5,
    seed: int = 0,
    min_cell: int = 30,
) -> pd.DataFrame:
    """How well the model's features predict each level of each group attribute.

    For each attribute and level (one against the rest), a logistic regression on the model's
    WoE values is cross-validated (stratified ``cv`` folds, shuffled with ``seed``); the
    out-of-fold AUC says how much of the attribute the features carry (0.5: nothing, 1: all).
    For another classifier (``features``: its columns, by default its ``feature_names_in_``)
    the regression is on its features cut at their deciles or levels, one-hot.

    Returns
    -------
    DataFrame
        attribute, group, n, auc, ci_low, ci_high (Hanley-McNeil), suppressed.

    Examples
    --------
    Any fitted classifier, here one whose only feature carries the attribute ``a``:

    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> a = rng.random(2_000) < 0.3
    >>> frame = pd.DataFrame({"carrier": rng.normal(a * 1.0, 1.0)})
    >>> model = LogisticRegression().fit(frame, rng.random(2_000) < 0.2)
    >>> groups = pd.DataFrame({"a": np.where(a, "yes", "no")})
    >>> proxy_strength(model, frame, groups)[["group", "n", "auc"]].round(2)
      group     n   auc
    0    no  1396  0.75
    1   yes   604  0.75
    """
    # scikit-learn is imported here, when proxies are measured, not with the audit.
    from threadpoolctl import threadpool_limits

    _aligned(frame, groups)
    names = _features_of(model, frame, features)
    woe = _woe(model, frame) if names is None else one_hot(feature_bins(frame, names))
    rows: list[dict[str, Any]] = []
    # Many small fits: threaded BLAS only adds contention (10x slower on a busy machine).
    with threadpool_limits(limits=1):
        for attribute in groups.columns:
            values = groups[attribute].astype(str).to_numpy()
            for level in sorted(set(values)):
                y = (values == level).astype(int)
                n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
                row: dict[str, Any] = {"attribute": attribute, "group": level, "n": n_pos}
                if min(n_pos, n_neg) < max(min_cell, cv):
                    nothing = dict.fromkeys(("auc", "ci_low", "ci_high"), math.nan)
                    rows.append({**row, **nothing, "suppressed": True})
                    continue
                auc = _out_of_fold_auc(woe, y, cv=cv, seed=seed)
                low, high = auc_interval(auc, n_pos, n_neg)
                rows.append(
                    {**row, "auc": auc, "ci_low": low, "ci_high": high, "suppressed": False}
                )
    return pd.DataFrame(rows)


def _out_of_fold_auc(
    woe: npt.NDArray[np.float64], y: npt.NDArray[Any], *, cv: int, seed: int
) -> float:
    """AUC of out-of-fold predictions of a logistic regression of ``y`` on ``woe``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    oof = np.empty(len(y))
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    for fit, test in folds.split(woe, y):
        lr = LogisticRegression(max_iter=1000).fit(woe[fit], y[fit])
        oof[test] = lr.predict_proba(woe[test])[:, 1]
    return float(roc_auc_score(y, oof))


def _sorted_codes(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], int]:
    """Each value's rank among the distinct values (``np.unique``'s inverse), and how many."""
    uniques, inverse = np.unique(values, return_inverse=True)
    return np.asarray(inverse, dtype=np.intp).ravel(), len(uniques)


def _cramers_v_coded(
    a: tuple[npt.NDArray[np.intp], int], b: tuple[npt.NDArray[np.intp], int]
) -> float:
    """Cramér's V of two variables given as :func:`_sorted_codes`."""
    (ia, na), (ib, nb) = a, b
    table = np.bincount(ia * nb + ib, minlength=na * nb).reshape(na, nb).astype(float)
    if min(table.shape) < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))


def feature_association(
    model: Any,
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cramér's V between each feature's bins (as the model sees it) and each attribute.

    For another classifier (``features``: its columns, by default its ``feature_names_in_``),
    each feature is cut at its deciles or levels (:func:`dmde.audit.classifiers.feature_bins`).

    Returns
    -------
    DataFrame
        attribute, feature, label (catalog), cramers_v; sorted by attribute, then strongest
        first.
    """
    _aligned(frame, groups)
    chosen = _features_of(model, frame, features)
    if chosen is None:
        names, bins = tuple(model.features_), _bins(model, frame)
    else:
        names, bins = chosen, feature_bins(frame, chosen)
    # Each variable coded once (np.unique sorts a million strings in seconds), not per pair.
    coded = [_sorted_codes(bins[:, j]) for j in range(len(names))]
    codes = {a: _sorted_codes(groups[a].astype(str).to_numpy()) for a in groups.columns}
    rows = [
        {
            "attribute": attribute,
            "feature": feature,
            "label": _label(feature),
            "cramers_v": _cramers_v_coded(coded[j], codes[attribute]),
        }
        for attribute in groups.columns
        for j, feature in enumerate(names)
    ]
    out = pd.DataFrame(rows)
    return out.sort_values(
        ["attribute", "cramers_v"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def score_gap(
    model: Model, frame: pd.DataFrame, group: pd.Series[Any] | Sequence[Any], *, a: str, b: str
) -> pd.DataFrame:
    """The gap in mean score between groups ``a`` and ``b``, feature by feature.

    The score is the intercept points plus the points of each feature, so the gap in mean score
    is exactly the sum over features of the gap in their mean points (plus the gap in mean
    intercept points, non-zero only when the groups spread differently over the segments of a
    model family).

    Returns
    -------
    DataFrame
        term (``intercept`` then each feature), label, mean_points_a, mean_points_b, gap; the
        gaps add up to ``mean score of a - mean score of b``.
    """
    _require_points(model)
    values = pd.Series(np.asarray(group, dtype=object)).astype(str).to_numpy()
    if len(values) != len(frame):
        raise DmdeError(f"group has {len(values)} values for {len(frame)} rows.")
    for name in (a, b):
        if not (values == name).any():
            raise DmdeError(
                f"group {name!r} has no rows; groups present: "
                f"{', '.join(sorted(set(values))[:10])}."
            )
    names = list(model.features_)
    points = points_by_term(model, frame)
    mean_a = points[values == a].mean(axis=0)
    mean_b = points[values == b].mean(axis=0)
    return pd.DataFrame(
        {
            "term": ["intercept", *names],
            "label": ["intercept", *(CATALOG[f].label for f in names)],
            "mean_points_a": mean_a,
            "mean_points_b": mean_b,
            "gap": mean_a - mean_b,
        }
    )


def exclusion_proof(
    model: Any, frame: pd.DataFrame, *, features: Sequence[str] | None = None, seed: int = 0
) -> dict[str, Any]:
    """Rescore after permuting every column the model may not read; report whether identical.

    Every column of ``frame`` outside the feature families, except the routing column of a
    model family, is shuffled (rows permuted independently per column) and the file rescored:
    its points, or for another classifier (``features``: its columns, by default its
    ``feature_names_in_``) its probabilities; the column a family may be routed by
    (``income_reporting``) is left as it is for a classifier that reads it, as for a family.
    A classifier that reads an excluded column fails.

    Returns
    -------
    dict
        identical (bool), rows, columns_permuted, model_sha256 (when the model came from a
        file), seed.
    """
    chosen = _features_of(model, frame, features)
    rng = np.random.default_rng(seed)
    if isinstance(model, ScorecardFamily):
        routing = {model.segment_column}
    else:  # a classifier may read the column a family may route by, as a family does
        routing = {f for f in chosen or () if _may_route(f)}
    permuted = frame.copy()
    columns = [
        c
        for c in frame.columns
        if c not in routing and (c not in CATALOG or CATALOG[c].family not in FEATURE_FAMILIES)
    ]
    for name in columns:
        permuted[name] = frame[name].to_numpy()[rng.permutation(len(frame))]
    if chosen is None:
        identical = bool(np.array_equal(model.points(frame), model.points(permuted)))
    else:
        before = probabilities(model, frame, chosen)
        identical = bool(np.array_equal(before, probabilities(model, permuted, chosen)))
    return {
        "identical": identical,
        "rows": len(frame),
        "columns_permuted": columns,
        "model_sha256": getattr(model, "model_sha256_", None),
        "seed": seed,
    }


def _require_points(model: Any) -> None:
    if not is_dmde_model(model):
        raise AuditError(
            f"a {type(model).__name__} has no points to split a score gap into: the "
            "decomposition is for dmde's models. Compare the groups' mean probabilities instead."
        )


def _may_route(name: str) -> bool:
    """Whether a model family may be routed by column ``name`` (such as income_reporting)."""
    try:
        check_routing_column(name)
    except PolicyError:
        return False
    return True


def _term_columns(model: Model, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """:func:`points_by_term`'s array in column-major order (one term after the other)."""
    _require_points(model)
    names = list(model.features_)
    points = np.zeros((len(frame), len(names) + 1), order="F")
    for segment, rows in _segments(model, frame).items():
        card = _scorecards(model)[segment]
        whole = len(rows) == len(frame)
        columns = {f: frame[f] if whole else frame[f].iloc[rows] for f in card.features_}
        by_feature = np.ascontiguousarray(card.contributions_of(columns, len(rows)).T)
        points[rows, 0] = card.intercept_points_
        for j, position in enumerate(1 + _positions(names, card.features_)):
            points[rows, position] = by_feature[j]
    return points


def points_by_term(model: Model, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Each row's points: column 0 the intercept points, then one column per feature.

    Row sums are the scores. Features a segment's scorecard does not read give 0 points.
    """
    return np.ascontiguousarray(_term_columns(model, frame))


def _term_sums(
    points: npt.NDArray[np.float64], codes: npt.NDArray[np.int64], size: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Rows and sums of points of each group (codes in [0, size)), shape (size, terms).

    Each sum adds the group's rows in row order from 0.0, as ``points[rows].sum(axis=0)``
    does, so that the means are the same to the last bit.
    """
    count = np.bincount(codes, minlength=size)
    sums = np.empty((size, points.shape[1]))
    for j in range(points.shape[1]):
        sums[:, j] = np.bincount(codes, weights=points[:, j], minlength=size)
    return count, sums


def score_gaps(
    model: Model, frame: pd.DataFrame, groups: pd.DataFrame, *, reference: Mapping[str, str]
) -> pd.DataFrame:
    """:func:`score_gap` of every group against its attribute's reference group, at once.

    Returns
    -------
    DataFrame
        attribute, group, reference, n, term, label, mean_points_group,
        mean_points_reference, gap; per (attribute, group) the gaps add up to the gap in mean
        score. The reference group itself and empty groups are left out.
    """
    _require_points(model)
    _aligned(frame, groups)
    names = list(model.features_)
    points = _term_columns(model, frame)
    labels = ["intercept", *(CATALOG[f].label for f in names)]
    parts: list[pd.DataFrame] = []
    for attribute in groups.columns:
        codes, texts = text_codes(groups[attribute])
        if (codes < 0).any():  # missing groups: as the text of each row (see _gaps_by_text)
            parts += _gaps_by_text(points, groups[attribute], attribute, reference, names, labels)
            continue
        ref = str(reference[attribute])
        count, sums = _term_sums(points, codes, len(texts))
        r = texts.index(ref) if ref in texts else -1
        if r < 0 or count[r] == 0:
            raise DmdeError(f"reference group {ref!r} of {attribute!r} has no rows.")
        with np.errstate(divide="ignore", invalid="ignore"):  # groups without rows: unused
            means = sums / count[:, None]
        for group in sorted(texts[k] for k in np.flatnonzero(count) if k != r):
            k = texts.index(group)
            parts.append(
                pd.DataFrame(
                    {
                        "attribute": attribute,
                        "group": group,
                        "reference": ref,
                        "n": int(count[k]),
                        "term": ["intercept", *names],
                        "label": labels,
                        "mean_points_group": means[k],
                        "mean_points_reference": means[r],
                        "gap": means[k] - means[r],
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _gaps_by_text(
    points: npt.NDArray[np.float64],
    column: pd.Series[Any],
    attribute: str,
    reference: Mapping[str, str],
    names: list[str],
    labels: list[str],
) -> list[pd.DataFrame]:
    """:func:`score_gaps` of one attribute from the text of each row (row masks, slower)."""
    points = np.ascontiguousarray(points)
    values = column.astype(str).to_numpy()
    ref = str(reference[attribute])
    base = values == ref
    if not base.any():
        raise DmdeError(f"reference group {ref!r} of {attribute!r} has no rows.")
    mean_ref = points[base].mean(axis=0)
    parts: list[pd.DataFrame] = []
    for group in sorted(set(values) - {ref}):
        rows = values == group
        mean_group = points[rows].mean(axis=0)
        parts.append(
            pd.DataFrame(
                {
                    "attribute": attribute,
                    "group": group,
                    "reference": ref,
                    "n": int(rows.sum()),
                    "term": ["intercept", *names],
                    "label": labels,
                    "mean_points_group": mean_group,
                    "mean_points_reference": mean_ref,
                    "gap": mean_group - mean_ref,
                }
            )
        )
    return parts


def _aligned(frame: pd.DataFrame, groups: pd.DataFrame) -> None:
    if len(frame) != len(groups):
        raise DmdeError(
            f"groups has {len(groups)} rows for {len(frame)} rows of data: pass the group "
            "columns of the same rows, in the same order."
        )
