"""Tests of dmde.core.files: single files and sets of files land whole, or not at all."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from dmde.core.errors import DmdeError
from dmde.core.files import FileSet, remove_stale_temporaries, temporary_path, write_text


def _visible(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir() if not p.name.startswith(".")}


def test_a_set_lands_together_and_replaces_the_previous_one(tmp_path: Path) -> None:
    write_text(tmp_path / "a.md", "old a")
    write_text(tmp_path / "b.md", "old b")
    with FileSet() as files:
        files.write_text(tmp_path / "a.md", "new a")
        files.write_text(tmp_path / "b.md", "new b")
        assert _visible(tmp_path) == {"a.md": "old a", "b.md": "old b"}  # nothing yet
        assert files.land() == [tmp_path / "a.md", tmp_path / "b.md"]
    assert _visible(tmp_path) == {"a.md": "new a", "b.md": "new b"}
    assert list(tmp_path.glob(".*")) == []
    assert oct((tmp_path / "a.md").stat().st_mode & 0o777) == "0o644"


def test_an_error_before_landing_leaves_the_previous_set_and_no_temporary(tmp_path: Path) -> None:
    write_text(tmp_path / "a.md", "old a")
    with pytest.raises(RuntimeError, match="disk"), FileSet() as files:
        files.write_text(tmp_path / "a.md", "new a")
        files.write_text(tmp_path / "b.md", "new b")
        raise RuntimeError("disk full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]
    assert (tmp_path / "a.md").read_text() == "old a"


def test_a_file_written_twice_by_one_run_is_refused(tmp_path: Path) -> None:
    with FileSet() as files:
        files.write_text(tmp_path / "a.md", "1")
        with pytest.raises(DmdeError, match=r"a.md' is written twice by the same run"):
            files.write_text(tmp_path / "a.md", "2")


def test_a_folder_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DmdeError, match=r"cannot write '.*file/sub/a.md': .*check that the folder"):
        write_text(tmp_path / "file" / "sub" / "a.md", "x")


def test_temporary_names_carry_the_process_id(tmp_path: Path) -> None:
    first, second = temporary_path(tmp_path / "s.csv"), temporary_path(tmp_path / "s.csv")
    assert first != second and first.parent == tmp_path
    assert first.name.startswith(f".s.csv.{os.getpid()}-") and first.suffix == ".tmp"


@pytest.mark.parametrize("name", ["scores.csv", "odd [1]*.csv", "a.b.c.parquet"])
def test_only_stale_temporaries_of_dmde_are_removed(tmp_path: Path, name: str) -> None:
    """A dead process's temporaries go, whatever their target; ours and other files stay."""
    dead = [
        tmp_path / f".{name}.999999999-00000000.tmp",
        tmp_path / f".x{name}.999999998-00000000.tmp",  # another target, also dead
    ]
    kept = [
        temporary_path(tmp_path / name),  # this process: still running
        tmp_path / f".{name}.999999999-0000.tmp",  # not dmde's naming
        tmp_path / f"{name}.999999999-00000000.tmp",  # not hidden
        tmp_path / name,
    ]
    for path in (*dead, *kept):
        path.write_text("x")
    assert remove_stale_temporaries(tmp_path) == sorted(dead)
    assert sorted(tmp_path.iterdir()) == sorted(kept)


def test_writing_a_target_removes_its_stale_temporaries(tmp_path: Path) -> None:
    stale = tmp_path / ".a.md.999999999-deadbeef.tmp"
    stale.write_text("left by a killed run")
    write_text(tmp_path / "a.md", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_a_file_s_digest_is_what_was_written(tmp_path: Path) -> None:
    with FileSet() as files:
        files.write_text(tmp_path / "a.md", "# A\n")
        assert files.digest(tmp_path / "a.md") == (4, hashlib.sha256(b"# A\n").hexdigest())


def test_a_digest_recorded_while_writing_is_not_computed_again(tmp_path: Path) -> None:
    with FileSet() as files:
        temporary = files.temporary(tmp_path / "a.csv")
        temporary.write_bytes(b"x\n")
        files.written(tmp_path / "a.csv", 2, "recorded")
        assert files.digest(tmp_path / "a.csv") == (2, "recorded")
        with pytest.raises(KeyError):
            files.written(tmp_path / "b.csv", 2, "not in the set")


@pytest.mark.parametrize("name", ["scores.csv", "scores.parquet"])
def test_a_table_is_hashed_as_it_is_written(tmp_path: Path, name: str) -> None:
    import pyarrow as pa

    from dmde.data.writing import write_batches

    table = pa.table({"dossier_id": pa.array(range(50_000), pa.int64())})
    with FileSet() as files:
        write_batches(tmp_path / name, [table, table], schema=table.schema, files=files)
        written = files.temporary_of(tmp_path / name)
        expected = (written.stat().st_size, hashlib.sha256(written.read_bytes()).hexdigest())
        assert files._digests[tmp_path / name] == expected  # recorded, not read back
        assert files.digest(tmp_path / name) == expected
