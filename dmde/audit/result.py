"""The result of an audit, as data: :class:`AuditResult`.

Every table and figure of the report is computed from it; :meth:`AuditResult.to_metricframe`
gives its point estimates as a fairlearn ``MetricFrame``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import pandas as pd

from dmde.audit.metricframe import (
    MetricInputs,
    metric_frame,
)
from dmde.audit.metrics import GroupAudit
from dmde.audit.settings import AuditError

__all__ = ["AuditResult"]

#: The columns of the findings a notebook shows (the report has them all).
_SHOWN_FINDINGS = (
    "finding",
    "verdict",
    "attribute",
    "group",
    "reference",
    "metric",
    "value",
    "reference_value",
    "p_adjusted",
)


@dataclass(frozen=True)
class AuditResult:
    """Everything the report shows, as data (tables and JSON-ready dicts).

    Attributes
    ----------
    groups : GroupAudit
        Metrics, disparities (one correction over all), score deciles, calibration, method.
    overall : DataFrame
        The same metrics for all files together (attribute ``"all"``), with intervals.
    flags : DataFrame
        The flagged disparities with a plain-words ``sentence``; strongest evidence first.
    findings : DataFrame
        The verdicts, ranked (:func:`dmde.audit.findings.findings`): what the report opens with.
    hit_rates : DataFrame
        The share of checks that found something, by selection method (empty without labels).
    targeting : DataFrame or None
        Selection by the score against random checks (None without a random sample).
    proxies, associations, gaps : DataFrame or None
        Proxy strength, Cramér's V per feature, mean-score gap decomposition (model only).
    exclusion : dict or None
        The exclusion proof (model only).
    profiles, changes : DataFrame or None
        Archetype households and one change at a time (model only).
    model : dict or None
        Identity of the model: sha256, policy, features, excluded families, points table.
    data : dict
        Rows, selected (by method), labels and their source, weights, sample sizes.
    parameters : dict
        The parameters of the audit, as given.
    extra_metrics : DataFrame or None
        The extra metrics (fairlearn-style functions) per group: attribute, group, metric,
        value, n, suppressed (:func:`dmde.audit.metricframe.extra_metric_table`); None when
        none were asked for.
    """

    groups: GroupAudit
    overall: pd.DataFrame
    flags: pd.DataFrame
    findings: pd.DataFrame
    hit_rates: pd.DataFrame
    targeting: pd.DataFrame | None
    proxies: pd.DataFrame | None
    associations: pd.DataFrame | None
    gaps: pd.DataFrame | None
    exclusion: dict[str, Any] | None
    profiles: pd.DataFrame | None
    changes: pd.DataFrame | None
    model: dict[str, Any] | None
    data: dict[str, Any]
    parameters: dict[str, Any]
    extra_metrics: pd.DataFrame | None = None
    metric_inputs: MetricInputs | None = field(default=None, repr=False, compare=False)

    def to_metricframe(self, attributes: str | Sequence[str] | None = None) -> Any:
        """The point estimates per group as a ``fairlearn.metrics.MetricFrame``.

        Metrics: ``selection_rate`` and, with labels, ``base_rate`` (the overpayment rate),
        weighted as in the audit (so ``by_group`` equals the values of
        ``groups.metrics``), and the extra metrics given to :func:`~dmde.audit.run.audit`.

        Parameters
        ----------
        attributes : str or sequence of str, optional
            The attribute(s) used as sensitive features; several give their intersections.
            Default: every attribute of the audit.

        Returns
        -------
        fairlearn.metrics.MetricFrame

        Raises
        ------
        AuditError
            If an attribute is not one of the audit's, or the result was not made by
            :func:`~dmde.audit.run.audit`.
        """
        if self.metric_inputs is None:
            raise AuditError(
                "this result holds no rows to build a MetricFrame from: make it with audit()."
            )
        return metric_frame(self.metric_inputs, attributes)

    def _repr_html_(self) -> str:
        """What a notebook shows: the findings first, then the flags in words, then the sizes.

        Examples
        --------
        >>> import pandas as pd
        >>> empty = AuditResult(None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
        ...     pd.DataFrame(), None, None, None, None, None, None, None, None,
        ...     {"rows": 10, "selected_by_score": 2}, {})
        >>> print(empty._repr_html_())  # doctest: +NORMALIZE_WHITESPACE
        <div class="dmde-audit"><p><b>Audit</b>: 10 files, 2 selected by the score.</p>
        <h4>Findings</h4><p>No finding.</p><h4>Flags</h4><p>No disparity flagged.</p></div>
        """
        rows, selected = self.data.get("rows"), self.data.get("selected_by_score")
        head = "<p><b>Audit</b>"
        if isinstance(rows, int):
            head += f": {rows:,} files"
            head += f", {selected:,} selected by the score" if isinstance(selected, int) else ""
        head += ".</p>"
        shown = [c for c in _SHOWN_FINDINGS if c in self.findings.columns]
        findings = (
            self.findings[shown].to_html(index=False, float_format=lambda v: f"{v:.3g}")
            if len(self.findings)
            else "<p>No finding.</p>"
        )
        if len(self.flags) and "sentence" in self.flags.columns:
            items = "".join(f"<li>{escape(str(s))}</li>" for s in self.flags["sentence"])
            flags = f"<ol>{items}</ol>"
        else:
            flags = "<p>No disparity flagged.</p>"
        return (
            f'<div class="dmde-audit">{head}\n<h4>Findings</h4>{findings}<h4>Flags</h4>{flags}'
            "</div>"
        )
