"""The whole chain on defaults, in one call: what a newcomer runs first (``dmde demo``).

:func:`run_demo` does what an agency's yearly cycle does, on a synthetic population, and writes
every output in one folder with an ``index.html`` linking them:

1. a synthetic population of benefit files with its random-control sample (``population.parquet``);
2. the two-model family trained on the random controls (``model.json``);
3. every file scored (``scores.parquet``, its rejects and manifest);
4. the budget selected with per-Caf quotas and a share drawn at random (``selection.csv``);
5. the ethics committee's audit report (``reports/audit.html``, ``.md``, ``.json``), with both
   actions side by side by income band (checks and outreach contacts against overpayments and
   underpayments);
6. the model's public description and model card (``model/``);
7. notices for three selected files (``notices/``).

And the other action after the ranking, outreach (contact the household to verify that it
receives all its rights): a rights model trained on the same random controls for underpayments
(``rights-model.json``, ``rappel_target``), every file scored by it (``rights-scores.parquet``),
the files to contact within their own budget, files selected for a check left to the check
(``outreach.csv``), the audit of outreach (``reports/outreach-audit.html``) and the letter for
the first file contacted, in French and English (``letters/``).

Each step is the library call the matching command makes; nothing here is demo-only logic.
The same arguments give the same files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dmde.audit import inputs as audit_inputs
from dmde.audit import report as audit_report
from dmde.audit.outreach_audit import actions_from_files, audit_outreach_files
from dmde.audit.settings import AuditSettings
from dmde.batch import scoring, selection
from dmde.batch.outreach import select_outreach_file
from dmde.core.errors import ParameterError
from dmde.core.rendering import Document, Links, Paragraph, Section, write_document
from dmde.data import synthetic
from dmde.data.catalog import action_of_target
from dmde.data.datasets import read_dataset
from dmde.documents import describe, explain
from dmde.documents.outreach_notice import write_outreach_notice
from dmde.model import model_file as persistence
from dmde.model import training
from dmde.model.scorecard import ScorecardFamily

__all__ = ["DEFAULT_ROWS", "DemoResult", "run_demo"]


#: About one million households: the demo ends in well under 3 minutes on 2 cores.
DEFAULT_ROWS = 1_000_000
#: Share of the files checked because of their score (assumed; see DESIGN.md: about 166,000
#: score-driven checks a year among 13.8 million files).
BUDGET_SHARE = describe.BUDGET_SHARE
#: Share of the budget drawn at random among the other files (assumed).
RANDOM_SHARE = 0.05
#: Notices written for the highest-ranked selected files.
NOTICES = 3
#: Share of the files contacted by outreach: three times the checks (assumed: a contact costs
#: far less than a check, about a third).
OUTREACH_SHARE = 3 * BUDGET_SHARE


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote what, and how long each step took."""

    out: Path
    outputs: dict[str, Path]
    seconds: dict[str, float]
    summary: dict[str, Any] = field(default_factory=dict)


Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def run_demo(
    out: str | os.PathLike[str],
    *,
    rows: int = DEFAULT_ROWS,
    controls: int = 7_500,
    seed: int = 2026,
    budget_share: float = BUDGET_SHARE,
    n_boot: int = 1000,
    say: Say = _quiet,
) -> DemoResult:
    """Run the whole chain into ``out`` and write ``out/index.html``.

    Parameters
    ----------
    out : path
        Output folder (created; files of a previous demo are replaced).
    rows, controls, seed : int
        Size of the synthetic population, of its random-control sample, and the seed.
    budget_share : float
        Share of the files selected for a check.
    n_boot : int
        Bootstrap resamples of the audit.
    say : callable
        Receives one line per step (the CLI prints them).
    """
    if rows < 1_000:
        raise ParameterError("rows", "at least 1,000", rows)
    if not 500 <= controls <= rows:
        raise ParameterError("controls", f"from 500 to the number of rows ({rows:,})", controls)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "population": folder / "population.parquet",
        "model": folder / "model.json",
        "scores": folder / "scores.parquet",
        "selection": folder / "selection.csv",
        "audit": folder / "reports" / "audit.html",
        "description": folder / "model",
        "notices": folder / "notices",
        "rights_model": folder / "rights-model.json",
        "rights_scores": folder / "rights-scores.parquet",
        "outreach": folder / "outreach.csv",
        "outreach_audit": folder / "reports" / "outreach-audit.html",
        "letters": folder / "letters",
        "index": folder / "index.html",
    }
    seconds: dict[str, float] = {}

    def step(name: str, text: str) -> Callable[[Callable[[], Any]], Any]:
        def run(action: Callable[[], Any]) -> Any:
            say(f"{len(seconds) + 1}. {text} ...")
            start = time.perf_counter()
            value = action()
            seconds[name] = time.perf_counter() - start
            return value

        return run

    step("synth", f"synthetic population of {rows:,} households")(
        lambda: synthetic.write_population(paths["population"], rows, seed=seed, controls=controls)
    )

    def train(target: str, path: Path) -> None:
        data = training.training_data(read_dataset(paths["population"]), target=target)
        model = ScorecardFamily().fit(data.X, data.y, sample_weight=data.weight)
        report = training.evaluate(model, data, seed=seed)
        facts = training.training_facts(
            report,
            data,
            data_file=paths["population"].name,
            data_sha256=persistence.frame_sha256(data.X),
        )
        if action_of_target(target) == "outreach":  # as dmde train records it
            facts["action"] = "outreach"
        persistence.save_model(model, path, training=facts)

    step("train", f"two-model family trained on the {controls:,} random controls")(
        lambda: train("target", paths["model"])
    )
    step("train_rights", "the rights model (underpayments) trained on the same controls")(
        lambda: train("rappel_target", paths["rights_model"])
    )
    scored = step("score", "every file scored")(
        lambda: scoring.score_file(paths["model"], paths["population"], paths["scores"])
    )
    step("score_rights", "every file scored by the rights model")(
        lambda: scoring.score_file(
            paths["rights_model"], paths["population"], paths["rights_scores"]
        )
    )
    budget = max(1, round(rows * budget_share))
    chosen = step("select", f"{budget:,} files selected with per-Caf quotas")(
        lambda: selection.select_file(
            paths["scores"],
            paths["selection"],
            budget=budget,
            per="caf_code",
            random_share=RANDOM_SHARE,
            seed=seed,
        )
    )

    outreach_budget = max(1, round(rows * OUTREACH_SHARE))
    contacted = step(
        "select_outreach",
        f"{outreach_budget:,} files to contact (outreach), files checked left to the check",
    )(
        lambda: select_outreach_file(
            paths["rights_scores"],
            paths["outreach"],
            checks=paths["selection"],
            budget=outreach_budget,
            per="caf_code",
            random_share=RANDOM_SHARE,
            seed=seed,
        )
    )

    def audit() -> Any:
        result = audit_inputs.audit_files(
            scores=paths["scores"],
            population=paths["population"],
            model=paths["model"],
            selection=paths["selection"],
            settings=AuditSettings(n_boot=n_boot, seed=seed),
        )
        table = actions_from_files(
            paths["population"], checks=paths["selection"], contacts=paths["outreach"]
        )
        result = replace(result, data={**result.data, "actions": table.to_dict("records")})
        audit_report.write_report(result, paths["audit"])
        return result

    result = step("audit", "fairness audit and the ethics committee's report")(audit)

    def audit_outreach() -> Any:
        outreach_result = audit_outreach_files(
            scores=paths["rights_scores"],
            population=paths["population"],
            model=paths["rights_model"],
            selection=paths["outreach"],
            settings=AuditSettings(n_boot=n_boot, seed=seed),
        )
        audit_report.write_report(outreach_result, paths["outreach_audit"])
        return outreach_result

    step("audit_outreach", "the audit of outreach: who is contacted, who is underpaid")(
        audit_outreach
    )
    step("describe", "the model's public description and model card")(
        lambda: describe.document_model(
            paths["model"],
            paths["description"],
            data=paths["population"],
            audit=paths["audit"],
            budget_share=budget_share,
            seed=seed,
        )
    )
    notices = step("explain", f"notices for {NOTICES} selected files")(
        lambda: explain.write_notices(
            paths["model"],
            paths["population"],
            paths["selection"],
            paths["notices"],
            limit=NOTICES,
        )
    )
    first = int(contacted.frame["dossier_id"].iloc[0])

    def letters() -> list[Path]:
        explained = explain.explain_file(
            paths["rights_model"], paths["population"], first, selection=paths["outreach"]
        )
        return [
            write_outreach_notice(
                explained, paths["letters"] / f"outreach-{first}.{lang}.html", lang=lang
            )
            for lang in ("fr", "en")
        ]

    step("letters", "the outreach letter for the first file contacted, in French and English")(
        letters
    )
    summary = {
        "rows": rows,
        "scored": scored.rows_scored,
        "selected": chosen.summary["selected"],
        "contacted": contacted.summary["selected"],
        "flags": len(result.flags),
        "notices": [Path(p).name for p in notices],
    }
    write_document(_index(paths, folder, summary, seconds), paths["index"], formats=["html"])
    return DemoResult(out=folder, outputs=paths, seconds=seconds, summary=summary)


