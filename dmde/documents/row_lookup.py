"""Finding files by ``dossier_id`` in a data file, in one streaming pass, each row checked.

Only the columns the model needs (and the few operational ones a notice shows) are read, by the
data layer's one reader (:func:`dmde.data.reading.read_batches`) under its ``"reject"`` policy:
every row is checked against the catalog, and a row with a problem comes back with its problems
instead of stopping the reading. So a problem elsewhere in the file does not stop a notice, and
a problem in the row is named (column, value, what was expected) in the notice's error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dmde.batch.scoring import needed_columns
from dmde.data.catalog import CATALOG
from dmde.data.datasets import BATCH_ROWS, file_columns
from dmde.data.reading import CheckedBatch, read_batches
from dmde.documents.explanation import ExplainError, Model, Value, plain_value

__all__ = ["UNREAD_EXAMPLES", "FoundRow", "FoundRows", "find_rows"]

#: Rows without a readable ``dossier_id`` kept as examples (the count covers them all).
UNREAD_EXAMPLES = 5


@dataclass(frozen=True)
class FoundRow:
    """A file found in a data file: its row number, values and problems (empty if valid)."""

    row: int
    values: Mapping[str, Value]
    problems: tuple[str, ...]


class FoundRows(dict[int, FoundRow]):
    """The files found, by ``dossier_id``, and the rows of the file whose id could not be read.

    A row the reader rejected whole (the wrong number of fields) or whose ``dossier_id`` is
    missing or unreadable (bytes that are not UTF-8, not a whole number) has no id: a file
    not found may be one of them. ``unread`` counts them; ``unread_examples`` holds the first
    :data:`UNREAD_EXAMPLES` as (row, why), rows numbered as ``dmde validate`` numbers them.
    """

    unread: int = 0
    unread_examples: tuple[tuple[int, str], ...] = ()

    def unread_text(self) -> str:
        """The rows without an id in words: "2 rows (row 4: line 5 of the file, 5 fields, not
        47; row 9: ...)"."""
        shown = "; ".join(f"row {row}: {why}" for row, why in self.unread_examples)
        more = "; ..." if self.unread > len(self.unread_examples) else ""
        return f"{self.unread} row{'s' if self.unread != 1 else ''} ({shown}{more})"


def find_rows(
    model: Model,
    input_path: str | os.PathLike[str],
    ids: Iterable[int],
    *,
    extra: Sequence[str] = (),
    batch_size: int = BATCH_ROWS,
) -> FoundRows:
    """Find files by ``dossier_id`` in one streaming pass, reading only the needed columns.

    Each row found comes with its catalog problems, if any (a problem elsewhere in the file
    does not matter). Ids not in the file are absent from the result, which also counts the
    rows whose id could not be read (:class:`FoundRows`): an absent id may be on one of them.

    Raises
    ------
    ExplainError
        If the file lacks a column the model needs, or an id is on several rows.
    SchemaError
        If the file is missing or cannot be read, from :func:`dmde.data.reading.read_batches`
        (a row with the wrong number of fields is a rejected row there: its id cannot be
        trusted, so it is not found, but counted among the rows without an id).
    """
    source = Path(input_path)
    wanted = [*needed_columns(model)]
    header = file_columns(source)
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ExplainError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}, "
            "which the model needs."
        )
    wanted += [c for c in extra if c in header and c not in wanted and c in CATALOG]
    targets = pa.array(np.unique(np.fromiter((int(i) for i in ids), dtype=np.int64)), pa.int64())
    found = FoundRows()
    unread: list[tuple[int, str]] = []
    for checked in read_batches(source, wanted, batch_size=batch_size, on_problem="reject"):
        n_unread, examples = _unread_rows(checked, len(header))
        found.unread += n_unread
        unread += examples[: UNREAD_EXAMPLES - len(unread)]
        hits = [*_valid_hits(checked, targets), *_rejected_hits(checked, targets)]
        for hit in sorted(hits, key=lambda h: h.row):
            dossier = int(hit.values["dossier_id"])  # type: ignore[arg-type]
            if dossier in found:
                raise ExplainError(
                    f"{source}: dossier_id {dossier} is on rows {found[dossier].row} and "
                    f"{hit.row}: each file must appear once (dmde validate lists the rows)."
                )
            found[dossier] = hit
    found.unread_examples = tuple(unread)
    return found


def _unread_rows(checked: CheckedBatch, n_fields: int) -> tuple[int, list[tuple[int, str]]]:
    """How many of the batch's rejected rows have no ``dossier_id``, and the first few, each
    with why ("line 5 of the file, 5 fields, not 47" for a broken row, else its column's
    problem)."""
    rejects = checked.rejects
    if rejects.num_rows == 0:
        return 0, []
    lines = rejects.filter(pc.is_null(rejects.column("dossier_id"))).to_pylist()
    why: dict[int, str] = {}
    for line in lines:  # a row's first problem says why its id is unknown
        if line["rule"] == "bad_row":  # a CSV row; its value reads "5 fields: <its text>"
            fields = str(line["value"]).partition(": ")[0]
            text = f"line {int(line['row']) + 1} of the file, {fields}, not {n_fields}"
        else:
            shown = "(missing)" if line["value"] is None else repr(line["value"])
            text = f"{line['column']} = {shown}: {line['reason']}"
        why.setdefault(int(line["row"]), text)
    return len(why), sorted(why.items())[:UNREAD_EXAMPLES]


def _valid_hits(checked: CheckedBatch, targets: pa.Array[Any]) -> list[FoundRow]:
    """The rows of ``targets`` among the batch's valid rows, with their values."""
    valid = checked.valid
    hits = pc.is_in(valid.column("dossier_id"), value_set=targets)
    positions = np.flatnonzero(np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool))
    if positions.size == 0:
        return []
    taken = valid.take(pa.array(positions, pa.int64()))
    values = {
        name: [plain_value(v, CATALOG[name]) for v in taken.column(name).to_pylist()]
        for name in taken.column_names
    }
    in_batch = positions if checked.valid_rows is None else checked.valid_rows[positions]
    return [
        FoundRow(checked.first_row + int(b), {name: values[name][i] for name in values}, ())
        for i, b in enumerate(in_batch)
    ]


def _rejected_hits(checked: CheckedBatch, targets: pa.Array[Any]) -> list[FoundRow]:
    """The rows of ``targets`` among the batch's rejected rows, each with its problems."""
    rejects = checked.rejects
    if rejects.num_rows == 0:
        return []
    hits = pc.is_in(rejects.column("dossier_id"), value_set=targets)
    keep = np.asarray(hits.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    lines = rejects.filter(keep).to_pylist()
    problems: dict[tuple[int, int], list[str]] = {}
    for line in lines:  # sorted by row; a row's problems in the order of its columns
        shown = "(missing)" if line["value"] is None else repr(line["value"])
        key = (int(line["row"]), int(line["dossier_id"]))
        problems.setdefault(key, []).append(f"{line['column']} = {shown}: {line['reason']}")
    return [
        FoundRow(row, {"dossier_id": dossier}, tuple(found))
        for (row, dossier), found in problems.items()
    ]
