"""Audits specific to control targeting: the group columns, and selection against random checks.

- :func:`group_columns` builds the attributes the audit compares, from the population file:
  gender, nationality, age band, household type, AAH, urban or rural, income band (zero income
  its own band, so the committee sees whether the model "targets low incomes, less so zero
  incomes", as the agency states).
- :func:`selection_vs_random` compares each group's share among the files checked **at random**
  (the random-control survey, weighted by its survey weights) with its share among the files
  **selected by the score**, and the hit rate of each method by group: the method used by
  journalists auditing Rotterdam's and Sweden's welfare models. Intervals are Wilson score
  intervals (95%), with the effective sample size of weighted data (Kish).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.bootstrap import text_codes
from dmde.audit.metrics import disparity_frame
from dmde.core.errors import DmdeError
from dmde.core.stats import Z95, kish_size, normal_p, wilson

__all__ = [
    "AGE_BANDS",
    "ATTRIBUTE_SOURCES",
    "GROUP_ATTRIBUTES",
    "INCOME_BANDS",
    "GroupAttribute",
    "composition_tests",
    "group_columns",
    "hit_rates_by_method",
    "selection_vs_random",
    "wilson",
]

IntArray = npt.NDArray[np.int64]


#: Income bands in Smic units; zero income is a band of its own.
INCOME_BANDS = ("zero", "under 0.5 Smic", "0.5 to 1 Smic", "1 to 1.5 Smic", "1.5 Smic or more")
#: The population column each group attribute of :func:`group_columns` is made from.
ATTRIBUTE_SOURCES = {
    "gender": "gender",
    "nationality_group": "nationality_group",
    "age_band": "age",
    "household_type": "household_type",
    "aah": "mean_aah_12m",
    "urban_rural": "urban_rural",
    "income_band": "income_to_smic",
}
#: Age bands of the file holder.
AGE_BANDS = ("under 25", "25-34", "35-49", "50-64", "65 or more")


@dataclass(frozen=True)
class GroupAttribute:
    """How the report names an attribute and its groups, in their natural order.

    ``levels`` holds (code, English label, French label) in display order; ``reference`` is the
    group every other is compared with (declared, so that it does not change with the data).
    """

    name: str
    label: tuple[str, str]  # English, French
    levels: tuple[tuple[str, str, str], ...]
    reference: str

    def level_label(self, code: str, lang: str = "en") -> str:
        for level, english, french in self.levels:
            if level == code:
                return french if lang == "fr" else english
        return code


#: The audit's group attributes (see :func:`group_columns`): labels, order and reference group.
GROUP_ATTRIBUTES: dict[str, GroupAttribute] = {
    a.name: a
    for a in (
        GroupAttribute(
            "gender",
            ("gender", "sexe"),
            (("female", "women", "femmes"), ("male", "men", "hommes")),
            "female",
        ),
        GroupAttribute(
            "nationality_group",
            ("nationality", "nationalité"),
            (
                ("french", "French nationals", "allocataires français"),
                ("eu", "other EU nationals", "ressortissants de l'UE"),
                ("non_eu", "non-EU nationals", "ressortissants hors UE"),
            ),
            "french",
        ),
        GroupAttribute(
            "age_band",
            ("age of the file holder", "âge de l'allocataire"),
            (
                ("under 25", "holders under 25", "allocataires de moins de 25 ans"),
                ("25-34", "holders aged 25-34", "allocataires de 25 à 34 ans"),
                ("35-49", "holders aged 35-49", "allocataires de 35 à 49 ans"),
                ("50-64", "holders aged 50-64", "allocataires de 50 à 64 ans"),
                ("65 or more", "holders aged 65 or more", "allocataires de 65 ans ou plus"),
            ),
            "35-49",
        ),
        GroupAttribute(
            "household_type",
            ("household type", "situation familiale"),
            (
                ("single", "single people", "personnes seules"),
                ("lone_parent", "lone parents", "familles monoparentales"),
                ("couple_no_children", "couples without children", "couples sans enfant"),
                ("couple_with_children", "couples with children", "couples avec enfants"),
            ),
            "single",
        ),
        GroupAttribute(
            "aah",
            ("disability allowance (AAH)", "allocation aux adultes handicapés (AAH)"),
            (
                ("no AAH", "households without AAH", "foyers sans AAH"),
                ("receives AAH", "AAH recipients", "bénéficiaires de l'AAH"),
            ),
            "no AAH",
        ),
        GroupAttribute(
            "urban_rural",
            ("urban or rural", "densité de la commune"),
            (
                ("urban", "urban households", "foyers urbains"),
                (
                    "intermediate",
                    "households in intermediate areas",
                    "foyers en zone intermédiaire",
                ),
                ("rural", "rural households", "foyers ruraux"),
            ),
            "urban",
        ),
        GroupAttribute(
            "income_band",
            ("income (relative to the Smic)", "revenus (rapportés au Smic)"),
            (
                ("zero", "households with no income", "foyers sans revenu"),
                ("under 0.5 Smic", "households under 0.5 Smic", "foyers sous 0,5 Smic"),
                ("0.5 to 1 Smic", "households at 0.5 to 1 Smic", "foyers entre 0,5 et 1 Smic"),
                ("1 to 1.5 Smic", "households at 1 to 1.5 Smic", "foyers entre 1 et 1,5 Smic"),
                ("1.5 Smic or more", "households at 1.5 Smic or more", "foyers à 1,5 Smic ou plus"),
            ),
            "0.5 to 1 Smic",
        ),
    )
}


def _bands(values: npt.NDArray[np.float64], edges: list[float], labels: tuple[str, ...]) -> Any:
    index = np.searchsorted(np.asarray(edges), values, side="right")
    make: Any = pd.Categorical.from_codes
    return make(index, categories=list(labels))


def _categorical(values: Any, levels: list[str]) -> Any:
    """``pd.Categorical(values as text, categories=levels)``: text outside ``levels`` missing.

    A categorical column is recoded through its categories' text instead of its million rows'.
    """
    if isinstance(values, pd.Series | pd.Categorical) and isinstance(
        values.dtype, pd.CategoricalDtype
    ):
        codes, names = text_codes(pd.Series(values, copy=False))
        position = {level: i for i, level in enumerate(levels)}
        remap = np.asarray([position.get(name, -1) for name in names] + [-1], dtype=np.int64)
        make: Any = pd.Categorical.from_codes
        return make(remap[codes], categories=levels)
    return pd.Categorical(np.asarray(values, dtype=object), categories=levels)


def group_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The audit's group attributes, from a population (columns that are present only).

    Returns
    -------
    DataFrame
        Some of: gender, nationality_group, age_band, household_type, aah, urban_rural,
        income_band; categorical, one row per row of ``frame``.
    """
    out: dict[str, Any] = {}
    for name in ("gender", "nationality_group"):
        if name in frame:
            out[name] = _text(frame[name])
    if "age" in frame:
        out["age_band"] = _bands(frame["age"].to_numpy(dtype=float), [25, 35, 50, 65], AGE_BANDS)
    if "household_type" in frame:
        out["household_type"] = _text(frame["household_type"])
    if "mean_aah_12m" in frame:
        aah = frame["mean_aah_12m"].to_numpy(dtype=float) > 0
        make: Any = pd.Categorical.from_codes
        out["aah"] = make(np.where(aah, 1, 0), categories=["no AAH", "receives AAH"])
    if "urban_rural" in frame:
        out["urban_rural"] = _text(frame["urban_rural"])
    if "income_to_smic" in frame:
        income = frame["income_to_smic"].to_numpy(dtype=float)
        bands = _bands(income, [1e-12, 0.5, 1.0, 1.5], INCOME_BANDS)
        out["income_band"] = bands
    if not out:
        raise DmdeError(
            "the population has none of the columns the audit groups are made of (gender, "
            "nationality_group, age, household_type, mean_aah_12m, urban_rural, income_to_smic)."
        )
    return pd.DataFrame(
        {k: _categorical(v, [c for c, _, _ in GROUP_ATTRIBUTES[k].levels]) for k, v in out.items()}
    )


