"""The model as SQL (dmde.model.sql): run in DuckDB, it gives the Python scorer's numbers.

Points of each feature, score, reasons and reason points are compared for equality (not
closeness) with :meth:`Scorecard.score_columns` on synthetic populations with values exactly at
the bin edges, missing values and levels the model never saw; the probability is compared to
the last bit where the engine's ``EXP`` allows (see the module's docstring). The SQL of every
dialect parses back with sqlglot, the PostgreSQL query transpiled to DuckDB gives the same
numbers, and no table name can inject SQL.
"""

from __future__ import annotations

import copy
import functools

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from dmde.core.errors import ParameterError, SchemaError
from dmde.data.catalog import CATALOG
from dmde.data.synthetic import synthesize
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.sql import (
    carried_columns,
    rejects_sql,
    scorecard_sql,
    table_reference,
)

DIALECTS = ("duckdb", "postgres", "spark", "bigquery", "tsql", "snowflake", "trino", "mysql")


# --------------------------------------------------------------------------------------------
def _fit(
    seed: int, *, family: bool, features: list[str] | None = None
) -> Scorecard | ScorecardFamily:
    """A fitted model (a copy: a test may change it), fitted once per set of arguments."""
    return copy.deepcopy(_fitted(seed, family, tuple(features or ())))


@functools.cache
def _fitted(seed: int, family: bool, features: tuple[str, ...]) -> Scorecard | ScorecardFamily:
    return _fit_now(seed, family=family, features=list(features) or None)


def _fit_now(
    seed: int, *, family: bool, features: list[str] | None = None
) -> Scorecard | ScorecardFamily:
    world = synthesize(12_000, seed=seed, controls=6_000)
    train = world[world["controlled"] == 1]
    # A level of the catalog the model never sees: it must go to the default bin.
    train = train[train["activity_partner"] != "student"]
    template = Scorecard(features=features) if features else Scorecard()
    model: Scorecard | ScorecardFamily = ScorecardFamily(scorecard=template) if family else template
    return model.fit(train, train["target"], train["control_weight"])


def _population(model: Scorecard | ScorecardFamily, seed: int, n_rows: int) -> pd.DataFrame:
    """A population with values at every bin edge, missing values and unseen levels."""
    frame = synthesize(n_rows, seed=seed + 100)[list(carried_columns(model))].copy()
    rng = np.random.default_rng(seed)
    scorecards = model.models_.values() if isinstance(model, ScorecardFamily) else [model]
    for scorecard in scorecards:
        for binning in scorecard.binning_.bins_:
            name = binning.name
            if binning.kind != "numeric" or not binning.edges:
                continue
            column = frame[name].astype(np.float64)
            for edge in binning.edges:  # exactly at the edge, and the doubles around it
                for value in (edge, np.nextafter(edge, -np.inf), np.nextafter(edge, np.inf)):
                    column.iloc[rng.integers(0, n_rows, 30)] = value
            frame[name] = column
    frame.loc[rng.integers(0, n_rows, 200), "income_volatility"] = np.nan
    frame.loc[rng.integers(0, n_rows, 200), "activity_partner"] = "student"
    frame.loc[rng.integers(0, n_rows, 50), "household_type"] = None
    return frame


