"""The lookup tables score exactly as the model does (dmde.batch.lookup)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dmde.batch.lookup import LookupScorer
from dmde.data.catalog import CATALOG
from dmde.data.synthetic import synthesize
from dmde.model.scaling import PointsScaling
from dmde.model.scorecard import Scorecard, ScorecardFamily

FEATURES = [
    "income_to_smic",
    "household_type",
    "n_children",
    "months_on_file",
    "activity_holder",
    "zero_income",
    "income_volatility",
]


def _model(seed: int, family: bool, decimals: int = 2) -> Scorecard | ScorecardFamily:
    frame = synthesize(4_000, seed=seed, controls=0, with_truth=True)
    template = Scorecard(
        features=FEATURES[: 3 + seed % 5], scaling=PointsScaling(decimals=decimals)
    )
    if family:
        return ScorecardFamily(scorecard=template).fit(frame, frame["truth_target"])
    return template.fit(frame, frame["truth_target"])


def _rows(model: Scorecard | ScorecardFamily, seed: int, n: int = 3_000) -> pd.DataFrame:
    """Rows to score: fresh households, with missing values, unseen levels, infinities and
    values exactly on the bins' edges."""
    rng = np.random.default_rng(seed)
    frame = synthesize(n, seed=seed + 1000, controls=0).reset_index(drop=True)
    scorecards = model.models_.values() if isinstance(model, ScorecardFamily) else [model]
    for scorecard in scorecards:
        for name, binning in zip(scorecard.features_, scorecard.binning_.bins_, strict=True):
            rows = rng.choice(n, size=n // 10, replace=False)
            if binning.kind == "numeric" and binning.edges:
                frame[name] = frame[name].astype(float)
                frame.loc[rows[: n // 20], name] = rng.choice(binning.edges, size=n // 20)
                frame.loc[rows[n // 20 : n // 20 + 3], name] = [np.inf, -np.inf, np.nan]
            elif binning.kind == "categorical":
                frame[name] = frame[name].astype(object)
                frame.loc[rows[:5], name] = "never_seen"
            frame.loc[rows[-20:], name] = None
    return frame


def _table(frame: pd.DataFrame, names: list[str], *, dictionary: bool) -> pa.Table:
    columns: dict[str, Any] = {}
    for name in names:
        if CATALOG[name].dtype in ("category", "string"):
            text = pa.array(
                frame[name].astype(object).where(frame[name].notna(), None), pa.string()
            )
            columns[name] = text.dictionary_encode() if dictionary else text
        else:
            columns[name] = pa.array(frame[name].astype(float), pa.float64(), from_pandas=True)
    return pa.table(columns)


def _expected(model: Scorecard | ScorecardFamily, frame: pd.DataFrame, reasons: int) -> Any:
    names = list(model.features_)
    if isinstance(model, ScorecardFamily):
        names.append(model.segment_column)
    return model.score_columns({n: frame[n] for n in names}, len(frame), reasons=reasons)


def _same(a: Any, b: Any) -> None:
    for name in ("points", "probability", "reason_features", "reason_points"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert np.array_equal(x, y, equal_nan=True), name


@pytest.mark.parametrize("family", [False, True], ids=["single", "family"])
@pytest.mark.parametrize("seed", range(6))
def test_the_tables_score_as_the_model(seed: int, family: bool) -> None:
    model = _model(seed, family, decimals=(2, 0, 4)[seed % 3])
    scorer = LookupScorer(model)
    assert scorer.supported
    frame = _rows(model, seed)
    names = [*model.features_] + (
        [model.segment_column] if isinstance(model, ScorecardFamily) else []
    )
    for reasons in sorted({0, 1, 3, len(model.features_), len(model.features_) + 2}):
        expected = _expected(model, frame, reasons)
        for dictionary in (True, False):
            _same(
                scorer.score(_table(frame, names, dictionary=dictionary), reasons=reasons), expected
            )


def test_ties_go_to_the_scorecards_first_feature() -> None:
    # Two features with the same points above their reference (the others at it): the first
    # in the scorecard's features_ is the first reason.
    model = _model(3, family=False)
    first, second = model.features_[0], model.features_[1]
    model.bin_points_ = tuple(
        np.full_like(p, 7.0 if j < 2 else 0.0) for j, p in enumerate(model.bin_points_)
    )
    model.reference_points_ = np.zeros(len(model.features_))
    frame = _rows(model, 3, n=500)
    table = _table(frame, list(model.features_), dictionary=True)
    scored = LookupScorer(model).score(table, reasons=2)
    _same(scored, _expected(model, frame, 2))
    assert (scored.reason_features[:, 0] == model.features_.index(first)).all()
    assert (scored.reason_features[:, 1] == model.features_.index(second)).all()


def test_a_segment_without_a_scorecard_is_refused() -> None:
    model = _model(1, family=True)
    frame = _rows(model, 1, n=200)
    frame.loc[7, model.segment_column] = "unheard_of"
    names = [*model.features_, model.segment_column]
    with pytest.raises(ValueError, match="has no scorecard"):
        LookupScorer(model).score(_table(frame, names, dictionary=True), reasons=1)


def test_an_empty_batch_gives_empty_scores() -> None:
    model = _model(2, family=True)
    frame = _rows(model, 2, n=50).iloc[:0]
    names = [*model.features_, model.segment_column]
    scored = LookupScorer(model).score(_table(frame, names, dictionary=True), reasons=3)
    assert scored.points.shape == (0,) and scored.reason_features.shape == (0, 3)


@pytest.mark.parametrize("family", [False, True], ids=["single", "family"])
@pytest.mark.parametrize("seed", range(3))
def test_the_model_files_tables_score_as_the_model(seed: int, family: bool, tmp_path: Any) -> None:
    """``dmde score`` builds the tables from the checked model file, not from a scorecard:
    the same scores, bit for bit, as the model the file builds."""
    from dmde.model.model_file import load_model, save_model
    from dmde.model.published_model import read_published_model

    save_model(_model(seed, family, decimals=(2, 0, 4)[seed % 3]), tmp_path / "m.json")
    published = read_published_model(tmp_path / "m.json")
    model = load_model(tmp_path / "m.json")
    scorer = LookupScorer(published)
    assert scorer.supported and scorer.features == tuple(model.features_)
    frame = _rows(model, seed)
    names = [*model.features_] + (
        [model.segment_column] if isinstance(model, ScorecardFamily) else []
    )
    for reasons in (0, 2, len(model.features_)):
        expected = _expected(model, frame, reasons)
        _same(scorer.score(_table(frame, names, dictionary=True), reasons=reasons), expected)
