"""The data dictionary, generated from the catalog: as Markdown (``docs/data-dictionary.md``),
as text (``dmde catalog``) and as JSON (``dmde catalog --format json``)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from dmde.data.catalog import CATALOG, EXCLUDED_FAMILIES, FEATURE_FAMILIES, NON_FEATURE_FAMILIES
from dmde.data.columns import Column, Family

__all__ = ["data_dictionary_json", "data_dictionary_markdown", "data_dictionary_text"]


def _usage(col: Column) -> str:
    if col.family in FEATURE_FAMILIES:
        return "feature"
    if col.family in EXCLUDED_FAMILIES:
        return "excluded (audit only)"
    if col.family is Family.LABEL:
        return "label (target only)"
    return "never a feature"


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown, generated from the catalog (``docs/data-dictionary.md``)."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `dmde/data/catalog.py` by `dmde catalog --format markdown`; "
        "do not edit by hand.",
        "",
        "Missing values are empty fields in CSV and nulls in Parquet; only columns marked "
        "*nullable* may have them. Optional columns may be absent from a file, but are "
        "validated when present.",
        "",
        "## Families",
        "",
        "| family | use | reason |",
        "|---|---|---|",
    ]
    for fam in Family:
        if fam in FEATURE_FAMILIES:
            use, reason = "model feature", "economic or family situation"
        elif fam in EXCLUDED_FAMILIES:
            use, reason = "excluded from models; audit only", EXCLUDED_FAMILIES[fam]
        else:
            use, reason = "never a feature", NON_FEATURE_FAMILIES[fam]
        lines.append(f"| {fam.value} | {use} | {reason} |")
    for fam in Family:
        lines += [
            "",
            f"## {fam.value}",
            "",
            "| column | type | allowed | unit | nullable | required | label (fr) "
            "| description | source |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c in CATALOG.values():
            if c.family is fam:
                allowed = f"text matching `{c.pattern}`" if c.pattern else c.allowed
                lines.append(
                    f"| `{c.name}` | {c.dtype} | {allowed.replace('|', chr(92) + '|')} "
                    f"| {c.unit} | {'yes' if c.nullable else 'no'} "
                    f"| {'yes' if c.required else 'no'} | {c.label_fr} | {c.description} "
                    f"| {c.source} |"
                )
    return "\n".join(lines) + "\n"


def data_dictionary_text(families: Iterable[Family | str] | None = None) -> str:
    """The data dictionary as a plain-text table, for the terminal (``dmde catalog``)."""
    wanted = {Family(f) for f in families} if families else set(Family)
    rows = [("column", "family", "use", "type", "allowed", "description")]
    for c in CATALOG.values():
        if c.family in wanted:
            allowed = c.allowed if len(c.allowed) <= 40 else c.allowed[:37] + "..."
            rows.append((c.name, c.family.value, _usage(c), c.dtype, allowed, c.label))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for r in rows:
        out.append(
            "  ".join(v.ljust(w) for v, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        )
    return "\n".join(out) + "\n"


def data_dictionary_json() -> str:
    """The catalog as JSON (one object per column), for other tools."""
    return json.dumps([c.to_dict() for c in CATALOG.values()], indent=2, ensure_ascii=False) + "\n"
