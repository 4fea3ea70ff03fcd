"""The type of a catalog column and the families that decide what a column may be used for.

The columns themselves are declared in :mod:`dmde.data.catalog`, with the feature policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

__all__ = ["Column", "Dtype", "Family"]

Dtype = Literal["int", "float", "flag", "category", "string"]


class Family(StrEnum):
    """What a column is, which decides what it may be used for."""

    IDENTIFIER = "identifier"
    OPERATIONAL = "operational"
    HOUSEHOLD = "household"
    RESOURCES = "resources"
    BENEFITS = "benefits"
    SENSITIVE = "sensitive"
    ADDRESS = "address"
    BEHAVIOUR = "behaviour"
    CONTROL_HISTORY = "control_history"
    LABEL = "label"


@dataclass(frozen=True)
class Column:
    """One column of a benefit file.

    Parameters
    ----------
    name : str
        Column name in files and DataFrames.
    dtype : {"int", "float", "flag", "category", "string"}
        ``flag`` is an integer 0/1; ``category`` takes one of ``levels``; ``string`` matches
        ``pattern``.
    family : Family
        What the column is (see the module docstring).
    description : str
        One line in English.
    label_fr : str
        Short French label, used in notices for the person concerned.
    source : str
        Where the value would come from in a real agency.
    label : str
        Short English label, used in reason codes and reports.
    unit : str
        Unit of the value (``"EUR/month"``, ``"months"``...), empty when none.
    minimum, maximum : float or None
        Inclusive bounds for ``int`` and ``float`` columns.
    levels : tuple of str
        Allowed values of a ``category`` column.
    pattern : str or None
        Regular expression that a ``string`` value must match in full.
    nullable : bool
        Whether a value may be missing.
    required : bool
        Whether a dataset must have the column. Columns outside the model's families are optional:
        a scoring file need not carry them, but when present they are validated.
    """

    name: str
    dtype: Dtype
    family: Family
    description: str
    label_fr: str
    source: str
    label: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    levels: tuple[str, ...] = ()
    pattern: str | None = None
    nullable: bool = False
    required: bool = True

    def __post_init__(self) -> None:
        if self.dtype == "category" and not self.levels:
            raise ValueError(f"catalog column {self.name!r}: a category needs levels")
        if self.dtype == "flag" and (self.minimum, self.maximum) != (0, 1):
            raise ValueError(f"catalog column {self.name!r}: a flag has minimum 0 and maximum 1")

    @property
    def allowed(self) -> str:
        """The allowed values, in words (``"0 to 24"``, ``"one of: a, b"``)."""
        if self.dtype == "category":
            return "one of: " + ", ".join(self.levels)
        if self.dtype == "string":
            return f"text matching {self.pattern}" if self.pattern else "text"
        if self.dtype == "flag":
            return "0 or 1"
        low = "-inf" if self.minimum is None else _fmt_number(self.minimum)
        high = "inf" if self.maximum is None else _fmt_number(self.maximum)
        return f"{low} to {high}"

    def to_dict(self) -> dict[str, Any]:
        """The declaration as plain JSON-ready data."""
        return {
            "name": self.name,
            "dtype": self.dtype,
            "family": self.family.value,
            "label": self.label,
            "label_fr": self.label_fr,
            "description": self.description,
            "source": self.source,
            "unit": self.unit,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "levels": list(self.levels),
            "pattern": self.pattern,
            "nullable": self.nullable,
            "required": self.required,
        }


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
