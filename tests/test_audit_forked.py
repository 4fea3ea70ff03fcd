"""Work in a forked child process: its result or its error comes back; a lost child is replaced."""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any

import pytest

from dmde.audit import forked
from dmde.audit.forked import in_child
from dmde.audit.settings import AuditError

needs_fork = pytest.mark.skipif(
    sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2,
    reason="the child process needs fork and two cores",
)


@needs_fork
def test_a_result_comes_back_from_the_child() -> None:
    parent = os.getpid()
    assert in_child(lambda: {"from_child": os.getpid() != parent})() == {"from_child": True}


@needs_fork
def test_an_error_in_the_child_is_raised_here() -> None:
    def fail() -> dict[str, Any]:
        raise AuditError("the model reads x, which the table lacks")

    wait = in_child(fail)
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
    monkeypatch.setattr(forked, "CHILD_PATIENCE", 0.5)

    def task() -> dict[str, Any]:
        if os.getpid() == parent:
            return {"where": "here"}
        if trouble == "dies":
            os._exit(3)
        if trouble == "silent":
            time.sleep(60)
        return {"where": lambda: "child"}  # a lambda cannot be pickled

    start = time.perf_counter()
    assert in_child(task)() == {"where": "here"}
    assert time.perf_counter() - start < 30  # the silent child was not waited for


@needs_fork
def test_a_child_never_waited_for_is_stopped() -> None:
    def slow() -> dict[str, Any]:
        time.sleep(60)
        return {}

    wait = in_child(slow)
    assert os.waitpid(-1, os.WNOHANG) == (0, 0)  # the child runs
    del wait  # the caller failed before waiting: the child is stopped and reaped
    gc.collect()
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
