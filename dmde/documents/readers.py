"""dmde's outputs read back as typed objects, for a notebook: scores, selections, audits.

- :func:`read_scores`: a scores file of ``dmde score`` (CSV or Parquet) as a :class:`ScoresFile`
  (the table with the types of :func:`dmde.data.outputs.output_type`, and its manifest);
- :func:`read_selection` (:mod:`dmde.documents.selection_table`), also
  ``SelectionTable.from_selection``: a selection file of ``dmde select``, checked against its
  manifest, as a :class:`~dmde.documents.selection_table.SelectionTable`;
- :func:`read_audit`: the JSON of a report of ``dmde audit`` as an :class:`AuditReport` (its
  findings first, then its flags and tables as DataFrames).

Tables are read by the one reader of dmde's outputs (:func:`dmde.data.outputs.read_output`),
manifests by :func:`dmde.data.manifest.read_manifest`. Monitoring reports are not read here yet.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dmde.core.errors import DmdeError, SchemaError
from dmde.data.manifest import read_manifest
from dmde.data.outputs import read_output
from dmde.documents.explanation import ExplainError
from dmde.documents.selection_table import SelectionTable
from dmde.documents.selection_table import read_selection as _read_selection

__all__ = ["AuditReport", "ReadError", "ScoresFile", "read_audit", "read_scores", "read_selection"]


class ReadError(DmdeError):
    """An output of dmde that cannot be read back (missing, unreadable, of another command)."""


@dataclass(frozen=True)
class ScoresFile:
    """A scores file of ``dmde score`` and its manifest.

    Attributes
    ----------
    path : Path
    frame : DataFrame
        One row per scored file: ``dossier_id``, ``caf_code``, ``score``, ``probability``, the
        reason columns; text columns as categories.
    manifest : dict or None
        The run's manifest (None when there is none beside the file).
    """

    path: Path
    frame: pd.DataFrame = field(repr=False)
    manifest: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def model_sha256(self) -> str | None:
        """The SHA-256 of the model that scored the file, from the manifest."""
        model = (self.manifest or {}).get("model")
        return str(model["sha256"]) if isinstance(model, dict) and "sha256" in model else None

    def _repr_html_(self) -> str:
        where = f"<p><b>Scores</b> {self.path.name}: {len(self.frame):,} files"
        model = self.model_sha256
        where += f", model sha256 {model[:12]}…</p>" if model else " (no manifest)</p>"
        return where + str(self.frame.head(10).to_html(index=False))


def read_scores(path: str | os.PathLike[str]) -> ScoresFile:
    """Read a scores file written by ``dmde score`` (CSV or Parquet), and its manifest.

    Raises
    ------
    ReadError
        If the file is missing or unreadable, or its manifest is not one of ``dmde score``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "scores.csv")
    ...     _ = path.write_text("dossier_id,caf_code,score,probability\\n7,01,612.5,0.08\\n")
    ...     scores = read_scores(path)
    >>> scores.frame["caf_code"].tolist(), scores.frame["score"].tolist(), scores.manifest
    (['01'], [612.5], None)
    """
    source = Path(path)
    if not source.is_file():
        raise ReadError(f"scores file {str(source)!r} does not exist. Check the path.")
    fix = "Pass a scores file written by 'dmde score'."
    try:
        frame = read_output(source, what="scores file", fix=fix).to_pandas()
        manifest = read_manifest(source)
    except (SchemaError, DmdeError) as exc:
        raise ReadError(str(exc)) from None
    if manifest is not None and manifest.get("command") != "score":
        raise ReadError(
            f"scores file {str(source)!r}: its manifest is of {manifest.get('command')!r}, not of "
            f"'dmde score'. {fix}"
        )
    missing = [c for c in _SCORES_COLUMNS if c not in frame.columns]
    if missing:
        manifest_said = "" if manifest is not None else " and no manifest beside it"
        raise ReadError(
            f"scores file {str(source)!r} has no column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(c) for c in missing)}"
            f"{manifest_said}: it is not a scores file (a file of households to score?). "
            f"{fix[:-1]} (its --out)."
        )
    return ScoresFile(source, frame, manifest)


#: The columns every scores file of ``dmde score`` has (whatever its reason codes).
_SCORES_COLUMNS = ("dossier_id", "score", "probability")


class _SelectionReadError(ReadError, ExplainError):
    """A selection file that cannot be read back: a :class:`ReadError` (and, as
    :func:`dmde.documents.selection_table.read_selection` says it, an ``ExplainError``)."""


def read_selection(
    path: str | os.PathLike[str], *, trust_selection: bool = False
) -> SelectionTable:
    """Read a selection file written by ``dmde select`` and its manifest, as
    :func:`dmde.documents.selection_table.read_selection` does.

    Raises
    ------
    ReadError
        If the file is missing, unreadable, not a selection, or its manifest does not vouch
        for it (see :func:`dmde.documents.selection_table.read_selection`).
    """
    try:
        return _read_selection(path, trust_selection=trust_selection)
    except ExplainError as exc:
        raise _SelectionReadError(str(exc)) from None


@dataclass(frozen=True)
class AuditReport:
    """The JSON of a report of ``dmde audit``: its findings first, then flags and tables.

    Attributes
    ----------
    path : Path
    title : str
    model_sha256 : str or None
        The audited model file's SHA-256 (None for an audit of a selection without a model).
    findings : DataFrame
        The verdicts the report opens with, in its order.
    flags : DataFrame
        The flagged disparities with their sentence.
    tables : dict of str to DataFrame
        Every table of the report (``metrics``, ``disparities``, ``proxies``...), by name.
    data : dict
        The whole ``data`` object of the JSON (inputs, parameters, method, exclusion...).
    """

    path: Path
    title: str
    model_sha256: str | None
    findings: pd.DataFrame = field(repr=False)
    flags: pd.DataFrame = field(repr=False)
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    data: Mapping[str, Any] = field(repr=False)

    def _repr_html_(self) -> str:
        from html import escape

        head = f"<p><b>{escape(self.title)}</b> ({escape(self.path.name)})</p>"
        findings = self.findings.to_html(index=False) if len(self.findings) else "<p>none</p>"
        flags = self.flags.to_html(index=False) if len(self.flags) else "<p>none</p>"
        return f"{head}<h4>Findings</h4>{findings}<h4>Flags</h4>{flags}"


def read_audit(path: str | os.PathLike[str]) -> AuditReport:
    """Read the report of ``dmde audit`` (its ``.json``; the ``.html`` path also does).

    Raises
    ------
    ReadError
        If the JSON is missing, unreadable, or not a dmde audit report.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> payload = {"title": "Audit", "data": {"format": "dmde-audit", "model_sha256": "ab",
    ...     "findings": [{"finding": 1, "verdict": "disparity"}], "flags": [],
    ...     "tables": {"metrics": [{"group": "F", "selection_rate": 0.02}]}}}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "audit.json")
    ...     _ = path.write_text(json.dumps(payload))
    ...     report = read_audit(path.with_suffix(".html"))
    >>> report.findings["verdict"].tolist(), report.tables["metrics"].shape
    (['disparity'], (1, 2))
    """
    source = Path(path).with_suffix(".json")
    try:
        payload = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReadError(
            f"audit report {str(source)!r} does not exist: 'dmde audit' writes it beside the "
            "HTML. Check the path."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReadError(f"audit report {str(source)!r} is not readable JSON ({exc}).") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or data.get("format") != "dmde-audit":
        raise ReadError(
            f"{str(source)!r} is not a report of 'dmde audit' (no data.format 'dmde-audit'). "
            "Pass the JSON that 'dmde audit' wrote."
        )
    raw = data.get("tables")
    tables: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return AuditReport(
        path=source,
        title=str(payload.get("title", "")),
        model_sha256=data.get("model_sha256"),
        findings=pd.DataFrame(data.get("findings") or []),
        flags=pd.DataFrame(data.get("flags") or []),
        tables={str(k): pd.DataFrame(v or []) for k, v in sorted(tables.items())},
        data=data,
    )
