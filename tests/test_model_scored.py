"""The model's one scoring path: score_columns against batch scoring, ties, top-k reasons."""

from __future__ import annotations

import copy

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from dmde.batch.scoring import needed_columns, score_frame
from dmde.core.errors import DmdeError, ParameterError
from dmde.data.catalog import CATALOG
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.scored import ScoredColumns, top_reasons

Model = Scorecard | ScorecardFamily


# population, checked and family: the shared world of tests/conftest.py
@pytest.fixture(scope="module")
def single(checked: pd.DataFrame) -> Scorecard:
    return Scorecard().fit(checked, checked["target"], checked["control_weight"])


def _tied(model: Model) -> Model:
    """A copy whose points are multiples of 10 and references 0: many rows have tied reasons."""
    tied = copy.deepcopy(model)
    scorecards = tied.models_.values() if isinstance(tied, ScorecardFamily) else [tied]
    for m in scorecards:
        m.bin_points_ = tuple(np.round(p, -1) + 0.0 for p in m.bin_points_)
        m.reference_points_ = np.zeros(len(m.features_))
    return tied


def _columns(model: Model, frame: pd.DataFrame) -> dict[str, object]:
    """The model's inputs as batch scoring builds them: floats with NaN, text as categoricals."""
    out: dict[str, object] = {}
    for name in needed_columns(model):
        if CATALOG[name].dtype in ("category", "string"):
            out[name] = frame[name].astype("category")
        else:
            out[name] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _assert_as_batch(model: Model, frame: pd.DataFrame, reasons: int) -> ScoredColumns:
    batch = score_frame(model, frame, reasons=reasons)
    scored = model.score_columns(_columns(model, frame), len(frame), reasons=reasons)
    # bit for bit, negative zeros included
    np.testing.assert_array_equal(
        scored.points.view(np.int64), batch["score"].to_numpy().view(np.int64)
    )
    np.testing.assert_array_equal(scored.probability, batch["probability"].to_numpy())
    if isinstance(model, ScorecardFamily):
        assert scored.segment is not None
        assert list(scored.segment) == list(batch["segment"].astype(str))
    else:
        assert scored.segment is None
    k = min(reasons, len(model.features_))
    assert scored.reason_features.shape == (len(frame), k)
    assert scored.reason_features.dtype == np.int32
    names = np.asarray([*model.features_, None], dtype=object)
    for i in range(reasons):
        expected = (
            batch[f"reason_{i + 1}_feature"]
            .astype(object)
            .where(batch[f"reason_{i + 1}_feature"].notna(), None)
        )
        got = names[scored.reason_features[:, i]] if i < k else np.full(len(frame), None)
        assert list(got) == list(expected), f"reason {i + 1}"
        points = np.round(scored.reason_points[:, i], 2) if i < k else np.full(len(frame), np.nan)
        np.testing.assert_array_equal(points, batch[f"reason_{i + 1}_points"].to_numpy(float))
    return scored


@pytest.mark.parametrize("reasons", [0, 1, 3, 40], ids=["none", "one", "three", "more-than-k"])
def test_family_scores_columns_as_batch_scoring(
    family: ScorecardFamily, population: pd.DataFrame, reasons: int
) -> None:
    _assert_as_batch(family, population, reasons)


def test_single_scorecard_scores_columns_as_batch_scoring(
    single: Scorecard, population: pd.DataFrame
) -> None:
    _assert_as_batch(single, population, 3)


def _stable_sort_reasons(model: Model, frame: pd.DataFrame, k: int) -> npt.NDArray[np.int32]:
    """The top-k reasons by a stable sort of each segment's excess points (an independent rule)."""
    out = np.full((len(frame), k), -1, dtype=np.int32)
    if isinstance(model, ScorecardFamily):
        parts = {
            name: np.flatnonzero((frame["income_reporting"] == name).to_numpy())
            for name in model.segments_
        }
        scorecards = model.models_
    else:
        parts, scorecards = {"all": np.arange(len(frame))}, {"all": model}
    for name, rows in parts.items():
        m = scorecards[name]
        excess = m.contributions(frame.iloc[rows]) - m.reference_points_
        order = np.argsort(-excess, axis=1, kind="stable")[:, :k]
        above = np.take_along_axis(excess, order, axis=1) > 0
        local = np.asarray([model.features_.index(f) for f in m.features_])
        out[rows, : order.shape[1]] = np.where(above, local[order], -1)
    return out


