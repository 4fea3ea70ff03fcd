"""Reading an audit's input files: scores, population, selection, model; or another system's table.

:func:`audit_files` joins what ``dmde score``, ``dmde select`` and the population file hold (by
``dossier_id``), checks that they belong together (every population file scored once, every
selected file in the population, the scores made by the model given), builds the group columns
and runs :func:`dmde.audit.run.audit`. :func:`audit_table` does the same for a scored table from
another system ("generic mode"), whose columns are named by the caller. Every mistake is a
:class:`~dmde.audit.settings.AuditError` naming the file and column. The statistical options
travel as one :class:`~dmde.audit.settings.AuditSettings` (``settings=``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.metricframe import MetricFunction
from dmde.audit.result import AuditResult
from dmde.audit.run import audit
from dmde.audit.settings import AuditError, AuditOptionError, AuditSettings
from dmde.audit.table_columns import METHODS
from dmde.audit.targeting import ATTRIBUTE_SOURCES, GROUP_ATTRIBUTES, group_columns
from dmde.batch.selection_file import check_selection_source
from dmde.core.errors import DmdeError, SchemaError
from dmde.data.catalog import CATALOG
from dmde.data.datasets import read_dataset
from dmde.data.manifest import check_vouched, manifest_path, read_manifest
from dmde.data.outputs import read_output
from dmde.model.model_file import load_model
from dmde.model.periods import PeriodScorecards
from dmde.model.scorecard import ScorecardFamily

__all__ = ["LABEL_SOURCES", "audit_files", "audit_table", "load_scoring_model", "read_table"]

#: Where the labels of an audit come from (``labels=`` of :func:`audit_files`).
LABEL_SOURCES = {
    "controls": "the random-control sample (target, weighted by control_weight)",
    "truth": "the synthetic truth (truth_target, every file: simulation only)",
    "none": "no labels",
}
_SUFFIXES = (".csv", ".parquet", ".pq")


def read_table(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    what: str = "table",
) -> pd.DataFrame:
    """Read a CSV or Parquet table (any columns, Arrow's types) for the audit; errors name the file.

    The reading is the data layer's (:func:`dmde.data.outputs.read_output` with ``infer=True``);
    the audit adds what it needs of a table: each column named once, at least one row. A file
    with a manifest beside it (``dmde score``, ``dmde select``) is read only if the manifest
    vouches for it (:func:`dmde.data.manifest.check_vouched`).

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.pq`` file.
    columns : sequence of str, optional
        The columns to read (each in the file); None reads every column.
    what : str, default "table"
        How the file is named when it cannot be read ("scores file").

    Raises
    ------
    AuditError
        If the file is missing, of another kind, unreadable, repeats a column name (the data
        layer's check, :func:`~dmde.data.outputs.read_output`) or has no rows; the message names
        the file.
    """
    file = Path(path)
    if file.suffix.lower() not in _SUFFIXES:
        raise AuditError(f"{file}: expected a .csv or .parquet file, got {file.suffix!r}.")
    if not file.is_file():
        raise AuditError(f"{file}: no such file.")
    check_vouched(file, what=what, error=AuditError)
    try:
        table = read_output(file, columns, infer=True, what=what)
    except SchemaError as exc:
        raise AuditError(str(exc)) from None
    if table.num_rows == 0:
        raise AuditError(f"{file}: the table has no rows (only a header): nothing to audit.")
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _require(frame: pd.DataFrame, path: Path, names: Sequence[str]) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise AuditError(
            f"{path}: missing column(s) {', '.join(missing)}; columns: "
            f"{', '.join(map(str, frame.columns[:20]))}."
        )


def _model_hash_of_scores(scores: Path) -> str | None:
    try:
        content = read_manifest(scores)
        return None if content is None else str(content["model"]["sha256"])
    except (DmdeError, KeyError, TypeError):
        raise AuditError(
            f"{manifest_path(scores)}: not a dmde scoring manifest (no model.sha256)."
        ) from None


def load_scoring_model(
    model: str | os.PathLike[str], scores: Path, *, verify_key: str | os.PathLike[str] | None
) -> Any:
    """The model file, loaded (and verified with ``verify_key``), refused if the scores file's
    manifest names another model: an audit reads the model that scored."""
    loaded = load_model(model, verify_key=verify_key)
    made_by = _model_hash_of_scores(scores)
    if made_by is not None and made_by != loaded.model_sha256_:
        raise AuditError(
            f"{scores} was scored by the model {made_by[:12]}…, not by {model} "
            f"({loaded.model_sha256_[:12]}…): audit the model that scored."
        )
    return loaded


def _ids(values: pd.Series[Any], path: Path) -> pd.Series[Any]:
    if values.isna().any() or values.duplicated().any():
        dup = values[values.duplicated()].head(3).tolist()
        raise AuditError(
            f"{path}: dossier_id must be unique and present; repeated or missing: {dup}."
        )
    return values


def audit_files(
    *,
    scores: str | os.PathLike[str],
    population: str | os.PathLike[str],
    model: str | os.PathLike[str],
    selection: str | os.PathLike[str] | None = None,
    budget: int | None = None,
    labels: str = "controls",
    attributes: Sequence[str] | None = None,
    settings: AuditSettings | None = None,
    extra_metrics: Mapping[str, MetricFunction] | None = None,
    verify_key: str | os.PathLike[str] | None = None,
) -> AuditResult:
    """Audit dmde's own outputs: join scores, population and selection, then :func:`audit`.

    Parameters
    ----------
    scores, population, model : path
        The scores file (``dmde score``), the population file it scored, the model file.
    selection : path, optional
        The selection file (``dmde select``); without it, ``budget`` highest scores.
    labels : {"controls", "truth", "none"}
        See :data:`LABEL_SOURCES`.
    attributes : sequence of str, optional
        Group attributes to audit (default: all that the population allows).
    settings : AuditSettings, optional
        The statistical options (default ``AuditSettings()``). A reference group not given
        there is the attribute's declared one (its largest group when absent from the data).
    extra_metrics : dict of str to function, optional
        fairlearn-style metrics per group, as in :func:`dmde.audit.run.audit`.
    verify_key : path, optional
        A public key file (``NAME.pub``): the model must be signed by it
        (:func:`dmde.model.model_file.load_model`).
    """
    if labels not in LABEL_SOURCES:
        raise AuditError(f"labels must be one of {', '.join(LABEL_SOURCES)}; got {labels!r}.")
    scores_path, population_path = Path(scores), Path(population)
    loaded = load_scoring_model(model, scores_path, verify_key=verify_key)
    wanted = list(attributes) if attributes else list(ATTRIBUTE_SOURCES)
    unknown = [a for a in wanted if a not in ATTRIBUTE_SOURCES]
    if unknown:
        raise AuditOptionError(
            f"unknown group attribute(s) {unknown}; choose among {', '.join(ATTRIBUTE_SOURCES)}."
        )
    if selection is not None:  # a selection made from other scores is refused before reading
        check_selection_source(selection, scores_path, error=AuditError)
    needed = set(loaded.features_) | {"dossier_id"}
    if isinstance(loaded, ScorecardFamily):
        needed.add(loaded.segment_column)
    elif isinstance(loaded, PeriodScorecards) and loaded.month is None:
        needed.add(loaded.month_column)  # each file scored as of its own month
    needed |= {ATTRIBUTE_SOURCES[a] for a in wanted}
    if labels == "controls":
        needed |= {"controlled", "target", "control_weight"}
    elif labels == "truth":
        needed.add("truth_target")
    people = read_dataset(population_path, columns=[c for c in CATALOG if c in needed])
    score_frame = read_table(
        scores_path, columns=["dossier_id", "score", "probability"], what="scores file"
    )
    _require(score_frame, scores_path, ["dossier_id", "score", "probability"])
    _ids(score_frame["dossier_id"], scores_path)
    people_ids = _ids(people["dossier_id"].astype("int64"), population_path)
    position = pd.Index(score_frame["dossier_id"].astype("int64")).get_indexer(pd.Index(people_ids))
    if (position < 0).any():
        missing = people_ids[position < 0]
        raise AuditError(
            f"{len(missing):,} files of {population_path} have no score in {scores_path} (e.g. "
            f"dossier_id {missing.iloc[0]}); rejected rows are listed in the scores' rejects "
            "file. Audit the population that was scored."
        )
    if len(score_frame) != len(people):
        raise AuditError(
            f"{scores_path} has {len(score_frame):,} scores for {len(people):,} files of "
            f"{population_path}: they do not come from the same file."
        )
    frame = people  # read here, used nowhere else: no copy of a million rows
    frame["score"] = score_frame["score"].to_numpy(dtype=float)[position]
    frame["probability"] = score_frame["probability"].to_numpy(dtype=float)[position]
    method = None
    if selection is not None:
        frame["selected"], frame["method"] = _selection(Path(selection), people_ids)
        method = "method"
    groups = group_columns(frame)[wanted]
    # The declared reference of each attribute (the largest group when it is absent here).
    declared = {a: GROUP_ATTRIBUTES[a].reference for a in wanted}
    present = {a: r for a, r in declared.items() if (groups[a] == r).any()}
    settings = AuditSettings() if settings is None else settings
    references = present | dict(settings.reference or {})
    label_column = {"controls": "target", "truth": "truth_target"}.get(labels)
    return audit(
        frame,
        groups=groups,
        selected="selected" if selection is not None else None,
        method=method,
        budget=budget,
        label=label_column,
        label_source=LABEL_SOURCES[labels],
        sample="controlled" if labels == "controls" else None,
        weight="control_weight" if labels == "controls" else None,
        model=loaded,
        dmde_inputs=True,
        settings=replace(settings, reference=references),
        extra_metrics=extra_metrics,
    )


def _selection(path: Path, ids: pd.Series[Any]) -> tuple[Any, Any]:
    chosen = read_table(path, what="selection file")
    _require(chosen, path, ["dossier_id", "selection_reason"])
    chosen_ids = _ids(chosen["dossier_id"].astype("int64"), path)
    position = pd.Index(ids).get_indexer(chosen_ids)
    if (position < 0).any():
        stray = chosen_ids[position < 0].iloc[0]
        raise AuditError(
            f"{path}: {int((position < 0).sum()):,} selected files are not in the population "
            f"(e.g. dossier_id {stray}): audit the population the selection was made from."
        )
    reasons = chosen["selection_reason"].astype(str).to_numpy()
    bad = sorted(set(reasons) - {"score", "random"})
    if bad:
        raise AuditError(f"{path}: selection_reason must be 'score' or 'random'; found {bad[:3]}.")
    selected = np.zeros(len(ids), dtype=bool)
    selected[position] = True
    method = np.full(len(ids), "none", dtype=object)
    method[position] = reasons
    return selected, method


def _mapped_methods(
    values: pd.Series[Any], column: str, mapping: Mapping[str, str] | None, path: Path
) -> pd.Series[Any]:
    """The method column in dmde's words (score, random, other, none), or a clear error.

    An empty cell is ``"none"`` (a file not chosen), as in a population where only the chosen
    files have a method.
    """
    text = values.astype(str).where(values.notna(), "none")
    if not mapping:
        return text
    unknown = sorted(set(mapping) - set(METHODS))
    if unknown:
        raise AuditOptionError(
            f"--method-values maps to {', '.join(map(repr, unknown))}; the methods are "
            f"{', '.join(map(repr, METHODS))} (e.g. score=model,random=random_sample)."
        )
    inverse: dict[str, str] = {}
    for method, raw in mapping.items():
        for value in str(raw).split("|"):
            inverse[value] = method
    found = sorted(set(text))
    stray = [v for v in found if v not in inverse and v not in METHODS]
    if stray:
        raise AuditError(
            f"{path}: the method column {column!r} holds {', '.join(map(repr, found[:10]))}; "
            f"{', '.join(map(repr, stray[:5]))} is not mapped. Map every value with "
            "--method-values (score=..., random=..., other=..., none=...; several values "
            "joined by '|')."
        )
    return text.map(inverse).where(text.isin(list(inverse)), text)


def audit_table(
    path: str | os.PathLike[str],
    *,
    groups: Sequence[str],
    score: str | None = None,
    probability: str | None = None,
    selected: str | None = None,
    method: str | None = None,
    method_values: Mapping[str, str] | None = None,
    budget: int | None = None,
    label: str | None = None,
    sample: str | None = None,
    weight: str | None = None,
    id_column: str | None = None,
    label_source: str | None = None,
    settings: AuditSettings | None = None,
    extra_metrics: Mapping[str, MetricFunction] | None = None,
) -> AuditResult:
    """Generic mode: audit another system's table, naming its columns.

    The group columns are read from the table but passed to the audit separately from the
    scores; no model is involved (no proxies, exclusion proof or profiles). The score is
    optional: many systems publish only who was checked, how (``method``, its values mapped
    to dmde's by ``method_values``, e.g. ``{"score": "model", "random": "random_sample"}``),
    and the outcome. The statistical options travel in ``settings`` (default
    ``AuditSettings()``); ``extra_metrics`` are fairlearn-style metrics per group, as in
    :func:`dmde.audit.run.audit`.
    """
    file = Path(path)
    if not groups:
        raise AuditOptionError(
            "name at least one group column (e.g. --group-columns gender,age_band)."
        )
    if method_values and method is None:
        raise AuditOptionError("--method-values maps the values of --method-column: name it too.")
    frame = read_table(file)
    named = [*groups] + [
        c
        for c in (score, probability, selected, method, label, sample, weight, id_column)
        if c is not None
    ]
    _require(frame, file, named)
    group_frame = pd.DataFrame(
        {g: pd.Categorical(frame[g].astype(str).where(frame[g].notna())) for g in groups}
    )
    if score is not None and (
        frame[score].isna().any() or not pd.api.types.is_numeric_dtype(frame[score])
    ):
        raise AuditError(f"{file}: the score column {score!r} must be numeric with no gaps.")
    if method is not None:
        frame[method] = _mapped_methods(frame[method], method, method_values, file)
    if selected is None and budget is None and method is None:
        raise AuditOptionError(
            "say who was selected: --selected-column, --method-column, or --budget (with a score)."
        )
    return audit(
        frame,
        groups=group_frame,
        score=score,
        probability=probability,
        selected=selected,
        method=method,
        budget=budget,
        label=label,
        label_source=label_source or (f"column {label!r} of {file.name}" if label else "none"),
        sample=sample,
        weight=weight,
        id_column=id_column,
        settings=settings,
        extra_metrics=extra_metrics,
    )
