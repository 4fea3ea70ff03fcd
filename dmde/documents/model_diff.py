"""What changed between two model files: settings, features, segments and every bin's points.

From the two model files alone, :func:`diff_models` lists what changed in the scorecards:
settings (policy, routing, scaling, target, fitting parameters), features and segments added or
removed, and for every segment, variable and bin the points before and after. A bin is matched by
its label: when a retrain moves a cut point, the old bin is reported as removed and the new one
as added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dmde.core.errors import DmdeError
from dmde.core.rendering import format_value
from dmde.model.model_records import ModelFile, SegmentRecord

__all__ = ["CompareError", "ModelDiff", "PointsChange", "SettingChange", "diff_models"]

#: Two scores or points closer than this are equal.
TOLERANCE = 1e-9


class CompareError(DmdeError, ValueError):
    """Inputs that cannot be compared (the message says which and what to do)."""


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
        return "changed" if abs(self.new - self.old) > TOLERANCE else "unchanged"


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
    def purpose_change(self) -> str | None:
        """A sentence naming the change of target or action, when there is one (None else):
        two such models rank files for different purposes, their points are not versions of
        one another."""
        changed = {c.setting: c for c in self.settings if c.setting in ("target", "action")}
        if not changed:
            return None
        target = changed.get("target")
        action = changed.get("action")
        parts = []
        if target is not None:
            parts.append(f"the target changes from {target.old} to {target.new}")
        if action is not None:
            parts.append(
                f"the action from {action.old} ({_PURPOSES.get(action.old, '?')}) to "
                f"{action.new} ({_PURPOSES.get(action.new, '?')})"
            )
        return (
            " and ".join(parts).capitalize() + ": the two models rank files for different "
            "purposes, so their points are not two versions of one model."
        )

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


def _action(model: ModelFile) -> str:
    """What the model selects files for, as its training facts record it (none: a check)."""
    return "outreach" if model.training.facts.get("action") == "outreach" else "check"


#: The target and action in words, for the sentence that says a diff compares two purposes.
_PURPOSES = {
    "check": "overpayments, indu",
    "outreach": "underpayments, rappels",
}


def _settings(old: ModelFile, new: ModelFile) -> list[SettingChange]:
    pairs: list[tuple[str, Any, Any]] = [
        ("policy name", old.policy.name, new.policy.name),
        (
            "policy allowed families",
            sorted(old.policy.allowed_families),
            sorted(new.policy.allowed_families),
        ),
        (
            "policy removed columns",
            list(old.policy.removed_columns),
            list(new.policy.removed_columns),
        ),
        ("routing column", old.routing_column, new.routing_column),
        ("target", old.training.target, new.training.target),
        ("action", _action(old), _action(new)),
    ]
    old_scaling, new_scaling = old.scaling.to_dict(), new.scaling.to_dict()
    pairs += [
        (f"scaling {key}", old_scaling.get(key), new_scaling.get(key))
        for key in sorted(set(old_scaling) | set(new_scaling))
    ]
    for name in [s for s in old.segments if s in new.segments]:
        before, after = dict(old.segments[name].params), dict(new.segments[name].params)
        if "shrinkage" in before or "shrinkage" in after:  # not written when 1: none
            before["shrinkage"] = old.segments[name].shrinkage
            after["shrinkage"] = new.segments[name].shrinkage
        pairs += [
            (f"segment {name}: {key}", before.get(key), after.get(key))
            for key in sorted(set(before) | set(after))
        ]
    return [SettingChange(what, _text(a), _text(b)) for what, a, b in pairs if a != b]


def _bins(segment: SegmentRecord) -> dict[tuple[str, str], tuple[str, float]]:
    """(feature, bin label) -> (variable label, points), the intercept first."""
    out = {("intercept", "every file"): ("intercept", segment.intercept_points)}
    for variable in segment.variables:
        seen: dict[str, int] = {}
        for label, points in zip(variable.bin_labels, variable.points, strict=True):
            n = seen[label] = seen.get(label, 0) + 1
            key = label if n == 1 else f"{label} #{n}"
            out[(variable.name, key)] = (variable.label, points)
    return out


def _segment_points(
    name: str, old: SegmentRecord | None, new: SegmentRecord | None
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


def _facts(model_file: ModelFile) -> dict[str, Any]:
    training = model_file.training
    segments = model_file.segments.values()
    return {
        "content hash (sha256)": model_file.sha256,
        "written by dmde": model_file.dmde_version,
        "trained on": training.date,
        "training data file": training.data_file,
        "training data hash": training.data_sha256,
        "training files": sum(s.training.rows for s in segments),
        "with the target": sum(s.training.events for s in segments),
        "AUC on the training rows": training.auc_train,
        "AUC cross-validated": training.auc_cv,
        "segments": list(model_file.segments),
        "features": len(model_file.features),
    }


def _fact_text(value: Any) -> str:
    if isinstance(value, float):
        return format_value(value, "num3")
    if isinstance(value, int):
        return format_value(value, "int")
    return _text(value)


def diff_models(
    old: ModelFile, new: ModelFile, *, old_name: str = "old", new_name: str = "new"
) -> ModelDiff:
    """Compare two model files' contents (read by :func:`dmde.model.model_file.read_model_file`).

    Examples
    --------
    >>> import os, tempfile
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.scorecard import ScorecardFamily
    >>> from dmde.model.model_file import read_model_file, save_model
    >>> df = synthesize(20_000, seed=1, controls=4_000)
    >>> checked = df[df["controlled"] == 1]
    >>> model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "model.json")
    ...     _ = save_model(model, path)
    ...     model_file = read_model_file(path)
    >>> diff_models(model_file, model_file).n_changes
    0
    """
    old_features, new_features = list(old.features), list(new.features)
    segments = list(old.segments) + [s for s in new.segments if s not in old.segments]
    points: list[PointsChange] = []
    for name in segments:
        points += _segment_points(name, old.segments.get(name), new.segments.get(name))
    before, after = _facts(old), _facts(new)
    return ModelDiff(
        old_name=old_name,
        new_name=new_name,
        old_sha256=old.sha256,
        new_sha256=new.sha256,
        settings=tuple(_settings(old, new)),
        features_added=tuple(f for f in new_features if f not in old_features),
        features_removed=tuple(f for f in old_features if f not in new_features),
        segments_added=tuple(s for s in new.segments if s not in old.segments),
        segments_removed=tuple(s for s in old.segments if s not in new.segments),
        points=tuple(points),
        training=tuple((k, _fact_text(before[k]), _fact_text(after[k])) for k in before),
    )
