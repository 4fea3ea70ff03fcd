"""reST constructs of numpydoc docstrings, rewritten as Markdown: pure text functions.

Used by the Griffe extension ``griffe_rst.py`` (which resolves the cross-references) and tested
by ``tests/test_docs.py`` without Griffe or MkDocs. See ``griffe_rst.py`` for what is rewritten.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

ROLE = re.compile(
    r":(?:py:)?(?P<role>class|func|meth|mod|data|attr|exc|obj|const):"
    r"`(?P<tilde>~?)(?P<text>[^`<]+?)(?:\s*<(?P<target>[^>`]+)>)?`"
)
_BORDER = re.compile(r"^(?P<indent>\s*)=+(?: +=+)+\s*$")
_CALLABLE = {"func", "meth"}
_COMMENT = re.compile(r"(?:^|\s)#:(?:\s|$)(?P<text>.*)$")


def roles(text: str, resolve: Callable[[str], str | None]) -> str:
    """Sphinx roles as code, linked (an optional autoref) when ``resolve`` finds the target.

    ``resolve`` maps a role's target (``select``, ``dmde.core.errors.PolicyError``) to the full path
    of the object it names, or None. As in Sphinx, ``~`` shows the last component only, and a
    function or method is shown with ``()`` unless the role gives its own title.
    """

    def replace(match: re.Match[str]) -> str:
        target = (match["target"] or match["text"]).strip().lstrip("~")
        shown = match["text"].strip()
        if match["tilde"] and not match["target"]:
            shown = shown.rsplit(".", 1)[-1]
        if match["role"] in _CALLABLE and not match["target"]:
            shown += "()"
        code = f"<code>{html.escape(shown)}</code>"
        path = resolve(target)
        if path is None:
            return code
        return f'<autoref identifier="{html.escape(path)}" optional>{code}</autoref>'

    return ROLE.sub(replace, text)


def _cells(line: str, spans: list[tuple[int, int]]) -> list[str]:
    cells = []
    for i, (start, end) in enumerate(spans):
        stop = spans[i + 1][0] if i + 1 < len(spans) else len(line)
        cells.append(line[start : max(end, stop)].strip().replace("|", "\\|"))
    return cells


def tables(text: str) -> str:
    """reST simple tables (border, header, border, rows, border) as Markdown pipe tables."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        border = _BORDER.match(lines[i])
        ends = [j for j in range(i + 1, len(lines)) if _BORDER.match(lines[j])][:2]
        if border is None or len(ends) < 2 or ends[0] != i + 2:
            out.append(lines[i])
            i += 1
            continue
        spans = [(m.start(), m.end()) for m in re.finditer(r"=+", lines[i])]
        indent = border["indent"]
        header = _cells(lines[i + 1], spans)
        rows = [_cells(line, spans) for line in lines[i + 3 : ends[1]] if line.strip()]
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}| " + " | ".join(header) + " |")
        out.append(f"{indent}|" + "---|" * len(header))
        out.extend(f"{indent}| " + " | ".join(row) + " |" for row in rows)
        i = ends[1] + 1
        if i < len(lines) and lines[i].strip():
            out.append("")
    return "\n".join(out)


def literal_markers(text: str) -> str:
    """``::`` ending a paragraph becomes ``:``; a ``::`` alone on its line goes."""
    text = re.sub(r"(?m)^[ \t]*::[ \t]*$", "", text)
    return re.sub(r"(?m)(\S)::$", r"\1:", text)


_STANDARD = {
    "parameters", "other parameters", "returns", "yields", "receives", "raises", "warns",
    "attributes", "methods", "examples", "see also", "warnings",
}  # fmt: skip
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def definition_lists(text: str) -> str:
    """reST definition lists (outside the standard numpydoc sections) as Markdown ones."""
    lines = text.split("\n")
    out: list[str] = []
    standard = False
    i = 0
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if _UNDERLINE.match(following) and line.strip():
            standard = line.strip().lower() in _STANDARD
            out += [line, following]
            i += 2
            continue
        previous = out[-1] if out else ""
        k = _indent(line)
        starts = (
            not standard
            and line.strip()
            and not line.lstrip().startswith((">>>", "...", "-", "*", "|"))
            and following.strip()
            and _indent(following) == k + 4
            and (not previous.strip() or _indent(previous) >= k + 4 or _UNDERLINE.match(previous))
        )
        if not starts:
            out.append(line)
            i += 1
            continue
        out += [line, " " * k + ":   " + following.strip()]
        i += 2
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= k + 4):
            if not lines[i].strip() and (i + 1 >= len(lines) or _indent(lines[i + 1]) < k + 4):
                break
            out.append(lines[i])
            i += 1
    return "\n".join(out)


def markdown_of(text: str, resolve: Callable[[str], str | None]) -> str:
    """The docstring ``text`` with its reST constructs rewritten as Markdown."""
    return definition_lists(literal_markers(tables(roles(text, resolve))))


def comment_docstring(lines: Sequence[str], lineno: int) -> str | None:
    """The ``#:`` comments documenting the assignment on line ``lineno`` (1-based), or None.

    As Sphinx's autodoc reads them: after the assignment on the same line, or on the lines
    just above it.
    """
    if not 0 < lineno <= len(lines):
        return None
    same = _COMMENT.search(lines[lineno - 1])
    if same:
        return same["text"].strip() or None
    found: list[str] = []
    for line in reversed(lines[: lineno - 1]):
        stripped = line.strip()
        if not stripped.startswith("#:"):
            break
        found.insert(0, stripped[2:].strip())
    return "\n".join(found) or None
