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

The truth of **underpayments** (rappels: the household is paid too little) is a second
logistic function, of the terms of :func:`rappel_design` (a benefit that looks due but is not
claimed, a drop in income or a family change not yet declared) with the coefficients of
:data:`RAPPEL_TRUTH`; it is drawn from a stream of its own, so that the other columns are the
same as without it, and ``rappel_target`` (an underpayment of at least
:data:`RAPPEL_MIN_AMOUNT` EUR lasting at least :data:`RAPPEL_MIN_MONTHS` months) is observed,
like ``target``, on the random-control sample only.

A stratified random-control survey (``controls`` files, oversampling RSA and prime d'activité
files) carries the observed labels; other rows have them missing.

Generation streams in chunks of :data:`CHUNK_ROWS` rows, each with its own random streams derived
from ``(seed, chunk index)``, so memory stays bounded at any size and the same arguments give the
same rows. The survey draw needs the strata of the whole population, so the chunks are drawn
twice: once for the strata and once for the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from os import PathLike
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dmde.core.errors import DmdeError
from dmde.data.catalog import CAF_CODES, CATALOG, columns_of
from dmde.data.datasets import arrow_schema, write_batches
from dmde.data.synthetic_households import (
    _STRATA,
    PREFILLED_FROM,
    SMIC_NET_MONTHLY,
    SNAPSHOT_MONTHS,
    STRATUM_OVERSAMPLING,
    _address,
    _behaviour,
    _Chunk,
    _communes,
    _draw_core,
    _history,
    _labels,
    _levels,
    _rappel_labels,
    _rappel_stream,
    _sigmoid,
    _streams,
)
from dmde.data.synthetic_truth import (
    RAPPEL_MIN_AMOUNT,
    RAPPEL_MIN_MONTHS,
    RAPPEL_TERMS,
    RAPPEL_TRUTH,
    SCENARIOS,
    TRUTH_TERMS,
    Scenario,
    _truth_logit,
    rappel_design,
    truth_design,
)

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

#: A progress callback: ``progress(stage, rows_done_in_this_call)``.
Progress: TypeAlias = Callable[[str, int], None]

__all__ = [
    "CHUNK_ROWS",
    "CONTROLS",
    "RAPPEL_MIN_AMOUNT",
    "RAPPEL_MIN_MONTHS",
    "RAPPEL_TERMS",
    "RAPPEL_TRUTH",
    "SCENARIOS",
    "SMIC_NET_MONTHLY",
    "TRUTH_TERMS",
    "Progress",
    "Scenario",
    "default_controls",
    "generate_population",
    "population_columns",
    "rappel_design",
    "synthesize",
    "truth_design",
    "write_population",
]

#: Rows per generated chunk (fixed: the output depends on it).
CHUNK_ROWS = 250_000


def _chunk_sizes(n_rows: int) -> list[int]:
    full, last = divmod(n_rows, CHUNK_ROWS)
    return [CHUNK_ROWS] * full + ([last] if last else [])


def _take(levels: tuple[str, ...], codes: np.ndarray) -> Arr:
    return pc.take(pa.array(levels, pa.string()), pa.array(codes, pa.int32()))


def _masked(values: np.ndarray, keep: np.ndarray, typ: pa.DataType) -> Arr:
    return pa.array(values, typ, mask=~keep)


