"""Opening a data file before reading its rows: existence, format, header, the columns to read,
and the raw Arrow batches of those columns.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import queue
import re
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dmde.core.errors import SchemaError
from dmde.data.arrow_numpy import flags, numbers_array, text_array
from dmde.data.catalog import CATALOG, _unknown_column_message
from dmde.data.problems import Problem, ValidationReport, _schema_error
from dmde.data.rules import _TEXT, _is_text
from dmde.data.schema import EXTENSIONS, Kind, _arrow_message

if TYPE_CHECKING:
    import pandas as pd

    Arr: TypeAlias = pa.Array[Any]
    Batch: TypeAlias = pa.RecordBatch | pa.Table | pd.DataFrame

__all__ = [
    "FileTally",
    "csv_batches",
    "data_lines",
    "file_columns",
    "parquet_batches",
    "read_ahead",
    "reading_type",
]

T = TypeVar("T")

_SAMPLE_BYTES = 1 << 20  # the start of a CSV file read to find the header and the row length
_LINE_END = re.compile(rb"\r\n|\r|\n")
_CHUNK = 1 << 24  # bytes read at a time to count lines
_COUNT_STEP = 1 << 20  # bytes whose line ends are found at once
_AHEAD = 4  # blocks Arrow may read beyond the batches taken from it
_PATIENCE = 0.05  # seconds a read waits for a batch to be taken before it goes on
_MIN_BLOCK, _MAX_BLOCK = 1 << 16, 4 << 20  # bytes of CSV text parsed at a time


def file_columns(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The column names of a CSV or Parquet file, read from its header only.

    Raises
    ------
    SchemaError
        If there is no such file, or it is empty, unreadable or of an unsupported kind.
    """
    try:
        return _inspect(_existing(path)).names
    except _FileError as problem:
        report = ValidationReport(os.fspath(path), 0, (problem.as_problem(),))
        raise _schema_error(report) from None


def _existing(path: str | os.PathLike[str]) -> Path:
    """``path`` if there is such a file, else a SchemaError (rule ``not_found``) naming it."""
    if not Path(path).exists():
        shown = os.fspath(path)
        problem = Problem(None, "not_found", "no such file; check the path")
        message = f"cannot read {shown!r}: {problem.message}"
        raise SchemaError(message, path=shown, problems=(problem,))
    return Path(path)