def _text(column: pd.Series[Any]) -> Any:
    """The column's values as text (missing values stay missing); a categorical stays one."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return column.astype(str).to_numpy()


def _levels(column: pd.Series[Any], codes: IntArray, names: tuple[str, ...]) -> list[str]:
    """The groups present (as :func:`text_codes` gives them), in category order or sorted."""
    present = {names[k] for k in np.flatnonzero(np.bincount(codes[codes >= 0], minlength=1))}
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories if str(c) in present]
    return sorted(present)


def _members(column: pd.Series[Any]) -> Iterator[tuple[str, npt.NDArray[np.bool_]]]:
    """Each group present in ``column`` (see :func:`_levels`) and the rows in it."""
    codes, names = text_codes(column)
    code = {name: k for k, name in enumerate(names)}
    for level in _levels(column, codes, names):
        yield level, codes == code[level]


def _weighted_share(
    mask: npt.NDArray[np.bool_], weight: npt.NDArray[np.float64]
) -> tuple[float, float, float]:
    """Weighted share of ``mask`` and its Wilson interval with Kish's effective size."""
    total = weight.sum()
    if total <= 0:
        return math.nan, math.nan, math.nan
    share = float(weight[mask].sum() / total)
    effective = float(kish_size(total, (weight**2).sum()))
    low, high = wilson(share * effective, effective)
    return share, low, high


