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
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.errors import DmdeError
from dmde.stats import wilson

__all__ = [
    "AGE_BANDS",
    "ATTRIBUTE_SOURCES",
    "INCOME_BANDS",
    "group_columns",
    "selection_vs_random",
    "wilson",
]


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


def _bands(values: npt.NDArray[np.float64], edges: list[float], labels: tuple[str, ...]) -> Any:
    index = np.searchsorted(np.asarray(edges), values, side="right")
    make: Any = pd.Categorical.from_codes
    return make(index, categories=list(labels))


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
            out[name] = frame[name].astype(str).to_numpy()
    if "age" in frame:
        out["age_band"] = _bands(frame["age"].to_numpy(dtype=float), [25, 35, 50, 65], AGE_BANDS)
    if "household_type" in frame:
        out["household_type"] = frame["household_type"].astype(str).to_numpy()
    if "mean_aah_12m" in frame:
        aah = frame["mean_aah_12m"].to_numpy(dtype=float) > 0
        out["aah"] = np.where(aah, "receives AAH", "no AAH")
    if "urban_rural" in frame:
        out["urban_rural"] = frame["urban_rural"].astype(str).to_numpy()
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
        {k: pd.Categorical(v) if not isinstance(v, pd.Categorical) else v for k, v in out.items()}
    )


def _levels(column: pd.Series[Any], values: npt.NDArray[Any]) -> list[str]:
    """The groups present, in the column's category order (income bands) or sorted."""
    present = set(values)
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories if str(c) in present]
    return sorted(present)


def _weighted_share(
    mask: npt.NDArray[np.bool_], weight: npt.NDArray[np.float64]
) -> tuple[float, float, float]:
    """Weighted share of ``mask`` and its Wilson interval with Kish's effective size."""
    total = weight.sum()
    if total <= 0:
        return math.nan, math.nan, math.nan
    share = float(weight[mask].sum() / total)
    effective = total**2 / float((weight**2).sum())
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
    rows: list[dict[str, Any]] = []
    for attribute in groups.columns:
        values = groups[attribute].astype(str).to_numpy()
        for level in _levels(groups[attribute], values):
            member = values == level
            row: dict[str, Any] = {"attribute": attribute, "group": level}
            for method, rows_in, w in (("random", ctl, weight), ("score", sel, sel.astype(float))):
                inside = rows_in & member
                count = int(inside.sum())
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
                share, low, high = _weighted_share(member[rows_in], w[rows_in])
                row |= {
                    f"{method}_share": share,
                    f"{method}_share_low": low,
                    f"{method}_share_high": high,
                }
                hit = hit_low = hit_high = math.nan
                if y is not None:
                    known = inside & ~np.isnan(y)
                    if known.sum() >= min_cell:
                        hit, hit_low, hit_high = _weighted_share(y[known] == 1, w[known])
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