def _run(query: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The query in DuckDB on ``frame`` registered as the table ``households``."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    con = duckdb.connect()
    con.register("households", table)
    try:
        return con.sql(query).to_arrow_table().to_pandas()
    finally:
        con.close()


def _python(
    model: Scorecard | ScorecardFamily, frame: pd.DataFrame, reasons: int
) -> dict[str, np.ndarray]:
    columns = {c: frame[c] for c in frame.columns}
    scored = model.score_columns(columns, len(frame), reasons=reasons)
    features = list(model.features_)
    out: dict[str, np.ndarray] = {"score": scored.points, "probability": scored.probability}
    for r in range(reasons):
        index = scored.reason_features[:, r] if r < scored.k else np.full(len(frame), -1)
        out[f"reason_{r + 1}_feature"] = np.array(
            [features[i] if i >= 0 else None for i in index], dtype=object
        )
        points = scored.reason_points[:, r] if r < scored.k else np.full(len(frame), np.nan)
        out[f"reason_{r + 1}_points"] = np.round(points, 2)
    return out


def _contributions(
    model: Scorecard | ScorecardFamily, frame: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Each feature's points per row from the Python model (NaN where a segment lacks it)."""
    out = {f: np.full(len(frame), np.nan) for f in model.features_}
    if isinstance(model, ScorecardFamily):
        parts = {
            s: np.flatnonzero(frame[model.segment_column].to_numpy() == s) for s in model.segments_
        }
        for name, rows in parts.items():
            scorecard = model.models_[name]
            points = scorecard.contributions(frame.iloc[rows])
            for j, f in enumerate(scorecard.features_):
                out[f][rows] = points[:, j]
        return out
    points = model.contributions(frame)
    return {f: points[:, j] for j, f in enumerate(model.features_)}


def _assert_same(
    sql: pd.DataFrame, model: Scorecard | ScorecardFamily, frame: pd.DataFrame, reasons: int
) -> None:
    expected = _python(model, frame, reasons)
    assert sql["dossier_id"].tolist() == frame["dossier_id"].tolist()
    for feature, points in _contributions(model, frame).items():
        got = sql[f"points_{feature}"].astype(np.float64).to_numpy()
        np.testing.assert_array_equal(got, points, err_msg=f"points of {feature}")
    np.testing.assert_array_equal(sql["score"].to_numpy(), expected["score"])
    # An engine's EXP may differ from numpy's in the last bit: the DuckDB engine recomputes
    # the probability with numpy; here the query's own probability is within 4 ulps.
    np.testing.assert_array_max_ulp(sql["probability"].to_numpy(), expected["probability"], 4)
    for r in range(1, reasons + 1):
        got_features = (
            sql[f"reason_{r}_feature"]
            .astype(object)
            .where(sql[f"reason_{r}_feature"].notna(), None)
        )
        assert got_features.tolist() == expected[f"reason_{r}_feature"].tolist(), f"reason {r}"
        np.testing.assert_array_equal(
            sql[f"reason_{r}_points"].astype(np.float64).to_numpy(), expected[f"reason_{r}_points"]
        )


# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_family_sql_scores_as_python(seed: int) -> None:
    model = _fit(seed, family=True)
    frame = _population(model, seed, 30_000)
    query = scorecard_sql(model, table="households", reasons=3)
    _assert_same(_run(query, frame), model, frame, 3)


@pytest.mark.slow
def test_family_sql_scores_as_python_100k() -> None:
    model = _fit(4, family=True)
    frame = _population(model, 4, 100_000)
    _assert_same(_run(scorecard_sql(model, table="households", reasons=5), frame), model, frame, 5)


@pytest.mark.parametrize(
    "reasons", [0, 1, 4, 30], ids=["none", "one", "four", "more-than-features"]
)
def test_single_scorecard_with_its_own_feature_order(reasons: int) -> None:
    # Features not in catalog order: the tie rule follows the model's order.
    features = ["mean_rsa_12m", "n_children", "household_type", "income_to_smic", "zero_income"]
    model = _fit(5, family=False, features=features)
    frame = _population(model, 5, 20_000)
    query = scorecard_sql(model, table="households", reasons=reasons)
    _assert_same(_run(query, frame), model, frame, reasons)


def test_ties_go_to_the_first_feature_of_the_model() -> None:
    # Two flags given the same points and reference: each row where they are in the same bin
    # has two reasons of equal excess, which go in the model's order.
    model = _fit(6, family=False, features=["guardianship", "alimony_24m", "child_over_19"])
    points = model.bin_points_[1].copy()
    model.bin_points_ = (points.copy(), points.copy(), model.bin_points_[2])
    model.reference_points_ = np.array(
        [model.reference_points_[1], model.reference_points_[1], model.reference_points_[2]]
    )
    frame = _population(model, 6, 20_000)
    frame.loc[:2_000, ["guardianship", "alimony_24m"]] = 1  # both in the riskier bin: a tie
    sql = _run(scorecard_sql(model, table="households", reasons=3), frame)
    tied = (frame["guardianship"] == frame["alimony_24m"]) & (sql["reason_2_feature"].notna())
    assert tied.sum() > 1_000
    assert (sql.loc[tied, "reason_1_feature"] == "guardianship").all()
    _assert_same(sql, model, frame, 3)


def test_postgres_sql_transpiled_to_duckdb_gives_the_same_numbers() -> None:
    model = _fit(7, family=True)
    frame = _population(model, 7, 20_000)
    postgres = scorecard_sql(model, table="households", dialect="postgres", reasons=3)
    statements = sqlglot.parse(postgres, read="postgres")
    assert len(statements) == 1
    again = statements[0].sql(dialect="duckdb")  # type: ignore[union-attr]
    _assert_same(_run(again, frame), model, frame, 3)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back(dialect: str) -> None:
    model = _fit(8, family=True)
    for text in (
        scorecard_sql(model, table="warehouse.households", dialect=dialect, reasons=3),
        rejects_sql(model, table="warehouse.households", dialect=dialect, row_column="row"),
    ):
        assert text.startswith("-- dmde ")
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
        assert len(statements) == 1
        tables = {t.name for t in statements[0].find_all(exp.Table)}
        assert "households" in tables


def test_the_query_reads_only_the_model_columns() -> None:
    model = _fit(9, family=True)
    text = scorecard_sql(model, table="households", reasons=3)
    tree = sqlglot.parse_one(text, read="duckdb")
    source = tree.find(exp.With).expressions[0].this  # type: ignore[union-attr]
    read = {c.name for c in source.find_all(exp.Column)}
    assert read == set(carried_columns(model))
    excluded = [c for c in CATALOG.values() if c.family.value in ("sensitive", "address")]
    assert not any(f'"{c.name}"' in text for c in excluded)


@pytest.mark.parametrize(
    "name",
    ['x"; DROP TABLE households; --', "a;b", "it's", "[bracket]", "`tick`", "(SELECT 1)"],
    ids=["double-quote", "semicolon", "single-quote", "brackets", "backticks", "subquery"],
)
@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "tsql", "bigquery"])
def test_a_table_name_cannot_inject(name: str, dialect: str) -> None:
    model = _fit(10, family=False, features=["n_children"])
    text = scorecard_sql(model, table=[name], dialect=dialect)
    if name == "(SELECT 1)":  # read as a name, the text is a name too: quoted, never a query
        assert scorecard_sql(model, table=name, dialect=dialect) == text
    statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    assert len(statements) == 1
    tables = [t for t in statements[0].find_all(exp.Table) if t.name not in ("points", "scored")]
    assert [t.name for t in tables] == [name]
    assert not list(statements[0].find_all(exp.Drop))


