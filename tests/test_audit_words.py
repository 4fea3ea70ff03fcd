"""The report's words in French: every string of the report translated, and only those."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.audit import audit, build_report
from dmde.audit.inputs import LABEL_SOURCES
from dmde.audit.metric_definitions import METRIC_DEFINITIONS
from dmde.audit.outreach_audit import OUTREACH_LABEL_SOURCES
from dmde.audit.profiles import ARCHETYPES
from dmde.audit.report_text import GLOSSARY, KNOWN_TEMPLATES, METRIC_NAMES, _known
from dmde.audit.settings import CORRECTIONS, AuditSettings
from dmde.audit.targeting import GROUP_ATTRIBUTES
from dmde.audit.words import FRENCH, STRINGS, MissingTranslationError, tr
from dmde.core.rendering import to_html
from dmde.data.catalog import EXCLUDED_FAMILIES

# The report's modules: report.py and the report_*.py it is made of.
REPORT = sorted((Path(__file__).parents[1] / "dmde" / "audit").glob("report*.py"))


def _tr_literals() -> list[str]:
    """The first argument of every ``tr("literal", ...)`` call in the report's modules."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in REPORT]
    return [
        node.args[0].value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "tr"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


def _translated_data() -> list[str]:
    """What the report translates that is not a literal of a tr call: its tables of words, and
    the English texts it receives as data (:func:`dmde.audit.report_text._known`)."""
    return [
        *METRIC_NAMES.values(),
        *(text for pair in GLOSSARY for text in pair),
        *KNOWN_TEMPLATES,
        *METRIC_DEFINITIONS.values(),
        *CORRECTIONS.values(),
        *LABEL_SOURCES.values(),
        *OUTREACH_LABEL_SOURCES.values(),
        *EXCLUDED_FAMILIES.values(),
        *(description for description, _ in ARCHETYPES.values()),
    ]


def _fields(template: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)


def test_report_py_calls_tr_with_literals() -> None:
    assert len(_tr_literals()) > 150  # the parse finds the calls (a guard against a vacuous pass)


def test_every_report_string_has_french_with_the_same_fields() -> None:
    texts = sorted(set(_tr_literals() + _translated_data()))
    assert [t for t in texts if t not in FRENCH] == [], "add these to FRENCH in words.py"
    assert [t for t in texts if _fields(FRENCH[t]) != _fields(t)] == []
    assert [t for t in texts if not FRENCH[t].strip()] == []


def test_every_french_entry_is_used_by_the_report() -> None:
    used = set(_tr_literals()) | set(_translated_data())
    assert sorted(set(FRENCH) - used) == []


@pytest.mark.parametrize(
    ("text", "lang", "fields", "expected"),
    [
        ("Glossary", "en", {}, "Glossary"),
        ("Glossary", "fr", {}, "Glossaire"),
        ("Method and limits", "fr", {}, "Méthode et limites"),
        ("{n} files", "en", {"n": "1,234"}, "1,234 files"),
        ("{n} files", "fr", {"n": "1\u202f234"}, "1\u202f234 dossiers"),
        (
            "Ratio to {reference} [95%]",
            "fr",
            {"reference": "femmes"},
            "Rapport à la référence (femmes) [95 %]",
        ),
        ("suppressed (n={n})", "fr", {"n": 12}, "masqué (n=12)"),
        ("Not a string of the report", "en", {}, "Not a string of the report"),
        ("100% {not a field}", "en", {}, "100% {not a field}"),  # no fields, no formatting
    ],
    ids=[
        "en-source",
        "fr-title",
        "fr-method",
        "en-fields",
        "fr-fields",
        "fr-group-label",
        "fr-suppressed",
        "en-any-text",
        "en-braces-kept",
    ],
)
def test_tr(text: str, lang: Any, fields: dict[str, Any], expected: str) -> None:
    assert tr(text, lang, **fields) == expected


def test_tr_names_a_missing_translation() -> None:
    with pytest.raises(MissingTranslationError, match="no French for the report string 'Nope'"):
        tr("Nope", "fr")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bootstrap percentile, 95%", "bootstrap par percentiles, 95\u202f%"),
        (
            "ratio outside [0.8, 1.25] and p < 0.05 (flag) or adjusted p < 0.05 (flagged)",
            "rapport hors de [0,8 ; 1,25] et p < 0,05 (colonne flag du JSON) ou p ajustée "
            "< 0,05 (colonne flagged : les alertes de ce rapport)",
        ),
        (
            "the 2,400 highest scores (ties at the cut by a keyed hash of 'dossier_id')",
            "les 2\u202f400 scores les plus élevés (ex aequo à la coupure départagés par un "
            "hachage à clé de 'dossier_id')",
        ),
        ("column 'outcome' of t.csv", "colonne 'outcome' de t.csv"),
        ("column 'selected'", "colonne 'selected'"),
        ("unit", "unitaires"),
        ("the random-control sample (target, weighted by control_weight)", None),
        ("ratio outside [0.8, 1.25] and p < 0.05 (flag) or adjusted p < 0.01 (flagged)", "same"),
        ("outcomes keyed in by hand", "same"),
    ],
    ids=[
        "template-level",
        "template-repeated-field",
        "template-thousands",
        "label-source-generic",
        "selection-column",
        "fixed-method-value",
        "label-source-constant",
        "repeated-field-differs",
        "unknown-text",
    ],
)
def test_known_texts_are_written_in_french(text: str, expected: str | None) -> None:
    assert _known(text, "en") == text
    if expected is None:
        assert _known(text, "fr") == FRENCH[text]
    elif expected == "same":  # not made from a known template: written as it is
        assert _known(text, "fr") == text
    else:
        assert _known(text, "fr") == expected


