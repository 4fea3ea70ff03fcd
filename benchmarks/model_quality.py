"""Benchmark: how close the scorecard trained on a 7,500-file survey comes to the synthetic truth.

For each survey seed, a population of ``--survey-rows`` households (neutral scenario) is drawn
with a stratified random-control survey of ``--controls`` files; the models are trained on the
checked files (target ``target``, weighted by ``control_weight``, as ``dmde train`` does) and
judged on a fresh population of ``--test-rows`` households (seed 999, never used to choose
anything) against its true outcome ``truth_target``:

- ``truth``: the true probability itself (the best any model can do);
- ``oracle``: a logistic regression on the true design terms (:func:`truth_design`), fitted on
  the same checked files with their weights (what the sample size allows a model that knows the
  form of the truth);
- ``family`` / ``single``: the default scorecard family (one model per ``income_reporting``) and
  one scorecard, with the defaults;
- ``... tuned``: the same with the parameters :func:`dmde.model.tuning.choose_parameters`
  chooses from its default grid by 5-fold cross-validation on the checked files only;
- ``slope``, ``... sh``: the cross-validated calibration slope of the chosen parameters
  (out-of-fold log-odds against the target) and the AUC and calibration of the shrunk model,
  ``TuningResult.estimator(shrink=True)`` (``Scorecard(shrinkage=min(1, slope))``: the
  coefficients multiplied by it, each segment's intercept refitted on its training rows), as
  ``dmde train --tune --shrink`` trains it.

``calib`` is the calibration by decile: the test population cut into ten equal groups by the
model's score, the largest gap, in percentage points, between the mean predicted probability and
the mean true probability of a group.

    python benchmarks/model_quality.py
    python benchmarks/model_quality.py --seeds 1 2 --test-rows 100000
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from dmde.data.synthetic import synthesize
from dmde.data.synthetic_truth import SCENARIOS, truth_design
from dmde.model.scorecard import Scorecard
from dmde.model.training import TrainingData, training_data
from dmde.model.tuning import DEFAULT_GRID, GRID_PARAMETERS, choose_parameters

SEGMENT = "income_reporting"


def calibration_gap(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Largest |mean predicted - mean true probability| over the deciles of ``predicted``, in
    percentage points (deciles by rank, ties broken by position: ten equal groups)."""
    order = np.argsort(predicted, kind="stable")
    decile = np.empty(len(order), dtype=np.intp)
    decile[order] = np.arange(len(order)) * 10 // len(order)
    gaps = [abs(predicted[decile == d].mean() - truth[decile == d].mean()) for d in range(10)]
    return 100 * max(gaps)


def _oracle(data: TrainingData, test: pd.DataFrame) -> np.ndarray:
    terms = [t for t in SCENARIOS["neutral"].coefficients if t != "intercept"]
    model = LogisticRegression(C=1e6, max_iter=5000)
    model.fit(truth_design(data.X)[terms], data.y, sample_weight=data.weight)
    return np.asarray(model.predict_proba(truth_design(test)[terms])[:, 1])


def _fit(data: TrainingData, segment: str | None, grid: Any) -> tuple[Any, Any, float]:
    """A model with the parameters the cross-validation chooses from ``grid`` (the defaults
    alone when ``grid`` is None), fitted on every checked file; its tuning result; seconds."""
    start = time.perf_counter()
    if grid is None:
        template = Scorecard()
        grid = {k: (v,) for k, v in template.get_params().items() if k in GRID_PARAMETERS}
    result = choose_parameters(data, segment_column=segment, grid=grid)
    model = result.estimator().fit(data.X, data.y, sample_weight=data.weight)
    return model, result, time.perf_counter() - start


def _shrunk(result: Any, data: TrainingData, test: pd.DataFrame) -> np.ndarray:
    """The probabilities of the shrunk model: ``result.estimator(shrink=True)`` (coefficients
    times ``min(1, calibration slope)``, each segment's intercept refitted), fitted on the
    checked files, scored through its points as ``dmde score`` does."""
    model = result.estimator(shrink=True).fit(data.X, data.y, sample_weight=data.weight)
    return np.asarray(model.predict_proba(test)[:, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--survey-rows", type=int, default=100_000)
    parser.add_argument("--controls", type=int, default=7_500)
    parser.add_argument("--test-rows", type=int, default=300_000)
    args = parser.parse_args()
    test = synthesize(args.test_rows, seed=999, controls=0, with_truth=True)
    y_test = test["truth_target"].to_numpy()
    p_truth = test["truth_probability"].to_numpy()
    auc_truth = roc_auc_score(y_test, p_truth)
    print(f"test population: {args.test_rows:,} rows, seed 999; AUC of the truth {auc_truth:.4f}")
    print(
        f"{'seed':>4}  {'model':<14}{'AUC':>8}{'gap':>8}{'calib':>7}{'slope':>7}{'AUC sh':>8}"
        f"{'calib sh':>9}{'s':>6}  chosen"
    )
    rows: list[dict[str, Any]] = []
    for seed in args.seeds:
        population = synthesize(args.survey_rows, seed=seed, controls=args.controls)
        data = training_data(population)
        p_oracle = _oracle(data, test)
        for name, p in (("truth", p_truth), ("oracle", p_oracle)):
            auc, calib = roc_auc_score(y_test, p), calibration_gap(p, p_truth)
            rows.append({"seed": seed, "model": name, "auc": auc, "calib": calib})
            print(f"{seed:>4}  {name:<14}{auc:>8.4f}{auc - auc_truth:>8.4f}{calib:>7.2f}")
        for name, segment, grid in (
            ("family", SEGMENT, None),
            ("single", None, None),
            ("family tuned", SEGMENT, DEFAULT_GRID),
            ("single tuned", None, DEFAULT_GRID),
        ):
            model, result, seconds = _fit(data, segment, grid)
            p = model.predict_proba(test)[:, 1]
            p_shrunk = _shrunk(result, data, test)
            auc, calib = roc_auc_score(y_test, p), calibration_gap(p, p_truth)
            auc_sh, calib_sh = roc_auc_score(y_test, p_shrunk), calibration_gap(p_shrunk, p_truth)
            chosen = ", ".join(f"{k}={v}" for k, v in result.parameters.items())
            rows.append(
                {
                    "seed": seed,
                    "model": name,
                    "auc": auc,
                    "calib": calib,
                    "slope": result.calibration_slope,
                    "auc_shrunk": auc_sh,
                    "calib_shrunk": calib_sh,
                }
            )
            print(
                f"{seed:>4}  {name:<14}{auc:>8.4f}{auc - auc_truth:>8.4f}{calib:>7.2f}"
                f"{result.calibration_slope:>7.3f}{auc_sh:>8.4f}{calib_sh:>9.2f}{seconds:>6.1f}"
                f"  {chosen if grid is not None else 'defaults'}",
                flush=True,
            )
    table = pd.DataFrame(rows)
    summary = table.groupby("model", sort=False).agg(
        auc_mean=("auc", "mean"),
        auc_min=("auc", "min"),
        auc_max=("auc", "max"),
        calib_max=("calib", "max"),
        slope_mean=("slope", "mean"),
        auc_shrunk=("auc_shrunk", "mean"),
        calib_shrunk_max=("calib_shrunk", "max"),
    )
    summary.insert(1, "gap_to_truth", summary["auc_mean"] - auc_truth)
    print(f"\nover {len(args.seeds)} survey seeds (AUC of the truth {auc_truth:.4f}):")
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
