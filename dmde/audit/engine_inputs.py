"""``dmde audit --engine duckdb``: the audit of dmde's files on aggregates, the rows left in DuckDB.

:func:`audit_files_duckdb` is :func:`dmde.audit.inputs.audit_files` with the rows kept where they
are: the population, scores and selection files are joined in DuckDB (``read_parquet`` /
``read_csv``, on ``dossier_id``), the audit's groups are derived there by SQL that gives the
levels of :func:`dmde.audit.targeting.group_columns` (values outside the declared levels
missing, as in Python), and Python receives only

- the cell sums of every attribute and pair (:func:`dmde.audit.aggregates.cell_sums_duckdb`):
  selection metrics, mean score and probability, with labels on every file their error
  metrics and AUC; the bootstrap, tests and flags of the Python engine run on them. The files
  are scanned once into a small table of cells by every group, selection, label state and
  national score decile (``GROUP BY ALL``: a few tens of thousands of rows), from which each
  attribute, pair, the national line and the deciles are added up;
- the counts of each group by national decile of the score (edges from the counts of each
  distinct score in the scores file, the Python engine's rule), and with labels on every file
  the calibration sums by decile of the probability;
- the few rows that the other tables are made of, exactly: the random-control sample (about
  7,500 files nationally: its error metrics, calibration, hit rates) and the files chosen for a
  check (the targeting table and hit rates);
- the model's seeded sample of ``proxy_rows`` rows, the very rows the Python engine draws
  (proxies, feature association, exclusion proof).

The work is :func:`audit_on_connection`, on any connection that runs DuckDB's SQL: a DuckDB
connection here, Spark's in :mod:`dmde.audit.spark_inputs` (the same queries, translated).

The score-gap decomposition (each feature's points summed over every row) is not computed: the
report says so (``data["engine"]``). The population's values are not checked against the
catalog row by row (the Python engine's reader does): DuckDB reads them as they are.

Every figure reported equals the Python engine's on the same files: counts exactly, means to
about 1e-12, intervals and p-values to about 1e-8 (sums added in another order: a small cell's
spread carries their last bits further; ``tests/test_audit_engines.py``), the same flags.
Measured on a shared, loaded machine (2 cores): 13.8M files audited through the CLI in 16 s
with a peak of 0.81 GB (DuckDB's ``memory_limit`` 500MB).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dmde.audit.aggregates import (
    AttributeCells,
    Connection,
    _set_id,
    audit_groups_on_cells,
    cell_sums_duckdb,
)
from dmde.audit.findings import amplification, findings
from dmde.audit.flags import flag_sentences
from dmde.audit.forked import in_child
from dmde.audit.inputs import LABEL_SOURCES, load_scoring_model
from dmde.audit.interactions import EXPECTED, _main_effects
from dmde.audit.metric_definitions import _STATES, DISPARITY_COLUMNS, MISSING, SEPARATOR
from dmde.audit.metrics import GroupAudit, audit_groups_with, disparity_frame, flag_disparities
from dmde.audit.model_parts import BACKGROUND_ROWS, model_identity
from dmde.audit.profiles import profile_changes, score_profiles
from dmde.audit.proxies import exclusion_proof, feature_association, proxy_strength
from dmde.audit.result import AuditResult
from dmde.audit.run import ALL_FILES, _combine_stages
from dmde.audit.settings import AuditError, AuditOptionError, AuditSettings
from dmde.audit.targeting import (
    ATTRIBUTE_SOURCES,
    GROUP_ATTRIBUTES,
    group_columns,
    hit_rates_by_method,
    selection_vs_random,
)
from dmde.batch.selection_file import check_selection_source
from dmde.core.stats import kish_size, normal_p, wilson
from dmde.data.catalog import CATALOG
from dmde.data.manifest import check_vouched
from dmde.data.validation import _to_pandas
from dmde.model.periods import PeriodScorecards
from dmde.model.scorecard import ScorecardFamily

__all__ = [
    "ENGINES",
    "AuditFiles",
    "audit_files_duckdb",
    "audit_on_connection",
    "checked_files",
    "group_sql",
]

#: The audit's engines (``dmde audit --engine``).
ENGINES = ("python", "duckdb")

_VIEW = "dmde_audit_files"
#: The view's rows summed by groups, selection, label state and score decile (a small table).
_CELLS = "dmde_audit_cells"
_AGE_EDGES = (25, 35, 50, 65)
_INCOME_EDGES = (1e-12, 0.5, 1.0, 1.5)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _bands_sql(column: str, edges: Sequence[float], labels: Sequence[str]) -> str:
    """``numpy.searchsorted(edges, x, side="right")`` as SQL: NaN or NULL in the last band."""
    x = f"CAST({_quote(column)} AS DOUBLE)"
    cases = " ".join(
        f"WHEN {x} < {edge!r} THEN {_text(label)}"
        for edge, label in zip(edges, labels, strict=False)
    )
    last = _text(labels[-1])
    return f"CASE WHEN {x} IS NULL OR isnan({x}) THEN {last} {cases} ELSE {last} END"


def group_sql(attribute: str) -> str:
    """The SQL expression of one group attribute, as :func:`~dmde.audit.targeting.group_columns`.

    Text attributes keep their value when it is a declared level and are NULL (the group
    ``(missing)``) otherwise; age and income fall in the same bands (a missing number in the
    last band, as ``numpy.searchsorted`` puts NaN); AAH is ``mean_aah_12m > 0``.

    Examples
    --------
    >>> group_sql("aah")
    'CASE WHEN CAST("mean_aah_12m" AS DOUBLE) > 0 AND NOT isnan(CAST("mean_aah_12m" AS DOUBLE)) THEN \\'receives AAH\\' ELSE \\'no AAH\\' END'
    """  # noqa: E501
    source = ATTRIBUTE_SOURCES[attribute]
    levels = [code for code, _, _ in GROUP_ATTRIBUTES[attribute].levels]
    if attribute == "age_band":
        return _bands_sql(source, _AGE_EDGES, levels)
    if attribute == "income_band":
        return _bands_sql(source, _INCOME_EDGES, levels)
    if attribute == "aah":
        x = f"CAST({_quote(source)} AS DOUBLE)"
        return f"CASE WHEN {x} > 0 AND NOT isnan({x}) THEN 'receives AAH' ELSE 'no AAH' END"
    text = f"CAST({_quote(source)} AS VARCHAR)"
    return f"CASE WHEN {text} IN ({', '.join(map(_text, levels))}) THEN {text} END"


def _reader(path: Path, text: Sequence[str] = ()) -> str:
    """DuckDB's reader of a file; in a CSV, the columns ``text`` read as text (a catalog code
    such as ``caf_code`` "01" keeps its leading zero)."""
    if path.suffix.lower() == ".csv":
        types = ", ".join(f"{_text(c)}: 'VARCHAR'" for c in text)
        return f"read_csv({_text(str(path))}, header = true, types = {{{types}}})"
    return f"read_parquet({_text(str(path))})"


def _population_reader(con: Connection, path: Path) -> str:
    """The population's reader: its catalog text and category columns as text in a CSV."""
    if path.suffix.lower() != ".csv":
        return _reader(path)
    header = set(_columns(con, _reader(path)))
    text = [n for n, c in CATALOG.items() if c.dtype in ("category", "string") and n in header]
    return _reader(path, text)