def _situation_columns(
    c: _Chunk,
    addr: dict[str, np.ndarray],
    beh: dict[str, np.ndarray],
    *,
    ids: np.ndarray,
    months: Arr,
    reporting: np.ndarray,
) -> dict[str, Any]:
    """The columns of a household's situation, ``dossier_id`` to ``online_documents_12m``
    (numpy arrays, or Arrow arrays for the text columns)."""
    p, a, r, b = c.people, c.activity, c.resources, c.benefits
    return {
        "dossier_id": ids,
        "caf_code": _take(CAF_CODES, p["caf"]),
        "snapshot_month": months,
        "income_reporting": _take(_levels("income_reporting"), reporting),
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


def _table(cols: dict[str, Any]) -> pa.Table:
    """The columns as a table of the catalog's types, in the order given."""
    schema = arrow_schema(list(cols))
    arrays = [
        v if isinstance(v, pa.Array) else pa.array(v).cast(schema.field(k).type)
        for k, v in cols.items()
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _chunk_table(
    c: _Chunk,
    streams: list[np.random.Generator],
    *,
    first_id: int,
    controlled: np.ndarray,
    weights: np.ndarray,
    scenario: Scenario,
    with_truth: bool,
    rng_rappel: np.random.Generator,
) -> pa.Table:
    n = c.stratum.shape[0]
    p, r, b = c.people, c.resources, c.benefits
    rng_f, rng_truth, rng_beh, rng_hist, rng_lab, _ = streams
    addr = _address(rng_f, p, r, n)
    beh = _behaviour(rng_beh, p, b, n)
    month = np.asarray(rng_f.integers(0, len(SNAPSHOT_MONTHS), size=n))
    prefilled_from = SNAPSHOT_MONTHS.index(PREFILLED_FROM)
    cols = _situation_columns(
        c,
        addr,
        beh,
        ids=np.arange(first_id, first_id + n, dtype=np.int64),
        months=_take(SNAPSHOT_MONTHS, month),
        reporting=(month >= prefilled_from).astype(np.int8),
    )
    view = {
        k: (v.to_numpy(zero_copy_only=False) if isinstance(v, pa.Array) else v)
        for k, v in cols.items()
    }
    logit = _truth_logit(truth_design(view), scenario)
    probability = _sigmoid(logit)
    truth_target = rng_truth.random(n) < probability
    h = _history(rng_hist, logit, r["months_on_file"], n)
    lab = _labels(rng_lab, truth_target, n)  # its rappel draws, the last, are unused
    # underpayments: their own stream, so every column above is the same with or without them
    rappel_probability = _sigmoid(_truth_logit(rappel_design(view), RAPPEL_TRUTH))
    truth_rappel = rng_rappel.random(n) < rappel_probability
    found = _rappel_labels(rng_rappel, truth_rappel, n)
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
        "rappel_amount": _masked(found["rappel_amount"], controlled, pa.float64()),
        "rappel_months": _masked(found["rappel_months"], controlled, pa.int64()),
        "rappel_target": _masked(truth_rappel, controlled, pa.int8()),
    }
    if with_truth:
        cols |= {
            "truth_probability": np.round(probability, 6),
            "truth_target": truth_target,
            "truth_rappel_probability": np.round(rappel_probability, 6),
            "truth_rappel_target": truth_rappel,
        }
    return _table(cols)


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
    return _draw_survey(strata, keys, controls)


def _draw_survey(
    strata: np.ndarray, keys: np.ndarray, controls: int
) -> tuple[np.ndarray, np.ndarray]:
    """The stratified draw: in each stratum, its allocation of the rows with the smallest
    ``keys`` (uniform draws). Returns (controlled, weight) per row."""
    n_rows = strata.shape[0]
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


def population_columns(*, with_truth: bool = False, underpayments: bool = False) -> tuple[str, ...]:
    """The columns of a generated population, in file order.

    ``underpayments`` adds the labels of underpayments (``rappel_months``, ``rappel_target``
    and, with the truth, ``truth_rappel_probability`` and ``truth_rappel_target``), which
    :func:`generate_population` writes and the monthly panel does not yet.
    """
    labels = _LABELS + (_RAPPEL_LABELS if underpayments else ())
    names = [c for c in CATALOG if CATALOG[c].family.value != "label" or c in labels]
    if with_truth:
        names += ["truth_probability", "truth_target"]
        if underpayments:
            names += ["truth_rappel_probability", "truth_rappel_target"]
    return tuple(names)


_LABELS = ("controlled", "control_weight", "indu_amount", "indu_months", "target", "rappel_amount")
_RAPPEL_LABELS = ("rappel_months", "rappel_target")


CONTROLS = 7_500  # the agency's yearly random checks: the default survey, capped at the rows


def default_controls(n_rows: int, controls: int | None) -> int:
    """``controls``, or the default survey: 7,500 files, or every row of a smaller population.

    Examples
    --------
    >>> [default_controls(1_000_000, None), default_controls(2_000, None)]
    [7500, 2000]
    >>> default_controls(2_000, 50)
    50
    """
    if controls is not None:
        return controls
    return min(CONTROLS, n_rows) if isinstance(n_rows, int | np.integer) and n_rows > 0 else 0


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
    controls: int | None = None,
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
    controls : int, optional
        Size of the stratified random-control sample (rows with ``controlled = 1`` and labels);
        default 7,500, or every row of a smaller population (:func:`default_controls`).
    scenario : str
        Name of a :data:`SCENARIOS` entry.
    with_truth : bool
        Also write ``truth_probability`` and ``truth_target`` for every row, and the truth of
        underpayments (``truth_rappel_probability``, ``truth_rappel_target``).
    progress : callable, optional
        Called as ``progress(stage, rows)`` after each chunk of each pass: the stage is
        ``"survey draw"`` (first pass) then ``"rows"`` (second pass).

    Yields
    ------
    pyarrow.Table
        Up to :data:`CHUNK_ROWS` rows with the columns of :func:`population_columns`
        (``underpayments=True``).
    """
    controls = default_controls(n_rows, controls)
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
            rng_rappel=_rappel_stream(seed, i),
        )
        start += size
        if progress:
            progress("rows", size)


def synthesize(
    n_rows: int,
    *,
    seed: int = 0,
    controls: int | None = None,
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
    controls: int | None = None,
    scenario: str = "neutral",
    with_truth: bool = False,
    progress: Progress | None = None,
) -> int:
    """Generate a population and write it to CSV or Parquet (by extension), atomically.

    Returns the number of rows written. See :func:`generate_population` for the parameters.
    """
    controls = default_controls(n_rows, controls)
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
        path,
        batches,
        schema=arrow_schema(population_columns(with_truth=with_truth, underpayments=True)),
    )


# the label families the generator writes, checked once against the catalog
assert set(_LABELS + _RAPPEL_LABELS) <= set(columns_of("label"))
