"""What the SQL engines share to write exactly the Python engine's outputs.

The DuckDB and Spark engines (:mod:`dmde.batch.duckdb_engine`, :mod:`dmde.batch.spark_engine`)
score with the model's SQL (:mod:`dmde.model.sql`); three steps make their files the Python
engine's: a Parquet file whose stored types the engine would read differently is handed over
(:func:`parquet_fits`), the probability is computed from the score by the Python engine's own
function (:func:`probability_of_scores`), and a rejected number is written as Arrow spells it
(:func:`rejects_as_python`). Neither engine's package is imported here. What a run of
either returns is an :class:`EngineScoringResult`: the Python engine's result, and which engine
wrote the files (a file the engine does not read as the Python engine does is handed to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dmde.batch.scoring import ScoringResult
from dmde.data.catalog import CATALOG
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["EngineScoringResult", "parquet_fits", "probability_of_scores", "rejects_as_python"]

Model = Scorecard | ScorecardFamily


@dataclass(frozen=True)
class EngineScoringResult(ScoringResult):
    """What a SQL engine's scoring run did (see :class:`~dmde.batch.scoring.ScoringResult`),
    and which engine wrote the outputs: the engine's name, or ``"python"`` with the reason in
    ``fallback``."""

    engine: str = "sql"
    fallback: str | None = None


def parquet_fits(source: Path, columns: Sequence[str]) -> str | None:
    """Why a SQL engine cannot read a Parquet file's ``columns`` as the Python engine does, or
    None."""
    stored = pq.read_schema(source)
    for name in columns:
        kind = stored.field(name).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        dtype = CATALOG[name].dtype
        integral = pa.types.is_integer(kind) or (dtype == "flag" and pa.types.is_boolean(kind))
        fits = {
            "int": integral,
            "flag": integral,
            "float": pa.types.is_floating(kind) or pa.types.is_integer(kind),
            "category": pa.types.is_string(kind) or pa.types.is_large_string(kind),
            "string": pa.types.is_string(kind) or pa.types.is_large_string(kind),
        }[dtype]
        if not fits:
            return f"column {name!r} is stored as {kind}"
    return None


def probability_of_scores(model: Model, batch: pa.RecordBatch) -> Any:
    """The probability of each row's score, by the Python engine's function (numpy's exp)."""
    points = batch.column("score").to_numpy(zero_copy_only=False)
    if not isinstance(model, ScorecardFamily):
        return model.scaling_.probability(points)
    segment = np.asarray(batch.column("segment").to_pylist(), dtype=object)
    out = np.empty(len(points), dtype=np.float64)
    for name, scorecard in model.models_.items():
        rows = segment == name
        if rows.any():
            out[rows] = scorecard.scaling_.probability(points[rows])
    return out


def rejects_as_python(table: pa.Table) -> pa.Table:
    """The rejects with each number spelled as Arrow spells it (the Python engine's text)."""
    names = table.column("column").to_pylist()
    values = table.column("value").to_pylist()
    fixed = [
        pa.array([float(v)], pa.float64()).cast(pa.string())[0].as_py()
        if v is not None and CATALOG[str(c)].dtype == "float"
        else v
        for c, v in zip(names, values, strict=True)
    ]
    return table.set_column(3, "value", pa.array(fixed, pa.string()))