def _existing(path: str | os.PathLike[str], what: str) -> Path:
    file = Path(path)
    if file.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise AuditError(f"{file}: expected a .csv or .parquet file, got {file.suffix!r}.")
    if not file.is_file():
        raise AuditError(f"{file}: no such file.")
    check_vouched(file, what=what, error=AuditError)
    return file


def _columns(con: Connection, source: str) -> list[str]:
    return [str(row[0]) for row in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()]


def _one(con: Connection, query: str) -> tuple[Any, ...]:
    return tuple(con.sql(query).fetchall()[0])


def _check_ids(con: Connection, source: str, path: Path) -> int:
    rows, distinct, missing = _one(
        con,
        f"SELECT count(*), count(DISTINCT dossier_id), count(*) - count(dossier_id) FROM {source}",
    )
    if missing or distinct != rows:
        raise AuditError(
            f"{path}: dossier_id must be unique and present; {rows - distinct:,} repeated or "
            "missing."
        )
    if rows == 0:
        raise AuditError(f"{path}: the table has no rows (only a header): nothing to audit.")
    return int(rows)


#: What the duckdb engine computes, samples and leaves out, for the report.
ENGINE_NOTE = (
    "DuckDB: the files joined and the groups made in the engine; every group metric, "
    "interval, test and flag from cell sums (GROUP BY GROUPING SETS), the deciles from "
    "counts by national decile; the random-control sample and the files chosen for a "
    "check fetched exactly (error metrics, calibration, targeting, hit rates); proxies, "
    "feature association and the exclusion proof on the Python engine's seeded sample of "
    "{rows} rows; the score-gap decomposition (every row's points) not computed; the "
    "population's values not checked against the catalog"
)


@dataclass(frozen=True)
class AuditFiles:
    """The audit's files, checked (they exist, are vouched for, the selection comes from the
    scores, the scores from the model), the loaded model and the attributes wanted."""

    scores: Path
    population: Path
    selection: Path
    model: Any
    attributes: list[str]


def checked_files(
    *,
    engine: str,
    scores: str | os.PathLike[str],
    population: str | os.PathLike[str],
    model: str | os.PathLike[str],
    selection: str | os.PathLike[str] | None,
    labels: str,
    attributes: Sequence[str] | None,
    verify_key: str | os.PathLike[str] | None,
) -> AuditFiles:
    """The checks every engine's audit of files makes before it reads a row (see
    :func:`audit_files_duckdb`); ``engine`` names the ``--engine`` in the messages."""
    if labels not in LABEL_SOURCES:
        raise AuditError(f"labels must be one of {', '.join(LABEL_SOURCES)}; got {labels!r}.")
    if selection is None:
        raise AuditOptionError(
            f"--engine {engine} audits a selection file: give --selection (a --budget is applied "
            "by the Python engine, --engine python)."
        )
    scores_path = _existing(scores, "scores file")
    population_path = _existing(population, "population file")
    selection_path = _existing(selection, "selection file")
    check_selection_source(selection_path, scores_path, error=AuditError)
    loaded = load_scoring_model(model, scores_path, verify_key=verify_key)
    wanted = list(attributes) if attributes else list(ATTRIBUTE_SOURCES)
    unknown = [a for a in wanted if a not in ATTRIBUTE_SOURCES]
    if unknown:
        raise AuditOptionError(
            f"unknown group attribute(s) {unknown}; choose among {', '.join(ATTRIBUTE_SOURCES)}."
        )
    return AuditFiles(scores_path, population_path, selection_path, loaded, wanted)


