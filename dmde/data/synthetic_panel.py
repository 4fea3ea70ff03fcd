"""A synthetic monthly panel: the same households, month after month.

The panel follows the households of the single snapshot (:mod:`dmde.data.synthetic`) over
``months`` months from ``start`` and writes, for each month, a snapshot with the columns of
:func:`~dmde.data.synthetic.population_columns`, ``snapshot_month`` being that month. Its
households are those that ``generate_population(n_rows, seed=seed)`` draws, with the same
structural model (:mod:`dmde.data.synthetic_households`), after :data:`WARMUP_MONTHS` (12)
months of the panel's own dynamics, so that the first month's 12-month means and control
history already come from them: the first month holds the snapshot's households still open
(with their ``dossier_id``) and the files opened during the warm-up (about ``n_rows`` in all).

What changes from one month to the next (monthly rates; all assumed, stated here and in
``docs/concepts/panel.md``):

Files
    Each open file closes with probability :data:`EXIT_RATE` (1%: moves, deaths, end of
    rights), :data:`EXIT_RATE_ELDERLY` (1.2%) when the holder is 70 or older; then
    ``Binomial(files open at the start of the month, ENTRY_RATE)`` new files open
    (:data:`ENTRY_RATE`, 1%), drawn from the same structural model and kept with a
    probability by the holder's age (1 under 25, 0.81 from 25 to 29, 0.47 in the thirties,
    0.40, 0.28 and 0.265 in the next decades, 0 from 70): entrants are younger than the stock
    (mean age about 35, 20% under 25), which keeps the stock's age mix steady under ageing
    and exits. New files get ``dossier_id`` numbers above every number given before,
    ``months_on_file = 0``, no control history, and 12-month benefit means that count the
    months before the file opened as zero. A closed file never comes back; a file keeps its
    ``dossier_id`` while open.
Time
    ``months_on_file`` grows by 1; the holder's ``age`` by 1 in the holder's birthday month
    (drawn once); the eldest child ages, and ``child_over_19`` turns on the month the eldest
    child turns 20 (when family allowances stop counting the child); ``separation_12m`` and
    ``alimony_24m`` turn off 12 and 24 months after the event; alimony is declared every
    month while it is paid (the snapshot's alimony goes on; it starts in 40% of separations
    with children and ends at 0.4% a month).
Life events
    A birth (0.45% a month for a couple whose holder is under 45, 0.1% for a single holder
    under 45) adds a child (a single holder becomes a lone parent, a couple without children
    one with); a separation (0.3% a month for a couple) removes the partner and the partner's
    income and sets ``separation_12m``; a union (0.5% a month for a lone parent aged 20 to
    59, 0.2% for a single holder without children) adds a partner with a drawn activity and
    income; the eldest child aged 20 or more leaves home with probability 2.2% a month (the
    next child, one to four years younger, becomes the eldest); a child turning 20 works with
    probability 0.55 (``children_activity = some_working``); a disability begins for 0.025%
    of holders aged 18 to 69 a month.
Work and income
    Holder and partner change activity each month: employed to unemployed 1.2%, to inactive
    0.3%; self-employed to unemployed 0.8%; unemployed to employed 3.5%, to self-employed
    0.5%; inactive to employed 0.6%; student aged 21 or more to employed 3%; anyone aged 62
    or more and not retired retires at 1.5%. A person who changes activity gets an income and
    a volatility drawn for the new activity, as in the snapshot; other incomes drift by a
    log-normal step of sd 0.02. A month's income is the persons' incomes times
    ``1 + volatility x N(0, 0.5)`` (at least 0) plus the children's; ``income_to_smic`` is
    the exact mean of the last 12 monthly incomes. ``income_volatility`` is computed from
    the persons' incomes and volatilities as in the snapshot.
Benefits
    Each month every benefit is computed by the snapshot's rules from the current situation
    (the persons' incomes without the month's noise, as a quarterly declaration would give
    them), with take-up draws fixed per household at entry (a household that qualifies keeps
    taking a benefit up, or not); ``mean_*_12m`` are exact means of the last 12 monthly
    amounts, so a change shows gradually. Before the warm-up, the 12-month history is the
    snapshot's: the monthly amount, paid in the last months of the snapshot's share of the
    year.
Behaviour, place, control history
    Each month one household in 12 redraws its 12-month counts of contacts from its current
    situation; address, Caf, guardianship and ``fraud_ever`` do not change. Checks enter the
    control history the month after they happen: the month's random controls (with what
    they found) and the other checks, drawn at the rate and with the findings the snapshot's
    history assumes (:func:`~dmde.data.synthetic_households._history`, per month, on the
    month's true risk). ``n_controls_24m``, ``past_indu_24m`` and ``past_rappel_24m`` count
    the last four checks of the file that are less than 24 months old;
    ``months_since_last_control`` counts full months since the last one.
The pre-filling reform
    Before :data:`~dmde.data.synthetic_households.PREFILLED_FROM` (March 2025) every file is
    ``declarative``, as in the snapshot. From that month a file is ``prefilled``, except where
    the holder or the partner is self-employed (their incomes are not in the payroll and
    pension data: they keep declaring) and in a share :data:`DECLARATIVE_SHARE` (5%) of
    households drawn once at entry (incomes from abroad and other cases the pre-filling does
    not reach; assumed). A file follows the rule month by month (a partner who becomes
    self-employed brings it back to declarative). The truth's ``quarterly_declarative`` term
    therefore leaves most RSA and prime d'activité files in March 2025, and the true risk
    falls.
The truth and the labels
    The truth is defined per month: ``truth_probability`` is the scenario's logistic function
    of :func:`~dmde.data.synthetic_truth.truth_design` on that month's columns, read as the
    probability that a check in that month, looking back up to 24 months, finds an
    overpayment of at least 600 EUR lasting at least 6 months. The month's columns already
    summarise the look-back (12-month means, events of the last 12 or 24 months); no other
    month is read, a simplification: a file whose situation changed within the window
    carries the probability of its current situation. Checks of a household in nearby months
    look at overlapping windows, so the outcome comes from one uniform draw per household,
    fixed at entry: ``truth_target = uniform < truth_probability``; it changes only when the
    probability crosses it. Each month a stratified random-control sample of ``controls``
    files is drawn with the snapshot's design
    (:data:`~dmde.data.synthetic.STRATUM_OVERSAMPLING`; weight = files of the stratum that
    month per file drawn); only its rows carry ``target`` (= ``truth_target``) and the
    amounts found, drawn as in the snapshot. A file may be drawn in several months.
Planted shifts
    ``shift`` plants a change from month ``shift_month`` (counted from 1, the first month of
    the panel) for monitoring to find; the months before it are identical to the panel
    without the shift (same seed). See :data:`SHIFTS`.

Each month is computed over all open files at once (memory grows with the households: about
1.4 GB at 500,000) and yielded in chunks of at most :data:`~dmde.data.synthetic.CHUNK_ROWS`
rows, in ``dossier_id`` order. Random draws come from streams derived from ``(seed, month)``
(the households' first draws from the snapshot's ``(seed, chunk)`` streams), so the same
arguments give the same panel.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pyarrow as pa

from dmde.core.errors import DmdeError
from dmde.core.files import FileSet
from dmde.data.datasets import EXTENSIONS, arrow_schema, write_batches
from dmde.data.synthetic import (
    CHUNK_ROWS,
    Progress,
    _check_args,
    _chunk_sizes,
    _draw_survey,
    _masked,
    _situation_columns,
    _table,
    default_controls,
    population_columns,
)
from dmde.data.synthetic_households import (
    _ACT,
    PREFILLED_FROM,
    _address,
    _behaviour,
    _benefit_amounts,
    _Chunk,
    _draw_core,
    _history,
    _labels,
    _levels,
    _person_income,
    _sigmoid,
    _stratum,
    _streams,
    _twelve_month_means,
)
from dmde.data.synthetic_truth import Scenario, _truth_logit, truth_design

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

__all__ = [
    "DECLARATIVE_SHARE",
    "ENTRY_RATE",
    "EXIT_RATE",
    "EXIT_RATE_ELDERLY",
    "SHIFTS",
    "WARMUP_MONTHS",
    "PanelShift",
    "default_month_controls",
    "generate_panel",
    "panel_files",
    "panel_months",
    "write_panel",
]

#: Probability that an open file closes in a month.
EXIT_RATE = 0.01
#: Probability that an open file whose holder is 70 or older closes in a month.
EXIT_RATE_ELDERLY = 0.012
#: New files in a month, as a share of the files open at its start (Binomial draw).
ENTRY_RATE = 0.01
#: Months simulated before the first month of the panel, so that its 12-month means and
#: control history come from the panel's own dynamics.
WARMUP_MONTHS = 12
#: Share of households that stay declarative after the pre-filling reform (drawn at entry).
DECLARATIVE_SHARE = 0.05


@dataclass(frozen=True)
class PanelShift:
    """A change planted in the panel from one month on, for monitoring to find.

    Attributes
    ----------
    name : str
        The value of ``shift``.
    description : str
        What changes, in words.
    columns : tuple of str
        The features whose distribution the shift moves (the first one directly; the others
        through it).
    group : tuple of (str, str) or None
        The group (column, level) whose situation the shift changes, if it targets one.
    """

    name: str
    description: str
    columns: tuple[str, ...]
    group: tuple[str, str] | None = None


#: The planted shifts, by name.
SHIFTS: Mapping[str, PanelShift] = {
    s.name: s
    for s in (
        PanelShift(
            "benefit_reform",
            "From the shift month, the complément familial is paid from the first child "
            "under 20 (not the third), under the same income ceiling and take-up: the share "
            "of files with mean_cf_12m above zero jumps from about 8% to 21% in that month, "
            "and their 12-month means climb over the next 12 months (mean_total_12m follows "
            "a little). The truth does not read it: a change of the population, not of risk.",
            ("mean_cf_12m", "mean_total_12m"),
        ),
        PanelShift(
            "group_drift",
            "In the shift month, 40% of the employed holders of non-EU nationality become "
            "self-employed (a move to platform work: delivery, ride-hailing), with the "
            "incomes and income volatility of self-employment, and keep declaring their "
            "incomes (the pre-filling does not reach them): the group's true risk and scores "
            "rise, and its share among the highest scores; the population's features move "
            "only a little.",
            ("activity_holder", "income_volatility"),
            ("nationality_group", "non_eu"),
        ),
    )
}

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
# arrays of the state with the households on axis 0 (rows copied whole when files close)
_ROWS_FIRST = frozenset(
    {
        "takeup",
        "income_buf",
        "benefit_buf",
        "benefit_sum",
        "check_month",
        "check_indu",
        "check_rappel",
    }
)
_CHECKS_KEPT = 4  # checks of a file kept in its control history (the most recent)
_NO_CHECK = -1_000_000  # the month of a check that never happened
_NONE = 10_000  # "months since" an event that never happened
_INCOME_UNITS = 100_000  # monthly incomes are kept in 1/100,000 of a Smic (exact sums)


def _cents(amount: np.ndarray) -> np.ndarray:
    return np.asarray(np.rint(np.asarray(amount) * 100), dtype=np.int32)


def _income_units(income: np.ndarray) -> np.ndarray:
    return np.asarray(np.rint(np.minimum(income, 20.0) * _INCOME_UNITS), dtype=np.int32)


_TAKEUP = (
    "aah",
    "rsa",
    "prime",
    "renter",
    "housing",
    "cf",
    "other_lone",
    "other_young",
    "nothing",
    "nothing_amount",
)
_BENEFITS = ("aah", "rsa", "prime", "housing", "af", "cf", "other")
_PARTNER_ACTIVITY = np.array([0.62, 0.07, 0.12, 0.13, 0.01, 0.0]) / 0.95
# Holder's age bands of new files (lower bounds) and the probability that a drawn household
# is kept: the snapshot's age mix, reweighted so that, with ageing and exits, the stock's mix
# stays steady (band shares of entrants = stock shares + (density leaving the band at its top
# - density entering at its bottom) / yearly exit rate; none aged 70 or more).
_ENTRY_AGES = ((0, 25, 30, 40, 50, 60, 70), (1.0, 0.81, 0.47, 0.40, 0.28, 0.265, 0.0))
_PANEL_KEY = 1_000_003  # first spawn key of the panel's monthly streams


def panel_months(start: str, months: int) -> tuple[str, ...]:
    """The ``months`` months from ``start`` (``YYYY-MM``).

    Examples
    --------
    >>> panel_months("2024-11", 4)
    ('2024-11', '2024-12', '2025-01', '2025-02')
    """
    match = _MONTH.match(start) if isinstance(start, str) else None
    if match is None:
        raise DmdeError(f"start must be a month written YYYY-MM (such as 2025-01); got {start!r}.")
    first = _month_index(start)
    return tuple(f"{(first + i) // 12:04d}-{(first + i) % 12 + 1:02d}" for i in range(months))


# ---------------------------------------------------------------------------------------------
# The state: one array per variable, households on the last axis.
State: TypeAlias = dict[str, np.ndarray]


def _keep(s: State, rows: np.ndarray) -> State:
    return {k: v[rows] if k in _ROWS_FIRST else v[..., rows] for k, v in s.items()}


def _select(s: State, rows: np.ndarray, fresh: State | None = None) -> State:
    """The households ``rows`` of ``s``, then those of ``fresh``: one copy of each array."""
    out: State = {}
    for k, v in s.items():
        axis = 0 if k in _ROWS_FIRST else v.ndim - 1
        n_kept = rows.shape[0]
        shape = list(v.shape)
        shape[axis] = n_kept + (0 if fresh is None else fresh[k].shape[axis])
        res = np.empty(shape, v.dtype)
        head: list[slice] = [slice(None)] * v.ndim
        head[axis] = slice(0, n_kept)
        np.take(v, rows, axis=axis, out=res[tuple(head)], mode="clip")
        if fresh is not None:
            head[axis] = slice(n_kept, None)
            res[tuple(head)] = fresh[k]
        out[k] = res
    return out


def _join(s: State, t: State) -> State:
    return {k: np.concatenate([v, t[k]], axis=0 if k in _ROWS_FIRST else -1) for k, v in s.items()}


def _households(
    core: _Chunk,
    rng_place: np.random.Generator,
    rng_beh: np.random.Generator,
    rng_own: np.random.Generator,
    *,
    new: bool,
) -> State:
    """The state of households drawn by the structural model (first month, or new files)."""
    p, a, r = core.people, core.activity, core.resources
    n = core.stratum.shape[0]
    addr = _address(rng_place, p, r, n)
    beh = _behaviour(rng_beh, p, core.benefits, n)
    with_children = (p["household"] == 1) | (p["household"] == 3)
    older = p["child_over_19"]
    young_max = np.clip(p["age"] - 16, 1, 20) * 12
    eldest = np.where(
        older, rng_own.integers(240, 312, n), (rng_own.random(n) * young_max).astype(np.int64)
    )
    benefit_buf = np.zeros((n, len(_BENEFITS), 12), dtype=np.int32)
    for k, name in enumerate(_BENEFITS):  # paid in the last months of the snapshot's share
        months_paid = np.rint(core.paid[name] * 12) * (not new)
        for ago in range(12):  # the month `ago` months back is in slot -ago mod 12
            paid = np.where(ago < months_paid, core.amounts[name], 0.0)
            benefit_buf[:, k, -ago % 12] = _cents(paid)
    since_sep = np.where(r["separation"], rng_own.integers(0, 12, n), _NONE)
    since_alim = np.where(r["alimony"], 0, _NONE)  # alimony received or paid goes on
    return {
        "caf": p["caf"],
        "foreign": p["foreign"],
        "nationality": p["nationality"],
        "gender": p["gender"],
        "age": p["age"].astype(np.int64),
        "birth_month": np.asarray(rng_own.integers(0, 12, n), dtype=np.int8),
        "household": p["household"].astype(np.int8),
        "n_children": p["n_children"].astype(np.int64),
        "eldest": np.where(with_children, eldest, -1).astype(np.int64),
        "child_over_19": older.astype(bool),
        "children_activity": p["children_activity"].astype(np.int8),
        "disabled": a["disabled"],
        "holder": a["holder"].astype(np.int8),
        "partner": a["partner"].astype(np.int8),
        "inc": r["person_income"],
        "vol": r["person_volatility"],
        "months_on_file": np.zeros(n, np.int64) if new else r["months_on_file"],
        "guardianship": r["guardianship"],
        "since_sep": since_sep.astype(np.int64),
        "since_alim": since_alim.astype(np.int64),
        "alimony_on": np.asarray(r["alimony"], dtype=bool).copy(),
        "density": addr["density"],
        "qpv": addr["qpv"],
        "place": addr["place"],
        "web": beh["web"],
        "phone": beh["phone"],
        "visits": beh["visits"],
        "docs": beh["docs"],
        "takeup": np.stack([core.benefit_draws[k] for k in _TAKEUP], axis=1).astype(np.float32),
        "declarative_u": np.asarray(rng_own.random(n)),
        "income_buf": np.repeat(_income_units(r["income"])[:, None], 12, axis=1),
        "income_sum": 12 * _income_units(r["income"]).astype(np.int64),
        "benefit_buf": benefit_buf,
        "benefit_sum": benefit_buf.sum(axis=2, dtype=np.int64),
        "check_month": np.full((n, _CHECKS_KEPT), _NO_CHECK, np.int32),
        "check_indu": np.zeros((n, _CHECKS_KEPT), np.float32),
        "check_rappel": np.zeros((n, _CHECKS_KEPT), np.float32),
        "fraud": np.zeros(n, bool),
    }


# ---------------------------------------------------------------------------------------------
# The situation as the snapshot's model reads it


def _people(s: State) -> dict[str, np.ndarray]:
    return {
        "caf": s["caf"],
        "foreign": s["foreign"],
        "nationality": s["nationality"],
        "age": s["age"],
        "household": s["household"],
        "couple": s["household"] >= 2,
        "gender": s["gender"],
        "n_children": s["n_children"],
        "child_over_19": s["child_over_19"],
        "children_activity": s["children_activity"],
    }


def _earning(act: np.ndarray) -> np.ndarray:
    return np.asarray((act == _ACT["employed"]) | (act == _ACT["self_employed"]))


def _current(s: State, *, cf_children: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """This month's benefit amounts (from the persons' incomes) and the resources."""
    p = _people(s)
    a = {"disabled": s["disabled"], "holder": s["holder"], "partner": s["partner"]}
    inc = s["inc"]
    r = {
        "income": np.minimum(inc.sum(axis=0), 20.0),
        "earned": _earning(s["holder"]) * inc[0] + _earning(s["partner"] - 1) * inc[1],
        "alimony": s["since_alim"] < 24,
    }
    u = dict(zip(_TAKEUP, s["takeup"].T, strict=True))
    return _benefit_amounts(u, p, a, r, cf_children=cf_children), a


def _chunk(s: State, a: dict[str, np.ndarray]) -> _Chunk:
    p = _people(s)
    inc, vol = s["inc"], s["vol"]
    total = inc.sum(axis=0)
    weighted = inc[0] * vol[0] + inc[1] * vol[1] + inc[2] * 0.3
    volatility = np.where(total > 0, weighted / np.maximum(total, 1e-9), 0.0)
    months_on_file = s["months_on_file"]
    income = np.round(np.minimum(s["income_sum"] / (12 * _INCOME_UNITS), 20.0), 3)
    r = {
        "income": income,
        "volatility": np.where(
            months_on_file < 6, np.nan, np.round(np.minimum(volatility, 5.0), 3)
        ),
        "months_on_file": months_on_file,
        "separation": s["since_sep"] < 12,
        "alimony": s["since_alim"] < 24,
        "guardianship": s["guardianship"],
    }
    means = s["benefit_sum"].T / 1200.0
    b = _twelve_month_means(
        dict(zip(_BENEFITS, means, strict=True)), dict.fromkeys(_BENEFITS, np.ones(1))
    )
    return _Chunk(p, a, r, b, _stratum(b), {}, {}, {})


def _reporting(s: State, month: str) -> np.ndarray:
    """0 declarative, 1 prefilled: the reform's rule (module docstring)."""
    if month < PREFILLED_FROM:
        return np.zeros(s["holder"].shape[0], np.int8)
    self_employed = (s["holder"] == _ACT["self_employed"]) | (
        s["partner"] - 1 == _ACT["self_employed"]
    )
    stays = self_employed | (s["declarative_u"] < DECLARATIVE_SHARE)
    return np.asarray(~stays, dtype=np.int8)


