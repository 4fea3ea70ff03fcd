"""dmde: transparent, auditable risk scoring of benefit files.

dmde does on synthetic data what a family-benefits agency's control-targeting model does: it scores
each household file for the risk of an overpayment, ranks the files, selects the highest scores for
a check within a budget, and audits who gets selected. The model cannot read excluded columns
(sensitive, address, behaviour, control history): the :mod:`dmde.catalog` declares every column
with its family, and a :class:`FeaturePolicy` enforces what may feed a model.

Modules, lowest layer first: :mod:`dmde.catalog` (columns and policy), :mod:`dmde.datasets`
(reading, validating and writing files), :mod:`dmde.synthetic` (the synthetic population).
"""

from dmde._version import __version__
from dmde.catalog import CATALOG, DEFAULT_POLICY, Column, Family, FeaturePolicy, column, columns_of
from dmde.datasets import (
    Problem,
    ValidationReport,
    arrow_schema,
    iter_batches,
    read_dataset,
    validate_file,
    write_batches,
)
from dmde.errors import DmdeError, PolicyError, SchemaError
from dmde.synthetic import SCENARIOS, Scenario, generate_population, synthesize, write_population

__all__ = [
    "CATALOG",
    "DEFAULT_POLICY",
    "SCENARIOS",
    "Column",
    "DmdeError",
    "Family",
    "FeaturePolicy",
    "PolicyError",
    "Problem",
    "Scenario",
    "SchemaError",
    "ValidationReport",
    "__version__",
    "arrow_schema",
    "column",
    "columns_of",
    "generate_population",
    "iter_batches",
    "read_dataset",
    "synthesize",
    "validate_file",
    "write_batches",
    "write_population",
]
