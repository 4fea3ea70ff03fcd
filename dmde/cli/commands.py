"""The ``dmde`` command's commands: one library call each, and the summary they print.

Each imports what it runs when it runs: ``dmde score`` never loads the audit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmde.core.errors import EXIT_DATA, EXIT_OK, UsageError

if TYPE_CHECKING:
    from dmde.data.synthetic import Progress

__all__ = ["COMMANDS"]


@contextmanager
def _progress(total: int, *, desc: str, quiet: bool) -> Iterator[Progress | None]:
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


@contextmanager
def _rows_progress(*, desc: str, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A tqdm row counter on a terminal (no total: files are streamed), else None."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=desc, unit=" rows", unit_scale=True, file=sys.stderr) as bar:

        def update(rows: int) -> None:
            bar.update(rows)

        yield update


def _cmd_catalog(args: argparse.Namespace) -> int:
    from dmde.data import dictionary

    if args.format == "markdown":
        sys.stdout.write(dictionary.data_dictionary_markdown())
    elif args.format == "json":
        sys.stdout.write(dictionary.data_dictionary_json())
    else:
        sys.stdout.write(dictionary.data_dictionary_text(args.family))
    return EXIT_OK


def _cmd_synth(args: argparse.Namespace) -> int:
    from dmde.data import synthetic

    if args.months is not None:
        return _synth_panel(args)
    panel_only = [
        f"--{n.replace('_', '-')}" for n in _PANEL_OPTIONS if getattr(args, n) is not None
    ]
    if panel_only:
        raise UsageError(
            f"{', '.join(panel_only)}: only with --months N (a monthly panel); add --months, "
            "or drop the option."
        )

    # The default sample is the agency's 7,500 checks, or every row of a smaller file.
    controls = synthetic.default_controls(args.rows, args.controls)
    with _progress(args.rows, desc="synth", quiet=args.quiet) as progress:
        rows = synthetic.write_population(
            args.out,
            args.rows,
            seed=args.seed,
            controls=controls,
            scenario=args.scenario,
            with_truth=args.with_truth,
            progress=progress,
        )
    print(
        f"wrote {rows:,} households ({controls:,} in the random-control sample, "
        f"scenario {args.scenario}, seed {args.seed}) to {args.out}"
    )
    return EXIT_OK


_PANEL_OPTIONS = ("start", "format", "shift", "shift_month")


def _synth_panel(args: argparse.Namespace) -> int:
    from dmde.data import synthetic_panel

    if args.shift_month is not None and args.shift is None:
        raise UsageError("--shift-month says when --shift happens: add --shift, or drop it.")
    if args.shift is not None and args.shift_month is None and args.months < 13:
        raise UsageError(
            f"--shift happens in month 13 by default, after the panel's {args.months} months: "
            f"give --shift-month from 2 to {args.months}."
        )

    controls = synthetic_panel.default_month_controls(args.rows, args.controls)
    with _progress(args.rows * args.months, desc="synth", quiet=args.quiet) as progress:
        rows = synthetic_panel.write_panel(
            args.out,
            args.rows,
            months=args.months,
            start=args.start or "2025-01",
            seed=args.seed,
            controls=controls,
            scenario=args.scenario,
            shift=args.shift,
            shift_month=13 if args.shift_month is None else args.shift_month,
            with_truth=args.with_truth,
            file_format=args.format or "parquet",
            progress=progress,
        )
    months = list(rows)
    shift_month = 13 if args.shift_month is None else args.shift_month
    shift = f", {args.shift} from month {shift_month}" if args.shift else ""
    print(
        f"wrote {len(months)} months ({months[0]} to {months[-1]}) of "
        f"{min(rows.values()):,} to {max(rows.values()):,} households ({controls:,} random "
        f"controls a month, scenario {args.scenario}{shift}, seed {args.seed}) to {args.out}"
    )
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from dmde.data import datasets

    report = datasets.validate_file(args.path)
    print(report.format())
    return EXIT_OK if report.ok else EXIT_DATA


def _cmd_train(args: argparse.Namespace) -> int:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import pandas  # noqa: F401  # before the thread below: the reading and the model both need it

    from dmde.data import datasets

    if args.data.is_dir():  # a panel folder: the random controls of every month
        from dmde.data.panel_controls import read_panel_controls

        frame = read_panel_controls(args.data)
    else:
        # The model's modules (scikit-learn, SciPy: Python) are imported while the file is read
        # (mostly in Arrow's threads); the two import no module in common.
        importing = threading.Thread(target=_import_training_modules, daemon=True)
        importing.start()
        try:
            frame = datasets.read_dataset(args.data)
        finally:
            importing.join()
    from dmde.model import model_file as persistence
    from dmde.model import training
    from dmde.model.scaling import PointsScaling
    from dmde.model.scorecard import Scorecard, ScorecardFamily

    data = training.training_data(
        frame, target=args.target, all_rows=args.all_rows, weighted=not args.no_weights
    )
    scorecard = Scorecard(
        features=args.features,
        monotonic_trend=args.monotonic_trend,
        max_prebins=args.max_prebins,
        min_bin_share=args.min_bin_share,
        rare_level_share=args.rare_level_share,
        C=args.C,
        scaling=PointsScaling(base_points=args.base_points, base_odds=args.base_odds, pdo=args.pdo),
    )
    if args.by_period:
        return _train_by_period(args, data, scorecard)
    segment_column = args.segment_column or "income_reporting"
    model: Scorecard | ScorecardFamily = (
        scorecard
        if args.single
        else ScorecardFamily(scorecard=scorecard, segment_column=segment_column)
    )
    if args.tune and args.cv == 0:
        raise UsageError("--tune chooses by cross-validation: give --cv 2 or more, or drop --tune.")
    if args.tune:
        from dmde.model.tuning import choose_parameters

        tuned = choose_parameters(
            data,
            scorecard=scorecard,
            segment_column=None if args.single else segment_column,
            folds=args.cv,
            seed=args.seed,
            rule=args.tune_rule,
        )
        print(tuned.format() + "\n")
        if args.shrink:
            print(
                f"shrinkage {min(1.0, tuned.calibration_slope):.4f} (the cross-validated "
                f"calibration slope, {tuned.calibration_slope:.4f}, at most 1)\n"
            )
        model = tuned.estimator(shrink=args.shrink)
    elif args.tune_rule != "guarded":
        raise UsageError("--tune-rule chooses how --tune decides: add --tune, or drop --tune-rule.")
    elif args.shrink:
        raise UsageError(
            "--shrink shrinks by the calibration slope that --tune measures: add --tune, or "
            "drop --shrink."
        )
    with ThreadPoolExecutor(max_workers=1) as pool:  # the data's hash while the model is fitted
        data_sha256 = pool.submit(persistence.frame_sha256, data.X)
        report = training.fit_evaluate(model, data, cv=args.cv, seed=args.seed)
    facts = training.training_facts(
        report, data, data_file=args.data.name, data_sha256=data_sha256.result()
    )
    facts |= _action_fact(args.target)
    digest = persistence.save_model(model, args.out, training=facts)
    print(report.format())
    print("\n" + training.format_points(model, head=12))
    print(f"\nwrote {args.out} (sha256 {digest})")
    if report.missing_segments:  # said in the report; said again where it cannot be missed
        print(f"dmde train: {report.warnings()[0]}", file=sys.stderr)
    return EXIT_OK


def _import_training_modules() -> None:
    """Import what dmde train fits, evaluates and saves with (in a thread, see _cmd_train)."""
    from dmde.model import model_file, scaling, scorecard, training  # noqa: F401


def _action_fact(target: str) -> dict[str, str]:
    """The action a model file records beside its target: only "outreach" is written (a file
    without an action is a check model, as every file written before outreach existed)."""
    from dmde.data.catalog import action_of_target

    action = action_of_target(target)
    return {} if action == "check" else {"action": action}


def _train_by_period(args: argparse.Namespace, data: Any, scorecard: Any) -> int:
    """dmde train --by-period: the "before" and "after" scorecards (dmde.model.periods)."""
    from dmde.model import model_file as persistence
    from dmde.model import training
    from dmde.model.periods import PeriodScorecards, evaluate_periods

    given_flags = (
        ("--single", args.single),
        ("--tune", args.tune),
        ("--segment-column", args.segment_column is not None),
    )
    for flag, given in given_flags:
        if given:
            raise UsageError(
                f"--by-period trains two scorecards by period (routed by each row's month, not "
                f"by a segment): drop {flag}."
            )
    model = PeriodScorecards(scorecard=scorecard).fit(data.X, data.y, sample_weight=data.weight)
    report = evaluate_periods(model, data, cv=args.cv, seed=args.seed)
    facts = report.facts(
        target=data.target,
        data_file=args.data.name,
        data_sha256=persistence.frame_sha256(data.X),
    )
    digest = persistence.save_model(model, args.out, training=facts)
    print(report.format())
    for period in model.periods_:
        print(f"\n{period}: " + training.format_points(model.models_[period], head=12))
    print(f"\nwrote {args.out} (sha256 {digest})")
    return EXIT_OK


def _cmd_score(args: argparse.Namespace) -> int:
    from dmde.batch import scoring

    if args.master is not None and args.engine != "spark":
        raise UsageError("--master names the Spark cluster: add --engine spark, or drop --master.")

    score = scoring.score_file
    model, verify_key = args.model, args.verify_key
    if args.month is not None:  # a model by period, scored as of one month
        from dmde.model.model_file import load_model
        from dmde.model.periods import PeriodScorecards

        model = load_model(args.model, verify_key=verify_key)
        if not isinstance(model, PeriodScorecards):
            raise UsageError(
                f"--month scores a model by period (dmde train --by-period); {args.model} is "
                "not one: drop --month."
            )
        if args.engine == "duckdb":
            raise UsageError(
                "--month scores a model by period with the python engine (it has no SQL "
                "query): drop --engine duckdb."
            )
        model, verify_key = model.as_of(args.month), None  # verified as it was loaded
        _warn_month(model, args.input)
    options: dict[str, Any] = {}
    if args.engine == "duckdb":
        from dmde.batch.duckdb_engine import score_file_duckdb as score
    elif args.engine == "spark":
        from dmde.batch.spark_engine import score_file_spark as score

        options["master"] = args.master
    with _rows_progress(desc="score", quiet=args.quiet) as progress:
        result = score(
            model,
            args.input,
            args.out,
            rejects=args.rejects,
            reasons=args.reasons,
            progress=progress,
            verify_key=verify_key,
            **options,
        )
    print(
        f"read {result.rows_read:,} rows: scored {result.rows_scored:,}, rejected "
        f"{result.rows_rejected:,} (see {result.rejects}) in {result.seconds:.1f} s\n"
        f"wrote {result.output} and {result.manifest}"
    )
    fallback = getattr(result, "fallback", None)  # the DuckDB or Spark engine handed it over
    if fallback:
        print(f"note: scored by the python engine: {fallback}", file=sys.stderr)
    return _say_rejects(result)


#: dmde score warns on stderr when this share of the rows read, or more, is rejected.
REJECTED_WARNING_SHARE = 0.10


def _say_rejects(result: Any) -> int:
    """The top reject reasons on one line; a warning on stderr when a tenth of the rows or
    more is rejected, or any row for want of its segment's scorecard (no_model, never the
    row's fault); exit 1 when every row is rejected (the outputs are written all the same)."""
    from dmde.batch.scoring import reject_reasons

    if not result.rows_rejected:
        return EXIT_OK
    reasons = reject_reasons(result.rejects)
    more = f"; and {len(reasons) - 3} more" if len(reasons) > 3 else ""
    print(f"rejected by: {'; '.join(str(r) for r in reasons[:3])}{more}")
    share = result.rows_rejected / max(result.rows_read, 1)
    no_model = sum(r.rows for r in reasons if r.rule == "no_model")
    fix = "see the rejects file for each row, and fix the data (dmde validate) or the model"
    if no_model:
        fix = (
            f"{no_model:,} rows have no scorecard for their "
            f"{next(r.column for r in reasons if r.rule == 'no_model')} in the model (rule "
            "no_model): retrain on rows of every value (dmde train says which are missing), or "
            "train one scorecard for all rows (dmde train --single)"
        )
    if result.rows_scored == 0:
        print(
            f"dmde score: error: every row of {result.rows_read:,} was rejected (see "
            f"{result.rejects}); nothing was scored: {fix}.",
            file=sys.stderr,
        )
        return EXIT_DATA
    if share >= REJECTED_WARNING_SHARE or no_model:
        print(
            f"dmde score: warning: {result.rows_rejected:,} of {result.rows_read:,} rows "
            f"({share:.0%}) were rejected and not scored: {fix}.",
            file=sys.stderr,
        )
    return EXIT_OK


