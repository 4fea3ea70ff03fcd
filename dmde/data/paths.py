"""Paths of one run: an output is named as a data file, and may not be one of the run's inputs
or another of its outputs.

A command that writes files (``dmde score``: scores, rejects, their manifest; ``dmde select``:
the selection and its manifest) refuses, before anything is read, an output path that resolves
to the same file as an input (the data file, the model file) or as another output of the same
run: writing it would destroy the input, or one output would replace another.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from dmde.core.errors import ParameterError
from dmde.data.parameters import bad_parameter
from dmde.data.schema import EXTENSIONS

__all__ = ["check_data_file_name", "check_distinct_paths", "same_file"]

PathLike = str | os.PathLike[str]


def same_file(first: PathLike, second: PathLike) -> bool:
    """Whether two paths name the same file (through links too, when both exist).

    Examples
    --------
    >>> same_file("data/x.csv", "data/../data/x.csv"), same_file("x.csv", "y.csv")
    (True, False)
    """
    a, b = Path(first), Path(second)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_distinct_paths(
    outputs: Sequence[tuple[str, str, PathLike]],
    inputs: Mapping[str, PathLike],
    *,
    error: type[ParameterError] = ParameterError,
) -> None:
    """Refuse an output that is an input or another output of the same run.

    Parameters
    ----------
    outputs : sequence of (str, str, path)
        Each output as (the parameter that sets it, what it is in words, its path), in the
        order in which the run writes them. An output refused is named by its parameter.
    inputs : mapping of str to path
        What each input is, in words, to its path.
    error : type of ParameterError
        The error raised (a subclass of a command's own).

    Raises
    ------
    ParameterError
        Naming the output's parameter, the file it collides with and what to do.

    Examples
    --------
    >>> check_distinct_paths([("output", "the scores", "x.csv")], {"the data file": "x.csv"})
    Traceback (most recent call last):
    ...
    dmde.core.errors.ParameterError: output must be another file than the data file 'x.csv'; got 'x.csv'. Write the scores to another file: writing it would destroy the data file.
    """  # noqa: E501
    seen: list[tuple[str, PathLike]] = list(inputs.items())
    for name, what, path in outputs:
        for other, taken in seen:
            if same_file(path, taken):
                raise bad_parameter(
                    name,
                    f"another file than {other} {os.fspath(taken)!r}",
                    os.fspath(path),
                    f"Write {what} to another file: writing it would destroy {other}.",
                    error=error,
                )
        seen.append((what, path))


def check_data_file_name(
    name: str, path: str | os.PathLike[str], *, error: type[ParameterError] = ParameterError
) -> None:
    """Refuse a data file to write whose name does not say CSV or Parquet (:data:`EXTENSIONS`).

    Examples
    --------
    >>> check_data_file_name("out_path", "scores.txt")
    Traceback (most recent call last):
    ...
    dmde.core.errors.ParameterError: out_path must be a file ending in one of .csv, .parquet, .pq; got 'scores.txt'. Rename the file.
    """  # noqa: E501
    if Path(path).suffix.lower() not in EXTENSIONS:
        expected = f"a file ending in one of {', '.join(EXTENSIONS)}"
        raise bad_parameter(name, expected, os.fspath(path), "Rename the file.", error=error)
