"""The audit's groups read from a population file: which attributes it lacks, and its groups.

Documents outside the audit (the comparison of two models, :mod:`dmde.documents.compare`) need
the groups of a population's files without naming the sensitive columns themselves: they ask
:func:`missing_attributes` which group attributes the file cannot give, and stream the groups
with :func:`iter_group_batches`, one frame of :func:`~dmde.audit.targeting.group_columns` per
batch of rows, in file order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pandas as pd

from dmde.audit.targeting import ATTRIBUTE_SOURCES, group_columns
from dmde.core.errors import DmdeError
from dmde.data.catalog import CATALOG
from dmde.data.datasets import BATCH_ROWS, file_columns, iter_batches

__all__ = ["iter_group_batches", "missing_attributes", "source_columns", "source_of"]


def missing_attributes(path: str | os.PathLike[str]) -> list[str]:
    """The group attributes whose source column the file lacks, in the audit's order.

    Parameters
    ----------
    path : str or path-like
        A population file (``.csv``, ``.parquet``, ``.pq``); only its header is read.

    Returns
    -------
    list of str
        Names of :data:`~dmde.audit.targeting.ATTRIBUTE_SOURCES` (e.g. ``"age_band"`` when the
        file has no ``age`` column); empty when every attribute can be made.

    Raises
    ------
    SchemaError
        If there is no such file, or it is empty, unreadable or of an unsupported kind.
    """
    header = set(file_columns(path))
    return [attribute for attribute, column in ATTRIBUTE_SOURCES.items() if column not in header]


def source_of(attribute: str) -> str:
    """The population column a group attribute is made from (``"age_band"`` → ``"age"``).

    Examples
    --------
    >>> source_of("income_band")
    'income_to_smic'
    """
    return ATTRIBUTE_SOURCES[attribute]


def source_columns(path: str | os.PathLike[str]) -> list[str]:
    """The population columns the groups are made from that the file has, in catalog order."""
    header = set(file_columns(path))
    sources = set(ATTRIBUTE_SOURCES.values())
    return [c for c in CATALOG if c in sources and c in header]


def iter_group_batches(
    path: str | os.PathLike[str], *, batch_size: int = BATCH_ROWS
) -> Iterator[pd.DataFrame]:
    """Stream the groups of a population file, one frame per batch of rows, in file order.

    Only the source columns of the groups are read (with
    :func:`~dmde.data.datasets.iter_batches`, so every value is checked against the catalog).

    Parameters
    ----------
    path : str or path-like
        A population file (``.csv``, ``.parquet``, ``.pq``).
    batch_size : int, default BATCH_ROWS (250,000)
        Maximum number of rows per frame.

    Yields
    ------
    DataFrame
        :func:`~dmde.audit.targeting.group_columns` of the batch: one categorical column per
        attribute the file can give, one row per row of the batch.

    Raises
    ------
    DmdeError
        If the file has none of the source columns (see :func:`missing_attributes`).
    SchemaError
        If the file cannot be read or a value breaks the catalog.
    """
    columns = source_columns(path)
    if not columns:
        raise DmdeError(
            f"{os.fspath(path)} has none of the columns the audit groups are made of "
            f"({', '.join(ATTRIBUTE_SOURCES.values())}): add at least one of them."
        )
    for batch in iter_batches(path, columns=columns, batch_size=batch_size):
        yield group_columns(batch.to_pandas())
