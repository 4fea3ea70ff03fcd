"""The notice's strings: both languages say the same things, with the same fields."""

from __future__ import annotations

import string

import pytest

from dmde.data.catalog import CATALOG, DEFAULT_POLICY
from dmde.documents import notice_words
from dmde.documents.notice_words import LEVELS, SOURCES, STRINGS, UNITS, phrase


def test_every_language_has_the_same_sentences_and_fields() -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for table in (STRINGS, LEVELS, SOURCES, UNITS):
        assert set(table["fr"]) == set(table["en"])
    for key, text in STRINGS["fr"].items():
        assert fields(text) == fields(STRINGS["en"][key]), key


def test_every_value_and_source_the_model_may_read_has_words() -> None:
    shown = [*DEFAULT_POLICY.features, "income_reporting"]
    for lang in ("fr", "en"):
        for name in shown:
            col = CATALOG[name]
            assert col.source in SOURCES[lang], (name, col.source)
            assert not col.unit or col.unit in UNITS[lang]
            for level in col.levels:
                assert level in LEVELS[lang], (name, level)


@pytest.mark.parametrize(
    ("value", "lang", "singular"),
    [(0.44, "fr", True), (-1.99, "fr", True), (2.0, "fr", False), (1.0, "en", True),
     (0.44, "en", False), (-1.0, "en", True)],
    ids=["fr-small", "fr-negative", "fr-two", "en-one", "en-small", "en-minus-one"],
)  # fmt: skip
def test_point_takes_the_singular_as_each_language_wants(
    value: float, lang: str, singular: bool
) -> None:
    assert notice_words.singular(value, lang) is singular  # type: ignore[arg-type]


def test_phrase_fills_the_fields_of_the_sentence() -> None:
    assert phrase("en", "num_between", low="0.5", high="1.2") == "0.5 to less than 1.2"
    assert phrase("fr", "num_between", low="0,5", high="1,2") == "de 0,5 à moins de 1,2"
