"""The selection a notice places a file in: read from ``dmde select``'s file and manifest.

Both are read by the data layer's reader of dmde's outputs (:func:`dmde.data.outputs.read_output`,
:func:`dmde.data.manifest.read_manifest`).

The selection cut
-----------------
A selection file (``dmde select``) lists the selected files only, with ``rank_national``,
``rank_in_group``, ``score`` and ``selection_reason`` (``score`` or ``random``). The cut of a
file's group is the **lowest score among the files selected by score in that group**: the
person's quota group when the selection was made per group (the ``per`` column recorded in the
selection's manifest, or else read from the file's columns), the whole selection otherwise.
A score strictly below the cut ranks after every file selected by score in the group. (The
first file not selected is not in a selection file: its score is at most the cut, usually a
hundredth of a point below at national scale, so the cut is the threshold a reader can check.)
Files drawn at random were not chosen for their score: no change of score explains them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dmde.batch.selection import OUTPUT_COLUMNS
from dmde.core.errors import DmdeError, SchemaError
from dmde.data.datasets import EXTENSIONS
from dmde.data.manifest import read_manifest
from dmde.data.outputs import read_output
from dmde.documents.explanation import ExplainError, Placement

__all__ = ["SelectionTable", "read_selection"]


@dataclass(frozen=True)
class SelectionTable:
    """A selection (the output of ``dmde select``) and its quota groups.

    Parameters
    ----------
    frame : DataFrame
        The selected files: at least ``dossier_id``, ``rank_national``, ``rank_in_group``,
        ``score`` and ``selection_reason``, plus the ``per`` column when groups were used.
    per : str, optional
        The column the budget was split by (None: one national group).
    n_files : int, optional
        Files ranked (from the selection's manifest), shown in the notice when known.
    group_files : mapping, optional
        Files ranked in each group (from the manifest).
    """

    frame: pd.DataFrame
    per: str | None = None
    n_files: int | None = None
    group_files: Mapping[str, int] = field(default_factory=dict)
    _position: dict[int, int] = field(init=False, repr=False, compare=False)
    _groups: Any = field(init=False, repr=False, compare=False)
    _cuts: dict[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needed = ["dossier_id", "rank_national", "rank_in_group", "score", "selection_reason"]
        if self.per is not None:
            needed.append(self.per)
        missing = [c for c in needed if c not in self.frame.columns]
        if missing:
            raise ExplainError(
                f"the selection has no column {', '.join(missing)}; use the file written by "
                "'dmde select'."
            )
        frame = self.frame.reset_index(drop=True)
        ids = frame["dossier_id"].to_numpy(dtype=np.int64)
        groups = (
            np.full(len(frame), "", dtype=object)
            if self.per is None
            else frame[self.per].astype(str).to_numpy(dtype=object)
        )
        by_score = frame["selection_reason"].astype(str).to_numpy() == "score"
        scores = frame["score"].to_numpy(dtype=np.float64)
        cuts: dict[str, float] = {}
        for group in sorted(set(groups[by_score].tolist())):
            cuts[group] = float(scores[by_score & (groups == group)].min())
        object.__setattr__(self, "frame", frame)
        object.__setattr__(self, "_position", {int(v): i for i, v in enumerate(ids)})
        object.__setattr__(self, "_groups", groups)
        object.__setattr__(self, "_cuts", cuts)

    @property
    def ids(self) -> list[int]:
        """The selected files' ids, in the order of the selection (national rank)."""
        return [int(v) for v in self.frame["dossier_id"]]

    def placement(self, dossier_id: int, group: str | None) -> Placement:
        """The placement of a file; ``group`` is its value of ``per`` (when not selected)."""
        position: int | None = self._position.get(int(dossier_id))
        if position is not None:
            group = str(self._groups[position])
        key = "" if self.per is None else (group or "")
        common = {
            "group_column": self.per,
            "group": None if self.per is None else group,
            "cut": self._cuts.get(key),
            "n_files": self.n_files,
            "group_files": self.group_files.get(key) if self.per is not None else self.n_files,
        }
        if position is None:
            return Placement(False, None, None, None, **common)  # type: ignore[arg-type]
        row = self.frame.iloc[position]
        return Placement(
            True,
            str(row["selection_reason"]),
            int(row["rank_national"]),
            int(row["rank_in_group"]),
            **common,  # type: ignore[arg-type]
        )

    def score_of(self, dossier_id: int) -> float | None:
        """The score the selection records for a file (None if not selected)."""
        position = self._position.get(int(dossier_id))
        return None if position is None else float(self.frame["score"].iloc[position])


_EXTRA = re.compile(r"^(segment|reason_.+)$")
_FIX = "Use the file written by 'dmde select'."


def read_selection(path: str | os.PathLike[str]) -> SelectionTable:
    """Read a selection file written by ``dmde select`` (CSV or Parquet) and its manifest.

    The quota column is the manifest's ``per`` when the manifest is beside the file; otherwise
    the column after :data:`~dmde.batch.selection.OUTPUT_COLUMNS` that is not ``segment`` or a
    reason code, else ``caf_code`` if a file's rank in its group differs from its national
    rank, else none (a national selection).

    Raises
    ------
    ExplainError
        If the file is missing, unreadable or lacks a column of a selection.
    """
    source = Path(path)
    kind = EXTENSIONS.get(source.suffix.lower())
    if kind is None:
        raise ExplainError(f"selection file {str(source)!r}: use a .csv or .parquet file.")
    if not source.is_file():
        raise ExplainError(f"selection file {str(source)!r} does not exist. Check the path.")
    try:
        table = read_output(source, dictionary=False, what="selection file", fix=_FIX)
    except SchemaError as exc:
        raise ExplainError(str(exc)) from None
    frame = table.to_pandas()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(str)
    manifest = _manifest(source)
    summary = manifest.get("summary", {}) if isinstance(manifest, dict) else {}
    per = summary["per"] if "per" in summary else _infer_per(frame)
    groups = summary.get("groups") or {}
    try:
        return SelectionTable(
            frame,
            per=per,
            n_files=summary.get("n_files"),
            group_files={str(k): int(v["files"]) for k, v in groups.items()},
        )
    except ExplainError as exc:
        raise ExplainError(f"selection file {str(source)!r}: {exc}") from None


def _manifest(source: Path) -> Any:
    """The selection's manifest, or {} when absent or unreadable (it only adds context)."""
    try:
        return read_manifest(source) or {}
    except DmdeError:
        return {}


def _infer_per(frame: pd.DataFrame) -> str | None:
    extra = [c for c in frame.columns if c not in OUTPUT_COLUMNS and not _EXTRA.match(str(c))]
    if extra:
        return str(extra[0])
    ranks = {"rank_in_group", "rank_national"} <= set(frame.columns)  # else refused later
    if ranks and len(frame) and (frame["rank_in_group"] != frame["rank_national"]).any():
        return "caf_code"
    return None
