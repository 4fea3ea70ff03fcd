"""The audit's columns read from the table: who was selected and how, the labels, the row order.

Each column is named by the caller (the score, the selection, the method, the label); a column
absent or holding values the audit cannot read is an :class:`~dmde.audit.settings.AuditError`
naming it. The rows are put in an order that depends on the data only, so that shuffling the
input changes no figure, and a budget's ties are broken as ``dmde select`` breaks them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.settings import AuditError, AuditOptionError
from dmde.batch.selection import rank_order

__all__ = [
    "METHODS",
    "canonical_order",
    "label_values",
    "method_values",
    "require_column",
    "selected_rows",
]


def require_column(frame: pd.DataFrame, name: str, role: str) -> pd.Series[Any]:
    """The column ``name`` of ``frame``, or an error naming its ``role`` and the columns there."""
    if name not in frame.columns:
        known = ", ".join(map(str, frame.columns[:20]))
        raise AuditError(
            f"the {role} column {name!r} is not in the table; columns: {known}. "
            f"Name the {role} column with the matching option."
        )
    return frame[name]


#: How each selected file was chosen, in the method column (other values: --method-values).
METHODS = ("score", "random", "other", "none")


def canonical_order(
    frame: pd.DataFrame, groups: pd.DataFrame, columns: list[str], id_column: str | None
) -> np.ndarray[Any, Any]:
    """An order of the rows that depends on the data only, not on how the rows were sorted.

    By the id when it is unique, else by every column the audit reads (rows equal on all of
    them are interchangeable). Everything downstream (sums, bootstrap, samples, ties) runs in
    this order, so shuffling the input changes no figure.
    """
    if id_column is not None and frame[id_column].is_unique:
        values = frame[id_column]
        if pd.api.types.is_numeric_dtype(values):
            return np.argsort(values.to_numpy(), kind="stable")
        return np.argsort(values.astype(str).to_numpy(), kind="stable")
    keys = [frame[c] for c in columns] + [groups[c] for c in groups.columns]
    hashed = [pd.util.hash_pandas_object(k, index=False).to_numpy() for k in keys]
    return np.lexsort(hashed[::-1])


def _tie_keys(frame: pd.DataFrame, id_column: str | None, seed: int) -> np.ndarray[Any, Any]:
    """A keyed hash per row (of its id, else of its content): the tie order at a budget cut."""
    source = frame[[id_column]] if id_column is not None else frame
    key = f"dmde-ties-{seed:06d}"[:16]
    return pd.util.hash_pandas_object(source.astype(str), index=False, hash_key=key).to_numpy()


def selected_rows(
    frame: pd.DataFrame,
    score: np.ndarray[Any, Any] | None,
    selected: str | None,
    budget: int | None,
    id_column: str | None,
) -> tuple[np.ndarray[Any, Any], str, int]:
    """The selected files, the rule in words, and how many files tie at the budget's cut."""
    if selected is not None:
        values = require_column(frame, selected, "selection")
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            text = values.astype(str).str.lower()
            bad = ~text.isin(["true", "false", "1", "0", "yes", "no"])
            if bad.any():
                raise AuditError(
                    f"the selection column {selected!r} holds {text[bad].iloc[0]!r}; expected "
                    "true/false or 1/0."
                )
            return text.isin(["true", "1", "yes"]).to_numpy(), f"column {selected!r}", 0
        if values.isna().any():
            raise AuditError(f"the selection column {selected!r} has missing values.")
        return values.astype(bool).to_numpy(), f"column {selected!r}", 0
    if budget is None:
        raise AuditOptionError("give either the selection (a column) or a budget to apply.")
    if score is None:
        raise AuditOptionError("a budget selects the highest scores: name the score column too.")
    if not 0 < budget <= len(frame):
        raise AuditError(f"budget must be in [1, {len(frame):,}] (the files); got {budget}.")
    ids = frame[id_column] if id_column is not None else None
    if id_column == "dossier_id" and ids is not None and pd.api.types.is_integer_dtype(ids):
        # dmde's files: the order `dmde select` uses (ties by its keyed hash, seed 0).
        ranking = pd.DataFrame({"dossier_id": ids.to_numpy(), "score": score})
        order = rank_order(ranking, seed=0)
        rule = f"the {budget:,} highest scores (ties as dmde select breaks them, seed 0)"
    else:
        order = np.lexsort((_tie_keys(frame, id_column, 0), -score))
        by = f"a keyed hash of {id_column!r}" if id_column else "a keyed hash of each row"
        rule = f"the {budget:,} highest scores (ties at the cut by {by})"
    chosen = np.zeros(len(frame), dtype=bool)
    chosen[order[:budget]] = True
    cut = score[order[budget - 1]]
    tied = int((score == cut).sum()) if (score[~chosen] == cut).any() else 0
    return chosen, rule, tied


def label_values(frame: pd.DataFrame, label: str) -> np.ndarray[Any, Any]:
    """The outcome column as 1, 0 or NaN (unknown), or an error naming the column."""
    values = pd.to_numeric(frame[label], errors="coerce")
    bad = values.notna() & ~values.isin([0, 1])
    bad |= values.isna() & frame[label].notna()
    if bad.any():
        shown = ", ".join(map(repr, pd.unique(frame.loc[bad, label].astype(str))[:5]))
        raise AuditError(
            f"the label column {label!r} holds {shown}; expected 1 (found), 0 (not found) or "
            "empty (unknown). Recode the outcome column."
        )
    return values.to_numpy(dtype=float)


def method_values(frame: pd.DataFrame, method: str) -> np.ndarray[Any, Any]:
    """How each file was chosen (one of :data:`METHODS`), or an error naming the values found."""
    how = require_column(frame, method, "selection-method").astype(str).to_numpy()
    found = sorted(set(how))
    unknown = [v for v in found if v not in METHODS]
    if unknown:
        raise AuditError(
            f"the method column {method!r} holds {', '.join(map(repr, found[:10]))}; expected "
            f"{', '.join(map(repr, METHODS))}. Map the values found with --method-values, e.g. "
            f"--method-values score={unknown[0]},random=..."
        )
    return how
