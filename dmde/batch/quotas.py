"""Quotas: a budget split across groups by largest remainder, or read from a quota file."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from numbers import Integral
from pathlib import Path

from dmde.batch.scores_table import SelectionError, SelectionParameterError
from dmde.data.parameters import InstanceOf, Range, bad_parameter, check_parameters, shown

__all__ = ["allocate_quotas", "read_quotas"]

_COUNT = Range(Integral, 0, None, closed="left")  # a number of files, or a quota
_QUOTA_TEXT = re.compile(r"^-?[0-9]+$")


# --------------------------------------------------------------------------------------------
# Quotas
def allocate_quotas(counts: Mapping[str, int], budget: int) -> dict[str, int]:
    """Split a budget across groups in proportion to their sizes (largest remainder).

    Each group first gets ``floor(budget * count / total)``; the places left go one each to the
    groups with the largest remainders ``budget * count mod total``, equal remainders in
    ascending order of group name (Python string order). The arithmetic is exact (integers).

    Parameters
    ----------
    counts : mapping of str to int
        Number of files of each group (at least 0).
    budget : int
        Places to split, from 0 to the total number of files.

    Returns
    -------
    dict of str to int
        The quota of each group, in sorted group order. The quotas sum to ``budget``, each is
        within 1 of ``budget * count / total``, and none exceeds its group's count.

    Raises
    ------
    SelectionError
        If a count or the budget is not a whole number of at least 0, or the budget exceeds
        the total.

    Notes
    -----
    No quota can exceed its group: the exact share ``budget * count / total`` is at most
    ``count`` since ``budget <= total``, and a group gets the extra place only when its share
    has a fractional part, so it is then below ``count``. Nothing needs redistributing.

    Examples
    --------
    >>> allocate_quotas({"75": 500, "13": 300, "69": 200}, 7)
    {'13': 2, '69': 1, '75': 4}
    >>> allocate_quotas({"a": 1, "b": 1, "c": 1}, 2)  # equal remainders: by name
    {'a': 1, 'b': 1, 'c': 0}
    """
    check_parameters(
        {"counts": [InstanceOf(Mapping, "a mapping of group to number of files (a dict)")]},
        {"counts": counts},
        fixes={"counts": "Pass a dict of group to number of files."},
        error=SelectionParameterError,
    )
    sizes: dict[str, int] = {}
    for group, count in sorted(counts.items()):
        if not _COUNT.is_satisfied_by(count):
            raise bad_parameter(
                "counts",
                f"a mapping of each group to {_COUNT}",
                count,
                "Give each group its number of files.",
                error=SelectionParameterError,
                got=f"{shown(count)!r} for group {group!r}",
            )
        sizes[str(group)] = int(count)
    total = sum(sizes.values())
    check_parameters(
        {"budget": [_COUNT]},
        {"budget": budget},
        fixes={"budget": "Give the number of places to split."},
        error=SelectionParameterError,
    )
    if budget > total:
        raise bad_parameter(
            "budget",
            f"an int in the range [0, {total:,}] (the total of the counts)",
            budget,
            "Lower the budget.",
            error=SelectionParameterError,
        )
    return _largest_remainder(sizes, int(budget))


def _largest_remainder(sizes: dict[str, int], budget: int) -> dict[str, int]:
    total = sum(sizes.values())
    if total == 0:
        return dict.fromkeys(sizes, 0)
    quotas = {g: budget * c // total for g, c in sizes.items()}
    left = budget - sum(quotas.values())
    by_remainder = sorted(sizes, key=lambda g: (-(budget * sizes[g] % total), g))
    for group in by_remainder[:left]:
        quotas[group] += 1
    return quotas


# --------------------------------------------------------------------------------------------
# Files
def read_quotas(path: str | os.PathLike[str]) -> dict[str, int]:
    """Read quotas from a CSV file with the header ``caf_code,quota`` (or ``group,quota``).

    Rows are numbered from 1, the first line after the header. Spaces around values are
    ignored, and so are blank lines. Group names are kept as written (``01`` stays ``01``).

    Parameters
    ----------
    path : str or path-like
        The CSV file (UTF-8, comma separated).

    Returns
    -------
    dict of str to int
        The quota of each group, in file order.

    Raises
    ------
    SelectionError
        If the file is missing or unreadable, the header is not one of those above, or a row
        has the wrong number of fields, an empty group, a quota that is not a whole number
        of at least 0, or a group already given; the message names the file, row and value.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "quotas.csv")
    ...     _ = path.write_text("caf_code,quota\\n75,120\\n2A,8\\n")
    ...     print(read_quotas(path))
    {'75': 120, '2A': 8}
    """
    name = os.fspath(path)
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as stream:
            lines = list(csv.reader(stream))
    except FileNotFoundError:
        raise SelectionError(f"quota file {name!r} does not exist. Check the path.") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SelectionError(
            f"quota file {name!r} cannot be read: {exc}. Save it as UTF-8 CSV."
        ) from None
    header = [h.strip() for h in lines[0]] if lines else []
    if header not in (["caf_code", "quota"], ["group", "quota"]):
        raise SelectionError(
            f"quota file {name!r} must start with the header 'caf_code,quota' (or "
            f"'group,quota'); found {','.join(header) if header else 'an empty file'!r}. "
            "Add or correct the header line."
        )
    quotas: dict[str, int] = {}
    first_row: dict[str, int] = {}
    for row, fields in enumerate(lines[1:], start=1):
        if not fields:
            continue
        where = f"quota file {name!r}, row {row}"
        if len(fields) != 2:
            raise SelectionError(
                f"{where}: expected 2 fields ({header[0]},quota); found {len(fields)}: "
                f"{','.join(fields)!r}. Write one group and its quota per line."
            )
        group, text = fields[0].strip(), fields[1].strip()
        if not group:
            raise SelectionError(f"{where}: the {header[0]} is empty. Name the group.")
        if not _QUOTA_TEXT.match(text):
            raise SelectionError(
                f"{where}: the quota of {group!r} must be a whole number; found {text!r}. "
                "Write digits only, e.g. 120."
            )
        if int(text) < 0:
            raise SelectionError(
                f"{where}: the quota of {group!r} must be at least 0; found {text}. Use 0 "
                "for a group with no check."
            )
        if group in quotas:
            raise SelectionError(
                f"{where}: group {group!r} was already given on row {first_row[group]}; each "
                "group must appear once. Remove one of the rows."
            )
        quotas[group], first_row[group] = int(text), row
    return quotas
