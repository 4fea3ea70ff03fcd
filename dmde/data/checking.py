"""The one row checker: each value of a batch against the catalog's rules, rows split into valid
rows and rejects (:func:`check_rows`, :class:`CheckedBatch`, the rejects table's columns).

:mod:`dmde.data.reading` reads files through it under both policies; the in-memory checks of
the documents use it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dmde.data.arrow_numpy import (
    empty_table,
    flags,
    numbers_array,
    repeated_text,
    scalar,
    text_array,
)
from dmde.data.catalog import Column, column
from dmde.data.rules import (
    _message,
    _texts,
    _utf8,
    damaged_text,
    fraction_message,
    lost_zeros_hint,
    parse_text,
    type_message,
    value_problems,
    whole_numbers,
)

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

__all__ = ["REJECT_COLUMNS", "REJECT_SCHEMA", "CheckedBatch", "check_rows"]

Positions: TypeAlias = npt.NDArray[np.intp]
# What a value that is not UTF-8 breaks (the same words for every column).
_ENCODING = _message(column("dossier_id"), "encoding")

#: Columns of a rejects table: one line per refused value of a row.
REJECT_COLUMNS = ("row", "dossier_id", "column", "value", "rule", "reason")


_REJECT_TYPES: dict[str, pa.DataType] = {
    "row": pa.int64(),
    "dossier_id": pa.int64(),
    "column": pa.string(),
    "value": pa.string(),
    "rule": pa.string(),
    "reason": pa.string(),
}


#: The Arrow schema of a rejects table.
REJECT_SCHEMA = pa.schema(_REJECT_TYPES)


@dataclass
class CheckedBatch:
    """One batch after the row checks: the valid rows and the rejected ones.

    Attributes
    ----------
    valid : pyarrow.Table
        The rows without a problem, columns in the reading types.
    rejects : pyarrow.Table
        One line per refused value (:data:`REJECT_SCHEMA`), sorted by row.
    n_rows : int
        Rows in the batch, valid and rejected.
    n_rejected : int
        Rows rejected (a row with several problems counts once).
    first_row : int
        The 1-based file row number of the batch's first row.
    valid_rows : numpy.ndarray of intp, optional
        Positions of the valid rows in the batch; None when every row is valid.
    """

    valid: pa.Table
    rejects: pa.Table
    n_rows: int
    n_rejected: int
    first_row: int = 1
    valid_rows: Positions | None = None

    def reject(self, lost: Positions, name: str, rule: str, reason: str) -> CheckedBatch:
        """The batch with the valid rows at positions ``lost`` moved to the rejects.

        Each gets one reject line for column ``name`` (its value shown as text), with ``rule``
        and ``reason``; the rejects stay sorted by row (a row's earlier lines first).
        """
        if lost.size == 0:
            return self
        n_valid = self.valid.num_rows
        positions = np.arange(n_valid) if self.valid_rows is None else self.valid_rows
        taken = numbers_array(lost, pa.int64())
        extra = pa.table(
            [
                numbers_array(positions[lost] + self.first_row, pa.int64()),
                self.valid.column("dossier_id").take(taken).cast(pa.int64()),
                repeated_text(name, lost.size),
                self.valid.column(name).cast(pa.string()).take(taken),
                repeated_text(rule, lost.size),
                repeated_text(reason, lost.size),
            ],
            schema=REJECT_SCHEMA,
        )
        keep = np.setdiff1d(np.arange(n_valid), lost)
        rejects = pa.concat_tables([self.rejects, extra])
        order = pc.sort_indices(rejects, sort_keys=[("row", "ascending")])
        return CheckedBatch(
            self.valid.take(numbers_array(keep, pa.int64())),
            rejects.take(order),
            self.n_rows,
            self.n_rejected + int(lost.size),
            self.first_row,
            positions[keep],
        )


def check_rows(batch: pa.RecordBatch, *, first_row: int = 1, text: bool = False) -> CheckedBatch:
    """Check each row of a batch of catalog columns; split it into valid rows and rejects.

    A value breaks at most one rule (the first of ``type``, ``missing_value``, ``range``,
    ``level``, ``pattern``); a row is rejected if one of its values breaks a rule. An integer
    column given as floating point numbers (pandas' way with missing values) is read as its
    whole numbers; a value that is not whole breaks ``type``.

    Parameters
    ----------
    batch : pyarrow.RecordBatch
        Catalog columns (with ``dossier_id``, for the rejects), in the reading types or
        (``text``) as strings to parse.
    first_row : int, default 1
        The file row number of the batch's first row.
    text : bool, default False
        Whether the values are unparsed text (then they are parsed with
        :func:`~dmde.data.rules.parse_text` and what does not parse is rejected).

    Returns
    -------
    CheckedBatch

    Examples
    --------
    >>> import pyarrow as pa
    >>> batch = pa.record_batch({"dossier_id": [1, 2, 3], "age": [34, 212, 51]})
    >>> checked = check_rows(batch)
    >>> checked.valid.column("dossier_id").to_pylist(), checked.n_rejected
    ([1, 3], 1)
    >>> checked.rejects.select(["row", "column", "value", "rule"]).to_pylist()
    [{'row': 2, 'column': 'age', 'value': '212', 'rule': 'range'}]
    """
    n = batch.num_rows
    bad = np.zeros(n, dtype=bool)
    if "dossier_id" not in batch.schema.names:
        ids: Arr = pa.nulls(n, pa.int64())
    else:
        ids = batch.column("dossier_id")
        if text:
            ids = parse_text(column("dossier_id"), _decoded(ids)[0])[0]
    parts: list[tuple[npt.NDArray[np.intp], str, Arr, str, str]] = []
    columns: dict[str, Arr] = {}
    for name in batch.schema.names:
        col, raw = column(name), batch.column(name)
        flagged = np.zeros(n, dtype=bool)
        if not text and col.dtype in ("category", "string"):
            raw = damaged_text(raw) or raw  # stored text that is not UTF-8: checked as bytes
        if pa.types.is_binary(raw.type) or pa.types.is_large_binary(raw.type):
            raw, undecodable = _decoded(raw)  # bytes: what is not UTF-8 is rejected
            if undecodable.size:
                parts.append((undecodable, name, raw, "encoding", _ENCODING))
                flagged[undecodable] = True
                raw = pc.if_else(numbers_array(flagged), scalar(None, pa.string()), raw)
        values = raw
        if text:
            values, unparsable = parse_text(col, raw)
            if unparsable.size:
                parts.append((unparsable, name, raw, "type", type_message(col)))
                flagged[unparsable] = True
        elif col.dtype in ("int", "flag") and pa.types.is_floating(raw.type):
            values, fractional = whole_numbers(raw)  # e.g. Parquet written by pandas
            if fractional.size:
                parts.append((fractional, name, raw, "type", fraction_message(col)))
                flagged[fractional] = True
        for rule, expected, mask in value_problems(col, values):
            hits = np.flatnonzero(flags(mask) & ~flagged)
            if hits.size:
                for group, reason in _reasons(col, rule, expected, values, hits):
                    parts.append((group, name, values, rule, reason))
                flagged[hits] = True
        bad |= flagged
        columns[name] = values
    rejects = _rejects_table(parts, ids, first_row)
    keep = np.flatnonzero(~bad)
    table = pa.table(columns)
    if keep.size < n:
        table = table.take(numbers_array(keep, pa.int64()))
    return CheckedBatch(table, rejects, n, int(bad.sum()), first_row, keep)


def _reasons(
    col: Column, rule: str, expected: str, values: Arr, hits: Positions
) -> list[tuple[Positions, str]]:
    """The rows ``hits`` that break ``rule``, grouped by reason: a code that lost its leading
    zeros ("1000" for "01000") is told so."""
    if rule not in ("level", "pattern"):
        return [(hits, expected)]
    hints = np.array([lost_zeros_hint(col, v) for v in _texts(values, hits)], dtype=object)
    return [
        (hits[hints == hint], f"{expected}; {hint}" if hint else expected)
        for hint in sorted(set(hints.tolist()))
    ]


def _decoded(raw: Arr) -> tuple[Arr, Positions]:
    """Bytes as text; the values that are not UTF-8 shown as ``\\xNN``, and their positions.

    Text is returned as it is.
    """
    if not (pa.types.is_binary(raw.type) or pa.types.is_large_binary(raw.type)):
        return raw, np.empty(0, np.intp)
    text, bad = _utf8(raw)
    if bad.size == 0:
        return text, np.empty(0, np.intp)
    mask = np.zeros(len(raw), dtype=bool)
    mask[bad] = True
    shown = text_array(_texts(raw, bad))
    return pc.replace_with_mask(text, numbers_array(mask), shown), bad.astype(np.intp)


def _rejects_table(
    parts: Sequence[tuple[npt.NDArray[np.intp], str, Arr, str, str]], ids: Arr, first_row: int
) -> pa.Table:
    if not parts:
        return empty_table(REJECT_SCHEMA)
    tables = []
    for hits, name, values, rule, expected in parts:
        taken = numbers_array(hits, pa.int64())
        shown = values.take(taken)
        if pa.types.is_dictionary(shown.type):
            shown = shown.cast(shown.type.value_type)
        tables.append(
            pa.table(
                [
                    numbers_array(hits + first_row, pa.int64()),
                    ids.take(taken).cast(pa.int64(), safe=False),
                    repeated_text(name, len(hits)),
                    shown.cast(pa.string()),
                    repeated_text(rule, len(hits)),
                    repeated_text(expected, len(hits)),
                ],
                schema=REJECT_SCHEMA,
            )
        )
    table = pa.concat_tables(tables)
    order = pc.sort_indices(table, sort_keys=[("row", "ascending")])
    return table.take(order)