# --------------------------------------------------------------------------------------------
# A French report


@pytest.fixture(scope="module")
def result() -> Any:
    """A small audit with a budget, labels from a random sample, and two declared attributes."""
    rng = np.random.default_rng(0)
    n = 4_000
    frame = pd.DataFrame({"score": rng.normal(500, 20, n)})
    frame["probability"] = 1 / (1 + np.exp(-(frame["score"] - 540) / 20))
    frame["random"] = rng.random(n) < 0.25
    drawn = (rng.random(n) < frame["probability"]).astype(float)
    frame["label"] = np.where(frame["random"], drawn, np.nan)
    bands = [code for code, *_ in GROUP_ATTRIBUTES["income_band"].levels]
    groups = pd.DataFrame(
        {"gender": rng.choice(["female", "male"], n), "income_band": rng.choice(bands, n)}
    )
    return audit(
        frame,
        groups=groups,
        selected=None,
        budget=300,
        label="label",
        sample="random",
        id_column=None,
        settings=AuditSettings(n_boot=50, seed=0),
    )


def test_the_french_report_has_french_titles_and_the_same_anchors(result: Any) -> None:
    english, french = build_report(result, lang="en"), build_report(result, lang="fr")
    assert [s.id for s in french.sections] == [s.id for s in english.sections]
    tables = [json.dumps(d.data["tables"], sort_keys=True, default=str) for d in (english, french)]
    assert tables[0] == tables[1]  # the raw data stays as it is, machine-readable
    for en, fr in zip(english.sections, french.sections, strict=True):
        if en.id == "findings":
            assert fr.title == STRINGS["fr"]["findings"]
        elif en.level == 2:
            assert fr.title == FRENCH[en.title]
    titles = {s.title for s in french.sections}
    assert {"Méthode et limites", "Glossaire", "Groupes", "Données", "Calibration"} <= titles
    assert "Situation économique" in titles


@pytest.mark.parametrize(
    "english",
    [
        "Method and limits",
        "Glossary",
        "Selection rate",
        "suppressed",
        "not in this report",
        "Adjusted p",
        "FLAG",
        "files",
        "bootstrap percentile",
        "highest scores",
        "Generic mode",
    ],
)
def test_no_english_phrase_in_the_french_page(result: Any, english: str) -> None:
    assert english not in to_html(build_report(result, lang="fr"))


def test_the_english_page_is_still_english(result: Any) -> None:
    page = to_html(build_report(result, lang="en"))
    for english in ("Method and limits", "Glossary", "Selection rate", "suppressed", "files"):
        assert english in page


def test_the_french_page_names_suppressed_cells_and_missing_sections(result: Any) -> None:
    page = to_html(build_report(result, lang="fr"))
    assert "masqué (n=" in page  # small cells, in French
    assert "Identité du modèle : absent de ce rapport." in page  # no model: said once
    assert "Taux de sélection [95 %]" in page


def test_the_method_and_rule_the_audit_writes_are_known_texts(result: Any) -> None:
    """If dmde.audit words its method or rule differently, KNOWN_TEMPLATES must follow."""
    m = result.groups.method
    keys = ("interval", "bootstrap", "auc_interval", "test", "flag_rule", "correction_name")
    values = [str(m[k]) for k in (*keys, "weights", "deciles", "labels")]
    values.append(str(result.data["selection_rule"]))
    assert [v for v in values if _known(v, "fr") == v] == []