def _truth_view(cols: dict[str, Any], c: _Chunk, reporting: np.ndarray) -> dict[str, Any]:
    """The columns :func:`truth_design` reads, built from codes (not from Arrow text)."""

    def text(name: str, codes: np.ndarray) -> np.ndarray:
        return np.asarray(np.array(_levels(name), dtype=object)[codes])

    view = {k: v for k, v in cols.items() if not isinstance(v, pa.Array)}
    view |= {
        "income_reporting": text("income_reporting", reporting),
        "activity_holder": text("activity_holder", c.activity["holder"]),
        "activity_partner": text("activity_partner", c.activity["partner"]),
        "children_activity": text("children_activity", c.people["children_activity"]),
        "income_volatility": c.resources["volatility"],
    }
    return view


# ---------------------------------------------------------------------------------------------
# One month of life


def _age(s: State, calendar_month: int) -> None:
    s["months_on_file"] += 1
    s["age"] = np.minimum(s["age"] + (s["birth_month"] == calendar_month), 110)
    for k in ("since_sep", "since_alim"):
        s[k] = np.minimum(s[k] + 1, _NONE)
    s["eldest"] = np.where(s["eldest"] >= 0, s["eldest"] + 1, -1)


def _new_income(s: State, rng: np.random.Generator, person: int, rows: np.ndarray) -> None:
    act = s["holder"][rows] if person == 0 else s["partner"][rows] - 1
    income, volatility = _person_income(rng, act.astype(np.intp))
    s["inc"][person, rows] = income
    s["vol"][person, rows] = volatility


