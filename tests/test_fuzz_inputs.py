"""Seeded fuzzing of the readers: damaged CSV and Parquet files through validate and score.

A clean 12-row population is written as CSV and as Parquet, then damaged by Hypothesis
(derandomized, so every run tries the same inputs): in CSV, bytes flipped, deleted or inserted
(delimiters, quotes, line breaks, bytes that are not UTF-8), fields and lines duplicated,
swapped or replaced by awkward values, the file truncated; in Parquet, columns cast to other
types, nulled, renamed, dropped or doubled, values replaced, rows sliced away, the file
truncated or its bytes flipped (issue 13). Each input goes through :func:`validate_file` and
:func:`score_file` in process, and must satisfy:

- each call returns, or raises a :class:`~dmde.core.errors.DmdeError` with a message (a user
  error); never another exception;
- a refused scoring run leaves nothing in its output folder, and validate did not find the file
  valid;
- a scoring run reconciles: rows read = scored + rejected, the rejects name exactly the rejected
  rows, and the manifest lists the files it wrote;
- validate and score count the same rows, and name the same rows under the same rule for every
  column the model reads (all of them by count, the first five by number); a file validate
  finds valid is scored whole.

Durability is not under test here: ``os.fsync`` is a no-op while the examples run, which makes
a scoring run several times faster (the writes themselves are unchanged).
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import assert_agree, read_rejects
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmde.batch.scoring import needed_columns, score_file
from dmde.core.errors import DmdeError
from dmde.data.catalog import CATALOG
from dmde.data.datasets import arrow_schema, validate_file, write_batches
from dmde.data.problems import Problem, ValidationReport
from dmde.data.synthetic import synthesize
from dmde.model.scorecard import ScorecardFamily

ROWS, SEED = 12, 5
CSV_EXAMPLES, PARQUET_EXAMPLES = 1_500, 500
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------------------------
# The invariants
# Problems that make a file unusable whatever is read from it (and a needed column missing).
FILE_RULES = ("extension", "empty_file", "unreadable", "separator", "no_rows", "duplicate_header")


def _refuses(problem: Problem, model: ScorecardFamily, path: Path) -> bool:
    """Whether a problem found by validate must stop a scoring run too.

    score reads only the model's columns: a damaged Parquet page of another column (validate
    reads every column) does not stop it, as long as the columns it reads can be read whole.
    """
    if problem.rule == "missing_column":
        return problem.column in needed_columns(model)
    if problem.rule == "unreadable" and path.suffix == ".parquet":
        try:
            pq.read_table(path, columns=list(needed_columns(model)))
        except (pa.ArrowException, OSError):
            return True
        return False
    return problem.rule in FILE_RULES or (problem.rule == "encoding" and problem.column is None)


def check_input(path: Path, model: ScorecardFamily, out: Path) -> str:
    """Validate and score ``path``; assert the invariants; say what happened (for counting)."""
    try:
        report: ValidationReport | None = validate_file(path)
    except DmdeError as exc:  # not_found only: the file is there
        assert str(exc).strip()
        report = None
    out.mkdir()
    scores = out / "scores.csv"
    try:
        result = score_file(model, path, scores)
    except DmdeError as exc:
        message = str(exc).strip()
        assert message, "an error without a message"
        assert list(out.iterdir()) == [], f"a refused run left {list(out.iterdir())}"
        assert report is None or not report.ok, ("valid for validate, refused by score", message)
        return "refused"
    assert report is not None
    refusing = [p for p in report.problems if _refuses(p, model, path)]
    assert not refusing, ("validate refuses the file, score scored it", report.format(), result)
    assert result.rows_read == result.rows_scored + result.rows_rejected
    manifest = json.loads(Path(result.manifest).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {"scores.csv", "scores.rejects.csv"}
    assert (manifest["rows_read"], manifest["rows_scored"], manifest["rows_rejected"]) == (
        result.rows_read,
        result.rows_scored,
        result.rows_rejected,
    )
    rejects = read_rejects(Path(result.rejects))
    rows = {int(line["row"]) for line in rejects}
    assert len(rows) == result.rows_rejected
    assert rows <= set(range(1, result.rows_read + 1))
    with scores.open(newline="", encoding="utf-8") as stream:
        assert sum(1 for _ in csv.reader(stream)) - 1 == result.rows_scored
    assert report.n_rows == result.rows_read, (report.format(), result)
    assert_agree(report, rejects, set(needed_columns(model)))
    if report.ok:
        assert result.rows_rejected == 0
    return "scored" if not result.rows_rejected else "rejects"


@contextmanager
def _no_fsync() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        yield


class _Folders:
    """A fresh folder per example under one base, removed after it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.count = itertools.count()

    @contextmanager
    def new(self) -> Iterator[Path]:
        folder = self.base / f"ex{next(self.count)}"
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def clean() -> Any:
    return synthesize(ROWS, seed=SEED, controls=ROWS)


