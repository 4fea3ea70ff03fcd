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

Other modules of the audit (proxies of excluded attributes, archetype profiles) live beside it in
this subpackage and are imported from their own modules.
"""

from __future__ import annotations

from dmde.audit.metrics import (
    CORRECTIONS,
    DISPARITY_METRICS,
    METRIC_DEFINITIONS,
    AuditError,
    GroupAudit,
    audit_groups,
)

__all__ = [
    "CORRECTIONS",
    "DISPARITY_METRICS",
    "METRIC_DEFINITIONS",
    "AuditError",
    "GroupAudit",
    "audit_groups",
]
