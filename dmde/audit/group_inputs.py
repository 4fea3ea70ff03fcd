"""Checking the arrays given to the group audit: one value per file, numbers, labels, weights.

Each check returns the array as :func:`dmde.audit.metrics.audit_groups` computes with it, or
raises an :class:`~dmde.audit.settings.AuditError` that names the parameter, the rule, the value
received and the fix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.settings import AuditParameterError
from dmde.data.parameters import bad_parameter

FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# Validation
def _bad(parameter: str, rule: str, got: object, fix: str) -> AuditParameterError:
    """The error of a parameter of :func:`~dmde.audit.metrics.audit_groups`, in words."""
    error = bad_parameter(parameter, rule, None, fix, error=AuditParameterError, got=str(got))
    assert isinstance(error, AuditParameterError)
    return error


def _vector(values: object, parameter: str, n: int | None) -> npt.NDArray[Any]:
    array = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if array.ndim != 1:
        raise _bad(parameter, "a 1-D array", f"shape {array.shape}", "Pass one value per file.")
    if n is not None and len(array) != n:
        raise _bad(
            parameter,
            f"aligned with 'selected' ({n:,} rows)",
            f"{len(array):,} rows",
            "Pass the values of the same files, in the same order.",
        )
    return array


def _floats(values: object, parameter: str, n: int, *, allow_nan: bool = False) -> FloatArray:
    array = _vector(values, parameter, n)
    try:
        out = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad(
            parameter, "numbers", f"values of type {array.dtype}", "Convert it to float."
        ) from None
    bad = ~np.isfinite(out) if not allow_nan else np.isinf(out)
    if bad.any():
        raise _bad(
            parameter,
            "finite numbers",
            f"{int(bad.sum()):,} non-finite values (first at row {int(np.flatnonzero(bad)[0])})",
            "Drop or repair those rows before the audit.",
        )
    return out


def _selected(values: object) -> npt.NDArray[np.bool_]:
    array = _vector(values, "selected", None)
    if array.dtype == np.bool_:
        return array.astype(np.bool_)
    if np.issubdtype(array.dtype, np.number) and np.isin(array, (0, 1)).all():
        return array.astype(np.bool_)
    raise _bad(
        "selected",
        "booleans (or 0/1)",
        f"values of type {array.dtype}",
        "Pass True for the files selected for a check.",
    )


def _labels(values: object, n: int) -> FloatArray:
    label = _floats(values, "label", n, allow_nan=True)
    bad = ~(np.isnan(label) | (label == 0) | (label == 1))
    if bad.any():
        shown = ", ".join(repr(float(v)) for v in np.unique(label[bad])[:5])
        raise _bad(
            "label",
            "0, 1 or NaN (unknown)",
            f"other values ({shown})",
            "Code the outcome as 1 (overpayment found) / 0, and NaN where no check was made.",
        )
    return label


def _weights(values: object, n: int) -> FloatArray:
    weight = _floats(values, "weight", n)
    if (weight < 0).any():
        raise _bad(
            "weight",
            "non-negative",
            f"{int((weight < 0).sum()):,} negative values (min {float(weight.min())!r})",
            "Pass sample weights >= 0.",
        )
    if weight.sum() <= 0:
        raise _bad("weight", "positive in total", "a total of 0", "Pass sample weights > 0.")
    return weight
