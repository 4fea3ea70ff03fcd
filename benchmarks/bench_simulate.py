"""Benchmark: the reinforcement-loop simulator (issue 17: 4 policies x 24 months x 200,000
households x 5 seeds in under 5 minutes on 2 cores).

One run of :func:`dmde.audit.simulation.simulate` in a fresh Python process (imports included):
wall time, CPU time (user + system, the forked child that runs half of the seeds included) and
peak resident memory (of the larger process), then the run's main figures per
policy as the report gives them (``SimulationResult.summary``: shares pooled over the months and
seeds, with their 95% interval across the seeds on the logit; the Gini of all checks among the
households checked at least once and the files checked twice, at the last month; "nan" bounds
with one seed, where no interval across panels exists).

    python benchmarks/bench_simulate.py                            # the target
    python benchmarks/bench_simulate.py --rows 20000 --seeds 2     # a quick look
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget-share", type=float, default=0.012)
    args = parser.parse_args()
    code = (
        "import resource\n"
        "from dmde.audit.simulation import simulate\n"
        f"result = simulate(n_rows={args.rows}, months={args.months}, "
        f"seeds=range({args.seeds}), budget_share={args.budget_share})\n"
        "use = resource.getrusage(resource.RUSAGE_SELF)\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "rows = []\n"
        "for metric in ('hit_rate', 'auc_truth', 'repeat_share', 'gini', 'checked_2'):\n"
        "    values = result.summary(metric) if metric != 'checked_2' else result.last(metric)\n"
        "    rows.append([metric, values.tolist()])\n"
        "bench_figures = {'cpu': use.ru_utime + use.ru_stime + kids.ru_utime + kids.ru_stime, "
        "'policies': "
        "list(result.policies), 'rows': rows}\n"
    )
    result = measure_code(code)
    print(
        f"simulate {len(result['policies'])} policies x {args.months} months x {args.rows:,} "
        f"households x {args.seeds} seeds: {result['seconds']:.1f} s wall, "
        f"{result['cpu']:.1f} s CPU, peak RSS {result['peak_bytes'] / 1e6:,.0f} MB"
    )
    policies = result["policies"]
    print(f"{'figure':<14}" + "".join(f"{p:>28}" for p in policies))
    for metric, values in result["rows"]:
        cells = "".join(f"{v[0]:>10.3f} [{v[1]:.3f}, {v[2]:.3f}]" for v in values)
        print(f"{metric:<14}{cells}")


if __name__ == "__main__":
    main()
