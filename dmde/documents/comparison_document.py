"""The comparison of two models as data, and as the document the ethics committee reads.

:class:`Comparison` holds the model diff (:mod:`dmde.documents.model_diff`) and, when a
population was given, the selection diff (:mod:`dmde.documents.selection_diff`);
:func:`comparison_document` renders it: summary, models, points, score shifts, selections and
who is selected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dmde.audit.groups import source_of
from dmde.core.rendering import (
    Column,
    Document,
    Facts,
    Items,
    Paragraph,
    Section,
    Table,
    format_value,
)
from dmde.data.catalog import CATALOG
from dmde.documents.model_diff import ModelDiff
from dmde.documents.selection_diff import SelectionDiff

__all__ = ["SHORT_HASH", "Comparison", "comparison_document", "short_hash"]

_SHIFT_LABELS = {"mean": "mean", "mean_absolute": "mean absolute shift", "min": "minimum",
                 "p01": "1st percentile", "p05": "5th percentile", "p25": "25th percentile",
                 "median": "median", "p75": "75th percentile", "p95": "95th percentile",
                 "p99": "99th percentile", "max": "maximum"}  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    """The model diff, and the selection diff when a population was given."""

    models: ModelDiff
    selection: SelectionDiff | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content, with each points row's change and status."""
        data = asdict(self)
        data["models"]["points"] = [
            {**asdict(p), "change": p.change, "status": p.status} for p in self.models.points
        ]
        data["models"]["n_changes"] = self.models.n_changes
        if self.selection is not None:
            data["selection"]["groups"] = [
                {**asdict(g), "change": g.change} for g in self.selection.groups
            ]
        return data


def _fmt(value: Any, fmt: str) -> str:
    return format_value(value, fmt)


def _summary_items(c: Comparison) -> tuple[str, ...]:
    m = c.models
    items = []
    if m.n_changes == 0:
        items.append("The scorecards are identical: same settings, features, segments and points.")
    else:
        changes = m.points_changes
        count = {s: sum(p.status == s for p in changes) for s in ("changed", "added", "removed")}
        items.append(
            f"{m.n_changes} changes: {len(m.settings)} settings; "
            f"{len(m.features_added)} features added, {len(m.features_removed)} removed; "
            f"{len(m.segments_added)} segments added, {len(m.segments_removed)} removed; "
            f"points of {count['changed']} bins changed, {count['added']} bins added, "
            f"{count['removed']} removed."
        )
    if m.purpose_change is not None:
        items.insert(0, m.purpose_change)
    if m.old_sha256 == m.new_sha256:
        items.append("The two files have the same content hash: they are the same model file.")
    s = c.selection
    if s is not None:
        items.append(
            f"On {s.population} ({_fmt(s.n_files, 'int')} files), "
            f"{_fmt(s.n_changed, 'int')} files ({_fmt(s.share_changed, 'pct1')}) change score "
            f"({_fmt(s.n_up, 'int')} up, {_fmt(s.n_down, 'int')} down)."
        )
        items.append(
            f"Of the {_fmt(s.budget, 'int')} files selected, {_fmt(s.entering, 'int')} enter "
            f"and {_fmt(s.leaving, 'int')} leave the selection; {_fmt(s.kept, 'int')} stay."
        )
    return tuple(items)


#: A SHA-256 as the model files write it (64 hexadecimal digits).
_SHA256 = re.compile(r"[0-9a-f]{64}")

#: Hexadecimal digits a hash keeps in a table cell (the full value is given below the table).
SHORT_HASH = 12


def short_hash(text: str) -> str:
    """A SHA-256 cut to its first :data:`SHORT_HASH` digits and "…"; other text as it is.

    Examples
    --------
    >>> short_hash("ab" * 32), short_hash("not recorded")
    ('abababababab…', 'not recorded')
    """
    return text[:SHORT_HASH] + "…" if _SHA256.fullmatch(text) else text


def _models_section(m: ModelDiff) -> Section:
    rows = (("file", m.old_name, m.new_name), *m.training)
    full = tuple(
        (f"{item}, {side}", value)
        for item, *values in rows
        for side, value in zip(("old model", "new model"), values, strict=True)
        if _SHA256.fullmatch(value)
    )
    table = Table(
        (Column("item", "Item"), Column("old", "Old model"), Column("new", "New model")),
        tuple((item, short_hash(old), short_hash(new)) for item, old, new in rows),
        caption="The two model files",
        note=f"Hashes are shortened to their first {SHORT_HASH} digits in the table; their "
        "full values follow."
        if full
        else "",
    )
    blocks: list[Any] = [table]
    if full:
        blocks.append(Facts(full))
    if m.settings:
        blocks.append(
            Table(
                (Column("setting", "Setting"), Column("old", "Old"), Column("new", "New")),
                tuple((s.setting, s.old, s.new) for s in m.settings),
                caption="Settings that changed",
            )
        )
    else:
        blocks.append(
            Paragraph("No setting changed (policy, routing, target, scaling, fitting).", "ok")
        )
    return Section("models", "The two models", tuple(blocks))


def _features_section(m: ModelDiff) -> Section:
    def names(features: Sequence[str]) -> str:
        return ", ".join(f"{f} ({CATALOG[f].label})" for f in features) or "none"

    return Section(
        "features",
        "Features and segments",
        (
            Facts(
                (
                    ("Features added", names(m.features_added)),
                    ("Features removed", names(m.features_removed)),
                    ("Segments added", ", ".join(m.segments_added) or "none"),
                    ("Segments removed", ", ".join(m.segments_removed) or "none"),
                )
            ),
        ),
    )