# --------------------------------------------------------------------------------------------
# Opening a file: extension, existence, header
class _FileError(Exception):
    """A problem that stops the reading of a file before any row."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message

    def as_problem(self) -> Problem:
        return Problem(None, self.rule, self.message)


@dataclass(frozen=True)
class _Header:
    kind: Kind
    names: tuple[str, ...]
    has_rows: bool
    n_rows: int = 0  # known in advance for Parquet only
    row_bytes: float = 256.0  # CSV: mean and longest line length in the first MiB
    longest: int = 0
    body_start: int = 0  # CSV: the byte where the first data line starts


def _inspect(path: Path) -> _Header:
    if path.is_dir():
        raise _FileError(
            "unreadable",
            f"expected a file, found a directory: name one of its files "
            f"(ending in {', '.join(EXTENSIONS)})",
        )
    kind = EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        raise _FileError(
            "extension",
            f"expected a file ending in {', '.join(EXTENSIONS)}; "
            f"got {path.suffix or 'no extension'!r}",
        )
    if path.stat().st_size == 0:
        raise _FileError("empty_file", "the file is empty (0 bytes); expected a header line")
    return _inspect_csv(path) if kind == "csv" else _inspect_parquet(path)


def _inspect_csv(path: Path) -> _Header:
    with path.open("rb") as stream:
        head = stream.read(_SAMPLE_BYTES)
    if b"\x00" in head:
        hint = " (it is a Parquet file: use the .parquet extension)" if head[:4] == b"PAR1" else ""
        raise _FileError("unreadable", f"expected CSV text, found binary data{hint}")
    end = _LINE_END.search(head)  # Arrow ends a line at \n, \r\n or a bare \r
    if end is None and len(head) == _SAMPLE_BYTES:
        raise _FileError("unreadable", "expected lines of CSV text; no line break in 1 MiB")
    first, body = (head, b"") if end is None else (head[: end.start()], head[end.end() :])
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _FileError(
            "encoding", f"expected UTF-8 text; the header has a non-UTF-8 byte at {exc.start}"
        ) from None
    if not line.strip():
        raise _FileError("empty_file", "the first line is blank; expected the column names")
    try:
        names = tuple(next(csv.reader([line])))
    except csv.Error as exc:
        raise _FileError("unreadable", f"the header line is not CSV ({exc})") from None
    _check_separator(line, names, body)
    n_lines = max(1, body.count(b"\n"))
    longest = max(len(first), *(len(x) for x in body.split(b"\n")))
    start = len(head) if end is None else end.end()
    return _Header(
        "csv",
        names,
        bool(body),
        row_bytes=len(body) / n_lines,
        longest=longest,
        body_start=start,
    )


_SEPARATORS = {";": "';' (semicolon)", "\t": "a tab"}
_SPELLED = {";": "';'", "\t": "'\\t'"}
_DECIMAL_COMMA = re.compile(r"(^|[;\t])\"?-?[0-9]+,[0-9]+\"?($|[;\t])", re.MULTILINE)


def _check_separator(line: str, names: tuple[str, ...], body: bytes) -> None:
    """Refuse a header that splits into more catalog names on ';' or a tab than on commas.

    A spreadsheet saved as CSV in a French locale separates fields with ';' (and writes decimal
    commas); read on commas, its header is one unknown name and every column is missing.
    """
    known = sum(n in CATALOG for n in names)
    for separator in _SEPARATORS:
        split = next(csv.reader([line], delimiter=separator))
        found = sum(n.strip() in CATALOG for n in split)
        if found >= 2 and found > known:
            break
    else:
        return
    sep, spelled = _SPELLED[separator], _SEPARATORS[separator]
    fix = f"pd.read_csv(path, sep={sep}, dtype=str)"
    if separator == ";" and _DECIMAL_COMMA.search(body[:65536].decode("utf-8", "replace")):
        fix += r".replace(r'^(-?[0-9]+),([0-9]+)$', r'\1.\2', regex=True)"  # decimal commas
    raise _FileError(
        "separator",
        f"the file seems to use {spelled} as the separator ({found} catalog names in the header "
        f"split on it); dmde reads comma-separated CSV. Convert it, e.g. in pandas: "
        f"{fix}.to_csv(out, index=False)",
    )


def _inspect_parquet(path: Path) -> _Header:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # names not UTF-8: damaged
        raise _FileError(
            "unreadable", f"not a readable Parquet file ({_arrow_message(exc)})"
        ) from None
    n_rows = parquet.metadata.num_rows
    return _Header("parquet", tuple(parquet.schema_arrow.names), n_rows > 0, n_rows=n_rows)


def _no_rows(header: _Header) -> Problem:
    where = "the file has only a header" if header.kind == "csv" else "the file has no rows"
    return Problem(None, "no_rows", f"expected at least one data row; {where}")


@dataclass(frozen=True)
class _Plan:
    wanted: tuple[str, ...] | None  # the columns asked for, None for all
    read: tuple[str, ...]  # catalog columns to read and check, in file order
    notes: tuple[Problem, ...]  # problems of the header


def _plan(header: _Header, wanted: tuple[str, ...] | None) -> _Plan:
    """Which columns to read, and the header's problems."""
    counts = Counter(header.names)
    seen = [n for n in counts if wanted is None or n in wanted]
    # A name twice makes the file ambiguous, whichever columns are read: refused by every reader.
    notes = [
        Problem(n, "duplicate_header", f"expected each name once; {n!r} is {counts[n]} times")
        for n in counts
        if counts[n] > 1
    ]
    if wanted is None:
        unknown = [n for n in seen if n not in CATALOG]
        notes += [Problem(n, "unknown_column", _unknown_column_message(n)) for n in unknown]
    required = wanted or tuple(c.name for c in CATALOG.values() if c.required)
    notes += [
        Problem(n, "missing_column", f"expected a column {n!r}{_label(n)}; the file has none")
        for n in required
        if n not in counts
    ]
    read = tuple(n for n in seen if n in CATALOG and counts[n] == 1)
    return _Plan(wanted, read, tuple(notes))


def _label(name: str) -> str:
    label = CATALOG[name].label
    return "" if label == name.replace("_", " ") else f" ({label})"


Values = Literal["typed", "text", "bytes"]


