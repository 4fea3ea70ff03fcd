"""The model's parts of the audit: measured on the sample in a child process, the same numbers."""

from __future__ import annotations

import gc
import os
import sys
import time
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from dmde.audit import model_parts as parts_module
from dmde.audit.model_parts import _in_child, model_parts, start_model_parts
from dmde.audit.settings import AuditError
from dmde.model.scorecard import ScorecardFamily

needs_fork = pytest.mark.skipif(
    sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2,
    reason="the child process needs fork and two cores",
)


REFERENCES = {"gender": "male", "nationality_group": "french"}


def _parts(
    population: pd.DataFrame, family: ScorecardFamily, references: dict[str, str] | None = None
) -> dict[str, Any]:
    groups = population[["gender", "nationality_group"]].astype(str)
    audit = SimpleNamespace(method={"reference": REFERENCES})
    finish = start_model_parts(
        family, population, groups, seed=3, rows=3_000, references=references
    )
    return finish(audit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "references",
    [None, {"gender": "male"}, REFERENCES],
    ids=["gaps-after-the-group-audit", "one-reference-known", "gaps-in-the-child"],
)
@needs_fork
def test_parts_from_a_child_are_the_parts_computed_here(
    population: pd.DataFrame,
    family: ScorecardFamily,
    monkeypatch: pytest.MonkeyPatch,
    references: dict[str, str] | None,
) -> None:
    groups = population[["gender", "nationality_group"]].astype(str)
    audit = SimpleNamespace(method={"reference": REFERENCES})
    here = model_parts(family, population, groups, audit, seed=3, rows=3_000)  # type: ignore[arg-type]
    monkeypatch.setattr(parts_module, "BACKGROUND_ROWS", 0)
    _assert_same(_parts(population, family, references), here)


def _assert_same(got: Any, expected: Any) -> None:
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    elif isinstance(expected, dict):
        assert list(got) == list(expected)
        for key, value in expected.items():
            _assert_same(got[key], value)
    elif isinstance(expected, list | tuple):
        assert type(got) is type(expected) and len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            _assert_same(a, b)
    else:
        assert got == expected or (got != got and expected != expected)


@needs_fork
def test_an_error_in_the_child_is_raised_here() -> None:
    def fail() -> dict[str, Any]:
        raise AuditError("the model reads x, which the table lacks")

    wait = _in_child(fail)
    with pytest.raises(AuditError, match="the model reads x, which the table lacks"):
        wait()


@pytest.mark.parametrize(
    "trouble",
    ["dies", "unpicklable", "silent"],
    ids=["the-child-dies", "an-unpicklable-result", "a-child-that-never-answers"],
)
@needs_fork
def test_a_lost_child_is_replaced_by_the_computation_here(
    trouble: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    monkeypatch.setattr(parts_module, "CHILD_PATIENCE", 0.5)

    def task() -> dict[str, Any]:
        if os.getpid() == parent:
            return {"where": "here"}
        if trouble == "dies":
            os._exit(3)
        if trouble == "silent":
            time.sleep(60)
        return {"where": lambda: "child"}  # a lambda cannot be pickled

    start = time.perf_counter()
    assert _in_child(task)() == {"where": "here"}
    assert time.perf_counter() - start < 30  # the silent child was not waited for


@needs_fork
def test_a_child_never_waited_for_is_stopped() -> None:
    def slow() -> dict[str, Any]:
        time.sleep(60)
        return {}

    wait = _in_child(slow)
    assert os.waitpid(-1, os.WNOHANG) == (0, 0)  # the child runs
    del wait  # the caller failed before waiting: the child is stopped and reaped
    gc.collect()
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