def selection_vs_random(
    groups: pd.DataFrame,
    *,
    selected: npt.ArrayLike,
    controlled: npt.ArrayLike,
    label: npt.ArrayLike | None = None,
    control_weight: npt.ArrayLike | None = None,
    min_cell: int = 30,
) -> pd.DataFrame:
    """Each group's share among random checks vs among score selections, and hit rates.

    Parameters
    ----------
    groups : DataFrame
        Group attributes, one row per file (see :func:`group_columns`).
    selected : array of bool
        Selected for a check by the score.
    controlled : array of bool
        Checked in the random-control survey.
    label : array, optional
        Outcome (1 = overpayment target found), NaN where unknown. Hit rates need it on the
        rows concerned: the survey's labels for random checks; for score selections, the
        synthetic truth when simulating.
    control_weight : array, optional
        Survey weights of the random checks (1 when absent).
    min_cell : int
        Groups with fewer files in a method are suppressed for that method.

    Returns
    -------
    DataFrame
        attribute, group, then for ``random`` and ``score``: n, share, share_low, share_high,
        hit_rate, hit_low, hit_high; and ``share_ratio`` (score share / random share).
    """
    sel = np.asarray(selected, dtype=bool)
    ctl = np.asarray(controlled, dtype=bool)
    n = len(groups)
    if len(sel) != n or len(ctl) != n:
        raise DmdeError(f"selected and controlled need {n} values, one per row of groups.")
    weight = np.ones(n) if control_weight is None else np.asarray(control_weight, dtype=float)
    weight = np.where(ctl, np.nan_to_num(weight, nan=0.0), 0.0)
    y = None if label is None else np.asarray(label, dtype=float)
    # Each method's rows once (a few thousand of a million): a group's members among them, its
    # weights and labels are then taken from these, the same values in the same order.
    methods = [
        (method, rows_in, w[rows_in], None if y is None else y[rows_in])
        for method, rows_in, w in (("random", ctl, weight), ("score", sel, sel.astype(float)))
    ]
    rows: list[dict[str, Any]] = []
    for attribute in groups.columns:
        column = groups[attribute]
        codes, names = text_codes(column)
        code = {name: k for k, name in enumerate(names)}
        codes_in = [codes[rows_in] for _, rows_in, _, _ in methods]
        for level in _levels(column, codes, names):
            row: dict[str, Any] = {"attribute": attribute, "group": level}
            for (method, _, w_in, y_in), method_codes in zip(methods, codes_in, strict=True):
                member_in = method_codes == code[level]  # member[rows_in]
                count = int(member_in.sum())
                row[f"{method}_n"] = count
                if count < min_cell:
                    row |= {
                        f"{method}_{k}": math.nan
                        for k in (
                            "share",
                            "share_low",
                            "share_high",
                            "hit_rate",
                            "hit_low",
                            "hit_high",
                        )
                    }
                    continue
                share, low, high = _weighted_share(member_in, w_in)
                row |= {
                    f"{method}_share": share,
                    f"{method}_share_low": low,
                    f"{method}_share_high": high,
                }
                hit = hit_low = hit_high = math.nan
                if y_in is not None:
                    known = member_in & ~np.isnan(y_in)
                    if known.sum() >= min_cell:
                        hit, hit_low, hit_high = _weighted_share(y_in[known] == 1, w_in[known])
                row |= {
                    f"{method}_hit_rate": hit,
                    f"{method}_hit_low": hit_low,
                    f"{method}_hit_high": hit_high,
                }
            random_share = row.get("random_share", math.nan)
            score_share = row.get("score_share", math.nan)
            row["share_ratio"] = (
                score_share / random_share
                if random_share and not math.isnan(random_share)
                else math.nan
            )
            rows.append(row)
    return pd.DataFrame(rows)


def _katz(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float, float, float, float]:
    """Odds ratio of two independent proportions: ratio, interval, z statistic, log SE."""
    if min(p1, p2) <= 0 or max(p1, p2) >= 1 or min(n1, n2) <= 0:
        return math.nan, math.nan, math.nan, math.nan, math.nan
    log_or = math.log(p1 / (1 - p1)) - math.log(p2 / (1 - p2))
    se = math.sqrt(1 / (n1 * p1) + 1 / (n1 * (1 - p1)) + 1 / (n2 * p2) + 1 / (n2 * (1 - p2)))
    z = log_or / se
    return math.exp(log_or), math.exp(log_or - Z95 * se), math.exp(log_or + Z95 * se), z, se


