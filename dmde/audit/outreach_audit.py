"""The audit of outreach, and both actions side by side.

The same audit as a check's (:func:`dmde.audit.run.audit`), read the other way: the files
selected are the households contacted to verify that they receive all their rights (``dmde
select --action outreach``), and the outcome is an underpayment (``rappel_target``, observed on
the random-control sample; ``truth_rappel_target`` in a simulation). Its group tables say who is
reached by outreach against who is truly underpaid, by group and income band.

:func:`actions_side_by_side` puts both actions in one table, group by group: the share of the
files, of the checks, of the outreach contacts, of the overpayments and of the underpayments
(each estimated from the random-control sample, weighted by the survey), so that the ethics
committee sees who is checked and who is helped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.inputs import _ids, _require, _selection, load_scoring_model, read_table
from dmde.audit.result import AuditResult
from dmde.audit.run import audit
from dmde.audit.settings import AuditError, AuditSettings
from dmde.audit.targeting import ATTRIBUTE_SOURCES, GROUP_ATTRIBUTES, group_columns
from dmde.batch.selection_file import check_selection_source
from dmde.core.errors import SchemaError
from dmde.data.catalog import CATALOG
from dmde.data.datasets import read_dataset
from dmde.data.outputs import output_columns
from dmde.model.scorecard import ScorecardFamily

__all__ = [
    "OUTREACH_LABEL_SOURCES",
    "actions_from_files",
    "actions_side_by_side",
    "audit_outreach_files",
]

#: Where the labels of an outreach audit come from (``labels=``).
OUTREACH_LABEL_SOURCES = {
    "controls": "the random-control sample (rappel_target, weighted by control_weight)",
    "truth": "the synthetic truth (truth_rappel_target, every file: simulation only)",
}
_LABEL_COLUMN = {"controls": "rappel_target", "truth": "truth_rappel_target"}


def audit_outreach_files(
    *,
    scores: str | os.PathLike[str],
    population: str | os.PathLike[str],
    model: str | os.PathLike[str],
    selection: str | os.PathLike[str],
    labels: str = "controls",
    attributes: Sequence[str] | None = None,
    settings: AuditSettings | None = None,
    verify_key: str | os.PathLike[str] | None = None,
) -> AuditResult:
    """Audit an outreach selection: the rights model's scores, the population, the contacts.

    Parameters
    ----------
    scores, population, model : path
        The rights model's scores file, the population it scored, the rights model's file.
    selection : path
        The outreach selection (``dmde select --action outreach``).
    labels : {"controls", "truth"}
        See :data:`OUTREACH_LABEL_SOURCES`.
    attributes, settings, verify_key
        As for :func:`dmde.audit.inputs.audit_files`.
    """
    if labels not in _LABEL_COLUMN:
        raise AuditError(f"labels must be 'controls' or 'truth'; got {labels!r}.")
    scores_path, population_path = Path(scores), Path(population)
    loaded = load_scoring_model(model, scores_path, verify_key=verify_key)
    wanted = list(attributes) if attributes else list(ATTRIBUTE_SOURCES)
    label = _LABEL_COLUMN[labels]
    needed = set(loaded.features_) | {"dossier_id", label}
    if isinstance(loaded, ScorecardFamily):
        needed.add(loaded.segment_column)
    needed |= {ATTRIBUTE_SOURCES[a] for a in wanted}
    if labels == "controls":
        needed |= {"controlled", "control_weight"}
    try:
        header = output_columns(population_path, what="population file")
    except SchemaError as exc:
        raise AuditError(str(exc)) from None
    if label not in header:
        raise AuditError(
            f"{population_path} has no column {label!r}: audit outreach on a population with "
            "the underpayment labels (dmde synth writes them)."
        )
    people = read_dataset(population_path, columns=[c for c in CATALOG if c in needed])
    score_frame = read_table(
        scores_path, columns=["dossier_id", "score", "probability"], what="scores file"
    )
    _require(score_frame, scores_path, ["dossier_id", "score", "probability"])
    _ids(score_frame["dossier_id"], scores_path)
    ids = _ids(people["dossier_id"].astype("int64"), population_path)
    position = pd.Index(score_frame["dossier_id"].astype("int64")).get_indexer(pd.Index(ids))
    if (position < 0).any() or len(score_frame) != len(people):
        raise AuditError(
            f"{scores_path} and {population_path} do not hold the same files: audit the "
            "population that was scored."
        )
    frame = people
    frame["score"] = score_frame["score"].to_numpy(dtype=float)[position]
    frame["probability"] = score_frame["probability"].to_numpy(dtype=float)[position]
    made = check_selection_source(selection, scores_path, error=AuditError)
    summary = made.get("summary") if made is not None else None
    if isinstance(summary, dict) and summary.get("action") != "outreach":
        raise AuditError(
            f"selection file {os.fspath(selection)!r} was made for checks (its manifest records "
            "no outreach action): the outreach audit reads a selection of dmde select --action "
            "outreach."
        )
    frame["selected"], frame["method"] = _selection(Path(selection), ids)
    groups = group_columns(frame)[wanted]
    declared = {a: GROUP_ATTRIBUTES[a].reference for a in wanted}
    present = {a: r for a, r in declared.items() if (groups[a] == r).any()}
    settings = AuditSettings() if settings is None else settings
    result = audit(
        frame,
        groups=groups,
        selected="selected",
        method="method",
        label=label,
        label_source=OUTREACH_LABEL_SOURCES[labels],
        sample="controlled" if labels == "controls" else None,
        weight="control_weight" if labels == "controls" else None,
        model=loaded,
        dmde_inputs=True,
        settings=replace(settings, reference=present | dict(settings.reference or {})),
    )
    return replace(result, data={**result.data, "action": "outreach"})


def actions_side_by_side(
    population: pd.DataFrame,
    *,
    checks: Sequence[int] | np.ndarray,
    contacts: Sequence[int] | np.ndarray,
    attributes: Sequence[str] = ("income_band",),
) -> pd.DataFrame:
    """Both actions, group by group: who is checked and who is contacted, against who is
    overpaid and who is underpaid.

    Parameters
    ----------
    population : DataFrame
        The population: ``dossier_id``, the columns of the group ``attributes``, and the
        random-control sample (``controlled``, ``control_weight``, ``target``,
        ``rappel_target``).
    checks, contacts : sequence of int
        The ``dossier_id`` of the files selected for a check and for outreach.
    attributes : sequence of str
        Group attributes (:data:`~dmde.audit.targeting.GROUP_ATTRIBUTES`).

    Returns
    -------
    DataFrame
        One row per attribute and group: ``files``, ``checks``, ``contacts`` (counts) and the
        shares ``share_files``, ``share_checks``, ``share_contacts``, ``share_overpaid`` and
        ``share_underpaid`` (the group's part of the files with the target, and with
        rappel_target, in the population, estimated from the weighted random controls). Each
        share column adds up to 1 over an attribute's groups.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> df = synthesize(5_000, seed=1, controls=1_000)
    >>> table = actions_side_by_side(df, checks=[1, 2, 3], contacts=[4, 5])
    >>> round(float(table["share_checks"].sum()), 6), list(table["group"])[:2]
    (1.0, ['zero', 'under 0.5 Smic'])
    """
    ids = population["dossier_id"].to_numpy()
    checked = np.isin(ids, np.asarray(checks))
    contacted = np.isin(ids, np.asarray(contacts))
    controlled = population["controlled"].to_numpy() == 1
    weight = np.where(controlled, population["control_weight"].fillna(0).to_numpy(float), 0.0)
    over = weight * (population["target"].fillna(0).to_numpy(float) == 1)
    under = weight * (population["rappel_target"].fillna(0).to_numpy(float) == 1)
    groups = group_columns(population)
    rows: list[dict[str, Any]] = []
    for attribute in attributes:
        column = groups[attribute]
        for group in column.cat.categories:
            rows.append(
                _row(attribute, group, column.to_numpy() == group, checked, contacted, over, under)
            )
    table = pd.DataFrame(rows)
    for _, part in table.groupby("attribute", sort=False):
        for name, total in (
            ("files", "share_files"),
            ("checks", "share_checks"),
            ("contacts", "share_contacts"),
            ("overpaid", "share_overpaid"),
            ("underpaid", "share_underpaid"),
        ):
            denominator = float(part[name].sum())
            table.loc[part.index, total] = part[name] / denominator if denominator else np.nan
    return table.drop(columns=["overpaid", "underpaid"])


def actions_from_files(
    population: str | os.PathLike[str],
    *,
    checks: str | os.PathLike[str],
    contacts: str | os.PathLike[str],
    attributes: Sequence[str] = ("income_band",),
) -> pd.DataFrame:
    """:func:`actions_side_by_side` from files: the population file, the check selection
    (``dmde select``) and the outreach selection (``dmde select --action outreach``). Only the
    columns needed are read."""
    wanted = {"dossier_id", "controlled", "control_weight", "target", "rappel_target"}
    wanted |= {ATTRIBUTE_SOURCES[a] for a in attributes}
    people = read_dataset(Path(population), columns=[c for c in CATALOG if c in wanted])
    chosen = {
        name: read_table(Path(path), columns=["dossier_id"], what=f"{name} selection")
        for name, path in (("check", checks), ("outreach", contacts))
    }
    return actions_side_by_side(
        people,
        checks=chosen["check"]["dossier_id"].to_numpy(),
        contacts=chosen["outreach"]["dossier_id"].to_numpy(),
        attributes=attributes,
    )


def _row(
    attribute: str,
    group: Any,
    member: np.ndarray,
    checked: np.ndarray,
    contacted: np.ndarray,
    over: np.ndarray,
    under: np.ndarray,
) -> dict[str, Any]:
    return {
        "attribute": attribute,
        "group": str(group),
        "files": int(member.sum()),
        "checks": int((member & checked).sum()),
        "contacts": int((member & contacted).sum()),
        "overpaid": float(over[member].sum()),
        "underpaid": float(under[member].sum()),
    }