@pytest.mark.parametrize("kind", ["family", "single"])
def test_ties_go_to_the_first_feature_everywhere(
    family: ScorecardFamily, single: Scorecard, population: pd.DataFrame, kind: str
) -> None:
    model = _tied(family if kind == "family" else single)
    scored = _assert_as_batch(model, population, 4)
    ranked = scored.reason_features
    ties = (scored.reason_points[:, :-1] == scored.reason_points[:, 1:]) & (ranked[:, 1:] >= 0)
    assert ties.sum() > 1_000  # the test sees ties
    assert (ranked[:, :-1][ties] < ranked[:, 1:][ties]).all()  # first feature first
    np.testing.assert_array_equal(ranked, _stable_sort_reasons(model, population, 4))
    codes = model.reason_codes(population, k=4)
    chosen = ranked.ravel()
    names = [model.features_[j] for j in chosen[chosen >= 0]]
    assert list(codes["feature"]) == names
    np.testing.assert_array_equal(
        codes["above_reference"].to_numpy(), scored.reason_points.ravel()[chosen >= 0]
    )


def test_points_probability_and_decision_agree(
    family: ScorecardFamily, population: pd.DataFrame
) -> None:
    scored = family.score_columns(_columns(family, population), len(population))
    np.testing.assert_array_equal(family.points(population), scored.points)
    np.testing.assert_array_equal(family.predict_proba(population)[:, 1], scored.probability)
    logit = family.decision_function(population)
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), scored.probability, rtol=1e-12)


def test_reason_points_are_the_excess_over_the_reference(
    single: Scorecard, population: pd.DataFrame
) -> None:
    rows = population.head(500)
    scored = single.score_columns(_columns(single, rows), len(rows), reasons=3)
    excess = single.contributions(rows) - single.reference_points_
    for r in range(len(rows)):
        expected = np.sort(excess[r][excess[r] > 0])[::-1][:3]
        got = scored.reason_points[r][scored.reason_features[r] >= 0]
        np.testing.assert_array_equal(got, expected)
        assert np.isnan(scored.reason_points[r][scored.reason_features[r] < 0]).all()


def test_an_unknown_segment_is_named(family: ScorecardFamily, population: pd.DataFrame) -> None:
    columns = _columns(family, population.head(6))
    columns["income_reporting"] = np.array(["declarative"] * 4 + ["monthly", "weekly"], object)
    with pytest.raises(
        DmdeError,
        match=r"^2 rows have a income_reporting with no model \(monthly, weekly\): the model "
        r"file has models for declarative, prefilled\.$",
    ):
        family.score_columns(columns, 6)


def test_no_rows(family: ScorecardFamily, population: pd.DataFrame) -> None:
    scored = family.score_columns(_columns(family, population.head(0)), 0, reasons=2)
    assert scored.points.shape == (0,) and scored.reason_features.shape == (0, 2)


@pytest.mark.parametrize("reasons", [-1, 1.5, True, "3"], ids=["negative", "float", "bool", "str"])
def test_bad_reasons(family: ScorecardFamily, population: pd.DataFrame, reasons: object) -> None:
    with pytest.raises(
        ParameterError, match=r"^reasons must be an int in the range \[0, inf\); got "
    ):
        family.score_columns(_columns(family, population.head(2)), 2, reasons=reasons)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("excess", "k", "index", "value"),
    [
        ([[1.0, 3.0, 3.0, -2.0]], 3, [[1, 2, 0]], [[3.0, 3.0, 1.0]]),
        ([[0.0, -1.0]], 2, [[-1, -1]], [[np.nan, np.nan]]),
        ([[2.0, 2.0], [0.5, 1.0]], 1, [[0], [1]], [[2.0], [1.0]]),
        ([[1.0]], 0, np.empty((1, 0)), np.empty((1, 0))),
    ],
    ids=["tie-first", "nothing-above", "per-row", "k-zero"],
)
def test_top_reasons(excess: list[list[float]], k: int, index: object, value: object) -> None:
    got_index, got_value = top_reasons(np.asarray(excess, dtype=np.float64), k)
    np.testing.assert_array_equal(got_index, np.asarray(index))
    np.testing.assert_array_equal(got_value, np.asarray(value))
