"""The audit's verdicts: the few findings an ethics committee should read first, ranked.

The group metrics give hundreds of numbers and, on a national file, hundreds of significant
differences; most say the same thing twice or matter little. A finding answers one question
about one group, with the comparison that settles it, and a *verdict class*:

- ``beyond_risk`` (amplified): the group's selection ratio to the reference, divided by its
  overpayment-rate ratio (the **amplification**), is outside the band and significant: the
  group is selected more (or less) often than its risk alone would give. Top-k selection
  amplifies small risk differences into large selection differences; this measures it.
- ``in_proportion``: the group is selected more or less often (flagged), and the
  amplification is within the band and not significant: in proportion to its risk, as far
  as the data can tell (its interval says how far that is).
- ``selection_gap``: a flagged selection difference that cannot be set against risk (no
  labels, or too few), or whose amplification is outside the band but not significant.
- ``composition_shift``: when every row of the table was checked (no population), the
  group's share among the score's checks against its share among random checks, as an odds
  ratio (the group against all other files), tested.
- ``unequal_errors``: the checks of the group find nothing (false-positive rate, fruitless
  checks per 1,000 files) or find something (precision), or miss it (false-negative rate),
  at a flagged different rate; the finding carries the other error measures too, flagged or
  not, so that both sides of the trade-off are read together.
- ``interaction``: an intersection of two attributes is selected at a rate its two
  attributes do not explain on their own (:mod:`dmde.audit.interactions`).

Every test behind a finding is among the audit's disparities, under the one correction for
multiple comparisons. Findings are ranked by priority = the effect at the interval's bound
nearest no difference (``|log ratio|``: size and certainty at once) times the square root of
the group's share of files (the people affected). :func:`amplification` makes the
amplification rows; :func:`findings` reads the flagged disparities and returns the table.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.metric_definitions import SEPARATOR
from dmde.core.stats import Z95, normal_p

__all__ = [
    "AMPLIFICATION",
    "DECIDING",
    "ERROR_METRICS",
    "RISK",
    "SELECTION",
    "VERDICTS",
    "amplification",
    "findings",
]

#: The verdict classes, in the order the report explains them.
VERDICTS = (
    "beyond_risk",
    "in_proportion",
    "selection_gap",
    "composition_shift",
    "unequal_errors",
    "interaction",
)
#: Error comparisons read together in an ``unequal_errors`` finding (both sides of the trade-off).
ERROR_METRICS = ("fpr", "false_positive_burden", "precision", "fnr")

#: The column names (ratio, low, high) of each ratio a finding carries.
DECIDING = ("ratio", "ratio_low", "ratio_high")
SELECTION = ("selection_ratio", "selection_low", "selection_high")
RISK = ("risk_ratio", "risk_low", "risk_high")
AMPLIFICATION = ("amplification", "amplification_low", "amplification_high")

_FINDING_COLUMNS = (
    "finding",
    "verdict",
    "attribute",
    "group",
    "reference",
    "metric",
    "value",
    "reference_value",
    *DECIDING,
    "p_adjusted",
    "share",
    "priority",
    *SELECTION,
    *RISK,
    *AMPLIFICATION,
    "related",
)


def amplification(disparities: pd.DataFrame) -> pd.DataFrame:
    """Selection ratio / overpayment-rate ratio, per group of each single attribute.

    The group's value is its selection rate per unit of risk (selection rate / base rate);
    the ratio of that to the reference group's is the amplification. Its standard error on
    the log scale adds the two ratios' (their bootstraps are of different rows when the
    labels come from a random sample; on the same rows the two are positively correlated,
    so adding them is conservative). Rows have the disparity columns, metric
    ``"amplification"``.
    """
    rows = disparities[~disparities["attribute"].astype(str).str.contains(SEPARATOR)]
    keys = ["attribute", "group"]
    sel = rows[rows["metric"] == "selection_rate"].set_index(keys)
    base = rows[rows["metric"] == "base_rate"].set_index(keys)
    both = sel.merge(base, left_index=True, right_index=True, suffixes=("_s", "_b"))
    if both.empty:
        return pd.DataFrame()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = both["ratio_s"] / both["ratio_b"]
        se = np.sqrt(both["log_se_s"] ** 2 + both["log_se_b"] ** 2)
        log_ratio = np.log(ratio.where(ratio > 0))
        z = log_ratio / se
    tested = both["tested_s"].astype(bool) & both["tested_b"].astype(bool) & np.isfinite(z)
    p = normal_p(z)
    suppressed = both["suppressed_s"].astype(bool) | both["suppressed_b"].astype(bool)
    out = pd.DataFrame(
        {
            "attribute": both.index.get_level_values(0),
            "group": both.index.get_level_values(1),
            "reference": both["reference_s"].to_numpy(),
            "metric": "amplification",
            "value": (both["value_s"] / both["value_b"]).to_numpy(),
            "reference_value": (both["reference_value_s"] / both["reference_value_b"]).to_numpy(),
            "ratio": ratio.to_numpy(),
            "ratio_ci_low": (ratio * np.exp(-Z95 * se)).to_numpy(),
            "ratio_ci_high": (ratio * np.exp(Z95 * se)).to_numpy(),
            "difference": math.nan,
            "difference_ci_low": math.nan,
            "difference_ci_high": math.nan,
            "p_value": np.where(tested, p, np.nan),
            "p_percentile": math.nan,
            "log_se": np.where(tested, se, np.nan),
            "tested": tested.to_numpy(),
            "suppressed": suppressed.to_numpy(),
        }
    )
    return out.reset_index(drop=True)


def _nearest_bound(ratio: float, low: float, high: float) -> float:
    """|log| of the interval's bound nearest 1 (0 when the interval holds 1)."""
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 1 <= high:
        return 0.0 if np.isfinite(low) and np.isfinite(high) else abs(math.log(max(ratio, 1e-12)))
    return min(abs(math.log(max(low, 1e-12))), abs(math.log(max(high, 1e-12))))


