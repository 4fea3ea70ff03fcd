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

__all__ = ["FoundRow", "find_rows"]


@dataclass(frozen=True)
class FoundRow:
    """A file found in a data file: its row number, values and problems (empty if valid)."""

    row: int
    values: Mapping[str, Value]
    problems: tuple[str, ...]


def find_rows(
    model: Model,
    input_path: str | os.PathLike[str],
    ids: Iterable[int],
    *,
    extra: Sequence[str] = (),
    batch_size: int = BATCH_ROWS,
) -> dict[int, FoundRow]:
    """Find files by ``dossier_id`` in one streaming pass, reading only the needed columns.

    Each row found comes with its catalog problems, if any (a problem elsewhere in the file
    does not matter). Ids not in the file are absent from the result.

    Raises
    ------
    ExplainError
        If the file lacks a column the model needs, or an id is on several rows.
    SchemaError
        If the file is missing or cannot be read, from :func:`dmde.data.reading.read_batches`
        (a row with the wrong number of fields is a rejected row there: its id cannot be
        trusted, so it is not found).
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
    found: dict[int, FoundRow] = {}
    for checked in read_batches(source, wanted, batch_size=batch_size, on_problem="reject"):
        hits = [*_valid_hits(checked, targets), *_rejected_hits(checked, targets)]
        for hit in sorted(hits, key=lambda h: h.row):
            dossier = int(hit.values["dossier_id"])  # type: ignore[arg-type]
            if dossier in found:
                raise ExplainError(
                    f"{source}: dossier_id {dossier} is on rows {found[dossier].row} and "
                    f"{hit.row}: each file must appear once (dmde validate lists the rows)."
                )
            found[dossier] = hit
    return found


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
