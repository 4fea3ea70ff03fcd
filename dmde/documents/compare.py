"""What changed between two versions of the model: points, scores, selections, groups.

The ethics committee reviews every new version of the model with ``dmde diff``. From the two
model files alone, :func:`diff_models` lists what changed in the scorecards: settings (policy,
routing, scaling, target, fitting parameters), features and segments added or removed, and for
every segment, variable and bin the points before and after. A bin is matched by its label: when
a retrain moves a cut point, the old bin is reported as removed and the new one as added.

On a population file, :func:`compare_selections` scores every file with both models (streamed,
as ``dmde score`` does), selects the top ``budget`` with each (as ``dmde select`` does, same tie
rule and seed), and reports the distribution of the score shifts, the files that enter and
leave the selection, and the composition of both selections by the audit's groups
(:func:`dmde.audit.targeting.group_columns`), side by side.

Results are data (:class:`Comparison`), rendered by :func:`comparison_document` as HTML,
Markdown and JSON. A model compared with itself reports no change.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.targeting import ATTRIBUTE_SOURCES, group_columns
from dmde.batch.selection import select
from dmde.core.errors import DmdeError
from dmde.core.rendering import (
    Column,
    Document,
    Facts,
    Items,
    Paragraph,
    Section,
    Table,
    format_value,
    write_document,
)
from dmde.data.catalog import CATALOG
from dmde.data.datasets import BATCH_ROWS, file_columns, iter_batches
from dmde.documents.describe import ModelFile, read_model_file, score_population

__all__ = [
    "CompareError",
    "Comparison",
    "GroupComposition",
    "ModelDiff",
    "PointsChange",
    "SelectionDiff",
    "SettingChange",
    "compare_selections",
    "comparison_document",
    "diff",
    "diff_files",
    "diff_models",
    "write_comparison",
]

FloatArray = npt.NDArray[np.float64]


_QUANTILES = (("min", 0.0), ("p01", 0.01), ("p05", 0.05), ("p25", 0.25), ("median", 0.5),
              ("p75", 0.75), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))  # fmt: skip
_SHIFT_LABELS = {"mean": "mean", "mean_absolute": "mean absolute shift", "min": "minimum",
                 "p01": "1st percentile", "p05": "5th percentile", "p25": "25th percentile",
                 "median": "median", "p75": "75th percentile", "p95": "95th percentile",
                 "p99": "99th percentile", "max": "maximum"}  # fmt: skip
_TOLERANCE = 1e-9


class CompareError(DmdeError, ValueError):
    """Inputs that cannot be compared (the message says which and what to do)."""


# --------------------------------------------------------------------------------------------
# The model files
@dataclass(frozen=True)
class SettingChange:
    """A setting that differs between the two model files."""

    setting: str
    old: str
    new: str


@dataclass(frozen=True)
class PointsChange:
    """The points of one bin (or an intercept) in the old and the new model (None: absent)."""

    segment: str
    feature: str
    label: str
    bin_label: str
    old: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def status(self) -> str:
        """``unchanged``, ``changed``, ``added`` (new only) or ``removed`` (old only)."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if abs(self.new - self.old) > _TOLERANCE else "unchanged"


@dataclass(frozen=True)
class ModelDiff:
    """What differs between two model files."""

    old_name: str
    new_name: str
    old_sha256: str
    new_sha256: str
    settings: tuple[SettingChange, ...]
    features_added: tuple[str, ...]
    features_removed: tuple[str, ...]
    segments_added: tuple[str, ...]
    segments_removed: tuple[str, ...]
    points: tuple[PointsChange, ...]
    training: tuple[tuple[str, str, str], ...]

    @property
    def points_changes(self) -> tuple[PointsChange, ...]:
        """The bins whose points changed, appeared or disappeared."""
        return tuple(p for p in self.points if p.status != "unchanged")

    @property
    def n_changes(self) -> int:
        """Every change that can move a score (training facts aside)."""
        return (
            len(self.settings)
            + len(self.features_added)
            + len(self.features_removed)
            + len(self.segments_added)
            + len(self.segments_removed)
            + len(self.points_changes)
        )


