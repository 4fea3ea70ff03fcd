"""What a fitted scorecard shows as the last line of a notebook cell: its HTML representation.

A :class:`~dmde.model.scorecard.Scorecard` shows its points table feature by feature (each bin's
label, points, share of the training weight and event rate), the policy it was fitted under with
the excluded families and why, and its training summary with the coefficients; a
:class:`~dmde.model.scorecard.ScorecardFamily` shows the same for each segment; a
:class:`~dmde.model.periods.PeriodScorecards` shows its window rule, each period's weight by month
scored, and the same for each period (:mod:`dmde.model.periods` attaches it). An unfitted
model shows scikit-learn's own diagram. Jupyter asks for ``_repr_mimebundle_`` first, so both it
and ``_repr_html_`` are given (:mod:`dmde.model.scorecard` attaches them to the classes).

The HTML is plain tables in ``<details>`` blocks, with no script and no style sheet, every text
escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from dmde.data.catalog import DEFAULT_POLICY, EXCLUDED_FAMILIES, NON_FEATURE_FAMILIES, Family

__all__ = ["family_html", "mimebundle", "periods_html", "scorecard_html"]


def _fitted(model: Any) -> bool:
    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    return True


def _unfitted(model: Any) -> str:
    from sklearn.utils import estimator_html_repr

    return str(estimator_html_repr(model))


def _number(value: float, form: str) -> str:
    return "" if pd.isna(value) else format(value, form)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _details(summary: str, content: str, *, open_: bool = False) -> str:
    state = " open" if open_ else ""
    return f"<details{state}><summary>{summary}</summary>{content}</details>"


def _points(model: Any) -> str:
    """One table per feature: bin label, points, share of the training weight, event rate."""
    table = model.points_table()
    decimals = model.scaling_.decimals
    blocks = [f"<p>Intercept: every file gets {model.intercept_points_:.{decimals}f} points.</p>"]
    for feature, rows in table[table["feature"] != "intercept"].groupby("feature", sort=False):
        total = rows["count"].sum()
        lines = [
            [
                str(r.bin_label),
                _number(r.points + 0.0, f".{decimals}f"),
                _number(r.count / total if total > 0 else np.nan, ".1%"),
                _number(r.event_rate, ".1%"),
            ]
            for r in rows.itertuples()
        ]
        label = str(rows["label"].iloc[0])
        spread = rows["points"].max() - rows["points"].min()
        title = f"<code>{escape(str(feature))}</code> ({escape(label)}): spread {spread:.1f} points"
        blocks.append(
            _details(title, _table(["bin", "points", "share", "event rate"], lines), open_=False)
        )
    return "".join(blocks)


def _policy(model: Any) -> str:
    """The policy's name, the features it admits, and the excluded families with the reasons."""
    policy = getattr(model, "policy", None) or DEFAULT_POLICY
    reasons = {**NON_FEATURE_FAMILIES, **EXCLUDED_FAMILIES}
    families = [
        [family.value, reasons.get(family, f"this policy ({policy.name}) does not allow it")]
        for family in sorted(Family, key=lambda f: f.value)
        if family not in policy.allowed_families
    ]
    removed = ", ".join(policy.removed_columns) or "none"
    intro = (
        f"<p>Policy <b>{escape(policy.name)}</b>: {len(policy.features)} admitted columns; "
        f"columns removed: {escape(removed)}. The model cannot read a column of these "
        "families:</p>"
    )
    return intro + _table(["family", "why it is not a feature"], families)


def _training(model: Any) -> str:
    """Rows, events, base rate, and the coefficients with their standard errors."""
    t = model.training_
    facts = (
        f"<p>Trained on {t.rows:,} rows ({t.events:,} with the target), weighted base rate "
        f"{t.weighted_base_rate:.2%}, sum of weights {t.sum_of_weights:,.0f}.</p>"
    )
    coefficients = model.coefficient_table()
    rows = [
        [
            str(r.term),
            _number(r.coefficient, ".3f"),
            _number(r.std_error, ".3f"),
            _number(r.iv, ".3f"),
        ]
        for r in coefficients.itertuples()
    ]
    return facts + _table(["term", "coefficient", "standard error", "IV"], rows)


def _one(model: Any) -> str:
    features = ", ".join(model.features_)
    return (
        f"<p>{len(model.features_)} features: {escape(features)}.</p>"
        + _details("<b>Points per feature</b>", _points(model), open_=True)
        + _details("<b>Training summary</b>", _training(model))
    )


def scorecard_html(model: Any) -> str:
    """The HTML a notebook shows for a :class:`~dmde.model.scorecard.Scorecard`.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.scorecard import Scorecard
    >>> rows = synthesize(3_000, seed=3, controls=1_500).query("controlled == 1")
    >>> html = Scorecard(features=["n_children"]).fit(rows, rows["target"])._repr_html_()
    >>> "Points per feature" in html and "sensitive" in html
    True
    """
    if not _fitted(model):
        return _unfitted(model)
    head = "<p><b>Scorecard</b> (dmde): score = intercept + points of each feature's bin.</p>"
    body = _one(model) + _details("<b>Policy and excluded families</b>", _policy(model))
    return f'<div class="dmde-model">{head}{body}</div>'


