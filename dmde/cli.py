"""The ``dmde`` command: a thin shell, one library call per command.

Exit codes: 0 done, 1 failed on data (bad file, refused input), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dmde import catalog, datasets, synthetic
from dmde._version import __version__
from dmde.errors import DmdeError

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (also used to generate the CLI reference)."""
    parser = argparse.ArgumentParser(
        prog="dmde",
        description="Transparent, auditable risk scoring of benefit files, on synthetic data.",
    )
    parser.add_argument("--version", action="version", version=f"dmde {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "catalog",
        help="print the data dictionary (every column and its family)",
        description="Print the data dictionary generated from the catalog.",
    )
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="output format (default: text)",
    )
    p.add_argument(
        "--family",
        action="append",
        choices=[f.value for f in catalog.Family],
        help="only columns of this family (repeatable; text format only)",
    )

    p = sub.add_parser(
        "synth",
        help="generate a synthetic population of benefit files",
        description="Generate a synthetic population of household benefit files, with a "
        "stratified random-control sample carrying the labels. CSV or Parquet by extension; "
        "the same arguments give a byte-identical file.",
    )
    p.add_argument(
        "--rows",
        type=_positive_int,
        default=1_000_000,
        help="households to generate (default: 1,000,000; national size: 13,800,000)",
    )
    p.add_argument("--seed", type=_positive_int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--controls",
        type=_positive_int,
        default=7_500,
        help="size of the random-control sample (default: 7,500)",
    )
    p.add_argument(
        "--scenario",
        choices=sorted(synthetic.SCENARIOS),
        default="neutral",
        help="true model: neutral, or one with a planted effect of an excluded "
        "column (default: neutral)",
    )
    p.add_argument(
        "--with-truth",
        action="store_true",
        help="also write truth_probability and truth_target for every row "
        "(simulation and evaluation only)",
    )
    p.add_argument("--out", required=True, type=Path, help="output file, .csv or .parquet")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser(
        "validate",
        help="check a data file against the catalog",
        description="Check a CSV or Parquet file against the catalog, streaming. Prints every "
        "problem with column, rule, count and example rows; exits 1 if there is any.",
    )
    p.add_argument("path", type=Path, help="the .csv or .parquet file to check")
    return parser


@contextmanager
def _progress(total: int, *, desc: str, quiet: bool) -> Iterator[synthetic.Progress | None]:
    """A tqdm progress callback on a terminal (one bar, restarted at each stage), else None."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=" rows", unit_scale=True, file=sys.stderr) as bar:
        stage = ""

        def update(new_stage: str, rows: int) -> None:
            nonlocal stage
            if new_stage != stage:
                stage = new_stage
                bar.reset(total=total)
                bar.set_description(f"{desc}: {stage}")
            bar.update(rows)

        yield update


def _cmd_catalog(args: argparse.Namespace) -> int:
    if args.format == "markdown":
        sys.stdout.write(catalog.data_dictionary_markdown())
    elif args.format == "json":
        sys.stdout.write(catalog.data_dictionary_json())
    else:
        sys.stdout.write(catalog.data_dictionary_text(args.family))
    return EXIT_OK


def _cmd_synth(args: argparse.Namespace) -> int:
    with _progress(args.rows, desc="synth", quiet=args.quiet) as progress:
        rows = synthetic.write_population(
            args.out,
            args.rows,
            seed=args.seed,
            controls=args.controls,
            scenario=args.scenario,
            with_truth=args.with_truth,
            progress=progress,
        )
    print(
        f"wrote {rows:,} households ({args.controls:,} in the random-control sample, "
        f"scenario {args.scenario}, seed {args.seed}) to {args.out}"
    )
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    report = datasets.validate_file(args.path)
    print(report.format())
    return EXIT_OK if report.ok else EXIT_DATA


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "catalog": _cmd_catalog,
    "synth": _cmd_synth,
    "validate": _cmd_validate,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dmde`` command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except DmdeError as exc:
        print(f"dmde {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except OSError as exc:
        print(f"dmde {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print(f"dmde {args.command}: interrupted; no partial output was left", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
