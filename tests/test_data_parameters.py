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


_RULES: list[Any] = [
    Range(Integral, 0, None, closed="left"),
    Range(Integral, 2, 10, closed="both"),
    Range(Real, 0, 1, closed="right"),
    Range(Real, 0, None, closed="neither"),
    Range(Real, -1.5, 0.5, closed="left"),
    StrOptions({"raise", "reject"}),
    str,
    Mapping,
    None,
    "boolean",
]
_VALUES: list[Any] = [
    -1,
    0,
    1,
    2,
    10,
    11,
    0.0,
    0.5,
    1.0,
    -1.5,
    np.int64(3),
    np.float32(0.25),
    float("nan"),
    float("inf"),
    "raise",
    "skip",
    None,
    {},
    np.bool_(True),
]


@pytest.mark.parametrize("rule", _RULES, ids=[str(r) for r in _RULES])
def test_rules_decide_and_read_as_scikit_learns(rule: Any) -> None:
    """dmde's own constraints (scikit-learn is not imported to check a parameter) accept the
    values scikit-learn's accept, booleans apart, and are worded the same."""
    from sklearn.utils import _param_validation as sk

    from dmde.data.parameters import _constraint

    ours = _constraint(rule)
    if isinstance(rule, Range):
        theirs: Any = sk.Interval(rule.type, rule.left, rule.right, closed=rule.closed)
    elif isinstance(rule, StrOptions):
        theirs = sk.StrOptions(rule.options)
    else:
        theirs = sk.make_constraint(rule)
    for value in _VALUES:
        assert ours.is_satisfied_by(value) == theirs.is_satisfied_by(value), value
    if isinstance(rule, StrOptions):  # scikit-learn lists a set in its own order; we sort
        assert sorted(str(ours)) == sorted(str(theirs))
    else:
        assert str(ours) == str(theirs)
    assert not (isinstance(rule, Range) and ours.is_satisfied_by(True))


def test_checking_a_parameter_does_not_import_scikit_learn() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom numbers import Real\n"
        "from dmde.data.parameters import Range, check_parameters\n"
        "check_parameters({'x': [Range(Real, 0, 1, closed='both'), 'boolean', None]}, {'x': 1})\n"
        "print(any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_range_in_an_estimators_constraints_is_a_scikit_learn_interval() -> None:
    from sklearn.utils._param_validation import Interval, InvalidParameterError

    from dmde.model.scorecard import Scorecard

    assert isinstance(Range(Integral, 1, None, closed="left"), Interval | Range)
    with pytest.raises(InvalidParameterError, match=r"'max_prebins' .* \[2, inf\)\. Got True"):
        Scorecard(max_prebins=True)._validate_params()
