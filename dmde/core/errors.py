"""Exceptions raised by dmde.

Every exception subclasses :class:`DmdeError` and a built-in exception, so that callers can catch
either ``DmdeError`` (anything dmde refuses) or the built-in (``ValueError`` for bad values).
Messages name the parameter, column or file, the rule, the value received and what to do.
"""

from __future__ import annotations

__all__ = ["DmdeError", "PolicyError", "SchemaError"]


class DmdeError(Exception):
    """Base class of every error that dmde raises on purpose."""


class PolicyError(DmdeError, ValueError):
    """A column or family was asked for that the feature policy does not allow."""


class SchemaError(DmdeError, ValueError):
    """A data file does not match the catalog.

    The message lists every problem found. The structured list is in ``problems`` (see
    :class:`dmde.data.datasets.Problem`) and the file in ``path``.
    """

    def __init__(self, message: str, *, path: str = "", problems: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.problems = problems
