"""The Spark engine (dmde.batch.spark_engine) writes what the Python engine writes.

On synthetic files with planted problems (values out of range, codes that lost their leading
zeros, missing values, NaN, levels outside the catalog, values at bin edges), CSV scores and
rejects files are byte-identical to :func:`score_file`'s, Parquet scores equal value for value,
and the manifests count the same rows; a hive-partitioned folder is scored as the file of its
rows in path order. Files Spark does not read as the Python engine does are handed to it.

The tests that run Spark are marked ``spark`` (``pytest -m "not spark"`` skips them): they need
pyspark and a Java runtime, and are skipped without them, except under ``CI=true``, where a
missing one fails. One Spark session serves every test (Spark takes seconds to start).
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
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dmde.batch import spark_engine
from dmde.batch.scoring import score_file
from dmde.batch.spark_engine import DEFAULT_MASTER, score_file_spark, spark_session
from dmde.cli import main
from dmde.core.errors import DmdeError, SchemaError
from dmde.data.catalog import CATALOG
from dmde.data.schema import arrow_schema
from dmde.data.synthetic import synthesize
from dmde.data.writing import write_batches
from dmde.model.model_file import save_model
from dmde.model.scorecard import ScorecardFamily


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One Spark session for the test session; a skip without pyspark or Java (a failure
    with CI=true: CI installs both)."""
    try:
        session = spark_session(DEFAULT_MASTER)
    except DmdeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Spark cannot run (.ci/run installs Java and pyspark): {exc}")
        pytest.skip(f"Spark cannot run here: {exc}")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def model_path(family: ScorecardFamily, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark-model") / "model.json"
    save_model(family, path)
    return path


def _planted(seed: int, n_rows: int, model: ScorecardFamily) -> pd.DataFrame:
    """A population with values at every bin edge and values the catalog refuses."""
    frame = synthesize(n_rows, seed=seed)
    rng = np.random.default_rng(seed)

    def some(k: int) -> np.ndarray:
        return rng.choice(n_rows, size=k, replace=False)

    for scorecard in model.models_.values():
        for binning in scorecard.binning_.bins_:
            if CATALOG[binning.name].dtype == "float":  # integer columns have .5 edges
                column = frame[binning.name].astype(np.float64)
                for edge in binning.edges:
                    column.iloc[some(10)] = edge
                frame[binning.name] = column
    frame["income_to_smic"] = frame["income_to_smic"].astype(np.float64)
    frame.loc[some(15), "income_to_smic"] = 25.0
    frame.loc[some(5), "income_to_smic"] = np.nan
    frame["caf_code"] = frame["caf_code"].astype(object)
    frame.loc[some(10), "caf_code"] = "7"
    frame.loc[some(10), "caf_code"] = "2C"
    frame["n_children"] = frame["n_children"].astype("Int64")
    frame.loc[some(10), "n_children"] = pd.NA
    frame.loc[some(10), "n_children"] = 40
    frame.loc[some(100), "income_volatility"] = np.nan
    frame["household_type"] = frame["household_type"].astype(object)
    frame.loc[some(5), "household_type"] = "commune"
    return frame


def _write(frame: pd.DataFrame, path: Path) -> Path:
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    return path


def _both(model: Path, source: Path, tmp: Path, out: str, spark: Any, **kw: Any) -> Any:
    python = score_file(model, source, tmp / f"python.{out}", **kw)
    sparked = score_file_spark(model, source, tmp / f"spark.{out}", session=spark, **kw)
    return python, sparked


def _assert_same_outputs(python: Any, sparked: Any, out: str) -> None:
    p, s = Path(python.output), Path(sparked.output)
    if out == "csv":
        assert filecmp.cmp(p, s, shallow=False), "scores files differ"
    else:
        a, b = pq.read_table(p), pq.read_table(s)
        assert a.schema.equals(b.schema)
        assert _decoded(a).equals(_decoded(b))
    assert filecmp.cmp(python.rejects, sparked.rejects, shallow=False), "rejects differ"
    counts = ("rows_read", "rows_scored", "rows_rejected", "reject_lines", "columns_read")
    left = json.loads(Path(python.manifest).read_text())
    right = json.loads(Path(sparked.manifest).read_text())
    assert {k: left[k] for k in counts} == {k: right[k] for k in counts}


def _decoded(table: pa.Table) -> pa.Table:
    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names).combine_chunks()