def _text(value: Any) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _settings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[SettingChange]:
    pairs: list[tuple[str, Any, Any]] = [
        ("policy name", old["policy"]["name"], new["policy"]["name"]),
        (
            "policy allowed families",
            sorted(old["policy"]["allowed_families"]),
            sorted(new["policy"]["allowed_families"]),
        ),
        (
            "policy removed columns",
            list(old["policy"].get("removed_columns", [])),
            list(new["policy"].get("removed_columns", [])),
        ),
        ("routing column", old["routing"]["column"], new["routing"]["column"]),
        ("target", old["training"].get("target"), new["training"].get("target")),
    ]
    pairs += [
        (f"scaling {key}", old["scaling"].get(key), new["scaling"].get(key))
        for key in sorted(set(old["scaling"]) | set(new["scaling"]))
    ]
    for name in [s for s in old["segments"] if s in new["segments"]]:
        before, after = old["segments"][name]["params"], new["segments"][name]["params"]
        pairs += [
            (f"segment {name}: {key}", before.get(key), after.get(key))
            for key in sorted(set(before) | set(after))
        ]
    return [SettingChange(what, _text(a), _text(b)) for what, a, b in pairs if a != b]


def _bins(segment: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, float]]:
    """(feature, bin label) -> (variable label, points), the intercept first."""
    out = {("intercept", "every file"): ("intercept", float(segment["intercept_points"]))}
    for variable in segment["variables"]:
        seen: dict[str, int] = {}
        for label, points in zip(variable["bin_labels"], variable["points"], strict=True):
            n = seen[label] = seen.get(label, 0) + 1
            key = str(label) if n == 1 else f"{label} #{n}"
            out[(str(variable["name"]), key)] = (str(variable["label"]), float(points))
    return out


