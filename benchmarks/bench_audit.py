"""Benchmark: the full audit on 1,000,000 rows against a fairlearn MetricFrame bootstrap loop.

The full audit (``dmde.audit.audit`` with the model: 5 attributes and their pairwise
intersections, 1,000 bootstrap resamples of cells, selection against random checks, proxies,
score-gap decomposition, exclusion proof, profiles; then the report written as HTML, Markdown
and JSON) is timed from a scored population in memory. The baseline computes the same count
metrics with fairlearn's MetricFrame on row resamples; it is timed on a few resamples and
extrapolated to 1,000 (``--baseline-resamples 0`` skips it).

The user's path is measured too: ``dmde audit`` on dmde's files (population, scores, model,
selection on disk), in a fresh process (imports, reading, joining, the audit with its
findings and the French report), with its peak memory.

    python benchmarks/bench_audit.py --rows 1000000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dmde import ScorecardFamily
from dmde.audit import audit, audit_groups, write_report
from dmde.audit.targeting import group_columns
from dmde.data.synthetic import synthesize

ATTRIBUTES = ["gender", "nationality_group", "age_band", "household_type", "income_band"]


def cli_audit(rows: int, boot: int) -> None:
    """``dmde audit`` from files, in a fresh process: the path the committee's analyst runs."""
    from dmde import ScorecardFamily, save_model, select
    from dmde.batch.scoring import score_file
    from dmde.data.datasets import read_dataset
    from dmde.data.synthetic import write_population

    sys.path.insert(0, str(Path(__file__).parent))
    from _measure import measure_cli

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_population(root / "population.parquet", rows, seed=3, controls=7_500)
        df = read_dataset(root / "population.parquet")
        checked = df[df["controlled"] == 1]
        model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
        save_model(model, root / "model.json")
        score_file(root / "model.json", root / "population.parquet", root / "scores.parquet")
        scores = pd.read_parquet(root / "scores.parquet")
        chosen = select(scores, budget=int(rows * 0.012), random_share=0.05, seed=1).frame
        chosen[["dossier_id", "selection_reason"]].to_csv(root / "selection.csv", index=False)
        figure = measure_cli(
            [
                "audit",
                "--scores", str(root / "scores.parquet"),
                "--population", str(root / "population.parquet"),
                "--model", str(root / "model.json"),
                "--selection", str(root / "selection.csv"),
                "--n-boot", str(boot),
                "--out", str(root / "report" / "audit.html"),
            ]
        )  # fmt: skip
    print(
        f"dmde audit (CLI, from files, fresh process, {rows:,} rows, all 7 attributes and "
        f"their intersections, {boot:,} resamples, report in French): "
        f"{figure['seconds']:.2f} s, peak {figure['peak_bytes'] / 2**20:,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--boot", type=int, default=1_000)
    parser.add_argument("--baseline-resamples", type=int, default=1)
    args = parser.parse_args()
    cli_audit(args.rows, args.boot)
    df = synthesize(args.rows, seed=3, controls=7_500, with_truth=True)
    checked = df[df["controlled"] == 1]
    model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    df["score"] = model.points(df)
    df["probability"] = model.predict_proba(df)[:, 1]
    groups = group_columns(df)[ATTRIBUTES]
    score = df["score"].to_numpy()
    probability = df["probability"].to_numpy()
    selected = pd.Series(score).rank(ascending=False, method="first").to_numpy() <= args.rows // 80
    df["selected"] = selected
    label = df["truth_target"].to_numpy().astype(float)

    start = time.perf_counter()
    audit_groups(
        selected=selected,
        score=score,
        probability=probability,
        groups=groups,
        label=label,
        n_boot=args.boot,
        seed=0,
    )
    metrics_only = time.perf_counter() - start
    print(
        f"dmde audit_groups: {args.rows:,} rows, {len(ATTRIBUTES)} attributes + pairwise "
        f"intersections, {args.boot:,} resamples: {metrics_only:.2f} s"
    )
    start = time.perf_counter()
    result = audit(
        df,
        groups=groups,
        label="truth_target",
        label_source="synthetic truth",
        model=model,
        n_boot=args.boot,
        seed=0,
    )
    computed = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        files = write_report(result, Path(tmp) / "audit.html")
        ours = time.perf_counter() - start
        size = sum(f.stat().st_size for f in files) / 1e6
    print(
        f"dmde full audit with the model: {computed:.2f} s computed + "
        f"{ours - computed:.2f} s report ({size:.1f} MB written) = {ours:.2f} s"
    )

    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import precision_score

    metrics = {
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
        "precision": lambda y, p: precision_score(y, p, zero_division=0),
    }
    columns = [[a] for a in ATTRIBUTES] + [
        [a, b] for i, a in enumerate(ATTRIBUTES) for b in ATTRIBUTES[i + 1 :]
    ]
    if args.baseline_resamples < 1:
        return
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(args.baseline_resamples):
        rows = rng.integers(0, args.rows, args.rows)
        for cols in columns:
            _ = MetricFrame(
                metrics=metrics,
                y_true=label[rows],
                y_pred=selected[rows],
                sensitive_features=groups.iloc[rows][cols],
            ).by_group
    per_resample = (time.perf_counter() - start) / args.baseline_resamples
    print(
        f"fairlearn MetricFrame loop: {per_resample:.2f} s per resample, so about "
        f"{per_resample * args.boot:,.0f} s for {args.boot:,} resamples "
        f"({per_resample * args.boot / ours:,.0f}x)"
    )


if __name__ == "__main__":
    main()