def _points_section(m: ModelDiff) -> Section:
    changes = m.points_changes
    note = Paragraph(
        "A bin is matched by its label: when a retrain moves a cut point, the old bin is listed "
        "as removed and the new one as added. The JSON holds every bin, unchanged ones too.",
        "note",
    )
    if not changes:
        return Section(
            "points",
            "Points",
            (Paragraph("Every bin of every segment has the same points.", "ok"), note),
        )
    table = Table(
        (
            Column("segment", "Segment"),
            Column("label", "Variable"),
            Column("feature", "Column"),
            Column("bin", "Bin"),
            Column("old", "Old points", "num2"),
            Column("new", "New points", "num2"),
            Column("change", "Change", "signed2"),
            Column("status", "Status"),
        ),
        tuple(
            (p.segment, p.label, p.feature, p.bin_label, p.old, p.new, p.change, p.status)
            for p in changes
        ),
        caption=f"The {len(changes)} bins whose points changed, appeared or disappeared",
    )
    return Section("points", "Points", (table, note))


def _shift_section(s: SelectionDiff) -> Section:
    quantiles = Table(
        (Column("statistic", "Statistic"), Column("shift", "New minus old score", "signed2")),
        tuple((_SHIFT_LABELS.get(k, k), v) for k, v in s.shift.items()),
        caption="Distribution of the score shifts",
    )
    bands = Table(
        (Column("band", "Shift"), Column("n", "Files", "int"), Column("share", "Share", "pct1")),
        tuple((label, n, n / s.n_files) for label, n in s.bands),
        caption="Files by size of shift",
    )
    blocks: list[Any] = [
        Facts(
            (
                ("Population", s.population),
                ("Files scored", _fmt(s.n_files, "int")),
                (
                    "Files whose score changes",
                    f"{_fmt(s.n_changed, 'int')} ({_fmt(s.share_changed, 'pct1')})",
                ),
                ("Rank correlation of the scores (Spearman)", _fmt(s.spearman, "num3")),
            )
        ),
        quantiles,
        bands,
    ]
    if s.scaling_differs:
        blocks.append(
            Paragraph(
                "The two models have different points scalings: their scores are on different "
                "scales, so the shifts mix a change of scale with a change of risk. The "
                "selections below are still comparable (each takes its own top files).",
                "warning",
            )
        )
    return Section("score-shifts", "Score shifts", tuple(blocks))


def _selection_section(s: SelectionDiff) -> Section:
    overlap = s.kept / s.budget if s.budget else math.nan
    return Section(
        "selection",
        "Selections",
        (
            Paragraph(
                f"Each model selects its top {_fmt(s.budget, 'int')} files as 'dmde select' "
                f"does (ties broken by the keyed hash of the file number, seed {s.seed})."
            ),
            Facts(
                (
                    ("Selected by the old model", _fmt(s.selected_old, "int")),
                    ("Selected by the new model", _fmt(s.selected_new, "int")),
                    ("Selected by both", f"{_fmt(s.kept, 'int')} ({_fmt(overlap, 'pct1')})"),
                    ("Entering (new model only)", _fmt(s.entering, "int")),
                    ("Leaving (old model only)", _fmt(s.leaving, "int")),
                )
            ),
        ),
    )


def _groups_section(s: SelectionDiff) -> Section:
    blocks: list[Any] = []
    if s.groups:
        blocks.append(
            Table(
                (
                    Column("attribute", "Attribute"),
                    Column("group", "Group"),
                    Column("population_share", "Share of files", "pct1"),
                    Column("old", "Old selection", "int"),
                    Column("old_share", "Old share", "pct1"),
                    Column("new", "New selection", "int"),
                    Column("new_share", "New share", "pct1"),
                    Column("change", "Change (percentage points)", "signed2"),
                    Column("entering", "Entering", "int"),
                    Column("leaving", "Leaving", "int"),
                ),
                tuple(
                    (
                        g.attribute,
                        g.group,
                        g.population_share,
                        g.old,
                        g.old_share,
                        g.new,
                        g.new_share,
                        100 * g.change,
                        g.entering,
                        g.leaving,
                    )
                    for g in s.groups
                ),
                caption="Composition of both selections by the audit's groups",
                note="Counts of files; no interval is given: both selections are of the same "
                "population, and the audit of each model gives its groups' uncertainty.",
            )
        )
    else:
        blocks.append(Paragraph("The population has none of the group columns.", "warning"))
    if s.missing_groups:
        blocks.append(
            Paragraph(
                "Not compared, the population lacking their column: "
                + ", ".join(f"{a} ({source_of(a)})" for a in s.missing_groups)
                + ".",
                "note",
            )
        )
    return Section("groups", "Who is selected", tuple(blocks))


def comparison_document(comparison: Comparison) -> Document:
    """The comparison for the ethics committee: summary, models, points, shifts, groups."""
    m = comparison.models
    sections = [
        Section("summary", "Summary", (Items(_summary_items(comparison)),)),
        _models_section(m),
        _features_section(m),
        _points_section(m),
    ]
    s = comparison.selection
    if s is None:
        sections.append(
            Section(
                "selection",
                "Selections",
                (
                    Paragraph(
                        "No population was given: the score shifts and the selections are not "
                        "compared. Pass --population and --budget.",
                        "note",
                    ),
                ),
            )
        )
    else:
        sections += [_shift_section(s), _selection_section(s), _groups_section(s)]
    return Document(
        kind="model-diff",
        title="What changed between two versions of the model",
        subtitle=f"{m.old_name} (old) and {m.new_name} (new)",
        sections=tuple(sections),
        meta=(
            ("Old model", f"{m.old_name} (sha256 {m.old_sha256})"),
            ("New model", f"{m.new_name} (sha256 {m.new_sha256})"),
        ),
        data=comparison.to_dict(),
    )