def _warn_month(model: Any, input_path: Path) -> None:
    """Warn on stderr when --month is before the model's first training month, or before
    rows' own snapshot month (scored as of a month before they were observed)."""
    from dmde.batch.scoring import months_after

    month = model.month
    first = min(first for first, _ in model.trained_months_.values())
    if month < first:
        print(
            f"dmde score: warning: --month {month} is before the model's first training month "
            f"({first}): both scorecards were trained on later months. Check --month.",
            file=sys.stderr,
        )
    later, latest = months_after(input_path, month, column=model.month_column)
    if later:
        print(
            f"dmde score: warning: --month {month} is before the {model.month_column} of "
            f"{later:,} rows of {input_path} (up to {latest}): they are scored as of a month "
            f"before they were observed. Check --month, or drop it to score each row as of "
            "its own month.",
            file=sys.stderr,
        )


def _cmd_sql(args: argparse.Namespace) -> int:
    from dmde.core.files import write_text
    from dmde.data.paths import check_distinct_paths
    from dmde.model.model_file import load_model
    from dmde.model.sql import rejects_sql, scorecard_sql

    if args.row_column is not None and args.rejects is None:
        raise UsageError("--row-column numbers the rows of the rejects query: add --rejects.")
    outputs = [("out", "the SQL query", args.out)]
    if args.rejects is not None:
        outputs.append(("rejects", "the rejects query", args.rejects))
    check_distinct_paths(outputs, {"the model file": args.model})
    model = load_model(args.model, verify_key=args.verify_key)
    query = scorecard_sql(
        model,
        table=args.table,
        dialect=args.dialect,
        reasons=args.reasons,
        valid_only=args.valid_only,
    )
    written = [write_text(args.out, query, what="SQL file")]
    if args.rejects is not None:
        refused = rejects_sql(
            model, table=args.table, dialect=args.dialect, row_column=args.row_column
        )
        written.append(write_text(args.rejects, refused, what="SQL file"))
    print(f"wrote {' and '.join(str(p) for p in written)} ({args.dialect})")
    return EXIT_OK


