"""One document, four renderings: escaped, self-contained, deterministic."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dmde.core.errors import DmdeError
from dmde.core.markdown import escape_inline, escape_line_start, safe_href
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


# --------------------------------------------------------------------------------------------
# Hostile text: whatever a label, a file name or a cell holds, the Markdown shows it and links
# nothing; no format keeps a bidirectional control; a table keeps its columns.
PROBES = {
    "link": "[click](javascript:alert(1))",
    "link-spaced": "[click] (javascript:alert(1))",
    "link-title": '[click](javascript:alert(1) "title")',
    "link-angle": "[click](<javascript:alert(1)>)",
    "nested-link": "[a [b](javascript:alert(1))](https://evil.example)",
    "image": "![pixel](https://evil.example/p.png)",
    "image-script": "![x](javascript:alert(1))",
    "reference": "[click][evil]",
    "collapsed-reference": "[evil][]",
    "definition": "[evil]: javascript:alert(1)",
    "footnote-definition": "[^evil]: javascript:alert(1)",
    "autolink": "<javascript:alert(1)>",
    "autolink-web": "<https://evil.example>",
    "bare-url": "https://evil.example/x",
    "bare-www": "www.evil.example",
    "script": "<script>alert(1)</script>",
    "img-tag": "<img src=x onerror=alert(1)>",
    "a-tag": '<a href="javascript:alert(1)">x</a>',
    "comment": "<!-- hidden -->",
    "entity-brackets": "&#91;click&#93;(javascript:alert(1))",
    "escaped-escape": "\\[click\\](javascript:alert(1))",
    "trailing-backslash": "[click\\",
    "backticks": "`code` and ```fence```",
    "emphasis": "**bold** _it_ *it* __b__",
    "pipes": "a | b | c",
    "escaped-pipe": "a \\| b",
    "newline-definition": "x\n[evil]: javascript:alert(1)",
    "cr-definition": "x\r[evil]: javascript:alert(1)",
    "crlf-heading": "x\r\n# heading",
    "heading": "# heading",
    "closing-hashes": "title ##",
    "list-marker": "- item",
    "ordered-marker": "1. item",
    "plus-marker": "+ item",
    "rule": "---",
    "indented-code": "    code",
    "quote": "> quoted",
    "rlo": "file\u202egnp.exe",
    "isolates": "\u2066a\u2069 \u2067b\u2069 \u2068c\u2069",
    "marks": "\u200ea\u200f \u061c \u202a\u202b\u202c\u202d",
    "bidi-in-link": "[click]\u202e(javascript:alert(1))",
}
#: Addresses a link of dmde's could be given from data (a file name, an output path).
EVIL_HREFS = {
    "javascript": "javascript:alert(1)",
    "data": "data:text/html,<script>alert(1)</script>",
    "vbscript": "VBScript:msgbox(1)",
    "breakout": "x.html) [y](javascript:alert(1)",
    "spaced": " javascript:alert(1)",
    "tabbed": "java\tscript:alert(1)",
    "bidi": "\u202ejavascript:alert(1)",
}
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
OUR_LINKS = (("next page", "b.html"), ("the notices", "notices/39704.html"))
N_HEADINGS = 1 + 5  # the title and the five sections of _hostile_doc
N_TABLE_LINES = 2 * (2 + 2)  # two tables: head, rule, two rows


def _seeded_hostile(seed: int, n: int) -> list[str]:
    """The probes, then texts mixing them with plain words, bidi controls and line breaks."""
    rng = random.Random(seed)
    parts = [*PROBES.values(), *EVIL_HREFS.values(), "Caf 75", "n_children", "[0.3 – 0.5)"]
    texts = list(PROBES.values())
    while len(texts) < n:
        chosen = rng.sample(parts, rng.randint(1, 3))
        glue = rng.choice([" ", "", "\n", " | ", "\\", rng.choice(BIDI)])
        texts.append(glue.join(chosen))
    return texts


def _hostile_doc(text: str, href: str) -> Document:
    """``text`` in every place a text goes: titles, paragraphs, items, cells, captions, links."""
    paragraphs = tuple(Paragraph(text, kind) for kind in ("text", "note", "warning", "ok"))
    labels = Table(
        (Column("label", text), Column("n", "Files", "int"), Column("other", "Other")),
        ((text, 3, "plain"), ("plain", 4, text)),
    )
    cells = Table(labels.columns[1:] + labels.columns[:1], ((1, text, text), (2, "", text)))
    cells = replace(cells, caption=text, note=text)
    return Document(
        kind="test",
        title=text,
        subtitle=text,
        meta=((text, text),),
        sections=(
            Section("one", text, paragraphs),
            Section("two", text, (Items((text, "plain", text)), Items((text,), ordered=True))),
            Section("three", text, (labels, cells)),
            Section("four", text, (Facts(((text, text),)), Links(((text, href), *OUR_LINKS)))),
            Section("five", text, (Figure("fig-1", SVG.replace("<rect", text), text, text),)),
        ),
        data={"label": text},
    )


def _unescaped(md: str) -> str:
    """``md`` with every backslash escape replaced by a neutral character (pairs read first)."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "_", md)


