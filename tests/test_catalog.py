"""The catalog and the feature policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dmde.core.errors import DmdeError, PolicyError
from dmde.data.catalog import (
    CAF_CODES,
    CATALOG,
    DEFAULT_POLICY,
    EXCLUDED_FAMILIES,
    FEATURE_FAMILIES,
    LOCATING_COLUMNS,
    Column,
    Family,
    FeaturePolicy,
    check_routing_column,
    column,
    columns_of,
)
from dmde.data.dictionary import (
    data_dictionary_json,
    data_dictionary_markdown,
    data_dictionary_text,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_family_has_columns_and_every_column_is_complete() -> None:
    assert {c.family for c in CATALOG.values()} == set(Family)
    for c in CATALOG.values():
        assert c.description and c.label_fr and c.source and c.label, c.name
        if c.dtype in ("int", "float"):
            assert c.minimum is not None and c.maximum is not None and c.minimum < c.maximum
        if c.dtype == "category":
            assert len(set(c.levels)) == len(c.levels) >= 2, c.name
        if c.dtype == "string":
            assert c.pattern and re.compile(c.pattern), c.name


def test_design_families() -> None:
    assert columns_of("sensitive") == ("gender", "nationality_group", "age")
    assert set(columns_of("address")) == {
        "commune_code",
        "postal_code",
        "priority_neighbourhood",
        "urban_rural",
    }
    assert "web_logins_12m" in columns_of("behaviour")
    assert "n_controls_24m" in columns_of(Family.CONTROL_HISTORY)
    assert column("dossier_id").family is Family.IDENTIFIER
    assert column("target").family is Family.LABEL


def test_required_columns_are_the_ones_a_scoring_file_needs() -> None:
    for c in CATALOG.values():
        expected = c.family in FEATURE_FAMILIES or c.family in (
            Family.IDENTIFIER,
            Family.OPERATIONAL,
        )
        if c.name != "control_stratum":
            assert c.required == expected, c.name


def test_101_caf_offices() -> None:
    assert len(CAF_CODES) == len(set(CAF_CODES)) == 101
    assert {"2A", "2B", "75", "93", "971", "976"} <= set(CAF_CODES)
    assert "20" not in CAF_CODES


def test_default_policy_admits_exactly_the_allowed_families() -> None:
    features = DEFAULT_POLICY.features
    assert features == columns_of("household", "resources", "benefits")
    for name in CATALOG:
        assert (name in features) == (CATALOG[name].family in FEATURE_FAMILIES)


@pytest.mark.parametrize(
    ("name", "family"),
    [(n, CATALOG[n].family.value) for n in CATALOG if CATALOG[n].family not in FEATURE_FAMILIES],
)
def test_policy_refuses_every_non_feature_column(name: str, family: str) -> None:
    with pytest.raises(PolicyError, match=rf"column '{name}' \(family '{family}'\) cannot be"):
        DEFAULT_POLICY.check([name])


@pytest.mark.parametrize(
    ("families", "message"),
    [
        (["household", "sensitive"], r"family 'sensitive' .*no sensitive data"),
        (["address"], r"family 'address' .*place-of-residence"),
        (["benefits", "behaviour"], r"family 'behaviour' .*how people deal with the agency"),
        (["control_history"], r"family 'control_history' .*past checks"),
        (["label"], r"family 'label' .*never a feature"),
        (["identifier"], r"family 'identifier' .*name a file"),
        (["operational"], r"family 'operational' .*handled and selected"),
        (["household", "nonsense"], r"unknown family 'nonsense': expected one of"),
    ],
    ids=[
        "sensitive",
        "address",
        "behaviour",
        "control_history",
        "label",
        "identifier",
        "operational",
        "unknown",
    ],
)
def test_no_policy_can_admit_an_excluded_family(families: list[str], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        FeaturePolicy(allowed_families=families)


@pytest.mark.parametrize(
    ("policy", "name", "message"),
    [
        (
            FeaturePolicy(allowed_families=["benefits"]),
            "n_children",
            r"'n_children' \(family 'household'\).*allows only benefits",
        ),
        (
            FeaturePolicy(removed_columns=["alimony_24m"]),
            "alimony_24m",
            r"'alimony_24m' \(family 'resources'\).*removes it",
        ),
        (DEFAULT_POLICY, "n_childern", r"unknown column 'n_childern'.*Did you mean n_children"),
    ],
    ids=["family-not-allowed", "removed-column", "unknown-column"],
)
def test_stricter_policies_refuse_more(policy: FeaturePolicy, name: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy.check([name])


def test_policy_errors_are_value_errors_and_dmde_errors() -> None:
    with pytest.raises(ValueError, match="nationality_group"):
        DEFAULT_POLICY.check(["n_children", "nationality_group"])
    with pytest.raises(DmdeError, match="unknown column"):
        FeaturePolicy(removed_columns=["no_such_column"])


def test_stricter_policy_features_and_round_trip() -> None:
    policy = FeaturePolicy(
        allowed_families=["benefits", "household"], removed_columns=["guardianship"], name="strict"
    )
    assert "guardianship" not in policy.features
    assert "income_to_smic" not in policy.features
    assert policy.check(["n_children"]) == ("n_children",)
    data = policy.to_dict()
    assert data["excluded_families"].keys() == {f.value for f in EXCLUDED_FAMILIES}
    assert FeaturePolicy.from_dict(data) == policy


def test_policy_from_tampered_dict_is_refused() -> None:
    data = DEFAULT_POLICY.to_dict()
    data["allowed_families"] = [*data["allowed_families"], "behaviour"]
    with pytest.raises(PolicyError, match="family 'behaviour'"):
        FeaturePolicy.from_dict(data)


def test_unknown_column_lookup() -> None:
    with pytest.raises(KeyError, match=r"unknown column 'gendr'.*gender"):
        column("gendr")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dtype": "category"}, "a category needs levels"),
        ({"dtype": "flag", "minimum": 0, "maximum": 2}, "a flag has minimum 0 and maximum 1"),
    ],
    ids=["category-without-levels", "flag-range"],
)
def test_column_declaration_checks(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "name": "x",
        "dtype": "int",
        "family": Family.HOUSEHOLD,
        "description": "d",
        "label_fr": "l",
        "source": "s",
        "label": "x",
    }
    with pytest.raises(ValueError, match=message):
        Column(**{**base, **kwargs})  # type: ignore[arg-type]


def test_committed_data_dictionary_is_up_to_date() -> None:
    committed = (DOCS / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary_markdown(), (
        "docs/data-dictionary.md is out of date: run "
        "'dmde catalog --format markdown > docs/data-dictionary.md'"
    )


def test_dictionary_formats_list_every_column() -> None:
    text, md, js = data_dictionary_text(), data_dictionary_markdown(), data_dictionary_json()
    for name in CATALOG:
        assert name in text and f"`{name}`" in md and f'"{name}"' in js
    assert "web_logins_12m" not in data_dictionary_text(["household"])


# ------------------------------------------------------------------------------ routing columns
LOCATING = ("caf_code", *columns_of("address"))


@pytest.mark.parametrize("name", LOCATING)
def test_a_column_that_locates_the_household_routes_nothing_and_is_no_feature(name: str) -> None:
    with pytest.raises(PolicyError, match=rf"segment_column '{name}' (locates|is in family)"):
        check_routing_column(name)
    with pytest.raises(PolicyError, match=rf"column '{name}' \(family '(operational|address)'\)"):
        DEFAULT_POLICY.check([name])


def test_the_office_is_refused_as_a_geographic_proxy() -> None:
    with pytest.raises(
        PolicyError,
        match=r"^segment_column 'caf_code' locates the household \(the local office is the "
        r"département\): a score routed by it depends on where people live, a geographic proxy, "
        r"and address and place of residence are excluded.*Route by income_reporting",
    ):
        check_routing_column("caf_code")
    assert set(LOCATING_COLUMNS) <= set(columns_of("operational"))


@pytest.mark.parametrize(
    "name", [c for c in columns_of("operational") if c not in LOCATING_COLUMNS]
)
def test_other_operational_columns_may_route(name: str) -> None:
    assert check_routing_column(name) == name


def test_dmde_train_refuses_to_segment_by_the_office(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dmde.cli import main

    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    out = tmp_path / "model.json"
    argv = ["train", "--data", str(sample), "--out", str(out), "--segment-column", "caf_code"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "'caf_code' locates the household" in err and "geographic proxy" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