def _segment_points(
    name: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> list[PointsChange]:
    before = _bins(old) if old is not None else {}
    after = _bins(new) if new is not None else {}
    order = list(before) + [k for k in after if k not in before]
    rows = []
    for key in order:
        label = (before.get(key) or after[key])[0]
        rows.append(
            PointsChange(
                segment=name,
                feature=key[0],
                label=label,
                bin_label=key[1],
                old=before[key][1] if key in before else None,
                new=after[key][1] if key in after else None,
            )
        )
    return rows


def _facts(document: Mapping[str, Any]) -> dict[str, Any]:
    training = document["training"]
    segments = document["segments"].values()
    return {
        "content hash (sha256)": document["sha256"],
        "written by dmde": document["dmde_version"],
        "trained on": training.get("date"),
        "training data file": training.get("data_file"),
        "training data hash": training.get("data_sha256"),
        "training files": sum(int(s["training"]["rows"]) for s in segments),
        "with the target": sum(int(s["training"]["events"]) for s in segments),
        "AUC on the training rows": training.get("auc_train"),
        "AUC cross-validated": training.get("auc_cv"),
        "segments": list(document["segments"]),
        "features": len(document["features"]),
    }


def _fact_text(value: Any) -> str:
    if isinstance(value, float):
        return format_value(value, "num3")
    if isinstance(value, int):
        return format_value(value, "int")
    return _text(value)


def diff_models(
    old: Mapping[str, Any], new: Mapping[str, Any], *, old_name: str = "old", new_name: str = "new"
) -> ModelDiff:
    """Compare two model files' contents (read by :func:`dmde.documents.describe.read_model_file`).

    Examples
    --------
    >>> import os, tempfile
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.scorecard import ScorecardFamily
    >>> from dmde.model.model_file import save_model
    >>> df = synthesize(20_000, seed=1, controls=4_000)
    >>> checked = df[df["controlled"] == 1]
    >>> model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "model.json")
    ...     _ = save_model(model, path)
    ...     document = read_model_file(path).document
    >>> diff_models(document, document).n_changes
    0
    """
    old_features, new_features = list(old["features"]), list(new["features"])
    segments = list(old["segments"]) + [s for s in new["segments"] if s not in old["segments"]]
    points: list[PointsChange] = []
    for name in segments:
        points += _segment_points(name, old["segments"].get(name), new["segments"].get(name))
    before, after = _facts(old), _facts(new)
    return ModelDiff(
        old_name=old_name,
        new_name=new_name,
        old_sha256=str(old["sha256"]),
        new_sha256=str(new["sha256"]),
        settings=tuple(_settings(old, new)),
        features_added=tuple(f for f in new_features if f not in old_features),
        features_removed=tuple(f for f in old_features if f not in new_features),
        segments_added=tuple(s for s in new["segments"] if s not in old["segments"]),
        segments_removed=tuple(s for s in old["segments"] if s not in new["segments"]),
        points=tuple(points),
        training=tuple((k, _fact_text(before[k]), _fact_text(after[k])) for k in before),
    )


# --------------------------------------------------------------------------------------------
# Scores and selections
@dataclass(frozen=True)
class GroupComposition:
    """One group's files in the population and in each selection."""

    attribute: str
    group: str
    population: int
    population_share: float
    old: int
    old_share: float
    new: int
    new_share: float
    entering: int
    leaving: int

    @property
    def change(self) -> float:
        """Change of the group's share of the selection (new minus old)."""
        return self.new_share - self.old_share


@dataclass(frozen=True)
class SelectionDiff:
    """Score shifts and selections of the two models on one population.

    ``shift`` holds the mean, the mean absolute shift and the quantiles (``min``, ``p01``...
    ``max``) of ``new score - old score``; ``bands`` the number of files by size of shift.
    """

    population: str
    n_files: int
    budget: int
    seed: int
    shift: Mapping[str, float]
    n_changed: int
    n_up: int
    n_down: int
    spearman: float
    bands: tuple[tuple[str, int], ...]
    selected_old: int
    selected_new: int
    kept: int
    entering: int
    leaving: int
    groups: tuple[GroupComposition, ...]
    missing_groups: tuple[str, ...]
    scaling_differs: bool

    @property
    def share_changed(self) -> float:
        return self.n_changed / self.n_files if self.n_files else math.nan


def _ranks(x: FloatArray) -> FloatArray:
    return np.asarray(pd.Series(x).rank(method="average").to_numpy(), dtype=np.float64)


def _spearman(a: FloatArray, b: FloatArray) -> float:
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra @ rb) / math.sqrt(float(ra @ ra) * float(rb @ rb)))


def _bands(shift: FloatArray, pdo: float) -> tuple[tuple[str, int], ...]:
    big, small = pdo, pdo / 4
    b, s = format_value(big, "num0"), format_value(small, "num0")
    tol = _TOLERANCE
    cases = (
        (f"lower by {b} points or more", shift <= -big),
        (f"lower by {s} to {b} points", (shift > -big) & (shift <= -small)),
        (f"lower by less than {s} points", (shift > -small) & (shift < -tol)),
        ("unchanged", np.abs(shift) <= tol),
        (f"higher by less than {s} points", (shift > tol) & (shift < small)),
        (f"higher by {s} to {b} points", (shift >= small) & (shift < big)),
        (f"higher by {b} points or more", shift >= big),
    )
    return tuple((label, int(mask.sum())) for label, mask in cases)


@dataclass(frozen=True)
class _Tally:
    """The population's files by group, and the group of each file selected by either model."""

    levels: dict[str, tuple[str, ...]]
    counts: dict[str, dict[str, int]]
    positions: npt.NDArray[np.intp]
    labels: dict[str, npt.NDArray[np.object_]]


