"""Work done in a forked child process beside the caller, with the same result as done here.

The audit of a million files has parts that need nothing from each other (the model's proxies
on a sample beside the group audit; half of the figures beside the other half). On a machine
with two cores, :func:`in_child` runs one of them in a forked child process, which sees the
caller's data as it was at the fork without copying it, and sends back its pickled result: the
same computation on the same data, hence the same numbers, in about half the time. Wherever a
fork is not possible or not useful, or should the child fail to answer, the work is done in the
caller instead.
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
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["CHILD_PATIENCE", "in_child"]

T = TypeVar("T")

#: Seconds a child may take beyond the caller's own work before it is given up for lost and its
#: work done again in the caller.
CHILD_PATIENCE = 120.0


def in_child(task: Callable[[], T]) -> Callable[[], T]:
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

    def wait() -> T:
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