def _check_markdown(md: str, href: str) -> None:
    assert not set(md) & set(BIDI)
    assert "<" not in md  # no raw HTML, no autolink: every "<" is "&lt;"
    plain = _unescaped(md)
    # The only link and image destinations are dmde's own, with a safe address.
    destinations = re.findall(r"\]\s*[(\[:]([^)\s]*)", plain)
    assert destinations == [safe_href(href), "b.html", "notices/39704.html", "f/fig-1.svg"]
    assert not re.search(r"[A-Za-z]://|\bwww\.", plain)  # no bare address to link
    lines = md.splitlines()
    assert sum(line.startswith("#") for line in lines) == N_HEADINGS
    ours = tuple(f"]({d})" for d in destinations[:3])
    starts = [re.sub(r"^(- |> |1\. )", "", line) for line in lines if not line.endswith(ours)]
    assert not [s for s in starts if re.match(r" {0,3}(\[|[-+*] | {4}|-{3})", s)]
    rows = [line for line in lines if line.startswith("|")]
    assert len(rows) == N_TABLE_LINES
    assert {len(re.findall(r"(?<!\\)\|", _unescaped(row))) for row in rows} == {4}


def _check_python_markdown(md: str, href: str) -> None:
    """What MkDocs' Markdown makes of it: no tag but the expected ones, our links only."""
    import markdown  # a test dependency (pyproject): the check must run, never skip

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[tuple[str, dict[str, str | None]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append((tag, dict(attrs)))

    parser = Tags()
    parser.feed(markdown.markdown(md, extensions=["tables"]))
    allowed = {"h1", "h2", "p", "ul", "ol", "li", "strong", "em", "blockquote", "a", "img"}
    allowed |= {"table", "thead", "tbody", "tr", "th", "td"}
    assert {tag for tag, _ in parser.tags} <= allowed
    assert [a.get("href") for t, a in parser.tags if t == "a"] == [
        safe_href(href),
        "b.html",
        "notices/39704.html",
    ]
    assert [a.get("src") for t, a in parser.tags if t == "img"] == ["f/fig-1.svg"]
    cells = [t for t, _ in parser.tags if t in ("tr", "th", "td")]
    assert cells.count("tr") == N_TABLE_LINES - 2 and len(cells) == 4 * (N_TABLE_LINES - 2)


def _check_html(html: str) -> None:
    assert not set(html) & set(BIDI)

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            assert tag not in ("script", "iframe", "object", "embed")
            for name, value in attrs:
                assert not name.startswith("on")
                if name in ("href", "src") and value:
                    scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", value)
                    assert scheme is None or (scheme.group(1) == "data" and name == "src")

    Tags().feed(html)


@pytest.mark.parametrize("seed", [0, 1])
def test_hostile_text_is_shown_never_linked_in_any_format(seed: int) -> None:
    hrefs = list(EVIL_HREFS.values())
    for i, text in enumerate(_seeded_hostile(seed, 150)):
        href = hrefs[i % len(hrefs)]
        doc = _hostile_doc(text, href)
        md = to_markdown(doc, figure_dir="f")
        _check_markdown(md, href)
        _check_python_markdown(md, href)
        _check_html(to_html(doc))
        for other in (to_text(doc), to_json(doc)):
            assert not set(other) & set(BIDI)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_each_probe_reads_back_as_written(name: str) -> None:
    """The escapes hide nothing: undone, they give the text (line breaks as spaces)."""
    text = PROBES[name]
    expected = re.sub(r"\r\n|[\r\n]", " ", text.translate(dict.fromkeys(map(ord, BIDI))))
    assert _read_back(escape_inline(text)) == expected
    assert _read_back(escape_line_start(text)) == expected.lstrip(" ")


def _read_back(md: str) -> str:
    return html_unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md))


