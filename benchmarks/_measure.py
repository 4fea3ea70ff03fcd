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
print("bench figures: " + json.dumps(figures), file=sys.stderr, flush=True)
"""
_FIGURES = "bench figures: "

# A tile of a Parquet file: its rows again and again, each copy's dossier_id shifted past the
# largest one (distinct ids), until ``rows`` rows; row groups of 2**20 rows.
_TILE = """
import pyarrow.compute as pc, pyarrow.parquet as pq
source = pq.read_table({source!r})
column = source.column_names.index("dossier_id")
shift = 10 ** len(str(pc.max(source["dossier_id"]).as_py()))
writer, left, k = None, {rows}, 0
while left > 0:
    part = source.slice(0, min(left, source.num_rows))
    part = part.set_column(column, "dossier_id", pc.add(part["dossier_id"], k * shift))
    if writer is None:
        writer = pq.ParquetWriter({out!r}, part.schema)
    writer.write_table(part, row_group_size=1 << 20)
    left, k = left - part.num_rows, k + 1
writer.close()
"""


def _run(code: str) -> tuple[int, str, dict[str, float] | None]:
    """Exit code, stderr (without the figures line) and figures (None on failure) of ``code``
    in a new interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, code], capture_output=True, text=True, check=False
    )
    lines = proc.stderr.splitlines()
    found = [i for i, line in enumerate(lines) if line.startswith(_FIGURES)]
    if proc.returncode != 0 or not found:
        return proc.returncode or 1, proc.stderr, None
    figures: dict[str, float] = json.loads(lines[found[-1]][len(_FIGURES) :])
    return 0, "\n".join(lines[: found[-1]] + lines[found[-1] + 1 :]), figures


def measure_code(code: str) -> dict[str, float]:
    """Seconds and peak bytes of ``code`` run in a new interpreter (imports included), with
    the figures the code leaves in a ``bench_figures`` dict."""
    status, err, figures = _run(code)
    if figures is None:
        raise SystemExit(f"benchmark step failed (exit {status}):\n{code}\n{err}")
    return figures


def measure_cli(argv: list[str]) -> dict[str, float]:
    """Seconds and peak bytes of a ``dmde`` command (exit code 0 required)."""
    return measure_code(f"from dmde.cli import main\nassert main({argv!r}) == 0, 'command failed'")


def try_cli(argv: list[str], *, after: str = "") -> tuple[int, str, dict[str, float] | None]:
    """A ``dmde`` command in a new interpreter, then ``after`` (code whose ``bench_figures``
    join the figures): its exit code, its stderr, and its figures (None if it did not exit 0).
    A command the CLI refuses is not an error here: the caller reads the code and message."""
    code = (
        "import sys\nfrom dmde.cli import main\n"
        f"status = main({argv!r})\nif status:\n    sys.exit(status)\n{after}"
    )
    return _run(code)


def tile_parquet(source: str, rows: int, out: str) -> None:
    """Write ``out``: the rows of the Parquet file ``source`` repeated up to ``rows`` rows, each
    copy with its dossier_id shifted (distinct ids), as a national file made of a region's."""
    measure_code(_TILE.format(source=source, rows=rows, out=out))
