"""The synthetic world: determinism, marginals, labels, scenarios."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from dmde.core.errors import DmdeError
from dmde.data.catalog import CATALOG
from dmde.data.synthetic import (
    CHUNK_ROWS,
    SCENARIOS,
    TRUTH_TERMS,
    default_controls,
    generate_population,
    population_columns,
    synthesize,
    truth_design,
    write_population,
)

N_MARGINALS = 400_000


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return synthesize(N_MARGINALS, seed=11, controls=7_500, with_truth=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_arguments_give_byte_identical_files(tmp_path: Path, suffix: str) -> None:
    a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    for path in (a, b):
        assert write_population(path, 3_000, seed=5, controls=300, with_truth=True) == 3_000
    assert _sha(a) == _sha(b)
    c = tmp_path / f"c{suffix}"
    write_population(c, 3_000, seed=6, controls=300, with_truth=True)
    assert _sha(a) != _sha(c)


def test_chunks_are_bounded_and_columns_in_catalog_order() -> None:
    n = CHUNK_ROWS + 10
    sizes = [t.num_rows for t in generate_population(n, seed=1, controls=50)]
    assert sizes == [CHUNK_ROWS, 10]
    cols = population_columns()
    assert list(cols) == [c for c in CATALOG if c in cols]
    assert "truth_probability" not in cols
    assert population_columns(with_truth=True)[-2:] == ("truth_probability", "truth_target")
    full = population_columns(with_truth=True, underpayments=True)
    assert full[-4:] == (
        "truth_probability",
        "truth_target",
        "truth_rappel_probability",
        "truth_rappel_target",
    )
    assert [c for c in full if c in ("rappel_amount", "rappel_months", "rappel_target")] == [
        "rappel_amount",
        "rappel_months",
        "rappel_target",
    ]


def test_generated_values_respect_the_catalog(population: pd.DataFrame) -> None:
    for name in population.columns:
        col = CATALOG[name]
        values = population[name]
        if not col.nullable and col.family.value != "label":
            assert values.notna().all(), name
        values = values.dropna()
        if col.dtype in ("int", "float", "flag"):
            assert values.min() >= col.minimum and values.max() <= col.maximum, name
        elif col.dtype == "category":
            assert set(values.unique()) <= set(col.levels), name
        else:
            assert values.str.fullmatch(str(col.pattern)).all(), name
    assert population["dossier_id"].is_unique


# Documented targets (data/synthetic/README.md): shares of households receiving each benefit.
RECEIPT_TARGETS = {
    "mean_housing_aid_12m": 5.6 / 13.8,
    "mean_prime_activite_12m": 4.8 / 13.8,
    "mean_rsa_12m": 1.85 / 13.8,
    "mean_aah_12m": 1.4 / 13.8,
    "mean_af_12m": 4.9 / 13.8,
}


@pytest.mark.parametrize("name", sorted(RECEIPT_TARGETS))
def test_benefit_receipt_matches_public_figures(population: pd.DataFrame, name: str) -> None:
    share = (population[name] > 0).mean()
    assert share == pytest.approx(RECEIPT_TARGETS[name], abs=0.02)


def test_population_structure(population: pd.DataFrame) -> None:
    foreign = (population["nationality_group"] != "french").mean()
    assert foreign == pytest.approx(0.11, abs=0.015)
    lone = population["household_type"] == "lone_parent"
    assert (population.loc[lone, "gender"] == "female").mean() > 0.8
    assert population["caf_code"].nunique() == 101
    top = population["caf_code"].value_counts(normalize=True)
    assert top.index[0] == "59" and top.iloc[0] == pytest.approx(2611 / 67_300, rel=0.1)
    assert 0.10 < population["zero_income"].mean() < 0.25
    assert population["income_volatility"].isna().equals(population["months_on_file"] < 6)


def test_sensitive_attributes_shape_the_features(population: pd.DataFrame) -> None:
    non_eu = population["nationality_group"] == "non_eu"
    kids = population["n_children"]
    assert kids[non_eu].mean() > kids[~non_eu].mean() + 0.2
    old = population["age"] >= 50
    assert (
        population.loc[old, "child_over_19"].mean()
        > 3 * population.loc[~old, "child_over_19"].mean()
    )
    young = population["age"] < 35
    logins = population["web_logins_12m"]
    assert logins[young].mean() > logins[~young].mean()


def test_zero_income_carries_less_risk_than_low_income(population: pd.DataFrame) -> None:
    p = population["truth_probability"]
    income = population["income_to_smic"]
    assert p[income == 0].mean() < p[(income > 0) & (income < 1)].mean()


def test_past_checks_follow_past_risk(population: pd.DataFrame) -> None:
    checked = population["n_controls_24m"] > 0
    p = population["truth_probability"]
    assert p[checked].mean() > 1.3 * p[~checked].mean()
    never = population["months_since_last_control"].isna()
    assert (population.loc[never, "n_controls_24m"] == 0).all()


def test_random_control_sample_and_labels(population: pd.DataFrame) -> None:
    controlled = population["controlled"] == 1
    assert controlled.sum() == 7_500
    labels = ["control_weight", "indu_amount", "indu_months", "target", "rappel_amount"]
    assert population.loc[controlled, labels].notna().all().all()
    assert population.loc[~controlled, labels].isna().all().all()
    checked = population[controlled]
    target = (checked["indu_amount"] >= 600) & (checked["indu_months"] >= 6)
    assert (checked["target"] == target.astype(int)).all()
    assert (checked["target"] == checked["truth_target"]).all()
    # weights: households per file drawn in the stratum, so they add up to the population
    assert checked["control_weight"].sum() == pytest.approx(N_MARGINALS, rel=1e-6)
    # the survey oversamples RSA files
    rsa_pop = (population["control_stratum"] == "rsa").mean()
    assert (checked["control_stratum"] == "rsa").mean() > 1.5 * rsa_pop
    # weighted, the sample estimates the population's target rate
    est = np.average(checked["target"], weights=checked["control_weight"])
    assert est == pytest.approx(population["truth_target"].mean(), abs=0.012)
    assert checked.loc[checked["target"] == 1, "indu_amount"].mean() == pytest.approx(1550, rel=0.1)


def _fit_with_se(design: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unpenalised logistic fit, with standard errors from the Fisher information."""
    model = LogisticRegression(C=np.inf, max_iter=2_000, tol=1e-8).fit(design, y)
    coef = np.r_[model.intercept_, model.coef_[0]]
    x = np.c_[np.ones(len(design)), design.to_numpy()]
    p = model.predict_proba(design)[:, 1]
    info = x.T @ (x * (p * (1 - p))[:, None])
    return coef, np.sqrt(np.diag(np.linalg.inv(info)))


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["neutral", "planted_age", "planted_address"])
def test_scenario_coefficients_are_recovered(scenario: str) -> None:
    df = synthesize(300_000, seed=3, controls=0, scenario=scenario, with_truth=True)
    design = truth_design(df)
    assert list(design.columns) == list(TRUTH_TERMS)
    coef, se = _fit_with_se(design, df["truth_target"].to_numpy())
    spec = SCENARIOS[scenario]
    expected = np.array(
        [spec.coefficient("intercept")] + [spec.coefficient(t) for t in design.columns]
    )
    assert (se < 0.2).all(), "the test has too little power"
    z = np.abs(coef - expected) / se
    assert z.max() < 4.5, dict(zip(["intercept", *design.columns], np.round(coef, 3), strict=True))


