"""Each action's files get its own letter: select refuses the other model's scores, the
selection records its action, explain writes the letter of the selection's action, and outreach
without the check selection says that nothing was left to the checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dmde.batch.outreach import NO_CHECKS, select_outreach_file
from dmde.batch.scores_table import SelectionError
from dmde.batch.scoring import score_file
from dmde.batch.selection import select_file
from dmde.cli import main
from dmde.data.datasets import read_dataset
from dmde.data.synthetic import write_population
from dmde.model import model_file, training
from dmde.model.scorecard import Scorecard


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("actions")
    data = folder / "pop.csv"
    write_population(data, 3_000, seed=5, controls=1_500)
    frame = read_dataset(data)
    out: dict[str, Path] = {"data": data}
    for name, target, facts in (
        ("check", "target", {"target": "target"}),
        ("rights", "rappel_target", {"target": "rappel_target", "action": "outreach"}),
    ):
        fit = training.training_data(frame, target=target)
        model = Scorecard().fit(fit.X, fit.y, sample_weight=fit.weight)
        model_file.save_model(model, folder / f"{name}.json", training=facts)
        score_file(folder / f"{name}.json", data, folder / f"{name}-scores.csv")
        out[name] = folder / f"{name}.json"
        out[f"{name}_scores"] = folder / f"{name}-scores.csv"
    select_file(out["check_scores"], folder / "checks.csv", budget=40)
    out["checks"] = folder / "checks.csv"
    return out


def test_the_scores_manifest_names_a_rights_model_only(files: dict[str, Path]) -> None:
    for name, action in (("check", None), ("rights", "outreach")):
        manifest = json.loads(Path(f"{files[f'{name}_scores']}.manifest.json").read_text())
        assert manifest["model"].get("action") == action


@pytest.mark.parametrize(
    ("scores", "action", "match"),
    [
        ("rights_scores", "check", "scored by a rights model.*add --action outreach"),
        ("check_scores", "outreach", "scored by a check model.*rappel_target"),
    ],
    ids=["checks-from-rights-scores", "outreach-from-check-scores"],
)
def test_select_refuses_the_other_models_scores(
    files: dict[str, Path], tmp_path: Path, scores: str, action: str, match: str
) -> None:
    out = tmp_path / "s.csv"
    with pytest.raises(SelectionError, match=match):
        if action == "check":
            select_file(files[scores], out, budget=10)
        else:
            select_outreach_file(files[scores], out, budget=10)
    assert not out.exists()
    args = ["select", "--scores", str(files[scores]), "--budget", "10", "--out", str(out)]
    assert main([*args, "--action", action]) == 1


def test_scores_without_manifest_are_taken_as_they_are(
    files: dict[str, Path], tmp_path: Path
) -> None:
    shutil.copy(files["rights_scores"], tmp_path / "elsewhere.csv")
    chosen = select_file(tmp_path / "elsewhere.csv", tmp_path / "s.csv", budget=10)
    assert len(chosen.frame) == 10


def test_outreach_without_checks_says_so(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["select", "--scores", str(files["rights_scores"]), "--budget", "30"]
    assert main([*args, "--action", "outreach", "--out", str(tmp_path / "alone.csv")]) == 0
    assert "warning: no check selection given (--checks)" in capsys.readouterr().err
    summary = json.loads((tmp_path / "alone.csv.manifest.json").read_text())["summary"]
    assert summary["checks"] is None and summary["overlap"] == NO_CHECKS
    both = ["--action", "outreach", "--checks", str(files["checks"])]
    assert main([*args, *both, "--out", str(tmp_path / "both.csv")]) == 0
    assert "warning" not in capsys.readouterr().err
    summary = json.loads((tmp_path / "both.csv.manifest.json").read_text())["summary"]
    assert summary["checks"]["path"].endswith("checks.csv") and "overlap" not in summary


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_letter_claims_no_overlap_rule_it_did_not_apply(
    files: dict[str, Path], tmp_path: Path, lang: str
) -> None:
    claim = {
        "fr": "un dossier déjà retenu pour un contrôle n'est pas contacté",
        "en": "a file already chosen for a check is not contacted",
    }[lang]
    for name, checks in (("alone", None), ("both", files["checks"])):
        select_outreach_file(
            files["rights_scores"], tmp_path / f"{name}.csv", budget=30, checks=checks
        )
        dossier = str(pd.read_csv(tmp_path / f"{name}.csv")["dossier_id"][0])
        out = tmp_path / f"{name}.{lang}.txt"
        args = ["explain", "--model", str(files["rights"]), "--input", str(files["data"])]
        args += ["--selection", str(tmp_path / f"{name}.csv"), "--dossier", dossier]
        assert main([*args, "--out", str(out), "--lang", lang]) == 0
        text = " ".join(out.read_text().split())
        assert (claim in text) == (checks is not None), name


def test_explain_refuses_a_letter_against_the_selections_action(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a check selection made from a rights model's scores before select refused them: its
    # scores' manifest records no action (as written before outreach), its own no action
    folder = tmp_path / "old"
    folder.mkdir()
    scores = folder / files["rights_scores"].name
    for path in files["rights_scores"].parent.glob("rights-scores*"):
        shutil.copy(path, folder / path.name)
    shutil.copy(files["data"], folder / "pop.csv")
    manifest = json.loads(Path(f"{scores}.manifest.json").read_text())
    del manifest["model"]["action"]
    manifest["input"]["path"] = "pop.csv"
    Path(f"{scores}.manifest.json").write_text(json.dumps(manifest))
    select_file(scores, folder / "cs.csv", budget=10)
    dossier = str(pd.read_csv(folder / "cs.csv")["dossier_id"][0])
    args = ["explain", "--model", str(files["rights"]), "--input", str(folder / "pop.csv")]
    args += ["--selection", str(folder / "cs.csv"), "--dossier", dossier]
    assert main([*args, "--out", str(folder / "l.txt")]) == 1
    err = capsys.readouterr().err
    assert "was made for checks" in err and "cs.csv" in err
    assert not (folder / "l.txt").exists()
    # the other way: an outreach selection read with a check model's explanation
    from dmde.documents.explain import explain_file
    from dmde.documents.explanation import ExplainError
    from dmde.documents.notice import write_notice

    select_outreach_file(files["rights_scores"], tmp_path / "o.csv", budget=10)
    dossier_id = int(pd.read_csv(tmp_path / "o.csv")["dossier_id"][0])
    e = explain_file(files["rights"], files["data"], dossier_id, selection=tmp_path / "o.csv")
    assert e.action == "outreach" and e.overlap_removed is False
    with pytest.raises(ExplainError, match="made for outreach"):
        write_notice(e, tmp_path / "n.txt", format="txt")


def test_monitor_refuses_a_rights_model(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["monitor", "--model", str(files["rights"]), "--baseline", str(files["data"])]
    assert main([*args, "--months", str(tmp_path), "--out", str(tmp_path / "m.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert "is a rights model" in err and "\n" not in err and "Traceback" not in err


def _selections(files: dict[str, Path], folder: Path) -> dict[str, Path]:
    select_outreach_file(
        files["rights_scores"], folder / "outreach.csv", budget=60, checks=files["checks"]
    )
    return {"outreach": folder / "outreach.csv", "checks": files["checks"]}


def test_the_outreach_audit_refuses_a_selection_of_other_scores_or_for_checks(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = _selections(files, tmp_path)
    common = ["audit", "--population", str(files["data"]), "--model", str(files["rights"])]
    common += ["--out", str(tmp_path / "a.html")]
    # the check selection: made from the check model's scores, not the rights scores
    args = [*common, "--scores", str(files["rights_scores"]), "--selection", str(chosen["checks"])]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "was made from the scores file" in err and "check-scores.csv" in err
    assert not (tmp_path / "a.html").exists()


def test_the_check_audit_refuses_a_selection_of_other_scores(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = _selections(files, tmp_path)
    args = ["audit", "--population", str(files["data"]), "--model", str(files["check"])]
    args += ["--scores", str(files["check_scores"]), "--selection", str(chosen["outreach"])]
    assert main([*args, "--out", str(tmp_path / "a.html")]) == 1
    assert "was made from the scores file" in capsys.readouterr().err


def test_the_description_of_a_rights_model_speaks_of_underpayments(
    files: dict[str, Path], tmp_path: Path
) -> None:
    from dmde.documents.describe import document_model

    texts = {}
    for name in ("check", "rights"):
        description, _ = document_model(
            files[name], tmp_path / name, data=files["data"], n_boot=20, formats=("md",)
        )
        texts[name] = " ".join(
            (tmp_path / name / f).read_text() for f in ("description.md", "model-card.md")
        )
        texts[name] = " ".join(texts[name].split())
        assert description.action == ("outreach" if name == "rights" else "check")
    wrong_for_rights = (
        "how likely a check is to find an overpayment",
        "proposed for a check",
        "not an underpayment (rappel)",
        "propose the highest for a check",
        "finds an overpayment",
        "Share of the overpayments",
    )
    for words in wrong_for_rights:
        assert words in texts["check"], words  # the check model's description as it was
        assert words not in texts["rights"], words
    for words in ("underpayment (rappel", "for a contact", "Share of the underpayments"):
        assert words in texts["rights"], words


def test_the_rights_models_lift_is_measured_on_underpayments(
    files: dict[str, Path], tmp_path: Path
) -> None:
    from dmde.documents.describe import document_model

    frame = read_dataset(files["data"])
    checked = frame[frame["controlled"] == 1]
    description, _ = document_model(
        files["rights"], tmp_path, data=files["data"], n_boot=20, formats=("json",)
    )
    assert description.lift is not None
    assert description.lift.n_events == int((checked["rappel_target"] == 1).sum())
    assert description.lift.n_events != int((checked["target"] == 1).sum())


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("per", [None, "caf_code"], ids=["national", "per-caf"])
def test_the_check_notice_says_the_national_rank_once(
    files: dict[str, Path], tmp_path: Path, lang: str, per: str | None
) -> None:
    select_file(files["check_scores"], tmp_path / "c.csv", budget=20, per=per)
    dossier = str(pd.read_csv(tmp_path / "c.csv")["dossier_id"][0])
    args = ["explain", "--model", str(files["check"]), "--input", str(files["data"])]
    args += ["--selection", str(tmp_path / "c.csv"), "--dossier", dossier, "--lang", lang]
    assert main([*args, "--out", str(tmp_path / "n.txt")]) == 0
    text = " ".join((tmp_path / "n.txt").read_text().split())
    once = {"fr": "au niveau national, il est au rang 1 sur", "en": "nationally, it ranks 1 of"}
    assert (once[lang] in text) == (per is None)
    sentence = {"fr": "Au niveau national, il est au rang", "en": "Nationally, it ranks"}[lang]
    assert (sentence in text) == (per is not None)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_outreach_letter_says_how_to_ask_correct_and_refer_to_the_cada(
    files: dict[str, Path], tmp_path: Path, lang: str
) -> None:
    from dmde.documents.explain import explain_file
    from dmde.documents.notice import notice
    from dmde.documents.outreach_notice import outreach_notice

    chosen = _selections(files, tmp_path)
    dossier = int(pd.read_csv(chosen["outreach"])["dossier_id"][0])
    e = explain_file(files["rights"], files["data"], dossier, selection=chosen["outreach"])
    letter = outreach_notice(e, lang=lang)  # type: ignore[arg-type]
    ask = next(s for s in letter.sections if s.id == "ask")
    assert len(ask.blocks) == 3 and "CADA" in ask.blocks[-1].text  # type: ignore[union-attr]
    assert "L311-3-1" in ask.blocks[0].text  # type: ignore[union-attr]
    # word for word the check notice's paragraphs (its contest section, without the decision)
    contest = next(s for s in notice(e, lang=lang).sections if s.id == "contest")  # type: ignore[arg-type]
    assert ask.blocks == contest.blocks[:3]


def test_diff_names_a_change_of_target_and_action(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d.md"
    assert main(["diff", str(files["check"]), str(files["rights"]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    expected = "The target changes from target to rappel_target and the action from check"
    assert expected in printed and expected in out.read_text()
    assert main(["diff", str(files["check"]), str(files["check"]), "--out", str(out)]) == 0
    assert "target changes" not in capsys.readouterr().out


@pytest.fixture(scope="module")
def french_outreach_report(
    files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[object, str]:
    from dmde.audit.outreach_audit import audit_outreach_files
    from dmde.audit.report import build_report
    from dmde.audit.settings import AuditSettings
    from dmde.core.rendering import to_markdown

    folder = tmp_path_factory.mktemp("outreach-fr")
    chosen = _selections(files, folder)
    result = audit_outreach_files(
        scores=files["rights_scores"],
        population=files["data"],
        model=files["rights"],
        selection=chosen["outreach"],
        settings=AuditSettings(n_boot=50, seed=1),
    )
    return result, to_markdown(build_report(result, lang="fr"))


def test_the_french_outreach_audit_speaks_french_of_underpayments(
    french_outreach_report: tuple[object, str],
) -> None:
    _, text = french_outreach_report
    text = " ".join(text.split())
    assert "the random-control sample" not in text
    assert "l'échantillon de contrôles aléatoires (rappel_target, pondéré par control_weight)" in (
        text
    )
    assert "taux de rappel des groupes" in text and "taux d'indu des groupes" not in text
    flags = next(line for line in text.split("Alertes par indicateur")[1:2]).split(".")[0]
    assert "taux d'indu" not in flags and "contrôles sans résultat" not in flags


_NAN = float("nan")


def _gap_rows() -> pd.DataFrame:
    """Selection-gap findings as the audit writes them: one with the risk ratio but no ratio
    per unit of risk (too few selected), one without outcomes, one with both."""
    base = {"attribute": "income_band", "reference": "0.5 to 1 Smic", "verdict": "selection_gap"}
    return pd.DataFrame(
        [
            {
                **base,
                "group": "1 to 1.5 Smic",
                "selection_ratio": 0.04,
                "selection_low": _NAN,
                "selection_high": _NAN,
                "risk_ratio": 0.60,
                "risk_low": 0.40,
                "risk_high": 0.84,
                "amplification": _NAN,
                "amplification_low": _NAN,
                "amplification_high": _NAN,
            },
            {
                **base,
                "group": "zero",
                "selection_ratio": 2.79,
                "selection_low": 2.27,
                "selection_high": 3.62,
                "risk_ratio": _NAN,
                "risk_low": _NAN,
                "risk_high": _NAN,
                "amplification": _NAN,
                "amplification_low": _NAN,
                "amplification_high": _NAN,
            },
            {
                **base,
                "group": "under 0.5 Smic",
                "selection_ratio": 0.03125,
                "selection_low": 0.02,
                "selection_high": 0.1,
                "risk_ratio": 1.84,
                "risk_low": 1.29,
                "risk_high": 2.44,
                "amplification": 2.37,
                "amplification_low": 1.53,
                "amplification_high": 3.67,
            },
        ]
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_finding_with_a_risk_ratio_does_not_say_there_are_no_outcomes(lang: str) -> None:
    from dmde.audit.report_findings import _sentence_of

    no_outcomes = {
        "fr": "sans résultats de contrôle pour ce groupe",
        "en": "without outcomes for this group",
    }[lang]
    no_interval = {"fr": "n'a pas d'intervalle", "en": "has no interval"}[lang]
    said = [_sentence_of(row, lang, "rappel") for _, row in _gap_rows().iterrows()]  # type: ignore[arg-type]
    assert [no_outcomes in s for s in said] == [False, True, False]
    assert [no_interval in s for s in said] == [True, False, False]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_outreach_figure_keeps_its_legend_and_ticks_apart(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from dmde.audit import plots, report_findings

    rows = _gap_rows()
    rows.loc[1, ["risk_ratio", "risk_low", "risk_high"]] = [1.89, 1.46, 2.53]
    rows = pd.concat(
        [
            rows,
            rows.assign(
                attribute="age_band", reference="35-49", group=["65 or more", "under 25", "25-34"]
            ),
        ]
    )
    drawn = []
    original = plots.plot_amplification

    def keep(table: pd.DataFrame, **options: object):  # type: ignore[no-untyped-def]
        drawn.append(original(table, **options))  # type: ignore[arg-type]
        return drawn[-1]

    monkeypatch.setattr(report_findings.plots, "plot_amplification", keep)
    report_findings._amplification_figure(rows, lang, outreach=True)  # type: ignore[arg-type]
    ax = drawn[0]
    figure = ax.get_figure()
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= figure.bbox.x0 - 1 and legend.x1 <= figure.bbox.x1 + 1
    labels = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    assert len(labels) >= 5
    assert all(a.x1 <= b.x0 for a, b in itertools.pairwise(labels))
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("rappel" in n or "underpayment" in n for n in names)
    assert not any("indu" in n or "overpayment" in n for n in names)
