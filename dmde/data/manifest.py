"""Run manifests: the JSON record beside a run's outputs, which vouches for them.

A manifest names the inputs (path and SHA-256), the model (its content hash), the parameters, the
counts (which must reconcile: rows read = scored + rejected), the timings and the dmde version,
and lists the files of the run with their sizes and SHA-256 (``files``, by path relative to the
manifest's folder).

A run's outputs land as a set (:func:`land_run`): every file is written as a temporary, the
manifest is replaced by one that says the run is being written (``"status": "writing"``), the
files are renamed onto their names, and the complete manifest is renamed last. Whenever a run is
interrupted, each output is either the previous run's, still vouched for by its manifest, or a
file its manifest does not vouch for. Readers call :func:`check_vouched`, which refuses the
latter.

A table's manifest is ``<output>.manifest.json`` (:func:`manifest_path`); a document's (HTML,
Markdown and JSON of the same stem) is ``<stem>.manifest.json`` (:func:`document_manifest_path`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dmde._version import __version__
from dmde.core.errors import DmdeError
from dmde.core.files import FileSet, sha256_file, write_text

__all__ = [
    "check_vouched",
    "document_manifest_path",
    "land_run",
    "manifest_path",
    "read_manifest",
    "sha256_file",
]

COMPLETE = "complete"
WRITING = "writing"


def manifest_path(output: str | os.PathLike[str]) -> Path:
    """Where the manifest of a table ``output`` goes: ``<output>.manifest.json``."""
    out = Path(output)
    return out.with_name(out.name + ".manifest.json")


def document_manifest_path(document: str | os.PathLike[str]) -> Path:
    """Where the manifest of a document (any of its formats) goes: ``<stem>.manifest.json``.

    Examples
    --------
    >>> document_manifest_path("reports/audit.html").as_posix()
    'reports/audit.manifest.json'
    """
    path = Path(document)
    return path.with_name(path.stem + ".manifest.json")


def read_manifest(
    output: str | os.PathLike[str], *, manifest: str | os.PathLike[str] | None = None
) -> dict[str, Any] | None:
    """The manifest of ``output`` as a dict, or None when there is none.

    ``manifest`` names the manifest file when it is not :func:`manifest_path` of ``output``.

    Raises
    ------
    DmdeError
        If the manifest exists but is not a readable JSON object (the message names it).
    """
    path = manifest_path(output) if manifest is None else Path(manifest)
    if not path.is_file():
        return None
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DmdeError(f"{path}: not a readable manifest ({exc}).") from None
    if not isinstance(content, dict):
        raise DmdeError(f"{path}: not a manifest (a JSON object was expected).")
    return content


def _text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def land_run(
    files: FileSet,
    manifest: str | os.PathLike[str],
    record: Mapping[str, Any],
    *,
    error: type[DmdeError] = DmdeError,
) -> Path:
    """Land the run's ``files`` with the ``manifest`` that vouches for them, the manifest last.

    Parameters
    ----------
    files : FileSet
        The run's outputs, written as temporaries and not landed yet.
    manifest : path
        The manifest's path (:func:`manifest_path` or :func:`document_manifest_path`).
    record : mapping
        What the manifest says of the run; ``dmde_version``, ``status`` and ``files`` are added.
    error : DmdeError subclass
        Raised when a file cannot be written.

    Returns
    -------
    Path
        The manifest.
    """
    target = Path(manifest)
    folder = target.parent
    listed: dict[str, dict[str, Any]] = {}
    for output in files.targets:
        size, digest = files.digest(output)
        listed[Path(os.path.relpath(output, folder)).as_posix()] = {"bytes": size, "sha256": digest}
    head = {"dmde_version": __version__, **record}
    write_text(
        target, _text({**head, "status": WRITING, "files": listed}), what="manifest", error=error
    )
    files.land()
    write_text(
        target, _text({**head, "status": COMPLETE, "files": listed}), what="manifest", error=error
    )
    return target


def check_vouched(
    path: str | os.PathLike[str],
    *,
    manifest: str | os.PathLike[str] | None = None,
    what: str = "file",
    required: bool = False,
    sha256: str | None = None,
    error: type[DmdeError] = DmdeError,
) -> dict[str, Any] | None:
    """The manifest that vouches for ``path``, after checking that it does.

    Parameters
    ----------
    path : path
        The file to read.
    manifest : path, optional
        Its manifest, when not :func:`manifest_path` of ``path``.
    what : str
        How the file is named in messages ("scores file").
    required : bool, default False
        Whether a file without a manifest is refused (True) or accepted as made elsewhere (None
        is then returned).
    sha256 : str, optional
        The file's SHA-256 when the caller has it already (not computed twice).
    error : DmdeError subclass
        The exception raised.

    Returns
    -------
    dict or None
        The manifest, or None when there is none and it is not required.

    Raises
    ------
    DmdeError (``error``)
        If the manifest is required and missing, says that its run did not finish, does not
        list the file, or lists it with another size or SHA-256.
    """
    source = Path(path)
    where = manifest_path(source) if manifest is None else Path(manifest)
    try:
        content = read_manifest(source, manifest=where)
    except DmdeError as exc:
        raise error(str(exc)) from None
    if content is None:
        if required:
            raise error(
                f"{what} {str(source)!r} has no manifest ({str(where)!r}): dmde cannot tell "
                "which run wrote it. Keep the manifest beside it, or run the command again."
            )
        return None
    rerun = "Run the command that writes it again."
    status = content.get("status")
    if status == WRITING:
        raise error(
            f"{what} {str(source)!r}: the run that writes it was interrupted before it ended "
            f"(its manifest {str(where)!r} says 'writing'), so its files may be of two runs. "
            + rerun
        )
    listed = content.get("files")
    if status != COMPLETE or not isinstance(listed, dict):
        raise error(
            f"{what} {str(source)!r}: its manifest {str(where)!r} does not list the files it "
            f"vouches for (an older dmde wrote it, or it was edited). " + rerun
        )
    name = Path(os.path.relpath(source, where.parent)).as_posix()
    entry = listed.get(name)
    if not isinstance(entry, dict):
        raise error(
            f"{what} {str(source)!r} is not one of the files its manifest {str(where)!r} "
            f"vouches for ({', '.join(sorted(listed)) or 'none'}). " + rerun
        )
    size = source.stat().st_size if source.is_file() else None
    if size != entry.get("bytes") or (sha256 or sha256_file(source)) != entry.get("sha256"):
        raise error(
            f"{what} {str(source)!r} is not the file its manifest {str(where)!r} vouches for "
            "(its size or SHA-256 differ): it was changed, or written by another run. " + rerun
        )
    return content
