"""The notice for the person concerned: their file's score, item by item, from the model file.

French law gives a person whose file was handled with an algorithm the right to an explanation
(CRPA articles L311-3-1 and R311-3-1-2): the degree and mode of contribution of the algorithm to
the decision; the data processed and their sources; the parameters and their weighting applied
to the person's situation; the operations performed. This module produces it from the model
that actually scored, as data first and a document second:

1. :func:`explain` turns one validated row into an
   :class:`~dmde.documents.explanation.Explanation`: for each item the model reads, the
   person's value, its bin, the points the model file gives that bin and the points of the
   average file; the intercept points; the score and the probability, all taken from the model
   itself (:meth:`~dmde.model.scorecard.Scorecard.contributions` and the model's one scoring
   method, :meth:`~dmde.model.scorecard.Scorecard.score_columns`), so that the points shown
   add up exactly to the score; where the file stands in a selection
   (:class:`~dmde.documents.selection_table.SelectionTable`); and the smallest changes of one or
   two items that would have brought the score below the selection cut
   (:mod:`dmde.documents.counterfactual`), each re-scored through the model.
2. :func:`~dmde.documents.notice.notice` renders an explanation as a
   :class:`~dmde.core.rendering.Document` in plain French (``lang="fr"``, the default) or
   English; every user-facing string of the notice is in :mod:`dmde.documents.notice_words`,
   one entry per language.
3. :func:`explain_file` finds a ``dossier_id`` in a CSV or Parquet file in one streaming pass
   (only the columns the model needs are read, :mod:`dmde.documents.row_lookup`) and
   :func:`write_notices` writes one notice per selected file of a selection, also in one pass.

The names of those modules are importable from here too, as before the notice was split.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dmde.batch.scoring import needed_columns
from dmde.core.files import FileSet
from dmde.core.rendering import Lang
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, EXCLUDED_FAMILIES, Family, columns_of
from dmde.data.datasets import BATCH_ROWS, arrow_schema, type_message
from dmde.data.manifest import land_run
from dmde.data.reading import check_rows
from dmde.documents.counterfactual import (
    CHANGEABLE,
    DERIVED,
    FIXED_LEVELS,
    UNCHANGEABLE,
    find_counterfactuals,
)
from dmde.documents.explanation import (
    Change,
    Counterfactual,
    ExplainError,
    Explanation,
    FeatureLine,
    Model,
    Placement,
    Reason,
    Value,
    plain_value,
)
from dmde.documents.notice import (
    NOTICE_FORMATS,
    format_for,
    notice,
    render_notice,
    require_action,
    write_notice,
)
from dmde.documents.notice_words import LEVELS, SOURCES, STRINGS, UNITS
from dmde.documents.row_lookup import FoundRow, FoundRows, find_rows
from dmde.documents.selection_table import SelectionTable, read_selection
from dmde.documents.value_words import bin_text, value_text
from dmde.model.model_file import load_model
from dmde.model.periods import PERIODS, PeriodScorecards
from dmde.model.scorecard import Scorecard, ScorecardFamily

NOTICES_MANIFEST = "notices.manifest.json"  # beside the notices of write_notices

__all__ = [
    "CHANGEABLE",
    "DERIVED",
    "FIXED_LEVELS",
    "LEVELS",
    "NOTICE_FORMATS",
    "SOURCES",
    "STRINGS",
    "UNCHANGEABLE",
    "UNITS",
    "Change",
    "Counterfactual",
    "ExplainError",
    "Explanation",
    "FeatureLine",
    "FoundRow",
    "Placement",
    "Reason",
    "SelectionTable",
    "bin_text",
    "explain",
    "explain_file",
    "find_rows",
    "format_for",
    "notice",
    "read_selection",
    "render_notice",
    "value_text",
    "write_notice",
    "write_notices",
]

#: At most this many items are listed as having weighed most.
MAX_REASONS = 3


def explain(
    model: Model,
    row: Mapping[str, Any] | pd.DataFrame,
    *,
    selection: SelectionTable | None = None,
    row_number: int | None = None,
) -> Explanation:
    """Explain the score of one file, item by item, from the model.

    Parameters
    ----------
    model : Scorecard or ScorecardFamily
        The model that scored (a loaded model file records its hash in the notice).
    row : mapping or one-row DataFrame
        The file's values: ``dossier_id``, the model's features and, for a model family, the
        routing column (``caf_code`` too when the selection is by Caf). Checked against the
        catalog.
    selection : SelectionTable, optional
        The selection the file was part of (see :func:`read_selection`): gives the rank, the
        cut and the counterfactual changes.
    row_number : int, optional
        The file's row in its data file (1 = first data row), recorded in the notice's data.

    Returns
    -------
    Explanation

    Raises
    ------
    ExplainError
        If a value breaks the catalog, the file's segment has no scorecard, or the selection
        records another score, office or quota group for the file, or its manifests name
        another model (:meth:`SelectionTable.check_source`): it was not made with this model
        and data.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> df = synthesize(20_000, seed=1, controls=4_000)
    >>> checked = df[df["controlled"] == 1]
    >>> model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    >>> e = explain(model, df.iloc[0])
    >>> e.score == float(model.points(df.head(1))[0])
    True
    >>> round(e.intercept_points + e.items_points, 2) == e.score
    True
    """
    extra = _extra_columns(selection)
    if isinstance(model, PeriodScorecards) and model.month is None:
        extra = (*extra, model.month_column)  # scored as of the row's month
    values = _row_values(row, model, extra)
    if selection is not None:
        selection.check_source(model_sha256=getattr(model, "model_sha256_", None), data_path=None)
    problems = _row_problems(values)
    if problems:
        raise ExplainError(
            f"dossier_id {values.get('dossier_id')}: the row breaks the catalog, so it was not "
            f"scored: {'; '.join(problems)}. Fix the data, then score again."
        )
    return _explain(model, values, selection=selection, row_number=row_number)


def _explain(
    model: Model,
    values: Mapping[str, Value],
    *,
    selection: SelectionTable | None,
    row_number: int | None,
) -> Explanation:
    dossier_id = int(values["dossier_id"])  # type: ignore[arg-type]
    periods: dict[str, Any] | None = None
    if isinstance(model, PeriodScorecards):
        model = _as_of_row(model, values, dossier_id)
    frame = _frame(values, needed_columns(model))
    scored = model.score_columns({c: frame[c] for c in frame.columns}, 1, reasons=MAX_REASONS)
    score, probability = float(scored.points[0]), float(scored.probability[0])
    if isinstance(model, PeriodScorecards):
        scorecard, lines, intercept, periods = _period_lines(model, frame)
        segment_column, segment = None, None
        decimals = scorecard.scaling_.decimals
        slack = 10.0**-decimals  # weighted points: one unit of the last decimal
    else:
        scorecard, segment_column, segment = _scorecard_of(model, frame, dossier_id)
        contributions = scorecard.contributions(frame)[0]
        decimals = scorecard.scaling_.decimals
        lines = _feature_lines(scorecard, frame, contributions, decimals)
        intercept, slack = float(scorecard.intercept_points_), 0.0
    total = round(intercept + math.fsum(f.points for f in lines), decimals)
    if abs(total - score) > slack:  # pragma: no cover - the model's points are these sums
        raise ExplainError(f"dossier_id {dossier_id}: the points add up to {total}, not {score}.")
    placement = None
    if selection is not None:
        routed = {} if segment is None else {"segment": segment}  # a single scorecard: "all"
        if periods is not None:
            routed = {"segment": periods["label"]}
        selection.check_row(dossier_id, {**values, **routed})
        group = None if selection.per is None else _text(values.get(selection.per))
        placement = selection.placement(dossier_id, group)
        recorded = selection.score_of(dossier_id)
        if recorded is not None and abs(recorded - score) > 0.5 * 10.0**-decimals:
            raise ExplainError(
                f"dossier_id {dossier_id}: the selection records a score of {recorded}, but the "
                f"model gives {score}: the selection was not made with this model and this data "
                "file. Use the model file and the data that were scored."
            )
    status, counterfactuals = find_counterfactuals(model, scorecard, frame, score, placement)
    by_column = {f.column: f for f in lines}
    reasons = tuple(
        Reason(
            column=c,
            points=by_column[c].points,
            average_points=by_column[c].average_points,
            excess=by_column[c].difference,
        )
        for c in (model.features_[j] for j in scored.reason_features[0] if j >= 0)
    )
    policy = scorecard.policy or DEFAULT_POLICY
    return Explanation(
        dossier_id=dossier_id,
        model_sha256=getattr(model, "model_sha256_", None),
        segment_column=segment_column,
        segment=segment,
        values=dict(values),
        features=lines,
        intercept_points=intercept,
        score=score,
        probability=probability,
        scaling=scorecard.scaling_,
        reasons=reasons,
        placement=placement,
        counterfactuals=counterfactuals,
        counterfactual_status=status,
        unused_features=tuple(c for c in policy.features if c not in model.features_),
        row=row_number,
        excluded={f.value: columns_of(f) for f in EXCLUDED_FAMILIES},
        periods=periods,
        action=None if selection is None else selection.action,
        overlap_removed=None if selection is None else selection.overlap_removed,
    )


def _as_of_row(
    model: PeriodScorecards, values: Mapping[str, Value], dossier_id: int
) -> PeriodScorecards:
    """A model by period as of its month, or of the row's ``snapshot_month``."""
    if model.month is not None:
        return model
    month = values.get(model.month_column)
    if not isinstance(month, str):
        raise ExplainError(
            f"dossier_id {dossier_id}: a model by period scores as of a month, and the row has "
            f"no {model.month_column}: give it, or explain with model.as_of('YYYY-MM')."
        )
    return model.as_of(month)


