"""A file's values and a feature's bins in words, in French or English, with their units.

Levels are translated with :data:`~dmde.documents.notice_words.LEVELS`, units written out with
:data:`~dmde.documents.notice_words.UNITS`; numbers are formatted as the rendering does
(:func:`dmde.core.rendering.format_value`). Also the items' labels and sources as a notice
names them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from dmde.core.rendering import Lang, format_value
from dmde.data.catalog import CATALOG, Column
from dmde.documents.explanation import Value
from dmde.documents.notice_words import LEVELS, SOURCES, STRINGS, UNITS, phrase
from dmde.model.binning import FeatureBinning

__all__ = [
    "EDGE_DECIMALS",
    "MAX_EDGE_DECIMALS",
    "OTHER_EDGE_DECIMALS",
    "bin_text",
    "value_text",
]


#: Decimals of a bin's bounds, by the catalog's unit: euros without cents, Smic ratios to the
#: hundredth, months and years whole. More are kept where these would word two bins alike,
#: leave a bin no possible value, or put the value a notice shows outside the bin it shows.
EDGE_DECIMALS: Mapping[str, int] = {"EUR/month": 0, "EUR": 0, "Smic": 2, "months": 0, "years": 0}

#: Decimals of the bounds of a number without a unit (a coefficient of variation, say).
OTHER_EDGE_DECIMALS = 2

#: The most decimals a bound is rounded to; past these, bounds are written as the model holds
#: them.
MAX_EDGE_DECIMALS = 6


def _exact(value: float, lang: Lang) -> str:
    """A bin edge as the model holds it (6 significant digits), thousands grouped."""
    text = f"{value:.6g}"
    if "e" in text:
        text = np.format_float_positional(value, trim="-")
    decimals = len(text.partition(".")[2])
    if decimals <= 3:
        return format_value(value, f"num{decimals}", lang=lang)
    return text.replace(".", ",") if lang == "fr" else text


def _edge_texts(
    binning: FeatureBinning, b: int, col: Column | None, value: Value, lang: Lang
) -> list[str]:
    """The feature's edges in words, each rounded as :data:`EDGE_DECIMALS` says, with more
    decimals for an edge only where fewer would not do (see there)."""
    edges = binning.edges
    first = OTHER_EDGE_DECIMALS if col is None else EDGE_DECIMALS.get(col.unit, OTHER_EDGE_DECIMALS)
    steps = (first, *range(max(first + 1, 2), MAX_EDGE_DECIMALS + 1))  # euros, then cents
    level = [0] * len(edges)
    while True:
        rounded = [_rounded(e, steps[k]) for e, k in zip(edges, level, strict=True)]
        unclear = _unclear(edges, rounded, b, col, value)
        if not unclear:
            return [
                format_value(r, f"num{steps[k]}", lang=lang)
                for r, k in zip(rounded, level, strict=True)
            ]
        if any(level[i] == len(steps) - 1 for i in unclear):
            return [_exact(e, lang) for e in edges]
        for i in unclear:
            level[i] += 1


def _rounded(value: float, decimals: int) -> float:
    """``value`` to ``decimals`` decimals, a half up: an edge the binning put halfway between
    two values of the data (12.645 between 12.64 and 12.65) is worded as the higher one, the
    first value of the bin above it."""
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def _unclear(
    edges: tuple[float, ...], rounded: list[float], b: int, col: Column | None, value: Value
) -> set[int]:
    """The edges to word with more decimals: two that would word two bins alike, a first or
    last one that would leave its bin no possible value, and those of bin ``b`` if it would
    not hold ``value`` as :func:`value_text` shows it."""
    unclear = {
        i + j
        for i, (low, high) in enumerate(itertools.pairwise(rounded))
        if high <= low
        for j in (0, 1)
    }
    low_bound = -math.inf if col is None or col.minimum is None else col.minimum
    high_bound = math.inf if col is None or col.maximum is None else col.maximum
    if edges[0] > low_bound >= rounded[0]:  # a first bin "less than 0 EUR"
        unclear.add(0)
    if edges[-1] <= high_bound < rounded[-1]:  # a last bin past the maximum
        unclear.add(len(edges) - 1)
    if isinstance(value, int | float) and not isinstance(value, bool):
        integer = col is not None and col.dtype == "int"
        shown = float(round(value)) if integer else round(value, _value_decimals(value))
        if b > 0 and shown < rounded[b - 1]:
            unclear.add(b - 1)
        if b < len(rounded) and shown >= rounded[b]:
            unclear.add(b)
    return unclear


def _with_unit(text: str, col: Column, lang: Lang) -> str:
    unit = UNITS[lang].get(col.unit, col.unit)
    return f"{text} {unit}" if unit else text


def value_text(column: str, value: Value, *, lang: Lang = "fr") -> str:
    """A file's value of ``column`` in words (levels translated, units written out).

    Examples
    --------
    >>> value_text("household_type", "lone_parent")
    'parent isolé'
    >>> value_text("mean_rsa_12m", 1612.5, lang="en")
    '1,612.50 EUR a month'
    >>> value_text("zero_income", 1)
    'oui'
    >>> value_text("income_to_smic", 0.3), value_text("income_to_smic", 0.055)
    ('0,30 Smic', '0,055 Smic')
    """
    col = CATALOG[column]
    if value is None:
        return phrase(lang, "missing")
    if col.dtype == "category":
        return LEVELS[lang].get(str(value), str(value))
    if col.dtype == "string":
        return str(value)
    if col.dtype == "flag":
        return phrase(lang, "yes" if value else "no")
    fmt = "int" if col.dtype == "int" else f"num{_value_decimals(float(value))}"
    return _with_unit(format_value(value, fmt, lang=lang), col, lang)


def _value_decimals(value: float) -> int:
    """Decimals that show a file's value as the file holds it (6 significant digits), at least
    2: 0.30, 1,035.01, 0.055 (not 0.06, which could read as outside the value's bin)."""
    text = np.format_float_positional(float(f"{value:.6g}"), trim="-")
    return min(max(2, len(text.partition(".")[2])), MAX_EDGE_DECIMALS)


def bin_text(binning: FeatureBinning, b: int, *, lang: Lang = "fr", value: Value = None) -> str:
    """Bin ``b`` of a feature in words, with the catalog's unit and levels translated.

    Bounds learned by the binning are rounded for a reader (:data:`EDGE_DECIMALS`: euros
    without cents, Smic ratios to the hundredth), with more decimals where fewer would word two
    bins alike or, given the ``value`` a notice shows in bin ``b``, word the bin without it.

    Examples
    --------
    >>> b = FeatureBinning(name="income_to_smic", kind="numeric", edges=(0.5, 1.2),
    ...                    woe=(0.4, 0.0, -0.3, 0.1), count=(30.0, 40.0, 30.0, 5.0),
    ...                    events=(6.0, 5.0, 2.0, 1.0))
    >>> [bin_text(b, i) for i in range(4)]
    ['moins de 0,50 Smic', 'de 0,50 à moins de 1,20 Smic', '1,20 Smic ou plus', 'non renseigné']
    >>> bin_text(b, 1, lang="en")
    '0.50 to less than 1.20 Smic'
    >>> money = FeatureBinning(name="mean_rsa_12m", kind="numeric", edges=(12.645,),
    ...                        woe=(0.1, 0.0, 0.0), count=(1.0, 1.0, 0.0),
    ...                        events=(1.0, 1.0, 0.0))
    >>> bin_text(money, 1, lang="en"), bin_text(money, 1, lang="en", value=12.7)
    ('13 EUR a month or more', '12.65 EUR a month or more')
    """
    col = CATALOG.get(binning.name)
    if b == binning.missing_bin:
        return phrase(lang, "missing")
    if binning.kind == "categorical":
        return STRINGS[lang]["or"].join(LEVELS[lang].get(v, v) for v in binning.groups[b])
    if not binning.edges:
        return phrase(lang, "all_values")
    ranges = _integer_ranges(binning, col) if binning.integer_valued else None
    if ranges is not None:
        low, high = ranges[b]
        if col is not None and col.dtype == "flag" and low == high:
            return phrase(lang, "yes" if low else "no")
        if low == high:
            text = str(low)
        elif low is None:
            text = phrase(lang, "int_less", high=high)
        elif high is None:
            text = phrase(lang, "int_more", low=low)
        else:
            text = phrase(lang, "int_between", low=low, high=high)
    else:
        edges = _edge_texts(binning, b, col, value, lang)
        if b == 0:
            text = phrase(lang, "num_less", high=edges[0])
        elif b == len(edges):
            text = phrase(lang, "num_more", low=edges[-1])
        else:
            text = phrase(lang, "num_between", low=edges[b - 1], high=edges[b])
    return text if col is None else _unit_in(text, col, lang)


def _unit_in(text: str, col: Column, lang: Lang) -> str:
    """The unit after the last number of a bin's words ("1,2 Smic ou plus")."""
    unit = UNITS[lang].get(col.unit, col.unit)
    if not unit:
        return text
    match = list(re.finditer(r"[0-9][0-9.,]*", text))[-1]
    return f"{text[: match.end()]} {unit}{text[match.end() :]}"


def _integer_ranges(
    binning: FeatureBinning, col: Column | None
) -> list[tuple[int | None, int | None]] | None:
    """Integer (low, high) of each value bin (read as :func:`dmde.model.scorecard.bin_labels`)."""
    firsts = [math.ceil(e) for e in binning.edges]
    if any(high <= low for low, high in itertools.pairwise(firsts)):
        return None
    lows: list[int | None] = [None, *firsts]
    highs: list[int | None] = [*(f - 1 for f in firsts), None]
    if col is not None and col.minimum is not None and math.ceil(col.minimum) <= firsts[0] - 1:
        lows[0] = math.ceil(col.minimum)
    if col is not None and col.maximum is not None and math.ceil(col.maximum) == firsts[-1]:
        highs[-1] = math.ceil(col.maximum)
    return list(zip(lows, highs, strict=True))


def lower_label(column: str, lang: Lang) -> str:
    col = CATALOG[column]
    return col.label_fr if lang == "fr" else col.label


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def item_label(column: str, lang: Lang) -> str:
    return capitalised(lower_label(column, lang))


def source_text(column: str, lang: Lang) -> str:
    source = CATALOG[column].source
    return SOURCES[lang].get(source, source)