@given(st.text(alphabet=st.sampled_from("[]()!<>&`*_|#\\-+. :/w1a\n\r\u202e"), max_size=40))
@settings(max_examples=300, deadline=None)
def test_property_escaping_loses_nothing_and_opens_no_link(text: str) -> None:
    escaped = escape_line_start(text)
    assert _read_back(escaped) == re.sub(r"\r\n|[\r\n]", " ", text.replace("\u202e", "")).lstrip(
        " "
    )
    assert "<" not in escaped and "\n" not in escaped and "\r" not in escaped
    assert not re.search(r"\]\s*[(\[:]", _unescaped(escaped))


@pytest.mark.parametrize(
    "text",
    [
        "n_children",
        "income_to_smic in [0.32 – 0.5)",
        "95% interval [1.18 – 2.00])",
        "Notice for file 39704",
        "C:\\Users\\caf\\scores.parquet",
        "rate 12.3% (n = 1,234)",
        "-1.2 points",
        "2024-01 to 2024-12",
    ],
)
def test_benign_text_is_unchanged(text: str) -> None:
    assert escape_inline(text) == text
    assert escape_line_start(text) == text


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("audit.html", "audit.html"),
        ("../reports/audit.html#findings", "../reports/audit.html#findings"),
        ("https://www.legifrance.gouv.fr/x", "https://www.legifrance.gouv.fr/x"),
        ("C:/reports/audit.html", "C:/reports/audit.html"),
        ("javascript:alert(1)", "./javascript:alert%281%29"),
        ("data:text/html,x", "./data:text/html,x"),
        ("a b).html", "a%20b%29.html"),
        ("\u202ejavascript:x", "./javascript:x"),
    ],
    ids=["file", "relative", "web", "drive", "javascript", "data", "breakout", "bidi"],
)
def test_safe_href(href: str, expected: str) -> None:
    assert safe_href(href) == expected


# ---------------------------------------------------------------------------------------------
# The JSON writer and the bidi filter are the standard library's, faster: the same text.
_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=8)
)
_JSON_KEYS = (
    st.text(max_size=4)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.none()
    | st.booleans()
)


@given(
    st.recursive(
        _JSON_LEAVES,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.tuples(inner, inner)
            | st.dictionaries(_JSON_KEYS, inner, max_size=4)
        ),
        max_leaves=30,
    )
)
@settings(max_examples=300, deadline=None)
def test_property_json_text_is_the_standard_encoders(value: object) -> None:
    from dmde.core.rendering import _json_dumps

    expected = json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False)
    assert _json_dumps(value) == expected


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ([1.0, float("nan")], ValueError, "Out of range float values are not JSON compliant"),
        ({"a": float("inf")}, ValueError, "Out of range float values are not JSON compliant"),
        ([object()], TypeError, "Object of type object is not JSON serializable"),
        ({(1, 2): 3}, TypeError, "keys must be str, int, float, bool or None, not tuple"),
    ],
    ids=["nan", "infinity", "unknown-type", "tuple-key"],
)
def test_json_text_refuses_what_the_standard_encoder_refuses(
    value: object, error: type[Exception], match: str
) -> None:
    from dmde.core.rendering import _json_dumps

    with pytest.raises(error, match=match):
        json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False)
    with pytest.raises(error, match=match):
        _json_dumps(value)


@given(st.text(alphabet=st.sampled_from("ab é\u202e\u2066\u061c\n"), max_size=30))
@settings(max_examples=200, deadline=None)
def test_property_bidi_filter_is_strip_bidi(text: str) -> None:
    from dmde.core.markdown import strip_bidi
    from dmde.core.rendering import _no_bidi

    assert _no_bidi(text) == strip_bidi(text)