def _cmd_select(args: argparse.Namespace) -> int:
    from dmde.batch import selection
    from dmde.data.manifest import manifest_path

    quotas = selection.read_quotas(args.quotas) if args.quotas else None
    select_file: Callable[..., selection.Selection] = selection.select_file
    if args.checks is not None and args.action != "outreach":
        raise UsageError("--checks names the check selection for outreach: add --action outreach.")
    if args.master is not None and args.engine != "spark":
        raise UsageError("--master names the Spark cluster: add --engine spark, or drop --master.")
    if args.action == "outreach":
        from functools import partial

        from dmde.batch.outreach import select_outreach_file

        if args.engine != "python":
            raise UsageError("--action outreach selects with the python engine: drop --engine.")
        select_file = partial(select_outreach_file, checks=args.checks)
    elif args.engine == "duckdb":
        from dmde.batch.duckdb_selection import select_file_duckdb

        select_file = select_file_duckdb
    elif args.engine == "spark":
        from functools import partial

        from dmde.batch.spark_selection import select_file_spark

        select_file = partial(select_file_spark, master=args.master)
    result = select_file(
        args.scores,
        args.out,
        budget=args.budget,
        share=args.share,
        per=args.per if args.per or quotas is None else "caf_code",
        quotas=quotas,
        min_probability=args.min_probability,
        random_share=args.random_share,
        seed=args.seed,
    )
    summary = result.summary
    print(
        f"selected {summary['selected']:,} of {summary['n_files']:,} files "
        f"({summary['selected_by_score']:,} by score, {summary['selected_at_random']:,} at "
        f"random; budget {summary['budget']:,})"
    )
    if summary["unused_budget"]:
        print(f"unused budget: {summary['unused_budget']:,} ({summary['unused_reason']})")
    fallback = getattr(result, "fallback", None)  # the DuckDB or Spark engine handed it over
    if fallback:
        print(f"note: selected by the python engine: {fallback}", file=sys.stderr)
    if summary.get("checked_first"):
        print(f"not contacted, being checked (a check first): {summary['checked_first']:,}")
    if summary.get("overlap"):  # outreach without --checks: nobody was left to the checks
        print(
            f"warning: {summary['overlap']}; give --checks to leave them to the check.",
            file=sys.stderr,
        )
    print(f"wrote {args.out} and {manifest_path(args.out)}")
    return EXIT_OK


