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

Where a selection comes from
----------------------------
A notice prints what the selection file says (the office, the rank), so the file is checked
before it is believed. :func:`read_selection` refuses a file that has no manifest, or whose
SHA-256 is not the one its manifest records (it was edited after ``dmde select`` wrote it).
:meth:`SelectionTable.check_source` then follows the chain: the selection's manifest names the
scores it was made from (path and SHA-256), and the scores' manifest names the model and the
data file that were scored; another model, or another data file, is refused. Each selected
file's office (and quota group, and segment) is compared with the data file's row
(:meth:`SelectionTable.check_row`). A selection whose manifest is lost can still be used by
passing ``trust_selection=True``: only the row checks are made then.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dmde.batch.selection import OUTPUT_COLUMNS, Selection
from dmde.core.errors import DmdeError, SchemaError
from dmde.data.datasets import EXTENSIONS
from dmde.data.manifest import check_vouched, manifest_path, read_manifest, sha256_file
from dmde.data.outputs import read_output
from dmde.documents.explanation import ExplainError, Placement

__all__ = ["SelectionSource", "SelectionTable", "read_selection"]


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
    action : {"check", "outreach"} or None, optional
        What the files were selected for, as the selection's manifest records it (``dmde select
        --action``; a manifest without an action is a check selection). None: not known (a
        file trusted without its manifest).
    overlap_removed : bool or None, optional
        For an outreach selection: whether a check selection was given (``--checks``), so that
        no file chosen for a check is contacted. None for a check selection or when not known.
    """

    frame: pd.DataFrame
    per: str | None = None
    n_files: int | None = None
    group_files: Mapping[str, int] = field(default_factory=dict)
    action: str | None = None
    overlap_removed: bool | None = None
    _position: dict[int, int] = field(init=False, repr=False, compare=False)
    _groups: Any = field(init=False, repr=False, compare=False)
    _cuts: dict[str, float] = field(init=False, repr=False, compare=False)
    _source: SelectionSource | None = field(init=False, repr=False, compare=False)

    @classmethod
    def from_selection(
        cls, selection: Selection | str | os.PathLike[str], *, trust_selection: bool = False
    ) -> SelectionTable:
        """The selection table of a :class:`~dmde.batch.selection.Selection` or of its file.

        Parameters
        ----------
        selection : Selection or path
            A selection made in Python (:func:`dmde.batch.selection.select`): its frame, quota
            column and files ranked per group are taken as they are. Or a file written by
            ``dmde select`` (CSV or Parquet), read and checked against its manifest as
            :func:`read_selection` does.
        trust_selection : bool, default False
            For a file: use it without its manifest (see :func:`read_selection`).

        Examples
        --------
        >>> import pandas as pd
        >>> from dmde.batch.selection import select
        >>> scores = pd.DataFrame({"dossier_id": [1, 2, 3, 4], "caf_code": ["75", "75", "13", "13"],
        ...     "score": [510.0, 530.0, 520.0, 490.0], "probability": 0.05})
        >>> table = SelectionTable.from_selection(select(scores, budget=2, per="caf_code"))
        >>> table.ids, table.per, table.group_files
        ([2, 3], 'caf_code', {'13': 2, '75': 2})

        A file of ``dmde select`` (here without its manifest, so trusted as it is):

        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp, "selection.csv")
        ...     _ = path.write_text(
        ...         "dossier_id,caf_code,score,probability,rank_national,rank_in_group,"
        ...         "selection_reason\\n7,01,612.5,0.08,1,1,score\\n")
        ...     table = SelectionTable.from_selection(path, trust_selection=True)
        >>> table.ids, table.per, table.score_of(7)
        ([7], None, 612.5)
        """
        if isinstance(selection, Selection):
            summary = selection.summary
            groups = summary.get("groups") or {}
            return cls(
                selection.frame,
                per=summary.get("per"),
                n_files=summary.get("n_files"),
                group_files={str(k): int(v["files"]) for k, v in groups.items()},
                **_action_of(summary),
            )
        return read_selection(selection, trust_selection=trust_selection)

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
        object.__setattr__(self, "_source", None)

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

    @property
    def source(self) -> SelectionSource | None:
        """Where the selection comes from, as its manifest says (None: not checked)."""
        return self._source

    def check_row(self, dossier_id: int, values: Mapping[str, object]) -> None:
        """Refuse a selected file whose office, quota group or segment differs from ``values``.

        ``values`` are the file's values in the data file (and its ``segment`` by the model);
        the columns the selection does not have, or ``values`` lacks, are not compared.

        Raises
        ------
        ExplainError
            Naming each column, both values and what to do.
        """
        position = self._position.get(int(dossier_id))
        if position is None:
            return
        row = self.frame.iloc[position]
        compared = [c for c in ("caf_code", self.per, "segment") if c is not None]
        differ = [
            f"{name} = {_shown(row[name])} in the selection, {_shown(values[name])} in the data"
            for name in dict.fromkeys(compared)
            if name in values and name in self.frame.columns
            if _plain(row[name]) != _plain(values[name])
        ]
        if differ:
            raise ExplainError(
                f"dossier_id {dossier_id}: {'; '.join(differ)}. The selection was not made from "
                "this data file, or was edited: use the selection and the data that were scored."
            )

    def check_source(
        self, *, model_sha256: str | None, data_path: str | os.PathLike[str] | None
    ) -> None:
        """Refuse a selection that its manifests do not tie to this model and this data file.

        The selection's manifest names the scores it was made from (path and SHA-256); the
        scores file must be there with that hash, and its manifest must name the model
        ``model_sha256`` and a data file with the SHA-256 of ``data_path``. Nothing is checked
        for a selection read with ``trust_selection=True`` or built in memory, nor the model
        when ``model_sha256`` is None (a model not loaded from a file), nor the data when
        ``data_path`` is None.

        Raises
        ------
        ExplainError
            Naming the files and what differs.
        """
        if self._source is None:
            return
        scores = self._source.scores_run
        where = f"selection file {str(self._source.path)!r}"
        recorded_model = _sha256_of(scores.get("model"))
        if model_sha256 is not None and recorded_model != model_sha256:
            raise ExplainError(
                f"{where}: it was made from the scores of another model (model SHA-256 "
                f"{_short(recorded_model)} in {str(scores['manifest'])!r}, this model's "
                f"{_short(model_sha256)}). Use the model that scored, or score and select again."
            )
        if data_path is None:
            return
        recorded_data = scores.get("input")
        if _sha256_of(recorded_data) != sha256_file(data_path):
            named = recorded_data.get("path") if isinstance(recorded_data, dict) else None
            raise ExplainError(
                f"{where}: it was made from the scores of another data file "
                f"({str(named)!r}, in {str(scores['manifest'])!r}), not "
                f"{os.fspath(data_path)!r}: the files differ. Use the data file that was scored."
            )


@dataclass(frozen=True)
class SelectionSource:
    """What a selection's manifest says it was made from (see :func:`read_selection`)."""

    path: Path
    manifest: Path
    scores_path: str
    scores_sha256: str

    @functools.cached_property
    def scores_run(self) -> dict[str, Any]:
        """The scores' manifest (plus its own path as ``manifest``), checked against the hash.

        Read once: the scores file is found where the selection's manifest says (else beside
        the selection), with the SHA-256 it records.
        """
        where = f"selection file {str(self.path)!r}"
        recorded = Path(self.scores_path)
        candidates = dict.fromkeys([recorded, self.path.parent / recorded.name])
        present = [p for p in candidates if p.is_file()]
        scores = next((p for p in present if sha256_file(p) == self.scores_sha256), None)
        if scores is None:
            state = (
                "has changed since the selection was made"
                if present
                else "is not there (nor beside the selection)"
            )
            raise ExplainError(
                f"{where}: its manifest names the scores file {self.scores_path!r}, which "
                f"{state}: dmde cannot tell which model and data the selection came from. Keep "
                f"the scores and their manifest as 'dmde score' wrote them, or {_TRUST}."
            )
        try:
            run = read_manifest(scores)
            if run is not None:
                check_vouched(scores, what="scores file", sha256=self.scores_sha256)
        except DmdeError as exc:
            raise ExplainError(f"{where}: {exc}") from None
        if run is None or run.get("command") != "score":
            raise ExplainError(
                f"{where}: the scores file {str(scores)!r} has no manifest of 'dmde score' "
                f"({str(manifest_path(scores))!r}): dmde cannot tell which model scored it. Keep "
                f"the scores' manifest beside them, or {_TRUST}."
            )
        return {**run, "manifest": manifest_path(scores)}


