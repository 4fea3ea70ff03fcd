"""Writing files so that a reader never sees half of one, nor half of a run's set of files.

Every file dmde writes first goes to a temporary file beside its target, named
``.<name>.<pid>-<random>.tmp`` (:func:`temporary_path`), which is renamed onto the target once
complete. :class:`FileSet` does this for the several files of one run: all are written as
temporaries, then renamed together (:meth:`FileSet.land`), so a failure before that point leaves
every previous file untouched. A temporary left by a run that was killed is removed by the next
run that writes in the same folder (:func:`remove_stale_temporaries`): its process id no
longer runs. Failures are reported as :class:`~dmde.core.errors.DmdeError` naming the file.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from contextlib import suppress
from pathlib import Path
from types import TracebackType

from dmde.core.errors import DmdeError

__all__ = [
    "FileSet",
    "cannot_write",
    "remove_stale_temporaries",
    "sha256_file",
    "temporary_path",
    "write_text",
]

_CHUNK = 1 << 22
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cannot_write(
    path: str | os.PathLike[str],
    exc: OSError,
    *,
    what: str = "",
    error: type[DmdeError] = DmdeError,
) -> DmdeError:
    """The error for a file that cannot be written: which, why, and what to check."""
    named = f"{what} {str(path)!r}" if what else repr(str(path))
    message = (
        f"cannot write {named}: {exc.strerror or exc}; check that the folder exists and is "
        "writable, and that the disk has room."
    )
    made = error(message)
    if hasattr(made, "path"):
        made.path = str(path)
    return made


def temporary_path(target: str | os.PathLike[str]) -> Path:
    """A fresh temporary name beside ``target``: ``.<name>.<pid>-<8 hex>.tmp``.

    Examples
    --------
    >>> import os
    >>> name = temporary_path("out/scores.csv").name
    >>> name.startswith(f".scores.csv.{os.getpid()}-") and name.endswith(".tmp")
    True
    """
    path = Path(target)
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporaries that killed dmde runs left in ``folder``.

    A temporary is a hidden file named as :func:`temporary_path` names them; it is stale when
    the process whose id is in its name no longer runs (the temporaries of a run still going
    are left alone). Other files are never touched.

    Returns
    -------
    list of Path
        The temporaries removed, sorted.
    """
    removed: list[Path] = []
    try:
        candidates = sorted(Path(folder).glob(".*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        match = _TEMPORARY.match(candidate.name)
        if match is None or _running(int(match["pid"])):
            continue
        with suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or not ours to judge: leave its file alone
    return True


class FileSet:
    """The files of one run, written as temporaries and renamed onto their names together.

    Use it as a context manager: ask :meth:`temporary` for where to write each file (or call
    :meth:`write_text`), then call :meth:`land`. Leaving the block without landing, on an
    error or an interruption, removes every temporary and leaves the targets as they were.

    Parameters
    ----------
    error : DmdeError subclass
        The exception raised when a file cannot be written or renamed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> def names(folder):
    ...     return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    >>> with tempfile.TemporaryDirectory() as tmp, FileSet() as files:
    ...     folder = pathlib.Path(tmp)
    ...     a = files.write_text(folder / "a.md", "# A\\n")
    ...     b = files.write_text(folder / "b.md", "# B\\n")
    ...     before = names(folder)
    ...     landed = files.land()
    ...     after = names(folder)
    >>> before, after
    ([], ['a.md', 'b.md'])
    """

    def __init__(self, *, error: type[DmdeError] = DmdeError) -> None:
        self._error = error
        self._files: dict[Path, Path] = {}
        self._cleaned: set[Path] = set()
        self._digests: dict[Path, tuple[int, str]] = {}
        self._landed = False

    def __enter__(self) -> FileSet:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._landed:
            self.discard()

    @property
    def targets(self) -> list[Path]:
        """The files of the set, in the order they were added."""
        return list(self._files)

    def temporary(self, target: str | os.PathLike[str]) -> Path:
        """Where to write ``target``'s content; its folder is created, stale temporaries removed."""
        path = Path(target)
        if path in self._files:
            raise self._error(f"{str(path)!r} is written twice by the same run.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise cannot_write(path, exc, error=self._error) from exc
        if path.parent not in self._cleaned:  # once per folder: a glob per file is quadratic
            remove_stale_temporaries(path.parent)
            self._cleaned.add(path.parent)
        self._files[path] = temporary_path(path)
        return self._files[path]

    def temporary_of(self, target: str | os.PathLike[str]) -> Path:
        """The temporary written for ``target`` (KeyError if it is not in the set)."""
        return self._files[Path(target)]

    def written(self, target: str | os.PathLike[str], size: int, sha256: str) -> None:
        """Record the size and SHA-256 of what was written for ``target``, hashed as it was
        written: :meth:`digest` then does not read the file again."""
        path = Path(target)
        self.temporary_of(path)  # KeyError if it is not in the set
        self._digests[path] = (size, sha256)

    def digest(self, target: str | os.PathLike[str]) -> tuple[int, str]:
        """Size in bytes and SHA-256 of what was written for ``target``, computed once (or
        recorded by :meth:`written`)."""
        path = Path(target)
        if path not in self._digests:
            temporary = self.temporary_of(path)
            self._digests[path] = (temporary.stat().st_size, sha256_file(temporary))
        return self._digests[path]

    def write_text(self, target: str | os.PathLike[str], text: str, *, what: str = "file") -> Path:
        """Write ``text`` (UTF-8, ``\\n`` line ends) as the temporary of ``target``."""
        temporary = self.temporary(target)
        try:
            with temporary.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)  # no fsync: thousands of notices would take minutes
        except OSError as exc:
            raise cannot_write(target, exc, what=what, error=self._error) from exc
        return Path(target)

    def land(self) -> list[Path]:
        """Rename every temporary onto its target, in order; return the targets."""
        current: Path | None = None
        try:
            for current, temporary in self._files.items():
                os.chmod(temporary, 0o644)  # outputs are meant to be read
                os.replace(temporary, current)
        except OSError as exc:
            self.discard()
            raise cannot_write(current or "an output", exc, error=self._error) from exc
        for folder in {t.parent for t in self._files}:
            _sync_folder(folder)
        self._landed = True
        return self.targets

    def discard(self) -> None:
        """Remove every temporary not yet renamed."""
        for temporary in self._files.values():
            with suppress(OSError):
                temporary.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where the platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    what: str = "file",
    error: type[DmdeError] = DmdeError,
) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends, mode 0644) to ``path`` atomically.

    A set of one file (:class:`FileSet`): the previous file, if any, stays whole until the new
    one is complete.

    Parameters
    ----------
    path : path
        The file to write; missing parent folders are created.
    text : str
        The content.
    what : str
        What the file is, for the error message ("model file", "manifest").
    error : DmdeError subclass
        The exception raised when the file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_text(pathlib.Path(tmp) / "a" / "note.txt", "hello\\n")
    ...     p.read_text()
    'hello\\n'
    """
    with FileSet(error=error) as files:
        files.write_text(path, text, what=what)
        files.land()
    return Path(path)