def _period_lines(
    model: PeriodScorecards, frame: pd.DataFrame
) -> tuple[Scorecard, tuple[FeatureLine, ...], float, dict[str, Any]]:
    """The notice's lines of a model by period as of its month: each item's points are those
    the score adds up (:meth:`~dmde.model.periods.PeriodScorecards.weighted_points`: each
    period's published points times its share of the window's months, rounded), and so are
    the average file's; the bin is that of the scorecard with the larger weight (the "after"
    one on a tie), which the counterfactual changes also follow."""
    assert model.month is not None  # set by _as_of_row
    weights = model.weights(model.month)
    used = [p for p in PERIODS if weights.months[p]]
    main = max(used, key=lambda p: (weights.months[p], p == "after"))
    scorecards = {p: model.models_[p] for p in used}
    decimals = scorecards[main].scaling_.decimals
    per = {
        p: _feature_lines(s, frame, s.contributions(frame)[0], decimals)
        for p, s in scorecards.items()
    }
    starting, items = model.weighted_points({c: frame[c] for c in model.features_}, 1)
    lines = []
    for j, name in enumerate(model.features_):
        parts = {p: next((f for f in per[p] if f.column == name), None) for p in used}
        own = {p: f for p, f in parts.items() if f is not None}
        w = {p: weights.weights[p] for p in own}
        points = float(items[0, j])
        average = round(math.fsum(w[p] * f.average_points for p, f in own.items()), decimals)
        shown = own.get(main) or next(iter(own.values()))
        labels = {(f.bin_label_fr, f.bin_label_en) for f in own.values()}
        if len(labels) == 1:
            fr, en = shown.bin_label_fr, shown.bin_label_en
        else:
            fr = " ; ".join(f"{_PERIOD_WORDS['fr'][p]} : {f.bin_label_fr}" for p, f in own.items())
            en = "; ".join(f"{p}: {f.bin_label_en}" for p, f in own.items())
        lines.append(
            FeatureLine(
                column=name,
                value=shown.value,
                bin=shown.bin,
                bin_label_fr=fr,
                bin_label_en=en,
                points=points,
                average_points=average + 0.0,
                difference=round(points - average, decimals) + 0.0,
            )
        )
    scores = {p: float(s.points(frame)[0]) for p, s in scorecards.items()}
    intercept = float(starting[0])
    periods = {
        "month": weights.month,
        "first": weights.first,
        "last": weights.last,
        "window": weights.window,
        "months": dict(weights.months),
        "label": weights.label,
        "reform_month": model.reform_month,
        "combination": "month-weighted log-odds",
        "scores": scores,
        "text": weights.describe(),
    }
    return scorecards[main], tuple(lines), intercept, periods


