"""The audit's statistical options, checked once: :class:`AuditSettings`.

An audit is run with a handful of choices that change its figures: the reference group of each
attribute, whether pairs of attributes are audited, the band of ratios worth flagging, the
number of bootstrap resamples and their seed, the smallest group shown, the test level, the
multiple-comparison correction and the rows sampled for the proxy models. They are held by one
frozen :class:`AuditSettings`, which refuses a value out of range when it is made (an
:class:`AuditSettingsError` naming the option, what it accepts and the value received), and is
passed as ``settings=`` through :func:`dmde.audit.run.audit`,
:func:`dmde.audit.inputs.audit_files` and :func:`dmde.audit.inputs.audit_table`;
:func:`dmde.audit.metrics.audit_groups` builds it from its keywords.

This module also holds :class:`AuditError`, the error of every audit module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dmde.core.errors import DmdeError, ParameterError, UsageError

__all__ = ["CORRECTIONS", "AuditError", "AuditSettings", "AuditSettingsError"]

#: The multiple-comparison corrections offered, and what each controls.
CORRECTIONS: dict[str, str] = {
    "holm": "Holm (1979) step-down, controls the family-wise error rate",
    "bh": "Benjamini-Hochberg (1995) step-up, controls the false discovery rate",
}


class AuditError(DmdeError, ValueError):
    """The inputs or parameters of an audit are not usable; the message says how to fix them."""


class AuditOptionError(AuditError, UsageError):
    """Options of an audit that name nothing or do not go together (a usage error: exit 2)."""


class AuditParameterError(AuditError, ParameterError):
    """A parameter of an audit function is outside what it accepts (a usage error: exit 2).

    The message reads "selected must be booleans; got an array of float64. Pass ...", naming
    the parameter (the command line names its flag instead).
    """


class AuditSettingsError(AuditParameterError):
    """An option of :class:`AuditSettings` is out of its range (a usage error: exit code 2).

    The message reads "n_boot must be an int >= 10; got 2. Pass e.g. n_boot=1000." (the command
    line names the flag instead: ``--n-boot``).

    Attributes
    ----------
    parameter : str
        The option (a field of :class:`AuditSettings`).
    rule : str
        What it accepts.
    value : object
        The value received.
    """

    def __init__(self, parameter: str, rule: str, value: object, fix: str) -> None:
        ParameterError.__init__(self, parameter, rule, value, fix=fix)

    @property
    def parameter(self) -> str:
        return self.param

    @property
    def rule(self) -> str:
        return self.expected

    @property
    def value(self) -> object:
        return self.got


def _is_int(value: object, least: int) -> bool:
    return bool(
        isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= least
    )


def _is_band(value: object) -> bool:
    try:
        low, high = (float(b) for b in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False
    return 0 < low < 1 < high


def _is_reference(value: object) -> bool:
    return value is None or (
        isinstance(value, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )


def _is_alpha(value: object) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool) and 0 < value < 1


#: Each option's check, what it accepts (in words) and an example: the data behind every message.
_CONSTRAINTS: dict[str, tuple[Callable[[object], bool], str, str]] = {
    "reference": (
        _is_reference,
        "None or a dict of attribute to group, both str",
        'Pass e.g. reference={"gender": "female"}.',
    ),
    "intersections": (
        lambda v: isinstance(v, bool),
        "a bool",
        "Pass intersections=True (pairs of attributes) or False.",
    ),
    "band": (
        _is_band,
        "a pair (low, high) with 0 < low < 1 < high",
        "Pass e.g. band=(0.8, 1.25) (the four-fifths rule and its inverse).",
    ),
    "n_boot": (lambda v: _is_int(v, 10), "an int >= 10", "Pass e.g. n_boot=1000."),
    "seed": (lambda v: _is_int(v, 0), "an int >= 0", "Pass e.g. seed=0."),
    "min_cell": (lambda v: _is_int(v, 1), "an int >= 1", "Pass e.g. min_cell=30."),
    "alpha": (_is_alpha, "a float in (0, 1)", "Pass e.g. alpha=0.05."),
    "correction": (
        lambda v: v in CORRECTIONS,
        f"one of {sorted(CORRECTIONS)}",
        "Pass correction='holm' (family-wise) or 'bh' (false discovery rate).",
    ),
    "proxy_rows": (lambda v: _is_int(v, 100), "an int >= 100", "Pass e.g. proxy_rows=20000."),
}


@dataclass(frozen=True)
class AuditSettings:
    """The statistical options of an audit, validated when made.

    Parameters
    ----------
    reference : dict of str to str, optional
        Reference group per attribute, e.g. ``{"gender": "male"}``. Default: the largest group
        by weight (or, for dmde's own files, the declared reference of each attribute).
    intersections : bool, default True
        Also audit every pair of attributes (``"gender × nationality_group"``).
    band : (low, high), default (0.8, 1.25)
        A ratio to the reference outside ``[low, high]`` is a disparity worth flagging.
    n_boot : int, default 1000
        Bootstrap resamples (of cells: see :mod:`dmde.audit.metrics`); at least 10.
    seed : int, default 0
        Seed of the bootstrap and of the proxies' sample; the same inputs and seed give
        identical results.
    min_cell : int, default 30
        Metrics computed from fewer rows are suppressed (NaN) and never tested.
    alpha : float, default 0.05
        Test level; intervals are at level ``1 - alpha``.
    correction : {"holm", "bh"}, default "holm"
        Multiple-comparison correction over every tested disparity (:data:`CORRECTIONS`).
    proxy_rows : int, default 20,000
        Rows (a seeded random sample) for the proxy models and the exclusion proof.

    Raises
    ------
    AuditSettingsError
        If an option is out of its range; the message names it, what it accepts and the value.

    Examples
    --------
    >>> AuditSettings(n_boot=200).n_boot
    200
    >>> AuditSettings(alpha=2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dmde.audit.settings.AuditSettingsError: alpha must be a float in (0, 1); got 2.0. Pass e.g. ...
    """

    reference: Mapping[str, str] | None = None
    intersections: bool = True
    band: tuple[float, float] = (0.8, 1.25)
    n_boot: int = 1000
    seed: int = 0
    min_cell: int = 30
    alpha: float = 0.05
    correction: str = "holm"
    proxy_rows: int = 20_000

    def __post_init__(self) -> None:
        for name, (check, rule, fix) in _CONSTRAINTS.items():
            value = getattr(self, name)
            if not check(value):
                raise AuditSettingsError(name, rule, value, fix)
        low, high = (float(b) for b in self.band)
        object.__setattr__(self, "band", (low, high))
        if self.reference is not None:
            object.__setattr__(self, "reference", dict(self.reference))

    def options(self) -> dict[str, Any]:
        """The options as a dict, in the order of the fields (JSON-ready but for tuples)."""
        return {name: getattr(self, name) for name in _CONSTRAINTS}
