"""The documentation site: pages, links, generated pages and their hooks (no MkDocs build here).

CI builds the site with ``mkdocs build --strict``; these tests catch the common breakages early
and test the build hooks (``docs/hooks/``) without MkDocs or Griffe.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

from dmde import audit, cli
from dmde.batch import selection
from dmde.data import catalog

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HOOKS = DOCS / "hooks"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _load(HOOKS / "mkdocs_hooks.py")
rst = _load(HOOKS / "rst_text.py")
layers = _load(ROOT / "tests" / "test_layers.py")


def _nav() -> list[str]:
    """The pages of mkdocs.yml's nav (every ``.md`` path of the nav block)."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    block = text[text.index("\nnav:") :]
    end = re.search(r"\n[^\s#]", block[1:])  # the next top-level key
    block = block[: end.start() + 1] if end else block
    return re.findall(r":\s*(\S+\.md)\s*$", block, flags=re.MULTILINE)


NAV = _nav()
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if HOOKS not in p.parents)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s]+)\)")


def _slug(heading: str) -> str:
    """Python-Markdown's toc slug of a heading (the default ``slugify``)."""
    text = re.sub(r"[`*]", "", heading)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: str) -> set[str] | None:
    """Heading anchors of a hand-written page; None for a page with generated content."""
    text = (DOCS / page).read_text(encoding="utf-8")
    if ":::" in text or "<!-- dmde:" in text:
        return None
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return {_slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.MULTILINE)}


# --------------------------------------------------------------------------------------------
# Pages and links
def test_nav_is_found() -> None:
    assert "index.md" in NAV and "reference/cli.md" in NAV


@pytest.mark.parametrize("page", NAV, ids=NAV)
def test_nav_page_exists(page: str) -> None:
    assert (DOCS / page).is_file(), f"mkdocs.yml's nav lists {page}, which is not in docs/"


def test_every_page_is_in_the_nav() -> None:
    assert sorted(set(PAGES) - set(NAV)) == [], "add these pages to mkdocs.yml's nav"
    assert len(NAV) == len(set(NAV)), "a page is listed twice in the nav"


@pytest.mark.parametrize("page", PAGES, ids=PAGES)
def test_relative_links_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    for match in LINK.finditer(text):
        target = match["target"]
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        file, _, anchor = target.partition("#")
        resolved = (DOCS / page).parent / file
        assert resolved.is_file(), f"{page}: link to {target!r} points nowhere"
        inside = resolved.resolve().relative_to(DOCS.resolve()).as_posix()
        headings = _anchors(inside) if anchor else None
        if headings is not None:
            assert anchor in headings, f"{page}: {inside} has no heading #{anchor}"


def test_every_public_module_has_an_api_page() -> None:
    # One page per folder (layer), listing each of its modules; one page per module at the top.
    api = DOCS / "reference" / "api"
    missing = []
    for name in layers.MODULES:
        folder, _, stem = name.partition(".")
        page = api / f"{folder}.md"
        if name.startswith("_") or stem.startswith("_"):
            continue
        if not page.is_file() or f"::: dmde.{name}\n" not in page.read_text(encoding="utf-8"):
            missing.append(f"'::: dmde.{name}' in docs/reference/api/{folder}.md")
    assert missing == [], "add (and list in mkdocs.yml's nav): " + "; ".join(missing)


def test_architecture_lists_every_module_of_the_layers() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    names = [m.split(".")[-1] for m in layers.MODULES if not m.startswith("_")]
    names += [n for group in layers.LAYERS for n in group]
    assert sorted({n for n in names if f"`{n}`" not in text}) == []


# --------------------------------------------------------------------------------------------
# The CLI reference, generated from the parser
def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


COMMANDS = _subparsers(cli.build_parser())
REFERENCE = hooks.cli_reference()


@pytest.mark.parametrize("name", sorted(COMMANDS), ids=sorted(COMMANDS))
def test_cli_reference_has_every_option_of_every_command(name: str) -> None:
    heading = f"### `dmde {name}`"
    assert heading in REFERENCE
    section = REFERENCE.split(heading, 1)[1].split("\n### ", 1)[0]
    for action in COMMANDS[name]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        shown = [f"`{o}`" for o in action.option_strings] or [f"`{action.dest}`"]
        assert all(s in section for s in shown), f"dmde {name}: {shown} missing"
        if action.required:
            assert re.search(rf"\| {re.escape(shown[0])}[^\n]*\| required \|", section)


def test_cli_reference_shows_defaults_choices_and_exit_codes() -> None:
    synth = REFERENCE.split("### `dmde synth`", 1)[1].split("\n### ", 1)[0]
    scenario = next(a for a in COMMANDS["synth"]._actions if a.dest == "scenario")
    scenarios = ", ".join(f"`{s}`" for s in scenario.choices or ())
    assert "| `--rows` | `ROWS` | `1000000` |" in synth
    assert f"one of {scenarios}" in synth
    assert "Exit codes" in REFERENCE.split("## `dmde`", 1)[0]


@pytest.mark.parametrize(
    ("help_text", "expected"),
    [
        ("rejects file (default: <out>.rejects.csv)", "(default: &lt;out&gt;.rejects.csv)"),
        ("a|b", "a\\|b"),
        ("--*-column options", "--\\*-column options"),
    ],
    ids=["angle brackets", "pipe", "star"],
)
def test_help_text_is_escaped_for_markdown_tables(help_text: str, expected: str) -> None:
    assert expected in hooks._escape(help_text)