def _jobs(s: State, rng: np.random.Generator) -> None:
    """Activity changes of the holder (person 0) and the partner (person 1)."""
    act_ = _ACT
    for person, key in ((0, "holder"), (1, "partner")):
        act = s[key].astype(np.int64) - person  # partner codes are shifted by no_partner
        present = act >= 0
        u = rng.random(act.shape[0])
        new = act.copy()
        rules: tuple[tuple[np.ndarray, list[tuple[Any, str]]], ...] = (
            (act == act_["employed"], [(0.012, "unemployed"), (0.003, "inactive")]),
            (act == act_["self_employed"], [(0.008, "unemployed")]),
            (act == act_["unemployed"], [(0.035, "employed"), (0.005, "self_employed")]),
            (act == act_["inactive"], [(0.006, "employed")]),
            ((act == act_["student"]) & (s["age"] >= 21), [(0.03, "employed")]),
        )
        for where, moves in rules:
            low = np.zeros(act.shape[0])
            for rate, to in moves:
                hit = where & present & (u >= low) & (u < low + rate)
                new[hit] = act_[to]
                low = low + rate
        retire = (
            present
            & (s["age"] >= 62)
            & (act != act_["retired"])
            & (rng.random(act.shape[0]) < 0.015)
        )
        new[retire] = act_["retired"]
        changed = np.flatnonzero(present & (new != act))
        s[key] = (new + person).astype(np.int8)
        _new_income(s, rng, person, changed)


