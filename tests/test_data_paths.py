"""Tests of dmde.data.paths: no output of a run may be an input or another output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dmde.core.errors import ParameterError
from dmde.data.paths import check_distinct_paths, same_file


def test_same_file_through_links_and_dots(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    target.write_text("x")
    os.symlink(target, tmp_path / "link.csv")
    os.link(target, tmp_path / "hard.csv")
    assert same_file(tmp_path / "link.csv", target)
    assert same_file(tmp_path / "hard.csv", target)
    assert same_file(tmp_path / "sub" / ".." / "a.csv", target)
    assert not same_file(tmp_path / "b.csv", target)


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ([("output", "the scores", "in.csv")], r"^output must be another file than the data"),
        (
            [("output", "the scores", "s.csv"), ("rejects", "the rejects", "s.csv")],
            r"^rejects must be another file than the scores '.*'; got '.*s.csv'\. Write the "
            r"rejects to another file: writing it would destroy the scores\.$",
        ),
        ([("output", "the scores", "s.csv")], None),
    ],
    ids=["output-is-input", "two-outputs", "fine"],
)
def test_check_distinct_paths(
    tmp_path: Path, outputs: list[tuple[str, str, str]], message: str | None
) -> None:
    (tmp_path / "in.csv").write_text("x")
    placed = [(name, what, tmp_path / path) for name, what, path in outputs]
    inputs = {"the data file": tmp_path / "in.csv"}
    if message is None:
        check_distinct_paths(placed, inputs)
        return
    with pytest.raises(ParameterError, match=message):
        check_distinct_paths(placed, inputs)
