"""The households of the synthetic world: places, and the structural model that draws one
chunk of households in the order their situation arises (holder, family, activity, incomes,
benefits, address, behaviour, control history, labels).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pyarrow as pa

from dmde.data.catalog import CAF_CODES, column

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

__all__ = ["PREFILLED_FROM", "SMIC_NET_MONTHLY", "SNAPSHOT_MONTHS", "STRATUM_OVERSAMPLING"]

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
        "person_income": np.stack([inc_h, inc_p, inc_c]),
        "person_volatility": np.stack([vol_h, vol_p]),
        "volatility": volatility,
        "months_on_file": months_on_file,
        "separation": separation,
        "alimony": alimony,
        "guardianship": guardianship,
    }


def _months_paid(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.where(rng.random(n) < 0.82, 12, rng.integers(1, 12, n)) / 12.0


def _benefit_draws(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The uniform draws that decide take-up and the small benefits, in the order drawn."""
    names = ("aah", "rsa", "prime", "renter", "housing", "cf", "other_lone", "other_young")
    draws = {k: rng.random(n) for k in (*names, "nothing")}
    draws["nothing_amount"] = rng.uniform(20.0, 120.0, n)
    return draws


def _benefit_amounts(
    u: dict[str, np.ndarray],
    p: dict[str, np.ndarray],
    a: dict[str, np.ndarray],
    r: dict[str, np.ndarray],
    *,
    cf_children: int = 3,
) -> dict[str, np.ndarray]:
    """Monthly amounts of each benefit for the situation ``p, a, r`` and the draws ``u``
    (``cf_children``: children under 20 from which the complément familial is paid)."""
    income, age, kids = r["income"], p["age"], p["n_children"]
    couple = p["couple"]
    units = 1.0 + 0.5 * couple + 0.3 * kids
    per_unit = income / units
    smic = SMIC_NET_MONTHLY
    aah = (a["disabled"] & (per_unit < 1.2) & (u["aah"] < 0.85)) * np.clip(
        1041.0 - 300.0 * income, 100.0, 1041.0
    )
    rsa_ok = (per_unit < 0.50) & ((age >= 25) | (kids > 0)) & (a["holder"] != _ACT["student"])
    rsa_ok &= u["rsa"] < np.where(aah > 0, 0.05, 0.47)
    rsa = rsa_ok * np.clip(650.0 * units - 0.6 * income * smic, 20.0, 3000.0)
    pa_ok = (r["earned"] / units > 0.30) & (per_unit < 1.5) & (age >= 18) & (u["prime"] < 0.70)
    pa_amount = np.clip(120.0 + 110.0 * units - 260.0 * np.abs(per_unit - 0.85), 15.0, 900.0)
    prime = pa_ok * pa_amount
    renter = u["renter"] < np.where(p["foreign"], 0.88, 0.72) + 0.1 * (age < 30)
    housing = (renter & (per_unit < 1.0) & (u["housing"] < 0.70)) * np.clip(
        240.0 * np.sqrt(units) - 180.0 * per_unit, 20.0, 900.0
    )
    kids_u20 = kids - p["child_over_19"]
    af_base = np.select(
        [kids_u20 == 2, kids_u20 >= 3], [151.0, 345.0 + 194.0 * (kids_u20 - 3)], default=0.0
    )
    af = af_base * np.select([income > 6.0, income > 4.5], [0.25, 0.5], default=1.0)
    cf = ((kids_u20 >= cf_children) & (income < 1.8) & (u["cf"] < 0.55)) * 186.0
    other = ((u["other_lone"] < 0.35) & (p["household"] == 1) & (r["alimony"] == 0)) * 195.0 + (
        (u["other_young"] < 0.30) & (kids > 0) & (age < 40)
    ) * 190.0
    nothing = (aah + rsa + prime + housing + af + cf + other) == 0
    other = other + (nothing & (u["nothing"] < 0.8)) * u["nothing_amount"]
    return {
        "aah": aah,
        "rsa": rsa,
        "prime": prime,
        "housing": housing,
        "af": af,
        "cf": cf,
        "other": other,
    }


def _twelve_month_means(
    amounts: dict[str, np.ndarray], paid: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """12-month means of benefits paid ``amounts`` a month for a share ``paid`` of the year."""
    means = {k: np.round(v * paid[k], 2) for k, v in amounts.items()}
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


def _rappel_labels(rng: np.random.Generator, target: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """What a check would find underpaid on each row (kept only for controlled rows): a target
    underpayment of 300 EUR plus lognormal(log 650, 0.8) over 3 to 24 months; 15% of the others
    a small or short one that misses the target (assumed)."""
    amount = np.round(300.0 + np.exp(np.log(650.0) + 0.8 * rng.standard_normal(n)), 2)
    months = rng.integers(3, 25, n)
    small = rng.random(n) < 0.15
    short = rng.random(n) < 0.5
    small_amount = np.round(np.where(short, rng.uniform(20, 3000, n), rng.uniform(20, 299, n)), 2)
    small_months = np.where(short, rng.integers(1, 3, n), rng.integers(1, 25, n))
    return {
        "rappel_amount": np.where(target, amount, np.where(small, small_amount, 0.0)),
        "rappel_months": np.where(target, months, np.where(small, small_months, 0)),
    }


def _rappel_stream(seed: int, chunk: int) -> np.random.Generator:
    """The random stream of the underpayment truth and labels of one chunk: a seventh child of
    the chunk's seed sequence, so the six streams of :func:`_streams` (and every other column)
    are the same with or without it."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk, 6)))


# ---------------------------------------------------------------------------------------------
@dataclass
class _Chunk:
    """Every variable of one chunk, as numpy arrays."""

    people: dict[str, np.ndarray]
    activity: dict[str, np.ndarray]
    resources: dict[str, np.ndarray]
    benefits: dict[str, np.ndarray]
    stratum: np.ndarray
    #: The take-up draws, the monthly amounts and the share of the year paid (for the panel).
    benefit_draws: dict[str, np.ndarray]
    amounts: dict[str, np.ndarray]
    paid: dict[str, np.ndarray]


def _streams(seed: int, chunk: int) -> list[np.random.Generator]:
    """Independent random streams of one chunk: features, truth, behaviour, history, labels,
    survey key."""
    seq = np.random.SeedSequence(seed, spawn_key=(chunk,))
    return [np.random.default_rng(s) for s in seq.spawn(6)]


def _draw_core(rng: np.random.Generator, n: int) -> _Chunk:
    p = _people(rng, n)
    a = _activity(rng, p, n)
    r = _resources(rng, p, a, n)
    u = _benefit_draws(rng, n)
    amounts = _benefit_amounts(u, p, a, r)
    paid = {k: _months_paid(rng, n) for k in amounts}
    b = _twelve_month_means(amounts, paid)
    return _Chunk(p, a, r, b, _stratum(b), u, amounts, paid)
