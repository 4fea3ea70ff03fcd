"""Select files for outreach: the households a rights model ranks as most likely underpaid.

The agency's own description of datamining names two actions after the ranking: engage a check,
or contact the household to verify that it receives all its rights. A rights model
(``dmde train --target rappel_target``, whose model file records ``action: outreach``) is scored
as any model (``dmde score``); this module selects from its scores as :func:`select_file` does
(the same order, tie rule, budget, quotas, floor and random share), with its own budget: a
contact costs far less than a check, so the outreach budget is usually larger.

Rule for a file high on both scores
    **A check first.** When the check selection is given (``checks``), a file it selects is
    not contacted: the check reviews the whole file and pays any underpayment it finds (a
    rappel), so a contact would repeat it; the outreach budget passes to the next files. The
    check selection itself is never changed by outreach, so adding outreach changes no check.
    The summary counts the files left to the check (``checked_first``).

Without ``checks``
    The selection is still made (outreach may run where no check campaign does), but nothing
    is removed: the manifest's summary says so (``checks: null`` and ``overlap``,
    :data:`NO_CHECKS`), ``dmde select`` prints it on stderr, and the letters do not say that a
    file chosen for a check is not contacted.

The selection file has the columns of a check selection; its manifest's summary says
``action: "outreach"`` and ``checks`` (the check selection's path and SHA-256, or null). The
scores must be a rights model's: scores whose manifest records a check model are refused, as
``dmde select`` for checks refuses a rights model's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from dmde.batch.budget import Selection, _select
from dmde.batch.scores_table import SelectionError, _needed, _require_columns
from dmde.batch.selection_file import _FIX, _check_paths, _finish, _now, _require_rows, _wanted
from dmde.core.errors import SchemaError
from dmde.data.manifest import sha256_file
from dmde.data.outputs import output_columns, read_output

__all__ = ["ACTIONS", "NO_CHECKS", "select_outreach_file"]

#: The actions a selection serves, with what an agent does with a selected file.
ACTIONS: Mapping[str, str] = {
    "check": "a check of the file (overpayments)",
    "outreach": "a contact to verify that the household receives all its rights (underpayments)",
}


#: What an outreach selection made without the check selection says of the files on both lists.
NO_CHECKS = (
    "no check selection given (--checks): files also chosen for a check were not removed, so "
    "some households may be both checked and contacted"
)


def select_outreach_file(
    scores_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    checks: str | os.PathLike[str] | None = None,
    budget: int | None = None,
    share: float | None = None,
    per: str | None = None,
    quotas: Mapping[str, int] | None = None,
    min_probability: float | None = None,
    random_share: float = 0.0,
    seed: int = 0,
) -> Selection:
    """Select files to contact from a rights model's scores file; write the selection and its
    manifest.

    Parameters
    ----------
    scores_path : str or path-like
        The rights model's scores (as ``dmde score`` writes them).
    out_path : str or path-like
        The outreach selection to write (``.csv`` or ``.parquet``).
    checks : str or path-like, optional
        The check selection (as ``dmde select`` writes it): its files are not contacted (a
        check first, see the module's rule).
    budget, share, per, quotas, min_probability, random_share, seed
        As for :func:`~dmde.batch.selection.select`; ``share`` is a share of the files that
        may be contacted (the scores' files less the files checked first).

    Returns
    -------
    Selection
        The selection; its summary has ``action = "outreach"`` and ``checked_first``.

    Raises
    ------
    SelectionError
        A file is missing or unreadable, or the parameters are refused; nothing is written.
    """
    started = time.perf_counter()
    start_time = _now()
    source, target = Path(scores_path), Path(out_path)
    _check_paths(source, target)
    if quotas is not None and per is None:
        per = "caf_code"
    checked = _checked_ids(Path(checks), source, target) if checks is not None else None
    try:
        header = output_columns(source, what="scores file", fix=_FIX)
        _require_columns(header, _needed(per), str(source))
        wanted = _wanted(header, per)
        table = read_output(source, wanted, what="scores file", fix=_FIX)
    except SchemaError as exc:
        raise SelectionError(str(exc)) from None
    _require_rows(table.num_rows, source)
    ids = table.column("dossier_id").to_numpy(zero_copy_only=False)
    keep = np.ones(len(ids), dtype=bool) if checked is None else ~np.isin(ids, checked)
    if not keep.any():
        raise SelectionError(
            f"every file of {str(source)!r} is in the check selection {str(checks)!r}: "
            "no file is left to contact. Check that the two files are of the same population."
        )
    table = table.filter(keep)
    chosen, rows = _select(
        table.to_pandas(),
        budget=budget,
        share=share,
        per=per,
        quotas=quotas,
        min_probability=min_probability,
        random_share=random_share,
        seed=seed,
        source=str(source),
    )
    chosen.summary["action"] = "outreach"
    chosen.summary["checked_first"] = int((~keep).sum())
    chosen.summary["checks"] = (
        None if checks is None else {"path": os.fspath(checks), "sha256": sha256_file(checks)}
    )
    if checks is None:  # said in the manifest; dmde select says it on stderr too
        chosen.summary["overlap"] = NO_CHECKS
    return _finish(
        source, target, chosen, rows, table, wanted, sha256_file(source), started, start_time
    )


def _checked_ids(checks: Path, source: Path, target: Path) -> np.ndarray:
    """The ``dossier_id`` of the check selection's files."""
    if checks.resolve() in (source.resolve(), target.resolve()):
        raise SelectionError(
            f"the check selection {str(checks)!r} is also the scores file or the outreach "
            "selection: give the selection written by 'dmde select' for checks."
        )
    if not checks.is_file():
        raise SelectionError(f"check selection {str(checks)!r} does not exist. Check the path.")
    try:
        table = read_output(
            checks,
            ["dossier_id"],
            what="check selection",
            fix="Give the selection written by 'dmde select' for checks.",
        )
    except SchemaError as exc:
        raise SelectionError(str(exc)) from None
    return np.asarray(table.column("dossier_id").to_numpy(zero_copy_only=False))