def _cmd_audit(args: argparse.Namespace) -> int:
    from dmde.audit import inputs as audit_inputs
    from dmde.audit import report as audit_report
    from dmde.audit.settings import AuditSettings

    if args.out.suffix.lower() != ".html":
        raise UsageError(
            f"--out must end in .html (the .md and .json go beside it); got {args.out}"
        )
    if args.master is not None and args.engine != "spark":
        raise UsageError("--master names the Spark cluster: add --engine spark, or drop --master.")
    inputs = {
        "the table": args.table,
        "the scores file": args.scores,
        "the population file": args.population,
        "the model file": args.model,
        "the selection file": args.selection,
        "the public key": args.verify_key,
    }
    audit_report.check_report_paths(
        args.out, {what: path for what, path in inputs.items() if path is not None}
    )
    settings = AuditSettings(
        reference=dict(args.reference) or None,
        intersections=not args.no_intersections,
        band=args.band,
        n_boot=args.n_boot,
        seed=args.seed,
        min_cell=args.min_cell,
        correction=args.correction,
    )
    own = [args.scores, args.population, args.model]
    if args.table is not None:
        if any(x is not None for x in own):
            raise UsageError("give either --table (generic mode) or --scores/--population/--model.")
        if args.engine != "python":
            raise UsageError(
                f"--engine {args.engine} audits dmde's outputs (--scores, ...), not --table."
            )
        result = audit_inputs.audit_table(
            args.table,
            score=args.score_column,
            groups=args.group_columns or [],
            probability=args.probability_column,
            selected=args.selected_column,
            method=args.method_column,
            method_values=args.method_values,
            label=args.label_column,
            sample=args.sample_column,
            weight=args.weight_column,
            id_column=args.id_column,
            budget=args.budget,
            settings=settings,
        )
    else:
        if any(x is None for x in own):
            raise UsageError("give --scores, --population and --model (or --table).")
        if args.selection is None and args.budget is None:
            raise UsageError("give --selection (from dmde select) or --budget.")
    if args.table is None:
        result = _audit_own_files(args, settings)
    written = audit_report.write_report(
        result, args.out, lang=args.lang, title=args.title, outcome=args.outcome_label
    )
    print(
        f"{result.data['selected_by_score']:,} files selected by the score audited among "
        f"{result.data['rows']:,}; {result.findings['finding'].nunique():,} findings "
        f"({len(result.flags):,} flagged differences in the appendix)"
    )
    print("wrote " + ", ".join(str(p) for p in written if p.suffix != ".svg"))
    engine = result.data.get("engine")
    if engine:  # --engine duckdb: what it left out, beside the report's statement
        print(
            f"note: {engine['name']} engine: not computed: {', '.join(engine['not_computed'])} "
            "(the report's method says what was computed how)",
            file=sys.stderr,
        )
    return EXIT_OK