def test_truth_probability_is_the_logistic_of_the_design() -> None:
    df = synthesize(5_000, seed=2, controls=0, scenario="planted_address", with_truth=True)
    spec = SCENARIOS["planted_address"]
    design = truth_design(df)
    beta = np.array([spec.coefficient(t) for t in design.columns])
    logit = spec.coefficient("intercept") + design.to_numpy() @ beta
    np.testing.assert_allclose(df["truth_probability"], 1 / (1 + np.exp(-logit)), atol=1e-6)


def test_scenarios_change_only_the_truth() -> None:
    a = synthesize(2_000, seed=4, controls=0, scenario="neutral", with_truth=True)
    b = synthesize(2_000, seed=4, controls=0, scenario="planted_age", with_truth=True)
    same = ["dossier_id", "income_to_smic", "age", "web_logins_12m", "mean_rsa_12m"]
    pd.testing.assert_frame_equal(a[same], b[same])
    young = a["age"] < 25
    assert (b.loc[young, "truth_probability"] > a.loc[young, "truth_probability"]).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_rows": 0}, r"rows must be a whole number of at least 1; got 0"),
        (
            {"n_rows": 10, "controls": 11},
            r"controls must be .* from 0 to the number of rows \(10\)",
        ),
        ({"n_rows": 10, "seed": -1}, r"seed must be .* at least 0; got -1"),
        ({"n_rows": 10, "scenario": "nope"}, r"unknown scenario 'nope': expected one of neutral"),
    ],
    ids=["no-rows", "too-many-controls", "negative-seed", "unknown-scenario"],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    kwargs = {"controls": 0, **kwargs}
    with pytest.raises(DmdeError, match=message):
        synthesize(**kwargs)  # type: ignore[arg-type]


def test_committed_sample_is_what_its_command_makes(tmp_path: Path) -> None:
    """data/synthetic/population-10k.csv, from the command in data/synthetic/README.md."""
    committed = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    fresh = tmp_path / "population-10k.csv"
    write_population(fresh, 10_000, seed=2026, controls=1_000, with_truth=True)
    assert _sha(fresh) == _sha(committed), (
        "the generator changed: regenerate the sample with the command in data/synthetic/README.md"
    )


def test_the_default_survey_is_7500_files_or_every_row_of_a_smaller_population() -> None:
    """synthesize(2000, seed=1) as a newcomer writes it: every row is in the survey."""
    small = synthesize(2_000, seed=1)
    assert int(small["controlled"].sum()) == 2_000
    assert default_controls(10_000, None) == 7_500
