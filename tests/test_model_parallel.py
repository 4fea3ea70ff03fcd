"""dmde.model.parallel: pieces mapped over threads come back in order, errors and context
variables included, and maps nest two levels deep at most."""

from __future__ import annotations

import threading
from contextvars import ContextVar

import pytest

from dmde.model import parallel
from dmde.model.parallel import cores, map_in_threads

FLAG: ContextVar[str] = ContextVar("flag", default="unset")


def test_the_results_come_in_the_order_of_the_items() -> None:
    assert map_in_threads(lambda x: x * x, range(50)) == [x * x for x in range(50)]
    assert map_in_threads(str, []) == []
    assert cores() >= 1


def test_the_first_item_s_error_is_raised() -> None:
    def fail(x: int) -> int:
        if x in (3, 7):
            raise ValueError(f"item {x}")
        return x

    with pytest.raises(ValueError, match="item 3"):
        map_in_threads(fail, range(10), workers=4)


def test_the_pieces_see_the_caller_s_context_variables() -> None:
    token = FLAG.set("set by the caller")
    try:
        assert (
            map_in_threads(lambda _: FLAG.get(), range(6), workers=3) == ["set by the caller"] * 6
        )
    finally:
        FLAG.reset(token)


def test_maps_nest_two_levels_deep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Levels 1 and 2 run in threads of their own; level 3 in its caller's thread."""
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    seen: list[tuple[int, bool]] = []  # (level, ran in its caller's thread)
    lock = threading.Lock()

    def piece(level: int, caller: int) -> None:
        with lock:
            seen.append((level, threading.get_ident() == caller))
        if level < 3:
            here = threading.get_ident()
            map_in_threads(lambda _: piece(level + 1, here), range(2))

    main = threading.get_ident()
    map_in_threads(lambda _: piece(1, main), range(2))
    assert sorted(set(seen)) == [(1, False), (2, False), (3, True)]
    assert len(seen) == 2 + 4 + 8


def test_one_worker_runs_in_the_calling_thread() -> None:
    here = threading.get_ident()
    assert map_in_threads(lambda _: threading.get_ident(), range(3), workers=1) == [here] * 3


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3), ("0", None), ("x", None)])
def test_the_number_of_threads_can_be_set(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int | None
) -> None:
    monkeypatch.delenv(parallel.THREADS_VARIABLE, raising=False)
    default = cores()
    monkeypatch.setenv(parallel.THREADS_VARIABLE, value)
    assert cores() == (default if expected is None else expected)
    if expected == 1:
        here = threading.get_ident()
        assert map_in_threads(lambda _: threading.get_ident(), range(3)) == [here] * 3