def audit_files_duckdb(
    *,
    scores: str | os.PathLike[str],
    population: str | os.PathLike[str],
    model: str | os.PathLike[str],
    selection: str | os.PathLike[str] | None = None,
    labels: str = "controls",
    attributes: Sequence[str] | None = None,
    settings: AuditSettings | None = None,
    verify_key: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    memory_limit: str = "500MB",
) -> AuditResult:
    """:func:`~dmde.audit.inputs.audit_files` with the rows kept in DuckDB (see the module).

    Parameters
    ----------
    scores, population, model, selection, labels, attributes, settings, verify_key
        As :func:`~dmde.audit.inputs.audit_files`; the selection file is required (a budget
        needs the Python engine's tie order over every row).
    threads : int, optional
        DuckDB's threads (default: its own, every core).
    memory_limit : str, default "500MB"
        DuckDB's memory limit (it spills to disk beyond): the 13.8M-row audit peaks under 1 GB.

    Returns
    -------
    AuditResult
        The Python engine's figures; ``data["engine"]`` says what was computed how, and
        ``gaps`` is None (not computed).
    """
    files = checked_files(
        engine="duckdb",
        scores=scores,
        population=population,
        model=model,
        selection=selection,
        labels=labels,
        attributes=attributes,
        verify_key=verify_key,
    )
    config: dict[str, Any] = {"memory_limit": memory_limit}
    if threads is not None:
        config["threads"] = threads
    import duckdb  # here: the other engines do without it

    con = duckdb.connect(config=config)
    try:
        return audit_on_connection(
            con,
            files,
            labels=labels,
            settings=AuditSettings() if settings is None else settings,
            engine="duckdb",
            note=ENGINE_NOTE,
        )
    except duckdb.Error as exc:
        raise AuditError(
            f"DuckDB could not read the audit's files: {exc}".splitlines()[0]
        ) from None
    finally:
        con.close()