def test_a_table_name_with_a_quote_runs_in_duckdb() -> None:
    model = _fit(10, family=False, features=["n_children"])
    frame = _population(model, 10, 1_000)
    name = 'weird"; name'
    con = duckdb.connect()
    con.register("frame", pa.Table.from_pandas(frame, preserve_index=False))
    con.execute(
        f'CREATE TABLE "{name.replace(chr(34), chr(34) * 2)}" AS SELECT * FROM frame'
    ).fetchall()
    result = con.sql(scorecard_sql(model, table=[name])).to_arrow_table()
    assert result.num_rows == 1_000


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ("f(x)", "table must be a table name"),
        ("a.b.c.d", "table must be a table name"),
        ("", "table must be a table name"),
        (["a", "b", "c", "d"], "1 to 3 non-empty parts"),
    ],
    ids=["function", "four-parts", "empty", "four-list"],
)
def test_what_is_not_a_table_name_is_refused(table: object, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        table_reference(table)  # type: ignore[arg-type]


def test_an_unknown_dialect_is_refused() -> None:
    model = _fit(10, family=False, features=["n_children"])
    with pytest.raises(ParameterError, match="dialect must be a SQL dialect"):
        scorecard_sql(model, table="t", dialect="cobol")


def test_rejects_sql_names_each_refused_value() -> None:
    model = _fit(11, family=True)
    frame = _population(model, 11, 2_000)
    frame.insert(0, "row", np.arange(1, len(frame) + 1))
    frame.loc[3, "income_to_smic"] = 25.0
    frame.loc[5, "caf_code"] = "7"
    frame.loc[5, "n_children"] = None
    frame.loc[9, "income_reporting"] = "quarterly"
    lines = _run(rejects_sql(model, table="households", row_column="row"), frame)
    found = list(zip(lines["row"], lines["column"], lines["rule"], strict=True))
    student_or_none = set(frame.index[frame["household_type"].isna()] + 1)
    assert (4, "income_to_smic", "range") in found
    assert (6, "caf_code", "level") in found and (6, "n_children", "missing_value") in found
    assert (10, "income_reporting", "level") in found
    assert {r for r, c, _ in found if c == "household_type"} == student_or_none
    hint = lines.loc[lines["column"] == "caf_code", "reason"].iloc[0]
    assert hint.endswith(
        "1 digit: leading zeros lost? Read the file as text (pandas: pd.read_csv(path, dtype=str))"
    )
    assert lines["row"].is_monotonic_increasing


def test_segments_that_order_their_features_differently_break_ties_each_their_way() -> None:
    model = _fit(12, family=True)
    assert isinstance(model, ScorecardFamily)
    scorecard = model.models_["prefilled"]
    order = list(range(len(scorecard.features_)))[::-1]
    scorecard.features_ = tuple(scorecard.features_[j] for j in order)
    scorecard.binning_.bins_ = [scorecard.binning_.bins_[j] for j in order]
    scorecard.bin_points_ = tuple(scorecard.bin_points_[j] for j in order)
    scorecard.reference_points_ = scorecard.reference_points_[order]
    # Two flags with the same points and reference in both segments: ties everywhere.
    for s in model.models_.values():
        a, b = s.features_.index("guardianship"), s.features_.index("alimony_24m")
        points = list(s.bin_points_)
        points[a] = points[a].copy()
        points[a][-2] = 50.0  # the flag set (its last value bin): the largest excess
        points[b] = points[a].copy()
        s.bin_points_ = tuple(points)
        s.reference_points_[b] = s.reference_points_[a]
    frame = _population(model, 12, 20_000)
    frame.loc[:4_000, ["guardianship", "alimony_24m"]] = 1
    sql = _run(scorecard_sql(model, table="households", reasons=4), frame)
    both = {"guardianship", "alimony_24m"}
    tied = sql[[f"reason_{r}_feature" for r in range(1, 5)]].isin(both).sum(axis=1) == 2
    tied &= sql["reason_1_points"] == sql["reason_2_points"]
    assert tied.sum() > 1_000  # the two tied flags are the first two reasons
    first = sql.loc[tied].groupby("segment")["reason_1_feature"].agg(lambda v: set(v))
    assert first.to_dict() == {"declarative": {"guardianship"}, "prefilled": {"alimony_24m"}}
    _assert_same(sql, model, frame, 4)


def test_a_model_of_anonymous_columns_is_refused() -> None:
    world = synthesize(3_000, seed=13, controls=0, with_truth=True)
    model = Scorecard().fit(world[["n_children"]].to_numpy(), world["truth_target"])
    with pytest.raises(SchemaError, match="only a model fitted on a DataFrame of catalog columns"):
        scorecard_sql(model, table="t")