def _audit_own_files(args: argparse.Namespace, settings: Any) -> Any:
    """dmde audit of dmde's own outputs: a rights model's outreach audit, or the check audit by
    the python or the duckdb engine (the same files, the same options)."""
    files = {
        "scores": args.scores,
        "population": args.population,
        "model": args.model,
        "selection": args.selection,
        "labels": args.labels,
        "attributes": args.groups,
        "settings": settings,
        "verify_key": args.verify_key,
    }
    if _is_rights_model(args.model):
        from dmde.audit.outreach_audit import audit_outreach_files

        if args.engine != "python":
            raise UsageError(
                "the model is a rights model (outreach): its audit runs in the python engine "
                "(--engine python)."
            )
        if args.selection is None or args.labels == "none":
            raise UsageError(
                "the model is a rights model (outreach): give --selection (from dmde select "
                "--action outreach) and --labels controls or truth."
            )
        return audit_outreach_files(**files)
    if args.engine == "duckdb":
        if args.selection is None:
            raise UsageError("--engine duckdb audits a selection: give --selection.")
        from dmde.audit.engine_inputs import audit_files_duckdb

        return audit_files_duckdb(**files)
    if args.engine == "spark":
        if args.selection is None:
            raise UsageError("--engine spark audits a selection: give --selection.")
        from dmde.audit.spark_inputs import audit_files_spark

        return audit_files_spark(**files, master=args.master)
    from dmde.audit import inputs as audit_inputs

    return audit_inputs.audit_files(**files, budget=args.budget)


