"""Declared parameter constraints of the model layer, and the one checker that applies them.

The estimators (:class:`~dmde.model.binning.WoEBinning`, :class:`~dmde.model.scorecard.Scorecard`,
:class:`~dmde.model.scorecard.ScorecardFamily`) declare their parameters as scikit-learn does, in
``_parameter_constraints``; the points scaling, the training functions and the scoring methods'
keyword arguments declare theirs the same way and are checked by :func:`check_parameters`. Every
bad value thus raises scikit-learn's ``InvalidParameterError`` (a ``ValueError``) with one
message form, naming the parameter, the rule and the value: "The 'C' parameter of Scorecard must
be a float in the range (0.0, inf). Got -1.0 instead." The command line maps the parameter to
its flag (:func:`dmde.core.errors.command_line_message`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sklearn.utils._param_validation import Interval, validate_parameter_constraints

__all__ = ["Range", "check_parameters"]


class Range(Interval):  # type: ignore[misc]
    """A scikit-learn :class:`Interval` that refuses booleans (``True`` is a number in Python).

    Examples
    --------
    >>> from numbers import Integral, Real
    >>> Range(Integral, 1, None, closed="left").is_satisfied_by(True)
    False
    >>> str(Range(Real, 0, 0.5, closed="both"))
    'a float in the range [0.0, 0.5]'
    """

    def is_satisfied_by(self, val: Any) -> bool:
        return not isinstance(val, bool) and bool(super().is_satisfied_by(val))


def check_parameters(
    constraints: Mapping[str, list[Any]], values: Mapping[str, Any], *, caller: str
) -> None:
    """Check ``values`` against declared ``constraints`` (scikit-learn's checker and message).

    Raises
    ------
    InvalidParameterError
        scikit-learn's (a ``ValueError`` and a ``TypeError``), naming the first bad parameter.

    Examples
    --------
    >>> from numbers import Integral
    >>> check_parameters({"cv": [Range(Integral, 2, None, closed="left")]}, {"cv": 1},
    ...                  caller="evaluate")
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'cv' parameter of evaluate must be an int in the range [2, inf). Got 1 instead.
    """  # noqa: E501
    validate_parameter_constraints(dict(constraints), dict(values), caller_name=caller)