def _family(s: State, rng: np.random.Generator) -> None:
    """Births, separations, unions, a child turning 20, a grown child leaving home."""
    n = s["age"].shape[0]
    hh, age = s["household"], s["age"]
    couple = hh >= 2
    birth = rng.random(n) < np.where(age < 45, np.where(couple, 0.0045, 0.001), 0.0)
    birth &= s["n_children"] < 12
    first = birth & (s["n_children"] == 0)
    s["n_children"] = s["n_children"] + birth
    s["eldest"] = np.where(first, 0, s["eldest"])
    s["children_activity"] = np.where(first, 1, s["children_activity"]).astype(np.int8)
    hh = np.where(birth & (hh == 0), 1, np.where(birth & (hh == 2), 3, hh))

    separate = (hh >= 2) & (rng.random(n) < 0.003)
    alimony = separate & (hh == 3) & (rng.random(n) < 0.40)
    hh = np.where(separate, hh - 2, hh)
    s["partner"] = np.where(separate, 0, s["partner"]).astype(np.int8)
    s["inc"][1, separate] = 0.0
    s["since_sep"] = np.where(separate, 0, s["since_sep"])
    ends = s["alimony_on"] & (rng.random(n) < 0.004)
    s["alimony_on"] = (s["alimony_on"] & ~ends) | alimony
    s["since_alim"] = np.where(s["alimony_on"], 0, s["since_alim"])

    union_rate = np.where(hh == 1, 0.005, 0.002)
    union = (hh <= 1) & (age >= 20) & (age < 60) & ~separate & (rng.random(n) < union_rate)
    rows = np.flatnonzero(union)
    s["partner"][rows] = rng.choice(6, size=rows.shape[0], p=_PARTNER_ACTIVITY) + 1
    _new_income(s, rng, 1, rows)
    hh = np.where(union, hh + 2, hh)

    turns_20 = s["eldest"] == 240
    works = turns_20 & (rng.random(n) < 0.55)
    s["child_over_19"] = s["child_over_19"] | turns_20
    s["children_activity"] = np.where(works, 2, s["children_activity"]).astype(np.int8)
    child_income = np.exp(np.log(0.5) + 0.5 * rng.standard_normal(n))
    s["inc"][2] = np.where(works, child_income, s["inc"][2])

    leaves = s["child_over_19"] & (rng.random(n) < 0.022)
    gap = rng.integers(12, 49, n)
    s["n_children"] = s["n_children"] - leaves
    none_left = leaves & (s["n_children"] == 0)
    s["eldest"] = np.where(
        leaves, np.where(none_left, -1, np.clip(s["eldest"] - gap, 0, 239)), s["eldest"]
    )
    s["child_over_19"] = s["child_over_19"] & ~leaves
    s["children_activity"] = np.where(
        leaves, np.where(none_left, 0, 1), s["children_activity"]
    ).astype(np.int8)
    s["inc"][2] = np.where(leaves, 0.0, s["inc"][2])
    hh = np.where(none_left & (hh == 1), 0, np.where(none_left & (hh == 3), 2, hh))
    s["household"] = hh.astype(np.int8)


