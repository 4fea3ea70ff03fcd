"""The scorecard: a logistic regression on binned features whose score is a sum of points.

:class:`Scorecard` composes three inspectable parts:

1. **the policy** (:class:`~dmde.data.catalog.FeaturePolicy`): the columns the model reads are
   checked against it; asking for an excluded column is an error naming the column, its family
   and the reason; other columns of the input (sensitive, address, behaviour, control
   history...) are never read;
2. **the binning** (:class:`~dmde.model.binning.WoEBinning`): each feature is cut into bins and each
   bin gets its weight of evidence (WoE);
3. **the logistic regression** on the WoE values (one coefficient per feature), turned into
   **points** by :class:`~dmde.model.scaling.PointsScaling`.

Why WoE rather than one-hot: one coefficient per feature keeps the model small for a training
sample of about 7,500 checked files (a few hundred overpayments), gives each feature a standard
error that means something, and makes the points of a monotone binning monotone too. The price:
the WoE values are estimated on the same sample, so the standard errors, which treat them as
fixed, are somewhat too small.

The score of a file is ``intercept points + sum of the points of its bins`` (rounded to the
scaling's decimals), and its probability is the logistic transform of the same score: the
published table *is* the model, and scoring never goes through anything else.

:class:`ScorecardFamily` holds one scorecard per segment of an operational routing column
(``income_reporting`` by default: the 2026 model has one regression for declarative income
reporting and one for pre-filled reporting) and routes each row to its segment's scorecard.

In a notebook, a fitted model shows its points table, its policy and its training summary
(:mod:`dmde.model.display`).
"""

from dmde.model import display
from dmde.model.family import ScorecardFamily, family_summary
from dmde.model.logistic import REASON_COLUMNS, Scorecard, TrainingSummary, bin_labels
from dmde.model.scored import ScoredColumns

# What a notebook shows for a model (dmde.model.display): its points, policy and training, in
# place of scikit-learn's diagram. Attached here, where the public names live, so that the
# classes' modules hold the model and this one what it looks like.
Scorecard._repr_html_ = display.scorecard_html
ScorecardFamily._repr_html_ = display.family_html
Scorecard._repr_mimebundle_ = ScorecardFamily._repr_mimebundle_ = display.mimebundle

__all__ = [
    "REASON_COLUMNS",
    "Scorecard",
    "ScorecardFamily",
    "ScoredColumns",
    "TrainingSummary",
    "bin_labels",
    "family_summary",
]
