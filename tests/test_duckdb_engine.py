"""The DuckDB engine (dmde.batch.duckdb_engine) writes what the Python engine writes.

On synthetic files with planted problems (values out of range, codes that lost their leading
zeros, missing values, NaN, levels outside the catalog, values at bin edges, a segment without a
scorecard), CSV scores and rejects files are byte-identical to :func:`score_file`'s, Parquet
scores equal value for value, and the manifests count the same rows. Files DuckDB does not read
as the Python engine does are handed to it, and say so.
"""

from __future__ import annotations

import copy
import filecmp
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dmde.batch.duckdb_engine import duckdb_input_sql, score_file_duckdb
from dmde.batch.scoring import score_file
from dmde.core.errors import SchemaError
from dmde.data.catalog import CATALOG
from dmde.data.schema import arrow_schema
from dmde.data.synthetic import synthesize
from dmde.data.writing import write_batches
from dmde.model.model_file import save_model
from dmde.model.scorecard import ScorecardFamily


@pytest.fixture(scope="module")
def model_path(family: ScorecardFamily, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("duckdb-model") / "model.json"
    save_model(family, path)
    return path


def _planted(seed: int, n_rows: int, model: ScorecardFamily) -> pd.DataFrame:
    frame = synthesize(n_rows, seed=seed)
    rng = np.random.default_rng(seed)

    def some(k: int) -> np.ndarray:
        return rng.choice(n_rows, size=k, replace=False)

    for scorecard in model.models_.values():
        for binning in scorecard.binning_.bins_:
            if CATALOG[binning.name].dtype == "float":  # integer columns have .5 edges
                column = frame[binning.name].astype(np.float64)
                for edge in binning.edges:
                    column.iloc[some(20)] = edge
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
    frame.loc[some(200), "income_volatility"] = np.nan
    frame["household_type"] = frame["household_type"].astype(object)
    frame.loc[some(5), "household_type"] = "commune"
    return frame


def _write(frame: pd.DataFrame, path: Path) -> Path:
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    return path


def _both(model: Path | ScorecardFamily, source: Path, tmp: Path, out: str, **kw: object):  # type: ignore[no-untyped-def]
    python = score_file(model, source, tmp / f"python.{out}", **kw)  # type: ignore[arg-type]
    duck = score_file_duckdb(model, source, tmp / f"duckdb.{out}", **kw)  # type: ignore[arg-type]
    return python, duck


def _assert_same_outputs(python: object, duck: object, out: str) -> None:
    p, d = Path(python.output), Path(duck.output)  # type: ignore[attr-defined]
    if out == "csv":
        assert filecmp.cmp(p, d, shallow=False), "scores files differ"
    else:
        a, b = pq.read_table(p), pq.read_table(d)
        assert a.schema.equals(b.schema)
        assert _decoded(a).equals(_decoded(b))
    assert filecmp.cmp(python.rejects, duck.rejects, shallow=False), "rejects differ"  # type: ignore[attr-defined]
    counts = ("rows_read", "rows_scored", "rows_rejected", "reject_lines", "columns_read")
    left = json.loads(Path(python.manifest).read_text())  # type: ignore[attr-defined]
    right = json.loads(Path(duck.manifest).read_text())  # type: ignore[attr-defined]
    assert {k: left[k] for k in counts} == {k: right[k] for k in counts}


def _decoded(table: pa.Table) -> pa.Table:
    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names).combine_chunks()


# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("out", ["csv", "parquet"])
@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duckdb_writes_what_python_writes(
    seed: int, kind: str, out: str, family: ScorecardFamily, model_path: Path, tmp_path: Path
) -> None:
    source = _write(_planted(seed, 20_000, family), tmp_path / f"population.{kind}")
    python, duck = _both(model_path, source, tmp_path, out)
    assert (duck.engine, duck.fallback) == ("duckdb", None)
    assert python.rows_rejected > 50 and python.rows_scored > 19_000
    _assert_same_outputs(python, duck, out)
    manifest = json.loads(Path(duck.manifest).read_text())
    assert manifest["engine"] == "duckdb"