def _tally(groups: pd.DataFrame, positions: npt.NDArray[np.intp], offset: int = 0) -> _Tally:
    """Count ``groups`` (one row per file) and keep the groups of the rows at ``positions``."""
    levels, counts, labels = {}, {}, {}
    for attribute in groups.columns:
        column = groups[attribute].astype("category")
        names = np.asarray([*map(str, column.cat.categories), "missing"], dtype=object)
        codes = column.cat.codes.to_numpy().astype(np.intp)
        codes[codes < 0] = len(names) - 1
        files = np.bincount(codes, minlength=len(names))
        key = str(attribute)
        levels[key] = tuple(names)
        counts[key] = {str(n): int(k) for n, k in zip(names, files, strict=True) if k}
        labels[key] = names[codes[positions]]
    return _Tally(levels, counts, positions + offset, labels)


def _merge(parts: Sequence[_Tally]) -> _Tally:
    """One tally of several batches (levels in their common order, else sorted)."""
    first = parts[0]
    levels, counts, labels = {}, {}, {}
    for attribute, order in first.levels.items():
        orders = {p.levels[attribute] for p in parts}
        levels[attribute] = order if len(orders) == 1 else tuple(sorted(set().union(*orders)))
        total: dict[str, int] = {}
        for part in parts:
            for level, files in part.counts[attribute].items():
                total[level] = total.get(level, 0) + files
        counts[attribute] = total
        labels[attribute] = np.concatenate([p.labels[attribute] for p in parts])
    positions = np.concatenate([p.positions for p in parts])
    return _Tally(levels, counts, positions, labels)


def _composition(
    tally: _Tally, old: npt.NDArray[np.bool_], new: npt.NDArray[np.bool_]
) -> list[GroupComposition]:
    rows = []
    n, n_old, n_new = len(old), int(old.sum()), int(new.sum())
    in_old, in_new = old[tally.positions], new[tally.positions]
    for attribute, levels in tally.levels.items():
        labels = tally.labels[attribute]
        for level in levels:
            files = tally.counts[attribute].get(level, 0)
            if not files:
                continue
            member = labels == level
            k_old, k_new = int((member & in_old).sum()), int((member & in_new).sum())
            rows.append(
                GroupComposition(
                    attribute=attribute,
                    group=level,
                    population=files,
                    population_share=files / n,
                    old=k_old,
                    old_share=k_old / n_old if n_old else math.nan,
                    new=k_new,
                    new_share=k_new / n_new if n_new else math.nan,
                    entering=int((member & in_new & ~in_old).sum()),
                    leaving=int((member & in_old & ~in_new).sum()),
                )
            )
    return rows


def _selected(scores: pd.DataFrame, which: str, budget: int, seed: int) -> npt.NDArray[np.bool_]:
    frame = pd.DataFrame(
        {
            "dossier_id": scores["dossier_id"].to_numpy(),
            "caf_code": scores["caf_code"].to_numpy(),
            "score": scores[f"score_{which}"].to_numpy(),
            "probability": scores[f"probability_{which}"].to_numpy(),
        }
    )
    chosen = select(frame, budget=budget, seed=seed).frame["dossier_id"].to_numpy()
    return np.isin(frame["dossier_id"].to_numpy(), chosen)


def compare_selections(
    scores: pd.DataFrame,
    *,
    budget: int,
    groups: pd.DataFrame | None = None,
    seed: int = 0,
    pdo: float = 20.0,
    population: str = "",
    missing_groups: Sequence[str] = (),
    scaling_differs: bool = False,
) -> SelectionDiff:
    """Score shifts, and the top ``budget`` of each model compared, on one population.

    Parameters
    ----------
    scores : DataFrame
        One row per file: ``dossier_id``, ``caf_code``, ``score_old``, ``probability_old``,
        ``score_new``, ``probability_new``.
    budget : int
        Files selected by each model (:func:`dmde.batch.selection.select`, tie seed ``seed``).
    groups : DataFrame, optional
        The audit's group attributes, one row per row of ``scores``
        (:func:`dmde.audit.targeting.group_columns`).
    pdo : float
        Points to double the odds: the shift bands are at ``pdo / 4`` and ``pdo`` points.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"dossier_id": [1, 2, 3, 4], "caf_code": "75",
    ...     "score_old": [510.0, 500.0, 490.0, 480.0], "probability_old": 0.05,
    ...     "score_new": [510.0, 480.0, 495.0, 480.0], "probability_new": 0.05})
    >>> result = compare_selections(scores, budget=2)
    >>> result.n_changed, result.kept, result.entering, result.leaving
    (2, 1, 1, 1)
    """
    if groups is not None and len(groups) != len(scores):
        raise CompareError(f"groups has {len(groups)} rows for {len(scores)} scored files.")
    in_old = _selected(scores, "old", budget, seed)
    in_new = _selected(scores, "new", budget, seed)
    tally = None if groups is None else _tally(groups, np.flatnonzero(in_old | in_new))
    return _compare(
        scores,
        in_old,
        in_new,
        tally,
        budget=budget,
        seed=seed,
        pdo=pdo,
        population=population,
        missing_groups=missing_groups,
        scaling_differs=scaling_differs,
    )