def composition_tests(
    groups: pd.DataFrame,
    *,
    selected: npt.ArrayLike,
    controlled: npt.ArrayLike,
    control_weight: npt.ArrayLike | None = None,
    min_cell: int = 30,
) -> pd.DataFrame:
    """Each group's share among score checks against random checks, as a tested odds ratio.

    The odds ratio compares the group with all other files: (share among the score's checks /
    its complement) / (share among random checks / its complement). It is symmetric (the
    complement's is its inverse) and equals how much more often the score checks the group's
    files than other files, relative to random checks. Its interval and test are Woolf's
    (log odds ratio, normal), with Kish effective sizes for weighted random checks.

    Returns
    -------
    DataFrame
        Rows with the disparity columns (metric ``"composition"``; ``value`` is the share
        among score checks, ``reference_value`` among random checks, ``reference`` is
        ``"random checks"``).
    """
    sel = np.asarray(selected, dtype=bool)
    ctl = np.asarray(controlled, dtype=bool)
    weight = np.ones(len(sel)) if control_weight is None else np.asarray(control_weight, float)
    weight = np.where(ctl, np.nan_to_num(weight, nan=0.0), 0.0)
    n_score = float(sel.sum())
    total = float(weight.sum())
    n_random = float(kish_size(total, (weight**2).sum())) if total > 0 else 0.0
    rows: list[dict[str, Any]] = []
    statistics: list[float] = []
    for attribute in groups.columns:
        for level, member in _members(groups[attribute]):
            score_share = float(member[sel].mean()) if n_score else math.nan
            random_share = float(weight[member].sum() / total) if total > 0 else math.nan
            counts = (int((member & sel).sum()), int((member & ctl).sum()))
            suppressed = min(counts) < min_cell
            ratio, low, high, z, se = _katz(score_share, n_score, random_share, n_random)
            diff_se = math.sqrt(
                score_share * (1 - score_share) / max(n_score, 1)
                + random_share * (1 - random_share) / max(n_random, 1)
            )
            difference = score_share - random_share
            statistics.append(z)
            rows.append(
                {
                    "attribute": attribute,
                    "group": level,
                    "reference": "random checks",
                    "metric": "composition",
                    "value": score_share,
                    "reference_value": random_share,
                    "ratio": ratio,
                    "ratio_ci_low": low,
                    "ratio_ci_high": high,
                    "difference": difference,
                    "difference_ci_low": difference - Z95 * diff_se,
                    "difference_ci_high": difference + Z95 * diff_se,
                    "p_value": math.nan,  # below, every test's at once
                    "p_percentile": math.nan,
                    "log_se": se,
                    "tested": False,
                    "suppressed": suppressed,
                }
            )
    for row, p in zip(rows, normal_p(statistics).tolist(), strict=True):
        row["p_value"] = p
        row["tested"] = not row["suppressed"] and math.isfinite(p)
    return disparity_frame(rows)


def hit_rates_by_method(
    *,
    chosen: npt.ArrayLike,
    by_score: npt.ArrayLike,
    by_random: npt.ArrayLike,
    in_sample: npt.ArrayLike | None = None,
    label: npt.ArrayLike | None = None,
    weight: npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """The share of checks that found something, by how the files were chosen (one table).

    Random checks are the random-control sample when there is one (survey-weighted), else
    the files the method column calls random; score checks are the files selected by the
    score; other checks the rest of the selected files. Wilson 95% intervals (Kish effective
    size under weights). Empty without labels.

    Returns
    -------
    DataFrame
        method, checks, labelled, hits (weighted), hit_rate, hit_low, hit_high.
    """
    if label is None:
        return pd.DataFrame(
            columns=["method", "checks", "labelled", "hits", "hit_rate", "hit_low", "hit_high"]
        )
    y = np.asarray(label, dtype=float)
    chosen_ = np.asarray(chosen, dtype=bool)
    score_ = np.asarray(by_score, dtype=bool)
    random_ = (
        np.asarray(by_random, dtype=bool) if in_sample is None else np.asarray(in_sample, bool)
    )
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    sets = (
        ("random", random_, w if in_sample is not None else np.ones(len(y))),
        ("score", score_, np.ones(len(y))),
        ("other", chosen_ & ~score_ & ~np.asarray(by_random, dtype=bool), np.ones(len(y))),
    )
    rows = []
    for method, rows_in, weights in sets:
        if not rows_in.any():
            continue
        known = rows_in & ~np.isnan(y)
        n = int(known.sum())
        if n:
            rate, low, high = _weighted_share(y[known] == 1, weights[known])
            hits = float(weights[known][y[known] == 1].sum())
        else:
            rate = low = high = hits = math.nan
        rows.append(
            {
                "method": method,
                "checks": int(rows_in.sum()),
                "labelled": n,
                "hits": hits,
                "hit_rate": rate,
                "hit_low": low,
                "hit_high": high,
            }
        )
    return pd.DataFrame(rows)