def _disability(s: State, rng: np.random.Generator) -> None:
    """A disability begins for 0.025% of holders aged 18 to 69 a month (the snapshot's rise of
    its prevalence with age, 0.28 points a year)."""
    age = s["age"]
    onset = (age >= 18) & (age < 70) & (rng.random(age.shape[0]) < 0.00025)
    s["disabled"] = s["disabled"] | onset


def _drift(s: State, rng: np.random.Generator) -> None:
    steps = np.exp(0.02 * rng.standard_normal(s["inc"].shape))
    s["inc"] = np.minimum(s["inc"] * steps, 15.0)


def _shock(s: State, rng: np.random.Generator) -> None:
    """The group_drift shift: 40% of the employed non-EU holders become self-employed."""
    non_eu = s["nationality"] == _levels("nationality_group").index("non_eu")
    employed = s["holder"] == _ACT["employed"]
    hit = np.flatnonzero(non_eu & employed & (rng.random(non_eu.shape[0]) < 0.40))
    s["holder"][hit] = _ACT["self_employed"]
    _new_income(s, rng, 0, hit)


def _behaviour_update(s: State, rng: np.random.Generator, b: dict[str, np.ndarray]) -> None:
    rows = np.flatnonzero(rng.random(s["age"].shape[0]) < 1 / 12)
    p = {"age": s["age"][rows], "foreign": s["foreign"][rows]}
    beh = _behaviour(rng, p, {k: b[k][rows] for k in ("rsa", "prime")}, rows.shape[0])
    for name, key in (("web", "web"), ("phone", "phone"), ("visits", "visits"), ("docs", "docs")):
        s[name][rows] = beh[key]


# ---------------------------------------------------------------------------------------------
def _check_panel(
    months: int, start: str, shift: str | None, shift_month: int
) -> tuple[tuple[str, ...], PanelShift | None]:
    if not isinstance(months, int | np.integer) or not 1 <= months <= 600:
        raise DmdeError(f"months must be a whole number from 1 to 600; got {months!r}.")
    names = panel_months(start, months)
    if shift is None:
        return names, None
    if shift not in SHIFTS:
        raise DmdeError(f"unknown shift {shift!r}: expected one of {', '.join(SHIFTS)}, or none.")
    if not isinstance(shift_month, int | np.integer) or not 2 <= shift_month <= months:
        raise DmdeError(
            f"shift_month must be a month of the panel after the first, from 2 to {months}; "
            f"got {shift_month!r}."
        )
    return names, SHIFTS[shift]


def default_month_controls(n_rows: int, controls: int | None) -> int:
    """``controls``, or the default monthly survey: the snapshot's yearly sample
    (:func:`~dmde.data.synthetic.default_controls`) spread over 12 months, at least 1.

    Examples
    --------
    >>> [default_month_controls(500_000, None), default_month_controls(1_200, None)]
    [625, 100]
    >>> default_month_controls(500_000, 40)
    40
    """
    if controls is not None:
        return controls
    return max(1, round(default_controls(n_rows, None) / 12))


def _month_streams(seed: int, index: int) -> list[np.random.Generator]:
    """Streams of one simulated month (warm-up months first): life events, new files,
    survey key, labels, and the month's other checks and contacts."""
    seq = np.random.SeedSequence(seed, spawn_key=(_PANEL_KEY, index))
    return [np.random.default_rng(x) for x in seq.spawn(5)]


def _first_month(n_rows: int, seed: int) -> tuple[State, list[np.random.Generator]]:
    """The snapshot's households, and the streams of their control-history draws."""
    parts, truth_u, history_streams = [], [], []
    for i, size in enumerate(_chunk_sizes(n_rows)):
        streams = _streams(seed, i)
        core = _draw_core(streams[0], size)
        parts.append(_households(core, streams[0], streams[2], streams[4], new=False))
        truth_u.append(streams[1].random(size))
        history_streams.append(streams[3])
    state = parts[0]
    for part in parts[1:]:
        state = _join(state, part)
    state["ids"] = np.arange(1, n_rows + 1, dtype=np.int64)
    state["truth_u"] = np.concatenate(truth_u)
    return state, history_streams


