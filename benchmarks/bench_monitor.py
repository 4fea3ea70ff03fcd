"""Benchmark: monitoring a scorecard over a monthly panel (issue 16: 24 months x 1M in 60 s).

Two measurements, both printed with wall and CPU seconds (user + system; on a shared machine
the wall time also counts the waits for a processor):

- **from files**: ``monitor`` over ``panel_month_frames(panel)``: each month read from its
  Parquet file (only the columns the monitor needs, validated against the catalog), scored,
  summarised, then dropped; the baseline is the panel's first three months (read before the
  clock starts);
- **in memory**: ``monitor`` over one month's frame given ``--months`` times under other labels
  (scoring and counting cost the same whatever the month; reading is left out).

The panel is written first (not timed: ``bench_panel.py`` measures that) unless ``--panel``
names one already written; the model is a scorecard family trained on the first three months'
random controls.

    python benchmarks/bench_monitor.py                          # 24 months x 1M households
    python benchmarks/bench_monitor.py --rows 100000 --months 12
    python benchmarks/bench_monitor.py --panel /data/panel      # an existing panel
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--start", default="2025-04", help="first month (after the March 2025 pre-filling)"
    )
    parser.add_argument("--share", type=float, default=0.01, help="share selected each month")
    parser.add_argument("--panel", type=Path, default=None, help="an existing panel folder")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: temp)")
    args = parser.parse_args()

    from dmde.audit.monitoring import monitor, monitored_columns, panel_month_frames
    from dmde.data.synthetic_panel import write_panel
    from dmde.model.scorecard import ScorecardFamily

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        panel = args.panel
        if panel is None:
            panel = Path(tmp) / "panel"
            start = time.perf_counter()
            write_panel(panel, args.rows, months=args.months, start=args.start, seed=args.seed)
            print(
                f"panel written: {args.months} months x {args.rows:,} households "
                f"in {time.perf_counter() - start:.1f} s (not part of the measure)"
            )
        frames = panel_month_frames(panel)
        baseline = [next(frames) for _ in range(3)]
        del frames
        rows = pd.concat([f[f["controlled"] == 1] for _, f in baseline])
        model = ScorecardFamily().fit(
            rows, rows["target"].astype(int), sample_weight=rows["control_weight"]
        )
        columns = monitored_columns(model)
        baseline = [(m, f[[c for c in columns if c in f.columns]]) for m, f in baseline]
        files = len(baseline[0][1])

        wall, cpu = time.perf_counter(), _cpu()
        months = panel_month_frames(panel, columns=columns, since=baseline[-1][0], after=True)
        result = monitor(model, baseline, months, share=args.share)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        n = len(result.months)
        print(
            f"from files: {n} months x ~{files:,} files: {wall:.1f} s wall, {cpu:.1f} s CPU "
            f"({wall / n:.2f} s a month); {len(result.flags)} flags"
        )
        for sentence in result.findings:
            print("  -", sentence)

        month = baseline[-1][1]

        def repeated() -> Iterator[tuple[str, pd.DataFrame]]:
            for i in range(args.months):
                yield f"month {i + 1:02d}", month

        wall, cpu = time.perf_counter(), _cpu()
        result = monitor(model, baseline, repeated(), share=args.share)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        n = len(result.months)
        print(
            f"in memory: {n} months x {len(month):,} files: {wall:.1f} s wall, {cpu:.1f} s CPU "
            f"({wall / n:.2f} s a month)"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(f"peak memory of the process: {peak:.2f} GB (panel writing included)")


if __name__ == "__main__":
    main()