def csv_batches(
    path: Path,
    header: _Header,
    read: Sequence[str],
    batch_size: int,
    *,
    values: Values = "typed",
    on_bad_row: Callable[[pacsv.InvalidRow], Literal["skip"]] | None = None,
    block_size: int | None = None,
    skip_blank_lines: bool = False,
    tally: FileTally | None = None,
) -> Iterator[pa.RecordBatch]:
    """Batches of the ``read`` columns of a CSV file, at most ``batch_size`` rows each.

    This is dmde's one CSV batch reader. ``values`` chooses how the columns are parsed:
    ``"typed"`` with :func:`reading_type` (fast, threaded; Arrow raises at the first value that
    does not parse), ``"text"`` as strings (threaded, parsed later by
    :func:`~dmde.data.rules.parse_text`) or ``"bytes"`` (one thread, which lets Arrow number
    the rows it hands to ``on_bad_row``: the diagnostic pass). As bytes, the text is handed to
    Arrow as Latin-1 (every byte a character), so that a row with the wrong number of fields
    reaches ``on_bad_row`` whatever bytes it holds (its text with the bytes that are not UTF-8
    shown as ``\\xNN``), and the values come back as the file's bytes. ``block_size`` is the
    bytes of text parsed at a time (default: about ``batch_size`` rows, from 64 KiB to 4 MiB);
    with ``skip_blank_lines`` a blank line is not a row (otherwise it is a row of one empty
    field).

    Arrow reads the file through a stream that counts its lines as the bytes go by (for the
    check that rows and lines match one to one) and, given a ``tally``, hashes them: a reading
    that reaches the end of the file fills it (:class:`FileTally`), so the file is read once.
    Typed or text batches are parsed a batch ahead in a thread (:func:`read_ahead`), while the
    caller works on the previous one.
    """
    names = _distinct(header.names)
    include = list(read) or names[:1]  # Arrow reads every column when include_columns is empty
    types = {n: _csv_type(n, read, values) for n in include}
    if block_size is None:
        wanted_bytes = batch_size * header.row_bytes
        block_size = max(min(int(wanted_bytes), _MAX_BLOCK), _MIN_BLOCK, 4 * header.longest)
    as_bytes = values == "bytes"
    seen = [0]  # rows Arrow handed over: parsed, or to the handler

    def handler(row: pacsv.InvalidRow) -> Literal["skip"]:
        seen[0] += 1
        assert on_bad_row is not None
        return on_bad_row(_with_file_text(row) if as_bytes else row)

    source = _TallyingFile(path, header.body_start, digest=tally is not None)
    batches: Iterator[pa.RecordBatch] = iter(())
    try:
        reader = pacsv.open_csv(
            cast("IO[bytes]", source),
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                block_size=block_size,
                use_threads=not as_bytes,
                encoding="latin-1" if as_bytes else "utf8",
            ),
            parse_options=pacsv.ParseOptions(
                ignore_empty_lines=skip_blank_lines,
                invalid_row_handler=None if on_bad_row is None else handler,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=include,
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
        # The handler counts the rows it is given as Arrow meets them: no reading ahead then.
        taken = _taken(reader, source)
        batches = taken if on_bad_row is not None else read_ahead(taken)
        for batch in batches:
            seen[0] += batch.num_rows
            if as_bytes:
                batch = pa.RecordBatch.from_arrays(
                    [_file_bytes(c) for c in batch.columns], names=batch.schema.names
                )
            for start in range(0, batch.num_rows, batch_size):
                yield batch.slice(start, batch_size)
        source.finish()
    finally:
        if isinstance(batches, Generator):
            batches.close()  # stops the thread reading ahead before the file is closed
        source.close()
    if tally is not None:
        tally.sha256, tally.lines = source.hexdigest(), source.lines
    if not skip_blank_lines:
        _check_one_row_per_line(path, header, seen[0], source.lines)


def _taken(reader: Iterable[pa.RecordBatch], source: _TallyingFile) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        source.took()
        yield batch


class SpanningRows(pa.ArrowInvalid):
    """A CSV file whose rows are fewer than its lines: a quoted value runs across lines."""


def _check_one_row_per_line(path: Path, header: _Header, rows: int, lines: int) -> None:
    """Refuse a file whose rows do not match its lines one to one (nothing is lost unsaid).

    Arrow lets a quoted value run across lines: an opening quote without its pair silently
    turns the rest of the file into one value. dmde reads one row per line, so the rows Arrow
    returned are counted against the file's ``lines`` (:func:`data_lines`).
    """
    if rows == lines:
        return
    where = _open_quote_line(path, header.body_start)
    at = (
        f"line {where} opens a quoted value that its line does not close"
        if where is not None
        else "a quoted value runs across lines"
    )
    lost = lines - rows
    raise SpanningRows(
        f"{lines:,} lines of data but {rows:,} rows: {at} (a '\"' without its pair?), so "
        f"{lost:,} line{'' if lost == 1 else 's'} would be read as part of other rows; dmde "
        "reads one row per line: fix the quoting"
    )


def data_lines(path: Path, start: int = 0) -> int:
    """The lines of a file from byte ``start``, as Arrow ends them (``\n``, ``\r\n``, ``\r``).

    A last line without its line end counts; the file is read in 16 MiB chunks.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "x.csv")
    ...     _ = path.write_bytes(b"a,b\\n1,2\\r\\n\\r3,4")
    ...     data_lines(path, 4)
    3
    """
    lines = _LineCount()
    with Path(path).open("rb") as stream:
        stream.seek(start)
        while chunk := stream.read(_CHUNK):
            lines.add(chunk)
    return lines.total


class _LineCount:
    """Lines of bytes given in pieces, as Arrow ends them (``\n``, ``\r\n`` or a bare
    ``\r``; a last line without its end counts)."""

    def __init__(self) -> None:
        self._count = 0
        self._last: int | None = None  # the last byte seen
        self._scratch = np.empty(_COUNT_STEP, dtype=np.bool_)

    def add(self, chunk: bytes, start: int = 0) -> None:
        """Count the lines of ``chunk[start:]``, the next bytes of the file."""
        if start >= len(chunk):
            return
        values = np.frombuffer(chunk, dtype=np.uint8, offset=start)
        count = 0
        for lo in range(0, values.size, _COUNT_STEP):  # numpy: faster than bytes.count,
            part = values[lo : lo + _COUNT_STEP]  # in steps: no large temporary to fault in
            ends = np.equal(part, 10, out=self._scratch[: part.size])
            count += int(np.count_nonzero(ends))
        if chunk.find(b"\r", start) >= 0:  # rare: count the \r that end lines alone
            count += chunk.count(b"\r", start) - chunk.count(b"\r\n", start)
        if self._last == 13 and chunk[start] == 10:
            count -= 1  # a \r\n cut between two pieces: its \r was counted
        self._count += count
        self._last = chunk[-1]

    @property
    def total(self) -> int:
        return self._count + (1 if self._last is not None and self._last not in (10, 13) else 0)


class FileTally:
    """What a reading learnt of a CSV file's bytes while Arrow read them (one pass instead of
    a reading, a hash and a count of lines).

    Attributes
    ----------
    sha256 : str or None
        The SHA-256 of the whole file, once a reading has read it to its end.
    lines : int or None
        Its data lines (after the header), as :func:`data_lines` counts them.
    """

    def __init__(self) -> None:
        self.sha256: str | None = None
        self.lines: int | None = None


class _TallyingFile(io.RawIOBase):
    """A file read from its start, whose bytes are hashed (with ``digest``) and whose lines
    from byte ``start`` on are counted as they are read: what Arrow reads from.

    Arrow reads up to 32 blocks ahead of its parsing (8 MiB blocks: 300 MB held). The reads
    are held back to ``_AHEAD`` blocks more than the batches taken (:meth:`took`); a read
    that waits for long (a line longer than those blocks) goes on anyway.
    """

    def __init__(self, path: Path, start: int, *, digest: bool) -> None:
        super().__init__()
        self._file = path.open("rb", buffering=0)
        self._hash = hashlib.sha256() if digest else None
        self._skip = start  # bytes of the header still to come (its line is not data)
        self._lines = _LineCount()
        self._reads = self._taken = 0
        self._turn = threading.Condition()

    def readable(self) -> bool:
        return True

    def took(self) -> None:
        """Say that the reading took one more batch from Arrow."""
        with self._turn:
            self._taken += 1
            self._turn.notify_all()

    def read(self, size: int | None = -1) -> bytes:
        with self._turn:
            self._turn.wait_for(lambda: self._reads - self._taken < _AHEAD, timeout=_PATIENCE)
            self._reads += 1
        chunk = self._file.read(size) if size is not None and size >= 0 else self._file.readall()
        if not chunk:
            return b""
        if self._hash is not None:
            self._hash.update(chunk)  # hashlib lets other threads run meanwhile
        if self._skip >= len(chunk):
            self._skip -= len(chunk)
        else:
            self._lines.add(chunk, self._skip)
            self._skip = 0
        return chunk

    def finish(self) -> None:
        """Read what the reading left (nothing, when it read to the end)."""
        while self.read(_CHUNK):
            pass

    def hexdigest(self) -> str | None:
        return None if self._hash is None else self._hash.hexdigest()

    @property
    def lines(self) -> int:
        return self._lines.total

    def close(self) -> None:
        self._file.close()
        super().close()


_DONE = object()


def read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of ``items``, the next ones computed in a thread while the caller works.

    Parsing a CSV block, or checking and scoring a batch (Arrow and numpy, which release the
    GIL), then overlaps with what the caller does with the previous one. An error in the
    thread is raised in the caller, in its place among the items; if the caller stops, the
    thread stops at its next item.
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(item: Any) -> bool:
        """Queue ``item`` for the caller; False if the caller stopped meanwhile."""
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand(item):
                    return
            hand(_DONE)
        except BaseException as exc:  # handed to the caller, raised there
            hand(exc)

    worker = threading.Thread(target=produce, name="dmde-ahead", daemon=True)
    worker.start()
    try:
        while (item := slots.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _open_quote_line(path: Path, start: int) -> int | None:
    """The file line (1-based) where a quoted value is still open at the line's end, if any.

    Only for the error message: one pass over the bytes, counting quotes until a line end.
    """
    line = 2  # the header is line 1
    inside = False
    with path.open("rb") as stream:
        stream.seek(start)
        previous = b""
        while chunk := stream.read(_CHUNK):
            for piece in re.split(rb"(\r\n|\r|\n)", chunk):
                if piece in (b"\r\n", b"\r", b"\n"):
                    if inside:
                        return line
                    if not (piece == b"\n" and previous == b"\r"):
                        line += 1
                else:
                    inside ^= piece.count(b'"') % 2 == 1
                previous = piece[-1:]
    return None


def _with_file_text(row: pacsv.InvalidRow) -> pacsv.InvalidRow:
    """The row with its text as in the file (read as Latin-1)."""
    text = row.text.encode("latin-1").decode("utf-8", "backslashreplace")
    return pacsv.InvalidRow(row.expected_columns, row.actual_columns, row.number, text)


def _file_bytes(values: Arr) -> Arr:
    """Binary values read from text transcoded from Latin-1, as the bytes of the file."""
    text = values.cast(pa.string())
    ascii_only = pc.string_is_ascii(text)
    if pc.all(ascii_only).as_py() is not False:
        return values
    odd = numbers_array(~flags(ascii_only) & flags(pc.is_valid(ascii_only)))
    restored = [str(v).encode("latin-1") for v in text.filter(odd).to_pylist()]
    fixed: Arr = pc.replace_with_mask(values, odd, text_array(restored, pa.binary()))
    return fixed


def _csv_type(name: str, read: Sequence[str], values: Values) -> pa.DataType:
    if values == "bytes" or name not in read:
        return pa.binary()
    return pa.string() if values == "text" else reading_type(name)


def parquet_batches(
    path: Path, read: Sequence[str], batch_size: int, *, dictionary: bool = True
) -> Iterator[pa.RecordBatch]:
    """Batches of the ``read`` columns of a Parquet file, as stored; with ``dictionary``, the
    text columns of the catalog are read dictionary-encoded."""
    text: list[str] = []
    if dictionary:
        stored = pq.ParquetFile(path).schema_arrow
        text = [n for n in read if CATALOG[n].dtype in _TEXT and _is_text(stored.field(n).type)]
    parquet = pq.ParquetFile(path, read_dictionary=text or None)
    yield from parquet.iter_batches(batch_size=batch_size, columns=list(read))


def _distinct(names: Sequence[str]) -> list[str]:
    """Header names made distinct for Arrow (repeated names are never read)."""
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        out.append(name if not seen[name] else f"{name}\x00{seen[name]}")
        seen[name] += 1
    return out


def reading_type(name: str) -> pa.DataType:
    """The Arrow type a catalog column is read as: text dictionary-encoded, numbers as float64,
    integers and flags as int64 (checked before any narrower cast)."""
    dtype = CATALOG[name].dtype
    if dtype in _TEXT:
        return pa.dictionary(pa.int32(), pa.string())
    return pa.float64() if dtype == "float" else pa.int64()