def audit_on_connection(
    con: Connection,
    files: AuditFiles,
    *,
    labels: str,
    settings: AuditSettings,
    engine: str,
    note: str,
) -> AuditResult:
    """The audit of checked files on a connection to an SQL engine (DuckDB's, or one that reads
    DuckDB's SQL, as :mod:`dmde.audit.spark_inputs`'s); ``engine`` and ``note`` (a template of
    ``{rows}``) name it and say what it computed in the result's ``data["engine"]`` and
    method."""
    scores_path, population_path, selection_path = files.scores, files.population, files.selection
    loaded, wanted = files.model, files.attributes
    people, scored, chosen = (
        _population_reader(con, population_path),
        _reader(scores_path),
        _reader(selection_path),
    )
    header = set(_columns(con, people))
    needed = ["dossier_id", *(ATTRIBUTE_SOURCES[a] for a in wanted)]
    label_column = {"controls": "target", "truth": "truth_target"}.get(labels)
    if labels == "controls":
        needed += ["controlled", "target", "control_weight"]
    elif labels == "truth":
        needed.append("truth_target")
    features = list(loaded.features_)
    if isinstance(loaded, ScorecardFamily):
        features.append(loaded.segment_column)
    elif isinstance(loaded, PeriodScorecards) and loaded.month is None:
        features.append(loaded.month_column)  # each file scored as of its own month
    absent = [c for c in dict.fromkeys(needed + features) if c not in header]
    if absent:
        raise AuditError(f"{population_path}: missing column(s) {', '.join(absent)}.")
    for source, path, names in (
        (scored, scores_path, ["dossier_id", "score", "probability"]),
        (chosen, selection_path, ["dossier_id", "selection_reason"]),
    ):
        missing = [n for n in names if n not in _columns(con, source)]
        if missing:
            raise AuditError(f"{path}: missing column(s) {', '.join(missing)}.")
    # One full join proves the ids unique in both files and the same files in both (each
    # pair of rows matched once, none left over); the detailed checks name what is wrong.
    pairs, matched, n_people, n_scores = _one(
        con,
        "SELECT count(*), count(p.dossier_id) + count(s.dossier_id) - count(*), "
        f"(SELECT count(*) FROM {people}), (SELECT count(*) FROM {scored}) FROM "
        f"(SELECT CAST(dossier_id AS BIGINT) AS dossier_id FROM {people}) p FULL JOIN "
        f"(SELECT CAST(dossier_id AS BIGINT) AS dossier_id FROM {scored}) s "
        "ON p.dossier_id = s.dossier_id",
    )
    if not pairs == matched == n_people == n_scores:
        n_people = _check_ids(con, people, population_path)
        n_scores = _check_ids(con, scored, scores_path)
        (no_score,) = _one(
            con,
            f"SELECT count(*) FROM {people} p ANTI JOIN {scored} s "
            "ON CAST(p.dossier_id AS BIGINT) = CAST(s.dossier_id AS BIGINT)",
        )
        if no_score:
            raise AuditError(
                f"{no_score:,} files of {population_path} have no score in {scores_path}; "
                "rejected rows are listed in the scores' rejects file. Audit the population "
                "that was scored."
            )
        raise AuditError(
            f"{scores_path} has {n_scores:,} scores for {n_people:,} files of "
            f"{population_path}: they do not come from the same file."
        )
    if n_people == 0:
        raise AuditError(f"{population_path}: the table has no rows: nothing to audit.")
    n_chosen = _check_ids(con, chosen, selection_path)
    bad = [
        str(r[0])
        for r in con.sql(
            f"SELECT DISTINCT CAST(selection_reason AS VARCHAR) FROM {chosen} "
            "WHERE selection_reason IS NULL OR CAST(selection_reason AS VARCHAR) "
            "NOT IN ('score', 'random') LIMIT 3"
        ).fetchall()
    ]
    if bad:
        raise AuditError(
            f"{selection_path}: selection_reason must be 'score' or 'random'; found {sorted(bad)}."
        )

    groups_sql = ", ".join(f"{group_sql(a)} AS {_quote(a)}" for a in wanted)
    label_sql = "NULL::DOUBLE"
    if label_column is not None:
        label_sql = f"CAST(p.{_quote(label_column)} AS DOUBLE)"
    sample_sql = (
        "false" if labels != "controls" else "coalesce(CAST(p.controlled AS BOOLEAN), false)"
    )
    weight_sql = "1.0" if labels != "controls" else "CAST(p.control_weight AS DOUBLE)"
    con.execute(
        f"CREATE TEMP VIEW {_VIEW} AS SELECT CAST(p.dossier_id AS BIGINT) AS dossier_id, "
        f'{groups_sql}, {_text(ALL_FILES)} AS "all", '
        "CAST(s.score AS DOUBLE) AS score, CAST(s.probability AS DOUBLE) AS probability, "
        "c.selection_reason IS NOT NULL AS chosen, "
        "coalesce(CAST(c.selection_reason AS VARCHAR) = 'score', false) AS by_score, "
        "coalesce(CAST(c.selection_reason AS VARCHAR) = 'random', false) AS by_random, "
        f"{label_sql} AS label, {sample_sql} AS in_sample, {weight_sql} AS weight "
        f"FROM {people} p JOIN {scored} s "
        "ON CAST(p.dossier_id AS BIGINT) = CAST(s.dossier_id AS BIGINT) "
        f"LEFT JOIN {chosen} c ON CAST(p.dossier_id AS BIGINT) = CAST(c.dossier_id AS BIGINT)"
    )
    if label_column is not None:
        (wrong,) = _one(
            con,
            f"SELECT count(*) FROM {_VIEW} WHERE label IS NOT NULL AND NOT isnan(label) "
            "AND label NOT IN (0, 1)",
        )
        if wrong:
            raise AuditError(
                f"the label column {label_column!r} holds values other than 1, 0 or empty "
                f"({wrong:,} rows). Recode the outcome column."
            )
    facts = dict(
        zip(
            (
                "rows",
                "selected",
                "by_score",
                "by_random",
                "labelled",
                "sample",
                "score_min",
                "score_max",
                "score_cut",
            ),
            _one(
                con,
                f"SELECT count(*), count_if(chosen), count_if(by_score), count_if(by_random), "
                "count_if(label IS NOT NULL AND NOT isnan(label)), count_if(in_sample), "
                "min(score), max(score), min(score) FILTER (WHERE by_score) "
                f"FROM {_VIEW}",
            ),
            strict=True,
        )
    )
    stray = n_chosen - facts["selected"]
    if stray:
        raise AuditError(
            f"{selection_path}: {stray:,} selected files are not in the population: audit the "
            "population the selection was made from."
        )
    if not facts["by_score"]:
        raise AuditError(
            f"no file is selected by the score among {facts['rows']:,}: there is nothing to "
            "audit. Check the selection file."
        )
    if facts["selected"] == facts["rows"]:
        raise AuditOptionError(
            "every file was selected: audit this table with --engine python (composition "
            "tests need the rows)."
        )
    if labels == "controls" and not facts["sample"]:
        raise AuditError("the random sample is empty: no row has the sample flag set.")

    finish_parts = _model_parts(
        con,
        loaded,
        population_path,
        scored,
        chosen,
        [*needed, *features],
        wanted,
        settings,
        facts["rows"],
    )
    levels = {a: [c for c, _, _ in GROUP_ATTRIBUTES[a].levels] for a in wanted}
    # The declared reference of each attribute (the largest group when it is absent here).
    # One scan of the files: the cells by every group, selection, label state and score
    # decile; the attributes, pairs and deciles are then added up from this small table.
    state = "2"
    if labels == "truth":
        state = "CASE WHEN label IS NULL OR isnan(label) THEN 2 ELSE CAST(label AS BIGINT) END"
    decile = _decile_sql("score", _edges(con, "score", scored))
    con.execute(
        f"CREATE TEMP TABLE {_CELLS} AS SELECT {', '.join(_quote(a) for a in wanted)}, "
        f'"all", CAST(by_score AS BIGINT) * 3 + {state} AS cell, {decile} AS d, '
        "count(*) AS n, CAST(count(*) AS DOUBLE) AS s0, sum(score) AS s1, "
        "sum(probability) AS s2, CAST(count(*) AS DOUBLE) AS p00, sum(score) AS p01, "
        "sum(probability) AS p02, sum(score * score) AS p11, sum(score * probability) AS p12, "
        f"sum(probability * probability) AS p22 FROM {_VIEW} GROUP BY ALL"
    )
    whole_cells = cell_sums_duckdb(
        con,
        _VIEW,
        wanted,
        selected="by_score",
        label="label" if labels == "truth" else None,
        levels=levels,
        intersections=settings.intersections,
        presummed=_CELLS,
    )
    present = {c.name: set(c.groups) for c in whole_cells}
    declared = {a: GROUP_ATTRIBUTES[a].reference for a in wanted}
    references = {a: r for a, r in declared.items() if r in present[a]}
    settings = replace(settings, reference=references | dict(settings.reference or {}))
    everyone_cells = cell_sums_duckdb(
        con,
        _VIEW,
        ["all"],
        selected="by_score",
        label="label" if labels == "truth" else None,
        intersections=False,
        presummed=_CELLS,
    )
    overall_settings = replace(settings, reference=None, intersections=False)
    whole = audit_groups_on_cells(whole_cells, settings=settings)
    overall_whole = audit_groups_on_cells(everyone_cells, settings=overall_settings)
    whole = replace(whole, deciles=_deciles(con, whole_cells, settings.min_cell))
    if labels == "truth":
        whole = replace(whole, calibration=_calibration(con, whole_cells, settings.min_cell))

    # The rows of the sample and of the files chosen, in the Python engine's order (by id).
    few = con.sql(
        f"SELECT {', '.join(_quote(a) for a in wanted)}, by_score, by_random, chosen, "
        f"score, probability, label, in_sample, weight FROM {_VIEW} "
        "WHERE chosen OR in_sample ORDER BY dossier_id"
    ).df()
    few_groups = _categoricals(few, wanted, levels)
    if labels == "controls":
        rows = np.flatnonzero(few["in_sample"].to_numpy(dtype=bool))
        sample_of = few.iloc[rows].reset_index(drop=True)

        def checked(groups: pd.DataFrame, reference: Any, **options: Any) -> GroupAudit:
            return audit_groups_with(
                settings=replace(settings, reference=reference, **options),
                selected=sample_of["by_score"].to_numpy(dtype=bool),
                score=sample_of["score"].to_numpy(dtype=float),
                probability=sample_of["probability"].to_numpy(dtype=float),
                groups=groups,
                label=sample_of["label"].to_numpy(dtype=float),
                weight=sample_of["weight"].to_numpy(dtype=float),
            )

        sample_groups = few_groups.iloc[rows].reset_index(drop=True)
        groups_audit = _combine_stages(
            whole, checked(sample_groups, whole.method["reference"]), len(rows), weighted=True
        )
        make: Any = pd.Categorical.from_codes
        everyone = pd.DataFrame({"all": make(np.zeros(len(rows), np.int8), categories=[ALL_FILES])})
        overall = _combine_stages(
            overall_whole,
            checked(everyone, overall_whole.method["reference"], intersections=False),
            len(rows),
            weighted=True,
        ).metrics
    else:
        groups_audit, overall = whole, overall_whole.metrics

    # Phantom rows (neither chosen nor sampled) give every group present in the population a
    # line in the targeting table, as the Python engine's (which sees every row).
    phantoms = _phantoms(whole_cells[: len(wanted)], levels)
    table_groups = pd.concat([few_groups, phantoms], ignore_index=True)
    pad = len(phantoms)
    by_score = np.concatenate([few["by_score"].to_numpy(dtype=bool), np.zeros(pad, bool)])
    by_random = np.concatenate([few["by_random"].to_numpy(dtype=bool), np.zeros(pad, bool)])
    picked = np.concatenate([few["chosen"].to_numpy(dtype=bool), np.zeros(pad, bool)])
    in_sample = np.concatenate([few["in_sample"].to_numpy(dtype=bool), np.zeros(pad, bool)])
    label_values = (
        None
        if label_column is None
        else np.concatenate([few["label"].to_numpy(dtype=float), np.full(pad, np.nan)])
    )
    weights = (
        np.concatenate([few["weight"].to_numpy(dtype=float), np.ones(pad)])
        if labels == "controls"
        else None
    )
    sampled = in_sample if labels == "controls" else None
    random_checks = sampled if sampled is not None else (by_random if by_random.any() else None)
    targeting = None
    if random_checks is not None and random_checks.any():
        targeting = selection_vs_random(
            table_groups,
            selected=by_score,
            controlled=random_checks,
            label=label_values,
            control_weight=weights if sampled is not None else None,
            min_cell=settings.min_cell,
        )
    extra = []
    if label_column is not None:
        extra.append(amplification(groups_audit.disparities))
    if settings.intersections and len(wanted) > 1:
        extra.append(_interactions(whole_cells[len(wanted) :], settings.min_cell))
    disparities = pd.concat(
        [groups_audit.disparities, *[e for e in extra if len(e)]], ignore_index=True
    )
    disparities = flag_disparities(
        disparities[list(DISPARITY_COLUMNS)],
        band=settings.band,
        alpha=settings.alpha,
        correction=settings.correction,
    )
    method_notes = dict(groups_audit.method)
    method_notes["n_tested"] = int(disparities["tested"].sum())
    method_notes["aggregates"] = note.format(rows=f"{min(settings.proxy_rows, facts['rows']):,}")
    groups_audit = replace(groups_audit, disparities=disparities, method=method_notes)
    hit_rates = hit_rates_by_method(
        chosen=picked,
        by_score=by_score,
        by_random=by_random,
        in_sample=sampled,
        label=label_values,
        weight=weights,
    )
    parts = finish_parts()
    data = {
        "rows": int(facts["rows"]),
        "selection_rule": "column 'selected'",
        "tied_at_cut": 0,
        "selected": int(facts["selected"]),
        "selected_by_score": int(facts["by_score"]),
        "selected_at_random": int(facts["by_random"]),
        "all_checked": False,
        "scored": True,
        "dmde_inputs": True,
        "labels": LABEL_SOURCES[labels] if label_column is not None else None,
        "labelled_rows": None if label_column is None else int(facts["labelled"]),
        "sample_rows": None if labels != "controls" else int(facts["sample"]),
        "weighted": labels == "controls",
        "attributes": list(wanted),
        "score_min": float(facts["score_min"]),
        "score_max": float(facts["score_max"]),
        "score_cut": float(facts["score_cut"]),
        "engine": {
            "name": engine,
            "computed": note.format(rows=f"{min(settings.proxy_rows, facts['rows']):,}"),
            "not_computed": ["score-gap decomposition (gaps)"],
        },
    }
    options = settings.options()
    parameters = {
        **{k: v for k, v in options.items() if k not in ("reference", "proxy_rows")},
        "reference": dict(groups_audit.method["reference"]),
        "columns": {
            "score": "score",
            "probability": "probability",
            "selected": "selected",
            "method": "method",
            "label": label_column,
            "sample": "controlled" if labels == "controls" else None,
            "weight": "control_weight" if labels == "controls" else None,
            "id": "dossier_id",
        },
        "budget": None,
        "proxy_rows": settings.proxy_rows,
    }
    found = findings(
        disparities,
        groups_audit.metrics,
        all_checked=False,
        labelled=label_column is not None,
        band=settings.band,
    )
    return AuditResult(
        groups=groups_audit,
        overall=overall,
        flags=flag_sentences(disparities),
        findings=found,
        hit_rates=hit_rates,
        targeting=targeting,
        proxies=parts["proxies"],
        associations=parts["associations"],
        gaps=None,
        exclusion=parts["exclusion"],
        profiles=parts["profiles"],
        changes=parts["changes"],
        model=parts["model"],
        data=data,
        parameters=parameters,
    )