def _compare(
    scores: pd.DataFrame,
    in_old: npt.NDArray[np.bool_],
    in_new: npt.NDArray[np.bool_],
    tally: _Tally | None,
    *,
    budget: int,
    seed: int,
    pdo: float,
    population: str,
    missing_groups: Sequence[str],
    scaling_differs: bool,
) -> SelectionDiff:
    old = scores["score_old"].to_numpy(dtype=float)
    new = scores["score_new"].to_numpy(dtype=float)
    shift = new - old
    summary = {"mean": float(shift.mean()), "mean_absolute": float(np.abs(shift).mean())}
    summary |= {name: float(np.quantile(shift, q)) for name, q in _QUANTILES}
    return SelectionDiff(
        population=population,
        n_files=len(scores),
        budget=budget,
        seed=seed,
        shift=summary,
        n_changed=int((np.abs(shift) > _TOLERANCE).sum()),
        n_up=int((shift > _TOLERANCE).sum()),
        n_down=int((shift < -_TOLERANCE).sum()),
        spearman=_spearman(old, new),
        bands=_bands(shift, pdo),
        selected_old=int(in_old.sum()),
        selected_new=int(in_new.sum()),
        kept=int((in_old & in_new).sum()),
        entering=int((in_new & ~in_old).sum()),
        leaving=int((in_old & ~in_new).sum()),
        groups=() if tally is None else tuple(_composition(tally, in_old, in_new)),
        missing_groups=tuple(missing_groups),
        scaling_differs=scaling_differs,
    )


# --------------------------------------------------------------------------------------------
# Both
@dataclass(frozen=True)
class Comparison:
    """The model diff, and the selection diff when a population was given."""

    models: ModelDiff
    selection: SelectionDiff | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content, with each points row's change and status."""
        data = asdict(self)
        data["models"]["points"] = [
            {**asdict(p), "change": p.change, "status": p.status} for p in self.models.points
        ]
        data["models"]["n_changes"] = self.models.n_changes
        if self.selection is not None:
            data["selection"]["groups"] = [
                {**asdict(g), "change": g.change} for g in self.selection.groups
            ]
        return data


def diff(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str],
    *,
    population: str | os.PathLike[str] | None = None,
    budget: int | None = None,
    seed: int = 0,
    batch_size: int = BATCH_ROWS,
) -> Comparison:
    """Compare two model files, and their selections on a population (``dmde diff``).

    Parameters
    ----------
    old, new : path
        The model files (each checked as by :func:`dmde.model.model_file.load_model`).
    population : path, optional
        A population file (CSV or Parquet) scored with both models, streamed.
    budget : int, optional
        Files selected by each model; required with ``population``.
    seed : int
        Seed of the selection's tie order (as ``dmde select --seed``).

    Raises
    ------
    CompareError
        If ``population`` and ``budget`` are not given together.
    """
    if (population is None) != (budget is None):
        raise CompareError(
            "population and budget go together: the selections need both the files to score "
            "and the number of files to select."
        )
    before, after = read_model_file(old), read_model_file(new)
    models = diff_models(before.document, after.document, old_name=before.name, new_name=after.name)
    if population is None or budget is None:
        return Comparison(models, None)
    return Comparison(models, _selection_diff(before, after, population, budget, seed, batch_size))


