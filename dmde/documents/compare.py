"""What changed between two versions of the model: points, scores, selections, groups.

The ethics committee reviews every new version of the model with ``dmde diff``. From the two
model files alone, :func:`diff_models` lists what changed in the scorecards: settings (policy,
routing, scaling, target, fitting parameters), features and segments added or removed, and for
every segment, variable and bin the points before and after. A bin is matched by its label: when
a retrain moves a cut point, the old bin is reported as removed and the new one as added.

On a population file, :func:`compare_selections` scores every file with both models (streamed,
as ``dmde score`` does), selects the top ``budget`` with each (as ``dmde select`` does, same tie
rule and seed), and reports the distribution of the score shifts, the files that enter and
leave the selection, and the composition of both selections by the audit's groups
(read through :mod:`dmde.audit.groups`), side by side. Each job has its module:
:mod:`~dmde.documents.model_diff`, :mod:`~dmde.documents.selection_diff` and
:mod:`~dmde.documents.comparison_document`; their names are importable from here too.

Results are data (:class:`Comparison`), rendered by :func:`comparison_document` as HTML,
Markdown and JSON. A model compared with itself reports no change.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from dmde.core.files import FileSet
from dmde.core.rendering import write_document
from dmde.data.datasets import BATCH_ROWS
from dmde.data.manifest import document_manifest_path, land_run
from dmde.documents.comparison_document import Comparison, comparison_document
from dmde.documents.model_diff import (
    CompareError,
    ModelDiff,
    PointsChange,
    SettingChange,
    diff_models,
)
from dmde.documents.selection_diff import (
    GroupComposition,
    SelectionDiff,
    compare_selections,
    population_selection_diff,
)
from dmde.model.model_file import read_model_file

__all__ = [
    "CompareError",
    "Comparison",
    "GroupComposition",
    "ModelDiff",
    "PointsChange",
    "SelectionDiff",
    "SettingChange",
    "compare_selections",
    "comparison_document",
    "diff",
    "diff_files",
    "diff_models",
    "write_comparison",
]


def diff(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str],
    *,
    population: str | os.PathLike[str] | None = None,
    budget: int | None = None,
    seed: int = 0,
    batch_size: int = BATCH_ROWS,
    verify_key: str | os.PathLike[str] | None = None,
) -> Comparison:
    """Compare two model files, and their selections on a population (``dmde diff``).

    Parameters
    ----------
    old, new : path
        The model files (each checked as by :func:`dmde.model.model_file.load_model`).
    population : path, optional
        A population file (CSV or Parquet) scored with both models, streamed.
    budget : int, optional
        Files selected by each model; required with ``population``.
    seed : int
        Seed of the selection's tie order (as ``dmde select --seed``).
    verify_key : path, optional
        A public key file (``NAME.pub``): both models must be signed by it
        (:func:`dmde.model.model_file.load_model`).

    Raises
    ------
    CompareError
        If ``population`` and ``budget`` are not given together.
    """
    if (population is None) != (budget is None):
        raise CompareError(
            "population and budget go together: the selections need both the files to score "
            "and the number of files to select."
        )
    before = read_model_file(old, verify_key=verify_key)
    after = read_model_file(new, verify_key=verify_key)
    models = diff_models(before, after, old_name=before.name, new_name=after.name)
    if population is None or budget is None:
        return Comparison(models, None)
    selection = population_selection_diff(
        before.model,
        after.model,
        population,
        budget=budget,
        seed=seed,
        pdo=after.scaling.pdo,
        scaling_differs=before.scaling != after.scaling,
        batch_size=batch_size,
    )
    return Comparison(models, selection)


def write_comparison(
    comparison: Comparison,
    out: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("html", "md", "json"),
) -> list[Path]:
    """Write the comparison beside ``out`` (same stem) in each format; return the paths.

    They land as one set with ``<stem>.manifest.json``, which vouches for them.
    """
    with FileSet(error=CompareError) as files:
        written = write_document(comparison_document(comparison), out, formats=formats, files=files)
        record = {
            "command": "diff",
            "old": {"sha256": comparison.models.old_sha256},
            "new": {"sha256": comparison.models.new_sha256},
        }
        land_run(files, document_manifest_path(out), record, error=CompareError)
    return written


def diff_files(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    population: str | os.PathLike[str] | None = None,
    budget: int | None = None,
    seed: int = 0,
    formats: Iterable[str] = ("html", "md", "json"),
    verify_key: str | os.PathLike[str] | None = None,
) -> tuple[Comparison, list[Path]]:
    """:func:`diff`, then :func:`write_comparison` (``dmde diff``), never over an input.

    Raises
    ------
    CompareError
        If an output would replace one of the inputs (a model file with ``out``'s stem and a
        ``.json`` suffix, typically), or as :func:`diff`.
    """
    formats = tuple(formats)
    suffixes = {"html": ".html", "md": ".md", "json": ".json", "txt": ".txt"}
    inputs = {Path(p).resolve() for p in (old, new, population) if p is not None}
    for fmt in formats:
        target = Path(out).with_suffix(suffixes.get(fmt, "." + fmt))
        if target.resolve() in inputs:
            raise CompareError(
                f"out must name a new file: {target} would overwrite an input; give another name."
            )
    comparison = diff(
        old, new, population=population, budget=budget, seed=seed, verify_key=verify_key
    )
    return comparison, write_comparison(comparison, out, formats=formats)
