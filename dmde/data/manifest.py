"""Run manifests: a JSON record beside every batch output of what was done.

A manifest names the inputs (path and SHA-256), the model (its content hash), the parameters, the
counts (which must reconcile: rows read = scored + rejected) and the timings, with the dmde
version. It is written atomically next to the output, as ``<output>.manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dmde._version import __version__
from dmde.core.errors import DmdeError
from dmde.core.files import write_text

__all__ = ["manifest_path", "read_manifest", "sha256_file", "write_manifest"]

_CHUNK = 1 << 22


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(output: str | os.PathLike[str]) -> Path:
    """Where the manifest of ``output`` goes: ``<output>.manifest.json``."""
    out = Path(output)
    return out.with_name(out.name + ".manifest.json")


def read_manifest(output: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of ``output`` as a dict, or None when there is none.

    Raises
    ------
    DmdeError
        If the manifest exists but is not a readable JSON object (the message names it).
    """
    path = manifest_path(output)
    if not path.is_file():
        return None
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DmdeError(f"{path}: not a readable manifest ({exc}).") from None
    if not isinstance(content, dict):
        raise DmdeError(f"{path}: not a manifest (a JSON object was expected).")
    return content


def write_manifest(output: str | os.PathLike[str], record: Mapping[str, Any]) -> Path:
    """Write ``record`` (plus the dmde version) as the manifest of ``output``, atomically."""
    path = manifest_path(output)
    document = {"dmde_version": __version__, **record}
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_text(path, text, what="manifest")