# --------------------------------------------------------------------------------------------
@pytest.mark.spark
@pytest.mark.parametrize(("seed", "kind", "out"), [(1, "csv", "csv"), (2, "parquet", "parquet")])
def test_spark_writes_what_python_writes(
    seed: int,
    kind: str,
    out: str,
    family: ScorecardFamily,
    model_path: Path,
    tmp_path: Path,
    spark: Any,
) -> None:
    source = _write(_planted(seed, 10_000, family), tmp_path / f"population.{kind}")
    python, sparked = _both(model_path, source, tmp_path, out, spark)
    assert (sparked.engine, sparked.fallback) == ("spark", None)
    assert python.rows_rejected > 30 and python.rows_scored > 9_000
    _assert_same_outputs(python, sparked, out)
    manifest = json.loads(Path(sparked.manifest).read_text())
    assert manifest["engine"] == "spark" and manifest["spark_master"] == DEFAULT_MASTER
    assert manifest["input"] == json.loads(Path(python.manifest).read_text())["input"]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_writes_what_python_writes_100k(
    family: ScorecardFamily, model_path: Path, tmp_path: Path, spark: Any
) -> None:
    source = _write(_planted(4, 100_000, family), tmp_path / "population.csv")
    python, sparked = _both(model_path, source, tmp_path, "csv", spark, reasons=5)
    assert sparked.engine == "spark"
    _assert_same_outputs(python, sparked, "csv")


@pytest.mark.spark
@pytest.mark.parametrize(
    ("kind", "by"),
    [("parquet", "snapshot_month"), ("csv", "snapshot_month"), ("parquet", "income_reporting")],
)
def test_a_partitioned_folder_is_scored_as_its_files_in_path_order(
    kind: str, by: str, family: ScorecardFamily, model_path: Path, tmp_path: Path, spark: Any
) -> None:
    """A dmde panel (each month's file holds its snapshot_month) and a warehouse's partitions
    (the files lack the column their folders name): scored as the files' rows in path order."""
    folder, files = tmp_path / "panel", {}
    for i, month in enumerate(["2025-01", "2025-02", "2025-03"]):
        part = _planted(10 + i, 3_000, family)
        part["dossier_id"] += i * 10_000_000  # each household once
        part["snapshot_month"] = month
        if by == "snapshot_month":
            files[f"snapshot_month={month}/part-0.{kind}"] = part
        else:
            for value, rows in part.groupby(by, observed=True):
                files[f"{by}={value}/part-{i}.{kind}"] = rows
    for name, rows in files.items():
        stored = rows.drop(columns=[by]) if by != "snapshot_month" else rows
        _write(stored, folder / name)
    (folder / "_SUCCESS").write_text("")  # Spark's own files are not data
    whole = pd.concat([files[name] for name in sorted(files)], ignore_index=True)
    whole_path = _write(whole, tmp_path / f"whole.{kind}")
    python = score_file(model_path, whole_path, tmp_path / "python.csv")
    sparked = score_file_spark(model_path, folder, tmp_path / "spark.csv", session=spark)
    assert sparked.engine == "spark" and python.rows_rejected > 0
    _assert_same_outputs(python, sparked, "csv")
    manifest = json.loads(Path(sparked.manifest).read_text())
    assert manifest["input"]["path"] == str(folder)