_PERIOD_WORDS = {"fr": {"before": "avant", "after": "après"}}


def _row_values(
    row: Mapping[str, Any] | pd.DataFrame, model: Model, extra: Sequence[str]
) -> dict[str, Value]:
    """The row's values of the columns the model needs, and of ``extra`` ones when given.

    Nothing else of the row is kept: sensitive or other excluded columns never reach a notice.
    """
    if isinstance(row, pd.DataFrame):
        if len(row) != 1:
            raise ExplainError(f"row must be one row; got a DataFrame of {len(row)} rows.")
        given = {str(k): v for k, v in row.iloc[0].items()}
    else:
        given = {str(k): v for k, v in row.items()}
    wanted = [*needed_columns(model)]
    missing = [c for c in wanted if c not in given]
    if isinstance(model, PeriodScorecards) and model.month_column in missing:
        raise ExplainError(
            f"a model by period scores as of a month, and the row has no {model.month_column}: "
            "give it, or explain with model.as_of('YYYY-MM') (dmde explain --month)."
        )
    if missing:
        raise ExplainError(
            f"the row has no {', '.join(missing)}, which the model needs; give every column of "
            f"{', '.join(wanted)}."
        )
    keep = [*wanted, *(c for c in extra if c in given and c in CATALOG and c not in wanted)]
    return {c: plain_value(given[c], CATALOG[c]) for c in keep}


