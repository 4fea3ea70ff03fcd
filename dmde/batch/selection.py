"""Select files for a check: the highest scores within a budget, by group quotas if asked.

The agency checks the files that score highest, within a budget of checks (about 166,000 a year
for 13.8 million files), often with a quota per local office. This module turns a scores table
(``dossier_id``, ``caf_code``, ``score``, ``probability``, optionally ``segment`` and reason
codes) into the list of files to check, and says in a summary how the list was made.

This module gathers the public names and states the rules; the work is done by
:mod:`~dmde.batch.scores_table` (the scores' columns checked), :mod:`~dmde.batch.ranking` (the
order and its tie rule), :mod:`~dmde.batch.quotas` (splitting a budget, reading quotas),
:mod:`~dmde.batch.budget` (the plan, the choice and the summary) and
:mod:`~dmde.batch.selection_file` (from a scores file to a selection file and its manifest).
Every parameter error names the Python keyword ("budget must be ...; got ...") and is a
:class:`SelectionParameterError`, both a :class:`SelectionError` and a
:class:`~dmde.core.errors.ParameterError`.

Rules
-----
Order
    Files are ranked by score, highest first (:func:`rank_order`). Files with equal scores are
    ordered by a tie key (:func:`tie_keys`), ascending: a keyed pseudo-random number computed
    from ``dossier_id`` and ``seed`` alone, so the order does not depend on the order of the
    rows and carries no information about the household. The key is a bijection of
    ``dossier_id``, so two files never share it and the order is total. ``rank_national`` is
    the position of a file in this order (1 = highest score).
Budget
    Exactly ``budget`` files are selected, never more because of ties. With ``share``, the
    budget is ``floor(share * n_files)``, ``share`` being read as the decimal it prints as
    (0.012 is 12/1000, so 0.012 of 13,800,000 files is exactly 165,600).
Groups
    With ``per`` (a column, e.g. ``caf_code``) the budget is split into quotas proportional to
    each group's number of files (:func:`allocate_quotas`); with ``quotas`` they are given
    explicitly (no more than a group's files, so the budget is always filled). Each group's
    quota goes to its highest files in the order above.
    ``rank_in_group`` is the rank of a file within its group (``rank_national`` without groups).
Probability floor
    With ``min_probability``, no file whose probability is below it is selected by score: each
    group's quota goes to its highest files among those at or above the floor. Places left
    empty are not moved elsewhere; the summary counts them (``unused_budget``) and says why.
Random share
    ``random_share`` reserves ``round(random_share * budget)`` places (the exact product of
    the decimal, halves rounded up; split across groups in proportion to their quotas,
    largest remainder) for a uniform random draw among the files of the group not selected
    by score, so that future training data is not only what the model chose. The draw
    ignores ``min_probability``. As quotas never exceed their group, a group always has
    enough files left; should it not, all are taken and the summary says how many places
    were left (``random_shortfall``). The draw uses ``numpy.random.default_rng(seed)``: the
    candidates of a group are listed in national rank order, and
    ``Generator.choice(n_candidates, size, replace=False)`` picks among them, group by group
    in sorted group order. Those files have ``selection_reason = "random"``.

Examples
--------
>>> import pandas as pd
>>> scores = pd.DataFrame({
...     "dossier_id": [11, 12, 13, 14, 15, 16],
...     "caf_code": ["75", "75", "75", "13", "13", "13"],
...     "score": [610.0, 580.0, 520.0, 640.0, 580.0, 500.0],
...     "probability": [0.30, 0.20, 0.10, 0.40, 0.20, 0.05],
... })
>>> chosen = select(scores, budget=4, per="caf_code")
>>> chosen.frame[["dossier_id", "caf_code", "rank_national", "rank_in_group"]]
   dossier_id caf_code  rank_national  rank_in_group
0          14       13              1              1
1          11       75              2              1
2          15       13              3              2
3          12       75              4              2
>>> chosen.summary["groups"]["13"]["quota"], chosen.summary["selected"]
(2, 4)
"""

from __future__ import annotations

from dmde.batch.budget import OUTPUT_COLUMNS, PARAMETER_CONSTRAINTS, Selection, select, select_top
from dmde.batch.quotas import allocate_quotas, read_quotas
from dmde.batch.ranking import TIE_RULE, rank_order, tie_keys
from dmde.batch.scores_table import REQUIRED_COLUMNS, SelectionError, SelectionParameterError
from dmde.batch.selection_file import select_file

__all__ = [
    "OUTPUT_COLUMNS",
    "PARAMETER_CONSTRAINTS",
    "REQUIRED_COLUMNS",
    "TIE_RULE",
    "Selection",
    "SelectionError",
    "SelectionParameterError",
    "allocate_quotas",
    "rank_order",
    "read_quotas",
    "select",
    "select_file",
    "select_top",
    "tie_keys",
]