@pytest.mark.spark
def test_a_repeated_id_in_a_folder_is_refused_naming_its_rows(
    model_path: Path, tmp_path: Path, spark: Any
) -> None:
    first, second = synthesize(1_000, seed=21), synthesize(1_000, seed=22)
    second["dossier_id"] += 10_000_000
    second.loc[4, "dossier_id"] = first.loc[9, "dossier_id"]
    _write(first, tmp_path / "panel" / "m=1" / "a.parquet")
    _write(second, tmp_path / "panel" / "m=2" / "a.parquet")
    with pytest.raises(SchemaError, match=r"appears on several rows .*: \d+ \(rows 10, 1005\)"):
        score_file_spark(model_path, tmp_path / "panel", tmp_path / "out.csv", session=spark)
    assert not (tmp_path / "out.csv").exists()


_SPLIT_SETTINGS = ("spark.sql.files.maxPartitionBytes", "spark.sql.files.openCostInBytes")


@pytest.mark.spark
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_the_rows_of_many_splits_come_out_in_file_order(
    kind: str,
    model_path: Path,
    family: ScorecardFamily,
    tmp_path: Path,
    spark: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each task one small split (no sort restores the order); the session's own split
    settings are left as they were."""
    frame = _planted(31, 6_000, family)
    source = tmp_path / f"population.{kind}"
    pieces = [frame.iloc[i : i + 500] for i in range(0, len(frame), 500)]  # row groups
    write_batches(source, pieces, schema=arrow_schema(frame.columns))
    small = {key: str(64 << 10) for key in _SPLIT_SETTINGS}
    monkeypatch.setattr(spark_engine, "_one_split_per_task", lambda *_: small)
    spark.conf.set(_SPLIT_SETTINGS[0], "64MB")
    try:
        python, sparked = _both(model_path, source, tmp_path, "csv", spark)
        assert spark.conf.get(_SPLIT_SETTINGS[0]) == "64MB"
        assert spark.conf.get(_SPLIT_SETTINGS[1], None) is None
    finally:
        spark.conf.unset(_SPLIT_SETTINGS[0])
    assert sparked.engine == "spark" and python.rows_rejected > 0
    _assert_same_outputs(python, sparked, "csv")


@pytest.mark.spark
def test_overlapping_part_files_are_written_again_in_ranges(
    model_path: Path,
    family: ScorecardFamily,
    tmp_path: Path,
    spark: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should Spark pack several splits in a task, the scores are sorted by ranges of rows."""
    source = _write(_planted(32, 3_000, family), tmp_path / "population.csv")
    found = spark_engine._parts_in_order
    calls = []

    def overlapping_once(folder: Path) -> Any:
        calls.append(folder)
        return None if len(calls) == 1 else found(folder)

    monkeypatch.setattr(spark_engine, "_parts_in_order", overlapping_once)
    python, sparked = _both(model_path, source, tmp_path, "csv", spark)
    assert len(calls) == 2 and sparked.engine == "spark"
    _assert_same_outputs(python, sparked, "csv")


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([[11, 12, 20], [1, 2, 10], [21]], [1, 0, 2]),
        ([[1, 10], [10, 20]], None),
        ([[1, 30], [11, 20]], None),
        ([[5, 9], []], [0]),
        ([[9, 5], [11, 12]], None),
    ],
    ids=["disjoint", "touching", "nested", "empty part", "out of order"],
)
def test_part_files_in_order_of_their_rows(
    parts: list[list[int]], expected: list[int] | None, tmp_path: Path
) -> None:
    for i, rows in enumerate(parts):
        table = pa.table({"row": pa.array(rows, pa.int64())})
        pq.write_table(table, tmp_path / f"part-{i}.parquet")
    got = spark_engine._parts_in_order(tmp_path)
    names = None if got is None else [int(p.stem.split("-")[1]) for p in got]
    assert names == expected


def _lines_edit(path: Path, edit: str) -> None:
    lines = path.read_bytes().split(b"\n")
    header = lines[0].decode().split(",")

    def field(line: int, column: str, value: bytes) -> None:
        fields = lines[line].split(b",")
        fields[header.index(column)] = value
        lines[line] = b",".join(fields)

    if edit == "blank":
        lines.insert(50, b"")
    elif edit == "fraction":
        field(30, "n_children", b"3.5")
    elif edit == "spaced":
        field(30, "n_children", b" 3")
    elif edit == "java_number":
        field(30, "income_to_smic", b"1.5d")
    elif edit == "fields":
        lines[40] = lines[40] + b",extra"
    elif edit == "bytes":
        field(20, "household_type", b"caf\xe9")
    path.write_bytes(b"\n".join(lines))


