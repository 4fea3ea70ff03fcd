"""Problems as data: what a file breaks (:class:`Problem`) and the report of a whole file
(:class:`ValidationReport`), with the text that describes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa

from dmde.core.errors import SchemaError
from dmde.data.catalog import CATALOG
from dmde.data.schema import EXTENSIONS

if TYPE_CHECKING:
    import pandas as pd

    Arr: TypeAlias = pa.Array[Any]
    Batch: TypeAlias = pa.RecordBatch | pa.Table | pd.DataFrame

__all__ = ["Problem", "ValidationReport"]

# Problems are sorted by this order of rules: about the file, the header, then values.
# fmt: off
_RULES = (
    "not_found", "extension", "empty_file", "unreadable", "encoding", "separator", "no_rows",
    "bad_row",
    "duplicate_header", "missing_column", "unknown_column",
    "type", "missing_value", "range", "level", "pattern", "duplicate_id",
)
# fmt: on


# --------------------------------------------------------------------------------------------
# Results
@dataclass(frozen=True)
class Problem:
    """One way in which a file departs from the catalog.

    Attributes
    ----------
    column : str or None
        The column concerned, or None for a problem of the whole file.
    rule : str
        Short stable identifier of the rule broken (listed in the module docstring).
    message : str
        What was expected, in words.
    count : int
        Number of data rows affected, exact; 0 for a problem of the file or its header.
    examples : tuple of (int, str)
        Up to five ``(row, value)`` pairs, the first ones in file order. Rows are 1-based data
        rows; the value is the text found (``""`` for a missing value).
    """

    column: str | None
    rule: str
    message: str
    count: int = 0
    examples: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in a file, as data; :meth:`format` renders it.

    Attributes
    ----------
    path : str
        The file, as given.
    n_rows : int
        Number of data rows in the file (rows with the wrong number of fields included).
    problems : tuple of Problem
        File problems first, then by column in catalog order (unknown columns last, in header
        order), then by rule.
    n_columns : int
        Number of catalog columns checked.
    """

    path: str
    n_rows: int
    problems: tuple[Problem, ...] = ()
    n_columns: int = 0

    @property
    def ok(self) -> bool:
        """Whether the file has no problem."""
        return not self.problems

    def format(self) -> str:
        """The report as readable text, one line per problem.

        Examples
        --------
        >>> print(ValidationReport("x.csv", 10_000, n_columns=49).format())
        x.csv: 10,000 rows, valid against the catalog (49 columns)
        >>> age = Problem("age", "range", "expected 16 to 110", 2, ((17, "212"), (940, "-1")))
        >>> print(ValidationReport("x.csv", 10_000, (age,)).format())
        x.csv: 1 problem in 10,000 rows (rows numbered from 1, the first line after the header)
          - column 'age' (range): 2 rows, expected 16 to 110; e.g. row 17: 212, row 940: -1
        """
        if self.ok:
            return (
                f"{self.path}: {_plural(self.n_rows, 'row')}, valid against the catalog "
                f"({_plural(self.n_columns, 'column')})"
            )
        head = f"{self.path}: {_plural(len(self.problems), 'problem')}"
        if self.n_rows:
            head += f" in {_plural(self.n_rows, 'row')} ({_numbering(self.path)})"
        return "\n".join([head, *(f"  - {_describe(p)}" for p in self.problems)])


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _numbering(path: str) -> str:
    if EXTENSIONS.get(Path(path).suffix.lower()) == "parquet":
        return "rows numbered from 1, the first row of the file"
    return "rows numbered from 1, the first line after the header"


def _describe(problem: Problem) -> str:
    where = "file" if problem.column is None else f"column {problem.column!r}"
    text = f"{where} ({problem.rule}): "
    if problem.count:
        text += f"{_plural(problem.count, 'row')}, "
    text += problem.message
    if problem.examples:
        shown = (f"row {row}: {_show(problem.rule, value)}" for row, value in problem.examples)
        text += "; e.g. " + ", ".join(shown)
    return text


_SHOWN = 60  # characters of an example value shown; a longer one is cut with "..."


def _show(rule: str, value: str) -> str:
    if len(value) > _SHOWN:
        value = value[: _SHOWN - 3] + "..."
    if rule == "missing_value":
        return "(missing)"
    if rule in ("range", "duplicate_id"):
        return value
    if rule in ("encoding", "bad_row"):  # bytes that are not UTF-8 already shown as \xNN
        return f"'{value}'"
    return repr(value)


def _sorted(problems: Iterable[Problem], header: Sequence[str]) -> tuple[Problem, ...]:
    catalog, in_header = list(CATALOG), list(header)

    def key(problem: Problem) -> tuple[int, int, int]:
        rule = _RULES.index(problem.rule)
        if problem.column is None:
            return (0, 0, rule)
        if problem.column in CATALOG:
            return (1, catalog.index(problem.column), rule)
        return (2, in_header.index(problem.column), rule)

    return tuple(sorted(problems, key=key))


def _schema_error(report: ValidationReport) -> SchemaError:
    return SchemaError(report.format(), path=report.path, problems=report.problems)