def _categoricals(
    frame: pd.DataFrame, wanted: Sequence[str], levels: dict[str, list[str]]
) -> pd.DataFrame:
    return pd.DataFrame(
        {a: pd.Categorical(frame[a].astype(object), categories=levels[a]) for a in wanted}
    )


def _phantoms(singles: Sequence[AttributeCells], levels: dict[str, list[str]]) -> pd.DataFrame:
    """One row per group present (the longest attribute's count), each attribute cycling."""
    n = max(len(c.groups) for c in singles)
    columns = {}
    for c in singles:
        values = [None if g == MISSING else g for g in c.groups]
        columns[c.name] = pd.Categorical(
            [values[k % len(values)] for k in range(n)], categories=levels[c.name]
        )
    return pd.DataFrame(columns)


def _interactions(pairs: Sequence[AttributeCells], min_cell: int) -> pd.DataFrame:
    """:func:`dmde.audit.interactions.interaction_tests` (unit weights) from the pairs' cells."""
    frames = []
    for pair in pairs:
        count = pair.cells.count.reshape(len(pair.groups), _STATES)
        total = count.sum(axis=1)
        chosen = count[:, 3:].sum(axis=1)
        name_a, name_b = pair.name.split(SEPARATOR)
        split = [g.split(SEPARATOR) for g in pair.groups]
        first = list(dict.fromkeys(a for a, _ in split))
        second = list(dict.fromkeys(b for _, b in split))
        # The codes of each attribute in the natural order the cells were built in.
        a_code = np.asarray([first.index(a) for a, _ in split])
        b_code = np.asarray([second.index(b) for _, b in split])
        frames.append(
            _pair_rows(name_a, name_b, pair.groups, a_code, b_code, total, chosen, min_cell)
        )
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _pair_rows(
    name_a: str,
    name_b: str,
    names: Sequence[str],
    a_code: Any,
    b_code: Any,
    total: Any,
    chosen: Any,
    min_cell: int,
) -> pd.DataFrame:
    expected = _main_effects(a_code, b_code, total, chosen)
    squares = total
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = chosen / total
        effective = kish_size(total, squares)
        z = (chosen - total * expected) / np.sqrt(expected * (1 - expected) * squares)
        se_log = np.sqrt((1 - observed) / (effective * observed))
    p_values = normal_p(z)
    rows = []
    for k, group in enumerate(names):
        suppressed = bool(total[k] < min_cell)
        degenerate = observed[k] in (0.0, 1.0) or not 0 < expected[k] < 1
        low, high = wilson(observed[k] * effective[k], effective[k]) if not suppressed else (0, 0)
        rows.append(
            {
                "attribute": f"{name_a}{SEPARATOR}{name_b}",
                "group": group,
                "reference": EXPECTED,
                "metric": "interaction",
                "value": observed[k],
                "reference_value": expected[k],
                "ratio": observed[k] / expected[k],
                "ratio_ci_low": low / expected[k],
                "ratio_ci_high": high / expected[k],
                "difference": observed[k] - expected[k],
                "difference_ci_low": low - expected[k],
                "difference_ci_high": high - expected[k],
                "p_value": p_values[k],
                "p_percentile": math.nan,
                "log_se": se_log[k],
                "tested": not suppressed and not degenerate and np.isfinite(p_values[k]),
                "suppressed": suppressed,
            }
        )
    return disparity_frame(rows)


