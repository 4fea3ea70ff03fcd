"""Declared parameter constraints of the data and batch layers, and the one checker that applies
them.

A function declares what each keyword accepts as data, as scikit-learn's estimators do in
``_parameter_constraints``, with this module's constraint objects: :class:`Range` (an interval
that refuses booleans), :class:`StrOptions`, :class:`InstanceOf`, a type, ``"boolean"`` or None.
:func:`check_parameters` checks the values against them and raises a
:class:`~dmde.core.errors.ParameterError` whose message names the parameter exactly as the
Python keyword, the rule in words, the value received and the fix: "random_share must be a float
in the range [0.0, 1.0); got 1.5. ...". The command line names the flag instead
(``--random-share``), from the error's ``param``. Rules that depend on the data (a budget of at
most the number of files) raise the same error through :func:`bad_parameter`.

The constraints are dmde's own, worded as scikit-learn words them, so that checking a parameter
does not import scikit-learn (``dmde score`` never does). A :class:`Range` made once
scikit-learn is loaded (in an estimator's ``_parameter_constraints``, whose module imports it
first) is also a scikit-learn ``Interval``, which the estimators' ``_validate_params`` requires.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np

from dmde.core.errors import ParameterError

__all__ = ["InstanceOf", "Range", "StrOptions", "bad_parameter", "check_parameters", "shown"]

Closed = Literal["left", "right", "both", "neither"]


class _Constraint:
    """A rule a parameter's value may satisfy, and its description in words."""

    hidden = False

    def is_satisfied_by(self, val: Any) -> bool:
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


class Range(_Constraint):
    """An interval of numbers of one type (``Integral`` or ``Real``) that refuses booleans
    (``True`` is a number in Python) and NaN; None for an unbounded side (infinity, included
    only if that side is closed).

    Worded and decided as scikit-learn's ``Interval`` (a real type accepts integers).

    Examples
    --------
    >>> Range(Integral, 0, None, closed="left").is_satisfied_by(True)
    False
    >>> str(Range(Real, 0, 1, closed="right"))
    'a float in the range (0.0, 1.0]'
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Range:
        # In an estimator's constraints (scikit-learn loaded), also a scikit-learn Interval.
        if cls is Range and "sklearn.utils._param_validation" in sys.modules:
            return super().__new__(_sklearn_range())
        return super().__new__(cls)

    def __init__(
        self, type: type, left: float | None, right: float | None, *, closed: Closed
    ) -> None:
        if type not in (Integral, Real):
            raise TypeError(f"type must be Integral or Real; got {type!r}.")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(
                f"closed must be 'left', 'right', 'both' or 'neither'; got {closed!r}."
            )
        self.type = type
        self.left = left
        self.right = right
        self.closed = closed

    def is_satisfied_by(self, val: Any) -> bool:
        if isinstance(val, bool) or not isinstance(val, self.type):
            return False
        return self._contains(val)

    def _contains(self, number: Any) -> bool:
        if not isinstance(number, Integral) and math.isnan(number):
            return False
        left = -math.inf if self.left is None else self.left  # an open side refuses inf
        right = math.inf if self.right is None else self.right
        if number < left if self.closed in ("left", "both") else number <= left:
            return False
        return not (number > right if self.closed in ("right", "both") else number >= right)

    def __str__(self) -> str:
        integral = self.type is Integral
        left: object = "-inf" if self.left is None else self.left
        right: object = "inf" if self.right is None else self.right
        if not integral and self.left is not None:
            left = float(self.left)
        if not integral and self.right is not None:
            right = float(self.right)
        opening = "[" if self.closed in ("left", "both") else "("
        closing = "]" if self.closed in ("right", "both") else ")"
        kind = "an int" if integral else "a float"
        return f"{kind} in the range {opening}{left}, {right}{closing}"


_SKLEARN_RANGE: list[type[Range]] = []


def _sklearn_range() -> type[Range]:
    """:class:`Range` as a scikit-learn ``Interval`` too (made once, when first needed)."""
    if not _SKLEARN_RANGE:
        from sklearn.utils._param_validation import Interval

        class SklearnRange(Range, Interval):  # type: ignore[misc]
            """A :class:`Range` that scikit-learn's parameter validation accepts."""

            def __init__(
                self, type: type, left: float | None, right: float | None, *, closed: Closed
            ) -> None:
                Interval.__init__(self, type, left, right, closed=closed)
                Range.__init__(self, type, left, right, closed=closed)

            is_satisfied_by = Range.is_satisfied_by
            __str__ = Range.__str__

        SklearnRange.__name__ = SklearnRange.__qualname__ = "Range"
        _SKLEARN_RANGE.append(SklearnRange)
    return _SKLEARN_RANGE[0]