def _entrants(rng: np.random.Generator, n_new: int, first_id: int) -> State:
    """New files: households of the structural model, kept with a probability by the holder's
    age (:data:`_ENTRY_AGES`) so that entrants are younger than the files on stock."""
    kept: list[State] = []
    left = n_new
    while left > 0:
        draw = 3 * left + 16
        fresh = _households(_draw_core(rng, draw), rng, rng, rng, new=True)
        fresh["truth_u"] = rng.random(draw)
        band = np.searchsorted(_ENTRY_AGES[0], fresh["age"], side="right") - 1
        accept = rng.random(draw) < np.asarray(_ENTRY_AGES[1])[band]
        rows = np.flatnonzero(accept)[:left]
        kept.append(_keep(fresh, rows))
        left -= rows.shape[0]
    state = kept[0]
    for part in kept[1:]:
        state = _join(state, part)
    state["ids"] = np.arange(first_id, first_id + n_new, dtype=np.int64)
    return state


def _step(
    s: State, rng: np.random.Generator, rng_new: np.random.Generator, month: str, next_id: int
) -> tuple[State, int]:
    """One month of life: files close, the rest age and live their events, files open."""
    n_start = s["ids"].shape[0]
    exit_rate = np.where(s["age"] >= 70, EXIT_RATE_ELDERLY, EXIT_RATE)
    stay = np.flatnonzero(rng.random(n_start) >= exit_rate)
    _age(s, int(month[5:]) - 1)  # the closing files live the month too: one copy, at the end
    _jobs(s, rng)
    _family(s, rng)
    _disability(s, rng)
    _drift(s, rng)
    n_new = int(rng_new.binomial(n_start, ENTRY_RATE))
    fresh = _entrants(rng_new, n_new, next_id) if n_new else None
    return _select(s, stay, fresh), next_id + n_new


def _push(s: State, slot: int, income: np.ndarray, benefits: np.ndarray) -> None:
    """This month's income and benefits replace those of 12 months ago in the 12-month sums."""
    s["income_sum"] += income - s["income_buf"][:, slot]
    s["income_buf"][:, slot] = income
    s["benefit_sum"] += benefits - s["benefit_buf"][:, :, slot]
    s["benefit_buf"][:, :, slot] = benefits


def _checks(s: State, rng: np.random.Generator, logit: np.ndarray, index: int) -> None:
    """The month's other checks (targeted and routine), at the rate the snapshot's control
    history assumes (:func:`~dmde.data.synthetic_households._history`): they enter the
    control history, not the labels."""
    n = logit.shape[0]
    past = logit + 0.5 * rng.standard_normal(n)
    checked = np.flatnonzero(rng.random(n) < 0.12 * np.exp(0.5 * (past + 3.0)) / 24)
    p_indu = np.clip(_sigmoid(past[checked]) + 0.1, 0, 1)
    k = checked.shape[0]
    indu = (rng.random(k) < p_indu) * np.exp(np.log(1100.0) + 0.8 * rng.standard_normal(k))
    rappel = (rng.random(k) < 0.15) * np.exp(np.log(700.0) + 0.8 * rng.standard_normal(k))
    _record(s, checked, index, indu, rappel)


def _record(s: State, rows: np.ndarray, index: int, indu: np.ndarray, rappel: np.ndarray) -> None:
    """Checks of month ``index`` enter the control history (seen from the next month): the
    last :data:`_CHECKS_KEPT` checks of a file are kept."""
    for key, value in (("check_month", index), ("check_indu", indu), ("check_rappel", rappel)):
        kept = s[key][rows]
        s[key][rows] = np.concatenate([kept[:, 1:], np.broadcast_to(value, rows.shape)[:, None]], 1)


def _history_columns(s: State, index: int) -> dict[str, Any]:
    """The control history seen in month ``index``: checks of earlier months."""
    since_all = index - 1 - s["check_month"].astype(np.int64)  # full months since each check
    within = since_all < 24
    since = since_all[:, -1]
    return {
        "n_controls_24m": within.sum(axis=1),
        "months_since_last_control": _masked(
            since, s["check_month"][:, -1] > _NO_CHECK, pa.int64()
        ),
        "past_indu_24m": np.round(
            np.minimum((s["check_indu"] * within).sum(axis=1, dtype=np.float64), 200_000), 2
        ),
        "past_rappel_24m": np.round(
            np.minimum((s["check_rappel"] * within).sum(axis=1, dtype=np.float64), 200_000), 2
        ),
        "fraud_ever": s["fraud"],
    }


def generate_panel(
    n_rows: int,
    *,
    months: int = 24,
    start: str = "2025-01",
    seed: int = 0,
    controls: int | None = None,
    scenario: str = "neutral",
    shift: str | None = None,
    shift_month: int = 13,
    with_truth: bool = False,
    progress: Progress | None = None,
) -> Iterator[tuple[str, pa.Table]]:
    """Generate a monthly panel as a stream of ``(month, table)`` chunks, month after month.

    Parameters
    ----------
    n_rows : int
        Households drawn from the snapshot's model before the warm-up; the first month holds
        about as many (those still open and the files opened during the warm-up), later
        months differ by entries and exits.
    months : int
        Months of the panel (1 to 600).
    start : str
        First month, ``YYYY-MM``.
    seed : int
        Seed of every random draw; the same arguments give the same rows.
    controls : int, optional
        Random controls drawn each month (rows with ``controlled = 1`` and labels); default
        the snapshot's yearly survey spread over 12 months: 625 a month (7,500 / 12), or a
        twelfth of a population smaller than 7,500 (at least 1). Capped each month at the
        files open.
    scenario : str
        Name of a :data:`~dmde.data.synthetic.SCENARIOS` entry: the truth's coefficients.
    shift : str, optional
        Name of a :data:`SHIFTS` entry planted from ``shift_month``, or None.
    shift_month : int
        Month of the shift, counted from 1 (the first month of the panel); from 2 to
        ``months``.
    with_truth : bool
        Also write ``truth_probability`` and ``truth_target`` for every row.
    progress : callable, optional
        Called as ``progress("months", rows)`` once a month's rows have all been taken, with
        that month's number of rows (a progress bar's total: about ``n_rows * months``).

    Yields
    ------
    tuple of (str, pyarrow.Table)
        The month (``YYYY-MM``) and up to :data:`~dmde.data.synthetic.CHUNK_ROWS` of its rows,
        with the columns of :func:`~dmde.data.synthetic.population_columns`.

    Examples
    --------
    >>> chunks = list(generate_panel(1_000, months=3, seed=1, controls=20))
    >>> [(month, table.num_rows) for month, table in chunks]
    [('2025-01', 988), ('2025-02', 983), ('2025-03', 989)]
    """
    spec = _check_args(n_rows, seed, 0, scenario)
    per_month = default_month_controls(n_rows, controls)
    if not isinstance(per_month, int | np.integer) or not 0 <= per_month <= n_rows:
        raise DmdeError(
            f"controls must be a whole number from 0 to the number of rows ({n_rows:,}); "
            f"got {per_month!r}. Lower --controls or raise --rows."
        )
    names, planted = _check_panel(months, start, shift, shift_month)
    return _panel(n_rows, names, seed, per_month, spec, planted, shift_month, with_truth, progress)