@pytest.mark.slow
def test_duckdb_writes_what_python_writes_100k(
    family: ScorecardFamily, model_path: Path, tmp_path: Path
) -> None:
    source = _write(_planted(4, 100_000, family), tmp_path / "population.csv")
    python, duck = _both(model_path, source, tmp_path, "csv", reasons=5)
    assert duck.engine == "duckdb"
    _assert_same_outputs(python, duck, "csv")


def test_a_segment_without_a_scorecard_is_rejected_alike(tmp_path: Path) -> None:
    world = synthesize(12_000, seed=5, controls=6_000)
    train = world[(world["controlled"] == 1) & (world["income_reporting"] == "declarative")]
    model = ScorecardFamily().fit(train, train["target"], train["control_weight"])
    source = _write(synthesize(10_000, seed=6), tmp_path / "population.csv")
    python, duck = _both(model, source, tmp_path, "csv", reasons=2)
    assert duck.engine == "duckdb"
    assert "no_model" in Path(duck.rejects).read_text()
    _assert_same_outputs(python, duck, "csv")


def _lines_edit(path: Path, edit: str) -> None:
    lines = path.read_bytes().split(b"\n")
    header = lines[0].decode().split(",")
    if edit == "blank":
        lines.insert(50, b"")
    elif edit == "fraction":
        fields = lines[30].split(b",")
        fields[header.index("n_children")] = b"3.5"
        lines[30] = b",".join(fields)
    elif edit == "fields":
        lines[40] = lines[40] + b",extra"
    elif edit == "bytes":
        fields = lines[20].split(b",")
        fields[header.index("household_type")] = b"caf\xe9"
        lines[20] = b",".join(fields)
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize("edit", ["blank", "fraction", "fields", "bytes"])
def test_what_duckdb_does_not_read_alike_goes_to_python(
    edit: str, family: ScorecardFamily, model_path: Path, tmp_path: Path
) -> None:
    source = _write(synthesize(3_000, seed=7), tmp_path / "population.csv")
    _lines_edit(source, edit)
    python, duck = _both(model_path, source, tmp_path, "csv")
    assert duck.engine == "python" and duck.fallback
    assert python.rows_rejected >= 1
    _assert_same_outputs(python, duck, "csv")


def test_an_integer_column_stored_as_floats_goes_to_python(
    model_path: Path, tmp_path: Path
) -> None:
    frame = synthesize(3_000, seed=8)
    frame["n_children"] = frame["n_children"].astype(np.float64)
    frame.loc[7, "n_children"] = 2.5
    source = tmp_path / "population.parquet"
    frame.to_parquet(source, index=False)
    python, duck = _both(model_path, source, tmp_path, "csv")
    assert duck.engine == "python" and "n_children" in str(duck.fallback)
    _assert_same_outputs(python, duck, "csv")


def test_a_repeated_dossier_id_is_refused_as_python_refuses_it(
    model_path: Path, tmp_path: Path
) -> None:
    frame = synthesize(3_000, seed=9)
    frame.loc[10, "dossier_id"] = frame.loc[20, "dossier_id"]
    source = _write(frame, tmp_path / "population.csv")
    with pytest.raises(SchemaError, match="appears on several rows") as python:
        score_file(model_path, source, tmp_path / "python.csv")
    with pytest.raises(SchemaError, match="appears on several rows") as duck:
        score_file_duckdb(model_path, source, tmp_path / "duckdb.csv")
    assert str(python.value) == str(duck.value)


def test_a_missing_column_is_refused_as_python_refuses_it(model_path: Path, tmp_path: Path) -> None:
    frame = synthesize(1_000, seed=9).drop(columns=["income_to_smic"])
    source = _write(frame, tmp_path / "population.csv")
    with pytest.raises(SchemaError) as python:
        score_file(model_path, source, tmp_path / "python.csv")
    with pytest.raises(SchemaError) as duck:
        score_file_duckdb(model_path, source, tmp_path / "duckdb.csv")
    assert str(python.value) == str(duck.value)
    assert not list(tmp_path.glob("duckdb*"))


