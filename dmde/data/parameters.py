"""Declared parameter constraints of the data and batch layers, and the one checker that applies
them.

A function declares what each keyword accepts as data, with scikit-learn's constraint objects
(as the estimators do in ``_parameter_constraints``): :class:`Range` (an interval that refuses
booleans), ``StrOptions``, a type, or None. :func:`check_parameters` checks the values against
them and raises a :class:`~dmde.core.errors.ParameterError` whose message names the parameter
exactly as the Python keyword, the rule in words, the value received and the fix:
"random_share must be a float in the range [0.0, 1.0); got 1.5. ...". The command line names the
flag instead (``--random-share``), from the error's ``param``. Rules that depend on the data
(a budget of at most the number of files) raise the same error through :func:`bad_parameter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    _Constraint,
    _InstancesOf,
    make_constraint,
)
from sklearn.utils._param_validation import StrOptions as _StrOptions

from dmde.core.errors import ParameterError

__all__ = ["InstanceOf", "Range", "StrOptions", "bad_parameter", "check_parameters", "shown"]


class Range(Interval):  # type: ignore[misc]
    """A scikit-learn ``Interval`` that refuses booleans (``True`` is a number in Python).

    Examples
    --------
    >>> from numbers import Integral, Real
    >>> Range(Integral, 0, None, closed="left").is_satisfied_by(True)
    False
    >>> str(Range(Real, 0, 1, closed="right"))
    'a float in the range (0.0, 1.0]'
    """

    def is_satisfied_by(self, val: Any) -> bool:
        return not isinstance(val, bool) and bool(super().is_satisfied_by(val))


class StrOptions(_StrOptions):  # type: ignore[misc]
    """scikit-learn's ``StrOptions``, its options listed in sorted order (the same every run).

    Examples
    --------
    >>> str(StrOptions({"reject", "raise"}))
    "a str among {'raise', 'reject'}"
    """

    def __str__(self) -> str:
        return f"a str among {{{', '.join(repr(o) for o in sorted(self.options))}}}"


class InstanceOf(_InstancesOf):  # type: ignore[misc]
    """scikit-learn's type constraint, described in plain words rather than by the type's path.

    Examples
    --------
    >>> from collections.abc import Mapping
    >>> rule = InstanceOf(Mapping, "a mapping (a dict)")
    >>> rule.is_satisfied_by({}), str(rule)
    (True, 'a mapping (a dict)')
    """

    def __init__(self, kind: type, words: str) -> None:
        super().__init__(kind)
        self.words = words

    def __str__(self) -> str:
        return self.words


def check_parameters(
    constraints: Mapping[str, list[Any]],
    values: Mapping[str, Any],
    *,
    fixes: Mapping[str, str] | None = None,
    error: type[ParameterError] = ParameterError,
) -> None:
    """Check each of ``values`` against its declared ``constraints``, in the order given.

    Parameters
    ----------
    constraints : mapping of str to list
        For each parameter, what it accepts: scikit-learn constraints (an ``Interval`` or
        :class:`Range`, ``StrOptions``, :class:`InstanceOf` or a type, None); the value must
        satisfy one of them.
    values : mapping of str to object
        The values received, by parameter name.
    fixes : mapping of str to str, optional
        What to do, by parameter name (the last sentence of the message).
    error : subclass of ParameterError, default ParameterError
        The class raised (a module's own, so that its callers can catch it).

    Raises
    ------
    ParameterError
        At the first value that satisfies none of its constraints.

    Examples
    --------
    >>> from numbers import Real
    >>> check_parameters({"share": [Range(Real, 0, 1, closed="right"), None]}, {"share": 0})
    Traceback (most recent call last):
    ...
    dmde.core.errors.ParameterError: share must be a float in the range (0.0, 1.0] or None; got 0.
    """
    for name, value in values.items():
        options = [
            c if isinstance(c, _Constraint) else make_constraint(c) for c in constraints[name]
        ]
        if any(option.is_satisfied_by(value) for option in options):
            continue
        shown_options = [str(o) for o in options if not getattr(o, "hidden", False)]
        expected = (
            shown_options[0]
            if len(shown_options) == 1
            else f"{', '.join(shown_options[:-1])} or {shown_options[-1]}"
        )
        raise error(name, expected, shown(value), fix=(fixes or {}).get(name, ""))


def bad_parameter(
    name: str,
    expected: str,
    value: object,
    fix: str = "",
    *,
    error: type[ParameterError] = ParameterError,
    got: str | None = None,
) -> ParameterError:
    """The error for a rule that depends on the data, in the checker's message form.

    ``got`` describes the value in words when its repr would not do ("an array of float64").

    Examples
    --------
    >>> print(bad_parameter("budget", "an int in the range [0, 40]", 41, "Lower it."))
    budget must be an int in the range [0, 40]; got 41. Lower it.
    """
    return error(name, expected, shown(value) if got is None else _Named(got), fix=fix)


def shown(value: object) -> object:
    """A value as a message shows it: numpy scalars as the Python numbers they hold.

    Examples
    --------
    >>> import numpy as np
    >>> shown(np.int64(3)), shown("x")
    (3, 'x')
    """
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Named:
    """A value shown by a description rather than its repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text