def _panel(
    n_rows: int,
    names: tuple[str, ...],
    seed: int,
    controls: int,
    spec: Scenario,
    planted: PanelShift | None,
    shift_month: int,
    with_truth: bool,
    progress: Progress | None,
) -> Iterator[tuple[str, pa.Table]]:
    s, history_streams = _first_month(n_rows, seed)
    next_id = n_rows + 1
    warm = _shift_month(names[0], -WARMUP_MONTHS)
    simulated = panel_months(warm, WARMUP_MONTHS + len(names))
    for index, month in enumerate(simulated):
        t = index - WARMUP_MONTHS + 1  # month of the panel, from 1; warm-up months <= 0
        rng, rng_new, rng_key, rng_lab, rng_after = _month_streams(seed, index)
        if index > 0:
            s, next_id = _step(s, rng, rng_new, month, next_id)
        if planted is not None and planted.name == "group_drift" and t == shift_month:
            _shock(s, rng)
        reform = planted is not None and planted.name == "benefit_reform" and t >= shift_month
        amounts, activity = _current(s, cf_children=1 if reform else 3)
        if index > 0:
            slot = index % 12
            noise = 1.0 + s["vol"] * 0.5 * rng.standard_normal(s["vol"].shape)
            monthly = (s["inc"][:2] * np.maximum(noise, 0.0)).sum(axis=0) + s["inc"][2]
            _push(
                s,
                slot,
                _income_units(monthly),
                np.stack([_cents(amounts[k]) for k in _BENEFITS], 1),
            )
        c = _chunk(s, activity)
        reporting = _reporting(s, month)
        cols = _situation_columns(
            c,
            {"density": s["density"], "qpv": s["qpv"], "place": s["place"]},
            {"web": s["web"], "phone": s["phone"], "visits": s["visits"], "docs": s["docs"]},
            ids=s["ids"],
            months=pa.repeat(pa.scalar(month), s["ids"].shape[0]),
            reporting=reporting,
        )
        logit = _truth_logit(truth_design(_truth_view(cols, c, reporting)), spec)
        if index == 0:
            _first_history(s, logit, history_streams)
        if t >= 1:
            yield from _month_tables(
                s, c, cols, logit, month, index, rng_key, rng_lab, controls, with_truth
            )
            if progress:
                progress("months", int(s["ids"].shape[0]))
        _checks(s, rng_after, logit, index)
        _behaviour_update(s, rng_after, c.benefits)


def _shift_month(month: str, by: int) -> str:
    first = int(month[:4]) * 12 + int(month[5:]) - 1 + by
    return f"{first // 12:04d}-{first % 12 + 1:02d}"


def _first_history(s: State, logit: np.ndarray, streams: list[np.random.Generator]) -> None:
    """The snapshot households' control history, as the snapshot draws it: the last check
    ``months_since_last_control`` months before the first simulated month, the others (up to
    :data:`_CHECKS_KEPT`) at uniform months of the 24, the amounts shared equally."""
    start = 0
    for rng_hist, size in zip(streams, _chunk_sizes(logit.shape[0]), strict=True):
        rows = np.arange(start, start + size)
        h = _history(rng_hist, logit[rows], s["months_on_file"][rows], size)
        count = np.minimum(h["n_controls"], _CHECKS_KEPT)
        last = -1 - h["since"]  # the month index of the last check
        share = np.maximum(count, 1)
        for slot in range(_CHECKS_KEPT):
            back = _CHECKS_KEPT - 1 - slot  # 0 = the most recent
            earlier = -1 - rng_hist.integers(np.clip(h["since"], 0, 23), 24)
            on = back < count
            month = np.where(back == 0, last, np.minimum(earlier, last))
            seen = on | ((back == 0) & (h["since"] >= 0))
            s["check_month"][rows, slot] = np.where(seen, month, _NO_CHECK)
            s["check_indu"][rows, slot] = np.where(on, h["past_indu"] / share, 0.0)
            s["check_rappel"][rows, slot] = np.where(on, h["past_rappel"] / share, 0.0)
        s["fraud"][rows] = h["fraud"]
        start += size


def _month_tables(
    s: State,
    c: _Chunk,
    cols: dict[str, Any],
    logit: np.ndarray,
    month: str,
    index: int,
    rng_key: np.random.Generator,
    rng_lab: np.random.Generator,
    controls: int,
    with_truth: bool,
) -> Iterator[tuple[str, pa.Table]]:
    """The month's random controls and labels, its table in chunks; the controls then enter
    the control history."""
    n = s["ids"].shape[0]
    probability = _sigmoid(logit)
    truth_target = s["truth_u"] < probability
    controlled, weight = _draw_survey(c.stratum, np.asarray(rng_key.random(n)), min(controls, n))
    rows = np.flatnonzero(controlled)
    found = _labels(rng_lab, truth_target[rows], rows.shape[0])
    lab = {k: np.zeros(n, dtype=v.dtype) for k, v in found.items()}
    for k, v in found.items():
        lab[k][rows] = v
    cols = (
        cols
        | _history_columns(s, index)
        | {
            "controlled": controlled,
            "control_weight": _masked(weight, controlled, pa.float64()),
            "indu_amount": _masked(lab["indu_amount"], controlled, pa.float64()),
            "indu_months": _masked(lab["indu_months"], controlled, pa.int64()),
            "target": _masked(truth_target, controlled, pa.int8()),
            "rappel_amount": _masked(lab["rappel"], controlled, pa.float64()),
        }
    )
    if with_truth:
        cols |= {"truth_probability": np.round(probability, 6), "truth_target": truth_target}
    # the table owns its values: the state's arrays change in place in later months
    table = _table({k: v.copy() if isinstance(v, np.ndarray) else v for k, v in cols.items()})
    _record(s, rows, index, found["indu_amount"], found["rappel"])
    for first in range(0, n, CHUNK_ROWS):
        yield month, table.slice(first, CHUNK_ROWS)


