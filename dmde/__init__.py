"""dmde: transparent, auditable risk scoring of benefit files.

dmde does on synthetic data what a family-benefits agency's control-targeting model does: it scores
each household file for the risk of an overpayment, ranks the files, selects the highest scores for
a check within a budget, and audits who gets selected. The model cannot read excluded columns
(sensitive, address, behaviour, control history): the :mod:`dmde.catalog` declares every column
with its family, and a :class:`FeaturePolicy` enforces what may feed a model.
"""

from dmde._version import __version__
from dmde.catalog import CATALOG, DEFAULT_POLICY, Column, FeaturePolicy, Family, column, columns_of
from dmde.errors import DmdeError, PolicyError, SchemaError

__all__ = [
    "CATALOG",
    "DEFAULT_POLICY",
    "Column",
    "DmdeError",
    "Family",
    "FeaturePolicy",
    "PolicyError",
    "SchemaError",
    "__version__",
    "column",
    "columns_of",
]
