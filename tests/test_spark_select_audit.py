"""``dmde select --engine spark`` and ``dmde audit --engine spark`` give the Python engine's
selection (byte for byte) and audit (every figure, as the DuckDB engine does).

The tests that run Spark are marked ``spark`` (``pytest -m "not spark"`` skips them): they need
pyspark and a Java runtime, and are skipped without them, except under ``CI=true``, where a
missing one fails. One Spark session serves the module (Spark takes seconds to start).
"""

from __future__ import annotations

import builtins
import filecmp
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# The DuckDB engines' test data and comparisons: the same bar for Spark.
from test_audit_engines import _world, assert_same_audit
from test_select_engines import CASES, population, write

from dmde.audit.inputs import audit_files
from dmde.audit.settings import AuditSettings
from dmde.audit.spark_inputs import SPARK_NOTE, audit_files_spark
from dmde.batch.ranking import tie_keys
from dmde.batch.selection import select_file
from dmde.batch.selection_sql import tie_key_query
from dmde.batch.spark_engine import DEFAULT_MASTER, spark_session
from dmde.batch.spark_selection import select_file_spark
from dmde.cli import main
from dmde.core.errors import DmdeError


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One Spark session for the module; a skip without pyspark or Java (a failure with
    CI=true: CI installs both)."""
    try:
        session = spark_session(DEFAULT_MASTER)
    except DmdeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Spark cannot run (.ci/run installs Java and pyspark): {exc}")
        pytest.skip(f"Spark cannot run here: {exc}")
    yield session
    session.stop()


def _select_both(source: Path, tmp: Path, name: str, spark: Any, **kwargs: Any) -> tuple[Any, Any]:
    (tmp / "python").mkdir(exist_ok=True)
    (tmp / "spark").mkdir(exist_ok=True)
    a, b = tmp / "python" / name, tmp / "spark" / name
    select_file(source, a, **kwargs)
    chosen = select_file_spark(source, b, session=spark, **kwargs)
    assert filecmp.cmp(a, b, shallow=False), f"{name}: selection files differ"
    left = json.loads(Path(f"{a}.manifest.json").read_text())
    right = json.loads(Path(f"{b}.manifest.json").read_text())
    assert left["summary"] == right["summary"] and left["counts"] == right["counts"]
    return a, chosen


# --------------------------------------------------------------------------------------------
# select
@pytest.mark.spark
def test_spark_tie_keys_are_splitmix64(spark: Any) -> None:
    rng = np.random.default_rng(0)
    extremes = [0, -1, 1, 2**63 - 1, -(2**63), 2**32 - 1, 2**32, -(2**32)]
    ids = np.concatenate([rng.integers(-(2**63), 2**63 - 1, 2_000), extremes]).astype(np.int64)
    spark.createDataFrame([(int(i),) for i in ids], "dossier_id BIGINT").createOrReplaceTempView(
        "ids"
    )
    for seed in (0, 7, 2**64 - 1):
        got = [r[0] for r in spark.sql(tie_key_query("ids", seed=seed, dialect="spark")).collect()]
        keys = np.asarray(got, dtype=np.int64).view(np.uint64) ^ np.uint64(1 << 63)
        assert np.array_equal(keys, tie_keys(ids, seed=seed)), seed


@pytest.mark.spark
@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_spark_selection_is_the_python_selection(kind: str, tmp_path: Path, spark: Any) -> None:
    source = write(population(3_000, 1), tmp_path / f"scores.{kind}")
    # Budget, share, random share by group, floor, quotas, the largest seed; CSV: its reading.
    cases = [CASES[i] for i in (0, 1, 3, 4, 5)] if kind == "parquet" else [CASES[3]]
    for i, case in enumerate(cases):
        _, chosen = _select_both(source, tmp_path, f"case{i}.csv", spark, **case)
        assert chosen.engine == "spark", chosen.fallback


@pytest.mark.spark
def test_spark_selection_of_100k_files_is_the_python_selection(tmp_path: Path, spark: Any) -> None:
    source = write(population(100_000, 5), tmp_path / "scores.parquet")
    case = {"budget": 3_000, "per": "caf_code", "min_probability": 0.2, "random_share": 0.2}
    _, chosen = _select_both(source, tmp_path, "checks.parquet", spark, seed=9, **case)
    assert chosen.engine == "spark"


@pytest.mark.spark
@pytest.mark.parametrize(
    ("edit", "why"),
    [
        ("infinite", None),  # the Python engine refuses it, in its words
        ("repeated", None),
        ("zeros", "read differently"),  # "0123": Arrow reads 123, Spark might not
    ],
)
def test_what_spark_does_not_decide_goes_to_python(
    edit: str, why: str | None, tmp_path: Path, spark: Any
) -> None:
    frame = population(500, 3)
    frame["dossier_id"] = np.abs(frame["dossier_id"])
    if edit == "infinite":
        frame.loc[8, "probability"] = np.inf
    if edit == "repeated":
        frame.loc[9, "dossier_id"] = frame.loc[10, "dossier_id"]
    source = write(frame, tmp_path / ("scores.csv" if edit == "zeros" else "scores.parquet"))
    if edit == "zeros":
        lines = source.read_text().splitlines()
        lines[5] = "0" + lines[5]
        source.write_text("\n".join(lines) + "\n")
    python, sparked = tmp_path / "python.csv", tmp_path / "spark.csv"
    if why is None:
        with pytest.raises(DmdeError) as refused:
            select_file(source, python, budget=40)
        with pytest.raises(DmdeError) as refused_too:
            select_file_spark(source, sparked, budget=40, session=spark)
        assert str(refused.value) == str(refused_too.value)
        return
    select_file(source, python, budget=40)
    chosen = select_file_spark(source, sparked, budget=40, session=spark)
    assert chosen.engine == "python" and why in str(chosen.fallback)
    assert filecmp.cmp(python, sparked, shallow=False)


# --------------------------------------------------------------------------------------------
# audit
@pytest.mark.spark
@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
@pytest.mark.parametrize(
    ("seed", "labels", "suffix"),
    [(1, "controls", ".parquet"), (2, "controls", ".csv"), (3, "truth", ".parquet")],
)
def test_spark_audit_of_files_is_the_python_audit(
    tmp_path: Path, family_file: Path, spark: Any, seed: int, labels: str, suffix: str
) -> None:
    world = _world(tmp_path, family_file, seed=seed, suffix=suffix, truth=labels == "truth")
    settings = AuditSettings(n_boot=40, seed=seed)
    python = audit_files(**world, labels=labels, settings=settings)
    engine = audit_files_spark(**world, labels=labels, settings=settings, session=spark)
    # The DuckDB engine's comparison (which expects its name), with Spark's name.
    data = dict(engine.data)
    assert data["engine"]["name"] == "spark"
    assert engine.groups.method["aggregates"] == SPARK_NOTE.format(rows="6,000")
    renamed = {**data["engine"], "name": "duckdb"}
    method = {**engine.groups.method, "aggregates": "DuckDB: " + SPARK_NOTE}
    engine = type(engine)(
        **{
            **vars(engine),
            "data": {**data, "engine": renamed},
            "groups": type(engine.groups)(**{**vars(engine.groups), "method": method}),
        }
    )
    assert_same_audit(python, engine)


# --------------------------------------------------------------------------------------------
# the command line
@pytest.mark.spark
@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
def test_the_command_line_selects_and_audits_with_spark(
    tmp_path: Path, family_file: Path, spark: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    world = _world(tmp_path, family_file, seed=8, suffix=".parquet", truth=False)
    outputs = {}
    for engine in ("python", "spark"):
        selection = tmp_path / f"{engine}.selection.csv"
        argv = ["select", "--scores", str(world["scores"]), "--budget", "250", "--out"]
        argv += [str(selection), "--random-share", "0.1", "--seed", "8", "--engine", engine]
        assert main(argv) == 0, capsys.readouterr().err
        out = tmp_path / f"{engine}.html"
        argv = ["audit", "--n-boot", "30", "--lang", "en", "--engine", engine, "--out", str(out)]
        for flag in ("scores", "population", "model"):
            argv += [f"--{flag}", str(world[flag])]
        assert main([*argv, "--selection", str(selection)]) == 0, capsys.readouterr().err
        outputs[engine] = (selection, json.loads(out.with_suffix(".json").read_text())["data"])
    assert filecmp.cmp(outputs["python"][0], outputs["spark"][0], shallow=False)
    python, sparked = outputs["python"][1], outputs["spark"][1]
    assert sparked["inputs"].pop("engine")["name"] == "spark"
    assert sparked["method"].pop("aggregates").startswith("Spark: ")
    assert python["tables"].pop("gaps") and not sparked["tables"].pop("gaps")
    for key in ("inputs", "method", "parameters", "exclusion"):
        assert python[key] == sparked[key], key
    assert "not computed" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["select", "audit"])
def test_master_without_the_spark_engine_is_refused(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, "--scores", str(tmp_path / "s.parquet"), "--master", "local[4]"]
    argv += ["--out", str(tmp_path / ("o.csv" if command == "select" else "o.html"))]
    if command == "select":
        argv += ["--budget", "3"]
    assert main(argv) == 2
    assert "--master" in capsys.readouterr().err


def _select_argv(tmp_path: Path) -> list[str]:
    scores = write(population(200, 1), tmp_path / "scores.parquet")
    out = tmp_path / "checks.csv"
    return ["select", "--scores", str(scores), "--budget", "3", "--out", str(out)]


@pytest.mark.parametrize("missing", ["pyspark", "java"])
def test_without_spark_the_error_names_the_engine_and_the_fix(
    missing: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No session running in this process (another test's is ignored), nothing started.
    monkeypatch.setattr("dmde.batch.spark_selection._active_session", lambda: None)
    if missing == "java":
        monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # no bin/java there
        fix = "openjdk-17-jre-headless"
    else:
        real_import = builtins.__import__

        def no_pyspark(name: str, *args: Any, **kwargs: Any) -> Any:
            if name == "pyspark" or name.startswith("pyspark."):
                raise ModuleNotFoundError(f"No module named {name!r}")
            return real_import(name, *args, **kwargs)

        for name in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setattr(builtins, "__import__", no_pyspark)
        fix = "pip install"
    assert main([*_select_argv(tmp_path), "--engine", "spark"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--engine spark" in err and fix in err
    assert not (tmp_path / "checks.csv").exists()