def family_html(model: Any) -> str:
    """The HTML a notebook shows for a :class:`~dmde.model.scorecard.ScorecardFamily`.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.scorecard import Scorecard, ScorecardFamily
    >>> rows = synthesize(3_000, seed=3, controls=1_500).query("controlled == 1")
    >>> family = ScorecardFamily(scorecard=Scorecard(features=["n_children"]))
    >>> html = family.fit(rows, rows["target"])._repr_html_()
    >>> "Segment income_reporting = declarative" in html
    True
    """
    if not _fitted(model):
        return _unfitted(model)
    column = escape(model.segment_column)
    head = (
        f"<p><b>ScorecardFamily</b> (dmde): one scorecard per value of <code>{column}</code> "
        f"({len(model.segments_)} segments), {len(model.features_)} features in all.</p>"
    )
    segments = "".join(
        _details(f"<b>Segment {column} = {escape(name)}</b>", _one(card), open_=i == 0)
        for i, (name, card) in enumerate(model.models_.items())
    )
    first = next(iter(model.models_.values()))
    policy = _details("<b>Policy and excluded families</b>", _policy(first))
    return f'<div class="dmde-model">{head}{segments}{policy}</div>'


def _month_number(text: str) -> int:
    year, month = text.split("-")
    return 12 * int(year) + int(month) - 1


def _month_text(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def periods_html(model: Any) -> str:
    """The HTML a notebook shows for a :class:`~dmde.model.periods.PeriodScorecards`: the
    window rule, a table of each period's weight by month, and each period's scorecard.

    Examples
    --------
    >>> from dmde.model.periods import PeriodScorecards
    >>> from dmde.model.scorecard import Scorecard
    >>> from dmde.data.synthetic import synthesize
    >>> rows = synthesize(4_000, seed=3, controls=2_000).query("controlled == 1").copy()
    >>> rows["snapshot_month"] = ["2024-06", "2025-09"] * (len(rows) // 2) + ["2025-09"] * (
    ...     len(rows) % 2)
    >>> model = PeriodScorecards(scorecard=Scorecard(features=["n_children"]))
    >>> html = model.fit(rows, rows["target"])._repr_html_()
    >>> "Period before" in html and "Period after" in html and "2027-03" in html
    True
    """
    if not _fitted(model):
        return _unfitted(model)
    reform, window = model.reform_month, int(model.window_months)
    retired = str(model.periods_record()["retired"]["before"])
    as_of = (
        f"Every row is scored as of {escape(model.month)}."
        if model.month is not None
        else f"Each row is scored as of its <code>{escape(model.month_column)}</code>."
    )
    head = (
        f"<p><b>PeriodScorecards</b> (dmde): two scorecards, <i>before</i> and <i>after</i> "
        f"income pre-filling ({escape(reform)}). A check in month M looks back over the "
        f"{window} months M&minus;{window} to M&minus;1; each item's points are the two "
        "scorecards' points weighted by the share of those months in each period "
        f"(month-weighted log-odds), so the <i>before</i> scorecard weighs nothing from "
        f"{escape(retired)}. {as_of}</p>"
    )
    start = _month_number(reform)
    months = sorted({start, start + window // 4, start + window // 2, start + 3 * window // 4})
    shown = [_month_text(m) for m in months] + [retired]
    if model.month is not None and model.month not in shown:
        shown = sorted([*shown, model.month])
    rows = []
    for month in shown:
        weights = model.weights(month)
        rows.append(
            [month, f"{weights.first} to {weights.last}"]
            + [f"{weights.months[p]}/{weights.window}" for p in model.periods_]
        )
    table = _table(["month scored", "window", *model.periods_], rows)
    weights_block = _details("<b>Weights by month scored</b>", table, open_=True)
    trained = getattr(model, "trained_months_", {})
    periods = "".join(
        _details(
            f"<b>Period {escape(name)}</b> (trained on {escape(' to '.join(trained[name]))})"
            if name in trained
            else f"<b>Period {escape(name)}</b>",
            _one(card),
            open_=i == 0,
        )
        for i, (name, card) in enumerate(model.models_.items())
    )
    first = next(iter(model.models_.values()))
    policy = _details("<b>Policy and excluded families</b>", _policy(first))
    return f'<div class="dmde-model">{head}{weights_block}{periods}{policy}</div>'


def mimebundle(model: Any, **kwargs: Any) -> dict[str, str]:
    """Jupyter's representations: the text repr and the HTML above (not scikit-learn's)."""
    return {"text/plain": repr(model), "text/html": model._repr_html_()}
