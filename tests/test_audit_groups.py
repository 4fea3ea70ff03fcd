"""The audit's groups read from a population file (dmde.audit.groups)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dmde.audit.groups import iter_group_batches, missing_attributes, source_columns
from dmde.audit.targeting import ATTRIBUTE_SOURCES, group_columns
from dmde.core.errors import DmdeError
from dmde.data.catalog import CATALOG
from dmde.data.synthetic import synthesize


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    frame = synthesize(1_200, seed=23, controls=100)
    path = tmp_path_factory.mktemp("groups") / "population.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_a_full_population_lacks_nothing(population: tuple[pd.DataFrame, Path]) -> None:
    _, path = population
    assert missing_attributes(path) == []


@pytest.mark.parametrize(
    ("dropped", "missing"),
    [
        (["age"], ["age_band"]),
        (["gender", "income_to_smic"], ["gender", "income_band"]),
        (list(ATTRIBUTE_SOURCES.values()), list(ATTRIBUTE_SOURCES)),
    ],
    ids=["age", "two", "all"],
)
def test_missing_attributes_name_the_attributes_in_order(
    population: tuple[pd.DataFrame, Path], tmp_path: Path, dropped: list[str], missing: list[str]
) -> None:
    frame, _ = population
    path = tmp_path / "part.parquet"
    frame.drop(columns=dropped).to_parquet(path, index=False)
    assert missing_attributes(path) == missing


@pytest.mark.parametrize("batch_size", [1_200, 500, 7], ids=["one", "three", "many"])
def test_group_batches_are_the_groups_in_file_order(
    population: tuple[pd.DataFrame, Path], batch_size: int
) -> None:
    frame, path = population
    batches = list(iter_group_batches(path, batch_size=batch_size))
    assert all(len(b) <= batch_size for b in batches)
    streamed = pd.concat(batches, ignore_index=True)
    pd.testing.assert_frame_equal(streamed, group_columns(frame))


def test_group_batches_of_a_partial_file(
    population: tuple[pd.DataFrame, Path], tmp_path: Path
) -> None:
    frame, _ = population
    path = tmp_path / "part.csv"
    frame.drop(columns=["age", "urban_rural"]).to_csv(path, index=False)
    kept = set(ATTRIBUTE_SOURCES.values()) - {"age", "urban_rural"}
    assert source_columns(path) == [c for c in CATALOG if c in kept]  # catalog order
    streamed = pd.concat(iter_group_batches(path, batch_size=400), ignore_index=True)
    assert "age_band" not in streamed and "urban_rural" not in streamed
    pd.testing.assert_frame_equal(
        streamed, group_columns(frame.drop(columns=["age"])).drop(columns=["urban_rural"])
    )


def test_group_batches_need_a_source_column(
    population: tuple[pd.DataFrame, Path], tmp_path: Path
) -> None:
    frame, _ = population
    path = tmp_path / "none.csv"
    frame.drop(columns=list(ATTRIBUTE_SOURCES.values())).to_csv(path, index=False)
    with pytest.raises(DmdeError, match=r"none\.csv has none of the columns .*gender"):
        next(iter_group_batches(path, batch_size=100))