def _row_problems(values: Mapping[str, Value]) -> list[str]:
    """The catalog rules one row's values break, in words, in the order of the columns.

    A value that is not of its column's type is named here; the others are checked by the data
    layer's row checker (:func:`dmde.data.reading.check_rows`).
    """
    found: dict[str, str] = {}
    arrays = {}
    for name, value in values.items():
        try:
            arrays[name] = pa.array([value], type=arrow_schema([name]).field(name).type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            found[name] = f"{name} = {value!r}: {type_message(CATALOG[name])}"
    for line in check_rows(pa.record_batch(arrays)).rejects.to_pylist():
        name, value = line["column"], values[line["column"]]
        shown = "(missing)" if value is None else repr(value)
        found[name] = f"{name} = {shown}: {line['reason']}"
    return [found[name] for name in values if name in found]


def _frame(values: Mapping[str, Value], columns: Sequence[str]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for name in columns:
        value = values[name]
        if CATALOG[name].dtype in ("category", "string"):
            data[name] = pd.Series([value], dtype=object)
        else:
            data[name] = pd.Series([np.nan if value is None else float(value)], dtype=np.float64)
    return pd.DataFrame(data)


def _scorecard_of(
    model: Model, frame: pd.DataFrame, dossier_id: int
) -> tuple[Scorecard, str | None, str | None]:
    if isinstance(model, Scorecard):
        return model, None, None
    segment = _text(frame[model.segment_column].iloc[0])
    if segment not in model.models_:
        raise ExplainError(
            f"dossier_id {dossier_id}: {model.segment_column} = {segment!r} has no scorecard "
            f"in the model (it has {', '.join(model.segments_)}), so the file was not scored."
        )
    return model.models_[segment], model.segment_column, segment


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _feature_lines(
    scorecard: Scorecard, frame: pd.DataFrame, contributions: Any, decimals: int
) -> tuple[FeatureLine, ...]:
    lines = []
    for j, (name, binning) in enumerate(
        zip(scorecard.features_, scorecard.binning_.bins_, strict=True)
    ):
        b = int(binning.assign(frame[name])[0])
        points = float(contributions[j])
        average = round(float(scorecard.reference_points_[j]), decimals) + 0.0
        value = plain_value(frame[name].iloc[0], CATALOG[name])
        lines.append(
            FeatureLine(
                column=name,
                value=value,
                bin=b,
                bin_label_fr=bin_text(binning, b, lang="fr", value=value),
                bin_label_en=bin_text(binning, b, lang="en", value=value),
                points=points,
                average_points=average,
                difference=round(points - average, decimals) + 0.0,
            )
        )
    return tuple(lines)


def _load(model: Model | str | os.PathLike[str]) -> Model:
    if isinstance(model, Scorecard | ScorecardFamily | PeriodScorecards):
        return model
    return load_model(model)


def _extra_columns(selection: SelectionTable | None) -> tuple[str, ...]:
    """Columns read besides the model's: the Caf and the quota column, if operational."""
    extra = ["caf_code"]
    if selection is not None and selection.per is not None:
        extra.append(selection.per)
    return tuple(c for c in extra if c in CATALOG and CATALOG[c].family is Family.OPERATIONAL)


def explain_file(
    model: Model | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    dossier_id: int,
    *,
    selection: SelectionTable | str | os.PathLike[str] | None = None,
    batch_size: int = BATCH_ROWS,
    trust_selection: bool = False,
) -> Explanation:
    """Find a file in a data file (one streaming pass) and explain its score.

    Parameters
    ----------
    model : model or path of a model file
    input_path : path
        The data file that was scored (CSV or Parquet).
    dossier_id : int
    selection : SelectionTable or path of a selection file, optional
        A selection file must have its manifest and be tied by the manifests to this model
        and this data file (see :func:`read_selection` and
        :meth:`SelectionTable.check_source`).
    trust_selection : bool, default False
        Use a selection file without its manifest, or whose scores are gone, as it is (the
        office, quota group and score of the file are still compared with the data and the
        model).

    Raises
    ------
    ExplainError
        If the id is not in the file, its row breaks the catalog (each problem named), the
        selection is not vouched for by its manifests, or :func:`explain` refuses it.
    """
    loaded = _load(model)
    chosen = _selection(selection, loaded, input_path, trust_selection)
    loaded = _as_scored(loaded, chosen, trust_selection)
    found = find_rows(
        loaded, input_path, [dossier_id], extra=_extra_columns(chosen), batch_size=batch_size
    )
    if int(dossier_id) not in found:
        raise ExplainError(_absent(int(dossier_id), input_path, found))
    return _explain_found(loaded, found[int(dossier_id)], input_path, chosen)


def _absent(dossier_id: int, input_path: str | os.PathLike[str], found: FoundRows) -> str:
    """Why a file was not found: not in the data file, or perhaps on one of the rows whose
    ``dossier_id`` could not be read."""
    path = os.fspath(input_path)
    if not found.unread:
        return (
            f"dossier_id {dossier_id} is not in {path}: check the number and that this is the "
            "data file that was scored."
        )
    return (
        f"dossier_id {dossier_id} is not among the rows of {path} that could be read, but "
        f"{found.unread_text()} could not be read and may hold it. Run 'dmde validate {path}' "
        "to see every problem, fix the file, then score it again."
    )


def _selection(
    selection: SelectionTable | str | os.PathLike[str] | None,
    model: Model,
    input_path: str | os.PathLike[str],
    trust: bool,
) -> SelectionTable | None:
    """The selection read (if a path) and checked against the model and the data file."""
    if selection is None:
        return None
    if isinstance(selection, str | os.PathLike):
        selection = read_selection(selection, trust_selection=trust)
    if not trust:
        model_hash = getattr(model, "model_sha256_", None)
        selection.check_source(model_sha256=model_hash, data_path=input_path)
    return selection


def _as_scored(model: Model, selection: SelectionTable | None, trust: bool) -> Model:
    """A model by period as of the month its selection's scores were scored as of.

    ``dmde score --month M`` records ``month`` in the scores' manifest: the notices then
    explain the score as of ``M`` (the model is taken as of it, unless it already is); a
    model as of another month, or as of a month when the scores read each row's own, is
    refused. Nothing changes for other models, without a selection, or with a trusted one.
    """
    source = getattr(selection, "_source", None)
    if not isinstance(model, PeriodScorecards) or source is None or trust:
        return model
    recorded = source.scores_run.get("month")
    where = f"selection file {str(source.path)!r}"
    if recorded is None and model.month is not None:
        raise ExplainError(
            f"{where}: its scores were scored as of each row's {model.month_column}, not as of "
            f"{model.month}: drop --month (explain with the model, not model.as_of) to explain "
            "them as they were scored."
        )
    if recorded is not None and model.month not in (None, recorded):
        raise ExplainError(
            f"{where}: its scores were scored as of {recorded} (dmde score --month "
            f"{recorded}), not {model.month}: give --month {recorded}, or drop it."
        )
    return model.as_of(str(recorded)) if recorded is not None else model


def _explain_found(
    model: Model,
    row: FoundRow,
    input_path: str | os.PathLike[str],
    selection: SelectionTable | None,
) -> Explanation:
    if row.problems:
        raise ExplainError(
            f"{os.fspath(input_path)}: row {row.row} (dossier_id {row.values['dossier_id']}) "
            f"breaks the catalog, so it was not scored: {'; '.join(row.problems)}. Fix the "
            "data, then score again."
        )
    return _explain(model, row.values, selection=selection, row_number=row.row)


def write_notices(
    model: Model | str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    selection_path: str | os.PathLike[str] | SelectionTable,
    out_dir: str | os.PathLike[str],
    *,
    lang: Lang = "fr",
    format: str = "html",
    limit: int | None = None,
    batch_size: int = BATCH_ROWS,
    trust_selection: bool = False,
) -> list[Path]:
    """Write one notice per selected file, ``<out_dir>/<dossier_id>.<ext>``, in one pass.

    Every selected file is looked for first; if one is missing from the data file or breaks
    the catalog, nothing is written and the error lists them.

    Parameters
    ----------
    model : model or path of a model file
        The model that scored.
    input_path : path
        The data file that was scored (CSV or Parquet).
    selection_path : path or SelectionTable
        The selection (``dmde select``).
    out_dir : path
        Folder of the notices (created if needed).
    lang : {"fr", "en"}, default "fr"
    format : {"html", "md", "txt", "json"}, default "html"
    limit : int, optional
        Only the first ``limit`` selected files, in the selection's order (national rank).
    trust_selection : bool, default False
        As for :func:`explain_file`: without it, a selection file must have its manifest and
        be tied by the manifests to this model and this data file.

    Returns
    -------
    list of Path
        The notices written, in the selection's order. They land as one set with
        ``<out_dir>/notices.manifest.json``, which vouches for each (an interrupted run leaves
        the previous notices, or a manifest that says it did not finish).
    """
    if format not in NOTICE_FORMATS:
        raise ExplainError(f"format must be one of {', '.join(NOTICE_FORMATS)}; got {format!r}.")
    loaded = _load(model)
    selection = _selection(selection_path, loaded, input_path, trust_selection)
    assert selection is not None
    where = (
        f"selection file {os.fspath(selection_path)!r}"
        if isinstance(selection_path, str | os.PathLike)
        else "the selection"
    )
    require_action(selection.action, "check", where=where)
    loaded = _as_scored(loaded, selection, trust_selection)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ExplainError(f"limit must be a whole number of at least 0; got {limit!r}.")
    ids = selection.ids if limit is None else selection.ids[:limit]
    found = find_rows(
        loaded, input_path, ids, extra=_extra_columns(selection), batch_size=batch_size
    )
    absent = [i for i in ids if i not in found]
    invalid = [
        f"row {found[i].row} (dossier_id {i})" for i in ids if i in found and found[i].problems
    ]
    if absent or invalid:
        parts = []
        if absent:
            shown = ", ".join(str(i) for i in absent[:5])
            parts.append(f"{len(absent)} selected files are not in the data file ({shown})")
            if found.unread:
                parts.append(
                    f"{found.unread_text()} could not be read and may hold them: run 'dmde "
                    "validate' on the data file"
                )
        if invalid:
            parts.append(f"{len(invalid)} rows break the catalog ({', '.join(invalid[:5])})")
        raise ExplainError(
            f"{os.fspath(input_path)}: {'; '.join(parts)}; nothing was written. Use the data "
            "file that was scored."
        )
    target = Path(out_dir)
    with FileSet(error=ExplainError) as files:
        for i in ids:
            explanation = _explain(
                loaded, found[i].values, selection=selection, row_number=found[i].row
            )
            text = render_notice(notice(explanation, lang=lang), format=format)
            files.write_text(target / f"{i}{NOTICE_FORMATS[format]}", text, what="notice")
        source = selection.source
        record = {
            "command": "explain",
            "model": {"sha256": getattr(loaded, "model_sha256_", None)},
            "input": {"path": os.fspath(input_path)},
            "selection": None
            if source is None
            else {"path": str(source.path), "scores_sha256": source.scores_sha256},
            "notices": len(ids),
            "lang": lang,
            "format": format,
        }
        land_run(files, target / NOTICES_MANIFEST, record, error=ExplainError)
    return files.targets