def _is_rights_model(path: Path) -> bool:
    """Whether a model file records the outreach action (dmde train --target rappel_target)."""
    from dmde.documents.outreach_notice import model_action

    return model_action(path) == "outreach"


def _cmd_document(args: argparse.Namespace) -> int:
    from dmde.documents.describe import document_model

    description, written = document_model(
        args.model,
        args.out,
        data=args.data,
        audit=args.audit,
        budget_share=args.budget_share,
        n_boot=args.n_boot,
        seed=args.seed,
        verify_key=args.verify_key,
    )
    points = sum(p.feature != "intercept" for p in description.points)
    print(
        f"described {args.model.name} (sha256 {description.sha256[:12]}...): "
        f"{len(description.features)} variables, {points} bins in {len(description.segments)} "
        "scorecards"
    )
    if description.lift is None:
        print("no --data: the lift at the budget is not measured")
    else:
        lift = description.lift
        print(
            f"lift at the top {lift.share:.1%}: {lift.lift:.2f} "
            f"(95% interval {lift.lift_low:.2f} to {lift.lift_high:.2f})"
        )
    if description.audit is None:
        print("no --audit: the fairness section says so")
    else:
        found = description.audit.findings
        count = (
            "no findings recorded"
            if found is None
            else f"{len({f.finding for f in found})} findings"
        )
        print(f"audit report: {count}, {len(description.audit.flags)} flags")
    print("wrote " + ", ".join(str(p) for p in written if p.suffix in (".html", ".md", ".json")))
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace) -> int:
    from dmde.documents.compare import diff_files

    if (args.population is None) != (args.budget is None):
        raise UsageError("--population and --budget go together: give both, or neither.")
    comparison, written = diff_files(
        args.old,
        args.new,
        args.out,
        population=args.population,
        budget=args.budget,
        seed=args.seed,
        verify_key=args.verify_key,
    )
    models = comparison.models
    if models.purpose_change is not None:  # a target/action change, named before the counts
        print(models.purpose_change)
    print(f"{models.n_changes} changes in the scorecards ({len(models.points_changes)} bins)")
    if comparison.selection is not None:
        s = comparison.selection
        print(
            f"{s.n_changed:,} of {s.n_files:,} files change score; of {s.budget:,} selected, "
            f"{s.entering:,} enter and {s.leaving:,} leave"
        )
    print("wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from dmde import demo

    result = demo.run_demo(
        args.out,
        rows=args.rows,
        controls=args.controls,
        seed=args.seed,
        n_boot=args.n_boot,
        say=print,
    )
    total = sum(result.seconds.values())
    print(
        f"done in {total:.0f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    )
    print(f"\nopen {result.outputs['index']} to see every output:")
    for name in ("audit", "description", "notices", "selection", "model"):
        print(f"  {name:<12}{result.outputs[name]}")
    for name, path in (
        ("outreach", result.outputs["outreach"]),  # the other action: rights outreach
        ("its audit", result.outputs["outreach_audit"]),
        ("letters", result.outputs["letters"]),
    ):
        print(f"  {name:<12}{path}")
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    from dmde.documents import explain
    from dmde.model import model_file as persistence

    dossier: int | None = args.dossier
    out: Path | None = args.out
    if args.out_dir is not None:
        if args.selection is None or dossier is not None or out is not None:
            raise UsageError(
                "--out-dir writes one notice per selected file: give --selection, and no "
                "--dossier or --out."
            )
    elif dossier is None or out is None:
        raise UsageError(
            "give --dossier and --out (one notice), or --selection and --out-dir (every "
            "selected file)."
        )
    fmt = args.format or ("html" if out is None else explain.format_for(out))
    # Loaded here, once, so that --verify-key checks the very bytes the notices come from
    # (the loaded model carries its hash, which the notices and the selection's check name).
    model = persistence.load_model(args.model, verify_key=args.verify_key)
    if args.month is not None:  # a model by period, explained as of one month
        from dmde.model.periods import PeriodScorecards

        if not isinstance(model, PeriodScorecards):
            raise UsageError(
                f"--month explains a model by period (dmde train --by-period); {args.model} is "
                "not one: drop --month."
            )
        model = model.as_of(args.month)
    from dmde.documents.outreach_notice import model_action, write_outreach_notice

    outreach = model_action(args.model) == "outreach"
    if outreach and args.out_dir is not None:
        raise UsageError(
            "the model is a rights model (outreach): its letters are written one at a time, "
            "give --dossier and --out."
        )
    if args.out_dir is not None:
        written = explain.write_notices(
            model,
            args.input,
            args.selection,
            args.out_dir,
            lang=args.lang,
            format=fmt,
            trust_selection=args.trust_selection,
        )
        print(f"wrote {len(written):,} notices to {args.out_dir}")
        return EXIT_OK
    assert dossier is not None and out is not None  # checked above
    result = explain.explain_file(
        model,
        args.input,
        dossier,
        selection=args.selection,
        trust_selection=args.trust_selection,
    )
    if result.action is not None and result.action != ("outreach" if outreach else "check"):
        from dmde.documents.notice import require_action

        # the selection's own record decides the letter; a model of the other kind is refused
        require_action(
            result.action,
            "outreach" if outreach else "check",
            where=f"selection file {str(args.selection)!r}",
        )
    if outreach:  # a rights model's file: the outreach letter, with the same points
        path = write_outreach_notice(result, out, lang=args.lang, format=fmt)
    else:
        path = explain.write_notice(result, out, lang=args.lang, format=fmt)
    print(
        f"dossier {result.dossier_id}: score {result.score:.{result.decimals}f} points "
        f"({len(result.features)} items); wrote {path}"
    )
    return EXIT_OK


def _cmd_keygen(args: argparse.Namespace) -> int:
    from dmde.model import signing

    pair = signing.generate_key_pair(args.out)
    print(
        f"wrote {pair.private_key} (the private key, readable by you only: keep it with whoever "
        "approves models, off the machines that score)\n"
        f"wrote {pair.public_key} (the public key, for --verify-key); key id {pair.key_id}"
    )
    return EXIT_OK


def _cmd_sign(args: argparse.Namespace) -> int:
    from dmde.model import signing
    from dmde.model.signature_file import signature_path

    signature = signing.sign_model(args.model, args.key, signer=args.signer)
    print(
        f"signed {args.model} with the key {signature.key_id}\n"
        f"  file sha256  {signature.model_sha256}\n"
        f"  model hash   {signature.model_content_sha256} (what run manifests and the "
        "description show)\n"
        f"wrote {signature_path(args.model)}"
    )
    return EXIT_OK


def _cmd_monitor(args: argparse.Namespace) -> int:
    if _is_rights_model(args.model):  # its AUC and calibration would be against overpayments
        raise UsageError(
            f"--model {args.model} is a rights model (outreach, target rappel_target): dmde "
            "monitor measures a check model against overpayments; monitor a check model."
        )
    from dmde.audit.monitoring_report import (
        baseline_warning,
        detection_limits,
        monitor_files,
        monitoring_verdict,
    )

    share = None if args.budget is not None else (args.share or 0.01)
    result, written = monitor_files(
        args.model,
        args.baseline,
        args.months,
        args.out,
        budget=args.budget,
        share=share,
        alpha=args.alpha,
        seed=args.seed,
        min_move=args.min_move,
        verify_key=args.verify_key,
        lang=args.lang,
    )
    print(f"{len(result.months)} months monitored ({result.months[0]} to {result.months[-1]})")
    warning = baseline_warning(result)
    if warning:  # a baseline other than the training data: said before anything else
        other = result.baseline.get("training_data") == "other"
        print(("WARNING: " if other else "") + warning)
    print(monitoring_verdict(result))
    if "model" in result.baseline:  # a model by period: how it scored, on which bins
        print(f"model: {result.baseline['model']}; windows {result.baseline['model_windows']}")
    for sentence in result.findings or ["nothing was flagged"]:
        print("- " + sentence)
    print(detection_limits(result))
    print("wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK


def _cmd_simulate(args: argparse.Namespace) -> int:
    from dmde.audit.simulation_policies import BUILTIN_POLICIES
    from dmde.audit.simulation_report import simulate_to_files

    result, written = simulate_to_files(
        args.out,
        args.policy or tuple(BUILTIN_POLICIES),
        n_rows=args.rows,
        months=args.months,
        budget_share=args.budget_share,
        seeds=range(args.seed, args.seed + args.seeds),
        retrain_every=args.retrain_every,
        cooldown=args.cooldown,
        recovery=not args.no_recovery,
        controls=args.controls,
        history_effect=args.history_effect,
        lang=args.lang,
    )
    print(
        f"{len(result.policies)} policies x {len(result.months)} months x {args.rows:,} "
        f"households x {len(result.seeds)} seeds (a simulation on synthetic data)"
    )
    from dmde.audit.simulation_report import verdict

    for sentence in verdict(result):
        print("- " + sentence)
    print("wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "catalog": _cmd_catalog,
    "synth": _cmd_synth,
    "validate": _cmd_validate,
    "train": _cmd_train,
    "score": _cmd_score,
    "sql": _cmd_sql,
    "select": _cmd_select,
    "audit": _cmd_audit,
    "monitor": _cmd_monitor,
    "simulate": _cmd_simulate,
    "document": _cmd_document,
    "diff": _cmd_diff,
    "explain": _cmd_explain,
    "keygen": _cmd_keygen,
    "sign": _cmd_sign,
    "demo": _cmd_demo,
}
