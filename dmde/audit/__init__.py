"""The audit: who gets selected for a check, how fairly, and with what certainty.

An agency scores every household file, ranks the files and checks the highest scores within a
budget. The ethics committee does not ask whether the model is accurate on average; it asks
whether some groups (women, non-EU nationals, young people, lone parents, AAH recipients, rural
households, and their intersections) are selected more often, burdened by more fruitless checks,
or ranked less accurately than others, and whether the differences seen are larger than chance.

The attributes that define those groups (the *sensitive*, *address*, *behaviour* and
*control-history* families of the catalog) are never model inputs: they arrive only here, passed
separately from the scores, keyword-only, as in fairlearn.

:mod:`dmde.audit.metrics` computes, for each group and each pairwise intersection, the selection
metrics (population share, share among the selected, selection rate, mean score and probability)
and, with labels, the error metrics (base rate, precision, TPR, FPR, FNR, false-positive burden,
calibration gap, AUC), each with a confidence interval, suppressed under a minimum cell size; it
compares each group with a reference group (ratio and difference, with intervals) and tests the
differences with a correction for multiple comparisons. The bootstrap resamples cells of counts
and sums rather than rows, which makes a national-scale audit take seconds. Results are data
(:class:`GroupAudit`, tidy DataFrames); the report renders them.

:mod:`dmde.audit.targeting` builds the group attributes (with zero income as its own income band)
and compares selection by the score with the random checks; :mod:`dmde.audit.proxies` measures
how much of each attribute the model's features carry, splits score gaps into the points of each
feature and proves that excluded columns do not move the scores; :mod:`dmde.audit.profiles`
scores archetype households and one change at a time; :mod:`dmde.audit.plots` draws the
figures from the result tables. :func:`audit` (:mod:`dmde.audit.run`) runs every part at once and
:func:`write_report` (:mod:`dmde.audit.report`) writes the committee's report (HTML, Markdown,
JSON). The statistical options travel as one validated :class:`AuditSettings`
(:mod:`dmde.audit.settings`); :mod:`dmde.audit.metricframe` computes extra fairlearn-style
metrics per group and gives the result as a fairlearn ``MetricFrame``.
"""

from __future__ import annotations

from dmde.audit.metric_definitions import DISPARITY_METRICS, METRIC_DEFINITIONS
from dmde.audit.metrics import GroupAudit, audit_groups
from dmde.audit.profiles import profile_changes, score_profiles
from dmde.audit.proxies import exclusion_proof, feature_association, proxy_strength, score_gap
from dmde.audit.report import build_report, write_report
from dmde.audit.result import AuditResult
from dmde.audit.run import audit
from dmde.audit.settings import (
    CORRECTIONS,
    AuditError,
    AuditOptionError,
    AuditParameterError,
    AuditSettings,
    AuditSettingsError,
)
from dmde.audit.targeting import group_columns, selection_vs_random

__all__ = [
    "CORRECTIONS",
    "DISPARITY_METRICS",
    "METRIC_DEFINITIONS",
    "AuditError",
    "AuditOptionError",
    "AuditParameterError",
    "AuditResult",
    "AuditSettings",
    "AuditSettingsError",
    "GroupAudit",
    "audit",
    "audit_groups",
    "build_report",
    "exclusion_proof",
    "feature_association",
    "group_columns",
    "profile_changes",
    "proxy_strength",
    "score_gap",
    "score_profiles",
    "selection_vs_random",
    "write_report",
]
