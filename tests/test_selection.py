"""Tests of dmde.batch.selection: the order, the quotas, the selection rules and the files."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dmde.batch.budget
import dmde.batch.ranking
import dmde.batch.selection_file
import dmde.data.writing
from dmde.batch.scores_table import _checked_columns
from dmde.batch.selection import (
    OUTPUT_COLUMNS,
    REQUIRED_COLUMNS,
    SelectionError,
    SelectionParameterError,
    allocate_quotas,
    rank_order,
    read_quotas,
    select,
    select_file,
    select_top,
    tie_keys,
)
from dmde.core.errors import DmdeError
from dmde.data.manifest import manifest_path, sha256_file
from dmde.data.outputs import output_columns, read_output

SEED = 20260101
MASK = (1 << 64) - 1
CAFS = ("01", "13", "2A", "75", "974")


# --------------------------------------------------------------------------------------------
# Reference implementations, written independently of the module
def splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def unsplitmix64(y: int) -> int:
    """The inverse of splitmix64 (to build ids with chosen keys)."""

    def unxorshift(z: int, shift: int) -> int:
        x = z
        for _ in range(64 // shift + 1):
            x = z ^ (x >> shift)
        return x

    z = unxorshift(y, 31)
    z = (z * pow(0x94D049BB133111EB, -1, 1 << 64)) & MASK
    z = unxorshift(z, 27)
    z = (z * pow(0xBF58476D1CE4E5B9, -1, 1 << 64)) & MASK
    z = unxorshift(z, 30)
    return (z - 0x9E3779B97F4A7C15) & MASK


def reference_order(scores: pd.DataFrame, seed: int) -> list[int]:
    key = splitmix64(seed)
    ids = scores["dossier_id"].tolist()
    values = scores["score"].tolist()
    return sorted(range(len(ids)), key=lambda i: (-values[i], splitmix64((ids[i] & MASK) ^ key)))


def make_scores(
    n: int, seed: int, *, decimals: int = 0, cafs: tuple[str, ...] = CAFS
) -> pd.DataFrame:
    """Scores with many ties (rounded), caf codes, a segment and two reason codes."""
    rng = np.random.default_rng(seed)
    score = np.round(rng.normal(500, 20, n), decimals)
    frame = pd.DataFrame(
        {
            "dossier_id": rng.permutation(np.arange(1, n + 1, dtype=np.int64) * 7),
            "caf_code": rng.choice(list(cafs), n),
            "segment": rng.choice(["declarative", "prefilled"], n),
            "score": score,
            "probability": 1 / (1 + np.exp(-(score - 520) / 10)),
            "reason_1_feature": rng.choice(["age", "zero_income"], n),
            "reason_1_points": np.round(rng.exponential(5, n), 2),
            "reason_2_feature": rng.choice(["n_children", "housing"], n),
            "reason_2_points": np.round(rng.exponential(5, n), 2),
        }
    )
    frame.loc[::9, "reason_2_points"] = np.nan  # fewer reasons than asked: left missing
    return frame


# --------------------------------------------------------------------------------------------
# Tie keys and the order
@pytest.mark.parametrize("seed", [0, 1, 42, 2**63, 2**64 - 1], ids=lambda s: f"seed-{s}")
def test_tie_keys_follow_the_documented_rule(seed: int) -> None:
    ids = np.random.default_rng(SEED).integers(-(2**63), 2**63 - 1, 500)
    ids[:3] = [1, 2, 0]
    expected = [splitmix64((int(i) & MASK) ^ splitmix64(seed)) for i in ids]
    keys = tie_keys(ids, seed=seed)
    assert keys.dtype == np.uint64
    assert keys.tolist() == expected
    assert len(set(keys.tolist())) == len(ids)  # a bijection: never two equal keys


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (-1, r"^seed must be an int in the range \[0, 18446744073709551616\); got -1\. Pass"),
        (2**64, r"^seed .*; got 18,446,744,073,709,551,616\."),
        (1.5, r"^seed .*; got 1.5\."),
        (True, r"^seed .*; got True\."),
    ],
    ids=["negative", "too-large", "float", "bool"],
)
def test_bad_seed(seed: Any, message: str) -> None:
    with pytest.raises(SelectionParameterError, match=message) as raised:
        tie_keys([1, 2], seed=seed)
    assert raised.value.param == "seed" and raised.value.exit_code == 2


def test_tie_keys_need_integers() -> None:
    with pytest.raises(
        SelectionError, match=r"^dossier_id must be an array of integers; got an array of float64\."
    ):
        tie_keys(np.array([1.0, 2.0]), seed=0)


@pytest.mark.parametrize(
    ("n", "decimals"),
    [(0, 0), (1, 0), (2_000, 0), (2_000, -2), (2_000, 6), (30_000, 1)],
    ids=["empty", "one", "ties", "few-values", "no-ties", "many"],
)
@pytest.mark.parametrize("seed", [0, 7], ids=["seed-0", "seed-7"])
def test_rank_order_matches_the_reference(n: int, decimals: int, seed: int) -> None:
    scores = make_scores(n, SEED + n, decimals=decimals)
    assert rank_order(scores, seed=seed).tolist() == reference_order(scores, seed)


def test_rank_order_resolves_keys_sharing_their_leading_bits() -> None:
    # Ids whose tie keys differ only in their last bits, with several distinct scores, so that
    # the packed (dense rank, leading key bits) values collide and the full key decides.
    seed = 3
    base = 0x5555_5555_5555_5500
    wanted_keys = [base + d for d in (9, 3, 0, 6, 1, 7, 2, 4, 8, 5)]
    ids = [int(np.uint64(unsplitmix64(k) ^ splitmix64(seed)).view(np.int64)) for k in wanted_keys]
    scores = pd.DataFrame(
        {
            "dossier_id": [*ids, 1, 2, 3, 4, 5, 6],
            "score": [50.0] * 10 + [10.0, 20.0, 30.0, 40.0, 60.0, 70.0],
        }
    )
    assert tie_keys(np.array(ids), seed=seed).tolist() == wanted_keys
    assert rank_order(scores, seed=seed).tolist() == reference_order(scores, seed)


def test_order_does_not_depend_on_row_order() -> None:
    scores = make_scores(3_000, SEED)
    shuffled = scores.sample(frac=1.0, random_state=SEED).reset_index(drop=True)
    ranked = scores["dossier_id"].to_numpy()[rank_order(scores, seed=5)]
    reranked = shuffled["dossier_id"].to_numpy()[rank_order(shuffled, seed=5)]
    np.testing.assert_array_equal(ranked, reranked)


# --------------------------------------------------------------------------------------------
# Quotas
@pytest.mark.parametrize(
    ("counts", "budget", "expected"),
    [
        ({"75": 500, "13": 300, "69": 200}, 7, {"13": 2, "69": 1, "75": 4}),
        ({"75": 500, "13": 300, "69": 200}, 1_000, {"13": 300, "69": 200, "75": 500}),
        ({"a": 1, "b": 1, "c": 1}, 2, {"a": 1, "b": 1, "c": 0}),
        ({"b": 1, "a": 1}, 1, {"a": 1, "b": 0}),
        ({"a": 0, "b": 10}, 3, {"a": 0, "b": 3}),
        ({"a": 0, "b": 0}, 0, {"a": 0, "b": 0}),
        ({}, 0, {}),
    ],
    ids=[
        "proportional",
        "everything",
        "ties-by-name",
        "ties-sorted",
        "empty-group",
        "zero",
        "none",
    ],
)
def test_allocate_quotas(counts: dict[str, int], budget: int, expected: dict[str, int]) -> None:
    assert allocate_quotas(counts, budget) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_quotas_sum_to_the_budget_within_their_groups(sizes: list[int], fraction: float) -> None:
    counts = {f"g{i:02d}": c for i, c in enumerate(sizes)}
    total = sum(sizes)
    budget = math.floor(fraction * total)
    quotas = allocate_quotas(counts, budget)
    assert sum(quotas.values()) == budget
    assert list(quotas) == sorted(counts)
    for group, quota in quotas.items():
        assert 0 <= quota <= counts[group]
        assert abs(quota - budget * counts[group] / total) < 1 if total else quota == 0


@pytest.mark.parametrize(
    ("counts", "budget", "message"),
    [
        (
            {"a": 3},
            4,
            r"^budget must be an int in the range \[0, 3\] \(the total of the counts\); got 4\.",
        ),
        ({"a": 3}, -1, r"^budget must be an int in the range \[0, inf\); got -1\."),
        ({"a": 3}, 1.0, r"^budget .*; got 1.0\."),
        (
            {"a": -3},
            0,
            r"^counts must be a mapping of each group to an int .*; got -3 for group 'a'",
        ),
        ({"a": 2.5}, 0, r"^counts .*; got 2.5 for group 'a'"),
        (
            [3, 4],
            1,
            r"^counts must be a mapping of group to number of files \(a dict\); got \[3, 4\]",
        ),
    ],
    ids=["over-total", "negative", "float-budget", "negative-count", "float-count", "list"],
)
def test_bad_allocation(counts: Any, budget: Any, message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        allocate_quotas(counts, budget)


# --------------------------------------------------------------------------------------------
# Selection: budget, ties, groups
def expected_top(scores: pd.DataFrame, quotas: Mapping[str, int], seed: int) -> set[int]:
    """The top files of each group by the reference order."""
    ids, groups = scores["dossier_id"].tolist(), scores["caf_code"].astype(str).tolist()
    taken: dict[str, int] = dict.fromkeys(quotas, 0)
    chosen = set()
    for i in reference_order(scores, seed):
        if taken.get(groups[i], 0) < quotas.get(groups[i], 0):
            taken[groups[i]] += 1
            chosen.add(ids[i])
    return chosen


@pytest.mark.parametrize("budget", [0, 1, 37, 400, 1_000], ids=lambda b: f"budget-{b}")
def test_exact_budget_when_every_score_ties(budget: int) -> None:
    scores = make_scores(1_000, SEED).assign(score=600.0, probability=0.5)
    first = select(scores, budget=budget, seed=11)
    again = select(scores, budget=budget, seed=11)
    other = select(scores, budget=budget, seed=12)
    shuffled = scores.sample(frac=1.0, random_state=1).reset_index(drop=True)
    moved = select(shuffled, budget=budget, seed=11)
    assert len(first.frame) == first.summary["selected"] == budget
    pd.testing.assert_frame_equal(first.frame, again.frame)
    pd.testing.assert_frame_equal(first.frame, moved.frame)
    ids = set(first.frame["dossier_id"])
    assert ids == expected_top(scores.assign(caf_code="all"), {"all": budget}, 11)
    if 0 < budget < 1_000:
        assert ids != set(other.frame["dossier_id"])
    assert first.summary["tie_rule"].startswith("files are ranked by score")


@pytest.mark.parametrize(
    ("share", "n", "budget"),
    [(0.57, 100, 57), (0.5, 5, 2), (1.0, 30, 30), (0.012, 1_000, 12), (1e-9, 50, 0)],
    ids=["decimal-not-binary", "floor", "all", "small", "below-one-file"],
)
def test_share_gives_the_floor_of_its_decimal_value(share: float, n: int, budget: int) -> None:
    # 0.57 * 100 is 56.99999999999999 in binary floating point; the budget is 57.
    chosen = select(make_scores(n, SEED), share=share)
    assert chosen.summary["budget"] == len(chosen.frame) == budget
    assert chosen.summary["budget_rule"].startswith("floor(share * n_files)")


def test_per_group_quotas_are_proportional_and_take_each_groups_top() -> None:
    scores = make_scores(4_000, SEED)
    chosen = select(scores, budget=500, per="caf_code", seed=4)
    counts = scores["caf_code"].value_counts().to_dict()
    quotas = allocate_quotas({str(k): int(v) for k, v in counts.items()}, 500)
    groups = chosen.summary["groups"]
    assert {g: groups[g]["quota"] for g in groups} == quotas
    assert {g: groups[g]["files"] for g in groups} == counts
    assert set(chosen.frame["dossier_id"]) == expected_top(scores, quotas, 4)
    assert chosen.frame.groupby("caf_code")["dossier_id"].count().to_dict() == {
        g: q for g, q in quotas.items() if q
    }


def test_explicit_quotas() -> None:
    scores = make_scores(2_000, SEED)
    quotas = {"75": 40, "2A": 0, "974": 7}
    chosen = select(scores, quotas=quotas, seed=2)  # per defaults to caf_code
    assert chosen.summary["budget"] == len(chosen.frame) == 47
    assert chosen.summary["groups"]["13"]["quota"] == 0  # a group not in the mapping: 0
    assert set(chosen.frame["dossier_id"]) == expected_top(scores, quotas, 2)
    same = select(scores, quotas=quotas, budget=47, per="caf_code", seed=2)
    pd.testing.assert_frame_equal(chosen.frame, same.frame)


def test_ranks_follow_the_order_and_reasons_are_carried() -> None:
    scores = make_scores(2_000, SEED)
    chosen = select(scores, budget=300, per="caf_code", random_share=0.2, seed=9)
    frame = chosen.frame
    assert list(frame.columns) == [
        *OUTPUT_COLUMNS,
        "segment",
        "reason_1_feature",
        "reason_1_points",
        "reason_2_feature",
        "reason_2_points",
    ]
    ids, groups = scores["dossier_id"].tolist(), scores["caf_code"].tolist()
    order = reference_order(scores, 9)
    national = {ids[i]: r for r, i in enumerate(order, start=1)}
    in_group: dict[int, int] = {}
    seen: dict[str, int] = {}
    for i in order:
        seen[groups[i]] = seen.get(groups[i], 0) + 1
        in_group[ids[i]] = seen[groups[i]]
    assert frame["rank_national"].tolist() == [national[d] for d in frame["dossier_id"]]
    assert frame["rank_in_group"].tolist() == [in_group[d] for d in frame["dossier_id"]]
    assert frame["rank_national"].is_monotonic_increasing
    by_id = scores.set_index("dossier_id")
    carried = by_id.loc[frame["dossier_id"], frame.columns[7:]].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame[frame.columns[7:]], carried)
    pd.testing.assert_series_equal(
        frame["score"], by_id.loc[frame["dossier_id"], "score"].reset_index(drop=True)
    )


def test_rank_in_group_is_national_without_groups() -> None:
    frame = select_top(make_scores(500, SEED), budget=50, random_share=0.1, seed=1)
    assert frame["rank_in_group"].tolist() == frame["rank_national"].tolist()
    assert frame.columns[:7].tolist() == list(OUTPUT_COLUMNS)


def test_per_another_column_is_carried() -> None:
    scores = make_scores(600, SEED).assign(office=lambda f: f["caf_code"].str[:1])
    frame = select(scores, budget=30, per="office").frame
    assert frame.columns[7] == "office"
    largest = frame.groupby("office")["rank_in_group"].max().to_dict()
    assert largest == frame["office"].value_counts().to_dict()  # offices' top files


def test_empty_scores() -> None:
    chosen = select(make_scores(0, SEED), budget=0, per="caf_code")
    assert chosen.frame.empty and list(chosen.frame.columns)[:7] == list(OUTPUT_COLUMNS)
    assert chosen.summary["selected"] == 0 and chosen.summary["groups"] == {}


# --------------------------------------------------------------------------------------------
# Probability floor and random share
@pytest.mark.parametrize("per", [None, "caf_code"], ids=["national", "per-caf"])
def test_min_probability_leaves_the_budget_unused(per: str | None) -> None:
    scores = make_scores(2_000, SEED)
    floor = 0.6
    eligible = int((scores["probability"] >= floor).sum())
    chosen = select(scores, budget=eligible + 100, per=per, min_probability=floor)
    summary = chosen.summary
    assert (chosen.frame["probability"] >= floor).all()
    assert summary["selected"] < summary["budget"]
    assert summary["budget"] == summary["selected"] + summary["unused_budget"]
    assert summary["eligible"] == eligible
    assert "min_probability=0.6" in summary["unused_reason"]
    if per is None:
        assert summary["selected"] == eligible and summary["unused_budget"] == 100
    else:
        groups = summary["groups"].values()
        assert sum(g["unused_budget"] for g in groups) == summary["unused_budget"]
        assert all(g["selected_by_score"] == min(g["quota"], g["eligible"]) for g in groups)


def test_min_probability_skips_files_below_the_floor_only() -> None:
    scores = pd.DataFrame(
        {
            "dossier_id": [1, 2, 3, 4],
            "caf_code": ["01"] * 4,
            "score": [90.0, 80.0, 70.0, 60.0],
            "probability": [0.9, 0.1, 0.5, 0.4],  # not monotone: two scorecards
        }
    )
    chosen = select(scores, budget=2, min_probability=0.3)
    assert chosen.frame["dossier_id"].tolist() == [1, 3]
    assert chosen.summary["unused_budget"] == 0 and chosen.summary["unused_reason"] is None


@pytest.mark.parametrize(
    ("budget", "fraction", "per", "n_random"),
    [
        (200, 0.1, None, 20),
        (5, 0.5, None, 3),  # 2.5: halves go up
        (200, 0.0, None, 0),
        (300, 0.15, "caf_code", 45),
        (7, 0.5, "caf_code", 4),
    ],
    ids=["national", "half-up", "none", "per-caf", "per-caf-half-up"],
)
def test_random_share(budget: int, fraction: float, per: str | None, n_random: int) -> None:
    scores = make_scores(2_000, SEED)
    chosen = select(
        scores, budget=budget, per=per, random_share=fraction, min_probability=0.5, seed=21
    )
    frame, summary = chosen.frame, chosen.summary
    drawn = frame[frame["selection_reason"] == "random"]
    by_score = frame[frame["selection_reason"] == "score"]
    assert len(drawn) == summary["selected_at_random"] == summary["random_budget"] == n_random
    assert set(frame["selection_reason"]) <= {"score", "random"}
    quotas = (
        {"(all)": budget - n_random}
        if per is None
        else {g: v["score_quota"] for g, v in summary["groups"].items()}
    )
    eligible = scores[scores["probability"] >= 0.5]
    top = expected_top(eligible.assign(caf_code="(all)") if per is None else eligible, quotas, 21)
    assert set(by_score["dossier_id"]) == top  # none of the random files is a score pick
    assert not set(drawn["dossier_id"]) & top
    if per is not None:
        groups = summary["groups"].values()
        assert sum(g["random_quota"] for g in groups) == n_random
        assert all(g["quota"] == g["score_quota"] + g["random_quota"] for g in groups)
        counted = drawn["caf_code"].value_counts().to_dict()
        assert counted == {
            g: v["random_quota"] for g, v in summary["groups"].items() if v["random_quota"]
        }


def test_random_draw_ignores_the_floor_and_is_reproducible() -> None:
    scores = make_scores(3_000, SEED)
    kwargs: dict[str, Any] = {"budget": 400, "random_share": 0.5, "min_probability": 0.5}
    first = select(scores, seed=8, **kwargs).frame
    shuffled = scores.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(first, select(shuffled, seed=8, **kwargs).frame)
    drawn = first[first["selection_reason"] == "random"]
    assert (drawn["probability"] < 0.5).any()  # most files are below the floor
    other = select(scores, seed=9, **kwargs).frame
    assert set(drawn["dossier_id"]) != set(
        other.loc[other["selection_reason"] == "random", "dossier_id"]
    )


# --------------------------------------------------------------------------------------------
# Bad parameters and bad scores
SMALL = make_scores(50, SEED)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": 5, "share": 0.1}, r"^share must be None when budget is given .*; got 0.1\."),
        ({}, r"^budget must be given, unless share or quotas is; got None\."),
        ({"budget": -1}, r"^budget must be an int in the range \[0, inf\) or None; got -1\."),
        ({"budget": 51}, r"^budget must be an int in the range \[0, 50\] .*; got 51\."),
        ({"budget": 5.0}, r"^budget must be an int .*; got 5.0\."),
        ({"budget": True}, r"^budget .*; got True\."),
        ({"share": 0}, r"^share must be a float in the range \(0.0, 1.0\] or None; got 0\."),
        ({"share": 1.5}, r"^share .*; got 1.5\."),
        ({"share": math.nan}, r"^share .*; got nan\."),
        ({"budget": 5, "min_probability": 1.5}, r"^min_probability .* \[0.0, 1.0\].*; got 1.5"),
        ({"budget": 5, "random_share": 1.0}, r"^random_share .* \[0.0, 1.0\); got 1.0\."),
        ({"budget": 5, "random_share": -0.1}, r"^random_share .*; got -0.1\."),
        ({"budget": 5, "random_share": None}, r"^random_share .*; got None\."),
        ({"budget": 5, "seed": -1}, r"^seed must be an int .*; got -1\."),
        ({"budget": 5, "per": "office"}, r"missing column 'office'"),
        ({"budget": 5, "per": 3}, r"^per must be a column name \(str\) or None; got 3\."),
        ({"quotas": {"99": 1}}, r"^quotas must be a mapping of groups of column 'caf_code' .*'99'"),
        (
            {"quotas": {"75": -1}},
            r"^quotas must be a mapping of each group to an int .*-1 for group",
        ),
        ({"quotas": {"75": 1.5}}, r"^quotas .*; got 1.5 for group '75'"),
        ({"quotas": {"75": 10_000}}, r"^quotas .*; got 10,000 for group '75', which has \d+ files"),
        (
            {"quotas": {"75": 2}, "budget": 3},
            r"^budget must be the sum of the quotas \(2\) .*; got 3",
        ),
        ({"quotas": {"75": 2}, "share": 0.5}, r"^share .* it gives 25; got 0.5\."),
        ({"quotas": {"75": 2}, "budget": 2, "share": 0.04}, r"exclude each other"),
        (
            {"quotas": [("75", 2)]},
            r"^quotas must be a mapping of group to quota \(a dict\) or None",
        ),
    ],
    ids=[
        "budget-and-share",
        "neither",
        "negative-budget",
        "budget-over-files",
        "float-budget",
        "bool-budget",
        "zero-share",
        "share-over-1",
        "nan-share",
        "min-probability",
        "random-share-1",
        "negative-random-share",
        "random-share-none",
        "negative-seed",
        "unknown-per",
        "per-not-str",
        "unknown-group",
        "negative-quota",
        "float-quota",
        "quota-over-files",
        "budget-not-sum",
        "share-not-sum",
        "quotas-budget-and-share",
        "quotas-not-mapping",
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        select(SMALL, **kwargs)


def test_errors_are_dmde_and_value_errors() -> None:
    with pytest.raises(DmdeError):
        select(SMALL, budget=-1)
    with pytest.raises(ValueError, match="budget"):
        select(SMALL, budget=-1)
    with pytest.raises(TypeError, match=r"select needs the scores as a pandas.DataFrame"):
        select(SMALL.to_dict(), budget=1)  # type: ignore[arg-type]


def _with(frame: pd.DataFrame, column: str, position: int, value: Any) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].astype(object if isinstance(value, str) else out[column].dtype)
    out.loc[position, column] = value
    return out


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        (SMALL.drop(columns="probability"), r"missing column 'probability': a scores table"),
        (SMALL.drop(columns=["score", "caf_code"]), r"missing columns 'caf_code', 'score'"),
        (
            SMALL.assign(dossier_id=7),
            r"'dossier_id' must be unique; found 1 id on several rows \(7\)",
        ),
        (SMALL.assign(dossier_id=SMALL["dossier_id"] * 1.0), r"'dossier_id' must hold whole"),
        (
            _with(SMALL, "score", 3, math.nan),
            r"'score' must hold finite numbers; found NaN.* on 1 row",
        ),
        (_with(SMALL, "score", 3, math.inf), r"'score' must hold finite .* infinity"),
        (SMALL.assign(score="high"), r"'score' must hold numbers; it has dtype"),
        (
            _with(SMALL, "probability", 0, 1.5),
            r"'probability' must lie in \[0, 1\]; found 1.5 .* on 1 row",
        ),
        (_with(SMALL, "probability", 0, math.nan), r"'probability' must hold finite"),
        (pd.concat([SMALL, SMALL[["score"]]], axis=1), r"column 'score' appears 2 times"),
    ],
    ids=[
        "no-probability",
        "no-score-caf",
        "duplicate-id",
        "float-id",
        "nan-score",
        "inf-score",
        "text-score",
        "probability-over-1",
        "nan-probability",
        "repeated-column",
    ],
)
def test_bad_scores(scores: pd.DataFrame, message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        select(scores, budget=1)


def test_missing_group_value() -> None:
    scores = _with(SMALL, "caf_code", 4, None)
    with pytest.raises(SelectionError, match=r"'caf_code' \(per\) must have a value on every"):
        select(scores, budget=1, per="caf_code")
    assert len(select(scores, budget=1).frame) == 1  # without groups, caf_code is only carried


def test_rank_order_checks_its_columns() -> None:
    with pytest.raises(SelectionError, match=r"missing column 'score'"):
        rank_order(SMALL.drop(columns="score"))


# --------------------------------------------------------------------------------------------
# Quota files
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("caf_code,quota\n75,120\n2A,8\n01,0\n", {"75": 120, "2A": 8, "01": 0}),
        ("group,quota\nprefilled,3\n", {"prefilled": 3}),
        ("\ufeffcaf_code,quota\r\n 75 , 12 \r\n\r\n13,1\r\n", {"75": 12, "13": 1}),
        ("caf_code,quota\n", {}),
    ],
    ids=["caf", "group", "bom-spaces-blank", "header-only"],
)
def test_read_quotas(tmp_path: Path, text: str, expected: dict[str, int]) -> None:
    path = tmp_path / "quotas.csv"
    path.write_text(text, encoding="utf-8")
    assert read_quotas(path) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"must start with the header 'caf_code,quota' .* found 'an empty file'"),
        ("75,120\n", r"must start with the header .* found '75,120'"),
        ("caf_code,quota\n75,12.5\n", r"row 1: the quota of '75' must be a whole number; .*'12.5'"),
        ("caf_code,quota\n75,\n", r"row 1: the quota of '75' must be a whole number; found ''"),
        ("caf_code,quota\n75,1\n13,-4\n", r"row 2: the quota of '13' must be at least 0; found -4"),
        ("caf_code,quota\n75,1\n13,2\n75,3\n", r"row 3: group '75' was already given on row 1"),
        ("caf_code,quota\n75,1,2\n", r"row 1: expected 2 fields \(caf_code,quota\); found 3"),
        ("caf_code,quota\n,4\n", r"row 1: the caf_code is empty"),
    ],
    ids=[
        "empty",
        "no-header",
        "decimal",
        "missing",
        "negative",
        "duplicate",
        "fields",
        "no-group",
    ],
)
def test_bad_quota_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "quotas.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SelectionError, match=rf"quota file '.*quotas.csv'.*{message}"):
        read_quotas(path)


def test_quota_file_not_found_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(SelectionError, match=r"quota file '.*nope.csv' does not exist"):
        read_quotas(tmp_path / "nope.csv")
    path = tmp_path / "latin.csv"
    path.write_bytes("caf_code,quota\nRéunion,3\n".encode("latin-1"))
    with pytest.raises(SelectionError, match=r"quota file '.*latin.csv' cannot be read.*UTF-8"):
        read_quotas(path)


def test_quota_file_feeds_select(tmp_path: Path) -> None:
    path = tmp_path / "quotas.csv"
    path.write_text("caf_code,quota\n75,5\n2A,3\n", encoding="utf-8")
    chosen = select(SMALL, quotas=read_quotas(path))
    assert chosen.frame["caf_code"].value_counts().to_dict() == {"75": 5, "2A": 3}


# --------------------------------------------------------------------------------------------
# Files
def _write_scores(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif "dictionary" in path.name:  # text stored dictionary-encoded, as dmde score writes it
        text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c])]
        frame.astype(dict.fromkeys(text, "category")).to_parquet(path, index=False)
    else:
        frame.to_parquet(path, index=False)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("scores.parquet", "checks.parquet"),
        ("scores.dictionary.parquet", "checks.parquet"),
        ("scores.parquet", "checks.csv"),
        ("scores.csv", "checks.csv"),
        ("scores.csv", "checks.pq"),
    ],
    ids=["parquet-parquet", "dictionary-parquet", "parquet-csv", "csv-csv", "csv-parquet"],
)
def test_select_file(tmp_path: Path, source: str, target: str) -> None:
    scores = make_scores(3_000, SEED)
    scores_path, out = tmp_path / source, tmp_path / target
    _write_scores(scores, scores_path)
    kwargs: dict[str, Any] = {
        "budget": 200,
        "per": "caf_code",
        "random_share": 0.1,
        "min_probability": 0.45,
        "seed": 5,
    }
    chosen = select_file(scores_path, out, **kwargs)
    expected = select(scores, **kwargs)
    assert chosen.summary == expected.summary
    pd.testing.assert_frame_equal(chosen.frame, expected.frame, check_dtype=False)
    written = pd.read_csv(out, dtype={"caf_code": str}) if target.endswith(".csv") else None
    if written is None:
        written = pq.read_table(out).to_pandas()
    assert written.columns.tolist() == chosen.frame.columns.tolist()
    pd.testing.assert_frame_equal(written, chosen.frame, check_dtype=False)
    assert written["caf_code"].isin(CAFS).all()  # "01" is still "01"

    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert manifest["command"] == "select"
    assert manifest["input"] == {
        "path": str(scores_path),
        "sha256": sha256_file(scores_path),
        "rows": 3_000,
    }
    assert manifest["output"]["sha256"] == sha256_file(out)
    assert manifest["output"]["rows"] == len(written) == counts["selected"]
    assert counts["files"] == counts["selected"] + counts["not_selected"]
    assert counts["budget"] == counts["selected"] + counts["unused_budget"] == 200
    assert counts["selected"] == counts["selected_by_score"] + counts["selected_at_random"]
    assert manifest["parameters"] == expected.summary["parameters"]
    assert manifest["seconds"] >= 0 and manifest["started"] <= manifest["ended"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [source, target, f"{target}.manifest.json"]
    )
    again = tmp_path / f"again{out.suffix}"
    select_file(scores_path, again, **kwargs)
    assert sha256_file(again) == sha256_file(out)  # same inputs, same bytes


def test_select_file_reads_only_what_it_needs(tmp_path: Path) -> None:
    scores = make_scores(100, SEED).assign(household_income=1.0, sex="F")
    path = tmp_path / "scores.parquet"
    _write_scores(scores, path)
    chosen = select_file(path, tmp_path / "out.csv", share=0.1)
    manifest = json.loads(manifest_path(tmp_path / "out.csv").read_text(encoding="utf-8"))
    assert "sex" not in manifest["columns_read"] and "sex" not in chosen.frame.columns
    assert manifest["columns_read"][:2] == ["dossier_id", "caf_code"]


def test_select_file_refuses_a_file_changed_while_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "scores.parquet"
    scores = make_scores(100, SEED)
    _write_scores(scores, path)
    select_rows = dmde.batch.selection_file._select

    def then_rewrite(*args: Any, **kwargs: Any) -> Any:
        result = select_rows(*args, **kwargs)
        _write_scores(scores.iloc[::-1], path)  # another process rewrites the file
        return result

    monkeypatch.setattr(dmde.batch.selection_file, "_select", then_rewrite)
    with pytest.raises(SelectionError, match=r"'.*scores.parquet' changed while it was being"):
        select_file(path, tmp_path / "out.parquet", budget=10)
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]


def _boom(*args: Any, **kwargs: Any) -> int:
    raise OSError(28, "No space left on device")


def test_select_file_leaves_nothing_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "scores.parquet"
    _write_scores(make_scores(100, SEED), path)

    def half_written(sink: Any, tables: Any, schema: Any) -> int:
        sink.write(b"PAR1 partial")
        return _boom()

    monkeypatch.setattr(dmde.data.writing, "_write_parquet", half_written)
    with pytest.raises(DmdeError, match=r"cannot write .*out.parquet.*No space left"):
        select_file(path, tmp_path / "out.parquet", budget=10)
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]


def test_select_file_removes_the_output_when_the_manifest_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "scores.csv"
    _write_scores(make_scores(100, SEED), path)
    monkeypatch.setattr(dmde.data.manifest, "write_text", _boom)
    with pytest.raises(OSError, match="No space left"):
        select_file(path, tmp_path / "out.csv", budget=10)
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


@pytest.mark.parametrize(
    ("source", "target", "content", "kwargs", "message"),
    [
        ("nope.parquet", "out.csv", None, {}, r"scores file '.*nope.parquet' does not exist"),
        ("s.parquet", "out.txt", b"", {}, r"^out_path must be a file ending in one of .csv, "),
        (
            "s.json",
            "out.csv",
            b"{}",
            {},
            r"cannot read .*s.json.: expected a file ending in .csv, .parquet, .pq",
        ),
        ("s.parquet", "s.parquet", b"x", {}, r"^out_path must be another file than the scores"),
        ("s.parquet", "out.csv", b"not parquet", {}, r"'.*s.parquet' cannot be read as parquet"),
        (
            "s.csv",
            "out.csv",
            b"dossier_id,caf_code,sex\n1,75,F\n",
            {},
            r"'.*s.csv': missing columns 'score', 'probability'.* it has dossier_id, caf_code, sex",
        ),
        (
            "s.csv",
            "out.csv",
            b"dossier_id,caf_code,score,probability\nx,75,1,0.5\n",
            {},
            r"'.*s.csv' cannot be read as csv",
        ),
        (
            "s.csv",
            "out.csv",
            b"dossier_id,caf_code,score,probability\n1,75,1,0.5\n",
            {"budget": 2},
            r"budget must be an int in the range \[0, 1\]",
        ),
    ],
    ids=[
        "missing",
        "out-extension",
        "in-extension",
        "same-file",
        "not-parquet",
        "missing-columns",
        "bad-id",
        "bad-budget",
    ],
)
def test_bad_files(
    tmp_path: Path,
    source: str,
    target: str,
    content: bytes | None,
    kwargs: dict[str, Any],
    message: str,
) -> None:
    path = tmp_path / source
    if content is not None:
        path.write_bytes(content)
    before = sorted(tmp_path.iterdir())
    with pytest.raises(SelectionError, match=message):
        select_file(path, tmp_path / target, **({"budget": 1} | kwargs))
    assert sorted(tmp_path.iterdir()) == before


# --------------------------------------------------------------------------------------------
# The memory-lean paths give what the plain ones give
def plain_choose(
    order: np.ndarray[Any, Any],
    codes: np.ndarray[Any, Any],
    probability: np.ndarray[Any, Any],
    plan: Any,
) -> dict[str, Any]:
    """The choice along the order as first written (one full-length array per step)."""
    n, n_groups = order.size, len(plan.names)
    group = codes[order]
    files = np.bincount(group, minlength=n_groups).astype(np.int64)
    starts = np.cumsum(files) - files
    grouped = np.argsort(group, kind="stable")
    rank_in_group = np.empty(n, dtype=np.int64)
    rank_in_group[grouped] = np.arange(1, n + 1) - np.repeat(starts, files)
    if plan.min_probability is None:
        eligible_at = np.ones(n, dtype=np.bool_)
    else:
        eligible_at = probability[order] >= plan.min_probability
    eligible_grouped = eligible_at[grouped]
    seen = np.cumsum(eligible_grouped, dtype=np.int64)
    before = np.concatenate(([0], seen))[starts]
    score_quota = plan.quotas - plan.random_quotas
    take = eligible_grouped & (seen - np.repeat(before, files) <= np.repeat(score_quota, files))
    by_score = np.zeros(n, dtype=np.bool_)
    by_score[grouped] = take
    at_random = np.zeros(n, dtype=np.bool_)
    rng = np.random.default_rng(plan.seed)
    for g in np.flatnonzero(plan.random_quotas):
        members = grouped[starts[g] : starts[g] + files[g]]
        candidates = members[~by_score[members]]
        size = min(int(plan.random_quotas[g]), candidates.size)
        at_random[candidates[rng.choice(candidates.size, size=size, replace=False)]] = True
    positions = np.flatnonzero(by_score | at_random)
    return {
        "positions": positions.tolist(),
        "rank_in_group": rank_in_group[positions].tolist(),
        "random": at_random[positions].tolist(),
        "files": files.tolist(),
        "eligible": np.bincount(group[eligible_at], minlength=n_groups).tolist(),
        "by_score": np.bincount(group[by_score], minlength=n_groups).tolist(),
        "at_random": np.bincount(group[at_random], minlength=n_groups).tolist(),
    }


def lean_case(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Scores and parameters drawn from ``seed``: sizes, ties, groups, quotas, floor, share."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 2, 50, 700, 3_000]))
    cafs = CAFS[: int(rng.integers(1, len(CAFS) + 1))]
    scores = make_scores(n, seed, decimals=int(rng.choice([-2, 0, 1, 6])), cafs=cafs)
    if seed % 4 == 0 and n:
        scores.loc[::3, "score"] = -0.0  # -0.0 and 0.0 tie
        scores.loc[1::3, "score"] = 0.0
    kwargs: dict[str, Any] = {"seed": [0, 5, 2**64 - 1][int(rng.integers(0, 3))]}
    kind = rng.integers(0, 4)
    if kind == 0:
        kwargs["budget"] = int(rng.integers(0, n + 1))
    elif kind == 1:
        kwargs |= {
            "budget": int(rng.integers(0, n + 1)),
            "per": str(rng.choice(["caf_code", "segment"])),
        }
    elif kind == 2:
        kwargs |= {"share": float(rng.choice([0.01, 0.3, 1.0])), "per": "caf_code"}
    else:
        counts = scores["caf_code"].value_counts()
        kwargs["quotas"] = {str(g): int(rng.integers(0, c + 1)) for g, c in counts.items()}
    if rng.random() < 0.5:
        kwargs["min_probability"] = float(rng.choice([0.0, 0.2, 0.6, 1.0]))
    if rng.random() < 0.6:
        kwargs["random_share"] = float(rng.choice([0.05, 0.5, 0.99]))
    return scores, kwargs


@pytest.mark.parametrize("key_bits", [0, 2, 64], ids=lambda b: f"key-bits-{b}")
@pytest.mark.parametrize("seed", range(12), ids=lambda s: f"seed-{s}")
def test_lean_order_and_choice_match_the_plain_ones(
    seed: int, key_bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Few packed key bits and small chunks force the collisions and the chunk edges; a low
    # hashing limit sends the dense rank through the argsort.
    monkeypatch.setattr(dmde.batch.ranking, "_KEY_BITS", key_bits)
    monkeypatch.setattr(dmde.batch.ranking, "_CHUNK", 7)
    monkeypatch.setattr(dmde.batch.budget, "_CHUNK", 5)
    monkeypatch.setattr(dmde.batch.ranking, "_HASHED_SCORES", 50 if seed % 2 else 1 << 20)
    scores, kwargs = lean_case(seed)
    per = kwargs.get("per", "caf_code" if "quotas" in kwargs else None)
    columns = _checked_columns(scores, per, None)
    order = dmde.batch.ranking._order(columns.score, columns.ids, kwargs["seed"])
    keys = tie_keys(columns.ids, seed=kwargs["seed"])
    assert order.tolist() == np.lexsort((keys, -columns.score)).tolist()
    plan = dmde.batch.budget._plan(
        len(columns.ids), columns.codes, columns.names, kwargs.get("budget"),
        kwargs.get("share"), kwargs.get("quotas"), per, kwargs.get("min_probability"),
        kwargs.get("random_share", 0.0), kwargs["seed"],
    )  # fmt: skip
    eligible = None
    if plan.min_probability is not None:
        eligible = columns.probability >= plan.min_probability
    chosen = dmde.batch.budget._choose(order, columns.codes, eligible, plan)
    expected = plain_choose(order, columns.codes, columns.probability, plan)
    assert {name: getattr(chosen, name).tolist() for name in expected} == expected


def plain_select_file(source: Path, target: Path, **kwargs: Any) -> dict[str, Any]:
    """The selection file as first written: every column used read at once into pandas, then
    :func:`select` on the frame; returns the summary (the file is written to ``target``)."""
    per = kwargs.get("per") or ("caf_code" if "quotas" in kwargs else None)
    kwargs = kwargs | {"per": per}  # as select_file has always done
    header = output_columns(source)
    wanted = [
        h for h in header if h in (*REQUIRED_COLUMNS, per) or re.match(r"^(segment|reason_.+)$", h)
    ]
    fix = dmde.batch.selection_file._FIX
    read = read_output(source, wanted, what="scores file", fix=fix)
    chosen = select(read.to_pandas(), **kwargs)
    frame = chosen.frame.copy()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(frame[name].cat.categories.dtype)
    table = dmde.batch.selection_file._arrow_table(frame)
    dmde.data.writing.write_batches(target, [table], schema=table.schema)
    return chosen.summary


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("scores.parquet", "checks.csv"),
        ("scores.dictionary.parquet", "checks.parquet"),
        ("scores.groups.parquet", "checks.csv"),
        ("scores.csv", "checks.parquet"),
    ],
    ids=["parquet", "dictionary", "row-groups", "csv"],
)
@pytest.mark.parametrize("seed", range(16), ids=lambda s: f"seed-{s}")
def test_select_file_writes_the_bytes_select_gives(
    tmp_path: Path, seed: int, source: str, target: str
) -> None:
    scores, kwargs = lean_case(seed)
    if seed % 3 == 1:  # a carried column with missing values, another without any value
        scores = scores.assign(reason_3_feature=None)
        scores.loc[::4, "reason_1_feature"] = None
    path = tmp_path / source
    if "groups" in source:  # small row groups, each with its own dictionaries
        text = [c for c in scores.columns if pd.api.types.is_string_dtype(scores[c])]
        table = pa.Table.from_pandas(
            scores.astype(dict.fromkeys(text, "category")), preserve_index=False
        )
        pq.write_table(table, path, row_group_size=97)
    else:
        _write_scores(scores, path)
    out, expected_out = tmp_path / target, tmp_path / f"expected{Path(target).suffix}"
    if scores.empty:  # a scores file without rows is refused, never an empty selection
        with pytest.raises(SelectionError, match=r"has no rows .*nothing to select"):
            select_file(path, out, **kwargs)
        assert not out.exists()
        return
    chosen = select_file(path, out, **kwargs)
    expected = plain_select_file(path, expected_out, **kwargs)
    assert sha256_file(out) == sha256_file(expected_out)
    assert chosen.summary == expected
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert manifest["summary"] == expected and manifest["output"]["sha256"] == sha256_file(out)


@pytest.mark.parametrize(
    ("column", "value", "per"),
    [
        ("dossier_id", "repeat", None),
        ("dossier_id", "float", None),
        ("dossier_id", "int32", "caf_code"),
        ("score", math.nan, None),
        ("score", math.inf, "caf_code"),
        ("score", "int", "caf_code"),
        ("probability", 1.5, None),
        ("probability", "float32", "caf_code"),
        ("caf_code", None, "caf_code"),
        ("caf_code", "int", "caf_code"),
        ("segment", None, "segment"),
    ],
    ids=[
        "repeated-id",
        "float-id",
        "int32-id",
        "nan-score",
        "inf-score",
        "int-score",
        "probability-over-1",
        "float32-probability",
        "missing-caf",
        "int-caf",
        "missing-segment",
    ],
)
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_select_file_treats_unusual_scores_as_select_does(
    tmp_path: Path, column: str, value: Any, per: str | None, suffix: str
) -> None:
    scores = make_scores(300, SEED)
    if value == "repeat":
        scores.loc[7, column] = scores.loc[3, column]
    elif value in ("float", "int32", "float32", "int"):
        kind = {"float": float, "int32": np.int32, "float32": np.float32, "int": np.int64}[value]
        values = scores[column] if column != "caf_code" else np.arange(len(scores)) % 4
        scores[column] = (
            np.asarray(values).round().astype(kind) if value == "int" else values.astype(kind)
        )
    else:
        scores[column] = scores[column].astype(object)
        scores.loc[5, column] = value
    path = tmp_path / f"scores{suffix}"
    _write_scores(scores, path)
    kwargs: dict[str, Any] = {"budget": 30, "per": per, "random_share": 0.1, "seed": 3}
    try:
        expected = plain_select_file(path, tmp_path / "expected.csv", **kwargs)
    except DmdeError as exc:  # unreadable, or refused by select
        message = str(exc)
        if isinstance(exc, SelectionError):
            message = f"scores file '{path}': {message.removeprefix('scores: ')}"
        with pytest.raises(SelectionError, match=f"^{re.escape(message)}$"):
            select_file(path, tmp_path / "out.csv", **kwargs)
        return
    assert select_file(path, tmp_path / "out.csv", **kwargs).summary == expected
    assert sha256_file(tmp_path / "out.csv") == sha256_file(tmp_path / "expected.csv")
