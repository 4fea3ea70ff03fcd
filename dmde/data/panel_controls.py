"""The labelled rows of a monthly panel, with their month: what the models by period train on.

A panel (``dmde synth --months``) is a folder of monthly snapshots,
``snapshot_month=YYYY-MM/part-0.parquet`` (or ``.csv``). Labels exist only on each month's random
controls; :func:`read_panel_controls` reads every month's file (validated against the catalog,
as :func:`~dmde.data.validation.read_dataset` does) and keeps those rows, each with its
``snapshot_month``, so that :func:`dmde.model.periods.row_periods` can give each labelled row
its period (before or after income pre-filling).
"""

from __future__ import annotations

import os

import pandas as pd

from dmde.core.errors import DmdeError
from dmde.data.synthetic_panel import panel_files
from dmde.data.validation import read_dataset

__all__ = ["read_panel_controls"]


def read_panel_controls(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The random controls of every month of a panel folder, months in order.

    Parameters
    ----------
    path : path
        A panel folder, as :func:`~dmde.data.synthetic_panel.write_panel` writes it.

    Returns
    -------
    DataFrame
        The rows with ``controlled = 1`` of each month's file, every column of the file, with
        the catalog's types (``snapshot_month`` as text ``YYYY-MM``), indexed from 0.

    Raises
    ------
    DmdeError
        If the folder holds no panel, a month is missing, a file has no ``controlled`` or
        ``snapshot_month`` column, or its ``snapshot_month`` is not its folder's month.
    SchemaError
        If a month's file breaks the catalog (as :func:`~dmde.data.validation.read_dataset`).

    Examples
    --------
    >>> import tempfile
    >>> from dmde.data.synthetic_panel import write_panel
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write_panel(tmp, 2_000, months=3, start="2025-02", seed=1, controls=50)
    ...     rows = read_panel_controls(tmp)
    >>> len(rows), sorted(rows["snapshot_month"].unique())
    (150, ['2025-02', '2025-03', '2025-04'])
    """
    parts = []
    for month, file in panel_files(path):
        frame = read_dataset(file)
        for column in ("controlled", "snapshot_month"):
            if column not in frame.columns:
                raise DmdeError(
                    f"{file}: no column {column!r}; the month files of a panel hold the random "
                    "controls (controlled = 1) and their month, as dmde synth --months writes."
                )
        rows = frame[frame["controlled"] == 1]
        wrong = rows["snapshot_month"].astype(str) != month
        if wrong.any():
            raise DmdeError(
                f"{file}: snapshot_month is {rows['snapshot_month'][wrong].iloc[0]!r} on "
                f"{int(wrong.sum())} rows, in the folder of {month}; move the file to its "
                "month's folder."
            )
        parts.append(rows)
    out = pd.concat(parts, ignore_index=True)
    out["snapshot_month"] = out["snapshot_month"].astype(str)
    return out
