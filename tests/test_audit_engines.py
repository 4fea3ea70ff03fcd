"""The group audit on aggregates (cells summed in DuckDB, bootstrap here) gives the Python
engine's figures: metrics, intervals, disparities, tests and flags; and ``dmde audit --engine
duckdb`` (:mod:`dmde.audit.engine_inputs`) gives every figure of the Python engine's audit of
the same files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from dmde import select
from dmde.audit.aggregates import NOT_FROM_AGGREGATES, audit_groups_on_cells, cell_sums_duckdb
from dmde.audit.engine_inputs import ENGINE_NOTE, ENGINES, audit_files_duckdb, group_sql
from dmde.audit.inputs import audit_files
from dmde.audit.metrics import GroupAudit, audit_groups_with
from dmde.audit.report_text import _known
from dmde.audit.result import AuditResult
from dmde.audit.settings import AuditError, AuditOptionError, AuditSettings
from dmde.audit.targeting import group_columns
from dmde.batch.scoring import score_file
from dmde.cli import main
from dmde.data.synthetic import write_population

LEVELS = {"band": ["c", "a", "b"]}  # a declared order that is not the sorted one


def population(n: int, seed: int, *, planted: float = 0.0) -> pd.DataFrame:
    """Files with two attributes (one with missing values and a tiny group), tied scores,
    labels known on about half, survey weights; ``planted`` raises group b's scores."""
    rng = np.random.default_rng(seed)
    band = rng.choice(["a", "b", "c", "tiny", None], n, p=[0.5, 0.3, 0.17, 0.002, 0.028])
    frame = pd.DataFrame(
        {
            "gender": rng.choice(["female", "male"], n),
            "band": band,
            "score": np.round(rng.normal(500, 20, n)) + planted * (band == "b"),
        }
    )
    frame["probability"] = 1 / (1 + np.exp(-(frame["score"] - 560) / 20))
    label = (rng.random(n) < frame["probability"]).astype(float)
    label[rng.random(n) < 0.5] = np.nan
    frame["label"] = label
    frame["weight"] = rng.uniform(0.5, 2.0, n)
    cut = np.sort(frame["score"].to_numpy())[-n // 10]
    frame["selected"] = frame["score"] >= cut
    return frame


def both(frame: pd.DataFrame, **kwargs: Any) -> tuple[GroupAudit, GroupAudit]:
    settings = AuditSettings(n_boot=kwargs.pop("n_boot", 100), seed=kwargs.pop("seed", 0))
    label, weight = kwargs.get("label"), kwargs.get("weight")
    groups = pd.DataFrame(
        {
            "gender": frame["gender"],
            "band": pd.Categorical(frame["band"], categories=[*LEVELS["band"], "tiny"]),
        }
    )
    python = audit_groups_with(
        settings=settings,
        selected=frame["selected"],
        score=frame["score"],
        probability=frame["probability"],
        groups=groups,
        label=None if label is None else frame[label],
        weight=None if weight is None else frame[weight],
    )
    con = duckdb.connect(config={"threads": 1})
    con.register("files", frame)
    cells = cell_sums_duckdb(
        con,
        "files",
        ["gender", "band"],
        label=label,
        weight=weight,
        levels={"band": [*LEVELS["band"], "tiny"]},
    )
    engine = audit_groups_on_cells(cells, settings=settings, weighted=weight is not None)
    return python, engine


#: Metrics made of counts only: with unit weights, the same bits in both engines.
COUNTED = ("population_share", "share_among_selected", "selection_rate")


def assert_same(a: pd.DataFrame, b: pd.DataFrame, *, unit_weights: bool) -> None:
    """The same rows, labels and flags; figures equal to 1e-9 (sums are added in another
    order; 1e-7 with survey weights); those made of counts only bit for bit with unit weights."""
    assert list(a.columns) == list(b.columns)
    assert a.shape == b.shape
    numbers = list(a.select_dtypes("number").columns)
    others = [c for c in a.columns if c not in numbers]
    pd.testing.assert_frame_equal(a[others], b[others])
    x, y = a[numbers].to_numpy(float), b[numbers].to_numpy(float)
    # With survey weights the square root of a cell's (nearly singular) covariance carries
    # last-bit differences of the sums a little further: to 1e-7.
    tolerance = 1e-9 if unit_weights else 1e-7
    np.testing.assert_allclose(x, y, rtol=tolerance, atol=tolerance / 10)
    if unit_weights:
        counted = a["metric"].isin(COUNTED).to_numpy()
        assert np.array_equal(x[counted], y[counted], equal_nan=True)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(
    ("label", "weight"),
    [(None, None), ("label", None), ("label", "weight")],
    ids=["selection", "labels", "weighted"],
)
def test_group_audit_on_cells_is_the_python_audit(
    seed: int, label: str | None, weight: str | None
) -> None:
    frame = population(6_000, seed, planted=15.0 if seed % 2 else 0.0)
    python, engine = both(frame, label=label, weight=weight, seed=seed)
    assert_same(python.metrics, engine.metrics, unit_weights=weight is None)
    assert_same(python.disparities, engine.disparities, unit_weights=weight is None)
    assert {k: v for k, v in engine.method.items() if k != "aggregates"} == python.method
    assert engine.method["aggregates"] == NOT_FROM_AGGREGATES
    assert engine.deciles.empty and engine.calibration.empty


def test_planted_disparity_flagged_by_both() -> None:
    frame = population(8_000, 5, planted=25.0)
    python, engine = both(frame)
    flagged = engine.disparities.query("flagged")[["attribute", "group", "metric"]]
    assert ("band", "b", "selection_rate") in set(map(tuple, flagged.to_numpy()))
    assert flagged.equals(python.disparities.query("flagged")[["attribute", "group", "metric"]])


def test_quiet_where_nothing_was_planted() -> None:
    frame = population(8_000, 6)
    _, engine = both(frame)
    assert not engine.disparities.query("attribute == 'band' and metric == 'selection_rate'")[
        "flagged"
    ].any()


def test_tiny_group_suppressed_alike() -> None:
    python, engine = both(population(3_000, 7))
    tiny = engine.metrics.query("group == 'tiny'")
    assert tiny["suppressed"].all()
    assert_same(python.metrics, engine.metrics, unit_weights=True)


# --------------------------------------------------------------------------------------------
# dmde audit --engine duckdb: the whole audit of dmde's files, rows left in DuckDB


def _world(root: Path, model: Path, *, seed: int, suffix: str, truth: bool) -> dict[str, Path]:
    """A population scored by the shared model and a selection with random checks."""
    population, scores = root / f"population{suffix}", root / f"scores{suffix}"
    write_population(population, 6_000, seed=seed, controls=1_200, with_truth=truth)
    score_file(model, population, scores)
    frame = pd.read_parquet(scores) if suffix == ".parquet" else pd.read_csv(scores)
    chosen = select(frame, budget=250, random_share=0.1, seed=seed).frame
    chosen[["dossier_id", "selection_reason"]].to_csv(root / "selection.csv", index=False)
    return {
        "scores": scores,
        "population": population,
        "model": model,
        "selection": root / "selection.csv",
    }


def _same_table(name: str, a: pd.DataFrame | None, b: pd.DataFrame | None) -> None:
    """Equal rows, text and flags; counts exactly, figures to 1e-9 (a difference of two
    values relative to the values), their intervals and p-values to 1e-7: sums are added in
    another order (files into fine cells, those into each group's), and a small cell's spread
    (sum of squares minus square of sums) carries their last bits further."""
    if a is None or b is None:
        assert a is None and b is None, name
        return
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    assert list(a.columns) == list(b.columns), name
    assert a.shape == b.shape, name
    numbers = [c for c in a.columns if pd.api.types.is_numeric_dtype(a[c]) and a[c].dtype != bool]
    others = [c for c in a.columns if c not in numbers]
    pd.testing.assert_frame_equal(a[others].astype(object), b[others].astype(object), obj=name)
    x, y = a[numbers].to_numpy(float), b[numbers].to_numpy(float)
    spread = np.asarray(
        [any(k in c for k in ("_low", "_high", "p_", "log_se")) for c in numbers], dtype=bool
    )
    # A difference of two means is exact to the means' precision, not to its own size.
    scale = np.ones(len(a))
    if {"value", "reference_value"} <= set(a.columns):
        scale = np.fmax(np.abs(a["value"].to_numpy(float)), np.abs(a["reference_value"]))
    for k, column in enumerate(numbers):
        rtol = 1e-7 if spread[k] else 1e-9
        size = np.abs(x[:, k]) if "difference" not in column else np.fmax(np.abs(x[:, k]), scale)
        same = (x[:, k] == y[:, k]) | (np.isnan(x[:, k]) & np.isnan(y[:, k]))
        with np.errstate(invalid="ignore"):
            wrong = ~same & ~(np.abs(x[:, k] - y[:, k]) <= rtol * size + 1e-12)
        assert not wrong.any(), (name, column, x[wrong, k][:3], y[wrong, k][:3])
    counts = [
        i for i, c in enumerate(numbers) if c in ("n", "random_n", "score_n", "checks", "labelled")
    ]
    assert np.array_equal(x[:, counts], y[:, counts], equal_nan=True), name


def assert_same_audit(python: AuditResult, engine: AuditResult) -> None:
    """Every figure the duckdb engine reports is the Python engine's; gaps are not computed."""
    for name in (
        "overall",
        "flags",
        "findings",
        "hit_rates",
        "targeting",
        "proxies",
        "associations",
        "profiles",
        "changes",
    ):
        _same_table(name, getattr(python, name), getattr(engine, name))
    for name in ("metrics", "disparities", "deciles", "calibration"):
        _same_table(name, getattr(python.groups, name), getattr(engine.groups, name))
    method = dict(engine.groups.method)
    assert method.pop("aggregates").startswith("DuckDB: ")
    assert method == python.groups.method
    data = dict(engine.data)
    assert data.pop("engine")["name"] == "duckdb"
    assert data == python.data
    assert engine.parameters == python.parameters
    assert engine.exclusion == python.exclusion
    assert python.model is not None and engine.model is not None
    assert python.model["sha256"] == engine.model["sha256"]
    assert engine.gaps is None  # not computed, and said so in data["engine"]
    assert "score-gap decomposition" in engine.data["engine"]["computed"]


# The Python engine's AUC ratio interval overflows (exp of a huge log SE) for a tiny sample
# group in some seeds (dmde/audit/bootstrap.py, reported to the lead): both engines alike.
@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
@pytest.mark.parametrize(
    ("seed", "labels", "suffix"),
    [
        (1, "controls", ".parquet"),
        (2, "controls", ".csv"),
        (3, "truth", ".parquet"),
        (4, "none", ".parquet"),
        (5, "controls", ".parquet"),
    ],
)
def test_duckdb_audit_of_files_is_the_python_audit(
    tmp_path: Path, family_file: Path, seed: int, labels: str, suffix: str
) -> None:
    world = _world(tmp_path, family_file, seed=seed, suffix=suffix, truth=labels == "truth")
    settings = AuditSettings(n_boot=40, seed=seed)
    python = audit_files(**world, labels=labels, settings=settings)
    engine = audit_files_duckdb(**world, labels=labels, settings=settings, threads=1)
    assert_same_audit(python, engine)
    if labels != "none":
        assert engine.data["labelled_rows"] > 0


def test_duckdb_audit_of_some_attributes_without_intersections(
    tmp_path: Path, family_file: Path
) -> None:
    world = _world(tmp_path, family_file, seed=6, suffix=".parquet", truth=False)
    settings = AuditSettings(
        n_boot=40, seed=1, intersections=False, reference={"aah": "receives AAH"}
    )
    kwargs: dict[str, Any] = {"attributes": ["aah", "income_band"], "settings": settings}
    assert_same_audit(audit_files(**world, **kwargs), audit_files_duckdb(**world, **kwargs))


def test_group_sql_gives_the_levels_of_group_columns() -> None:
    """Edges, NaN and NULL, and text outside the declared levels (missing), as in Python."""
    nan = float("nan")
    frame = pd.DataFrame(
        {
            "gender": ["female", "male", "other", None, "female", "male", "male", "female"],
            "nationality_group": ["french", "eu", "non_eu", "mars", None, "eu", "eu", "eu"],
            "age": [24.999, 25.0, 34.9, 35, 50, 65, nan, 120],
            "household_type": [
                "single",
                "lone_parent",
                "couple_no_children",
                "couple_with_children",
                "x",
                None,
                "single",
                "single",
            ],
            "mean_aah_12m": [0.0, 0.01, nan, -1.0, 900.0, 0.0, 0.0, 0.0],
            "urban_rural": ["urban", "intermediate", "rural", "", None, "urban", "urban", "rural"],
            "income_to_smic": [0.0, 1e-13, 1e-12, 0.4999, 0.5, 1.0, 1.5, nan],
        }
    )
    texts = ["gender", "nationality_group", "household_type", "urban_rural"]
    python = group_columns(frame.astype({c: "category" for c in texts}))  # as read_dataset
    con = duckdb.connect()
    con.register("frame", frame)
    sql = ", ".join(f'{group_sql(a)} AS "{a}"' for a in python.columns)
    engine = con.sql(f"SELECT {sql} FROM frame").df()
    for attribute in python.columns:
        expected = python[attribute].astype(object).where(python[attribute].notna(), None)
        got = engine[attribute].astype(object).where(engine[attribute].notna(), None)
        assert expected.tolist() == got.tolist(), attribute


def test_the_engine_statement_is_translated() -> None:
    text = ENGINE_NOTE.format(rows="20,000")
    assert text.startswith("DuckDB: ")
    french = _known(text, "fr")
    assert french.startswith("DuckDB : ") and "20 000" in french.replace("\u202f", " ")


def test_the_spark_engine_statement_is_translated() -> None:
    """The Spark audit's note is the DuckDB engine's, with its own engine name, in French too."""
    from dmde.audit.spark_inputs import SPARK_NOTE

    french = _known(SPARK_NOTE.format(rows="20,000"), "fr")
    assert french.startswith("Spark : fichiers joints") and "DuckDB" not in french


def test_duckdb_audit_refuses_what_it_does_not_compute(tmp_path: Path, family_file: Path) -> None:
    world = _world(tmp_path, family_file, seed=7, suffix=".parquet", truth=False)
    with pytest.raises(AuditOptionError, match="--selection"):
        audit_files_duckdb(**(world | {"selection": None}))
    bad = tmp_path / "bad.csv"
    bad.write_text("dossier_id,selection_reason\n1,score\n1,random\n")
    with pytest.raises(AuditError, match="dossier_id must be unique"):
        audit_files_duckdb(**(world | {"selection": bad}))
    scores = pd.read_parquet(world["scores"])
    scores.iloc[1:].to_parquet(tmp_path / "fewer.parquet")
    with pytest.raises(AuditError, match=r"1 files of .* have no score"):
        audit_files_duckdb(**(world | {"scores": tmp_path / "fewer.parquet"}))
    pd.concat([scores, scores.iloc[:1]]).to_parquet(tmp_path / "twice.parquet")
    with pytest.raises(AuditError, match="dossier_id must be unique"):
        audit_files_duckdb(**(world | {"scores": tmp_path / "twice.parquet"}))
    stray = tmp_path / "stray.csv"
    stray.write_text("dossier_id,selection_reason\n999999999,score\n")
    with pytest.raises(AuditError, match="1 selected files are not in the population"):
        audit_files_duckdb(**(world | {"selection": stray}))
    with pytest.raises(AuditError, match="no such file"):
        audit_files_duckdb(**(world | {"scores": tmp_path / "none.parquet"}))


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
def test_cli_engine_duckdb_writes_the_python_report(
    tmp_path: Path, family_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = _world(tmp_path, family_file, seed=8, suffix=".parquet", truth=False)
    argv = ["audit", "--n-boot", "30", "--lang", "en"]
    for flag in ("scores", "population", "model", "selection"):
        argv += [f"--{flag}", str(world[flag])]
    reports = {}
    for engine in ENGINES:
        out = tmp_path / f"{engine}.html"
        assert main([*argv, "--engine", engine, "--out", str(out)]) == 0
        reports[engine] = json.loads(out.with_suffix(".json").read_text())["data"]
    python, engine = reports["python"], reports["duckdb"]
    assert engine["inputs"].pop("engine")["name"] == "duckdb"
    assert engine["method"].pop("aggregates").startswith("DuckDB")
    assert python["tables"].pop("gaps") and not engine["tables"].pop("gaps")
    for key in ("inputs", "method", "parameters", "exclusion"):
        assert python[key] == engine[key], key
    assert python["tables"].keys() == engine["tables"].keys()
    for name, records in python["tables"].items():
        _same_table(name, pd.DataFrame(records), pd.DataFrame(engine["tables"][name]))
    _same_table("flags", pd.DataFrame(python["flags"]), pd.DataFrame(engine["flags"]))
    _same_table("findings", pd.DataFrame(python["findings"]), pd.DataFrame(engine["findings"]))
    assert "Engine" in (tmp_path / "duckdb.md").read_text()
    table = ["audit", "--table", str(world["scores"]), "--out", str(tmp_path / "t.html")]
    assert main([*table, "--engine", "duckdb"]) != 0
    assert "--engine duckdb audits dmde's outputs" in capsys.readouterr().err