def _sha256_of(record: object) -> object:
    return record.get("sha256") if isinstance(record, dict) else None


def _plain(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _shown(value: object) -> str:
    plain = _plain(value)
    return "(missing)" if plain is None else repr(plain)


def _short(digest: object) -> str:
    return f"{str(digest)[:12]}…" if isinstance(digest, str) else "(none recorded)"


_EXTRA = re.compile(r"^(segment|reason_.+)$")
_FIX = "Use the file written by 'dmde select'."
#: How a message says that a selection can be used as it is (the CLI names its flag).
_TRUST = "use it as it is with the trust_selection option (dmde explain --trust-selection)"


def read_selection(
    path: str | os.PathLike[str], *, trust_selection: bool = False
) -> SelectionTable:
    """Read a selection file written by ``dmde select`` (CSV or Parquet) and its manifest.

    The manifest (``<file>.manifest.json``) must be beside the file, of ``dmde select``, and
    record the file's SHA-256: a file edited after it was written (an office, a rank) is
    refused. The quota column is the manifest's ``per``.

    Parameters
    ----------
    path : path
        The selection file.
    trust_selection : bool, default False
        Use a file without its manifest (or with an unreadable one) as it is: nothing then
        tells that the file is the one ``dmde select`` wrote. The quota column is then the
        column after :data:`~dmde.batch.selection.OUTPUT_COLUMNS` that is not ``segment`` or a
        reason code, else ``caf_code`` if a file's rank in its group differs from its national
        rank, else none (a national selection). A manifest that is there is still checked.

    Raises
    ------
    ExplainError
        If the file is missing, unreadable or lacks a column of a selection; if its manifest
        is missing (unless ``trust_selection``), is not one of ``dmde select``, or records
        another SHA-256.
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
    manifest = _manifest(source, trust_selection)
    summary = manifest.get("summary", {})
    summary = summary if isinstance(summary, dict) else {}
    per = summary["per"] if "per" in summary else _infer_per(frame)
    groups = summary.get("groups") or {}
    try:
        selection = SelectionTable(
            frame,
            per=per,
            n_files=summary.get("n_files"),
            group_files={str(k): int(v["files"]) for k, v in groups.items()},
            **(_action_of(summary) if manifest else {}),
        )
    except ExplainError as exc:
        raise ExplainError(f"selection file {str(source)!r}: {exc}") from None
    if manifest:
        scores = manifest["input"]
        origin = SelectionSource(source, manifest_path(source), scores["path"], scores["sha256"])
        object.__setattr__(selection, "_source", origin)
    return selection


def _action_of(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The action and overlap rule a selection's summary records (no action: a check)."""
    if summary.get("action") != "outreach":
        return {"action": "check"}
    return {"action": "outreach", "overlap_removed": bool(summary.get("checks"))}


def _manifest(source: Path, trust: bool) -> dict[str, Any]:
    """The selection's manifest, checked against the file; {} if trusted without one."""
    where = f"selection file {str(source)!r}"
    try:
        manifest = read_manifest(source)
    except DmdeError as exc:
        if trust:
            return {}
        raise ExplainError(
            f"{where}: {exc} Write the selection again with 'dmde select'."
        ) from None
    if manifest is None:
        if trust:
            return {}
        raise ExplainError(
            f"{where} has no manifest ({str(manifest_path(source))!r}, which 'dmde select' "
            "writes beside it): nothing tells that it is the selection dmde wrote, unedited. "
            f"Keep the manifest beside the file, or {_TRUST}."
        )
    output, scores = manifest.get("output"), manifest.get("input")
    if (
        manifest.get("command") != "select"
        or not isinstance(output, dict)
        or not isinstance(scores, dict)
        or not isinstance(scores.get("path"), str)
        or not isinstance(scores.get("sha256"), str)
    ):
        raise ExplainError(
            f"{where}: {str(manifest_path(source))!r} is not a manifest of 'dmde select' (it "
            "names no output and no scores file). Write the selection again with 'dmde select'."
        )
    actual = sha256_file(source)
    if output.get("sha256") != actual:
        raise ExplainError(
            f"{where} was changed after 'dmde select' wrote it: its SHA-256 is "
            f"{_short(actual)}, its manifest records {_short(output.get('sha256'))}. A notice "
            "would print what the edited file says; use the selection as written, or select "
            "again."
        )
    check_vouched(source, what="selection file", sha256=actual, error=ExplainError)
    return manifest


def _infer_per(frame: pd.DataFrame) -> str | None:
    extra = [c for c in frame.columns if c not in OUTPUT_COLUMNS and not _EXTRA.match(str(c))]
    if extra:
        return str(extra[0])
    ranks = {"rank_in_group", "rank_national"} <= set(frame.columns)  # else refused later
    if ranks and len(frame) and (frame["rank_in_group"] != frame["rank_national"]).any():
        return "caf_code"
    return None