def _selection_diff(
    before: ModelFile,
    after: ModelFile,
    population: str | os.PathLike[str],
    budget: int,
    seed: int,
    batch_size: int,
) -> SelectionDiff:
    """Two passes over the population: the scores, then the groups of the selected files."""
    header = set(file_columns(population))
    keep = [c for c in CATALOG if c in set(ATTRIBUTE_SOURCES.values()) & header]
    missing = [a for a, c in ATTRIBUTE_SOURCES.items() if c not in header]
    models = {"old": before.model, "new": after.model}
    scores = score_population(population, models, batch_size=batch_size)
    in_old = _selected(scores, "old", budget, seed)
    in_new = _selected(scores, "new", budget, seed)
    tally = _group_tally(population, keep, in_old | in_new, batch_size) if keep else None
    return _compare(
        scores,
        in_old,
        in_new,
        tally,
        budget=budget,
        seed=seed,
        pdo=float(after.document["scaling"]["pdo"]),
        population=Path(population).name,
        missing_groups=missing,
        scaling_differs=before.document["scaling"] != after.document["scaling"],
    )


def _group_tally(
    population: str | os.PathLike[str],
    columns: Sequence[str],
    selected: npt.NDArray[np.bool_],
    batch_size: int,
) -> _Tally:
    """The audit's groups of the population, streamed: counts, and the selected files' groups."""
    parts, offset = [], 0
    for batch in iter_batches(population, columns=columns, batch_size=batch_size):
        n = batch.num_rows
        local = np.flatnonzero(selected[offset : offset + n])
        parts.append(_tally(group_columns(batch.to_pandas()), local, offset))
        offset += n
    if offset != len(selected):
        raise CompareError(
            f"{os.fspath(population)} changed during the comparison ({len(selected):,} rows "
            f"scored, {offset:,} read for the groups): compare a file that is not being written."
        )
    return _merge(parts)


# --------------------------------------------------------------------------------------------
# Rendering
def _fmt(value: Any, fmt: str) -> str:
    return format_value(value, fmt)


def _summary_items(c: Comparison) -> tuple[str, ...]:
    m = c.models
    items = []
    if m.n_changes == 0:
        items.append("The scorecards are identical: same settings, features, segments and points.")
    else:
        changes = m.points_changes
        count = {s: sum(p.status == s for p in changes) for s in ("changed", "added", "removed")}
        items.append(
            f"{m.n_changes} changes: {len(m.settings)} settings; "
            f"{len(m.features_added)} features added, {len(m.features_removed)} removed; "
            f"{len(m.segments_added)} segments added, {len(m.segments_removed)} removed; "
            f"points of {count['changed']} bins changed, {count['added']} bins added, "
            f"{count['removed']} removed."
        )
    if m.old_sha256 == m.new_sha256:
        items.append("The two files have the same content hash: they are the same model file.")
    s = c.selection
    if s is not None:
        items.append(
            f"On {s.population} ({_fmt(s.n_files, 'int')} files), "
            f"{_fmt(s.n_changed, 'int')} files ({_fmt(s.share_changed, 'pct1')}) change score "
            f"({_fmt(s.n_up, 'int')} up, {_fmt(s.n_down, 'int')} down)."
        )
        items.append(
            f"Of the {_fmt(s.budget, 'int')} files selected, {_fmt(s.entering, 'int')} enter "
            f"and {_fmt(s.leaving, 'int')} leave the selection; {_fmt(s.kept, 'int')} stay."
        )
    return tuple(items)


def _models_section(m: ModelDiff) -> Section:
    table = Table(
        (Column("item", "Item"), Column("old", "Old model"), Column("new", "New model")),
        (("file", m.old_name, m.new_name), *m.training),
        caption="The two model files",
    )
    blocks: list[Any] = [table]
    if m.settings:
        blocks.append(
            Table(
                (Column("setting", "Setting"), Column("old", "Old"), Column("new", "New")),
                tuple((s.setting, s.old, s.new) for s in m.settings),
                caption="Settings that changed",
            )
        )
    else:
        blocks.append(
            Paragraph("No setting changed (policy, routing, target, scaling, fitting).", "ok")
        )
    return Section("models", "The two models", tuple(blocks))


