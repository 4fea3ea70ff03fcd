"""One document, four renderings: escaped, self-contained, deterministic."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dmde.core.errors import DmdeError
from dmde.core.rendering import (
    Column,
    Document,
    Facts,
    Figure,
    Items,
    Links,
    Paragraph,
    Section,
    Table,
    format_value,
    to_html,
    to_json,
    to_markdown,
    to_text,
    write_document,
)

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5"/></svg>'
HOSTILE = '<script>alert("x")</script> | & "quoted"'


def _doc(lang: str = "en") -> Document:
    table = Table(
        (Column("group", "Group"), Column("rate", "Rate", "pct1"), Column("n", "Files", "int")),
        ((HOSTILE, 0.1234, 1234567), ("b", None, 3)),
        caption="Rates",
        note="– means suppressed.",
    )
    return Document(
        kind="test",
        title=f"Report {HOSTILE}",
        lang=lang,  # type: ignore[arg-type]
        meta=(("Model", HOSTILE),),
        sections=(
            Section("one", "One", (Paragraph(HOSTILE, "warning"), Items(("a", HOSTILE)), table)),
            Section("two", "Two", (Facts((("k", HOSTILE),)), Links((("next", "b.html"),)))),
            Section("three", "Three", (Figure("fig-1", SVG, "A figure", HOSTILE),)),
        ),
        data={"x": [1.5, float("nan")]},
    )


@pytest.mark.parametrize(
    ("value", "fmt", "lang", "expected"),
    [
        (1234567, "int", "en", "1,234,567"),
        (1234567, "int", "fr", "1\u202f234\u202f567"),
        (-1234.5, "num1", "en", "-1,234.5"),
        (0.0834, "pct1", "en", "8.3%"),
        (0.0834, "pct1", "fr", "8,3\u202f%"),
        (-0.00001, "num2", "en", "0.00"),
        (2.5, "signed2", "en", "+2.50"),
        (0.0004, "p", "en", "< 0.001"),
        (0.0123, "p", "fr", "0,012"),
        (None, "pct1", "en", "–"),
        (float("nan"), "num2", "en", "–"),
        (float("inf"), "num2", "en", "∞"),
        (True, "int", "fr", "oui"),
        ("text", "num2", "en", "text"),
    ],
)
def test_format_value(value: object, fmt: str, lang: str, expected: str) -> None:
    assert format_value(value, fmt, lang=lang) == expected  # type: ignore[arg-type]


def test_html_escapes_every_value_and_is_self_contained() -> None:
    html = to_html(_doc())
    assert "<script" not in html
    assert html.count("&lt;script&gt;") >= 5
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert 'src="data:image/svg+xml;base64,' in html
    assert "1,234,567" in html and "12.3%" in html


def test_markdown_and_text_hold_the_same_values() -> None:
    md = to_markdown(_doc(), figure_dir="report-figures")
    assert "&lt;script&gt;" in md and "\\|" in md
    assert "![" in md and "(report-figures/fig-1.svg)" in md
    text = to_text(_doc())
    assert "1,234,567" in text and "12.3%" in text and "[Figure: A figure]" in text


def test_json_keeps_raw_values() -> None:
    payload = json.loads(to_json(_doc()))
    table = payload["sections"][0]["blocks"][2]
    assert table["rows"][0] == {"group": HOSTILE, "rate": 0.1234, "n": 1234567}
    assert table["rows"][1]["rate"] is None
    assert payload["data"] == {"x": [1.5, None]}


def test_french_document_uses_french_numbers() -> None:
    assert "12,3\u202f%" in to_html(_doc("fr"))


def test_write_document_is_deterministic(tmp_path: Path) -> None:
    formats = ["html", "md", "json", "txt"]
    first = write_document(_doc(), tmp_path / "a" / "report.html", formats=formats)
    second = write_document(_doc(), tmp_path / "b" / "report.html", formats=formats)
    names = sorted(p.relative_to(tmp_path / "a").as_posix() for p in first)
    assert names == [
        "report-figures/fig-1.svg",
        "report.html",
        "report.json",
        "report.md",
        "report.txt",
    ]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Column("x", "X", "pct9x"), "format 'pct9x'"),
        (lambda: Figure("Bad Id", SVG, "c", "a"), "figure id 'Bad Id'"),
        (lambda: Table((Column("a", "A"),), (("1", "2"),)), "row 0 has 2 values for 1 columns"),
        (lambda: write_document(_doc(), "x.html", formats=["pdf"]), "unknown format"),
    ],
    ids=["format", "figure-id", "ragged", "unknown-format"],
)
def test_bad_input_is_named(build: object, match: str) -> None:
    with pytest.raises(DmdeError, match=match):
        build()  # type: ignore[operator]
