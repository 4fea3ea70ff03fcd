"""The error contract: exit codes carried by the errors, and the command line's one line."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from dmde.core.errors import (
    EXIT_DATA,
    EXIT_USAGE,
    DmdeError,
    ParameterError,
    PolicyError,
    SchemaError,
    UsageError,
    command_line_message,
)

FLAGS = {"random_share": "--random-share", "C": "--C", "budget": "--budget", "share": "--share"}


def test_every_error_is_a_value_error_with_an_exit_code() -> None:
    for cls in (DmdeError, UsageError, ParameterError, PolicyError, SchemaError):
        assert issubclass(cls, ValueError)
    assert DmdeError("x").exit_code == EXIT_DATA
    assert SchemaError("x").exit_code == EXIT_DATA
    assert UsageError("x").exit_code == EXIT_USAGE
    assert ParameterError("budget", "at least 1", 0).exit_code == EXIT_USAGE


def test_a_parameter_error_names_the_flag_on_the_command_line() -> None:
    exc = ParameterError("random_share", "a number in [0, 1)", 1.5, fix="Lower it.")
    assert str(exc) == "random_share must be a number in [0, 1); got 1.5. Lower it."
    assert command_line_message(exc, FLAGS) == (
        "--random-share must be a number in [0, 1); got 1.5. Lower it.",
        EXIT_USAGE,
    )
    assert "got 12,000." in str(ParameterError("budget", "at most 3,000", 12_000))


def test_scikit_learns_parameter_errors_name_the_flag() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        LogisticRegression(C=-1.0).fit([[0.0], [1.0]], [0, 1])
    said = command_line_message(caught.value, FLAGS)
    assert said is not None
    message, code = said
    assert code == EXIT_USAGE
    assert message.startswith("--C must be a float in the range (0.0, inf")
    assert message.endswith("got -1.0.")


def test_dmde_messages_in_the_same_form_are_rewritten() -> None:
    exc = DmdeError(
        "The 'budget' or 'share' parameter of select must be given (or 'quotas'). Got neither. "
        "Give the number of checks (budget=) or the share of files (share=)."
    )
    message, code = command_line_message(exc, FLAGS | {"quotas": "--quotas"}) or ("", 0)
    assert code == EXIT_USAGE
    assert message == (
        "--budget or --share must be given (or --quotas); got neither. Give the number of "
        "checks (--budget) or the share of files (--share)."
    )


def test_a_message_that_opens_with_a_parameter_names_the_flag_and_is_a_usage_error() -> None:
    said = command_line_message(DmdeError("random_share must be below 1; got 2."), FLAGS)
    assert said == ("--random-share must be below 1; got 2.", EXIT_USAGE)
    # Not a parameter: the words stay, and the error keeps its own exit code.
    said = command_line_message(DmdeError("shares must be positive in file x.csv"), FLAGS)
    assert said == ("shares must be positive in file x.csv", EXIT_DATA)
    said = command_line_message(DmdeError("pass budget=30 or fewer"), FLAGS)
    assert said == ("pass --budget 30 or fewer", EXIT_DATA)


@pytest.mark.parametrize(
    ("listing", "said"),
    [
        (
            "x.csv: 1 problem\n  - file (empty_file): the file is empty",
            "x.csv: file (empty_file): the file is empty",
        ),
        (
            "x.csv: 2 problems in 9 rows (rows numbered from 1)\n"
            "  - column 'age' (type): 2 rows, not a number\n  - column 'sex' (level): unknown",
            "x.csv: 2 problems: column 'age' (type): 2 rows, not a number; column 'sex' (level): "
            "unknown",
        ),
        (
            "x.csv: 5 problems\n" + "".join(f"  - column 'c{i}' (type): bad\n" for i in range(5)),
            "x.csv: 5 problems: column 'c0' (type): bad; column 'c1' (type): bad; column 'c2' "
            "(type): bad; and 2 more (run 'dmde validate x.csv' to see them)",
        ),
        ("not a listing\n  but two lines", "not a listing but two lines"),
    ],
    ids=["one", "two", "five", "other"],
)
def test_every_message_is_one_line_a_file_s_problems_too(listing: str, said: str) -> None:
    assert command_line_message(SchemaError(listing), FLAGS) == (said, EXIT_DATA)


def test_usage_errors_are_one_line() -> None:
    said = command_line_message(UsageError("give --a\nor --b"), FLAGS)
    assert said == ("give --a or --b", EXIT_USAGE)


def test_file_system_errors_are_refused_inputs() -> None:
    exc = FileNotFoundError(2, "No such file or directory", "scores.csv")
    message, code = command_line_message(exc, FLAGS) or ("", 0)
    assert code == EXIT_DATA and "'scores.csv'" in message and "no such file" in message


def test_other_errors_are_not_the_users() -> None:
    assert command_line_message(KeyError("x"), FLAGS) is None
    assert command_line_message(RuntimeError("bug"), FLAGS) is None
