"""Batch scoring: reconciliation, rejects, atomicity, determinism, exclusion."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.batch import scoring
from dmde.batch.scoring import needed_columns, score_file, score_frame
from dmde.core.errors import DmdeError, ParameterError, SchemaError
from dmde.data.catalog import CATALOG, FEATURE_FAMILIES
from dmde.data.datasets import arrow_schema, write_batches
from dmde.data.synthetic import synthesize
from dmde.model.model_file import ModelFileError, save_model
from dmde.model.scorecard import ScorecardFamily

EXCLUDED = [
    c
    for c in CATALOG
    if CATALOG[c].family.value in ("sensitive", "address", "behaviour", "control_history", "label")
]


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return synthesize(12_000, seed=31, controls=3_000, with_truth=True)


@pytest.fixture(scope="module")
def model_path(population: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    checked = population[population["controlled"] == 1]
    model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    path = tmp_path_factory.mktemp("model") / "model.json"
    save_model(model, path)
    return path


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as text: dictionaries may order their values differently by batch."""
    return frame.astype({c: str for c in frame.columns if frame[c].dtype == "category"})


def _read(path: str | Path) -> pd.DataFrame:
    return _plain(pd.read_parquet(path))


def _write(frame: pd.DataFrame, path: Path) -> Path:
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    return path


def _csv_with(population: pd.DataFrame, path: Path, edits: dict[tuple[int, str], str]) -> Path:
    """The population as CSV text with some cells replaced (row: 0-based data row)."""
    clean = _write(population, path.with_name("clean-" + path.name))
    lines = clean.read_text().splitlines()
    header = lines[0].split(",")
    for (row, name), value in edits.items():
        cells = lines[row + 1].split(",")
        cells[header.index(name)] = value
        lines[row + 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return path


BAD_CELLS = {
    "type": ((2, "income_to_smic"), "abc", "type"),
    "range": ((4, "n_children"), "99", "range"),
    "level": ((6, "household_type"), '"commune"', "level"),
    "missing": ((8, "mean_rsa_12m"), "", "missing_value"),
    "flag": ((10, "zero_income"), "2", "range"),
    "caf": ((12, "caf_code"), '"20"', "level"),
    "routing": ((14, "income_reporting"), '"monthly"', "level"),
}


@pytest.mark.parametrize("case", list(BAD_CELLS), ids=list(BAD_CELLS))
def test_bad_rows_are_rejected_and_counts_reconcile(
    population: pd.DataFrame, model_path: Path, tmp_path: Path, case: str
) -> None:
    (row, name), value, rule = BAD_CELLS[case]
    source = _csv_with(population, tmp_path / "in.csv", {(row, name): value})
    result = score_file(model_path, source, tmp_path / "scores.parquet")
    assert result.rows_read == len(population) == result.rows_scored + result.rows_rejected
    assert result.rows_rejected == 1
    rejects = pd.read_csv(result.rejects)
    assert list(rejects.columns) == list(scoring.REJECT_COLUMNS)
    line = rejects.iloc[0]
    assert (line["row"], line["column"], line["rule"]) == (row + 1, name, rule)
    assert line["dossier_id"] == population["dossier_id"].iloc[row]
    scores = pd.read_parquet(result.output)
    assert population["dossier_id"].iloc[row] not in set(scores["dossier_id"])
    manifest = json.loads(Path(result.manifest).read_text())
    assert manifest["rows_read"] == manifest["rows_scored"] + manifest["rows_rejected"]


def test_several_problems_on_one_row_are_one_rejected_row(
    population: pd.DataFrame, model_path: Path, tmp_path: Path
) -> None:
    edits = {(3, "n_children"): "99", (3, "mean_af_12m"): "-5", (5, "income_to_smic"): "x"}
    source = _csv_with(population, tmp_path / "in.csv", edits)
    result = score_file(model_path, source, tmp_path / "s.csv")
    assert result.rows_rejected == 2
    assert len(pd.read_csv(result.rejects)) == 3


def test_rows_that_parse_score_the_same_on_the_text_path(
    population: pd.DataFrame, model_path: Path, tmp_path: Path
) -> None:
    clean = score_file(model_path, _write(population, tmp_path / "c.csv"), tmp_path / "c.parquet")
    bad = _csv_with(population, tmp_path / "b.csv", {(100, "months_on_file"): "ten"})
    result = score_file(model_path, bad, tmp_path / "b.parquet", batch_size=1_000)
    a = _read(clean.output).drop(index=100).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, _read(result.output))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_rerun_gives_identical_files(
    population: pd.DataFrame, model_path: Path, tmp_path: Path, suffix: str
) -> None:
    source = _write(population, tmp_path / f"in{suffix}")
    first = score_file(model_path, source, tmp_path / f"a{suffix}")
    second = score_file(model_path, source, tmp_path / f"b{suffix}")
    assert Path(first.output).read_bytes() == Path(second.output).read_bytes()
    assert Path(first.rejects).read_bytes() == Path(second.rejects).read_bytes()


