"""Independent pieces of a fit run on the machine's cores, in threads, with the same results.

The fits of a scorecard's features, of a family's segments and of a cross-validation's folds
do not depend on one another, and spend their time in numpy and pandas loops that release the
GIL: threads run them side by side. Each piece computes exactly what it would alone (the same
operations on the same arrays, in the same order), and the results come back in the order of
the pieces, so the model is the same to the last bit whatever the number of cores.

Pieces may map pieces of their own in threads (a family's segments, then each segment's
features), two levels deep: a map within a piece uses two threads, and deeper maps (the
features of a segment of a cross-validation fold) run their pieces one after the other, so
that there are at most two threads per core. Each piece runs in a copy of the caller's
context (:mod:`contextvars`), so that a setting made with a context variable holds in the
threads too.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["THREADS_VARIABLE", "cores", "map_in_threads"]

T = TypeVar("T")
R = TypeVar("R")

#: How many levels of maps run in threads; deeper ones run in their caller's thread.
MAX_DEPTH = 2

_local = threading.local()


#: An environment variable that sets the number of threads (1: none), for a shared machine or
#: to compare; by default, one per core this process may run on.
THREADS_VARIABLE = "DMDE_THREADS"


def cores() -> int:
    """The number of threads to run pieces on: ``DMDE_THREADS`` if set to a whole number of 1
    or more, else the number of cores this process may run on."""
    wanted = os.environ.get(THREADS_VARIABLE, "").strip()
    if wanted.isdigit() and int(wanted) >= 1:
        return int(wanted)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_in_threads(func: Callable[[T], R], items: Iterable[T], *, workers: int = 0) -> list[R]:
    """``[func(item) for item in items]``, the items spread over threads, one per core.

    Parameters
    ----------
    func : callable
        Applied to each item; it must not depend on the others' results.
    items : iterable
    workers : int, default 0
        Most threads (0: one per core, two within a piece). One thread, a single item, or a
        call from within two levels of ``map_in_threads`` runs the items in the calling
        thread, in order.

    Returns
    -------
    list
        The results in the order of ``items``. The first item's error, if any, is raised.

    Examples
    --------
    >>> map_in_threads(lambda x: x * x, range(5))
    [0, 1, 4, 9, 16]
    """
    items = list(items)
    depth = getattr(_local, "depth", 0)
    n = min(len(items), workers or (cores() if depth == 0 else 2))
    if n <= 1 or depth >= MAX_DEPTH:
        return [func(item) for item in items]
    contexts = [contextvars.copy_context() for _ in items]
    with ThreadPoolExecutor(max_workers=n, initializer=_set_depth, initargs=(depth + 1,)) as pool:
        futures = [
            pool.submit(ctx.run, func, item) for ctx, item in zip(contexts, items, strict=True)
        ]
        return [f.result() for f in futures]


def _set_depth(depth: int) -> None:
    _local.depth = depth
