"""Runs killed between their writes never leave a set of files that a reader accepts.

Each command (score, select, audit) first runs to the end (the previous run), then runs again
with other options in a fresh process that is killed with SIGKILL just before its k-th rename,
for every k. Then the readers are asked: ``dmde select`` reads the scores, ``explain``'s reader
the selection, ``dmde document --audit`` the audit report. Each must refuse, or accept a set that
its manifest vouches for file by file (the previous run's, whole). A later run removes the
temporaries that the killed one left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dmde.core.errors import DmdeError
from dmde.data.manifest import check_vouched, document_manifest_path, manifest_path
from dmde.data.synthetic import write_population
from dmde.documents.describe import document_model
from dmde.documents.selection_table import read_selection

# Kills the process just before its KILL_AT-th rename (0 = the first), then runs the dmde command.
KILLER = """
import os, signal, sys
from dmde.cli import main
kill_at, real, count = int(os.environ["KILL_AT"]), os.replace, [0]
def replace(source, target):
    if count[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    count[0] += 1
    return real(source, target)
os.replace = replace
sys.exit(main(sys.argv[1:]))
"""


def _run(args: list[str], *, kill_at: int = -1) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KILL_AT": str(kill_at)}
    return subprocess.run(
        [sys.executable, "-c", KILLER, *args], capture_output=True, text=True, env=env, check=False
    )


def _renames(args: list[str]) -> int:
    """How many renames a full run of ``args`` makes (counted by a run that is never killed)."""
    counter = KILLER.replace("os.kill(os.getpid(), signal.SIGKILL)", "pass").replace(
        "sys.exit(main(sys.argv[1:]))",
        "code = main(sys.argv[1:])\nprint('RENAMES', count[0])\nsys.exit(code)",
    )
    done = subprocess.run(
        [sys.executable, "-c", counter, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "KILL_AT": "-1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split("RENAMES")[-1])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, family_file: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("interrupted")
    population = root / "population.parquet"
    write_population(population, 3_000, seed=3, controls=1_500)
    return {"root": root, "population": population, "model": family_file}


def _accepted_sets_are_whole(manifest: Path) -> None:
    """Every file the manifest lists is the one it vouches for."""
    content = json.loads(manifest.read_text(encoding="utf-8"))
    assert content["status"] == "complete"
    for name in content["files"]:
        check_vouched(manifest.parent / name, manifest=manifest)


def _no_temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*.tmp"))


def _kill_at_renames(
    previous: list[str],
    again: list[str],
    read: Callable[[], object],
    manifest: Path,
    folder: Path,
    *,
    sample: int | None = None,
) -> dict[str, int]:
    """Kill ``again`` before each of its renames (or ``sample`` of them, first and last
    included); each time the reader refuses or reads a whole set."""
    assert _run(previous).returncode == 0
    saved = folder.with_name(folder.name + "-previous")
    shutil.copytree(folder, saved)
    renames = _renames(again)
    moments = list(range(renames))
    if sample is not None and renames > sample:
        moments = sorted({0, 1, renames - 2, renames - 1, *moments[:: renames // (sample - 3)]})
    outcomes = {"refused": 0, "previous set read": 0}
    for kill_at in moments:
        done = _run(again, kill_at=kill_at)
        assert done.returncode == -signal.SIGKILL, done.stderr
        try:
            read()
        except DmdeError:
            outcomes["refused"] += 1
        else:
            _accepted_sets_are_whole(manifest)
            assert kill_at == 0, "only a run killed before its first rename leaves the old set"
            outcomes["previous set read"] += 1
        assert _no_temporaries(folder) != []  # the killed run left its temporaries
        if kill_at != moments[-1]:
            shutil.rmtree(folder)
            shutil.copytree(saved, folder)
    assert _run(again).returncode == 0  # the next run lands a whole set again
    read()
    _accepted_sets_are_whole(manifest)
    assert _no_temporaries(folder) == []  # and removes what the killed run left
    return outcomes


def test_an_interrupted_score_is_never_read_by_select(world: dict[str, Path]) -> None:
    out = world["root"] / "score"
    scores = out / "scores.csv"
    base = ["score", "--model", str(world["model"]), "--input", str(world["population"])]
    previous = [*base, "--out", str(scores), "--reasons", "3"]
    again = [*base, "--out", str(scores), "--reasons", "1"]

    def read() -> object:
        from dmde.batch.selection_file import select_file

        return select_file(scores, out / "reader" / "selection.csv", budget=50)

    outcomes = _kill_at_renames(previous, again, read, manifest_path(scores), out)
    assert outcomes == {"refused": 3, "previous set read": 1}  # manifest, scores, rejects, manifest


def test_an_interrupted_select_is_never_read_by_explain(world: dict[str, Path]) -> None:
    out = world["root"] / "select"
    scores, chosen = out / "scores.parquet", out / "selection.csv"
    command = ["score", "--model", str(world["model"]), "--input", str(world["population"])]
    assert _run([*command, "--out", str(scores)]).returncode == 0
    previous = ["select", "--scores", str(scores), "--out", str(chosen), "--budget", "100"]
    again = ["select", "--scores", str(scores), "--out", str(chosen), "--budget", "150"]
    outcomes = _kill_at_renames(
        previous, again, lambda: read_selection(chosen), manifest_path(chosen), out
    )
    assert outcomes == {"refused": 2, "previous set read": 1}  # manifest, selection, manifest


def test_an_interrupted_audit_is_never_read_by_document(world: dict[str, Path]) -> None:
    out = world["root"] / "audit"
    scores, report = out / "scores.parquet", out / "report" / "audit.html"
    command = ["score", "--model", str(world["model"]), "--input", str(world["population"])]
    assert _run([*command, "--out", str(scores)]).returncode == 0
    base = ["audit", "--scores", str(scores), "--population", str(world["population"])]
    base += ["--model", str(world["model"]), "--budget", "150", "--n-boot", "20"]
    base += ["--groups", "age_band", "--out", str(report)]

    def read() -> object:
        return document_model(world["model"], out / "described", audit=report)

    outcomes = _kill_at_renames(
        [*base, "--lang", "en"],
        [*base, "--lang", "fr"],
        read,
        document_manifest_path(report),
        out / "report",
        sample=8,
    )
    assert outcomes["previous set read"] == 1 and outcomes["refused"] >= 5


def test_a_run_still_going_keeps_its_temporaries(tmp_path: Path) -> None:
    """Stale means 'of a process that no longer runs': a live run's temporary is left alone."""
    from dmde.core.files import remove_stale_temporaries

    target = tmp_path / "scores.csv"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = tmp_path / f".scores.csv.{live.pid}-0123abcd.tmp"
        dead = tmp_path / ".scores.csv.999999999-0123abcd.tmp"
        unrelated = tmp_path / ".scores.csv.notes.tmp"
        for path in (mine, dead, unrelated):
            path.write_text("x")
        assert remove_stale_temporaries(target.parent) == [dead]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            p.name for p in (mine, unrelated)
        )
    finally:
        live.kill()
        live.wait()
