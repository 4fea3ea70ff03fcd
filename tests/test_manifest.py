"""Tests of dmde.data.manifest: the JSON record beside every batch output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dmde._version import __version__
from dmde.core.errors import DmdeError
from dmde.data.manifest import manifest_path, read_manifest, sha256_file, write_manifest


def test_the_manifest_sits_beside_its_output(tmp_path: Path) -> None:
    assert manifest_path(tmp_path / "scores.parquet") == tmp_path / "scores.parquet.manifest.json"


def test_written_then_read_with_the_version(tmp_path: Path) -> None:
    output = tmp_path / "scores.csv"
    path = write_manifest(output, {"command": "score", "rows_read": 3, "ratio": 0.5})
    assert path == manifest_path(output)
    assert read_manifest(output) == {
        "dmde_version": __version__,
        "command": "score",
        "rows_read": 3,
        "ratio": 0.5,
    }
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_no_manifest_reads_as_none(tmp_path: Path) -> None:
    assert read_manifest(tmp_path / "scores.csv") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", r"not a readable manifest"), ("[1, 2]", r"a JSON object was expected")],
    ids=["not-json", "not-an-object"],
)
def test_a_broken_manifest_is_refused(tmp_path: Path, text: str, message: str) -> None:
    output = tmp_path / "scores.csv"
    manifest_path(output).write_text(text, encoding="utf-8")
    with pytest.raises(DmdeError, match=message):
        read_manifest(output)


def test_nan_is_refused_rather_than_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Out of range float values"):
        write_manifest(tmp_path / "x.csv", {"seconds": float("nan")})
    assert not manifest_path(tmp_path / "x.csv").exists()


def test_sha256_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"dmde" * 1_000_000)
    assert sha256_file(path) == hashlib.sha256(b"dmde" * 1_000_000).hexdigest()
