"""A Griffe extension: the reStructuredText bits of dmde's numpydoc docstrings, as Markdown.

dmde's docstrings are numpydoc, written to read well in a terminal and in Sphinx: they use
Sphinx roles (``:func:`select```, ``:class:`~dmde.core.errors.PolicyError```), one reST simple table
(the families in ``dmde.data.catalog``) and ``::`` before literal blocks. mkdocstrings renders
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

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import griffe


def _sibling(name: str) -> ModuleType:
    """A module of this folder (not a package: Griffe loads this file by its path)."""
    spec = importlib.util.spec_from_file_location(
        f"dmde_docs_{name}", Path(__file__).with_name(f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rst_text = _sibling("rst_text")
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


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if not member.is_alias and (member.is_module or member.is_class):
            yield from _walk(member)  # type: ignore[arg-type]
        elif not member.is_alias:
            yield member


class RestToMarkdown(griffe.Extension):
    """Rewrite the reST constructs of every docstring of a loaded package as Markdown."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _walk(pkg):
            if obj.docstring is None and obj.is_attribute and obj.lineno is not None:
                comment = rst_text.comment_docstring(obj.module.lines, obj.lineno)
                if comment:
                    obj.docstring = griffe.Docstring(comment, lineno=obj.lineno, parent=obj)
            if obj.docstring is not None:

                def resolve(name: str, obj: griffe.Object = obj) -> str | None:
                    found = _find(obj, name, pkg)
                    return None if found is None else found.path

                obj.docstring.value = rst_text.markdown_of(obj.docstring.value, resolve)

    # Older Griffe versions name this event ``on_package_loaded``; the rewriting is idempotent.
    def on_package_loaded(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self.on_package(pkg=pkg, **kwargs)
