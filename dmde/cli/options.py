"""The ``dmde`` command's options: the parser of every command, its argument types, and the
flag of each Python parameter (so that errors name what the user typed).
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from dmde._version import __version__
from dmde.core.errors import EXIT_USAGE

__all__ = [
    "COMMAND_NAMES",
    "EXIT_CODES",
    "PARAMETER_FLAGS",
    "build_parser",
    "parameter_flags",
]

EXIT_CODES = (
    "exit codes: 0 done; 1 the inputs are refused (a file missing, unreadable or not matching, or "
    "data that cannot satisfy the options); 2 the command line is wrong (an unknown option, a "
    "value out of its range, options missing or that do not go together); 130 interrupted"
)


# Python parameters whose flag is not simply their name with dashes: the library's messages name
# the parameter, the command line names the flag.
PARAMETER_FLAGS: dict[str, dict[str, str]] = {
    "score": {"input_path": "--input", "output": "--out"},  # score_file
    "select": {"scores_path": "--scores", "out_path": "--out"},  # select_file
    "diff": {"old": "OLD", "new": "NEW"},  # diff_files
    "explain": {"input_path": "--input", "selection_path": "--selection"},  # explain_file, ...
    "audit": {"attributes": "--groups", "groups": "--group-columns", "path": "--table"},
    "keygen": {"name": "--out"},  # generate_key_pair
}


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (and the exit code of a usage error).

    ``default_words`` says in words the default of an option (by its ``dest``) whose value alone
    would not tell the user: ``None`` that means "every allowed feature", a default computed
    from another option. :func:`say_defaults` writes every default the same way.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_words: dict[str, str] = {}

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def parameter_flags(parser: argparse.ArgumentParser, command: str) -> dict[str, str]:
    """Python parameter name to the flag a user types, for one command."""
    flags: dict[str, str] = {}
    for action in _subcommand(parser, command)._actions:
        if action.option_strings and action.dest != "help":
            flags[action.dest] = max(action.option_strings, key=len)
    return flags | PARAMETER_FLAGS.get(command, {})


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _subcommand(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    return _subcommands(parser)[command]


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {text!r}")
    return value


def _band(text: str) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH like 0.8,1.25; got {text!r}") from None
    if not 0 < low < 1 < high:
        raise argparse.ArgumentTypeError(f"expected 0 < LOW < 1 < HIGH; got {text!r}")
    return low, high


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected ATTRIBUTE=GROUP like gender=male; got {text!r}")
    return name, value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share like 0.012, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1), got {text!r}")
    return value


def _mapping(text: str) -> dict[str, str]:
    pairs = [part.strip().partition("=") for part in text.split(",") if part.strip()]
    if not pairs or any(not name or not sep or not value for name, sep, value in pairs):
        raise argparse.ArgumentTypeError(
            f"expected METHOD=VALUE pairs like score=model,random=random_sample; got {text!r}"
        )
    return {name: value for name, _, value in pairs}


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    return names


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of every command (also used to generate the CLI reference).

    Given a ``command``, only that command's options are built (the others are listed, as
    ``dmde --help`` shows them): the modules that its choices and defaults come from are
    imported only when the command runs, so ``dmde --help`` starts in a blink.
    """
    parser = _Parser(
        prog="dmde",
        description="Transparent, auditable risk scoring of benefit files, on synthetic data.",
        epilog=EXIT_CODES + ".",
    )
    parser.add_argument("--version", action="version", version=f"dmde {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    for name, add in _ADDERS.items():
        add(sub, bare=command is not None and name != command)
    for each in (parser, *_subcommands(parser).values()):
        say_defaults(each)
    return parser


def _add_catalog(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "catalog",
        help="print the data dictionary (every column and its family)",
        description="Print the data dictionary generated from the catalog.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    from dmde.data import catalog

    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="output format",
    )
    p.add_argument(
        "--family",
        action="append",
        choices=[f.value for f in catalog.Family],
        help="only columns of this family (repeatable; text format only)",
    )


def _add_synth(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "synth",
        help="generate a synthetic population of benefit files",
        description="Generate a synthetic population of household benefit files, with a "
        "stratified random-control sample carrying the labels. CSV or Parquet by extension; "
        "the same arguments give a byte-identical file.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    from dmde.data.synthetic_truth import SCENARIOS

    p.add_argument(
        "--rows",
        type=_positive_int,
        default=1_000_000,
        help="households to generate; the national size is 13,800,000",
    )
    p.add_argument("--seed", type=_positive_int, default=0, help="random seed")
    p.add_argument(
        "--controls", type=_positive_int, default=None, help="size of the random-control sample"
    )
    p.default_words["controls"] = (
        "7,500, or every row of a smaller file; with --months, 625 a month"
    )
    p.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default="neutral",
        help="true model: neutral, or one with a planted effect of an excluded column",
    )
    p.add_argument(
        "--with-truth",
        action="store_true",
        help="also write truth_probability and truth_target for every row "
        "(simulation and evaluation only)",
    )
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        help="output file, .csv or .parquet; with --months, a new or empty folder",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    from dmde.data.synthetic_panel import SHIFTS

    panel = p.add_argument_group(
        "monthly panel",
        "With --months, the same households month after month: one snapshot per month in "
        "OUT/snapshot_month=YYYY-MM/part-0.parquet (or .csv), --controls random controls a "
        "month.",
    )
    panel.add_argument(
        "--months", type=_positive_int, default=None, help="write a panel of this many months"
    )
    panel.add_argument("--start", default=None, help="first month of the panel, YYYY-MM")
    p.default_words["start"] = "2025-01"
    panel.add_argument(
        "--format", choices=("parquet", "csv"), default=None, help="format of the month files"
    )
    p.default_words["format"] = "parquet"
    panel.add_argument(
        "--shift",
        choices=sorted(SHIFTS),
        default=None,
        help="a change planted from --shift-month, for monitoring to find",
    )
    panel.add_argument(
        "--shift-month",
        type=_positive_int,
        default=None,
        help="month of the planted shift, counted from 1 (the first month), so 2 or later",
    )
    p.default_words["shift_month"] = "13"


def _add_validate(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "validate",
        help="check a data file against the catalog",
        description="Check a CSV or Parquet file against the catalog, streaming. Prints every "
        "problem with column, rule, count and example rows; exits 1 if there is any.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    p.add_argument("path", type=Path, help="the .csv or .parquet file to check")


def _add_train(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "train",
        help="train the scorecard on the random-control sample",
        description="Train a logistic scorecard (one per segment of the routing column) on the "
        "rows with controlled = 1, weighted by control_weight, and save the model file (JSON).",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    p.add_argument("--data", required=True, type=Path, help="validated .csv or .parquet file")
    p.add_argument("--out", required=True, type=Path, help="model file to write (.json)")
    p.add_argument(
        "--target",
        default="target",
        help="label column: target (overpayments, for checks) or rappel_target "
        "(underpayments: the rights model, for outreach; its model file says so)",
    )
    p.add_argument("--features", type=_names, help="comma-separated features")
    p.default_words["features"] = "every feature the policy allows"
    p.add_argument(
        "--all-rows",
        action="store_true",
        help="train on every row with a known target, unweighted (simulations)",
    )
    p.add_argument("--no-weights", action="store_true", help="ignore control_weight")
    p.add_argument(
        "--segment-column",
        default=None,
        help="operational column routing rows to one model each",
    )
    p.default_words["segment_column"] = "income_reporting"
    p.add_argument("--single", action="store_true", help="one model for all rows (no routing)")
    p.add_argument(
        "--by-period",
        action="store_true",
        help="two models, before and after income pre-filling (March 2025), each trained on the "
        "controls of its snapshot months; scoring a month weights them by their share of the "
        "24-month look-back (--data may be a panel folder, as dmde synth --months writes)",
    )
    p.add_argument(
        "--monotonic-trend",
        default="auto",
        choices=("auto", "ascending", "descending", "none"),
        help="trend of the event rate across numeric bins",
    )
    p.add_argument(
        "--max-prebins",
        type=_positive_int,
        default=20,
        help="pre-bins of a numeric feature before merging",
    )
    p.add_argument(
        "--min-bin-share",
        type=float,
        default=0.02,
        help="smallest share of a feature's weight in a bin; smaller bins are merged",
    )
    p.add_argument(
        "--rare-level-share",
        type=float,
        default=0.01,
        help="levels of a categorical feature rarer than this share are grouped",
    )
    p.add_argument("--C", type=float, default=1.0, dest="C", help="inverse L2 regularisation")
    p.add_argument("--base-points", type=float, default=500.0, help="points at the base odds")
    p.add_argument("--base-odds", type=float, default=1 / 19, help="odds at the base points")
    p.default_words["base_odds"] = "1/19, a 5% probability"
    p.add_argument("--pdo", type=float, default=20.0, help="points to double the odds")
    p.add_argument(
        "--cv",
        type=_positive_int,
        default=5,
        help="cross-validation folds; 0: none, faster (the AUC printed and recorded in the "
        "model file is then on the training rows only, and said to be)",
    )
    p.add_argument("--seed", type=_positive_int, default=0, help="seed of the folds")
    p.add_argument(
        "--tune",
        action="store_true",
        help="choose C, the binning and the features by cross-validation on the training rows "
        "(the options above are the template) and print the table it chose from",
    )
    p.add_argument(
        "--tune-rule",
        default="guarded",
        choices=("guarded", "best", "one_se"),
        help="with --tune: keep the template unless a candidate is clearly better (guarded), "
        "take the best mean AUC, or the simplest within one standard error",
    )
    p.add_argument(
        "--shrink",
        action="store_true",
        help="with --tune: multiply the coefficients by the cross-validated calibration slope "
        "(when below 1) and refit each segment's intercept: the same ranking, predicted rates "
        "less overconfident",
    )


def _add_score(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "score",
        help="score a file of households with a model file (streaming)",
        description="Score a CSV or Parquet file in batches, reading only the columns the model "
        "needs. Rows that break the catalog are not scored and go to the rejects file; a "
        "manifest (JSON) beside the output records what was done. When rows are rejected, a "
        "line gives the top reasons (rule, column, rows); stderr warns when a tenth or more of the "
        "rows are rejected, or any because the model has no scorecard for their segment "
        "(no_model); when every row is rejected the command exits 1 (the outputs are still "
        "written).",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    p.add_argument("--model", required=True, type=Path, help="model file (JSON)")
    p.add_argument("--input", required=True, type=Path, help="households, .csv or .parquet")
    p.add_argument("--out", required=True, type=Path, help="scores file, .parquet or .csv")
    p.add_argument("--rejects", type=Path, help="rejects file")
    p.default_words["rejects"] = "<out>.rejects.csv"
    p.add_argument("--reasons", type=_positive_int, default=3, help="reason codes per row")
    p.add_argument(
        "--month",
        help="with a model by period (train --by-period): score every row as of this month, "
        "YYYY-MM (the window is the 24 months before it); stderr warns when it is before the "
        "model's first training month or before rows' own snapshot_month",
    )
    p.default_words["month"] = "each row's snapshot_month"
    p.add_argument(
        "--engine",
        choices=("python", "duckdb", "spark"),
        default="python",
        help="what computes the scores: dmde's own streaming scorer, or the model's SQL in "
        "embedded DuckDB or in Spark (pyspark and Java needed; --input may then be a folder, "
        "hive partitions read as columns). The same scores and rejects: CSV byte for byte, "
        "Parquet value for value; a file DuckDB or Spark reads differently is scored by "
        "python, and stderr says so",
    )
    p.add_argument(
        "--master",
        help="with --engine spark: the Spark master URL (local[4], spark://host:7077, yarn, ...)",
    )
    p.default_words["master"] = "local[2]"
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_verify_key(p)


def _add_sql(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "sql",
        help="write the model as one SQL query (any dialect), to score where the data lives",
        description="Write the published model as one readable SQL query over a table: one "
        "column of points per feature, the score, the probability and the top reasons, the "
        "model's SHA-256 in a leading comment. Built as a syntax tree with sqlglot: names are "
        "quoted identifiers, values literals.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    p.add_argument("--model", required=True, type=Path, help="model file (JSON)")
    p.add_argument("--table", required=True, help="table to score, such as warehouse.households")
    p.add_argument(
        "--dialect",
        default="duckdb",
        type=str.lower,
        help="SQL dialect of sqlglot: duckdb, postgres, spark, bigquery, tsql, snowflake, ...",
    )
    p.add_argument("--out", required=True, type=Path, help="SQL file to write")
    p.add_argument("--reasons", type=_positive_int, default=3, help="reason codes per row")
    p.add_argument(
        "--valid-only",
        action="store_true",
        help="score only the rows the catalog accepts (the others go to the rejects query)",
    )
    p.add_argument(
        "--rejects", type=Path, help="also write the query listing the rows the catalog refuses"
    )
    p.add_argument(
        "--row-column", help="with --rejects: the table's column numbering the rows, if any"
    )
    _add_verify_key(p)


def _add_select(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "select",
        help="select the highest scores for a check, within a budget",
        description="Rank files by score (ties broken by a keyed hash of dossier_id, which "
        "carries no information about the person) and select exactly the budget, optionally "
        "split into quotas per group and with a share drawn at random. Writes the selection "
        "(CSV or Parquet) and a manifest.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    p.add_argument("--scores", required=True, type=Path, help="scores file from dmde score")
    p.add_argument("--out", required=True, type=Path, help="selection file, .csv or .parquet")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--budget", type=_positive_int, help="number of files to select")
    size.add_argument("--share", type=float, help="share of the files to select, in (0, 1]")
    p.add_argument("--per", help="split the budget in proportion to this column, e.g. caf_code")
    p.default_words["per"] = "no split; caf_code with --quotas"
    p.add_argument("--quotas", type=Path, help="CSV of quotas per group (caf_code,quota)")
    p.add_argument(
        "--min-probability", type=float, help="select nothing by score below this probability"
    )
    p.add_argument(
        "--random-share",
        type=float,
        default=0.0,
        help="share of the budget drawn at random among the others",
    )
    p.add_argument(
        "--seed",
        type=_positive_int,
        default=0,
        help="seed of the tie keys and the random draw",
    )
    p.add_argument(
        "--engine",
        choices=("python", "duckdb", "spark"),
        default="python",
        help="what chooses the files: dmde's own arrays, or window functions in embedded "
        "DuckDB or in Spark (pyspark and Java needed) (the same selection file byte for byte; "
        "scores DuckDB or Spark cannot take as dmde score writes them are selected by python, "
        "and stderr says so)",
    )
    p.add_argument(
        "--master",
        help="with --engine spark: the Spark master URL (local[4], spark://host:7077, yarn, ...)",
    )
    p.default_words["master"] = "local[2]"
    p.add_argument(
        "--action",
        choices=("check", "outreach"),
        default="check",
        help="what the selected files get: a check (scores of an overpayment model), or "
        "outreach, a contact to verify that the household receives all its rights (scores of "
        "a rights model, dmde train --target rappel_target; its own budget). Scores of the "
        "other kind of model are refused (their manifest names the model's action)",
    )
    p.add_argument(
        "--checks",
        type=Path,
        help="with --action outreach: the check selection; its files are not contacted (a "
        "check first: it reviews the whole file and pays any underpayment found). Without "
        "it, outreach is still selected but nothing is left to the checks: a warning says "
        "so, the manifest records checks: null, and the letters do not claim it",
    )


def say_defaults(parser: argparse.ArgumentParser) -> None:
    """End the help of every option that has a default with ``(default: X)``, one way for all.

    ``X`` is the parser's ``default_words`` for the option if it has some, else the value:
    counts with thousands separators (``1,000,000``; a seed as it is), other numbers as short
    as they read (``0.02``), a pair as typed (``0.8,1.25``). Flags (off unless given), options
    without a default and required options say nothing. Help texts say no default themselves.
    """
    words = getattr(parser, "default_words", {})
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._VersionAction):
            continue
        if isinstance(action, argparse._SubParsersAction) or not action.help:
            continue
        shown = words.get(action.dest) or _shown_default(action)
        if shown is not None:
            action.help = f"{action.help} (default: {shown.replace('%', '%%')})"


def _shown_default(action: argparse.Action) -> str | None:
    value = action.default
    if action.required or value is None or value is False or value == argparse.SUPPRESS:
        return None
    if value == []:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value) if "seed" in action.dest else f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def _add_verify_key(p: argparse._ActionsContainer, *, models: str = "the model") -> None:
    p.add_argument(
        "--verify-key",
        type=Path,
        metavar="NAME.pub",
        help=f"public key from dmde keygen: refuse {models} unless its signature, the "
        "<model>.sig that dmde sign writes beside it, is by this key",
    )


def _add_keygen(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "keygen",
        help="create the key pair that signs approved model files",
        description="Create an Ed25519 key pair: NAME.key, the private key that signs (readable "
        "by its owner only; keep it with whoever approves models, off the machines that "
        "score), and NAME.pub, the public key that --verify-key checks signatures with. "
        "Never writes over an existing file.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    p.add_argument(
        "--out", required=True, type=Path, metavar="NAME", help="writes NAME.key and NAME.pub"
    )


def _add_sign(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "sign",
        help="sign an approved model file (writes <model>.sig)",
        description="Sign the exact bytes of a model file with a private key from dmde keygen, "
        "after checking that the model loads; the signature goes beside it, <model>.sig, with "
        "the key's id, the file's SHA-256, the model's hash, the signer and today's date. "
        "Commands given --verify-key NAME.pub then refuse any other model file, or this one "
        "changed.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    p.add_argument("--model", required=True, type=Path, help="the model file, as approved")
    p.add_argument(
        "--key", required=True, type=Path, metavar="NAME.key", help="the private key file"
    )
    p.add_argument(
        "--signer",
        metavar="TEXT",
        help="who signs, in words (a label: the signature does not cover it)",
    )


def _add_demo(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole chain on a synthetic population and link every output",
        description="Generate a synthetic population, train the two-model family on its "
        "random controls, score every file, select the budget with per-Caf quotas, audit the "
        "selection, write the model's public description and notices for three selected "
        "files, and an index.html linking them.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    from dmde.demo import DEFAULT_ROWS

    p.add_argument("--out", type=Path, default=Path("demo"), help="output folder")
    p.add_argument("--rows", type=_positive_int, default=DEFAULT_ROWS, help="households")
    p.add_argument("--controls", type=_positive_int, default=7_500, help="random controls")
    p.add_argument("--seed", type=_positive_int, default=2026, help="seed")
    p.add_argument("--n-boot", type=_positive_int, default=1000, help="audit resamples")


def _add_audit(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "audit",
        help="audit who is selected and write the ethics committee's report",
        description="Audit the selection by group (with intervals, intersections, corrected "
        "tests), against random checks, by income band; proxies, exclusion proof, profiles. "
        "Writes one self-contained HTML report and the same content as Markdown and JSON. "
        "dmde outputs: --scores, --population, --model (and --selection or --budget). Another "
        "system's scored table: --table with the --*-column options (generic mode).",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    from dmde.audit.inputs import LABEL_SOURCES
    from dmde.audit.targeting import ATTRIBUTE_SOURCES

    own = p.add_argument_group("dmde outputs")
    own.add_argument("--scores", type=Path, help="scores file from dmde score")
    own.add_argument("--population", type=Path, help="the population file that was scored")
    own.add_argument("--model", type=Path, help="the model file that scored")
    own.add_argument("--selection", type=Path, help="selection file from dmde select")
    own.add_argument(
        "--labels",
        choices=sorted(LABEL_SOURCES),
        default="controls",
        help="labels: the random-control sample (controls), the synthetic truth (truth), or none",
    )
    own.add_argument("--groups", type=_names, help="attributes to audit")
    p.default_words["groups"] = f"all of {', '.join(ATTRIBUTE_SOURCES)}"
    _add_verify_key(own)
    generic = p.add_argument_group("generic mode (another system's scored table)")
    generic.add_argument("--table", type=Path, help="a scored table, .csv or .parquet")
    generic.add_argument(
        "--score-column", help="score column, if the system publishes one (none: no score sections)"
    )
    generic.add_argument("--probability-column", help="predicted probability column, if any")
    generic.add_argument("--selected-column", help="column true/1 for the selected files")
    generic.add_argument(
        "--method-column",
        help="how each file was chosen: score, random, other or none; empty means none "
        "(see --method-values)",
    )
    generic.add_argument(
        "--method-values",
        type=_mapping,
        metavar="score=V,random=V,...",
        help="the method column's own values, mapped to score/random/other/none "
        "(e.g. score=model,random=random_sample; several values joined by '|')",
    )
    generic.add_argument("--id-column", help="the files' identifier (row order, ties at a cut)")
    generic.add_argument("--label-column", help="outcome column (1, 0, empty = unknown)")
    generic.add_argument("--sample-column", help="column true/1 for the files checked at random")
    generic.add_argument("--weight-column", help="survey weights of the sample")
    generic.add_argument("--group-columns", type=_names, help="group columns, comma-separated")
    p.add_argument("--budget", type=_positive_int, help="without a selection: the top N scores")
    p.add_argument(
        "--reference",
        type=_pair,
        action="append",
        default=[],
        metavar="ATTRIBUTE=GROUP",
        help="reference group of an attribute, repeatable",
    )
    p.default_words["reference"] = "the attribute's declared reference, else its largest group"
    p.add_argument(
        "--band",
        type=_band,
        default=(0.8, 1.25),
        help="ratios outside LOW,HIGH are flagged when significant",
    )
    p.add_argument("--n-boot", type=_positive_int, default=1000, help="resamples")
    p.add_argument("--seed", type=_positive_int, default=0, help="bootstrap seed")
    p.add_argument(
        "--min-cell", type=_positive_int, default=30, help="suppress cells under N files"
    )
    p.add_argument(
        "--correction",
        choices=("holm", "bh"),
        default="holm",
        help="multiple-testing correction: Holm, or Benjamini-Hochberg (bh)",
    )
    p.add_argument("--no-intersections", action="store_true", help="single attributes only")
    p.add_argument(
        "--engine",
        choices=("python", "duckdb", "spark"),
        default="python",
        help="dmde outputs with --selection: the rows read into Python, or left in embedded "
        "DuckDB or in Spark (pyspark and Java needed) (files joined and groups made there, the "
        "audit from cell sums, the random controls and chosen files fetched; the same figures; "
        "no score-gap decomposition; the report says what was computed how)",
    )
    p.add_argument(
        "--master",
        help="with --engine spark: the Spark master URL (local[4], spark://host:7077, yarn, ...)",
    )
    p.default_words["master"] = "local[2]"
    p.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of the report")
    p.add_argument("--title", help="title of the report")
    p.default_words["title"] = "the audit of the score"
    p.add_argument("--outcome-label", help="what a check finds, in words, e.g. 'an error'")
    p.default_words["outcome_label"] = "an overpayment"
    p.add_argument("--out", required=True, type=Path, help="report file (.html; .md, .json beside)")


def _add_document(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "document",
        help="write the model's public description and model card",
        description="Write the model's public description (article L312-1-3 CRPA: purpose, "
        "target, training data, every variable with its bins and points, excluded data, "
        "performance, fairness, limits, version) and its model card, as HTML, Markdown and "
        "JSON, from the model file.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    from dmde.documents.lift import BUDGET_SHARE

    p.add_argument("--model", required=True, type=Path, help="model file (JSON)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument(
        "--data",
        type=Path,
        help="population with its random-control sample, for the lift at the budget",
    )
    p.add_argument(
        "--budget-share",
        type=_share,
        default=BUDGET_SHARE,
        help="share of the files selected, an assumption: about 166,000 checks among 13.8 "
        "million files",
    )
    p.add_argument("--audit", type=Path, help="audit report of this model (from dmde audit)")
    p.add_argument("--n-boot", type=_positive_int, default=1000, help="resamples")
    p.add_argument("--seed", type=_positive_int, default=0, help="bootstrap seed")
    _add_verify_key(p)


def _add_diff(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "diff",
        help="report what changed between two model files",
        description="Compare two model files: settings, features, and the points of every "
        "bin. With --population and --budget, also the score shifts, the files entering and "
        "leaving the selection, and both selections' composition by group. Writes HTML, "
        "Markdown and JSON.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    p.add_argument("old", type=Path, help="the old model file (JSON)")
    p.add_argument("new", type=Path, help="the new model file (JSON)")
    p.add_argument("--population", type=Path, help="population file scored with both models")
    p.add_argument("--budget", type=_positive_int, help="files selected by each model")
    p.add_argument("--seed", type=_positive_int, default=0, help="seed of the tie order")
    p.add_argument("--out", required=True, type=Path, help="report (.html; .md, .json beside)")
    _add_verify_key(p, models="either model")


def _add_explain(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "explain",
        help="write the notice for the person concerned (one file, or every selected file)",
        description="Explain a file's score to the person concerned (CRPA L311-3-1): the data "
        "used and their sources, the points of each item against the average file, how they add "
        "up to the score, the rank and the selection cut, the smallest changes that would have "
        "placed the score below the cut, what the model never uses, how to contest. One file: "
        "--dossier and --out. Every selected file: --selection and --out-dir.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    from dmde.documents.notice import NOTICE_FORMATS

    p.add_argument("--model", required=True, type=Path, help="the model file that scored")
    p.add_argument("--input", required=True, type=Path, help="the data file that was scored")
    p.add_argument("--dossier", type=int, help="the dossier_id to explain")
    p.add_argument("--out", type=Path, help="the notice to write (.html, .md, .txt or .json)")
    p.add_argument(
        "--selection",
        type=Path,
        help="selection file from dmde select (checked against its manifest, the scores' "
        "manifest, the model and the data file)",
    )
    p.add_argument(
        "--trust-selection",
        action="store_true",
        help="use a selection file without a manifest as it is (each row is still checked "
        "against the data file)",
    )
    p.add_argument("--out-dir", type=Path, help="batch: one notice per selected file, here")
    p.add_argument("--lang", choices=("fr", "en"), default="fr", help="language")
    p.add_argument("--format", choices=tuple(NOTICE_FORMATS), help="notice format")
    p.default_words["format"] = "from the --out extension, else html"
    p.add_argument(
        "--month",
        help="with a model by period: explain the score as of this month, YYYY-MM, as "
        "'dmde score --month' scored it",
    )
    p.default_words["month"] = "the month the selection's scores record, else each row's"
    _add_verify_key(p)


def _add_monitor(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "monitor",
        help="watch a model month after month: stability, performance, fairness drift",
        description="Compare each month of a panel with the model's baseline: the stability "
        "of the score and of every feature (PSI/CSI, 0.10 moderate, 0.25 major, flagged only "
        "beyond chance), AUC and calibration on each month's random controls (flagged when "
        "they depart from the baseline's beyond chance), and the share of each group among "
        "the files selected (flagged when it moves beyond chance and by at least --min-move). "
        "Writes HTML, Markdown and JSON, the verdict in one sentence first.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    from dmde.audit.monitoring import FAMILY_ALPHA, MIN_SHARE_MOVE

    p.add_argument("--model", required=True, type=Path, help="model file (JSON)")
    p.add_argument(
        "--baseline",
        required=True,
        type=Path,
        help="the population the model was trained on: a file, or a panel folder whose months "
        "are the baseline (then only later months are monitored)",
    )
    p.add_argument(
        "--months", required=True, type=Path, help="panel folder (snapshot_month=YYYY-MM/...)"
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument("--budget", type=_positive_int, help="files selected each month")
    size.add_argument("--share", type=_share, help="share of each month's files selected")
    p.default_words["share"] = "0.01 unless --budget"
    p.add_argument(
        "--alpha",
        type=_share,
        default=FAMILY_ALPHA,
        help="false-alarm rate of each kind of flag over the whole run (Bonferroni)",
    )
    p.add_argument(
        "--min-move",
        type=_share,
        default=MIN_SHARE_MOVE,
        help="floor of a group's move among the selected, as a share (0.02: 2 points); a "
        "smaller move beyond chance is listed, not flagged",
    )
    p.add_argument(
        "--seed", type=_positive_int, default=0, help="seed of the tie order and of the folds"
    )
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        help="report: .html, .md or .json (the three are written, with the same stem)",
    )
    p.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of the report")
    _add_verify_key(p)


def _add_simulate(sub: argparse._SubParsersAction[_Parser], *, bare: bool) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate targeting policies over months: who is checked, how often, what is found",
        description="Simulate the reinforcement loop on a synthetic panel whose truth is "
        "known: each month every policy scores the files, selects its budget, checks them "
        "(the truth decides what a check finds), learns as it says and retrains on its "
        "schedule. Reports, with intervals over the seeds, each policy's concentration of "
        "checks on already-checked households, hit rate, AUC on the truth and who bears the "
        "checks. Writes HTML, Markdown and JSON.",
    )
    if bare:  # listed in dmde --help, its options not built
        return
    from dmde.audit.simulation_policies import BUILTIN_POLICIES

    p.add_argument("--months", type=_positive_int, default=24, help="months simulated")
    p.add_argument("--rows", type=_positive_int, default=200_000, help="households of the panel")
    p.add_argument(
        "--budget-share",
        type=_share,
        default=0.012,
        help="yearly share of the files checked on the score, spread over the months",
    )
    p.add_argument(
        "--policy",
        action="append",
        choices=tuple(BUILTIN_POLICIES),
        help="a policy to simulate (repeat the option for several)",
    )
    p.default_words["policy"] = "all four"
    p.add_argument("--seeds", type=_positive_int, default=5, help="panels (seeds) simulated")
    p.add_argument("--seed", type=_positive_int, default=0, help="the first seed")
    p.add_argument(
        "--retrain-every", type=_positive_int, default=12, help="months between two trainings"
    )
    p.add_argument(
        "--cooldown",
        type=_positive_int,
        default=12,
        help="months after a check during which a file is not selected again",
    )
    p.add_argument(
        "--no-recovery",
        action="store_true",
        help="a later check finds an overpayment again, instead of only what no earlier check "
        "covered (a check g < 24 months after the previous one finding with probability g/24)",
    )
    p.add_argument("--controls", type=_positive_int, help="random controls a month")
    p.default_words["controls"] = "the panel's: 625, or a twelfth of a smaller panel"
    p.add_argument(
        "--history-effect",
        type=float,
        default=0.0,
        help="planted effect of a check in the last 24 months on the true logit (0: neutral)",
    )
    p.add_argument("--out", required=True, type=Path, help="report (.html; .md, .json beside)")
    p.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of the report")


_ADDERS: dict[str, Callable[..., None]] = {
    "catalog": _add_catalog,
    "synth": _add_synth,
    "validate": _add_validate,
    "train": _add_train,
    "score": _add_score,
    "sql": _add_sql,
    "select": _add_select,
    "audit": _add_audit,
    "monitor": _add_monitor,
    "simulate": _add_simulate,
    "document": _add_document,
    "diff": _add_diff,
    "explain": _add_explain,
    "keygen": _add_keygen,
    "sign": _add_sign,
    "demo": _add_demo,
}
COMMAND_NAMES = tuple(_ADDERS)


def check_option_names(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Refuse a mistyped option first, with the nearest one (argparse would first say that a
    required option is missing: ``--modle`` reads as "required: --model").

    Only options no known one starts with are refused (argparse accepts unambiguous prefixes).
    """
    commands = _subcommands(parser)
    command = next((word for word in argv if word in commands), None)
    if command is None:
        return
    own = commands[command]
    known = [name for name in own._option_string_actions if name.startswith("--")]
    after = list(argv)[list(argv).index(command) + 1 :]
    for word in after:
        if word == "--":  # what follows is positional
            return
        name = word.split("=", 1)[0]
        if not name.startswith("--") or any(k.startswith(name) for k in known):
            continue
        near = difflib.get_close_matches(name, known, n=1)
        own.error(f"unrecognized option {name}" + (f" (did you mean {near[0]}?)" if near else ""))