# --------------------------------------------------------------------------------------------
# README commands, included files, markers
README_CASES = {
    "found": ("<!-- cmd -->\n```\necho one\n```\n", "echo one"),
    "first line only": ("<!-- cmd -->\n```\necho one\necho two\n```\n", "echo one"),
    "text before the fence": ("<!-- cmd -->\nSome text.\n```\necho one\n```\n", "echo one"),
}


@pytest.mark.parametrize(("text", "expected"), list(README_CASES.values()), ids=list(README_CASES))
def test_readme_command(tmp_path: Path, text: str, expected: str) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    assert hooks.readme_command("cmd", readme) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("# nothing\n", "no '<!-- cmd -->' marker"), ("<!-- cmd -->\ntext\n", "no fenced command")],
    ids=["no marker", "no fence"],
)
def test_readme_command_missing(tmp_path: Path, text: str, message: str) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    with pytest.raises(hooks.GeneratedPageError, match=message):
        hooks.readme_command("cmd", readme)


@pytest.mark.parametrize("name", ["main-command", "test-command"])
def test_quickstart_shows_the_readme_commands(name: str) -> None:
    assert f"<!-- dmde:readme {name} -->" in (DOCS / "quickstart.md").read_text(encoding="utf-8")
    shown = hooks.expand(f"<!-- dmde:readme {name} -->", "quickstart.md")
    command = shown.splitlines()[1]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split(f"<!-- {name} -->", 1)[1]
    assert command == after.split("```", 2)[1].strip().splitlines()[0]


def test_include_rewrites_links_for_the_page() -> None:
    text = hooks.include("data/synthetic/README.md", "synthetic-world.md")
    assert not text.startswith("#")
    targets = [m["target"] for m in LINK.finditer(text)]
    assert "data-dictionary.md" in targets
    for target in targets:
        if not re.match(r"^[a-z]+:|^#", target):
            assert (DOCS / target.partition("#")[0]).is_file(), target


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("<!-- dmde:unknown -->", "unknown marker"),
        ("<!-- dmde:include no/such/file.md -->", "no such file"),
        ("<!-- dmde:readme no-such-command -->", "no '<!-- no-such-command -->' marker"),
    ],
    ids=["unknown", "include missing file", "readme missing marker"],
)
def test_bad_marker_stops_the_build(marker: str, message: str) -> None:
    with pytest.raises(hooks.GeneratedPageError, match=message):
        hooks.expand(f"# Page\n\n{marker}\n", "page.md")


def test_data_dictionary_patterns_become_code() -> None:
    text = hooks.patterns_as_code((DOCS / "data-dictionary.md").read_text(encoding="utf-8"))
    # Inside a table a pipe is escaped, in a code span too (GitHub's table rule).
    patterns = [p.replace("\\|", "|") for p in re.findall(r"text matching `([^`]+)`", text)]
    expected = sorted(c.pattern for c in catalog.CATALOG.values() if c.pattern)
    assert sorted(patterns) == expected
    assert "text matching ^" not in text


# --------------------------------------------------------------------------------------------
# reST in docstrings, as Markdown (the text half of the Griffe extension)
PATHS = {
    "select": "dmde.batch.selection.select",
    "dmde.core.errors.PolicyError": "dmde.core.errors.PolicyError",
}
ROLE_CASES = {
    "function": (":func:`select`", '<autoref identifier="dmde.batch.selection.select" optional>'),
    "tilde": (":class:`~dmde.core.errors.PolicyError`", "<code>PolicyError</code></autoref>"),
    "not found": (":data:`TRUTH_TERMS`", "<code>TRUTH_TERMS</code>"),
    "explicit title": (":func:`the selection <select>`", "<code>the selection</code>"),
}


@pytest.mark.parametrize(("text", "expected"), list(ROLE_CASES.values()), ids=list(ROLE_CASES))
def test_roles(text: str, expected: str) -> None:
    out = rst.roles(text, PATHS.get)
    assert expected in out
    assert ":func:" not in out and ":class:" not in out and ":data:" not in out


def test_simple_table_becomes_a_pipe_table() -> None:
    out = rst.tables(catalog.__doc__ or "")
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0].split("|")[1:4] == [" family ", " model feature ", " audit "]
    assert len(rows) == 1 + len(catalog.Family)
    assert "=====" not in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("modulo 2**64::\n\n    code", "modulo 2**64:\n\n    code"),
        ("a\n::\n\n    code", "a\n\n\n    code"),
    ],
    ids=["end of paragraph", "alone on a line"],
)
def test_literal_markers(text: str, expected: str) -> None:
    assert rst.literal_markers(text) == expected


def test_definition_lists_outside_standard_sections() -> None:
    out = rst.definition_lists(selection.__doc__ or "")
    terms = re.findall(r"^(\S.*)\n:   ", out, flags=re.MULTILINE)
    assert terms == ["Order", "Budget", "Groups", "Probability floor", "Random share"]
    params = audit.audit_groups.__doc__ or ""
    assert rst.definition_lists(params) == params  # Parameters sections are numpydoc's


@pytest.mark.parametrize(
    ("lines", "lineno", "expected"),
    [
        (["#: Columns a table must have.", "REQUIRED = ('a',)"], 2, "Columns a table must have."),
        (["#: one", "#: two", "X = 1"], 3, "one\ntwo"),
        (["X = 1  #: inline"], 1, "inline"),
        (["# a plain comment", "X = 1"], 2, None),
        (["X = '#:not a comment'"], 1, None),
    ],
    ids=["above", "several lines", "same line", "plain comment", "inside a string"],
)
def test_comment_docstring(lines: list[str], lineno: int, expected: str | None) -> None:
    assert rst.comment_docstring(lines, lineno) == expected