def _comparison(row: Any) -> dict[str, Any]:
    """A disparity row as a finding reads it: the comparison, its interval and its flag."""
    return {
        "metric": str(row["metric"]),
        "value": float(row["value"]),
        "reference_value": float(row["reference_value"]),
        "ratio": float(row["ratio"]),
        "ratio_low": float(row["ratio_ci_low"]),
        "ratio_high": float(row["ratio_ci_high"]),
        "p_adjusted": float(row["p_adjusted"]),
        "flagged": bool(row["flagged"]),
    }


def _effect(row: Any) -> float:
    """A disparity row's effect: |log| of its interval's bound nearest 1."""
    return _nearest_bound(
        float(row["ratio"]), float(row["ratio_ci_low"]), float(row["ratio_ci_high"])
    )


def _ratios(row: Any, names: tuple[str, str, str]) -> dict[str, float]:
    """A disparity row's ratio and interval under the names of one of a finding's ratios."""
    return dict(zip(names, (row["ratio"], row["ratio_ci_low"], row["ratio_ci_high"]), strict=True))


def _finding(verdict: str, row: Any, share: float, **extra: Any) -> dict[str, Any]:
    effect = extra.pop("effect", None)
    effect = _effect(row) if effect is None else effect
    comparison = _comparison(row)
    del comparison["flagged"]
    out: dict[str, Any] = {
        "verdict": verdict,
        "attribute": str(row["attribute"]),
        "group": str(row["group"]),
        "reference": str(row["reference"]),
        **comparison,
        "share": share,
        "priority": effect * math.sqrt(max(share, 0.0)) if np.isfinite(share) else effect,
        "related": [],
    }
    out.update(extra)
    return out


