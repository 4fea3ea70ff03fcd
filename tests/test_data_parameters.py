"""Tests of dmde.data.parameters: declared constraints and the one checker of data and batch."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pytest

from dmde.batch.selection import PARAMETER_CONSTRAINTS, SelectionError, SelectionParameterError
from dmde.core.errors import ParameterError
from dmde.data.parameters import InstanceOf, Range, StrOptions, bad_parameter, check_parameters

DECLARED: dict[str, list[Any]] = {
    "budget": [Range(Integral, 0, None, closed="left"), None],
    "share": [Range(Real, 0, 1, closed="right")],
    "mode": [StrOptions({"raise", "reject"})],
    "quotas": [InstanceOf(Mapping, "a mapping of group to quota")],
}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("budget", -1, r"^budget must be an int in the range \[0, inf\) or None; got -1\.$"),
        ("budget", True, r"^budget .*; got True\.$"),
        ("budget", 2.0, r"^budget .*; got 2.0\.$"),
        ("share", 0, r"^share must be a float in the range \(0.0, 1.0\]; got 0\.$"),
        ("share", float("nan"), r"^share .*; got nan\.$"),
        ("mode", "skip", r"^mode must be a str among \{'raise', 'reject'\}; got 'skip'\.$"),
        ("quotas", [1], r"^quotas must be a mapping of group to quota; got \[1\]\.$"),
    ],
    ids=["negative", "bool", "float-for-int", "zero", "nan", "option", "type"],
)
def test_a_bad_value_names_the_keyword(name: str, value: Any, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as raised:
        check_parameters(DECLARED, {name: value})
    assert (raised.value.param == name and raised.value.got == value) or value != value


@pytest.mark.parametrize(
    ("name", "value"),
    [("budget", None), ("budget", np.int64(3)), ("share", 1), ("share", np.float32(0.5))],
    ids=["none", "numpy-int", "int-as-real", "numpy-float"],
)
def test_good_values_pass(name: str, value: Any) -> None:
    check_parameters(DECLARED, {name: value})


def test_the_fix_ends_the_message_and_the_class_is_the_callers() -> None:
    with pytest.raises(SelectionError, match=r"^budget .*; got -2\. Give a number\.$") as raised:
        check_parameters(
            DECLARED,
            {"budget": -2},
            fixes={"budget": "Give a number."},
            error=SelectionParameterError,
        )
    assert raised.value.exit_code == 2


def test_a_rule_on_the_data_says_the_value_in_words() -> None:
    error = bad_parameter("budget", "at most 40", np.int64(41), got="41 (for 40 files)")
    assert str(error) == "budget must be at most 40; got 41 (for 40 files)."
    assert bad_parameter("budget", "at most 40", np.int64(41)).got == 41


def test_select_declares_its_parameters() -> None:
    assert list(PARAMETER_CONSTRAINTS) == [
        "budget",
        "share",
        "per",
        "quotas",
        "min_probability",
        "random_share",
        "seed",
    ]