@pytest.fixture(scope="module")
def clean_csv(clean: Any, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("fuzz-clean") / "clean.csv"
    write_batches(path, [clean], schema=arrow_schema(clean.columns))
    return path.read_bytes()


@pytest.fixture(scope="module")
def clean_table(clean: Any) -> pa.Table:
    return pa.Table.from_pandas(clean, schema=arrow_schema(clean.columns), preserve_index=False)


# --------------------------------------------------------------------------------------------
# CSV mutations
SPECIAL = [b",", b'"', b"\n", b"\r", b"\r\n", b";", b"\t", b" ", b"\xff", b"\xe9", b"\xc3"]
SPECIAL += [b"\x00", b"-", b".", b"0", b"9", b"e", b"\xef\xbb\xbf", b'""', b",,"]
VALUES = [b"", b"NaN", b"inf", b"-1", b"3.0", b"3.5", b"1e400", b"99999999999999999999"]
VALUES += [b"NA", b" 3 ", b"\xe9t\xe9", b'"', b"0x10", b"single", b"prefilled", b"01", b"-0"]

position = st.integers(min_value=0, max_value=1 << 20)
csv_mutation = st.one_of(
    st.tuples(st.just("flip"), position, st.sampled_from(SPECIAL)),
    st.tuples(st.just("insert"), position, st.sampled_from(SPECIAL)),
    st.tuples(st.just("delete"), position, st.integers(1, 40)),
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("line_twice"), position),
    st.tuples(st.just("lines_swapped"), position, position),
    st.tuples(st.just("field_twice"), position, position),
    st.tuples(st.just("field"), position, position, st.sampled_from(VALUES)),
    st.tuples(st.just("random_bytes"), position, st.binary(min_size=1, max_size=6)),
)


def mutate_csv(data: bytes, mutation: tuple[Any, ...]) -> bytes:
    kind, *args = mutation
    n = max(len(data), 1)
    if kind == "flip":
        at = args[0] % n
        return data[:at] + bytes(args[1]) + data[at + 1 :]
    if kind in ("insert", "random_bytes"):
        at = args[0] % (len(data) + 1)
        return data[:at] + bytes(args[1]) + data[at:]
    if kind == "delete":
        at = args[0] % n
        return data[:at] + data[at + args[1] :]
    if kind == "truncate":
        return data[: args[0] % n]
    lines = data.split(b"\n")
    i = args[0] % len(lines)
    if kind == "line_twice":
        lines.insert(i, lines[i])
    elif kind == "lines_swapped":
        j = args[1] % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
    else:
        fields = lines[i].split(b",")
        f = args[1] % len(fields)
        if kind == "field_twice":
            fields.insert(f, fields[f])
        else:
            fields[f] = args[2]
        lines[i] = b",".join(fields)
    return b"\n".join(lines)


