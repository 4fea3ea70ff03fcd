"""Exceptions raised by dmde, and how the command line says them.

Every exception dmde raises on purpose is a :class:`DmdeError`, which is a ``ValueError``: callers
can catch either. Messages name the parameter, column or file, the rule, the value received and
what to do.

Each error carries its exit code for the command line (as click's exceptions do):

- ``1`` (:class:`DmdeError`): the inputs are refused: a file is missing, unreadable or does not
  match, or the data cannot satisfy what was asked.
- ``2`` (:class:`UsageError`, :class:`ParameterError`): the command line itself is wrong: a value
  out of its range, a missing option, or options that do not go together.

:func:`command_line_message` turns any user error, including scikit-learn's parameter errors,
into the one line the command prints, naming the flag as it is typed (``--random-share``) rather
than the Python parameter (``random_share``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "EXIT_DATA",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "DmdeError",
    "ParameterError",
    "PolicyError",
    "SchemaError",
    "UsageError",
    "command_line_message",
]

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class DmdeError(ValueError):
    """Base class of every error that dmde raises on purpose (exit code 1: refused input)."""

    exit_code = EXIT_DATA


class UsageError(DmdeError):
    """The options asked for cannot work together, or one is missing (exit code 2)."""

    exit_code = EXIT_USAGE


class ParameterError(UsageError):
    """One parameter's value is outside what it accepts (exit code 2).

    The message is built from its parts so that the command line can name the flag instead of
    the Python parameter.

    Parameters
    ----------
    param : str
        The Python parameter, as the function spells it (``random_share``).
    expected : str
        What it accepts, to follow "must be" (``"a number in [0, 1)"``).
    got : object
        The value received.
    fix : str, default=""
        What to do, as a sentence.
    """

    def __init__(self, param: str, expected: str, got: object, *, fix: str = "") -> None:
        self.param, self.expected, self.got, self.fix = param, expected, got, fix
        super().__init__(self.say(param))

    def say(self, name: str) -> str:
        """The message with the parameter called ``name`` (e.g. its command-line flag)."""
        got = (
            f"{self.got:,}"
            if isinstance(self.got, int) and not isinstance(self.got, bool)
            else (repr(self.got))
        )
        return f"{name} must be {self.expected}; got {got}." + (f" {self.fix}" if self.fix else "")


class PolicyError(DmdeError):
    """A column or family was asked for that the feature policy does not allow."""


class SchemaError(DmdeError):
    """A data file does not match the catalog.

    The message lists every problem found. The structured list is in ``problems`` (see
    :class:`dmde.data.datasets.Problem`) and the file in ``path``.
    """

    def __init__(self, message: str, *, path: str = "", problems: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.problems = problems


# scikit-learn's declared constraints (InvalidParameterError) say, and some of dmde's checks too:
# "The 'C' parameter of Scorecard must be a float in the range (0.0, inf). Got -1.0 instead."
_PARAMETER_SENTENCE = re.compile(
    r"^The '(?P<param>\w+)'(?: or '(?P<other>\w+)')? parameter of \w+ must "
    r"(?P<verb>be|end in|name) (?P<expected>.+?)\.\s+"
    r"Got (?P<got>.+?)(?: instead)?\.(?=\s|$)(?P<rest>.*)$",
    re.DOTALL,
)
# A message that opens with a parameter and says what it must be: "cv must be at least 2 folds".
_OPENS_WITH_RULE = re.compile(r"^(?P<param>\w+)(?: '[^']*'| \S+)? must (?:be|name)\b")


def _is_sklearn_parameter_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return type(exc).__name__ == "InvalidParameterError" and module.startswith("sklearn.")


def command_line_message(exc: BaseException, flags: Mapping[str, str]) -> tuple[str, int] | None:
    """The one line a command prints for a user error, and its exit code; None if not one.

    Parameters are named by their flag: a :class:`ParameterError` by its ``param``; a message in
    scikit-learn's form ("The 'C' parameter of Scorecard must be ... Got ... instead.") is
    rewritten; a message that opens with a parameter's name, or says ``name=value``, names the
    flag. A message that says what a parameter must be is a usage error (exit 2) whatever its
    class; other :class:`DmdeError` use their ``exit_code``; an ``OSError`` is refused input (1).

    Parameters
    ----------
    exc : BaseException
        The error raised while running the command.
    flags : mapping of str to str
        Python parameter name to the flag the user types (``{"random_share": "--random-share"}``).

    Returns
    -------
    (str, int) or None
        The message on one line and the exit code; None for an error that is not the user's (a
        bug, which the caller lets surface).
    """
    if isinstance(exc, ParameterError):
        said = _flags_for_parameters(exc.say(flags.get(exc.param, exc.param)), flags)
        return _one_line(said), exc.exit_code
    if not (isinstance(exc, DmdeError | OSError) or _is_sklearn_parameter_error(exc)):
        return None
    if isinstance(exc, OSError) and not isinstance(exc, DmdeError):
        return _one_line(_os_message(exc)), EXIT_DATA
    raw = str(exc).strip()
    found = _PARAMETER_SENTENCE.match(_one_line(raw))
    if found is not None:
        return _parameter_sentence(found, flags), EXIT_USAGE
    opens = _OPENS_WITH_RULE.match(raw)
    usage = opens is not None and opens["param"] in flags
    code = EXIT_USAGE if usage else getattr(exc, "exit_code", EXIT_USAGE)
    return _flags_for_parameters(_one_line(_problems_in_one_line(raw)), flags), code


_SHOWN_PROBLEMS = 3  # problems of a file said on the command line; validate lists them all


def _problems_in_one_line(raw: str) -> str:
    """A file's list of problems ("x.csv: 2 problems" then "  - ..." lines) as one line.

    One problem reads "x.csv: <problem>"; several, "x.csv: 2 problems: <first>; <second>",
    the first three, then how many more and where to see them all.
    """
    head, *rest = [line.strip() for line in raw.splitlines() if line.strip()]
    found = re.match(r"^(?P<file>.+): (?P<n>[\d,]+) problems?(?: in .*)?$", head)
    if found is None or not rest or not all(line.startswith("- ") for line in rest):
        return raw
    items = [line[2:] for line in rest]  # as validate words them, the rule named
    if len(items) == 1:
        return f"{found['file']}: {items[0]}"
    shown = items[:_SHOWN_PROBLEMS]
    more = len(items) - len(shown)
    tail = f"; and {more} more (run 'dmde validate {found['file']}' to see them)" if more else ""
    return f"{found['file']}: {len(items)} problems: {'; '.join(shown)}{tail}"


def _parameter_sentence(found: re.Match[str], flags: Mapping[str, str]) -> str:
    names = [found["param"], *([found["other"]] if found["other"] else [])]
    subject = " or ".join(flags.get(n, n) for n in names)

    def quoted(m: re.Match[str]) -> str:
        return flags.get(m[1], m[0])

    expected = re.sub(r"'(\w+)'", quoted, found["expected"])
    rest = re.sub(r"'(\w+)'", quoted, re.sub(r"\s*Correct \w+\.", "", found["rest"]))
    text = f"{subject} must {found['verb']} {expected}; got {found['got']}. {rest.strip()}"
    return _flags_for_parameters(text.strip(), flags)


def _flags_for_parameters(text: str, flags: Mapping[str, str]) -> str:
    """A message that opens with a parameter's name, or says ``name=value``, names its flag."""
    first = re.match(r"^(\w+)(?=[ ']|$)", text)
    if first and first[1] in flags and first[1] != flags[first[1]]:
        text = flags[first[1]] + text[first.end() :]

    def flag(found: re.Match[str]) -> str:
        return f"{flags[found[1]]} " if found[1] in flags else found[0]

    text = re.sub(r"(?<![\w-])(\w+)=(?=\))", lambda m: flags.get(m[1], m[0]), text)
    return re.sub(r"(?<![\w-])(\w+)=(?=[\w.'\"-])", flag, text)


def _os_message(exc: OSError) -> str:
    where = f"'{exc.filename}': " if exc.filename else ""
    reason = exc.strerror or str(exc)
    return f"cannot use {where}{reason.lower()}; check the path and its permissions."


def _one_line(text: str) -> str:
    return " ".join(text.split())
