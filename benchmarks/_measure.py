"""Run one measured step in a fresh Python process: wall time and peak resident memory."""

from __future__ import annotations

import json
import subprocess
import sys

_CHILD = """
import json, resource, sys, time
code = sys.argv[1]
t = time.perf_counter()
scope = {"__name__": "__bench__"}
exec(compile(code, "<bench>", "exec"), scope)
elapsed = time.perf_counter() - t
# The largest process: dmde itself, or a child it forked (the audit draws figures in one).
peak = max(
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
) * 1024
# A step may time a part of itself: its ``bench_figures`` dict joins the result.
figures = {**scope.get("bench_figures", {}), "seconds": elapsed, "peak_bytes": peak}
print(json.dumps(figures), file=sys.stderr)
"""


def measure_code(code: str) -> dict[str, float]:
    """Seconds and peak bytes of ``code`` run in a new interpreter (imports included), with
    the figures the code leaves in a ``bench_figures`` dict."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, code], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{code}\n{proc.stdout}\n{proc.stderr}")
    result: dict[str, float] = json.loads(proc.stderr.strip().splitlines()[-1])
    return result


def measure_cli(argv: list[str]) -> dict[str, float]:
    """Seconds and peak bytes of a ``dmde`` command (exit code 0 required)."""
    return measure_code(f"from dmde.cli import main\nassert main({argv!r}) == 0, 'command failed'")
