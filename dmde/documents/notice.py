"""The notice for the person concerned, rendered from an explanation, section by section.

French law gives a person whose file was handled with an algorithm the right to an explanation
(CRPA articles L311-3-1 and R311-3-1-2): the degree and mode of contribution of the algorithm to
the decision; the data processed and their sources; the parameters and their weighting applied
to the person's situation; the operations performed. :func:`notice` turns an
:class:`~dmde.documents.explanation.Explanation` into a
:class:`~dmde.core.rendering.Document` with one section for each, in plain French (``lang="fr"``,
the default) or English, every sentence taken from :mod:`dmde.documents.notice_words`;
:func:`render_notice` and :func:`write_notice` give its text as HTML, Markdown, text or JSON.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dmde._version import __version__
from dmde.core.rendering import (
    Column as TableColumn,
)
from dmde.core.rendering import (
    Document,
    Items,
    Lang,
    Paragraph,
    Section,
    Table,
    format_value,
    to_html,
    to_json,
    to_markdown,
    to_text,
    write_text,
)
from dmde.data.catalog import CATALOG
from dmde.documents.counterfactual import CHANGEABLE
from dmde.documents.explanation import Change, ExplainError, Explanation, Placement
from dmde.documents.notice_words import LEVELS, STRINGS, phrase, singular
from dmde.documents.value_words import (
    capitalised,
    item_label,
    lower_label,
    source_text,
    value_text,
)

__all__ = [
    "NOTICE_FORMATS",
    "format_for",
    "notice",
    "render_notice",
    "require_action",
    "write_notice",
]

#: Formats a notice can be written in, and their file extensions.
NOTICE_FORMATS: Mapping[str, str] = {"html": ".html", "md": ".md", "txt": ".txt", "json": ".json"}


def notice(explanation: Explanation, *, lang: Lang = "fr") -> Document:
    """The notice for the person concerned, as a document (see :mod:`dmde.core.rendering`).

    Parameters
    ----------
    explanation : Explanation
        From :func:`~dmde.documents.explain.explain` or
        :func:`~dmde.documents.explain.explain_file`.
    lang : {"fr", "en"}, default "fr"
        French (the notice sent) or English (a faithful translation, same numbers).
    """
    if lang not in STRINGS:
        raise ExplainError(f"lang must be 'fr' or 'en'; got {lang!r}.")
    e = explanation
    meta = [(phrase(lang, "meta_dossier"), str(e.dossier_id))]
    if e.values.get("caf_code") is not None:
        meta.append((phrase(lang, "meta_caf"), str(e.values["caf_code"])))
    if e.periods is not None:
        meta.append((phrase(lang, "meta_period"), _period_line(e.periods, lang)))
    elif e.segment is not None:
        meta.append((phrase(lang, "meta_segment"), LEVELS[lang].get(e.segment, e.segment)))
    meta.append((phrase(lang, "meta_model"), e.model_sha256 or phrase(lang, "meta_unsaved")))
    meta.append((phrase(lang, "meta_version"), f"dmde {__version__}"))
    sections = (
        _section_what(lang),
        _section_selection(e, lang),
        _section_data(e, lang),
        _section_points(e, lang),
        _section_weighed(e, lang),
        _section_change(e, lang),
        _section_never(e, lang),
        _section_operations(e, lang),
        _section_contest(lang),
    )
    return Document(
        kind="notice",
        title=phrase(lang, "title"),
        subtitle=phrase(lang, "subtitle", dossier=e.dossier_id),
        sections=sections,
        lang=lang,
        meta=tuple(meta),
        data=e.to_dict(),
    )


def _target(lang: Lang) -> str:
    return CATALOG["target"].label_fr if lang == "fr" else CATALOG["target"].label


def _section_what(lang: Lang) -> Section:
    return Section(
        "what",
        phrase(lang, "s_what"),
        (
            Paragraph(phrase(lang, "what_1", target=_target(lang))),
            Paragraph(phrase(lang, "what_2"), kind="note"),
            Paragraph(phrase(lang, "what_3")),
        ),
    )


def _where(placement: Placement, lang: Lang) -> str:
    if placement.group_column is None:
        return phrase(lang, "where_national")
    if placement.group_column == "caf_code":
        return phrase(lang, "where_caf", group=placement.group)
    return phrase(
        lang, "where_group", label=item_label(placement.group_column, lang), group=placement.group
    )


def _points(value: float, e: Explanation, lang: Lang) -> str:
    return format_value(value, f"num{min(e.decimals, 3)}", lang=lang)


def _points_words(value: float, e: Explanation, lang: Lang, *, signed: bool = False) -> str:
    """A number of points with its noun: "0,44 point", "+31,23 points"."""
    text = format_value(value, "signed2", lang=lang) if signed else _points(value, e, lang)
    return f"{text} {phrase(lang, 'point_one' if singular(value, lang) else 'point_many')}"


def _section_selection(e: Explanation, lang: Lang) -> Section:
    p = e.placement
    blocks: list[Paragraph] = []
    if p is None:
        blocks.append(Paragraph(phrase(lang, "sel_none")))
    else:
        where = _where(p, lang)
        if p.selected and p.reason == "score":

            def count(n: int | None) -> str:
                return (
                    ""
                    if n is None
                    else phrase(lang, "of_count", n=format_value(n, "int", lang=lang))
                )

            blocks.append(
                Paragraph(
                    phrase(
                        lang,
                        # one national group: its rank said once, not twice
                        "sel_score" if p.group_column is not None else "sel_score_national",
                        rank_group=format_value(p.rank_in_group, "int", lang=lang),
                        where=where,
                        of_group=count(p.group_files),
                        rank=format_value(p.rank_national, "int", lang=lang),
                        of_all=count(p.n_files),
                    ),
                    kind="warning",
                )
            )
        elif p.selected:
            blocks.append(Paragraph(phrase(lang, "sel_random"), kind="warning"))
        else:
            blocks.append(Paragraph(phrase(lang, "sel_not"), kind="ok"))
        if p.cut is None:
            blocks.append(Paragraph(phrase(lang, "sel_no_cut", where=where)))
        else:
            cut, score = _points(p.cut, e, lang), _points(e.score, e, lang)
            blocks.append(Paragraph(phrase(lang, "sel_cut", where=where, cut=cut, score=score)))
    return Section("selection", phrase(lang, "s_selection"), tuple(blocks))


def _section_data(e: Explanation, lang: Lang) -> Section:
    items = []
    shown = [*(f.column for f in e.features)]
    if e.segment_column is not None:
        shown.insert(0, e.segment_column)
    for name in shown:
        items.append(
            phrase(
                lang,
                "data_item",
                label=item_label(name, lang),
                value=value_text(name, e.values.get(name), lang=lang),
                source=source_text(name, lang),
            )
        )
    blocks: list[Paragraph | Items] = [Paragraph(phrase(lang, "data_intro")), Items(tuple(items))]
    if e.segment_column is not None:
        blocks.append(Paragraph(phrase(lang, "data_routing"), kind="note"))
    if e.unused_features:
        labels = ", ".join(lower_label(c, lang) for c in e.unused_features)
        blocks.append(Paragraph(phrase(lang, "data_unused", labels=labels), kind="note"))
    return Section("data", phrase(lang, "s_data"), tuple(blocks))


def _section_points(e: Explanation, lang: Lang) -> Section:
    fmt = f"num{min(e.decimals, 3)}"
    columns = (
        TableColumn("item", phrase(lang, "col_item")),
        TableColumn("value", phrase(lang, "col_value")),
        TableColumn("bin", phrase(lang, "col_bin")),
        TableColumn("points", phrase(lang, "col_points"), fmt),
        TableColumn("average", phrase(lang, "col_average"), fmt),
        TableColumn("difference", phrase(lang, "col_difference"), "signed2"),
    )
    rows: list[tuple[str | float | None, ...]] = [
        (phrase(lang, "row_base"), "", "", e.intercept_points, e.intercept_points, 0.0)
    ]
    for f in e.features:
        rows.append(
            (
                item_label(f.column, lang),
                value_text(f.column, f.value, lang=lang),
                f.bin_label(lang),
                f.points,
                f.average_points,
                f.difference,
            )
        )
    average_total = round(
        e.intercept_points + math.fsum(f.average_points for f in e.features), e.decimals
    )
    rows.append(
        (
            phrase(lang, "row_total"),
            "",
            "",
            e.score,
            average_total,
            round(e.score - average_total, e.decimals) + 0.0,
        )
    )
    table = Table(
        columns,
        tuple(rows),
        caption=phrase(lang, "points_caption"),
        note=phrase(lang, "points_note"),
    )
    scaling = e.scaling
    base_probability = float(scaling.probability(scaling.base_points))
    return Section(
        "points",
        phrase(lang, "s_points"),
        (
            Paragraph(phrase(lang, "points_intro")),
            table,
            Paragraph(
                phrase(
                    lang,
                    "points_sum",
                    base=_points(e.intercept_points, e, lang),
                    items=_points_words(e.items_points, e, lang, signed=True),
                    score=_points(e.score, e, lang),
                )
            ),
            Paragraph(
                phrase(
                    lang,
                    "probability",
                    probability=format_value(e.probability, "pct1", lang=lang),
                    target=_target(lang),
                )
            ),
            Paragraph(
                phrase(
                    lang,
                    "scaling",
                    base_points=format_value(scaling.base_points, "num0", lang=lang),
                    base_probability=format_value(base_probability, "pct0", lang=lang),
                    pdo=format_value(scaling.pdo, "num0", lang=lang),
                ),
                kind="note",
            ),
        ),
    )


def _section_weighed(e: Explanation, lang: Lang) -> Section:
    if not e.reasons:
        return Section(
            "weighed", phrase(lang, "s_weighed"), (Paragraph(phrase(lang, "weighed_none")),)
        )
    by_column = {f.column: f for f in e.features}
    items = tuple(
        phrase(
            lang,
            "weighed_item",
            label=item_label(r.column, lang),
            value=value_text(r.column, by_column[r.column].value, lang=lang),
            points=_points_words(r.points, e, lang, signed=True),
            excess=_points_words(r.excess, e, lang),
        )
        for r in e.reasons
    )
    return Section(
        "weighed",
        phrase(lang, "s_weighed"),
        (Paragraph(phrase(lang, "weighed_intro")), Items(items, ordered=True)),
    )


def _change_text(change: Change, lang: Lang) -> str:
    col = CATALOG[change.column]
    new = (
        value_text(change.column, change.new_value, lang=lang)
        if col.dtype in ("category", "flag")
        else change.new_bin_label(lang)
    )
    if change.derived:
        return phrase(lang, "change_derived", label=lower_label(change.column, lang), new=new)
    old = value_text(change.column, change.old_value, lang=lang)
    return phrase(lang, "change_one", label=lower_label(change.column, lang), new=new, old=old)


def _section_change(e: Explanation, lang: Lang) -> Section:
    title = phrase(lang, "s_change")
    status = e.counterfactual_status
    cut = (
        "" if e.placement is None or e.placement.cut is None else _points(e.placement.cut, e, lang)
    )
    if status not in ("found", "none_found"):
        return Section("change", title, (Paragraph(phrase(lang, f"change_{status}")),))
    changeable = ", ".join(lower_label(c, lang) for c in CHANGEABLE)
    blocks: list[Paragraph | Items] = [
        Paragraph(phrase(lang, "change_intro", cut=cut, changeable=changeable))
    ]
    if status == "none_found":
        blocks.append(Paragraph(phrase(lang, "change_none", cut=cut)))
    else:
        items = tuple(
            phrase(
                lang,
                "change_item",
                changes=capitalised(
                    STRINGS[lang]["change_and"].join(_change_text(c, lang) for c in cf.changes)
                ),
                score=_points(cf.score, e, lang),
                drop=_points_words(round(cf.score - e.score, e.decimals), e, lang, signed=True),
            )
            for cf in e.counterfactuals
        )
        blocks += [Items(items), Paragraph(phrase(lang, "change_caveat"), kind="note")]
    return Section("change", title, tuple(blocks))


def _section_never(e: Explanation, lang: Lang) -> Section:
    items = []
    for family, columns in e.excluded.items():
        labels = ", ".join(lower_label(c, lang) for c in columns)
        items.append(phrase(lang, f"never_{family}", labels=labels))
    return Section(
        "never",
        phrase(lang, "s_never"),
        (Paragraph(phrase(lang, "never_intro")), Items(tuple(items))),
    )


def _period_line(periods: Mapping[str, Any], lang: Lang) -> str:
    """ "2024-01 to 2025-12 (24 months): the "before" table for 14 months, ..." """
    months, window = periods["months"], periods["window"]
    span = {"first": periods["first"], "last": periods["last"], "window": window}
    used = [p for p in ("before", "after") if months[p]]
    if len(used) == 1:
        return phrase(lang, "period_one", table=phrase(lang, f"table_{used[0]}"), **span)
    return phrase(lang, "period_two", before=months["before"], after=months["after"], **span)


def _period_step(e: Explanation, periods: Mapping[str, Any], lang: Lang) -> str:
    """How the two tables made the score: the month-weighted average, with its numbers."""
    months, window, scores = periods["months"], periods["window"], periods["scores"]
    common = {"window": window, "month": periods["month"], "reform": periods["reform_month"]}
    used = [p for p in ("before", "after") if months[p]]
    if len(used) == 1:
        table = phrase(lang, f"table_{used[0]}")
        return phrase(lang, "op_period_one", table=table, score=_points(e.score, e, lang), **common)
    weights = ", ".join(f"{phrase(lang, f'table_{p}')} {months[p]}/{window}" for p in used)
    alone = "; ".join(
        phrase(lang, "period_score", table=phrase(lang, f"table_{p}"), score=_points(s, e, lang))
        for p, s in scores.items()
    )
    return phrase(lang, "op_period_two", weights=weights, scores=alone, **common)


def _section_operations(e: Explanation, lang: Lang) -> Section:
    steps = [phrase(lang, "op_read")]
    if e.periods is not None:
        steps.append(_period_step(e, e.periods, lang))
    elif e.segment is not None:
        steps.append(phrase(lang, "op_route", segment=LEVELS[lang].get(e.segment, e.segment)))
    steps += [phrase(lang, "op_bins"), phrase(lang, "op_sum")]
    if e.placement is not None:
        steps += [phrase(lang, "op_rank"), phrase(lang, "op_select")]
    return Section("operations", phrase(lang, "s_operations"), (Items(tuple(steps), ordered=True),))


def _section_contest(lang: Lang) -> Section:
    keys = ("contest_ask", "contest_correct", "contest_cada", "contest_decision", "contest_ddd")
    return Section(
        "contest", phrase(lang, "s_contest"), tuple(Paragraph(phrase(lang, k)) for k in keys)
    )


def render_notice(document: Document, *, format: str = "html") -> str:
    """The notice's text in ``format`` (html, md, txt or json)."""
    if format not in NOTICE_FORMATS:
        raise ExplainError(f"format must be one of {', '.join(NOTICE_FORMATS)}; got {format!r}.")
    if format == "html":
        return to_html(document)
    if format == "md":
        return to_markdown(document)
    if format == "txt":
        return to_text(document)
    return to_json(document)