def _features_section(m: ModelDiff) -> Section:
    def names(features: Sequence[str]) -> str:
        return ", ".join(f"{f} ({CATALOG[f].label})" for f in features) or "none"

    return Section(
        "features",
        "Features and segments",
        (
            Facts(
                (
                    ("Features added", names(m.features_added)),
                    ("Features removed", names(m.features_removed)),
                    ("Segments added", ", ".join(m.segments_added) or "none"),
                    ("Segments removed", ", ".join(m.segments_removed) or "none"),
                )
            ),
        ),
    )


def _points_section(m: ModelDiff) -> Section:
    changes = m.points_changes
    note = Paragraph(
        "A bin is matched by its label: when a retrain moves a cut point, the old bin is listed "
        "as removed and the new one as added. The JSON holds every bin, unchanged ones too.",
        "note",
    )
    if not changes:
        return Section(
            "points",
            "Points",
            (Paragraph("Every bin of every segment has the same points.", "ok"), note),
        )
    table = Table(
        (
            Column("segment", "Segment"),
            Column("label", "Variable"),
            Column("feature", "Column"),
            Column("bin", "Bin"),
            Column("old", "Old points", "num2"),
            Column("new", "New points", "num2"),
            Column("change", "Change", "signed2"),
            Column("status", "Status"),
        ),
        tuple(
            (p.segment, p.label, p.feature, p.bin_label, p.old, p.new, p.change, p.status)
            for p in changes
        ),
        caption=f"The {len(changes)} bins whose points changed, appeared or disappeared",
    )
    return Section("points", "Points", (table, note))


def _shift_section(s: SelectionDiff) -> Section:
    quantiles = Table(
        (Column("statistic", "Statistic"), Column("shift", "New minus old score", "signed2")),
        tuple((_SHIFT_LABELS.get(k, k), v) for k, v in s.shift.items()),
        caption="Distribution of the score shifts",
    )
    bands = Table(
        (Column("band", "Shift"), Column("n", "Files", "int"), Column("share", "Share", "pct1")),
        tuple((label, n, n / s.n_files) for label, n in s.bands),
        caption="Files by size of shift",
    )
    blocks: list[Any] = [
        Facts(
            (
                ("Population", s.population),
                ("Files scored", _fmt(s.n_files, "int")),
                (
                    "Files whose score changes",
                    f"{_fmt(s.n_changed, 'int')} ({_fmt(s.share_changed, 'pct1')})",
                ),
                ("Rank correlation of the scores (Spearman)", _fmt(s.spearman, "num3")),
            )
        ),
        quantiles,
        bands,
    ]
    if s.scaling_differs:
        blocks.append(
            Paragraph(
                "The two models have different points scalings: their scores are on different "
                "scales, so the shifts mix a change of scale with a change of risk. The "
                "selections below are still comparable (each takes its own top files).",
                "warning",
            )
        )
    return Section("score-shifts", "Score shifts", tuple(blocks))


def _selection_section(s: SelectionDiff) -> Section:
    overlap = s.kept / s.budget if s.budget else math.nan
    return Section(
        "selection",
        "Selections",
        (
            Paragraph(
                f"Each model selects its top {_fmt(s.budget, 'int')} files as 'dmde select' "
                f"does (ties broken by the keyed hash of the file number, seed {s.seed})."
            ),
            Facts(
                (
                    ("Selected by the old model", _fmt(s.selected_old, "int")),
                    ("Selected by the new model", _fmt(s.selected_new, "int")),
                    ("Selected by both", f"{_fmt(s.kept, 'int')} ({_fmt(overlap, 'pct1')})"),
                    ("Entering (new model only)", _fmt(s.entering, "int")),
                    ("Leaving (old model only)", _fmt(s.leaving, "int")),
                )
            ),
        ),
    )