def test_csv_mutations(
    clean_csv: bytes, family: ScorecardFamily, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folders = _Folders(tmp_path_factory.mktemp("fuzz-csv"))
    outcomes: dict[str, int] = defaultdict(int)

    @settings(FUZZ, max_examples=CSV_EXAMPLES)
    @given(st.lists(csv_mutation, min_size=1, max_size=4))
    def check(mutations: list[tuple[Any, ...]]) -> None:
        data = clean_csv
        for mutation in mutations:
            data = mutate_csv(data, mutation)
        with folders.new() as folder:
            path = folder / "input.csv"
            path.write_bytes(data)
            outcomes[check_input(path, family, folder / "out")] += 1

    with _no_fsync():
        check()
    assert sum(outcomes.values()) >= CSV_EXAMPLES
    # the mutations reach every outcome: refusal, rejected rows, a clean run
    assert min(outcomes.values()) > 0 and len(outcomes) == 3, outcomes


# --------------------------------------------------------------------------------------------
# Parquet mutations
COLUMNS = list(CATALOG)
TYPES = [pa.string(), pa.int32(), pa.int64(), pa.float64(), pa.bool_(), pa.large_string()]
TYPES += [pa.dictionary(pa.int32(), pa.string()), pa.float32(), pa.int8(), pa.binary()]
ODD = [None, -1, 0, 2.5, float("nan"), float("inf"), 10**15, "", "x", "01", True]

column = st.sampled_from(COLUMNS)
parquet_mutation = st.one_of(
    st.tuples(st.just("cast"), column, st.sampled_from(TYPES)),
    st.tuples(st.just("nulls"), column, st.lists(st.integers(0, ROWS - 1), min_size=1)),
    st.tuples(st.just("rename"), column, st.sampled_from([*COLUMNS, "x", "", "Age"])),
    st.tuples(st.just("drop"), column),
    st.tuples(st.just("twice"), column),
    st.tuples(st.just("value"), column, st.integers(0, ROWS - 1), st.sampled_from(ODD)),
    st.tuples(st.just("slice"), st.integers(0, ROWS), st.integers(0, ROWS)),
)
damage = st.one_of(
    st.none(),
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("flip"), position, st.binary(min_size=1, max_size=4)),
)


def _cast(values: Any, typ: pa.DataType) -> Any:
    try:
        return values.cast(typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        text = [None if v is None else str(v) for v in values.to_pylist()]
        return pa.array(text, pa.string()).cast(typ) if pa.types.is_string(typ) else None


def mutate_table(table: pa.Table, mutation: tuple[Any, ...]) -> pa.Table:
    kind, *args = mutation
    if kind == "slice":
        return table.slice(min(args), abs(args[1] - args[0]))
    name = args[0]
    if name not in table.column_names:
        return table
    at = table.column_names.index(name)
    values = table.column(at)
    if kind == "drop":
        return table.remove_column(at)
    if kind == "twice":
        return table.append_column(name, values)
    if kind == "rename":
        names = list(table.column_names)
        names[at] = args[1]
        return table.rename_columns(names)
    if kind == "cast":
        cast = _cast(values, args[1])
        return table if cast is None else table.set_column(at, name, cast)
    items = values.to_pylist()
    if kind == "nulls":
        for i in args[1]:
            if i < len(items):
                items[i] = None
    elif args[1] < len(items):
        items[args[1]] = args[2]
    try:
        new = pa.array(items, values.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
        new = pa.array([None if v is None else str(v) for v in items], pa.string())
    return table.set_column(at, name, new)


def damage_file(data: bytes, how: tuple[Any, ...] | None) -> bytes:
    if how is None:
        return data
    at = how[1] % max(len(data), 1)
    if how[0] == "truncate":
        return data[:at]
    return data[:at] + bytes(how[2]) + data[at + len(how[2]) :]


def test_parquet_mutations(
    clean_table: pa.Table, family: ScorecardFamily, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folders = _Folders(tmp_path_factory.mktemp("fuzz-parquet"))
    outcomes: dict[str, int] = defaultdict(int)

    @settings(FUZZ, max_examples=PARQUET_EXAMPLES)
    @given(st.lists(parquet_mutation, min_size=1, max_size=3), damage)
    def check(mutations: list[tuple[Any, ...]], how: tuple[Any, ...] | None) -> None:
        table = clean_table
        for mutation in mutations:
            table = mutate_table(table, mutation)
        with folders.new() as folder:
            path = folder / "input.parquet"
            pq.write_table(table, path)
            path.write_bytes(damage_file(path.read_bytes(), how))
            outcomes[check_input(path, family, folder / "out")] += 1

    with _no_fsync():
        check()
    assert sum(outcomes.values()) >= PARQUET_EXAMPLES
    assert len(outcomes) == 3, outcomes