def format_for(path: str | os.PathLike[str]) -> str:
    """The notice format of a file name: by its extension (``.htm`` too), html without one.

    Examples
    --------
    >>> format_for("notice.md"), format_for("notice")
    ('md', 'html')
    """
    suffix = Path(path).suffix.lower()
    if suffix in ("", ".htm"):
        return "html"
    for name, extension in NOTICE_FORMATS.items():
        if suffix == extension:
            return name
    raise ExplainError(
        f"cannot tell the notice format of {os.fspath(path)!r}: use an extension among "
        f"{', '.join(NOTICE_FORMATS.values())}, or give format."
    )


def write_notice(
    explanation: Explanation,
    path: str | os.PathLike[str],
    *,
    lang: Lang = "fr",
    format: str = "html",
) -> Path:
    """Write one notice to ``path`` (atomically) and return the path.

    Raises
    ------
    ExplainError
        If the file was explained with an outreach selection: its letter is
        :func:`~dmde.documents.outreach_notice.write_outreach_notice`'s.
    """
    require_action(explanation.action, "check")
    target = Path(path)
    write_text(target, render_notice(notice(explanation, lang=lang), format=format))
    return target


def require_action(selected_for: str | None, letter: str, *, where: str = "the selection") -> None:
    """Refuse to write a letter for another action than the one the selection was made for.

    ``selected_for`` is the selection manifest's action (None: no selection, or one trusted
    without its manifest, which say nothing); ``letter`` the letter about to be written: a
    check notice ("check") tells a household its file goes to a check, an outreach letter
    ("outreach") that it may be entitled to more and that the contact is not a check.
    """
    if selected_for is None or selected_for == letter:
        return
    if selected_for == "outreach":
        raise ExplainError(
            f"{where} was made for outreach (dmde select --action outreach): its files are "
            "contacted, not checked, so a check notice would say the opposite. Give the "
            "rights model that scored it (dmde train --target rappel_target)."
        )
    raise ExplainError(
        f"{where} was made for checks (its manifest records no outreach action): its files go "
        "to a check, so an outreach letter ('this contact is not a check') would say the "
        "opposite. Give the check model that scored it, or select for outreach (dmde select "
        "--action outreach) from the rights model's scores."
    )