def _groups_section(s: SelectionDiff) -> Section:
    blocks: list[Any] = []
    if s.groups:
        blocks.append(
            Table(
                (
                    Column("attribute", "Attribute"),
                    Column("group", "Group"),
                    Column("population_share", "Share of files", "pct1"),
                    Column("old", "Old selection", "int"),
                    Column("old_share", "Old share", "pct1"),
                    Column("new", "New selection", "int"),
                    Column("new_share", "New share", "pct1"),
                    Column("change", "Change (percentage points)", "signed2"),
                    Column("entering", "Entering", "int"),
                    Column("leaving", "Leaving", "int"),
                ),
                tuple(
                    (
                        g.attribute,
                        g.group,
                        g.population_share,
                        g.old,
                        g.old_share,
                        g.new,
                        g.new_share,
                        100 * g.change,
                        g.entering,
                        g.leaving,
                    )
                    for g in s.groups
                ),
                caption="Composition of both selections by the audit's groups",
                note="Counts of files; no interval is given: both selections are of the same "
                "population, and the audit of each model gives its groups' uncertainty.",
            )
        )
    else:
        blocks.append(Paragraph("The population has none of the group columns.", "warning"))
    if s.missing_groups:
        blocks.append(
            Paragraph(
                "Not compared, the population lacking their column: "
                + ", ".join(f"{a} ({ATTRIBUTE_SOURCES[a]})" for a in s.missing_groups)
                + ".",
                "note",
            )
        )
    return Section("groups", "Who is selected", tuple(blocks))


def comparison_document(comparison: Comparison) -> Document:
    """The comparison for the ethics committee: summary, models, points, shifts, groups."""
    m = comparison.models
    sections = [
        Section("summary", "Summary", (Items(_summary_items(comparison)),)),
        _models_section(m),
        _features_section(m),
        _points_section(m),
    ]
    s = comparison.selection
    if s is None:
        sections.append(
            Section(
                "selection",
                "Selections",
                (
                    Paragraph(
                        "No population was given: the score shifts and the selections are not "
                        "compared. Pass --population and --budget.",
                        "note",
                    ),
                ),
            )
        )
    else:
        sections += [_shift_section(s), _selection_section(s), _groups_section(s)]
    return Document(
        kind="model-diff",
        title="What changed between two versions of the model",
        subtitle=f"{m.old_name} (old) and {m.new_name} (new)",
        sections=tuple(sections),
        meta=(
            ("Old model", f"{m.old_name} (sha256 {m.old_sha256})"),
            ("New model", f"{m.new_name} (sha256 {m.new_sha256})"),
        ),
        data=comparison.to_dict(),
    )


def write_comparison(
    comparison: Comparison,
    out: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
) -> list[Path]:
    """Write the comparison beside ``out`` (same stem) in each format; return the paths."""
    return write_document(comparison_document(comparison), out, formats=formats)


def diff_files(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    population: str | os.PathLike[str] | None = None,
    budget: int | None = None,
    seed: int = 0,
    formats: Iterable[str] = ("html", "md", "json"),
) -> tuple[Comparison, list[Path]]:
    """:func:`diff`, then :func:`write_comparison` (``dmde diff``), never over an input.

    Raises
    ------
    CompareError
        If an output would replace one of the inputs (a model file with ``out``'s stem and a
        ``.json`` suffix, typically), or as :func:`diff`.
    """
    formats = tuple(formats)
    suffixes = {"html": ".html", "md": ".md", "json": ".json", "txt": ".txt"}
    inputs = {Path(p).resolve() for p in (old, new, population) if p is not None}
    for fmt in formats:
        target = Path(out).with_suffix(suffixes.get(fmt, "." + fmt))
        if target.resolve() in inputs:
            raise CompareError(
                f"{target} would overwrite an input: name the output differently (--out)."
            )
    comparison = diff(old, new, population=population, budget=budget, seed=seed)
    return comparison, write_comparison(comparison, out, formats=formats)