def findings(
    disparities: pd.DataFrame,
    metrics: pd.DataFrame,
    *,
    all_checked: bool = False,
    labelled: bool = True,
    band: tuple[float, float] = (0.8, 1.25),
) -> pd.DataFrame:
    """The audit's findings, ranked (see the module docstring for the verdict classes).

    Parameters
    ----------
    disparities : DataFrame
        Every comparison of the audit, flagged under one correction (with the
        ``amplification``, ``composition`` and ``interaction`` rows).
    metrics : DataFrame
        The group metrics (for each group's share of files).
    all_checked : bool
        Every row of the table was checked: no selection rates, composition instead.
    labelled : bool
        Labels were given (without them no finding is set against risk).
    band : (low, high)
        The band of ratios that are no difference (as the audit's).

    Returns
    -------
    DataFrame
        One row per group found, numbered by ``finding`` (1 first): a finding is one attribute
        (or pair) and one verdict, ranked by its strongest group. Each row has its verdict, the
        deciding comparison
        (``metric``, ``ratio`` and its interval, ``p_adjusted``), the group's share of files,
        and for selection findings the selection ratio, the risk ratio and the amplification
        with their intervals; ``related`` lists the other comparisons read with it.
    """
    low_band, high_band = band
    d = disparities.copy()
    d["flagged"] = d["flagged"].astype(bool)
    share_rows = metrics[metrics["metric"] == "population_share"]
    shares = {
        (str(a), str(g)): float(v)
        for a, g, v in zip(
            share_rows["attribute"], share_rows["group"], share_rows["value"], strict=True
        )
    }
    single = ~d["attribute"].astype(str).str.contains(SEPARATOR)
    by_key = {
        m: part.set_index(["attribute", "group"], drop=False) for m, part in d.groupby("metric")
    }

    def row_of(metric: str, key: tuple[str, str]) -> Any:
        part = by_key.get(metric)
        if part is None or key not in part.index:
            return None
        return part.loc[key]

    out: list[dict[str, Any]] = []
    keys = list(dict.fromkeys(zip(d.loc[single, "attribute"], d.loc[single, "group"], strict=True)))
    for key in keys:
        share = shares.get((str(key[0]), str(key[1])), math.nan)
        if not all_checked:
            selection = row_of("selection_rate", key)
            amp = row_of("amplification", key) if labelled else None
            base = row_of("base_rate", key) if labelled else None
            sel_flagged = selection is not None and bool(selection["flagged"])
            amp_flagged = amp is not None and bool(amp["flagged"])
            if sel_flagged or amp_flagged:
                context: dict[str, Any] = {}
                if selection is not None:
                    context |= _ratios(selection, SELECTION)
                if base is not None and not bool(base["suppressed"]):
                    context |= _ratios(base, RISK)
                if amp is not None and bool(amp["tested"]):
                    context |= _ratios(amp, AMPLIFICATION)
                if amp_flagged:
                    out.append(_finding("beyond_risk", amp, share, **context))
                elif (
                    amp is not None
                    and bool(amp["tested"])
                    and low_band <= float(amp["ratio"]) <= high_band
                ):
                    effect = _effect(selection)
                    out.append(_finding("in_proportion", amp, share, effect=effect, **context))
                elif selection is not None:
                    out.append(_finding("selection_gap", selection, share, **context))
        else:
            composition = row_of("composition", key)
            if composition is not None and bool(composition["flagged"]):
                out.append(_finding("composition_shift", composition, share))
        errors = [row_of(m, key) for m in ERROR_METRICS]
        present = [r for r in errors if r is not None and not bool(r["suppressed"])]
        flagged = [r for r in present if bool(r["flagged"])]
        mine = [f for f in out if (f["attribute"], f["group"]) == (str(key[0]), str(key[1]))]
        if mine:  # the error measures are read with the group's selection finding
            mine[0]["related"] = [_comparison(r) for r in present]
        elif flagged:
            strongest = max(flagged, key=_effect)
            finding = _finding("unequal_errors", strongest, share)
            finding["related"] = [_comparison(r) for r in present if r is not strongest]
            out.append(finding)
    interactions = d[(d["metric"] == "interaction") & d["flagged"]]
    for _, row in interactions.iterrows():
        share = shares.get((str(row["attribute"]), str(row["group"])), math.nan)
        out.append(_finding("interaction", row, share))

    frame = pd.DataFrame(out, columns=[c for c in _FINDING_COLUMNS if c != "finding"])
    if frame.empty:
        return pd.DataFrame(columns=list(_FINDING_COLUMNS))
    # One finding per attribute (or pair) and verdict, its groups inside it: ranked by the
    # priority of its strongest group, then the groups by priority.
    keys = list(zip(frame["attribute"], frame["verdict"], strict=True))
    top = frame.groupby(["attribute", "verdict"], sort=True)["priority"].max()
    order = sorted(top.index, key=lambda k: (-float(top[k]), str(k[0]), str(k[1])))
    number = {k: i + 1 for i, k in enumerate(order)}
    frame.insert(0, "finding", [number[k] for k in keys])
    frame = frame.sort_values(
        ["finding", "priority", "group"], ascending=[True, False, True], kind="stable"
    )
    return frame.reset_index(drop=True)