def test_header_names_and_paths_cannot_inject(tmp_path: Path) -> None:
    query = duckdb_input_sql(
        tmp_path / "it's; DROP TABLE x.csv", ["dossier_id"], ["dossier_id", 'a"; DROP TABLE x; --']
    )
    import sqlglot

    statements = [s for s in sqlglot.parse(query, read="duckdb") if s is not None]
    assert len(statements) == 1
    assert not list(statements[0].find_all(sqlglot.exp.Drop))


# --------------------------------------------------------------------------------------------
# The one streaming query: DuckDB's batches, threads and the reasons ranked in Python
@pytest.mark.parametrize(("batch_size", "threads"), [(1_500, 1), (1_500, 2), (7_000, None)])
def test_batches_and_threads_do_not_change_the_outputs(
    batch_size: int, threads: int | None, family: ScorecardFamily, model_path: Path, tmp_path: Path
) -> None:
    source = _write(_planted(21, 20_000, family), tmp_path / "population.csv")
    python = score_file(model_path, source, tmp_path / "python.csv")
    duck = score_file_duckdb(
        model_path, source, tmp_path / "duckdb.csv", batch_size=batch_size, threads=threads
    )
    assert duck.engine == "duckdb" and python.rows_rejected > 50
    _assert_same_outputs(python, duck, "csv")


def _reordered(family: ScorecardFamily, how: str) -> ScorecardFamily:
    """The family with its prefilled scorecard's features in reverse order (and two flags tied
    in both segments), or without three of its features (a segment that does not read every
    feature of the family)."""
    model = copy.deepcopy(family)
    scorecard = model.models_["prefilled"]
    keep = list(range(len(scorecard.features_)))
    order = keep[::-1] if how == "reversed" else keep[3:]
    scorecard.features_ = tuple(scorecard.features_[j] for j in order)
    scorecard.binning_.bins_ = [scorecard.binning_.bins_[j] for j in order]
    scorecard.bin_points_ = tuple(scorecard.bin_points_[j] for j in order)
    scorecard.reference_points_ = scorecard.reference_points_[order]
    if how == "reversed":
        for s in model.models_.values():
            a, b = s.features_.index("child_over_19"), s.features_.index("separation_12m")
            points = list(s.bin_points_)
            points[a] = points[a].copy()
            points[a][-2] = 50.0  # the flag set: the largest excess, the same for both flags
            points[b] = points[a].copy()
            s.bin_points_ = tuple(points)
            s.reference_points_[b] = s.reference_points_[a]
    return model


@pytest.mark.parametrize("how", ["reversed", "fewer"])
def test_reasons_are_ranked_as_python_ranks_them_in_each_segment(
    how: str, family: ScorecardFamily, tmp_path: Path
) -> None:
    model = _reordered(family, how)
    frame = synthesize(20_000, seed=22)
    if how == "reversed":
        frame.loc[:5_000, ["child_over_19", "separation_12m"]] = 1
    source = _write(frame, tmp_path / "population.csv")
    python, duck = _both(model, source, tmp_path, "csv", reasons=5)
    assert duck.engine == "duckdb"
    _assert_same_outputs(python, duck, "csv")
    scores = pd.read_csv(duck.output)
    if how == "reversed":  # ties broken each segment's way
        tied = scores["reason_1_points"] == scores["reason_2_points"]
        tied &= (
            scores[["reason_1_feature", "reason_2_feature"]]
            .isin(["child_over_19", "separation_12m"])
            .all(axis=1)
        )
        first = scores.loc[tied].groupby("segment")["reason_1_feature"].agg(set).to_dict()
        assert first == {"declarative": {"child_over_19"}, "prefilled": {"separation_12m"}}
    else:  # a segment gives only the reasons of its own features
        dropped = set(family.models_["prefilled"].features_[:3])
        prefilled = scores[scores["segment"] == "prefilled"]
        named = set(prefilled[[f"reason_{r}_feature" for r in range(1, 6)]].stack())
        assert named and not named & dropped