def test_excluded_columns_are_never_read_nor_written(
    population: pd.DataFrame, model_path: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    shuffled = population.copy()
    for name in EXCLUDED:
        if name in shuffled:
            shuffled[name] = shuffled[name].to_numpy()[rng.permutation(len(shuffled))]
    kept = [c for c in population.columns if c not in EXCLUDED]
    runs = {
        "full": _write(population, tmp_path / "full.parquet"),
        "shuffled": _write(shuffled, tmp_path / "shuffled.parquet"),
        "deleted": _write(population[kept], tmp_path / "deleted.parquet"),
    }
    outputs = {
        k: score_file(model_path, v, tmp_path / f"{k}-scores.parquet") for k, v in runs.items()
    }
    base = Path(outputs["full"].output).read_bytes()
    assert all(Path(o.output).read_bytes() == base for o in outputs.values())
    manifest = json.loads(Path(outputs["full"].manifest).read_text())
    assert not set(manifest["columns_read"]) & set(EXCLUDED)
    for o in outputs.values():
        for path in (o.output, o.rejects):
            frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
            assert not set(frame.columns) & set(EXCLUDED)


def test_a_failure_mid_file_leaves_no_output(
    population: pd.DataFrame, model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _write(population, tmp_path / "in.csv")
    calls = {"n": 0}
    real = scoring._score_table

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "_score_table", failing)
    out = tmp_path / "out" / "scores.parquet"
    with pytest.raises(RuntimeError, match="disk on fire"):
        score_file(model_path, source, out, batch_size=2_000)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda p, d: _write(p.drop(columns="n_children"), d / "x.csv"),
            SchemaError,
            r"missing column n_children, which the model needs; nothing was written",
        ),
        (
            lambda p, d: (d / "x.csv").write_bytes(b"\x00\x01PAR1junk") and d / "x.csv",
            SchemaError,
            r"expected CSV text, found binary data",
        ),
        (lambda p, d: d / "missing.csv", SchemaError, r"no such file"),
        (
            lambda p, d: _write(pd.concat([p.head(5), p.head(5)]), d / "x.parquet"),
            SchemaError,
            r"5 dossier_id values appear on several rows",
        ),
    ],
    ids=["missing-column", "unreadable", "no-file", "duplicate-ids"],
)
def test_clear_errors_and_nothing_written(
    population: pd.DataFrame,
    model_path: Path,
    tmp_path: Path,
    make: Any,
    error: type[Exception],
    message: str,
) -> None:
    source = make(population, tmp_path)
    out = tmp_path / "out" / "s.parquet"
    with pytest.raises(error, match=message):
        score_file(model_path, source, out)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_a_bad_model_file_stops_before_reading(population: pd.DataFrame, tmp_path: Path) -> None:
    bad = tmp_path / "model.json"
    bad.write_text('{"format": "dmde.model", "format_version": 99}')
    with pytest.raises(ModelFileError, match="unknown format version 99"):
        score_file(bad, _write(population, tmp_path / "in.csv"), tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


def test_score_frame_matches_score_file(
    population: pd.DataFrame, model_path: Path, tmp_path: Path
) -> None:
    from dmde.model.model_file import load_model

    model = load_model(model_path)
    in_memory = score_frame(model, population, reasons=2)
    on_disk = score_file(
        model, _write(population, tmp_path / "in.parquet"), tmp_path / "s.parquet", reasons=2
    )
    pd.testing.assert_frame_equal(_plain(in_memory), _read(on_disk.output))
    np.testing.assert_array_equal(in_memory["score"], model.points(population))


def test_reason_codes_agree_with_the_model(population: pd.DataFrame, model_path: Path) -> None:
    from dmde.model.model_file import load_model

    model = load_model(model_path)
    rows = population.head(300)
    wide = score_frame(model, rows, reasons=3)
    long = model.reason_codes(rows, k=3)
    for _, code in long.iterrows():
        i = code["rank"]
        assert wide.loc[code["row"], f"reason_{i}_feature"] == code["feature"]
        assert wide.loc[code["row"], f"reason_{i}_points"] == pytest.approx(
            code["above_reference"], abs=0.006
        )


def test_needed_columns_are_features_routing_and_identifiers(model_path: Path) -> None:
    from dmde.model.model_file import load_model

    model = load_model(model_path)
    columns = needed_columns(model)
    assert {"dossier_id", "caf_code", "income_reporting"} <= set(columns)
    for name in columns:
        family = CATALOG[name].family
        assert family in FEATURE_FAMILIES or family.value in ("identifier", "operational")


def test_bad_reasons_argument(population: pd.DataFrame, model_path: Path, tmp_path: Path) -> None:
    with pytest.raises(
        ParameterError, match=r"^reasons must be an int in the range \[0, inf\); got -1"
    ):
        score_file(model_path, tmp_path / "x.csv", tmp_path / "s.csv", reasons=-1)
    with pytest.raises(ParameterError, match=r"^output must be a file ending in one of .csv"):
        score_file(model_path, tmp_path / "x.csv", tmp_path / "s.txt")


def test_score_frame_names_a_segment_without_a_model(population: pd.DataFrame) -> None:
    checked = population[
        (population["controlled"] == 1) & (population["income_reporting"] == "prefilled")
    ]
    model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    n = int((population["income_reporting"] == "declarative").sum())
    message = rf"^{n} rows have a income_reporting with no model \(declarative\): the model file"
    with pytest.raises(DmdeError, match=message):
        score_frame(model, population[list(needed_columns(model))])


def test_rows_of_a_segment_without_a_model_are_rejected(
    population: pd.DataFrame, tmp_path: Path
) -> None:
    checked = population[
        (population["controlled"] == 1) & (population["income_reporting"] == "prefilled")
    ]
    model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    assert model.segments_ == ("prefilled",)
    source = _write(population, tmp_path / "in.csv")
    result = score_file(model, source, tmp_path / "s.parquet", batch_size=3_000)
    declarative = (population["income_reporting"] == "declarative").to_numpy()
    assert result.rows_rejected == declarative.sum() > 0
    assert result.rows_read == result.rows_scored + result.rows_rejected
    rejects = pd.read_csv(result.rejects)
    assert set(rejects["rule"]) == {"no_model"}
    assert list(rejects["row"]) == list(np.flatnonzero(declarative) + 1)
    assert list(rejects["dossier_id"]) == list(population.loc[declarative, "dossier_id"])
    assert rejects["reason"][0] == "expected a segment with a scorecard: prefilled"


# --------------------------------------------------------------------------------------------
# One rule for every command (issue 13): what validate refuses, score refuses or rejects
def _small(population: pd.DataFrame, path: Path, rows: int = 60) -> Path:
    return _write(population.head(rows), path)


@pytest.mark.parametrize("kind", [".csv", ".parquet"])
@pytest.mark.parametrize("name", ["n_children", "gender"], ids=["read", "not-read"])
def test_a_name_twice_in_the_header_is_refused_by_score_and_validate(
    population: pd.DataFrame, model_path: Path, tmp_path: Path, kind: str, name: str
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dmde.data.validation import validate_file

    frame = population.head(40)
    table = pa.Table.from_pandas(frame, schema=arrow_schema(frame.columns), preserve_index=False)
    names = [name if c == "age" else c for c in table.column_names]
    path = tmp_path / f"dup{kind}"
    if kind == ".csv":
        pacsv_path = tmp_path / "clean.csv"
        _write(frame, pacsv_path)
        lines = pacsv_path.read_text().splitlines()
        path.write_text("\n".join([",".join(names), *lines[1:]]) + "\n")
    else:
        pq.write_table(table.rename_columns(names), path)
    message = rf"column '{name}' \(duplicate_header\): expected each name once"
    report = validate_file(path)
    assert any(p.rule == "duplicate_header" and p.column == name for p in report.problems)
    with pytest.raises(SchemaError, match=rf"dup{kind}: .*\n.*{message}"):
        score_file(model_path, path, tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("kind", [".csv", ".parquet"])
def test_a_file_without_rows_is_refused_by_score_and_validate(
    population: pd.DataFrame, model_path: Path, tmp_path: Path, kind: str
) -> None:
    from dmde.data.validation import validate_file

    path = _write(population.head(0), tmp_path / f"empty{kind}")
    report = validate_file(path)
    assert [p.rule for p in report.problems] == ["no_rows"]
    with pytest.raises(SchemaError, match=r"\(no_rows\): expected at least one data row"):
        score_file(model_path, path, tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(
    ("output", "rejects", "message"),
    [
        ("in.csv", None, r"^output must be another file than the data file '.*in\.csv'"),
        ("s.csv", "in.csv", r"^rejects must be another file than the data file"),
        ("s.csv", "s.csv", r"^rejects must be another file than the scores '.*s\.csv'"),
        ("s.csv", "./s.csv", r"^rejects must be another file than the scores"),
        ("model.csv", "model.csv.manifest.csv", None),
    ],
    ids=["out-is-input", "rejects-is-input", "rejects-is-out", "same-through-dot", "fine"],
)
def test_an_output_may_not_be_an_input_or_another_output(
    population: pd.DataFrame,
    model_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    output: str,
    rejects: str | None,
    message: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    source = _small(population, tmp_path / "in.csv")
    before = source.read_bytes()
    if message is None:
        assert score_file(model_path, source, output, rejects=rejects).rows_read == 60
        return
    with pytest.raises(ParameterError, match=message):
        score_file(model_path, source, output, rejects=rejects)
    assert source.read_bytes() == before
    assert not (tmp_path / "s.csv").exists()


def test_the_manifest_may_not_replace_the_model_file(
    population: pd.DataFrame, model_path: Path, tmp_path: Path
) -> None:
    model = tmp_path / "s.csv.manifest.json"
    model.write_bytes(model_path.read_bytes())
    source = _small(population, tmp_path / "in.csv")
    with pytest.raises(ParameterError, match=r"^output must be another file than the model file"):
        score_file(model, source, tmp_path / "s.csv")
    assert model.read_bytes() == model_path.read_bytes()


def test_bad_bytes_and_broken_rows_are_rejected_and_the_run_goes_on(
    population: pd.DataFrame, model_path: Path, tmp_path: Path
) -> None:
    source = _small(population, tmp_path / "in.csv", rows=200)
    lines = source.read_bytes().split(b"\n")
    header = lines[0].split(b",")
    cells = lines[50].split(b",")
    cells[header.index(b"household_type")] = b'"\xffcouple"'
    lines[50] = b",".join(cells)
    lines[120] = b",".join(lines[120].split(b",")[:5])
    source.write_bytes(b"\n".join(lines))
    result = score_file(model_path, source, tmp_path / "s.csv")
    assert (result.rows_read, result.rows_scored, result.rows_rejected) == (200, 198, 2)
    rejects = pd.read_csv(result.rejects)
    assert rejects[["row", "rule"]].values.tolist() == [[50, "encoding"], [120, "bad_row"]]


def _mutated(clean: bytes, seed: int) -> bytes:
    """A CSV file with up to three damaged lines: blank, bare CR, bad byte, short, long, text,
    short with a bad byte."""
    rng = np.random.default_rng(seed)
    lines = clean.rstrip(b"\n").split(b"\n")
    header, body = lines[0], lines[1:]
    kinds = ["blank", "cr", "byte", "short", "long", "text", "short-byte"]
    out: dict[int, bytes] = {}
    for index in rng.choice(len(body), size=int(rng.integers(1, 4)), replace=False):
        kind = kinds[int(rng.integers(len(kinds)))]
        cells = body[index].split(b",")
        column = int(rng.integers(1, len(cells)))
        if kind == "blank":
            out[index] = b""
        elif kind == "cr":
            out[index] = b"\r"
        elif kind == "byte":
            cells[column] = b'"\xe9' + cells[column].strip(b'"') + b'"'
            out[index] = b",".join(cells)
        elif kind == "short":
            out[index] = b",".join(cells[: int(rng.integers(1, len(cells)))])
        elif kind == "short-byte":  # a broken row holding bytes that are not UTF-8
            out[index] = b",".join(cells[: int(rng.integers(1, len(cells)))]) + b',"\xff"'
        elif kind == "long":
            out[index] = body[index] + b",1"
        else:
            cells[column] = b"abc"
            out[index] = b",".join(cells)
    rows = [out.get(i, line) for i, line in enumerate(body)]
    return b"\n".join([header, *rows]) + b"\n"


@pytest.mark.parametrize("seed", range(50))
def test_validate_and_score_agree_on_every_row_of_a_damaged_file(
    population: pd.DataFrame, model_path: Path, tmp_path: Path, seed: int
) -> None:
    from dmde.data.validation import validate_file
    from dmde.model.model_file import load_model

    clean = _small(population, tmp_path / "clean.csv", rows=40).read_bytes()
    path = tmp_path / "damaged.csv"
    path.write_bytes(_mutated(clean, seed))
    read = set(needed_columns(load_model(model_path)))
    report = validate_file(path)
    result = score_file(model_path, path, tmp_path / "s.csv")
    assert result.rows_read == result.rows_scored + result.rows_rejected == report.n_rows == 40
    rejected = set(pd.read_csv(result.rejects)["row"])
    assert len(rejected) == result.rows_rejected
    reported = {
        row
        for p in report.problems
        if p.column is None or p.column in read
        for row, _ in p.examples
    }
    assert reported <= rejected


@pytest.mark.parametrize("reasons", [0, 3, 40])
@pytest.mark.parametrize("out_name", ["scores.parquet", "scores.csv"])
def test_the_lookup_tables_write_the_files_the_model_writes(
    population: pd.DataFrame,
    model_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reasons: int,
    out_name: str,
) -> None:
    """Scores and rejects byte for byte as when the model scores every batch itself (bad rows,
    a segment without a scorecard, more reasons than features)."""
    edits = {cell: value for cell, value, _ in BAD_CELLS.values()}
    source = _csv_with(population.head(4_000), tmp_path / "in.csv", edits)
    written = {}
    for way in ("tables", "model"):
        if way == "model":
            monkeypatch.setattr(scoring, "_lookup", lambda model: None)
        out = tmp_path / way / out_name
        result = score_file(model_path, source, out, reasons=reasons, batch_size=1_000)
        written[way] = (out.read_bytes(), Path(result.rejects).read_bytes())
    assert written["tables"] == written["model"]


@pytest.mark.parametrize(
    ("kind", "damage"),
    [("csv", "none"), ("csv", "broken-row"), ("csv", "crlf"), ("parquet", "none")],
    ids=["csv", "csv-broken-row", "csv-crlf", "parquet"],
)
def test_the_manifest_hashes_the_input_and_the_outputs_it_vouches_for(
    population: pd.DataFrame, model_path: Path, tmp_path: Path, kind: str, damage: str
) -> None:
    """The input's SHA-256 (computed as the reading reads it, for CSV) and the outputs' (as
    they are written) are those of the files' bytes."""
    source = _write(population.head(3_000), tmp_path / f"in.{kind}")
    if damage == "broken-row":  # read again as bytes from that row on
        lines = source.read_text().splitlines()
        lines[1500] += ",extra"
        source.write_text("\n".join(lines) + "\n")
    elif damage == "crlf":
        source.write_bytes(source.read_bytes().replace(b"\n", b"\r\n"))
    result = score_file(model_path, source, tmp_path / "out" / "scores.parquet", batch_size=700)
    manifest = json.loads(Path(result.manifest).read_text())
    assert manifest["input"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    for name, entry in manifest["files"].items():
        written = (tmp_path / "out" / name).read_bytes()
        assert entry == {"bytes": len(written), "sha256": hashlib.sha256(written).hexdigest()}


def _reasons_by_group_by(table: Any) -> list[tuple[str, str, int]]:
    """reject_reasons as it was written with Arrow's group_by (which loads pandas)."""
    rows = table.group_by(["rule", "column", "row"]).aggregate([])
    counts = rows.group_by(["rule", "column"]).aggregate([("row", "count")]).to_pylist()
    found = [(str(c["rule"] or ""), str(c["column"] or ""), int(c["row_count"])) for c in counts]
    return sorted(found, key=lambda r: (-r[2], r[0], r[1]))


@pytest.mark.parametrize("seed", range(12))
def test_reject_reasons_count_as_a_group_by(seed: int, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    rows = rng.integers(1, 40, n).astype(object)
    if seed % 3 == 0:
        rows[rng.random(n) < 0.2] = None  # a line without its row: counted in no row
    rules = rng.choice(np.array(["range", "level", "no_model", "", None], dtype=object), n)
    columns = rng.choice(np.array(["age", "income_reporting", "", None], dtype=object), n)
    table = pa.table(
        {
            "row": pa.array(rows, pa.int64()),
            "dossier_id": pa.array(rows, pa.int64()),
            "column": pa.array(columns, pa.string()),
            "value": pa.array(["x"] * n),
            "rule": pa.array(rules, pa.string()),
            "reason": pa.array(["why"] * n),
        }
    )
    path = tmp_path / "rejects.parquet"
    pq.write_table(table, path)
    found = [(r.rule, r.column, r.rows) for r in scoring.reject_reasons(path)]
    assert found == _reasons_by_group_by(table)
