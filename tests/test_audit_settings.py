"""The audit's options, validated once (dmde.audit.settings)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dmde.audit.settings import CORRECTIONS, AuditError, AuditSettings, AuditSettingsError
from dmde.cli import main
from dmde.core.errors import DmdeError

# (field, bad value, what the message says it accepts)
BAD: list[tuple[str, Any, str]] = [
    ("reference", ["gender", "female"], r"None or a dict of attribute to group, both str"),
    ("reference", {"gender": 1}, r"None or a dict of attribute to group, both str"),
    ("intersections", "yes", r"a bool"),
    ("intersections", 1, r"a bool"),
    ("band", (1.25, 0.8), r"0 < low < 1 < high"),
    ("band", (0.0, 1.25), r"0 < low < 1 < high"),
    ("band", (0.8, 1.0), r"0 < low < 1 < high"),
    ("band", (0.8,), r"a pair \(low, high\) with 0 < low < 1 < high"),
    ("band", "0.8,1.25", r"a pair \(low, high\) with 0 < low < 1 < high"),
    ("band", None, r"a pair \(low, high\) with 0 < low < 1 < high"),
    ("n_boot", 9, r"an int >= 10"),
    ("n_boot", 100.0, r"an int >= 10"),
    ("n_boot", True, r"an int >= 10"),
    ("seed", -1, r"an int >= 0"),
    ("seed", "0", r"an int >= 0"),
    ("min_cell", 0, r"an int >= 1"),
    ("alpha", 0.0, r"a float in \(0, 1\)"),
    ("alpha", 1.0, r"a float in \(0, 1\)"),
    ("alpha", "0.05", r"a float in \(0, 1\)"),
    ("correction", "bonferroni", r"one of \['bh', 'holm'\]"),
    ("proxy_rows", 99, r"an int >= 100"),
]


@pytest.mark.parametrize(
    ("name", "value", "rule"), BAD, ids=[f"{name}={value!r}" for name, value, _ in BAD]
)
def test_every_bad_value_names_its_option(name: str, value: Any, rule: str) -> None:
    with pytest.raises(
        AuditSettingsError,
        match=rf"^{name} must be .*{rule}; got .*\. Pass",
    ) as caught:
        AuditSettings(**{name: value})
    error = caught.value
    assert (error.parameter, error.value) == (name, value)
    assert isinstance(error, AuditError) and isinstance(error, DmdeError)
    assert isinstance(error, ValueError)


def test_every_field_is_checked() -> None:
    checked = {name for name, _, _ in BAD}
    assert checked == {f.name for f in dataclasses.fields(AuditSettings)}


def test_defaults_and_accepted_values() -> None:
    default = AuditSettings()
    assert default.options() == {
        "reference": None,
        "intersections": True,
        "band": (0.8, 1.25),
        "n_boot": 1000,
        "seed": 0,
        "min_cell": 30,
        "alpha": 0.05,
        "correction": "holm",
        "proxy_rows": 20_000,
    }
    for correction in CORRECTIONS:
        assert AuditSettings(correction=correction).correction == correction
    made = AuditSettings(band=[0.5, 2], n_boot=np.int64(10), seed=0, reference={"a": "b"})
    assert made.band == (0.5, 2.0) and isinstance(made.band[1], float)
    assert made.n_boot == 10 and made.reference == {"a": "b"}


def test_settings_are_frozen_and_replace_validates() -> None:
    settings = AuditSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.n_boot = 5  # type: ignore[misc]
    assert dataclasses.replace(settings, n_boot=20).n_boot == 20
    with pytest.raises(AuditSettingsError, match=r"^n_boot must be"):
        dataclasses.replace(settings, n_boot=5)


def test_the_reference_is_copied() -> None:
    given = {"gender": "female"}
    settings = AuditSettings(reference=given)
    given["gender"] = "male"
    assert settings.reference == {"gender": "female"}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--n-boot", "5"], r"--n-boot must be an int >= 10; got 5\. Pass e\.g\. --n-boot 1000\."),
        (["--min-cell", "0"], r"--min-cell must be an int >= 1; got 0\."),
    ],
    ids=["n-boot", "min-cell"],
)
def test_the_command_line_names_the_flag(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "t.csv"
    table.write_text("s,g,c\n1.0,x,1\n2.0,y,0\n", encoding="utf-8")
    args = ["audit", "--table", str(table), "--score-column", "s", "--selected-column", "c"]
    args += ["--group-columns", "g", *flags, "--out", str(tmp_path / "r.html")]
    assert main(args) == 2  # a usage error
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err and err.count("\n") == 1
