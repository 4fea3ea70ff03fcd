"""The synthetic world: a population of household benefit files with a known truth.

Every household is drawn from an explicit structural model, in the order in which its situation
arises: where it lives, who the holder is, the family, the activity and incomes, the benefits the
agency pays, and then the **truth**, a probability of an overpayment (indu) of at least 600 EUR
lasting at least 6 months over 24 months. The truth is a logistic function of documented design
terms (:func:`truth_design`) with the coefficients of a :class:`Scenario`. Behaviour and control
history are drawn after the truth, with realistic links (past checks follow past risk), so that an
audit can study them; under the ``neutral`` scenario the truth reads only the allowed families.

Sensitive attributes shape the features as they do in reality (lone parents are mostly women,
nationality relates to activity, family size and place, age to children's ages and behaviour),
so the allowed features are proxies of them. Every assumption, with its source or "assumed", is
written in ``data/synthetic/README.md``.

A stratified random-control survey (``controls`` files, oversampling RSA and prime d'activité
files) carries the observed labels; other rows have them missing.

Generation streams in chunks of :data:`CHUNK_ROWS` rows, each with its own random streams derived
from ``(seed, chunk index)``, so memory stays bounded at any size and the same arguments give the
same rows. The survey draw needs the strata of the whole population, so the chunks are drawn
twice: once for the strata and once for the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from os import PathLike
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dmde.core.errors import DmdeError
from dmde.data.catalog import CAF_CODES, CATALOG, column, columns_of
from dmde.data.datasets import arrow_schema, write_batches

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

#: A progress callback: ``progress(stage, rows_done_in_this_call)``.
Progress: TypeAlias = Callable[[str, int], None]

__all__ = [
    "CHUNK_ROWS",
    "SCENARIOS",
    "SMIC_NET_MONTHLY",
    "TRUTH_TERMS",
    "Progress",
    "Scenario",
    "generate_population",
    "population_columns",
    "synthesize",
    "truth_design",
    "write_population",
]

#: Rows per generated chunk (fixed: the output depends on it).
CHUNK_ROWS = 250_000
#: Net monthly minimum wage used to express incomes in Smic units (2026, rounded; assumed).
SMIC_NET_MONTHLY = 1_440.0
#: Months of the snapshots: 24 months ending September 2026 (assumed).
SNAPSHOT_MONTHS: tuple[str, ...] = tuple(
    f"{2024 + (9 + i) // 12}-{(9 + i) % 12 + 1:02d}" for i in range(24)
)
#: First month of pre-filled income reporting (generalised in March 2025).
PREFILLED_FROM = "2025-03"

# ---------------------------------------------------------------------------------------------
# Places: the 101 départements, with population in thousands (INSEE 2021, rounded) in the order
# of CAF_CODES. Households on file are assumed proportional to population.
# fmt: off
_POPULATION_K = np.array([
    657, 529, 335, 165, 141, 1098, 329, 270, 154, 311, 375, 280, 2056, 697, 144, 352, 656, 299,
    240, 160, 182, 534, 601, 116, 414, 545, 520, 600, 431, 917, 752, 1435, 192, 1655, 1200, 1095,
    218, 612, 1275, 259, 418, 329, 766, 228, 1450, 683, 174, 331, 76, 821, 495, 566, 172, 307,
    733, 184, 760, 1046, 204, 2611, 829, 280, 1465, 662, 687, 229, 482, 1141, 767, 1883, 235, 551,
    566, 436, 826, 2145, 1255, 1421, 1448, 375, 570, 389, 262, 1076, 561, 685, 438, 372, 364, 335,
    141, 1301, 1624, 1655, 1407, 1249, 384, 361, 286, 868, 299,
], dtype=np.float64)
# fmt: on
# Relative share of foreign-nationality holders by département (assumed from INSEE immigration
# maps: high in Île-de-France, Guyane and Mayotte, low elsewhere overseas); 0.75 elsewhere.
_FOREIGN_FACTOR = {
    "75": 2.0,
    "93": 3.0,
    "94": 2.0,
    "92": 1.6,
    "95": 1.8,
    "91": 1.4,
    "78": 1.3,
    "77": 1.2,
    "69": 1.4,
    "13": 1.3,
    "06": 1.5,
    "67": 1.3,
    "68": 1.3,
    "31": 1.1,
    "34": 1.1,
    "38": 1.0,
    "973": 3.5,
    "976": 5.0,
    "971": 0.3,
    "972": 0.2,
    "974": 0.2,
}
# Share of households in dense (urban) communes by département (assumed); 0.40 elsewhere.
_URBAN_SHARE = {
    "75": 1.0,
    "92": 0.98,
    "93": 0.98,
    "94": 0.97,
    "69": 0.8,
    "13": 0.8,
    "59": 0.75,
    "06": 0.75,
    "91": 0.7,
    "95": 0.7,
    "78": 0.65,
    "77": 0.5,
    "31": 0.65,
    "33": 0.6,
    "67": 0.6,
    "34": 0.6,
    "44": 0.55,
    "38": 0.5,
    "974": 0.6,
    "971": 0.45,
    "972": 0.45,
}
_COMMUNES_PER_CAF = 300

_CAF_WEIGHTS = _POPULATION_K / _POPULATION_K.sum()
_FOREIGN = np.array([_FOREIGN_FACTOR.get(c, 0.75) for c in CAF_CODES])
_URBAN = np.array([_URBAN_SHARE.get(c, 0.40) for c in CAF_CODES])


@cache
def _communes() -> tuple[Arr, Arr]:
    """Commune and postal code of every (caf, commune number) pair, flat: caf * K + k."""
    communes, postals = [], []
    for caf in CAF_CODES:
        for k in range(1, _COMMUNES_PER_CAF + 1):
            if len(caf) == 3:  # overseas: 971 + 2 digits
                kk = (k - 1) % 34 + 1
                communes.append(f"{caf}{kk:02d}")
                postals.append(f"{caf}{kk:02d}")
            else:
                communes.append(f"{caf}{k:03d}")
                postals.append(f"{'20' if caf in ('2A', '2B') else caf}{(k * 7) % 1000:03d}")
    return pa.array(communes, pa.string()), pa.array(postals, pa.string())


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
# Structural model of one chunk. Categorical values are drawn as integer codes into the levels
# of the catalog; strings are made only when the chunk becomes a table.


def _levels(name: str) -> tuple[str, ...]:
    return column(name).levels


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row from an (n, k) matrix of probabilities (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cum[:, -1]
    return np.asarray((u[:, None] >= cum[:, :-1]).sum(axis=1), dtype=np.int8)


def _bern(rng: np.random.Generator, p: np.ndarray | float, n: int) -> np.ndarray:
    return np.asarray(rng.random(n) < p)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


_AGE_BANDS = np.array([18, 25, 30, 40, 50, 60, 70, 91])
_AGE_PROBS = np.array([0.09, 0.12, 0.25, 0.22, 0.15, 0.10, 0.07])
# household type by age band: single, lone_parent, couple_no_children, couple_with_children
_HOUSEHOLD_BY_AGE = np.array(
    [
        [0.70, 0.12, 0.06, 0.12],
        [0.50, 0.16, 0.07, 0.27],
        [0.25, 0.25, 0.04, 0.46],
        [0.22, 0.28, 0.03, 0.47],
        [0.45, 0.20, 0.08, 0.27],
        [0.68, 0.06, 0.20, 0.06],
        [0.75, 0.02, 0.21, 0.02],
    ]
)
_ACT = {name: i for i, name in enumerate(_levels("activity_holder"))}


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    caf = rng.choice(len(CAF_CODES), size=n, p=_CAF_WEIGHTS).astype(np.int16)
    p_foreign = np.clip(0.11 / 1.06 * _FOREIGN[caf], 0, 0.9)
    foreign = _bern(rng, p_foreign, n)
    nationality = np.where(foreign, np.where(_bern(rng, 0.72, n), 2, 1), 0).astype(np.int8)
    band = rng.choice(len(_AGE_PROBS), size=n, p=_AGE_PROBS)
    age = rng.integers(_AGE_BANDS[band], _AGE_BANDS[band + 1]) - 2 * foreign
    hh_probs = _HOUSEHOLD_BY_AGE[band].copy()
    hh_probs[foreign, 3] *= 1.8  # foreign holders: more couples with children
    household = _pick(rng, hh_probs)
    couple = household >= 2
    with_children = (household == 1) | (household == 3)
    p_female = np.select([household == 1, household == 0], [0.84, 0.47], default=0.6)
    gender = np.where(_bern(rng, p_female, n), 0, 1).astype(np.int8)
    extra = rng.poisson(np.where(household == 1, 1.0, 1.5) + 0.5 * foreign)
    n_children = np.where(with_children, np.minimum(1 + extra, 12), 0)
    child_over_19 = with_children & _bern(rng, _sigmoid(-10.0 + 0.18 * age), n)
    some_working = with_children & np.where(
        child_over_19, _bern(rng, 0.55, n), (age >= 38) & _bern(rng, 0.12, n)
    )
    children_activity = np.select([~with_children, some_working], [0, 2], default=1)
    return {
        "caf": caf,
        "foreign": foreign,
        "nationality": nationality,
        "age": age,
        "household": household,
        "couple": couple,
        "gender": gender,
        "n_children": n_children,
        "child_over_19": child_over_19,
        "children_activity": children_activity,
    }


def _activity(rng: np.random.Generator, p: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    age, foreign = p["age"], p["foreign"]
    disabled = _bern(rng, np.clip(0.065 + 0.0028 * (age - 18), 0, 0.3), n)
    # employed, self_employed, unemployed, inactive, student, retired
    probs = np.tile([0.58, 0.08, 0.18, 0.16, 0.0, 0.0], (n, 1))
    probs[p["household"] == 1] = [0.50, 0.06, 0.22, 0.22, 0.0, 0.0]
    probs[foreign] += [-0.10, 0.0, 0.05, 0.05, 0.0, 0.0]
    probs[age < 25, 4] = 0.45
    probs[(age >= 25) & (age < 30), 4] = 0.06
    probs[(age >= 60) & (age < 70), 5] = 1.2
    probs[age >= 70, 5] = 12.0
    probs[disabled] = [0.28, 0.02, 0.05, 0.65, 0.0, 0.0]
    holder = _pick(rng, probs)
    pprobs = np.tile([0.62, 0.07, 0.12, 0.13, 0.01, 0.0], (n, 1))
    pprobs[age >= 60, 5] = 1.0
    pprobs[age >= 70, 5] = 10.0
    partner = np.where(p["couple"], _pick(rng, pprobs) + 1, 0).astype(np.int8)
    return {"disabled": disabled, "holder": holder, "partner": partner}


_INCOME_BY_ACTIVITY = {  # (share with income, log-mean, log-sd, volatility gamma scale)
    "employed": (1.0, np.log(0.95), 0.45, 0.06),
    "self_employed": (0.85, np.log(0.8), 0.8, 0.30),
    "unemployed": (0.55, np.log(0.6), 0.3, 0.20),
    "inactive": (0.25, np.log(0.3), 0.6, 0.25),
    "student": (0.40, np.log(0.35), 0.5, 0.25),
    "retired": (1.0, np.log(0.85), 0.4, 0.02),
}


def _person_income(rng: np.random.Generator, act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = act.shape[0]
    share, mu, sd, vol = (
        np.array([v[i] for v in _INCOME_BY_ACTIVITY.values()])[act] for i in range(4)
    )
    has = rng.random(n) < share
    income = np.where(has, np.exp(mu + sd * rng.standard_normal(n)), 0.0)
    return income, rng.gamma(2.0, 1.0, n) * vol


def _resources(
    rng: np.random.Generator, p: dict[str, np.ndarray], a: dict[str, np.ndarray], n: int
) -> dict[str, np.ndarray]:
    inc_h, vol_h = _person_income(rng, a["holder"])
    inc_p, vol_p = _person_income(rng, np.maximum(a["partner"] - 1, 0))
    inc_p = np.where(a["partner"] > 0, inc_p, 0.0)
    inc_c = np.where(
        p["children_activity"] == 2, np.exp(np.log(0.5) + 0.5 * rng.standard_normal(n)), 0.0
    )
    total = np.round(np.minimum(inc_h + inc_p + inc_c, 20.0), 3)
    weighted = inc_h * vol_h + inc_p * vol_p + inc_c * 0.3
    volatility = np.where(total > 0, weighted / np.maximum(inc_h + inc_p + inc_c, 1e-9), 0.0)
    months_on_file = np.minimum(rng.exponential(84.0, n), (p["age"] - 16) * 12).astype(np.int64)
    volatility = np.where(months_on_file < 6, np.nan, np.round(np.minimum(volatility, 5.0), 3))
    household = p["household"]
    separation = _bern(
        rng,
        np.select([household == 1, (household == 0) & (p["age"] < 60)], [0.12, 0.05], default=0.01),
        n,
    )
    alimony = _bern(rng, np.select([household == 1, separation], [0.40, 0.25], default=0.02), n)
    guardianship = _bern(rng, np.where(a["disabled"], 0.12, 0.003) + 0.05 * (p["age"] > 75), n)
    earned = (
        np.isin(a["holder"], [_ACT["employed"], _ACT["self_employed"]]) * inc_h
        + np.isin(a["partner"] - 1, [_ACT["employed"], _ACT["self_employed"]]) * inc_p
    )
    return {
        "income": total,
        "earned": earned,
        "volatility": volatility,
        "months_on_file": months_on_file,
        "separation": separation,
        "alimony": alimony,
        "guardianship": guardianship,
    }


def _months_paid(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.where(rng.random(n) < 0.82, 12, rng.integers(1, 12, n)) / 12.0


def _benefits(
    rng: np.random.Generator,
    p: dict[str, np.ndarray],
    a: dict[str, np.ndarray],
    r: dict[str, np.ndarray],
    n: int,
) -> dict[str, np.ndarray]:
    income, age, kids = r["income"], p["age"], p["n_children"]
    couple = p["couple"]
    units = 1.0 + 0.5 * couple + 0.3 * kids
    per_unit = income / units
    smic = SMIC_NET_MONTHLY
    aah = (a["disabled"] & (per_unit < 1.2) & _bern(rng, 0.85, n)) * np.clip(
        1041.0 - 300.0 * income, 100.0, 1041.0
    )
    rsa_ok = (per_unit < 0.50) & ((age >= 25) | (kids > 0)) & (a["holder"] != _ACT["student"])
    rsa_ok &= _bern(rng, np.where(aah > 0, 0.05, 0.47), n)
    rsa = rsa_ok * np.clip(650.0 * units - 0.6 * income * smic, 20.0, 3000.0)
    pa_ok = (r["earned"] / units > 0.30) & (per_unit < 1.5) & (age >= 18) & _bern(rng, 0.70, n)
    pa_amount = np.clip(120.0 + 110.0 * units - 260.0 * np.abs(per_unit - 0.85), 15.0, 900.0)
    prime = pa_ok * pa_amount
    renter = _bern(rng, np.where(p["foreign"], 0.88, 0.72) + 0.1 * (age < 30), n)
    housing = (renter & (per_unit < 1.0) & _bern(rng, 0.70, n)) * np.clip(
        240.0 * np.sqrt(units) - 180.0 * per_unit, 20.0, 900.0
    )
    kids_u20 = kids - p["child_over_19"]
    af_base = np.select(
        [kids_u20 == 2, kids_u20 >= 3], [151.0, 345.0 + 194.0 * (kids_u20 - 3)], default=0.0
    )
    af = af_base * np.select([income > 6.0, income > 4.5], [0.25, 0.5], default=1.0)
    cf = ((kids_u20 >= 3) & (income < 1.8) & _bern(rng, 0.55, n)) * 186.0
    other = (_bern(rng, 0.35, n) & (p["household"] == 1) & (r["alimony"] == 0)) * 195.0 + (
        _bern(rng, 0.30, n) & (kids > 0) & (age < 40)
    ) * 190.0
    nothing = (aah + rsa + prime + housing + af + cf + other) == 0
    other = other + (nothing & _bern(rng, 0.8, n)) * rng.uniform(20.0, 120.0, n)
    means = {
        "aah": aah,
        "rsa": rsa,
        "prime": prime,
        "housing": housing,
        "af": af,
        "cf": cf,
        "other": other,
    }
    means = {k: np.round(v * _months_paid(rng, n), 2) for k, v in means.items()}
    means["total"] = np.round(np.sum(list(means.values()), axis=0), 2)
    return means


_STRATA = _levels("control_stratum")
#: Oversampling of each survey stratum relative to its population share (assumed: the survey
#: oversamples the files with quarterly declarations).
STRATUM_OVERSAMPLING = {
    "rsa": 2.0,
    "aah": 1.0,
    "prime_activite": 1.5,
    "housing": 1.0,
    "family": 0.8,
    "other": 0.5,
}


def _stratum(b: dict[str, np.ndarray]) -> np.ndarray:
    conds = [b["rsa"] > 0, b["aah"] > 0, b["prime"] > 0, b["housing"] > 0, (b["af"] + b["cf"]) > 0]
    return np.select(conds, [0, 1, 2, 3, 4], default=5).astype(np.int8)


def _address(
    rng: np.random.Generator, p: dict[str, np.ndarray], r: dict[str, np.ndarray], n: int
) -> dict[str, np.ndarray]:
    caf, foreign = p["caf"], p["foreign"]
    p_urban = np.clip(_URBAN[caf] + 0.15 * foreign, 0, 1)
    u = rng.random(n)
    density = np.where(u < p_urban, 0, np.where(u < p_urban + (1 - p_urban) * 0.55, 1, 2))
    p_qpv = np.select([density == 0, density == 1], [0.11, 0.04], default=0.0)
    p_qpv = p_qpv * (1 + 1.2 * foreign + 0.8 * (r["income"] < 1.0))
    qpv = _bern(rng, np.clip(p_qpv, 0, 0.9), n)
    k = (_COMMUNES_PER_CAF * rng.random(n) ** np.where(density == 0, 3.0, 1.0)).astype(np.int64)
    return {
        "density": density.astype(np.int8),
        "qpv": qpv,
        "place": caf.astype(np.int64) * _COMMUNES_PER_CAF + k,
    }


def _behaviour(
    rng: np.random.Generator, p: dict[str, np.ndarray], b: dict[str, np.ndarray], n: int
) -> dict[str, np.ndarray]:
    age, foreign = p["age"], p["foreign"]
    quarterly = (b["rsa"] > 0) | (b["prime"] > 0)
    web = rng.poisson(
        np.exp(1.8 + 0.6 * (age < 35) - 0.9 * (age > 65) + 0.5 * quarterly - 0.4 * foreign)
    )
    phone = rng.poisson(np.exp(0.3 + 0.3 * (age > 60) + 0.4 * foreign + 0.3 * (b["rsa"] > 0)))
    visits = rng.poisson(
        np.exp(
            -1.2
            + 0.8 * foreign
            + 0.5 * (b["rsa"] > 0)
            + 0.4 * (age > 65)
            - 0.04 * np.minimum(web, 20)
        )
    )
    docs = rng.poisson(np.exp(0.8 + 0.4 * quarterly + 0.3 * (age < 40) - 0.3 * foreign))
    return {"web": web, "phone": phone, "visits": visits, "docs": docs}


def _history(
    rng: np.random.Generator, logit: np.ndarray, months_on_file: np.ndarray, n: int
) -> dict[str, np.ndarray]:
    past = logit + 0.5 * rng.standard_normal(n)  # past risk follows present risk
    exposure = np.minimum(months_on_file, 24) / 24.0
    n_controls = rng.poisson(0.12 * np.exp(0.5 * (past + 3.0)) * exposure)
    older = (months_on_file > 24) & _bern(rng, 0.3, n)
    since = np.where(
        n_controls > 0,
        rng.integers(0, 24, n),
        np.where(older, 24 + (rng.random(n) * np.maximum(months_on_file - 24, 1)).astype(int), -1),
    )
    p_indu = np.clip(_sigmoid(past) + 0.1, 0, 1)
    hits = rng.binomial(n_controls, p_indu)
    indu = np.round(hits * np.exp(np.log(1100.0) + 0.8 * rng.standard_normal(n)), 2)
    rappel = np.round(
        rng.binomial(n_controls, 0.15) * np.exp(np.log(700.0) + 0.8 * rng.standard_normal(n)), 2
    )
    fraud = _bern(rng, 0.003 * np.exp(0.6 * (past + 3.0)), n)
    return {
        "n_controls": n_controls,
        "since": since,
        "past_indu": indu,
        "past_rappel": rappel,
        "fraud": fraud,
    }


def _labels(rng: np.random.Generator, target: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """What a check would find on each row (kept only for controlled rows)."""
    amount = np.round(600.0 + np.exp(np.log(700.0) + 0.8 * rng.standard_normal(n)), 2)
    months = rng.integers(6, 25, n)
    small = rng.random(n) < 0.25  # a small or short overpayment that misses the target
    short = rng.random(n) < 0.5
    small_amount = np.round(np.where(short, rng.uniform(20, 3000, n), rng.uniform(20, 599, n)), 2)
    small_months = np.where(short, rng.integers(1, 6, n), rng.integers(1, 25, n))
    indu_amount = np.where(target, amount, np.where(small, small_amount, 0.0))
    indu_months = np.where(target, months, np.where(small, small_months, 0))
    rappel = np.where(
        rng.random(n) < 0.2, np.round(np.exp(np.log(700.0) + 0.8 * rng.standard_normal(n)), 2), 0.0
    )
    return {"indu_amount": indu_amount, "indu_months": indu_months, "rappel": rappel}


# ---------------------------------------------------------------------------------------------
@dataclass
class _Chunk:
    """Every variable of one chunk, as numpy arrays."""

    people: dict[str, np.ndarray]
    activity: dict[str, np.ndarray]
    resources: dict[str, np.ndarray]
    benefits: dict[str, np.ndarray]
    stratum: np.ndarray


def _streams(seed: int, chunk: int) -> list[np.random.Generator]:
    """Independent random streams of one chunk: features, truth, behaviour, history, labels,
    survey key."""
    seq = np.random.SeedSequence(seed, spawn_key=(chunk,))
    return [np.random.default_rng(s) for s in seq.spawn(6)]


def _draw_core(rng: np.random.Generator, n: int) -> _Chunk:
    p = _people(rng, n)
    a = _activity(rng, p, n)
    r = _resources(rng, p, a, n)
    b = _benefits(rng, p, a, r, n)
    return _Chunk(p, a, r, b, _stratum(b))


def _chunk_sizes(n_rows: int) -> list[int]:
    full, last = divmod(n_rows, CHUNK_ROWS)
    return [CHUNK_ROWS] * full + ([last] if last else [])


def _take(levels: tuple[str, ...], codes: np.ndarray) -> Arr:
    return pc.take(pa.array(levels, pa.string()), pa.array(codes, pa.int32()))


def _masked(values: np.ndarray, keep: np.ndarray, typ: pa.DataType) -> Arr:
    return pa.array(values, typ, mask=~keep)


def _chunk_table(
    c: _Chunk,
    streams: list[np.random.Generator],
    *,
    first_id: int,
    controlled: np.ndarray,
    weights: np.ndarray,
    scenario: Scenario,
    with_truth: bool,
) -> pa.Table:
    n = c.stratum.shape[0]
    p, a, r, b = c.people, c.activity, c.resources, c.benefits
    rng_f, rng_truth, rng_beh, rng_hist, rng_lab, _ = streams
    addr = _address(rng_f, p, r, n)
    beh = _behaviour(rng_beh, p, b, n)
    month = np.asarray(rng_f.integers(0, len(SNAPSHOT_MONTHS), size=n))
    prefilled_from = SNAPSHOT_MONTHS.index(PREFILLED_FROM)
    cols: dict[str, Any] = {
        "dossier_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "caf_code": _take(CAF_CODES, p["caf"]),
        "snapshot_month": _take(SNAPSHOT_MONTHS, month),
        "income_reporting": _take(
            _levels("income_reporting"), (month >= prefilled_from).astype(np.int8)
        ),
        "control_stratum": _take(_STRATA, c.stratum),
        "household_type": _take(_levels("household_type"), p["household"]),
        "n_children": p["n_children"],
        "child_over_19": p["child_over_19"],
        "children_activity": _take(_levels("children_activity"), p["children_activity"]),
        "guardianship": r["guardianship"],
        "separation_12m": r["separation"],
        "income_to_smic": r["income"],
        "zero_income": r["income"] == 0,
        "income_volatility": pa.array(r["volatility"], pa.float64(), from_pandas=True),
        "activity_holder": _take(_levels("activity_holder"), a["holder"]),
        "activity_partner": _take(_levels("activity_partner"), a["partner"]),
        "alimony_24m": r["alimony"],
        "mean_total_12m": b["total"],
        "mean_af_12m": b["af"],
        "mean_cf_12m": b["cf"],
        "mean_prime_activite_12m": b["prime"],
        "mean_rsa_12m": b["rsa"],
        "mean_housing_aid_12m": b["housing"],
        "mean_aah_12m": b["aah"],
        "months_on_file": r["months_on_file"],
        "gender": _take(_levels("gender"), p["gender"]),
        "nationality_group": _take(_levels("nationality_group"), p["nationality"]),
        "age": p["age"],
        "commune_code": pc.take(_communes()[0], pa.array(addr["place"])),
        "postal_code": pc.take(_communes()[1], pa.array(addr["place"])),
        "priority_neighbourhood": addr["qpv"],
        "urban_rural": _take(_levels("urban_rural"), addr["density"]),
        "web_logins_12m": beh["web"],
        "phone_contacts_12m": beh["phone"],
        "office_visits_12m": beh["visits"],
        "online_documents_12m": beh["docs"],
    }
    view = {
        k: (v.to_numpy(zero_copy_only=False) if isinstance(v, pa.Array) else v)
        for k, v in cols.items()
    }
    logit = _truth_logit(truth_design(view), scenario)
    probability = _sigmoid(logit)
    truth_target = rng_truth.random(n) < probability
    h = _history(rng_hist, logit, r["months_on_file"], n)
    lab = _labels(rng_lab, truth_target, n)
    cols |= {
        "n_controls_24m": h["n_controls"],
        "months_since_last_control": _masked(h["since"], h["since"] >= 0, pa.int64()),
        "past_indu_24m": h["past_indu"],
        "past_rappel_24m": h["past_rappel"],
        "fraud_ever": h["fraud"],
        "controlled": controlled,
        "control_weight": _masked(weights, controlled, pa.float64()),
        "indu_amount": _masked(lab["indu_amount"], controlled, pa.float64()),
        "indu_months": _masked(lab["indu_months"], controlled, pa.int64()),
        "target": _masked(truth_target, controlled, pa.int8()),
        "rappel_amount": _masked(lab["rappel"], controlled, pa.float64()),
    }
    if with_truth:
        cols |= {"truth_probability": np.round(probability, 6), "truth_target": truth_target}
    schema = arrow_schema(list(cols))
    arrays = [
        v if isinstance(v, pa.Array) else pa.array(v).cast(schema.field(k).type)
        for k, v in cols.items()
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _allocate(strata_sizes: np.ndarray, controls: int) -> np.ndarray:
    """Files to draw per stratum: proportional to size times oversampling, largest remainder,
    never more than the stratum holds, summing exactly to ``controls``."""
    factor = np.array([STRATUM_OVERSAMPLING[s] for s in _STRATA])
    alloc = np.zeros(len(_STRATA), dtype=np.int64)
    open_ = strata_sizes > 0
    while (left := controls - alloc.sum()) > 0:
        weight = np.where(open_, strata_sizes * factor, 0.0)
        quota = left * weight / weight.sum()
        add = np.floor(quota).astype(np.int64)
        order = np.argsort(-(quota - add), kind="stable")
        add[order[: left - add.sum()]] += 1
        alloc = np.minimum(alloc + add, strata_sizes)
        open_ = alloc < strata_sizes
    return alloc


def _survey(
    n_rows: int, controls: int, seed: int, progress: Progress | None
) -> tuple[np.ndarray, np.ndarray]:
    """First pass: the stratified random-control draw. Returns (controlled, weight) per row."""
    strata = np.empty(n_rows, dtype=np.int8)
    keys = np.empty(n_rows, dtype=np.float64)
    start = 0
    for i, size in enumerate(_chunk_sizes(n_rows)):
        streams = _streams(seed, i)
        strata[start : start + size] = _draw_core(streams[0], size).stratum
        keys[start : start + size] = streams[5].random(size)
        start += size
        if progress:
            progress("survey draw", size)
    sizes = np.bincount(strata, minlength=len(_STRATA))
    alloc = _allocate(sizes, controls)
    controlled = np.zeros(n_rows, dtype=bool)
    weight = np.zeros(n_rows, dtype=np.float64)
    for s, k in enumerate(alloc):
        if k == 0:
            continue
        rows = np.flatnonzero(strata == s)
        chosen = rows[np.argsort(keys[rows], kind="stable")[:k]]
        controlled[chosen] = True
        weight[chosen] = round(sizes[s] / k, 6)
    return controlled, weight


def population_columns(*, with_truth: bool = False) -> tuple[str, ...]:
    """The columns of a generated population, in file order."""
    names = [c for c in CATALOG if CATALOG[c].family.value != "label" or c in _LABELS]
    if with_truth:
        names += ["truth_probability", "truth_target"]
    return tuple(names)


_LABELS = ("controlled", "control_weight", "indu_amount", "indu_months", "target", "rappel_amount")


def _check_args(n_rows: int, seed: int, controls: int, scenario: str) -> Scenario:
    if not isinstance(n_rows, int | np.integer) or n_rows < 1:
        raise DmdeError(f"rows must be a whole number of at least 1; got {n_rows!r}.")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise DmdeError(f"seed must be a whole number of at least 0; got {seed!r}.")
    if not isinstance(controls, int | np.integer) or not 0 <= controls <= n_rows:
        raise DmdeError(
            f"controls must be a whole number from 0 to the number of rows ({n_rows:,}); "
            f"got {controls!r}. Lower --controls or raise --rows."
        )
    if scenario not in SCENARIOS:
        raise DmdeError(f"unknown scenario {scenario!r}: expected one of {', '.join(SCENARIOS)}.")
    return SCENARIOS[scenario]


def generate_population(
    n_rows: int,
    *,
    seed: int = 0,
    controls: int = 7_500,
    scenario: str = "neutral",
    with_truth: bool = False,
    progress: Progress | None = None,
) -> Iterator[pa.Table]:
    """Generate a synthetic population as a stream of Arrow tables (one per chunk).

    Parameters
    ----------
    n_rows : int
        Households (one file each).
    seed : int
        Seed of every random draw; the same arguments give the same rows.
    controls : int
        Size of the stratified random-control sample (rows with ``controlled = 1`` and labels).
    scenario : str
        Name of a :data:`SCENARIOS` entry.
    with_truth : bool
        Also write ``truth_probability`` and ``truth_target`` for every row.
    progress : callable, optional
        Called as ``progress(stage, rows)`` after each chunk of each pass: the stage is
        ``"survey draw"`` (first pass) then ``"rows"`` (second pass).

    Yields
    ------
    pyarrow.Table
        Up to :data:`CHUNK_ROWS` rows with the columns of :func:`population_columns`.
    """
    spec = _check_args(n_rows, seed, controls, scenario)
    controlled, weight = _survey(n_rows, controls, seed, progress)
    start = 0
    for i, size in enumerate(_chunk_sizes(n_rows)):
        streams = _streams(seed, i)
        core = _draw_core(streams[0], size)
        rows = slice(start, start + size)
        yield _chunk_table(
            core,
            streams,
            first_id=start + 1,
            controlled=controlled[rows],
            weights=weight[rows],
            scenario=spec,
            with_truth=with_truth,
        )
        start += size
        if progress:
            progress("rows", size)


def synthesize(
    n_rows: int,
    *,
    seed: int = 0,
    controls: int = 7_500,
    scenario: str = "neutral",
    with_truth: bool = False,
) -> pd.DataFrame:
    """Generate a synthetic population in memory, as a DataFrame (for notebooks and tests).

    Examples
    --------
    >>> df = synthesize(2_000, seed=7, controls=200)
    >>> len(df), int(df["controlled"].sum())
    (2000, 200)
    """
    tables = list(
        generate_population(
            n_rows, seed=seed, controls=controls, scenario=scenario, with_truth=with_truth
        )
    )
    return pa.concat_tables(tables).to_pandas()


def write_population(
    path: str | PathLike[str],
    n_rows: int,
    *,
    seed: int = 0,
    controls: int = 7_500,
    scenario: str = "neutral",
    with_truth: bool = False,
    progress: Progress | None = None,
) -> int:
    """Generate a population and write it to CSV or Parquet (by extension), atomically.

    Returns the number of rows written. See :func:`generate_population` for the parameters.
    """
    spec = _check_args(n_rows, seed, controls, scenario)
    batches = generate_population(
        n_rows,
        seed=seed,
        controls=controls,
        scenario=spec.name,
        with_truth=with_truth,
        progress=progress,
    )
    return write_batches(
        path, batches, schema=arrow_schema(population_columns(with_truth=with_truth))
    )


# the label families the generator writes, checked once against the catalog
assert set(_LABELS) <= set(columns_of("label"))