# ---------------------------------------------------------------------------------------------
def _month_path(path: Path, month: str, extension: str) -> Path:
    return path / f"snapshot_month={month}" / f"part-0.{extension}"


def panel_files(path: str | PathLike[str]) -> list[tuple[str, Path]]:
    """The month files of a panel written by :func:`write_panel`, as ``(month, path)`` in
    month order.

    Raises
    ------
    DmdeError
        If ``path`` holds no ``snapshot_month=YYYY-MM/part-0.parquet`` (or ``.csv``) file.
    """
    root = Path(path)
    found = sorted(
        (d.name.split("=", 1)[1], f)
        for d in (root.iterdir() if root.is_dir() else ())
        if d.is_dir() and d.name.startswith("snapshot_month=")
        for f in sorted(d.glob("part-0.*"))
        if f.suffix in (".parquet", ".csv")
    )
    if not found:
        raise DmdeError(
            f"{os.fspath(path)!r} holds no panel: expected folders snapshot_month=YYYY-MM "
            "with a part-0.parquet or part-0.csv file, as dmde synth --months writes."
        )
    wrong = [f for month, f in found if not _MONTH.match(month)]
    if wrong:
        raise DmdeError(
            f"{os.fspath(wrong[0].parent)!r} is not a month of the panel: its folder must be "
            "named snapshot_month=YYYY-MM (such as snapshot_month=2025-01); rename or remove it."
        )
    first, last = found[0][0], found[-1][0]
    expected = panel_months(first, _month_index(last) - _month_index(first) + 1)
    missing = sorted(set(expected) - {month for month, _ in found})
    if missing:
        shown = ", ".join(missing[:6]) + (
            f" and {len(missing) - 6} more" if len(missing) > 6 else ""
        )
        raise DmdeError(
            f"the panel {os.fspath(path)!r} has no file for {shown} (between {first} and "
            f"{last}): a month file is missing; add it, or give the months on either "
            "side of the gap as two panels."
        )
    return found


def _month_index(month: str) -> int:
    """Months since year 0 of a checked ``YYYY-MM``: consecutive months differ by 1."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def write_panel(
    path: str | PathLike[str],
    n_rows: int,
    *,
    months: int = 24,
    start: str = "2025-01",
    seed: int = 0,
    controls: int | None = None,
    scenario: str = "neutral",
    shift: str | None = None,
    shift_month: int = 13,
    with_truth: bool = False,
    file_format: str = "parquet",
    progress: Progress | None = None,
) -> dict[str, int]:
    """Generate a panel and write one file per month, hive-partitioned by ``snapshot_month``.

    The files are ``path/snapshot_month=YYYY-MM/part-0.parquet`` (or ``.csv``), each a
    snapshot with the columns of :func:`~dmde.data.synthetic.population_columns` (its own
    ``snapshot_month`` column included, so that every month file validates on its own). They
    are written in a new or empty folder, all at once: the months land together when the last
    is complete, and an error or an interruption leaves none. See :func:`generate_panel` for
    the other parameters.

    Parameters
    ----------
    file_format : {"parquet", "csv"}
        Format of the month files.

    Returns
    -------
    dict
        Rows written, by month.

    Raises
    ------
    DmdeError
        If an argument is out of its range (before anything is written), ``path`` names a
        file, or the folder holds files already.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     rows = write_panel(tmp, 500, months=2, seed=3, controls=10)
    ...     names = [f"{p.parent.name}/{p.name}" for _, p in panel_files(tmp)]
    >>> rows
    {'2025-01': 517, '2025-02': 519}
    >>> names
    ['snapshot_month=2025-01/part-0.parquet', 'snapshot_month=2025-02/part-0.parquet']
    """
    if file_format not in ("parquet", "csv"):
        raise DmdeError(f"file_format must be 'parquet' or 'csv'; got {file_format!r}.")
    chunks = generate_panel(
        n_rows,
        months=months,
        start=start,
        seed=seed,
        controls=controls,
        scenario=scenario,
        shift=shift,
        shift_month=shift_month,
        with_truth=with_truth,
        progress=progress,
    )
    root = Path(path)
    _check_folder(root)
    schema = arrow_schema(population_columns(with_truth=with_truth))
    written: dict[str, int] = {}
    with FileSet() as files:  # every month lands at the end, or none
        for month, group in groupby(chunks, key=lambda item: item[0]):
            target = _month_path(root, month, file_format)
            tables = (table for _, table in group)
            written[month] = write_batches(target, tables, schema=schema, files=files)
        files.land()
    return written


def _check_folder(root: Path) -> None:
    """The panel goes to a new or empty folder (empty folders inside, such as those an
    interrupted run leaves, and stale temporaries do not count)."""
    if root.suffix.lower() in EXTENSIONS:
        raise DmdeError(
            f"the panel is written to a folder, one file per month; got {str(root)!r}, a file "
            "name. Give a folder, such as panel/."
        )
    if root.exists() and not root.is_dir():
        raise DmdeError(f"cannot write the panel into {str(root)!r}: it is a file. Give a folder.")
    held = [
        p
        for p in (root.rglob("*") if root.is_dir() else ())
        if p.is_file() and not (p.name.startswith(".") and p.name.endswith(".tmp"))
    ]
    if held:
        raise DmdeError(
            f"cannot write the panel into {str(root)!r}: the folder holds files already (such "
            f"as {str(held[0].relative_to(root))!r}), which would mix with the panel's months. "
            "Give a new folder, or empty this one."
        )