def _index(
    paths: dict[str, Path], folder: Path, summary: dict[str, Any], seconds: dict[str, float]
) -> Document:
    def rel(path: Path) -> str:
        return path.relative_to(folder).as_posix()

    notices = sorted((paths["notices"]).glob("*.html"))
    description = sorted(paths["description"].glob("*.html"))
    letters = sorted(paths["letters"].glob("*.html"), key=lambda p: p.name.endswith(".en.html"))
    sections = (
        Section(
            "outputs",
            "What the demo produced",
            (
                Paragraph(
                    f"{summary['rows']:,} synthetic households were scored; "
                    f"{summary['selected']:,} files were selected for a check; the audit "
                    f"flags {summary['flags']:,} differences between groups. The notices are "
                    "in French, the language of the people they are written for ('dmde explain "
                    "--lang en' writes them in English); the other documents are in English."
                ),
                Links(
                    (
                        ("The ethics committee's audit report", rel(paths["audit"])),
                        *((f"Model description: {p.stem}", rel(p)) for p in description),
                        *((f"Notice for file {p.stem}", rel(p)) for p in notices),
                    )
                ),
            ),
        ),
        Section(
            "outreach",
            "The other action: outreach",
            (
                Paragraph(
                    f"A rights model, trained on the same random controls for underpayments "
                    f"(300 EUR over 3 months or more), ranked every file; "
                    f"{summary['contacted']:,} files were selected for a contact to verify that "
                    "the household receives all its rights (its own budget; a file selected for "
                    "a check is left to the check, which reviews the whole file). The audit of "
                    "outreach reads the same audit the other way: who is contacted against who "
                    "is underpaid; the ethics committee's report above shows both actions side "
                    "by side by income band."
                ),
                Links(
                    (
                        ("The audit of outreach", rel(paths["outreach_audit"])),
                        *(
                            (
                                f"Outreach letter for file {p.name.split('.')[0].split('-')[1]} "
                                f"({'French' if p.name.endswith('.fr.html') else 'English'})",
                                rel(p),
                            )
                            for p in letters
                        ),
                        ("Outreach selection (CSV)", rel(paths["outreach"])),
                        ("Rights model file (JSON)", rel(paths["rights_model"])),
                        ("Rights scores (Parquet)", rel(paths["rights_scores"])),
                    )
                ),
            ),
        ),
        Section(
            "data",
            "Data files",
            (
                Links(
                    (
                        ("Population (Parquet)", rel(paths["population"])),
                        ("Model file (JSON)", rel(paths["model"])),
                        ("Scores (Parquet)", rel(paths["scores"])),
                        ("Selection (CSV)", rel(paths["selection"])),
                    )
                ),
            ),
        ),
    )
    return Document(
        kind="dmde-demo",
        title="dmde demo",
        subtitle="The whole chain on a synthetic population: scored, selected, audited, explained.",
        sections=sections,
    )
