"""A Griffe extension: the reStructuredText bits of dmde's numpydoc docstrings, as Markdown.

dmde's docstrings are numpydoc, written to read well in a terminal and in Sphinx: they use
Sphinx roles (``:func:`select```, ``:class:`~dmde.errors.PolicyError```), one reST simple table
(the families in ``dmde.catalog``) and ``::`` before literal blocks. mkdocstrings renders
docstrings as Markdown, where those would show as raw markup. This extension rewrites them when
the package is loaded, before rendering; the docstrings themselves stay as they are.

- A role becomes a cross-reference to the object when Griffe finds it (relative to the object
  whose docstring it is, as Sphinx resolves it), as an *optional* autoref: a link if the object
  is rendered on some page, plain code otherwise (a private helper, another library). A role
  whose target is not found in dmde is plain code.
- A simple table (rows framed by lines of ``=`` runs) becomes a Markdown pipe table.
- A paragraph ending in ``::`` ends in ``:`` (the indented block that follows is already a
  Markdown code block).
- A definition list (a term line, its definition indented below it, as in numpydoc prose and
  in the ``Rules`` or ``Conventions`` sections) becomes a Markdown definition list; the
  standard numpydoc sections (Parameters, Returns...) are left to the numpydoc parser.
- An attribute documented by ``#:`` comments (the lines just above it, or after it on the same
  line), as Sphinx's autodoc reads them, gets them as its docstring.

Registered in ``mkdocs.yml`` under the Python handler's ``extensions``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?P<role>class|func|meth|mod|data|attr|exc|obj|const):"
    r"`(?P<tilde>~?)(?P<text>[^`<]+?)(?:\s*<(?P<target>[^>`]+)>)?`"
)
_BORDER = re.compile(r"^(?P<indent>\s*)=+(?: +=+)+\s*$")
_CALLABLE = {"func", "meth"}
_UNRESOLVED = (griffe.AliasResolutionError, griffe.CyclicAliasError)


def _find(obj: griffe.Object, name: str, package: griffe.Module) -> griffe.Object | None:
    """The object ``name`` refers to from ``obj``'s docstring, as Sphinx would resolve it."""
    name = name.lstrip(".")
    scopes: list[griffe.Object] = []
    scope: griffe.Object | None = obj
    while scope is not None:
        if scope.is_module or scope.is_class:
            scopes.append(scope)
        scope = scope.parent
    candidates = [f"{s.path}.{name}" for s in scopes] + [name]
    for path in candidates:
        head, _, rest = path.partition(".")
        if head != package.name:
            continue
        try:
            found = package[rest] if rest else package
        except (KeyError, ValueError, AttributeError, *_UNRESOLVED):
            continue
        if isinstance(found, griffe.Alias):
            try:
                found = found.final_target
            except _UNRESOLVED:
                continue
        return found
    return None


def _roles(text: str, obj: griffe.Object, package: griffe.Module) -> str:
    def replace(match: re.Match[str]) -> str:
        target = (match["target"] or match["text"]).strip()
        shown = match["text"].strip()
        if match["tilde"] and not match["target"]:
            shown = shown.rsplit(".", 1)[-1]
        if match["role"] in _CALLABLE:
            shown += "()"
        code = f"<code>{html.escape(shown)}</code>"
        found = _find(obj, target.lstrip("~"), package)
        if found is None:
            return code
        return f'<autoref identifier="{html.escape(found.path)}" optional>{code}</autoref>'

    return _ROLE.sub(replace, text)


def _cells(line: str, spans: list[tuple[int, int]]) -> list[str]:
    cells = []
    for i, (start, end) in enumerate(spans):
        stop = spans[i + 1][0] if i + 1 < len(spans) else len(line)
        cells.append(line[start : max(end, stop)].strip().replace("|", "\\|"))
    return cells


def _tables(text: str) -> str:
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


def _literal_markers(text: str) -> str:
    text = re.sub(r"(?m)^\s*::\s*$", "", text)
    return re.sub(r"(?m)(\S)::$", r"\1:", text)


_STANDARD = {
    "parameters", "other parameters", "returns", "yields", "receives", "raises", "warns",
    "attributes", "methods", "examples", "see also", "warnings",
}  # fmt: skip
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _definition_lists(text: str) -> str:
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


def markdown_of(text: str, obj: griffe.Object, package: griffe.Module) -> str:
    """The docstring ``text`` of ``obj`` with its reST constructs rewritten as Markdown."""
    return _definition_lists(_literal_markers(_tables(_roles(text, obj, package))))


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if not member.is_alias and (member.is_module or member.is_class):
            yield from _walk(member)  # type: ignore[arg-type]
        elif not member.is_alias:
            yield member


def comment_docstring(obj: griffe.Object) -> str | None:
    """The ``#:`` comment lines documenting the attribute ``obj``, or None."""
    if not obj.is_attribute or obj.lineno is None:
        return None
    lines = obj.module.lines
    if not 0 < obj.lineno <= len(lines):
        return None
    _, marker, after = lines[obj.lineno - 1].partition("#:")
    if marker:
        return after.strip()
    found: list[str] = []
    for line in reversed(lines[: obj.lineno - 1]):
        stripped = line.strip()
        if not stripped.startswith("#:"):
            break
        found.insert(0, stripped[2:].strip())
    return "\n".join(found) or None


class RestToMarkdown(griffe.Extension):
    """Rewrite Sphinx roles, simple tables and ``::`` in every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _walk(pkg):
            if obj.docstring is None and (comment := comment_docstring(obj)):
                obj.docstring = griffe.Docstring(comment, lineno=obj.lineno, parent=obj)
            if obj.docstring is not None:
                obj.docstring.value = markdown_of(obj.docstring.value, obj, pkg)

    # Older Griffe versions name this event ``on_package_loaded``; the rewriting is idempotent.
    def on_package_loaded(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self.on_package(pkg=pkg, **kwargs)