def _edges(con: Connection, column: str, source: str = _VIEW) -> list[float]:
    """The Python engine's national decile edges (unit weights) from counts per value."""
    counts = con.sql(
        f"SELECT CAST({column} AS DOUBLE) AS x, count(*) AS n FROM {source} GROUP BY 1 ORDER BY 1"
    ).df()
    values = counts["x"].to_numpy(dtype=float)
    cumulative = np.cumsum(counts["n"].to_numpy(dtype=np.int64))
    n = float(cumulative[-1])
    # The row at sorted position ceil(n·k/10) - 1, as np.searchsorted over 1..n finds it.
    positions = [int(np.ceil(n * k / 10)) - 1 for k in range(1, 10)]
    return [float(values[np.searchsorted(cumulative, p + 1, side="left")]) for p in positions]


def _decile_sql(column: str, edges: Sequence[float]) -> str:
    """``np.searchsorted(edges, x, side="left")``: the number of edges below x."""
    return " + ".join(f"CAST({column} > {e!r} AS INTEGER)" for e in edges)


def _group_text(name: str) -> str:
    """The audit's group name of a row for an attribute or pair (``(missing)`` for NULL)."""
    keys = name.split(SEPARATOR)
    return f" || {_text(SEPARATOR)} || ".join(
        f"coalesce(CAST({_quote(k)} AS VARCHAR), {_text(MISSING)})" for k in keys
    )


