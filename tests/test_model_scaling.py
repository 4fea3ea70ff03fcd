"""Points scaling: the textbook formula, exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmde.core.errors import DmdeError, ParameterError
from dmde.model.scaling import PointsScaling


@pytest.mark.parametrize(
    ("base_points", "base_odds", "pdo", "logit", "expected"),
    [
        (500, 1 / 19, 20, math.log(1 / 19), 500.0),
        (500, 1 / 19, 20, math.log(2 / 19), 520.0),
        (500, 1 / 19, 20, math.log(4 / 19), 540.0),
        (500, 1 / 19, 20, math.log(1 / 38), 480.0),
        (600, 1 / 50, 50, math.log(1 / 50), 600.0),
        (600, 1 / 50, 50, math.log(2 / 50), 650.0),
    ],
    ids=["base", "double", "quadruple", "half", "other-base", "other-double"],
)
def test_points_double_the_odds_every_pdo(
    base_points: float, base_odds: float, pdo: float, logit: float, expected: float
) -> None:
    scaling = PointsScaling(base_points=base_points, base_odds=base_odds, pdo=pdo)
    assert float(scaling.score(logit)) == pytest.approx(expected, abs=1e-9)
    assert scaling.factor == pytest.approx(pdo / math.log(2))


@given(st.floats(min_value=-20, max_value=20, allow_nan=False))
def test_logit_inverts_score(logit: float) -> None:
    scaling = PointsScaling()
    assert float(scaling.logit(scaling.score(logit))) == pytest.approx(logit, abs=1e-9)
    p = float(scaling.probability(scaling.score(logit)))
    assert p == pytest.approx(1 / (1 + math.exp(-logit)), rel=1e-9, abs=1e-12)


def test_points_are_rounded_and_add_up() -> None:
    scaling = PointsScaling(decimals=2)
    woe = np.array([-0.5, 0.0, 0.31234, 1.2])
    points = scaling.bin_points(0.8, woe)
    np.testing.assert_array_equal(points, np.round(scaling.factor * 0.8 * woe, 2))
    assert not np.signbit(points[1])  # no "-0.0" in a published table
    assert scaling.intercept_points(-3.0) == round(scaling.offset - 3.0 * scaling.factor, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pdo": 0}, r"^pdo must be a float in the range \(0\.0, inf\); got 0\.$"),
        ({"base_odds": -1}, r"^base_odds must be a float in the range \(0\.0, inf\); got -1\.$"),
        ({"base_odds": math.inf}, r"^base_odds must be .*; got inf\.$"),
        (
            {"base_points": math.inf},
            r"^base_points must be a float in the range \(-inf, inf\); got inf",
        ),
        ({"base_points": math.nan}, r"^base_points must be .*; got nan\.$"),
        ({"decimals": 9}, r"^decimals must be an int in the range \[0, 6\]; got 9\.$"),
        ({"decimals": True}, r"^decimals must be .*; got True\.$"),
        ({"pdo": "20"}, r"^pdo must be .*; got '20'\.$"),
    ],
    ids=["pdo", "base-odds", "infinite-odds", "base-points", "nan", "decimals", "bool", "text"],
)
def test_bad_scaling(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ParameterError, match=message) as raised:
        PointsScaling(**kwargs)  # type: ignore[arg-type]
    assert raised.value.param == next(iter(kwargs))
    assert isinstance(raised.value, DmdeError) and isinstance(raised.value, ValueError)


def test_round_trip() -> None:
    scaling = PointsScaling(base_points=600, base_odds=0.02, pdo=40, decimals=1)
    assert PointsScaling.from_dict(scaling.to_dict()) == scaling
