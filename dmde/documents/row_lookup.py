"""Finding files by ``dossier_id`` in a data file, in one streaming pass, each row checked.

Only the columns the model needs (and the few operational ones a notice shows) are read; each
row found is checked against the catalog on its own, so a problem elsewhere in the file does not
stop a notice, and a problem in the row is named (column, value, rule) in the notice's error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dmde.batch.scoring import csv_batches, needed_columns, parquet_batches
from dmde.data.catalog import CATALOG
from dmde.data.datasets import (
    BATCH_ROWS,
    EXTENSIONS,
    file_columns,
    parse_text,
    type_message,
    value_problems,
)
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

    Each row found is checked against the catalog on its own (a problem elsewhere in the file
    does not matter). Ids not in the file are absent from the result.

    Raises
    ------
    ExplainError
        If the file lacks a column the model needs, or an id is on several rows.
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
    targets = np.unique(np.fromiter((int(i) for i in ids), dtype=np.int64))
    found: dict[int, FoundRow] = {}
    for first, batch, text in _batches(source, wanted, batch_size):
        id_values = batch.column("dossier_id")
        if text:
            id_values = parse_text(CATALOG["dossier_id"], id_values)[0]
        hits = pc.is_in(id_values, value_set=pa.array(targets, pa.int64()))
        positions = np.flatnonzero(np.asarray(hits.fill_null(False).to_numpy(zero_copy_only=False)))
        if positions.size == 0:
            continue
        rows = _check_rows(batch.take(pa.array(positions, pa.int64())), text=text)
        for position, (values, problems) in zip(positions, rows, strict=True):
            dossier = int(values["dossier_id"])  # type: ignore[arg-type]
            if dossier in found:
                raise ExplainError(
                    f"{source}: dossier_id {dossier} is on rows {found[dossier].row} and "
                    f"{first + int(position)}: each file must appear once (dmde validate lists "
                    "the rows)."
                )
            found[dossier] = FoundRow(first + int(position), values, tuple(problems))
    return found


def _batches(
    source: Path, columns: Sequence[str], batch_size: int
) -> Iterator[tuple[int, pa.RecordBatch, bool]]:
    """(first row number, batch, values are text) for every batch of the file."""
    text = EXTENSIONS[source.suffix.lower()] == "csv"
    stream = (
        csv_batches(source, columns, batch_size, text=True)
        if text
        else parquet_batches(source, columns, batch_size)
    )
    first = 1
    try:
        for batch in stream:
            yield first, batch, text
            first += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ExplainError(
            f"{source}: cannot be read: {first_line}. Run 'dmde validate' to list every problem."
        ) from None


def _check_rows(batch: pa.RecordBatch, *, text: bool) -> list[tuple[dict[str, Value], list[str]]]:
    """The values and the catalog problems of each row of a (small) batch."""
    n = batch.num_rows
    values: dict[str, list[Value]] = {}
    problems: list[list[str]] = [[] for _ in range(n)]
    for name in batch.schema.names:
        col, raw = CATALOG[name], batch.column(name)
        parsed = raw
        flagged = np.zeros(n, dtype=bool)
        if text:
            parsed, bad = parse_text(col, raw)
            for i in bad.tolist():
                problems[i].append(f"{name} = {raw[i].as_py()!r}: {type_message(col)}")
                flagged[i] = True
        for _, expected, mask in value_problems(col, parsed):
            for i in np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False))).tolist():
                if not flagged[i]:
                    shown = raw[i].as_py()
                    problems[i].append(
                        f"{name} = {'(missing)' if shown is None else repr(shown)}: {expected}"
                    )
                    flagged[i] = True
        if pa.types.is_dictionary(parsed.type):
            parsed = parsed.cast(parsed.type.value_type)
        values[name] = [plain_value(v, col) for v in parsed.to_pylist()]
    return [({name: values[name][i] for name in values}, problems[i]) for i in range(n)]
