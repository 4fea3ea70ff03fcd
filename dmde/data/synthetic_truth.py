"""The truth of the synthetic world: the design terms of the true risk and the scenarios that
set their coefficients (neutral, or with a planted effect of an excluded column), and the truth of
underpayments (:data:`RAPPEL_TRUTH` over :func:`rappel_design`), the same under every scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

__all__ = [
    "RAPPEL_COEFFICIENTS",
    "RAPPEL_MIN_AMOUNT",
    "RAPPEL_MIN_MONTHS",
    "RAPPEL_TERMS",
    "RAPPEL_TRUTH",
    "SCENARIOS",
    "TRUTH_TERMS",
    "Scenario",
    "rappel_design",
    "truth_design",
]


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """A set of true logistic coefficients over the terms of :func:`truth_design`.

    Attributes
    ----------
    name : str
        Name used on the command line (``--scenario``).
    description : str
        What the scenario plants, in words.
    coefficients : Mapping[str, float]
        ``"intercept"`` and one coefficient per design term; terms absent here are 0.
    """

    name: str
    description: str
    coefficients: Mapping[str, float]

    def coefficient(self, term: str) -> float:
        """The coefficient of ``term`` (0 for a term the scenario does not use)."""
        return float(self.coefficients.get(term, 0.0))


#: The design terms of the truth, in order, with what each one means.
TRUTH_TERMS: Mapping[str, str] = {
    "rsa": "receives RSA (mean_rsa_12m > 0)",
    "prime_activite": "receives prime d'activité (mean_prime_activite_12m > 0)",
    "quarterly_declarative": "RSA or prime d'activité with declarative (not pre-filled) income",
    "income_volatility": "coefficient of variation of quarterly income (missing as 0)",
    "low_income": "income above zero and below one Smic",
    "zero_income": "no income at all",
    "child_over_19": "a child aged 19 or more in the household",
    "children_working": "at least one child working or in an apprenticeship",
    "self_employed": "holder or partner self-employed",
    "alimony_24m": "alimony declared in the last 24 months",
    "separation_12m": "separation in the last 12 months",
    "guardianship": "file managed by a guardian",
    "housing_aid": "receives housing aid",
    "aah_working": "receives AAH and the holder works",
    "n_children": "number of children",
    "log_years_on_file": "log(1 + years since the file was opened)",
    "age_under_25": "holder under 25 (sensitive: used only by a planted scenario)",
    "priority_neighbourhood": "lives in a priority neighbourhood (address: planted scenario only)",
    "low_web_use": "fewer than 3 web logins in 12 months (behaviour: planted scenario only)",
}

_NEUTRAL = {
    "intercept": -3.6,
    "rsa": 0.55,
    "prime_activite": 0.35,
    "quarterly_declarative": 0.45,
    "income_volatility": 0.9,
    "low_income": 0.6,
    "zero_income": 0.15,
    "child_over_19": 0.55,
    "children_working": 0.35,
    "self_employed": 0.6,
    "alimony_24m": 0.4,
    "separation_12m": 0.7,
    "guardianship": -0.7,
    "housing_aid": 0.25,
    "aah_working": 0.55,
    "n_children": 0.08,
    "log_years_on_file": -0.15,
}

#: The scenarios, by name.
SCENARIOS: Mapping[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "neutral", "The truth depends only on household, resources and benefits.", _NEUTRAL
        ),
        Scenario(
            "planted_age",
            "As neutral, plus a true effect of the holder being under 25 (+0.8 on the "
            "logit): an excluded sensitive column that the model cannot read.",
            {**_NEUTRAL, "age_under_25": 0.8},
        ),
        Scenario(
            "planted_address",
            "As neutral, plus a true effect of living in a priority neighbourhood (+0.8 on "
            "the logit): an excluded address column.",
            {**_NEUTRAL, "priority_neighbourhood": 0.8},
        ),
    )
}


def truth_design(frame: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
    """The design terms of the truth, one column per entry of :data:`TRUTH_TERMS`.

    The true logit of a household is ``intercept + design @ coefficients`` of its scenario.

    Parameters
    ----------
    frame : DataFrame or mapping of arrays
        Needs the household, resources and benefits columns, ``income_reporting``, ``age``,
        ``priority_neighbourhood`` and ``web_logins_12m`` (the last three for planted terms).

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> df = synthesize(1_000, seed=1, controls=100)
    >>> list(truth_design(df).columns)[:3]
    ['rsa', 'prime_activite', 'quarterly_declarative']
    """
    f = frame
    rsa = np.asarray(f["mean_rsa_12m"], dtype=float) > 0
    pa_ = np.asarray(f["mean_prime_activite_12m"], dtype=float) > 0
    income = np.asarray(f["income_to_smic"], dtype=float)
    holder = np.asarray(f["activity_holder"], dtype=object)
    partner = np.asarray(f["activity_partner"], dtype=object)
    volatility = pd.to_numeric(pd.Series(np.asarray(f["income_volatility"])), errors="raise")
    terms: dict[str, Any] = {
        "rsa": rsa,
        "prime_activite": pa_,
        "quarterly_declarative": (rsa | pa_)
        & (np.asarray(f["income_reporting"], dtype=object) == "declarative"),
        "income_volatility": volatility.fillna(0.0).to_numpy(dtype=float),
        "low_income": (income > 0) & (income < 1),
        "zero_income": np.asarray(f["zero_income"]) == 1,
        "child_over_19": np.asarray(f["child_over_19"]) == 1,
        "children_working": np.asarray(f["children_activity"], dtype=object) == "some_working",
        "self_employed": (holder == "self_employed") | (partner == "self_employed"),
        "alimony_24m": np.asarray(f["alimony_24m"]) == 1,
        "separation_12m": np.asarray(f["separation_12m"]) == 1,
        "guardianship": np.asarray(f["guardianship"]) == 1,
        "housing_aid": np.asarray(f["mean_housing_aid_12m"], dtype=float) > 0,
        "aah_working": (np.asarray(f["mean_aah_12m"], dtype=float) > 0)
        & np.isin(holder, ["employed", "self_employed"]),
        "n_children": np.asarray(f["n_children"], dtype=float),
        "log_years_on_file": np.log1p(np.asarray(f["months_on_file"], dtype=float) / 12),
        "age_under_25": np.asarray(f["age"], dtype=float) < 25,
        "priority_neighbourhood": np.asarray(f["priority_neighbourhood"]) == 1,
        "low_web_use": np.asarray(f["web_logins_12m"], dtype=float) < 3,
    }
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in terms.items()})


def _truth_logit(design: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    beta = np.array([scenario.coefficient(t) for t in design.columns])
    return np.asarray(scenario.coefficient("intercept") + design.to_numpy() @ beta)


# ---------------------------------------------------------------------------------------------
# The truth of underpayments (rappels): the household is paid too little.

#: An underpayment counts for ``rappel_target`` from this amount (EUR) ...
RAPPEL_MIN_AMOUNT = 300.0
#: ... lasting at least this many months (both assumed: an outreach contact is cheap, so a
#: smaller gap than the overpayment target's 600 EUR over 6 months is worth it).
RAPPEL_MIN_MONTHS = 3

#: The design terms of the underpayment truth, in order, with what each one means. A benefit
#: not claimed is written additively, as the DREES measures it: a low income raises the chance
#: that a benefit is due and not claimed, receiving a benefit lowers it.
RAPPEL_TERMS: Mapping[str, str] = {
    "income_below_half_smic": "household income below 0.5 Smic (RSA may be due)",
    "income_half_to_1_2_smic": (
        "household income from 0.5 to 1.2 Smic (prime d'activité may be due)"
    ),
    "rsa": "receives RSA",
    "prime_activite": "receives prime d'activité",
    "housing_aid": "receives housing aid",
    "family_benefits": "receives family allowances or the complément familial",
    "couple_no_children": "a couple without children",
    "income_volatility": "coefficient of variation of quarterly income (a drop not yet declared)",
    "holder_unemployed": "holder unemployed (a job lost, income not yet updated)",
    "partner_job_loss": "partner unemployed (a partner's job lost)",
    "new_file": "a file opened less than 3 years ago (a birth, a new dependant, a move)",
    "n_children": "number of children",
    "separation_12m": "separation in the last 12 months",
}

#: The coefficients of the underpayment truth (documented in ``data/synthetic/README.md``).
RAPPEL_COEFFICIENTS: Mapping[str, float] = {
    "intercept": -3.35,
    "income_below_half_smic": 1.9,
    "income_half_to_1_2_smic": 1.1,
    "rsa": -0.6,
    "prime_activite": -0.4,
    "housing_aid": -0.3,
    "family_benefits": -0.2,
    "couple_no_children": 0.4,
    "income_volatility": 0.6,
    "holder_unemployed": 0.6,
    "partner_job_loss": 0.6,
    "new_file": 0.4,
    "n_children": 0.12,
    "separation_12m": 0.8,
}

#: The underpayment truth as a scenario (one for every overpayment scenario: it plants nothing).
RAPPEL_TRUTH = Scenario(
    "rappel",
    "The situations that lead to being paid too little: a benefit not claimed, a drop in "
    "income or a change in the family not yet declared.",
    RAPPEL_COEFFICIENTS,
)


def rappel_design(frame: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
    """The design terms of the underpayment truth, one column per entry of
    :data:`RAPPEL_TERMS`; the true logit is ``intercept + design @ coefficients`` of
    :data:`RAPPEL_TRUTH`.

    Reads only household, resources and benefits columns: the allowed features.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> df = synthesize(1_000, seed=1, controls=100)
    >>> list(rappel_design(df).columns)[:3]
    ['income_below_half_smic', 'income_half_to_1_2_smic', 'rsa']
    """
    f = frame
    income = np.asarray(f["income_to_smic"], dtype=float)
    rsa = np.asarray(f["mean_rsa_12m"], dtype=float) > 0
    prime = np.asarray(f["mean_prime_activite_12m"], dtype=float) > 0
    family = (
        np.asarray(f["mean_af_12m"], dtype=float) + np.asarray(f["mean_cf_12m"], dtype=float)
    ) > 0
    volatility = pd.to_numeric(pd.Series(np.asarray(f["income_volatility"])), errors="raise")
    terms: dict[str, Any] = {
        "income_below_half_smic": income < 0.5,
        "income_half_to_1_2_smic": (income >= 0.5) & (income < 1.2),
        "rsa": rsa,
        "prime_activite": prime,
        "housing_aid": np.asarray(f["mean_housing_aid_12m"], dtype=float) > 0,
        "family_benefits": family,
        "couple_no_children": np.asarray(f["household_type"], dtype=object) == "couple_no_children",
        "income_volatility": volatility.fillna(0.0).to_numpy(dtype=float),
        "holder_unemployed": np.asarray(f["activity_holder"], dtype=object) == "unemployed",
        "partner_job_loss": np.asarray(f["activity_partner"], dtype=object) == "unemployed",
        "new_file": np.asarray(f["months_on_file"], dtype=float) < 36,
        "n_children": np.asarray(f["n_children"], dtype=float),
        "separation_12m": np.asarray(f["separation_12m"]) == 1,
    }
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in terms.items()})