@pytest.mark.spark
@pytest.mark.parametrize("edit", ["blank", "fraction", "spaced", "java_number", "fields", "bytes"])
def test_what_spark_does_not_read_alike_goes_to_python(
    edit: str, model_path: Path, tmp_path: Path, spark: Any
) -> None:
    source = _write(synthesize(2_000, seed=7), tmp_path / "population.csv")
    _lines_edit(source, edit)
    python, sparked = _both(model_path, source, tmp_path, "csv", spark)
    assert sparked.engine == "python" and sparked.fallback
    assert python.rows_rejected >= (edit != "spaced")  # Arrow reads " 3" as 3; Java too
    _assert_same_outputs(python, sparked, "csv")


@pytest.mark.spark
def test_a_repeated_dossier_id_is_refused_as_python_refuses_it(
    model_path: Path, tmp_path: Path, spark: Any
) -> None:
    frame = synthesize(2_000, seed=9)
    frame.loc[10, "dossier_id"] = frame.loc[20, "dossier_id"]
    source = _write(frame, tmp_path / "population.csv")
    with pytest.raises(SchemaError, match="appears on several rows") as python:
        score_file(model_path, source, tmp_path / "python.csv")
    with pytest.raises(SchemaError, match="appears on several rows") as sparked:
        score_file_spark(model_path, source, tmp_path / "spark.csv", session=spark)
    assert str(python.value) == str(sparked.value)


@pytest.mark.spark
def test_the_command_line_scores_with_spark(
    model_path: Path, tmp_path: Path, spark: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write(synthesize(2_000, seed=11), tmp_path / "population.parquet")
    out = tmp_path / "scores.csv"
    argv = ["score", "--model", str(model_path), "--input", str(source), "--out", str(out)]
    assert main([*argv, "--quiet", "--engine", "spark", "--master", DEFAULT_MASTER]) == 0
    assert "read 2,000 rows" in capsys.readouterr().out
    python = tmp_path / "python.csv"
    assert main([*argv[:-1], str(python), "--quiet"]) == 0
    assert filecmp.cmp(out, python, shallow=False)
    assert spark.sparkContext.master == DEFAULT_MASTER  # the running session, left running


# --------------------------------------------------------------------------------------------
# Without Spark: what the user is told (no session started)
def test_master_without_the_spark_engine_is_refused(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "score",
        "--model",
        str(model_path),
        "--input",
        "x.csv",
        "--out",
        str(tmp_path / "s.csv"),
    ]
    assert main([*argv, "--master", "local[4]"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--master" in err and "--engine spark" in err and len(err.splitlines()) == 1


def test_without_pyspark_the_error_names_the_engine_and_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def no_pyspark(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyspark" or name.startswith("pyspark."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    for name in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(DmdeError) as caught:
        spark_session()
    message = str(caught.value)
    assert "--engine spark" in message and "pip install" in message
    assert len(message.splitlines()) == 1


def test_without_java_the_error_names_the_engine_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # no bin/java there
    with pytest.raises(DmdeError) as caught:
        spark_session()
    message = str(caught.value)
    assert "--engine spark" in message and "openjdk-17-jre-headless" in message
    assert len(message.splitlines()) == 1


def test_scoring_does_not_import_pyspark() -> None:
    code = (
        "import sys, dmde.batch.scoring, dmde.batch.spark_engine, dmde.cli.commands\n"
        "assert not [m for m in sys.modules if m.startswith('pyspark')]"
    )
    import subprocess

    subprocess.run([sys.executable, "-c", code], check=True)
    assert spark_engine.DEFAULT_MASTER == "local[2]"
