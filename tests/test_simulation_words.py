"""The simulation report in French and English (dmde.audit.simulation_words): one set of strings,
the same numbers; the French verdict on worlds with a known answer; no English left in the French
report; ``dmde simulate --lang``."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import numpy as np
import pytest

from dmde.audit.simulation import SimulationResult, seed_interval, simulate
from dmde.audit.simulation_policies import BUILTIN_POLICIES, HISTORY_FEATURES, RandomPolicy
from dmde.audit.simulation_report import (
    MARGINS,
    _said,
    interval_words,
    limits,
    plot_composition,
    plot_over_time,
    simulation_document,
    verdict,
)
from dmde.audit.simulation_words import (
    HISTORY_WORDS,
    POLICY_NAMES,
    POLICY_WORDS,
    SIMULATION_STRINGS,
    localize,
    swr,
)
from dmde.cli import main
from dmde.core.rendering import to_html, to_markdown

# the sizes of tests/test_simulation.py: a run in seconds
SMALL = {"n_rows": 4_000, "months": 8, "controls": 60, "budget_share": 0.3}


def _fields(template: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name)


def test_every_string_has_both_languages_with_the_same_fields() -> None:
    en, fr = SIMULATION_STRINGS["en"], SIMULATION_STRINGS["fr"]
    assert sorted(en) == sorted(fr)
    assert [k for k in en if _fields(en[k]) != _fields(fr[k])] == []
    assert [k for k in fr if not fr[k].strip()] == []
    for table, keys in (
        (POLICY_NAMES, BUILTIN_POLICIES),
        (POLICY_WORDS, BUILTIN_POLICIES),
        (HISTORY_WORDS, HISTORY_FEATURES),
    ):
        assert sorted(table["en"]) == sorted(table["fr"]) == sorted(keys)


@pytest.mark.parametrize("seeds", [(0,), (0, 1), (0, 1, 2, 3, 4)], ids=["one", "two", "five"])
def test_the_english_interval_words_are_the_results(seeds: tuple[int, ...]) -> None:
    result = SimulationResult((), seeds, (), {}, np.zeros(0), (), {})
    assert interval_words(result) == result.interval_words
    assert "graine" in interval_words(result, "fr")


def test_numbers_take_french_conventions() -> None:
    assert localize("1,234.5", "fr") == "1\u202f234,5"
    assert localize("-7.3%", "fr") == "-7,3\u202f%"
    assert localize("1,234.5") == "1,234.5"


# ---------------------------------------------------------------------------------------------
# What a comparison says, in French, over many draws with a known answer
def _draws(effect: float, sd: float, seeds: int, rng: np.random.Generator) -> np.ndarray:
    return seed_interval(rng.normal(effect, sd, size=(1, seeds)), within=(-1.0, 1.0))[0]


@pytest.mark.parametrize(
    ("effect", "sd", "seeds", "expected"),
    [
        (0.05, 0.01, 5, "nettement plus élevé"),
        (-0.05, 0.01, 5, "nettement plus faible"),
        (0.0, 0.003, 5, "pas de différence au-delà de ±2 points"),
        (0.0, 0.05, 2, "impossible de conclure avec 2 graines"),
        (0.05, 0.05, 2, "impossible de conclure avec 2 graines"),
    ],
    ids=["planted-up", "planted-down", "none", "none-wide", "planted-wide"],
)
def test_the_french_comparison_finds_what_was_planted_and_nothing_else(
    effect: float, sd: float, seeds: int, expected: str
) -> None:
    rng = np.random.default_rng(11)
    said = [
        _said(
            _draws(effect, sd, seeds, rng),
            margin=MARGINS["share"],
            words=swr("share_margin", "fr", margin="2"),
            n_seeds=seeds,
            lang="fr",
        )
        for _ in range(200)
    ]
    assert said.count(expected) >= 180, {w: said.count(w) for w in set(said)}
    if effect == 0.0:  # a difference where there is none: at most the test's 5%
        assert sum(w.startswith("nettement") for w in said) <= 15


# ---------------------------------------------------------------------------------------------
# The French verdict on simulated worlds
class _Random2(RandomPolicy):
    name = "random-again"


@pytest.fixture(scope="module")
def gain() -> SimulationResult:
    """dmde against two random draws (tests/test_simulation.py's world): dmde finds more."""
    return simulate(
        ["random-only", "dmde", lambda seed: _Random2()],
        seeds=range(4),
        **{**SMALL, "budget_share": 0.6, "months": 6},
    )


@pytest.fixture(scope="module")
def everything() -> SimulationResult:
    """The four built-in policies, two seeds, retraining within the run."""
    return simulate(list(BUILTIN_POLICIES), seeds=range(2), retrain_every=2, **SMALL)


def test_the_french_verdict_names_dmdes_gain_and_no_gain_between_two_draws(gain) -> None:
    points = verdict(gain, "fr")
    today = next(p for p in points if p.startswith("Le dispositif actuel"))
    assert today.endswith("nettement plus élevé."), today
    assert "«\u00a0tirage au sort\u00a0» (sans score)" in today
    again = next(p for p in points if p.startswith("«\u00a0random-again\u00a0» face à dmde"))
    assert "nettement plus faible" in again  # its rate of checks finding an overpayment
    d = gain.difference("hit_rate", 2, 0)  # the two random draws
    said = _said(d, margin=0.02, words="±2 points", n_seeds=4, lang="fr")
    assert said in (
        "pas de différence au-delà de ±2 points",
        "impossible de conclure avec 4 graines",
    )


def test_the_french_verdict_has_the_english_numbers(everything) -> None:
    def numbers(text: str, lang: str) -> list[str]:
        if lang == "fr":
            text = text.replace("\u202f", "").replace(",", ".")
        else:
            text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
        return sorted(re.findall(r"\d+(?:\.\d+)?", text))

    en, fr = verdict(everything), verdict(everything, "fr")
    assert len(en) == len(fr)
    for a, b in zip(en, fr, strict=True):
        assert numbers(a, "en") == numbers(b, "fr"), (a, b)
    assert fr[0].startswith("Seulement 2 graines")
    first = [p.split(" : ")[0] for p in fr]
    today = first.index("Le dispositif actuel face à la référence sans score")
    who = first.index("Qui supporte les contrôles de dmde")
    assert today < who < first.index("«\u00a0réappris sur ses sélections\u00a0» face à dmde")


def test_one_seed_and_void_settings_are_said_in_french() -> None:
    one = simulate(["random-only", "dmde"], seeds=[0], **{**SMALL, "months": 3})
    points = verdict(one, "fr")
    assert points[0].startswith("Une seule graine")
    assert "[pas d'intervalle]" in " ".join(points)
    void = simulate(["dmde", "retrain-on-selected"], seeds=range(2), retrain_every=12, **SMALL)
    said = limits(void, "fr")
    assert any("aucun réapprentissage n'a eu lieu pendant les 8 mois" in p for p in said)
    assert any("interdit un second contrôle sur le score" in p for p in said)
    assert "pas de comparaison" in " ".join(verdict(void, "fr"))


# ---------------------------------------------------------------------------------------------
# No English left in the French report
_ENGLISH = re.compile(
    r"\b(the|of|and|with|checks?|checked|seeds?|overpayments?|files?|households?|policy|"
    r"policies|share|months?|interval|difference|cannot|clearly|found|none)\b"
)
#: Codes the French report shows on purpose: policies (as --policy takes them), the
#: control-history features, the options to run again.
_CODES = re.compile(r"\((random-only|retrain-on-selected|with-history)\)|sim_\w+|--[a-z-]+")


def _english_left(text: str) -> list[str]:
    return sorted(set(_ENGLISH.findall(_CODES.sub("", text))))


def test_the_french_report_has_no_english_left(everything) -> None:
    doc = simulation_document(everything, lang="fr")
    markdown = to_markdown(doc, figure_dir="sim-figures")
    assert _english_left(markdown) == [], markdown
    english = to_markdown(simulation_document(everything), figure_dir="sim-figures")
    assert len(_english_left(english)) > 10  # the test sees English where there is some
    for key, english in SIMULATION_STRINGS["en"].items():
        for piece, *_ in string.Formatter().parse(english):
            if len(piece) >= 16 and piece != SIMULATION_STRINGS["fr"][key]:
                assert piece not in markdown, (key, piece)


def test_the_french_figures_have_french_words(everything) -> None:
    texts: list[str] = []
    for ax in [*plot_over_time(everything, lang="fr"), plot_composition(everything, lang="fr")]:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        legend = ax.get_legend()
        texts += [t.get_text() for t in legend.get_texts()] if legend else []
    shown = "\n".join(texts)
    assert _english_left(shown) == [], shown
    assert "tirage au sort" in shown and "indus réels" in shown and "mois de la simulation" in shown
    assert "familles\nmonoparentales" in shown
    assert any("," in t and "%" in t for t in texts) or "0,6" in shown


def test_the_french_report_renders_as_html_and_markdown(everything) -> None:
    doc = simulation_document(everything, lang="fr")
    html = to_html(doc)
    assert '<html lang="fr"' in html and "Sommaire" in html
    assert "<h2" in html and "Verdict" in html and "Qui supporte les contrôles" in html
    markdown = to_markdown(doc, figure_dir="sim-figures")
    assert markdown.startswith("# La boucle de renforcement, simulée")
    assert "&lt;" not in markdown and "&gt;" not in markdown and "&amp;" not in markdown
    assert "| Stratégie | Contrôles trouvant un indu | Intervalle à 95 % |" in markdown


# ---------------------------------------------------------------------------------------------
# The command line
_ARGV = ["simulate", "--rows", "3000", "--months", "3", "--seeds", "2", "--controls", "30"]


def test_cli_simulate_writes_french_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = ["--policy", "random-only", "--policy", "dmde"]
    assert main([*_ARGV, *policies, "--out", str(tmp_path / "fr.html")]) == 0
    printed = capsys.readouterr().out
    assert "a simulation on synthetic data" in printed  # the terminal stays in English
    assert '<html lang="fr"' in (tmp_path / "fr.html").read_text(encoding="utf-8")
    fr_md = (tmp_path / "fr.md").read_text(encoding="utf-8")
    assert fr_md.startswith("# La boucle de renforcement, simulée")
    assert main([*_ARGV, *policies, "--lang", "en", "--out", str(tmp_path / "en.html")]) == 0
    en_md = (tmp_path / "en.md").read_text(encoding="utf-8")
    assert en_md.startswith("# The reinforcement loop, simulated")
    # the JSON keeps its keys, its data and its sections; only the words differ
    fr = json.loads((tmp_path / "fr.json").read_text(encoding="utf-8"))
    en = json.loads((tmp_path / "en.json").read_text(encoding="utf-8"))
    assert fr["data"] == en["data"] and (fr["lang"], en["lang"]) == ("fr", "en")
    assert [s["id"] for s in fr["sections"]] == [s["id"] for s in en["sections"]]
    assert sorted(fr) == sorted(en)


def test_cli_simulate_refuses_another_language(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*_ARGV, "--lang", "de", "--out", "x.html"])
    assert exc.value.code == 2
    assert "invalid choice: 'de'" in capsys.readouterr().err