class StrOptions(_Constraint):
    """One of a set of strings, listed in sorted order (the same every run).

    Examples
    --------
    >>> str(StrOptions({"reject", "raise"}))
    "a str among {'raise', 'reject'}"
    """

    def __init__(self, options: set[str]) -> None:
        self.options = set(options)

    def is_satisfied_by(self, val: Any) -> bool:
        return isinstance(val, str) and val in self.options

    def __str__(self) -> str:
        return f"a str among {{{', '.join(repr(o) for o in sorted(self.options))}}}"


class InstanceOf(_Constraint):
    """An instance of a type, described in plain words (or as scikit-learn names the type).

    Examples
    --------
    >>> from collections.abc import Mapping
    >>> rule = InstanceOf(Mapping, "a mapping (a dict)")
    >>> rule.is_satisfied_by({}), str(rule)
    (True, 'a mapping (a dict)')
    >>> str(InstanceOf(str))
    "an instance of 'str'"
    """

    def __init__(self, kind: type, words: str | None = None) -> None:
        self.type = kind
        self.words = words if words is not None else f"an instance of {_type_name(kind)!r}"

    def is_satisfied_by(self, val: Any) -> bool:
        return isinstance(val, self.type)

    def __str__(self) -> str:
        return self.words


class _Anything(_Constraint):
    """Any of several rules (``"boolean"``: a ``bool`` or a ``numpy.bool``)."""

    def __init__(self, *rules: _Constraint) -> None:
        self.rules = rules

    def is_satisfied_by(self, val: Any) -> bool:
        return any(rule.is_satisfied_by(val) for rule in self.rules)

    def __str__(self) -> str:
        words = [str(rule) for rule in self.rules]
        return f"{', '.join(words[:-1])} or {words[-1]}"


class _IsNone(_Constraint):
    def is_satisfied_by(self, val: Any) -> bool:
        return val is None

    def __str__(self) -> str:
        return "None"


def _type_name(kind: type) -> str:
    """A type as scikit-learn names it: ``str``, ``int``, ``pandas.DataFrame``."""
    if kind.__module__ == "builtins":
        return kind.__qualname__
    if kind is Real:
        return "float"
    if kind is Integral:
        return "int"
    return f"{kind.__module__}.{kind.__qualname__}"


def _constraint(declared: Any) -> Any:
    """A declared constraint as a rule: a rule itself, a type, ``"boolean"`` or None."""
    if declared is None:
        return _IsNone()
    if isinstance(declared, type):
        return InstanceOf(declared)
    if isinstance(declared, str) and declared == "boolean":
        return _Anything(InstanceOf(bool), InstanceOf(np.bool_))
    if hasattr(declared, "is_satisfied_by"):  # this module's, or scikit-learn's
        return declared
    raise TypeError(f"unknown parameter constraint: {declared!r}.")


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
        For each parameter, what it accepts: :class:`Range`, :class:`StrOptions`,
        :class:`InstanceOf` or a type, ``"boolean"``, None; the value must satisfy one of them.
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
        options = [_constraint(c) for c in constraints[name]]
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