def test_an_odd_number_late_in_the_file_goes_to_python(
    family: ScorecardFamily, model_path: Path, tmp_path: Path
) -> None:
    source = _write(synthesize(20_000, seed=23), tmp_path / "population.csv")
    lines = source.read_bytes().split(b"\n")
    header = lines[0].decode().split(",")
    fields = lines[18_000].split(b",")
    fields[header.index("months_on_file")] = b"1e2"  # DuckDB reads 100, Arrow refuses it
    lines[18_000] = b",".join(fields)
    source.write_bytes(b"\n".join(lines))
    python, duck = _both(model_path, source, tmp_path, "parquet")
    assert duck.engine == "python" and "DuckDB and Arrow read differently" in str(duck.fallback)
    _assert_same_outputs(python, duck, "parquet")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


@pytest.mark.parametrize("value", [None, "01", "2A", "976", "7", "2C", "", "01 "])
def test_a_long_level_rule_checked_with_an_enum_says_what_the_in_list_says(
    value: str | None,
) -> None:
    import duckdb
    from sqlglot import exp

    from dmde.batch.duckdb_engine import _level_as_enum

    levels = list(CATALOG["caf_code"].levels)
    x = exp.column("x", quoted=True)
    rule = exp.Not(this=exp.In(this=x, expressions=[exp.Literal.string(v) for v in levels]))
    fast = _level_as_enum(rule.copy())
    assert fast.sql("duckdb") != rule.sql("duckdb")  # rewritten: many levels
    con = duckdb.connect()
    query = "SELECT COALESCE(({}), FALSE) FROM (SELECT CAST(? AS VARCHAR) AS x)"
    slow_says = con.execute(query.format(rule.sql("duckdb")), [value]).fetchall()
    fast_says = con.execute(query.format(fast.sql("duckdb")), [value]).fetchall()
    assert fast_says == slow_says == [(value is not None and value not in levels,)]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_file_without_rows_is_refused_as_python_refuses_it(
    kind: str, model_path: Path, tmp_path: Path
) -> None:
    source = _write(synthesize(100, seed=24).iloc[:0], tmp_path / f"population.{kind}")
    with pytest.raises(SchemaError) as python:
        score_file(model_path, source, tmp_path / "python.csv")
    with pytest.raises(SchemaError) as duck:
        score_file_duckdb(model_path, source, tmp_path / "duckdb.csv")
    assert str(python.value) == str(duck.value)
    assert not list(tmp_path.glob("duckdb*"))


@pytest.mark.parametrize(
    ("column", "text", "odd"),
    [
        ("n_children", None, False),
        ("n_children", "3", False),
        ("n_children", "0", False),
        ("n_children", "12", False),
        ("n_children", "-5", False),
        ("n_children", "03", True),
        ("n_children", "+3", True),
        ("n_children", "-0", True),
        ("n_children", "3.5", True),
        ("n_children", "1e3", True),
        ("n_children", "1_000", True),
        ("n_children", " 3", True),
        ("n_children", "x", True),
        ("income_to_smic", None, False),
        ("income_to_smic", "1.25", False),
        ("income_to_smic", "3", False),
        ("income_to_smic", "1_000", True),
        ("income_to_smic", "x", True),
    ],
)
def test_the_numbers_duckdb_and_arrow_read_differently_are_found(
    column: str, text: str | None, odd: bool
) -> None:
    import duckdb

    from dmde.batch.duckdb_engine import _odd

    query = f'SELECT {_odd(column).sql("duckdb")} FROM (SELECT CAST(? AS VARCHAR) AS "{column}")'
    assert duckdb.connect().execute(query, [text]).fetchall() == [(odd,)]
