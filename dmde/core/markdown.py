"""Text from data made safe to print: Markdown escaped, bidi controls removed, links checked.

A group label, a file name or a table cell comes from data, and data can be hostile:
``[click](javascript:alert(1))`` in a label would be a live link in a Markdown report, and a
right-to-left override (U+202E) can make a file name or a figure read backwards. The renderer
(:mod:`dmde.core.rendering`) passes every text through these functions:

- :func:`strip_bidi` removes the bidirectional controls (:data:`BIDI_CONTROLS`) from every
  output, whatever its format;
- :func:`escape_inline` escapes, in a text placed inside a line of Markdown, what would form
  syntax there, and only that: a ``]`` that would open a link (``](``, ``][``, ``]:``), raw HTML
  and autolinks (``<``, ``>``, ``&``), code spans (`````), emphasis (``*``; ``_`` unless inside a
  word, where it is inert), table pipes, a backslash that would cancel an escape, bare web
  addresses (``://``, ``www.``), line breaks. Text without those characters is unchanged, so
  ``n_children`` or an interval ``[0.3 – 0.5)`` read as before;
- :func:`escape_line_start` also escapes what a text opening a line would start: a heading
  (``#``), a reference definition (``[``), a rule or a bullet, an indented code block;
- :func:`safe_href` writes a link address dmde builds (a relative file name) so that it cannot
  end the link early, and refuses a script address (``javascript:``, ``data:``...) by making it
  relative.

The escapes are those both CommonMark (GitHub) and Python-Markdown (MkDocs) read back as the
character itself.
"""

from __future__ import annotations

import re

__all__ = [
    "BIDI_CONTROLS",
    "SAFE_SCHEMES",
    "escape_heading",
    "escape_inline",
    "escape_line_start",
    "safe_href",
    "strip_bidi",
]

#: Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069),
#: the left-to-right and right-to-left marks (U+200E, U+200F) and the Arabic letter mark (U+061C).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

_NO_BIDI = dict.fromkeys(map(ord, BIDI_CONTROLS))

_INLINE = re.compile(
    r"""
      (?P<newline>\r\n|[\r\n])
    | (?P<backslash>\\)(?=[!-/:-@\[-`{-~]|$)   # would escape the next character, or ours
    | (?P<bracket>\])(?=\s*[(\[:])             # a link, a reference, a definition
    | (?P<html>[&<>])
    | (?P<literal>[`*|])
    | (?P<underscores>_+)
    | (?<=[A-Za-z0-9])(?P<colon>:)(?=//)        # https://... (GitHub links bare addresses)
    | (?<![\w.])(?P<www>[wW]{3}\.)
    """,
    re.VERBOSE,
)

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}

_LINE_START = re.compile(r"[#\[]|[-+](?=[\s-]|$)")

_UNSAFE_IN_HREF = re.compile(r"[\s\x00-\x1f\x7f()<>\[\]\"'\\`|{}^]")

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")

#: Schemes a link of dmde's may keep (one letter: a Windows drive, ``C:/...``).
SAFE_SCHEMES = ("http", "https", "mailto", "file")


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional controls.

    Examples
    --------
    >>> strip_bidi("invoice\\u202egnp.exe")
    'invoicegnp.exe'
    """
    return text.translate(_NO_BIDI)


def _inline(match: re.Match[str]) -> str:
    kind, found = match.lastgroup, match.group()
    if kind == "newline":
        return " "
    if kind == "html":
        return _ENTITIES[found]
    if kind == "colon":
        return "&#58;"
    if kind == "www":
        return found[:3] + "&#46;"
    if kind == "underscores":
        text = match.string
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if before.isalnum() and after.isalnum():
            return found  # inside a word: neither opens nor closes emphasis
        return "\\_" * len(found)
    return "\\" + found


def escape_inline(text: str) -> str:
    """Escape ``text`` for a place inside a line of Markdown (a cell, an item, a title).

    Only what would form syntax is escaped (see the module's description); line breaks become
    spaces, so a table keeps its rows and columns.

    Examples
    --------
    >>> escape_inline("[click](javascript:alert(1))")
    '[click\\\\](javascript:alert(1))'
    >>> escape_inline("n_children in [0.3 – 0.5)")
    'n_children in [0.3 – 0.5)'
    >>> escape_inline("a | b <i>")
    'a \\\\| b &lt;i&gt;'
    """
    return _INLINE.sub(_inline, strip_bidi(text))


def escape_line_start(text: str) -> str:
    """Escape ``text`` for the start of a line of Markdown (a paragraph, a list item's text).

    As :func:`escape_inline`, and what would hide or rewrite the text: a heading (``#``), a
    reference definition (``[x]: ...``, which defines a link and is not shown), a rule
    (``---``), a bullet (``-``, ``+``), an indented code block (leading spaces are dropped, as
    a Markdown reader drops up to three). A number such as ``1.`` is left as it is: it shows
    as the number of a list, which reads the same (dmde's own texts number findings so).

    Examples
    --------
    >>> escape_line_start("# Not a heading")
    '\\\\# Not a heading'
    >>> escape_line_start("[x]: javascript:alert(1)")
    '\\\\[x\\\\]: javascript:alert(1)'
    """
    escaped = escape_inline(text).lstrip(" \t")
    return "\\" + escaped if _LINE_START.match(escaped) else escaped


def escape_heading(text: str) -> str:
    """Escape ``text`` for a heading's title: as :func:`escape_inline`, and a closing ``#``."""
    escaped = escape_inline(text)
    return escaped[:-1] + "\\#" if escaped.endswith("#") else escaped


def safe_href(href: str) -> str:
    """A link address dmde builds, made safe: it cannot end the link, nor run a script.

    Characters that would end or break a Markdown link (spaces, brackets, parentheses, quotes,
    angle brackets, backslashes, control characters) are percent-encoded; an address with a
    scheme other than :data:`SAFE_SCHEMES` (``javascript:``, ``data:``...) is made relative
    (``./javascript:...``), a file name. Usual addresses are unchanged.

    Examples
    --------
    >>> safe_href("notices/39704.html")
    'notices/39704.html'
    >>> safe_href("javascript:alert(1)")
    './javascript:alert%281%29'
    """
    clean = _UNSAFE_IN_HREF.sub(lambda m: f"%{ord(m.group()):02X}", strip_bidi(href))
    scheme = _SCHEME.match(clean)
    if scheme and len(scheme.group(1)) > 1 and scheme.group(1).lower() not in SAFE_SCHEMES:
        return "./" + clean
    return clean
