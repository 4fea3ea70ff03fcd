"""The parts of the audit that need the model: its identity, proxies, score gaps, profiles.

With the model that scored (loaded from its file, so that its hash is known), the audit adds
what the model is (:func:`model_identity`), how much of each group attribute its features carry
(on a seeded sample of rows), the split of each group's mean-score gap into the points of each
feature, the proof that excluded columns do not move the scores, and archetype profiles.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import warnings
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.metrics import GroupAudit
from dmde.audit.profiles import profile_changes, score_profiles
from dmde.audit.proxies import exclusion_proof, feature_association, proxy_strength, score_gaps
from dmde.audit.settings import AuditError
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, EXCLUDED_FAMILIES, columns_of
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["model_identity", "model_parts", "start_model_parts"]

Model = Scorecard | ScorecardFamily


def _points_tables(model: Model) -> pd.DataFrame:
    if isinstance(model, ScorecardFamily):
        return model.points_table()
    table = model.points_table()
    table.insert(0, "segment", "all")
    return table


def model_identity(model: Model) -> dict[str, Any]:
    """What the report says the audited model is: hash, policy, features, excluded, points."""
    card = next(iter(model.models_.values())) if isinstance(model, ScorecardFamily) else model
    policy = card.policy or DEFAULT_POLICY
    return {
        "sha256": getattr(model, "model_sha256_", None),
        "kind": "family" if isinstance(model, ScorecardFamily) else "scorecard",
        "routing": model.segment_column if isinstance(model, ScorecardFamily) else None,
        "policy": policy.name,
        "features": [{"column": f, "label": CATALOG[f].label} for f in model.features_],
        "excluded": [
            {
                "family": family.value,
                "columns": list(columns_of(family)),
                "reason": reason,
            }
            for family, reason in EXCLUDED_FAMILIES.items()
        ],
        "points": _points_tables(model),
    }


def model_parts(
    model: Model,
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    groups_audit: GroupAudit,
    *,
    seed: int,
    rows: int,
) -> dict[str, Any]:
    """The audit's parts that need the model: identity, proxies, gaps, exclusion, profiles."""
    return start_model_parts(model, frame, groups, seed=seed, rows=rows)(groups_audit)


#: Rows from which the parts measured on the sample run in a child process, beside the group
#: audit (below, a fork costs more than it saves).
BACKGROUND_ROWS = 200_000
#: Seconds a child may take beyond the caller's own work before it is given up for lost and its
#: parts computed again in the caller.
CHILD_PATIENCE = 120.0


def start_model_parts(
    model: Model,
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    seed: int,
    rows: int,
    references: Mapping[str, str] | None = None,
) -> Callable[[GroupAudit], dict[str, Any]]:
    """Start :func:`model_parts`; the function returned completes them with the group audit.

    The parts measured on the seeded sample of ``rows`` rows (proxies, feature association, the
    exclusion proof: about 2 s at 20,000 rows) need nothing from the group audit, nor do the
    score gaps when ``references`` names the reference group of every attribute (the group
    audit then uses those). On a machine with two cores or more, from :data:`BACKGROUND_ROWS`
    rows, they are computed in a forked child process while the caller runs the group audit,
    and read back when it is done: the same computation on the same data, so the same numbers.
    Elsewhere (one core, no ``fork``, a small table) they are computed when the function
    returned is called, as before; so are the gaps against references the group audit chose.
    """
    missing = [c for c in model.features_ if c not in frame.columns]
    if isinstance(model, ScorecardFamily) and model.segment_column not in frame.columns:
        missing.append(model.segment_column)
    if missing:
        raise AuditError(
            f"the model reads {', '.join(missing)}, which the table lacks: pass the population "
            "file the scores came from (or audit without the model)."
        )
    rng = np.random.default_rng([seed, 7])
    take = np.sort(rng.choice(len(frame), size=min(rows, len(frame)), replace=False))
    part = frame.iloc[take].reset_index(drop=True)
    part_groups = groups.iloc[take].reset_index(drop=True)

    known = dict(references or {})
    early = all(isinstance(known.get(str(a)), str) for a in groups.columns)

    def on_sample() -> dict[str, Any]:
        measured = {
            "proxies": proxy_strength(model, part, part_groups, seed=seed),
            "associations": feature_association(model, part, part_groups),
            "exclusion": exclusion_proof(model, part, seed=seed),
        }
        if early:
            measured["gaps"] = score_gaps(model, frame, groups, reference=known)
        return measured

    sample = _in_child(on_sample) if len(frame) >= BACKGROUND_ROWS else on_sample

    def finish(groups_audit: GroupAudit) -> dict[str, Any]:
        gaps = None
        if not early:
            gaps = score_gaps(model, frame, groups, reference=groups_audit.method["reference"])
        measured = sample()
        return {
            "model": model_identity(model),
            "proxies": measured["proxies"],
            "associations": measured["associations"],
            "gaps": measured["gaps"] if early else gaps,
            "exclusion": measured["exclusion"],
            "profiles": score_profiles(model),
            "changes": profile_changes(model),
        }

    return finish


def _in_child(task: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Run ``task`` in a forked child process; the function returned waits for its result.

    The child sends back the pickled result, or the exception it raised, which is raised
    again here. Without ``fork`` or a second core, or should the child die, stay silent or
    send what cannot be read, ``task`` is run here instead: the result is the same.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if not hasattr(os, "fork") or cores < 2 or sys.platform != "linux":
        return task
    readable, writable = os.pipe()
    with warnings.catch_warnings():  # Python 3.12 warns on fork in a threaded process
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running the parent's exit code
        status = 0
        try:
            os.close(readable)
            try:
                outcome: tuple[bool, Any] = (True, task())
            except Exception as error:  # sent to the parent, raised there
                outcome = (False, error)
            try:
                message = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # an unpicklable error: the parent recomputes
                message = b""
            with os.fdopen(writable, "wb") as pipe:
                pipe.write(message)
        except BaseException:  # whatever happens, never return to the caller
            status = 1
        finally:
            os._exit(status)
    os.close(writable)
    done = False

    def wait() -> dict[str, Any]:
        nonlocal done
        chunks: list[bytes] = []
        with os.fdopen(readable, "rb", buffering=0) as pipe:
            while True:
                ready, _, _ = select.select([pipe], [], [], CHILD_PATIENCE)
                if not ready:  # lost: stop it, compute here
                    os.kill(pid, signal.SIGKILL)
                    chunks = []
                    break
                chunk = pipe.read(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        os.waitpid(pid, 0)
        done = True
        message = b"".join(chunks)
        if not message:
            return task()
        ok, value = pickle.loads(message)
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    # Never waited for (the caller failed first): stop the child, close the pipe.
    weakref.finalize(wait, lambda: None if done else _stop(pid, readable))
    return wait


def _stop(pid: int, readable: int) -> None:
    with contextlib.suppress(OSError):  # gone already
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        os.close(readable)
