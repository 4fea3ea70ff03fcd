"""The group audit on aggregates (cells summed in DuckDB, bootstrap here) gives the Python
engine's figures: metrics, intervals, disparities, tests and flags."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from dmde.audit.aggregates import NOT_FROM_AGGREGATES, audit_groups_on_cells, cell_sums_duckdb
from dmde.audit.metrics import GroupAudit, audit_groups_with
from dmde.audit.settings import AuditSettings

LEVELS = {"band": ["c", "a", "b"]}  # a declared order that is not the sorted one


def population(n: int, seed: int, *, planted: float = 0.0) -> pd.DataFrame:
    """Files with two attributes (one with missing values and a tiny group), tied scores,
    labels known on about half, survey weights; ``planted`` raises group b's scores."""
    rng = np.random.default_rng(seed)
    band = rng.choice(["a", "b", "c", "tiny", None], n, p=[0.5, 0.3, 0.17, 0.002, 0.028])
    frame = pd.DataFrame(
        {
            "gender": rng.choice(["female", "male"], n),
            "band": band,
            "score": np.round(rng.normal(500, 20, n)) + planted * (band == "b"),
        }
    )
    frame["probability"] = 1 / (1 + np.exp(-(frame["score"] - 560) / 20))
    label = (rng.random(n) < frame["probability"]).astype(float)
    label[rng.random(n) < 0.5] = np.nan
    frame["label"] = label
    frame["weight"] = rng.uniform(0.5, 2.0, n)
    cut = np.sort(frame["score"].to_numpy())[-n // 10]
    frame["selected"] = frame["score"] >= cut
    return frame


def both(frame: pd.DataFrame, **kwargs: Any) -> tuple[GroupAudit, GroupAudit]:
    settings = AuditSettings(n_boot=kwargs.pop("n_boot", 100), seed=kwargs.pop("seed", 0))
    label, weight = kwargs.get("label"), kwargs.get("weight")
    groups = pd.DataFrame(
        {
            "gender": frame["gender"],
            "band": pd.Categorical(frame["band"], categories=[*LEVELS["band"], "tiny"]),
        }
    )
    python = audit_groups_with(
        settings=settings,
        selected=frame["selected"],
        score=frame["score"],
        probability=frame["probability"],
        groups=groups,
        label=None if label is None else frame[label],
        weight=None if weight is None else frame[weight],
    )
    con = duckdb.connect(config={"threads": 1})
    con.register("files", frame)
    cells = cell_sums_duckdb(
        con,
        "files",
        ["gender", "band"],
        label=label,
        weight=weight,
        levels={"band": [*LEVELS["band"], "tiny"]},
    )
    engine = audit_groups_on_cells(cells, settings=settings, weighted=weight is not None)
    return python, engine


#: Metrics made of counts only: with unit weights, the same bits in both engines.
COUNTED = ("population_share", "share_among_selected", "selection_rate")


def assert_same(a: pd.DataFrame, b: pd.DataFrame, *, unit_weights: bool) -> None:
    """The same rows, labels and flags; figures equal to 1e-9 (sums are added in another
    order; 1e-7 with survey weights); those made of counts only bit for bit with unit weights."""
    assert list(a.columns) == list(b.columns)
    assert a.shape == b.shape
    numbers = list(a.select_dtypes("number").columns)
    others = [c for c in a.columns if c not in numbers]
    pd.testing.assert_frame_equal(a[others], b[others])
    x, y = a[numbers].to_numpy(float), b[numbers].to_numpy(float)
    # With survey weights the square root of a cell's (nearly singular) covariance carries
    # last-bit differences of the sums a little further: to 1e-7.
    tolerance = 1e-9 if unit_weights else 1e-7
    np.testing.assert_allclose(x, y, rtol=tolerance, atol=tolerance / 10)
    if unit_weights:
        counted = a["metric"].isin(COUNTED).to_numpy()
        assert np.array_equal(x[counted], y[counted], equal_nan=True)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(
    ("label", "weight"),
    [(None, None), ("label", None), ("label", "weight")],
    ids=["selection", "labels", "weighted"],
)
def test_group_audit_on_cells_is_the_python_audit(
    seed: int, label: str | None, weight: str | None
) -> None:
    frame = population(6_000, seed, planted=15.0 if seed % 2 else 0.0)
    python, engine = both(frame, label=label, weight=weight, seed=seed)
    assert_same(python.metrics, engine.metrics, unit_weights=weight is None)
    assert_same(python.disparities, engine.disparities, unit_weights=weight is None)
    assert {k: v for k, v in engine.method.items() if k != "aggregates"} == python.method
    assert engine.method["aggregates"] == NOT_FROM_AGGREGATES
    assert engine.deciles.empty and engine.calibration.empty


def test_planted_disparity_flagged_by_both() -> None:
    frame = population(8_000, 5, planted=25.0)
    python, engine = both(frame)
    flagged = engine.disparities.query("flagged")[["attribute", "group", "metric"]]
    assert ("band", "b", "selection_rate") in set(map(tuple, flagged.to_numpy()))
    assert flagged.equals(python.disparities.query("flagged")[["attribute", "group", "metric"]])


def test_quiet_where_nothing_was_planted() -> None:
    frame = population(8_000, 6)
    _, engine = both(frame)
    assert not engine.disparities.query("attribute == 'band' and metric == 'selection_rate'")[
        "flagged"
    ].any()


def test_tiny_group_suppressed_alike() -> None:
    python, engine = both(population(3_000, 7))
    tiny = engine.metrics.query("group == 'tiny'")
    assert tiny["suppressed"].all()
    assert_same(python.metrics, engine.metrics, unit_weights=True)
