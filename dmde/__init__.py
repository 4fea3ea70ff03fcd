"""dmde: transparent, auditable risk scoring of benefit files.

dmde does on synthetic data what a family-benefits agency's control-targeting model does: it scores
each household file for the risk of an overpayment, ranks the files, selects the highest scores for
a check within a budget, and audits who gets selected. The model cannot read excluded columns
(sensitive, address, behaviour, control history): the :mod:`dmde.data.catalog` declares every column
with its family, and a :class:`FeaturePolicy` enforces what may feed a model.

Its folders are its layers, lowest first (a module imports only from lower layers):
:mod:`dmde.core` (errors, atomic writing, statistics, rendering); :mod:`dmde.data` (the catalog
and policy, reading and validating files, the synthetic population); :mod:`dmde.model` (WoE
binning, points scaling, the scorecard and its family, the JSON model file, training);
:mod:`dmde.batch` (batch scoring, ranking and budgeted selection); :mod:`dmde.audit` (the
fairness audit and the ethics committee's report); :mod:`dmde.documents` (the notice for the
person concerned, the model's public description, the comparison of two models); then
:mod:`dmde.demo` (the whole chain at once) and :mod:`dmde.cli` (the ``dmde`` command).

Importing :mod:`dmde` is cheap: each public name below is imported from its module the first
time it is used (so ``dmde --help`` and ``dmde score`` do not load the audit or matplotlib).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dmde._version import __version__

if TYPE_CHECKING:  # the names, for type checkers and readers
    from dmde.audit import AuditError, AuditResult, GroupAudit, audit_groups
    from dmde.batch.scoring import ScoringResult, score_file, score_frame
    from dmde.batch.selection import (
        Selection,
        SelectionError,
        read_quotas,
        select,
        select_file,
        select_top,
    )
    from dmde.core.errors import DmdeError, PolicyError, SchemaError
    from dmde.data.catalog import (
        CATALOG,
        DEFAULT_POLICY,
        Column,
        Family,
        FeaturePolicy,
        column,
        columns_of,
    )
    from dmde.data.datasets import (
        Problem,
        ValidationReport,
        arrow_schema,
        iter_batches,
        read_dataset,
        validate_file,
        write_batches,
    )
    from dmde.data.synthetic import (
        SCENARIOS,
        Scenario,
        generate_population,
        synthesize,
        write_population,
    )
    from dmde.data.synthetic_panel import generate_panel, write_panel
    from dmde.demo import run_demo
    from dmde.documents.compare import CompareError, Comparison, diff, diff_files
    from dmde.documents.describe import (
        DescribeError,
        ModelDescription,
        describe_model,
        document_model,
    )
    from dmde.documents.explain import (
        ExplainError,
        Explanation,
        SelectionTable,
        explain_file,
        notice,
        read_selection,
        write_notices,
    )
    from dmde.documents.readers import AuditReport, ScoresFile, read_audit, read_scores
    from dmde.model.binning import FeatureBinning, WoEBinning
    from dmde.model.evaluation import Evaluation, evaluate
    from dmde.model.model_file import ModelFileError, load_model, save_model
    from dmde.model.periods import PeriodScorecards
    from dmde.model.scaling import PointsScaling
    from dmde.model.scorecard import Scorecard, ScorecardFamily
    from dmde.model.signature_file import SignatureError
    from dmde.model.signing import generate_key_pair, sign_model, verify_model
    from dmde.model.training import training_data

# Where each public name lives: imported on first use (PEP 562).
_PUBLIC = {
    "AuditError": "dmde.audit",
    "AuditResult": "dmde.audit",
    "GroupAudit": "dmde.audit",
    "audit_groups": "dmde.audit",
    "ScoringResult": "dmde.batch.scoring",
    "score_file": "dmde.batch.scoring",
    "score_frame": "dmde.batch.scoring",
    "Selection": "dmde.batch.selection",
    "SelectionError": "dmde.batch.selection",
    "read_quotas": "dmde.batch.selection",
    "select": "dmde.batch.selection",
    "select_file": "dmde.batch.selection",
    "select_top": "dmde.batch.selection",
    "DmdeError": "dmde.core.errors",
    "PolicyError": "dmde.core.errors",
    "SchemaError": "dmde.core.errors",
    "CATALOG": "dmde.data.catalog",
    "DEFAULT_POLICY": "dmde.data.catalog",
    "Column": "dmde.data.catalog",
    "Family": "dmde.data.catalog",
    "FeaturePolicy": "dmde.data.catalog",
    "column": "dmde.data.catalog",
    "columns_of": "dmde.data.catalog",
    "Problem": "dmde.data.datasets",
    "ValidationReport": "dmde.data.datasets",
    "arrow_schema": "dmde.data.datasets",
    "iter_batches": "dmde.data.datasets",
    "read_dataset": "dmde.data.datasets",
    "validate_file": "dmde.data.datasets",
    "write_batches": "dmde.data.datasets",
    "SCENARIOS": "dmde.data.synthetic",
    "Scenario": "dmde.data.synthetic",
    "generate_population": "dmde.data.synthetic",
    "synthesize": "dmde.data.synthetic",
    "generate_panel": "dmde.data.synthetic_panel",
    "write_panel": "dmde.data.synthetic_panel",
    "write_population": "dmde.data.synthetic",
    "run_demo": "dmde.demo",
    "CompareError": "dmde.documents.compare",
    "Comparison": "dmde.documents.compare",
    "diff": "dmde.documents.compare",
    "diff_files": "dmde.documents.compare",
    "DescribeError": "dmde.documents.describe",
    "ModelDescription": "dmde.documents.describe",
    "describe_model": "dmde.documents.describe",
    "document_model": "dmde.documents.describe",
    "ExplainError": "dmde.documents.explain",
    "Explanation": "dmde.documents.explain",
    "SelectionTable": "dmde.documents.explain",
    "explain_file": "dmde.documents.explain",
    "notice": "dmde.documents.explain",
    "read_selection": "dmde.documents.explain",
    "write_notices": "dmde.documents.explain",
    "AuditReport": "dmde.documents.readers",
    "ScoresFile": "dmde.documents.readers",
    "read_audit": "dmde.documents.readers",
    "read_scores": "dmde.documents.readers",
    "FeatureBinning": "dmde.model.binning",
    "WoEBinning": "dmde.model.binning",
    "ModelFileError": "dmde.model.model_file",
    "load_model": "dmde.model.model_file",
    "save_model": "dmde.model.model_file",
    "PeriodScorecards": "dmde.model.periods",
    "PointsScaling": "dmde.model.scaling",
    "Scorecard": "dmde.model.scorecard",
    "ScorecardFamily": "dmde.model.scorecard",
    "SignatureError": "dmde.model.signature_file",
    "generate_key_pair": "dmde.model.signing",
    "sign_model": "dmde.model.signing",
    "verify_model": "dmde.model.signing",
    "Evaluation": "dmde.model.evaluation",
    "evaluate": "dmde.model.evaluation",
    "training_data": "dmde.model.training",
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'dmde' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "CATALOG",
    "DEFAULT_POLICY",
    "SCENARIOS",
    "AuditError",
    "AuditReport",
    "AuditResult",
    "Column",
    "CompareError",
    "Comparison",
    "DescribeError",
    "DmdeError",
    "Evaluation",
    "ExplainError",
    "Explanation",
    "Family",
    "FeatureBinning",
    "FeaturePolicy",
    "GroupAudit",
    "ModelDescription",
    "ModelFileError",
    "PeriodScorecards",
    "PointsScaling",
    "PolicyError",
    "Problem",
    "Scenario",
    "SchemaError",
    "Scorecard",
    "ScorecardFamily",
    "ScoresFile",
    "ScoringResult",
    "Selection",
    "SelectionError",
    "SelectionTable",
    "SignatureError",
    "ValidationReport",
    "WoEBinning",
    "__version__",
    "arrow_schema",
    "audit_groups",
    "column",
    "columns_of",
    "describe_model",
    "diff",
    "diff_files",
    "document_model",
    "evaluate",
    "explain_file",
    "generate_key_pair",
    "generate_panel",
    "generate_population",
    "iter_batches",
    "load_model",
    "notice",
    "read_audit",
    "read_dataset",
    "read_quotas",
    "read_scores",
    "read_selection",
    "run_demo",
    "save_model",
    "score_file",
    "score_frame",
    "select",
    "select_file",
    "select_top",
    "sign_model",
    "synthesize",
    "training_data",
    "validate_file",
    "verify_model",
    "write_batches",
    "write_notices",
    "write_panel",
    "write_population",
]
