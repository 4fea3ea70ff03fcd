"""Points scaling: the textbook formula that turns log-odds into published points.

A scorecard publishes its model as points. The score of a file is the sum of its points, and it is
an affine function of the log-odds of an overpayment:

    score = offset + factor * ln(odds),   factor = pdo / ln 2,
    offset = base_points - factor * ln(base_odds)

so a file whose odds are ``base_odds`` scores ``base_points``, and every ``pdo`` points double the
odds. Higher scores mean higher risk (the agency checks the highest scores first), unlike credit
scores where higher means safer.

These are small pure functions of numbers; :mod:`dmde.model.scorecard` applies them to a fitted
logistic regression on weight-of-evidence features.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import numpy.typing as npt

from dmde.data.parameters import Range, check_parameters

__all__ = ["PointsScaling"]

FloatArray = npt.NDArray[np.float64]

# Declared as the estimators declare theirs; a bad value is a ParameterError naming it.
_CONSTRAINTS: dict[str, list[Any]] = {
    "base_points": [Range(Real, None, None, closed="neither")],  # finite
    "base_odds": [Range(Real, 0, None, closed="neither")],
    "pdo": [Range(Real, 0, None, closed="neither")],
    "decimals": [Range(Integral, 0, 6, closed="both")],
}


@dataclass(frozen=True)
class PointsScaling:
    """How log-odds become points (PDO scaling).

    Parameters
    ----------
    base_points : float, default 500
        The score of a file whose odds of an overpayment are ``base_odds``.
    base_odds : float, default 1/19
        Odds ``p / (1 - p)`` at ``base_points``: 1/19 is a probability of 5%.
    pdo : float, default 20
        Points to double the odds.
    decimals : int, default 2
        Points are published rounded to this many decimals; the score and the probability are
        computed from the rounded points, so they always agree with the published table.

    Raises
    ------
    ParameterError
        A value out of its range (``pdo`` and ``base_odds`` above 0, ``base_points`` finite,
        ``decimals`` from 0 to 6), named in the message and in the error's ``param``.

    Examples
    --------
    >>> s = PointsScaling()
    >>> round(s.factor, 4)
    28.8539
    >>> float(s.score(np.log(1 / 19)))
    500.0
    >>> float(s.score(np.log(2 / 19)))  # twice the odds: pdo more points
    520.0
    >>> round(float(s.probability(500.0)), 4)
    0.05
    """

    base_points: float = 500.0
    base_odds: float = 1 / 19
    pdo: float = 20.0
    decimals: int = 2

    def __post_init__(self) -> None:
        check_parameters(_CONSTRAINTS, {name: getattr(self, name) for name in _CONSTRAINTS})

    @property
    def factor(self) -> float:
        """Points per unit of log-odds: ``pdo / ln 2``."""
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        """The score of log-odds 0 (even odds)."""
        return self.base_points - self.factor * math.log(self.base_odds)

    def score(self, logit: npt.ArrayLike) -> FloatArray:
        """Points of log-odds ``logit`` (not rounded)."""
        return np.asarray(self.offset + self.factor * np.asarray(logit, dtype=float))

    def logit(self, score: npt.ArrayLike) -> FloatArray:
        """Log-odds of a score: the inverse of :meth:`score`."""
        return np.asarray((np.asarray(score, dtype=float) - self.offset) / self.factor)

    def probability(self, score: npt.ArrayLike) -> FloatArray:
        """Probability of an overpayment at a score: the logistic of :meth:`logit`."""
        return np.asarray(1.0 / (1.0 + np.exp(-self.logit(score))))

    def intercept_points(self, intercept: float) -> float:
        """Published points of the intercept: ``offset + factor * intercept``, rounded."""
        return round(float(self.offset + self.factor * intercept), self.decimals)

    def bin_points(self, coefficient: float, woe: npt.ArrayLike) -> FloatArray:
        """Published points of each bin of a feature: ``factor * coefficient * woe``, rounded."""
        raw = self.factor * coefficient * np.asarray(woe, dtype=float)
        return np.asarray(np.round(raw, self.decimals) + 0.0)  # + 0.0: no negative zeros

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {
            "base_points": self.base_points,
            "base_odds": self.base_odds,
            "pdo": self.pdo,
            "decimals": self.decimals,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PointsScaling:
        """Rebuild from :meth:`to_dict` output (re-checked)."""
        return cls(
            base_points=float(data["base_points"]),
            base_odds=float(data["base_odds"]),
            pdo=float(data["pdo"]),
            decimals=int(data["decimals"]),
        )