def _by_decile(
    con: Connection,
    cells: Sequence[AttributeCells],
    decile: str,
    sums: Sequence[str] = (),
    where: str = "true",
    source: str = _VIEW,
    count: str = "1",
) -> list[tuple[Any, ...]]:
    """Counts (and sums) per (group, decile) of every attribute and pair, in one scan
    (``GROUPING SETS``): for each, arrays of ``len(groups) * 10``."""
    singles = list(dict.fromkeys(k for c in cells for k in c.name.split(SEPARATOR)))
    sets = [tuple(singles.index(k) for k in c.name.split(SEPARATOR)) for c in cells]
    keys = [f"k{i}" for i in range(len(singles))]
    inner = ", ".join(
        [f"CAST({_quote(a)} AS VARCHAR) AS k{i}" for i, a in enumerate(singles)]
        + [f"{decile} AS d", f"{count} AS w"]
        + [f"{e} AS v{i}" for i, e in enumerate(sums)]
    )
    grouping = ", ".join(
        "(" + ", ".join([*(keys[i] for i in chosen), "d"]) + ")" for chosen in sets
    )
    extra = "".join(f", sum(v{i}) AS s{i}" for i in range(len(sums)))
    table = con.sql(
        f"SELECT {', '.join(keys)}, d, GROUPING({', '.join(keys)}) AS set, sum(w) AS n{extra} "
        f"FROM (SELECT {inner} FROM {source} WHERE {where}) GROUP BY GROUPING SETS ({grouping})"
    ).df()
    out = []
    for c, chosen in zip(cells, sets, strict=True):
        part = table[table["set"] == _set_id(chosen, len(singles))]
        names = [
            SEPARATOR.join(MISSING if pd.isna(v) else str(v) for v in row)
            for row in zip(*(part[keys[i]] for i in chosen), strict=True)
        ]
        position = {g: i for i, g in enumerate(c.groups)}
        index = np.asarray([position[g] for g in names], dtype=np.int64) * 10 + part["d"].to_numpy(
            dtype=np.int64
        )
        size = len(c.groups) * 10
        arrays: list[Any] = [np.zeros(size, dtype=np.int64)]
        arrays[0][index] = part["n"].to_numpy(dtype=np.int64)
        for i in range(len(sums)):
            values = np.zeros(size)
            values[index] = part[f"s{i}"].to_numpy(dtype=float)
            arrays.append(values)
        out.append(tuple(arrays))
    return out


