"""Tests of dmde.data.manifest: the JSON record beside a run's outputs, which vouches for them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import dmde.data.manifest
from dmde._version import __version__
from dmde.core.errors import DmdeError
from dmde.core.files import FileSet
from dmde.data.manifest import (
    check_vouched,
    land_run,
    manifest_path,
    read_manifest,
    sha256_file,
)


def test_the_manifest_sits_beside_its_output(tmp_path: Path) -> None:
    assert manifest_path(tmp_path / "scores.parquet") == tmp_path / "scores.parquet.manifest.json"


def test_written_then_read_with_the_version(tmp_path: Path) -> None:
    output = tmp_path / "scores.csv"
    with FileSet() as files:
        record = {"command": "score", "rows_read": 3, "ratio": 0.5}
        path = land_run(files, manifest_path(output), record)
    assert path == manifest_path(output)
    assert read_manifest(output) == {
        "dmde_version": __version__,
        "command": "score",
        "rows_read": 3,
        "ratio": 0.5,
        "status": "complete",
        "files": {},
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
    with pytest.raises(ValueError, match="Out of range float values"), FileSet() as files:
        land_run(files, manifest_path(tmp_path / "x.csv"), {"seconds": float("nan")})
    assert not manifest_path(tmp_path / "x.csv").exists()


def test_sha256_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"dmde" * 1_000_000)
    assert sha256_file(path) == hashlib.sha256(b"dmde" * 1_000_000).hexdigest()


# --- a run's outputs land as a set, vouched for by the manifest --------------------------------


def _run(folder: Path, scores: str, rejects: str) -> Path:
    with FileSet() as files:
        files.write_text(folder / "scores.csv", scores)
        files.write_text(folder / "rejects" / "r.csv", rejects)
        return land_run(files, manifest_path(folder / "scores.csv"), {"command": "score"})


def test_the_manifest_lists_sizes_and_hashes_by_relative_path(tmp_path: Path) -> None:
    manifest = _run(tmp_path, "s\n1\n", "row\n")
    content = json.loads(manifest.read_text())
    assert content["status"] == "complete" and content["command"] == "score"
    assert content["files"] == {
        "scores.csv": {"bytes": 4, "sha256": hashlib.sha256(b"s\n1\n").hexdigest()},
        "rejects/r.csv": {"bytes": 4, "sha256": hashlib.sha256(b"row\n").hexdigest()},
    }
    assert check_vouched(tmp_path / "scores.csv") == content
    assert check_vouched(tmp_path / "rejects" / "r.csv", manifest=manifest) == content


def test_a_folder_moved_whole_is_still_vouched_for(tmp_path: Path) -> None:
    _run(tmp_path / "a", "s\n1\n", "row\n")
    (tmp_path / "a").rename(tmp_path / "b")
    assert check_vouched(tmp_path / "b" / "scores.csv") is not None


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("edit", r"is not the file its manifest .* vouches for \(its size or SHA-256 differ\)"),
        ("same-size-edit", r"is not the file its manifest"),
        ("writing", r"the run that writes it was interrupted before it ended"),
        ("older", r"does not list the files it vouches for"),
        ("unlisted", r"is not one of the files its manifest .* vouches for \(rejects/r.csv"),
        ("broken", r"not a readable manifest"),
    ],
)
def test_a_file_its_manifest_does_not_vouch_for_is_refused(
    tmp_path: Path, damage: str, message: str
) -> None:
    manifest = _run(tmp_path, "s\n1\n", "row\n")
    scores = tmp_path / "scores.csv"
    content = json.loads(manifest.read_text())
    if damage == "edit":
        scores.write_text("s\n1\n2\n")
    elif damage == "same-size-edit":
        scores.write_text("s\n2\n")
    elif damage == "writing":
        manifest.write_text(json.dumps({**content, "status": "writing"}))
    elif damage == "older":
        manifest.write_text(json.dumps({"command": "score"}))
    elif damage == "unlisted":
        del content["files"]["scores.csv"]
        manifest.write_text(json.dumps(content))
    else:
        manifest.write_text("{")
    with pytest.raises(DmdeError, match=message):
        check_vouched(scores, what="scores file")


def test_a_file_without_manifest_is_accepted_only_when_not_required(tmp_path: Path) -> None:
    made_elsewhere = tmp_path / "scores.csv"
    made_elsewhere.write_text("s\n")
    assert check_vouched(made_elsewhere) is None
    with pytest.raises(DmdeError, match=r"has no manifest .* dmde cannot tell which run wrote it"):
        check_vouched(made_elsewhere, required=True)


def test_a_manifest_that_cannot_be_written_lands_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> Path:
        raise DmdeError("cannot write manifest: No space left on device")

    monkeypatch.setattr(dmde.data.manifest, "write_text", full)
    with pytest.raises(DmdeError, match="No space left"):
        _run(tmp_path, "s\n", "r\n")
    assert list(tmp_path.rglob("*.csv")) == [] and list(tmp_path.rglob(".*.tmp")) == []
