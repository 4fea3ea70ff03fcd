"""Benchmark: fit time of the scorecard family at 7,500, 100,000 and 1,000,000 rows.

The rows are a synthetic population (neutral scenario) with the true target, so every size has
labels; 7,500 rows is the size of the annual random-control sample. Median of 3 fits each: the
fit alone, and what ``dmde train`` computes after reading its file (the fit, then the 5-fold
cross-validation of :func:`dmde.model.training.evaluate`, which refits the model 5 times), in
seconds of wall time and of CPU time (user + system, of this process: the figure to quote on a
shared, loaded machine). The command itself, in a fresh process from a file:
``benchmarks/limits.py``.

    python benchmarks/bench_train.py
    python benchmarks/bench_train.py --rows 7500 100000
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from dmde.data.synthetic import synthesize
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import TrainingData, evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[7_500, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    fresh = synthesize(200_000, seed=12345, controls=0, with_truth=True)
    auc_truth = roc_auc_score(fresh["truth_target"], fresh["truth_probability"])
    print(
        f"{'rows':>10}{'model':>10}{'fit s':>8}{'fit+cv s':>10}{'fit cpu':>9}{'cv cpu':>8}"
        f"{'AUC on truth':>14}{'AUC of truth':>14}"
    )
    for rows in args.rows:
        data = synthesize(rows, seed=1, controls=0, with_truth=True)
        y = data["truth_target"].to_numpy().astype("int64")
        labelled = TrainingData(X=data, y=y, weight=np.ones(rows), target="truth_target")
        for name, make in (("single", Scorecard), ("family", ScorecardFamily)):
            times, cv_times, cpu, cv_cpu, model = [], [], [], [], None
            for _ in range(args.repeats):
                start, start_cpu = time.perf_counter(), time.process_time()
                model = make().fit(data, y)
                times.append(time.perf_counter() - start)
                fitted_cpu = time.process_time()
                cpu.append(fitted_cpu - start_cpu)
                evaluate(model, labelled)
                cv_times.append(time.perf_counter() - start)
                cv_cpu.append(time.process_time() - fitted_cpu)
            assert model is not None
            auc = roc_auc_score(fresh["truth_target"], model.predict_proba(fresh)[:, 1])
            print(
                f"{rows:>10,}{name:>10}{statistics.median(times):>8.2f}"
                f"{statistics.median(cv_times):>10.2f}{statistics.median(cpu):>9.2f}"
                f"{statistics.median(cv_cpu):>8.2f}{auc:>14.3f}{auc_truth:>14.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