def _deciles(con: Connection, cells: Sequence[AttributeCells], min_cell: int) -> pd.DataFrame:
    """The deciles table (:func:`dmde.audit.bootstrap._deciles`, unit weights) from the counts
    by national score decile ``d`` of the summed cells (:data:`_CELLS`)."""
    frames = []
    counts = _by_decile(con, cells, "d", source=_CELLS, count="n")
    for c, (flat,) in zip(cells, counts, strict=True):
        count = flat.reshape(len(c.groups), 10)
        weight = count.astype(np.float64)
        suppressed = np.repeat(count.sum(axis=1) < min_cell, 10)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = (weight / weight.sum(axis=1, keepdims=True)).ravel()
        frames.append(
            pd.DataFrame(
                {
                    "attribute": c.name,
                    "group": np.repeat(np.asarray(c.groups, dtype=object), 10),
                    "decile": np.tile(np.arange(1, 11), len(c.groups)),
                    "share": np.where(suppressed, np.nan, share),
                    "n": count.ravel(),
                    "suppressed": suppressed,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _calibration(con: Connection, cells: Sequence[AttributeCells], min_cell: int) -> pd.DataFrame:
    """The calibration table (:func:`dmde.audit.bootstrap._calibration`, unit weights, labels
    on every file) from counts and sums by national decile of the probability."""
    decile = _decile_sql("probability", _edges(con, "probability"))
    known = "label IS NOT NULL AND NOT isnan(label)"
    frames = []
    sums = _by_decile(con, cells, decile, ("probability", "label"), known)
    for c, (count, predicted_sum, observed_sum) in zip(cells, sums, strict=True):
        total = count.astype(np.float64)
        suppressed = count < min_cell
        with np.errstate(divide="ignore", invalid="ignore"):
            predicted = predicted_sum / total
            observed = observed_sum / total
            effective = kish_size(total, total)
        pairs = zip(observed, effective, strict=True)
        bounds = np.asarray([wilson(o * e, e) if e > 0 else (np.nan, np.nan) for o, e in pairs])
        frames.append(
            pd.DataFrame(
                {
                    "attribute": c.name,
                    "group": np.repeat(np.asarray(c.groups, dtype=object), 10),
                    "decile": np.tile(np.arange(1, 11), len(c.groups)),
                    "n": count,
                    "mean_predicted": np.where(suppressed, np.nan, predicted),
                    "observed_rate": np.where(suppressed, np.nan, observed),
                    "observed_low": np.where(suppressed, np.nan, bounds[:, 0]),
                    "observed_high": np.where(suppressed, np.nan, bounds[:, 1]),
                    "suppressed": suppressed,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _model_parts(
    con: Connection,
    model: Any,
    population: Path,
    scored: str,
    chosen: str,
    needed: Sequence[str],
    wanted: Sequence[str],
    settings: AuditSettings,
    n_rows: int,
) -> Callable[[], dict[str, Any]]:
    """The model's parts on the Python engine's seeded sample of rows (the very same rows):
    the rows fetched now, the parts computed when the function returned is called (or in a
    child process meanwhile)."""
    rng = np.random.default_rng([settings.seed, 7])
    take = np.sort(rng.choice(n_rows, size=min(settings.proxy_rows, n_rows), replace=False))
    # The columns of the Python engine's frame: the population's it reads, then the joined ones.
    columns = [c for c in CATALOG if c in set(needed)]
    positions = pa.table({"position": pa.array(take, type=pa.int64())})
    con.register("dmde_positions", positions)
    # The ids at those places in id order (a window over the id column alone), then their rows.
    table = con.sql(
        "WITH picked AS (SELECT dossier_id, dmde_position FROM (SELECT CAST(dossier_id AS "
        "BIGINT) AS dossier_id, row_number() OVER (ORDER BY CAST(dossier_id AS BIGINT)) - 1 "
        f"AS dmde_position FROM {_reader(population)}) WHERE dmde_position IN (SELECT position "
        "FROM dmde_positions)) "
        f"SELECT {', '.join('p.' + _quote(c) for c in columns)}, "
        "CAST(s.score AS DOUBLE) AS score, CAST(s.probability AS DOUBLE) AS probability, "
        "c.selection_reason IS NOT NULL AS selected, "
        "coalesce(CAST(c.selection_reason AS VARCHAR), 'none') AS method FROM picked k "
        f"JOIN {_population_reader(con, population)} p "
        "ON CAST(p.dossier_id AS BIGINT) = k.dossier_id "
        f"JOIN {scored} s ON CAST(s.dossier_id AS BIGINT) = k.dossier_id "
        f"LEFT JOIN {chosen} c ON CAST(c.dossier_id AS BIGINT) = k.dossier_id "
        "ORDER BY k.dmde_position"
    ).to_arrow_table()
    con.unregister("dmde_positions")
    part = pd.DataFrame({c: _to_pandas(CATALOG[c], table.column(c)) for c in columns}, copy=False)
    for c in ("score", "probability", "selected", "method"):
        part[c] = table.column(c).to_numpy()
    part_groups = group_columns(part)[list(wanted)]

    def on_sample() -> dict[str, Any]:
        return {
            "model": model_identity(model),
            "proxies": proxy_strength(model, part, part_groups, seed=settings.seed),
            "associations": feature_association(model, part, part_groups),
            "exclusion": exclusion_proof(model, part, seed=settings.seed),
            "profiles": score_profiles(model),
            "changes": profile_changes(model),
        }

    # Beside the group audit, in a child process, as the Python engine does for large tables.
    return in_child(on_sample) if n_rows >= BACKGROUND_ROWS else on_sample
