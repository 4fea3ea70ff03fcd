"""The model's parts of the audit: measured on the sample in a child process, the same numbers."""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from dmde.audit import model_parts as parts_module
from dmde.audit.model_parts import model_parts, start_model_parts
from dmde.model.scorecard import ScorecardFamily

needs_fork = pytest.mark.skipif(
    sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2,
    reason="the child process needs fork and two cores",
)


REFERENCES = {"gender": "male", "nationality_group": "french"}


@needs_fork
def test_parts_from_a_child_are_the_parts_computed_here(
    population: pd.DataFrame, family: ScorecardFamily, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = population[["gender", "nationality_group"]].astype(str)
    audit = SimpleNamespace(method={"reference": REFERENCES})
    here = model_parts(family, population, groups, audit, seed=3, rows=3_000)  # type: ignore[arg-type]
    monkeypatch.setattr(parts_module, "BACKGROUND_ROWS", 0)
    finish = start_model_parts(family, population, groups, seed=3, rows=3_000)
    _assert_same(finish(audit), here)  # type: ignore[arg-type]


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
