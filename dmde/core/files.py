"""Writing a text file atomically: the one temporary-file-then-rename every output uses.

A reader never sees half a file: the text goes to a temporary file beside the target, which is
then renamed over it. A failure leaves the previous file (if any) untouched and no temporary
file behind, and is reported as a :class:`~dmde.core.errors.DmdeError` naming the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dmde.core.errors import DmdeError

__all__ = ["write_text"]


def write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    what: str = "file",
    error: type[DmdeError] = DmdeError,
) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends, mode 0644) to ``path`` atomically.

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
    target = Path(path)
    tmp = ""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are meant to be read
        os.replace(tmp, target)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise error(f"cannot write {what} {str(target)!r}: {exc.strerror or exc}") from exc
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise
    return target
