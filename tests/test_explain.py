"""The notice for the person concerned: points that add up, same numbers in French and English,
counterfactuals that really cross the cut, clear errors, batch notices, the CLI."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmde import __version__
from dmde.batch.scoring import score_file, score_frame
from dmde.batch.selection import select, select_file
from dmde.cli import main
from dmde.core.rendering import Table, format_value, to_html, to_text
from dmde.data.catalog import CATALOG, EXCLUDED_FAMILIES, columns_of
from dmde.data.datasets import arrow_schema, write_batches
from dmde.data.manifest import manifest_path
from dmde.data.synthetic import synthesize
from dmde.documents import explain as ex
from dmde.model.model_file import load_model, save_model
from dmde.model.scorecard import Scorecard, ScorecardFamily

SEED = 11


# --------------------------------------------------------------------------------------------
# Fixtures: one population, one saved model, its scores and a selection by Caf
@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return synthesize(20_000, seed=SEED, controls=4_000)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("explain")


@pytest.fixture(scope="module")
def model_path(population: pd.DataFrame, folder: Path) -> Path:
    checked = population[population["controlled"] == 1]
    model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    path = folder / "model.json"
    save_model(model, path)
    return path


@pytest.fixture(scope="module")
def model(model_path: Path) -> Any:
    return load_model(model_path)


@pytest.fixture(scope="module")
def csv_path(population: pd.DataFrame, folder: Path) -> Path:
    path = folder / "population.csv"
    write_batches(path, [population], schema=arrow_schema(population.columns))
    return path


@pytest.fixture(scope="module")
def parquet_path(population: pd.DataFrame, folder: Path) -> Path:
    path = folder / "population.parquet"
    write_batches(path, [population], schema=arrow_schema(population.columns))
    return path


@pytest.fixture(scope="module")
def selection_path(model_path: Path, csv_path: Path, folder: Path) -> Path:
    """A selection of the scores of ``csv_path``, with its manifests."""
    return _chain(model_path, csv_path, folder)


@pytest.fixture(scope="module")
def parquet_selection_path(model_path: Path, parquet_path: Path, folder: Path) -> Path:
    """The same selection, of the scores of ``parquet_path``."""
    return _chain(model_path, parquet_path, folder / "parquet")


def _chain(model: Path, data: Path, folder: Path, **options: Any) -> Path:
    """Score ``data`` and select, as the commands do: ``folder/selection.csv`` and manifests."""
    folder.mkdir(exist_ok=True)
    scores = folder / "scores.parquet"
    score_file(model, data, scores)
    out = folder / "selection.csv"
    parameters = {"budget": 80, "per": "caf_code", "random_share": 0.1, "seed": 3} | options
    select_file(scores, out, **parameters)
    return out


@pytest.fixture(scope="module")
def selection(selection_path: Path) -> ex.SelectionTable:
    return ex.read_selection(selection_path)


def _row(population: pd.DataFrame, dossier_id: int) -> pd.DataFrame:
    return population[population["dossier_id"] == dossier_id]


def _by_reason(selection: ex.SelectionTable, reason: str) -> list[int]:
    frame = selection.frame
    return [int(i) for i in frame.loc[frame["selection_reason"] == reason, "dossier_id"]]


def _number(text: str) -> Decimal:
    """A number as the notice writes it, in either language."""
    return Decimal(text.replace("\u202f", "").replace(",", "").replace("+", ""))


def _fr_number(text: str) -> Decimal:
    return Decimal(text.replace("\u202f", "").replace(",", ".").replace("+", ""))


def _points_table(doc: Any) -> Table:
    section = next(s for s in doc.sections if s.id == "points")
    return next(b for b in section.blocks if isinstance(b, Table))


# --------------------------------------------------------------------------------------------
# The points add up to the score, exactly
def _check_adds_up(model: Any, population: pd.DataFrame, position: int) -> None:
    row = population.iloc[[position]]
    e = ex.explain(model, row)
    assert e.score == float(model.points(row)[0])
    assert e.probability == float(model.predict_proba(row)[0, 1])
    shown = [Decimal(f"{e.intercept_points:.2f}")] + [
        Decimal(f"{f.points:.2f}") for f in e.features
    ]
    assert sum(shown) == Decimal(f"{e.score:.2f}")
    for lang, parse in (("fr", _fr_number), ("en", _number)):
        table = _points_table(ex.notice(e, lang=lang))
        texts = [format_value(r[3], table.columns[3].format, lang=lang) for r in table.rows]
        assert sum(parse(t) for t in texts[:-1]) == parse(texts[-1])
        assert parse(texts[-1]) == Decimal(f"{e.score:.2f}")


def test_points_add_up_to_the_score_for_many_random_rows(
    model: Any, population: pd.DataFrame
) -> None:
    rng = np.random.default_rng(SEED)
    for position in rng.choice(len(population), size=150, replace=False):
        _check_adds_up(model, population, int(position))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0, max_value=19_999))
def test_property_score_is_the_sum_of_the_published_points(
    model: Any, population: pd.DataFrame, position: int
) -> None:
    _check_adds_up(model, population, position)


def test_each_line_is_the_model_file_s_bin_and_reference(
    model: Any, population: pd.DataFrame
) -> None:
    row = population.iloc[[7]]
    e = ex.explain(model, row)
    scorecard = model.models_[e.segment]
    for j, line in enumerate(e.features):
        assert line.column == scorecard.features_[j]
        assert line.points == float(scorecard.bin_points_[j][line.bin])
        assert line.average_points == round(float(scorecard.reference_points_[j]), 2)
        assert line.difference == round(line.points - line.average_points, 2)
    assert e.model_sha256 == model.model_sha256_


_BOUNDS = re.compile(r"^(?:less than (?P<below>\S+)|(?P<low>\S+) to less than (?P<high>\S+)"
                     r"|(?P<above>\S+) or more)(?: (?P<unit>.*?))?( or more)?$")  # fmt: skip


def _bounds(label: str) -> tuple[Decimal, Decimal, str]:
    """(low, high, first number's text) of an English numeric bin label."""
    found = _BOUNDS.match(label.replace(" EUR a month", "").replace(" Smic", ""))
    assert found is not None, label
    parts = found.groupdict()
    low = parts["low"] or parts["above"]
    high = parts["high"] or parts["below"]
    return (
        Decimal("-Infinity") if low is None else _number(low),
        Decimal("Infinity") if high is None else _number(high),
        low or high,
    )


def test_notice_bins_are_rounded_and_hold_the_value_shown(
    model: Any, population: pd.DataFrame
) -> None:
    """Every numeric bin of a notice, worded with rounded bounds (whole euros, hundredths of a
    Smic), still holds the value the notice shows beside it; more digits are kept only when
    that would fail, which is rare."""
    rng = np.random.default_rng(SEED)
    lines = more_digits = 0
    for position in rng.choice(len(population), size=300, replace=False):
        e = ex.explain(model, population.iloc[[int(position)]])
        for line in e.features:
            col = CATALOG[line.column]
            if (
                line.value is None
                or col.dtype != "float"
                or "less than"
                not in (line.bin_label_en + " less than" * line.bin_label_en.endswith("or more"))
            ):
                continue
            low, high, text = _bounds(line.bin_label_en)
            shown = _number(ex.value_text(line.column, line.value, lang="en").split()[0])
            assert low <= shown < high, (line.column, line.value, line.bin_label_en)
            lines += 1
            usual = 0 if col.unit == "EUR/month" else 2
            more_digits += len(text.partition(".")[2]) > usual
    assert lines > 1000
    assert more_digits < lines / 20  # 2.3% of 2,666 lines here


def test_reasons_are_the_scores_file_reason_codes(model: Any, population: pd.DataFrame) -> None:
    rows = population.iloc[:40]
    scores = score_frame(model, rows)
    for i in range(len(rows)):
        e = ex.explain(model, rows.iloc[[i]])
        expected = [
            scores[f"reason_{k}_feature"].iloc[i]
            for k in (1, 2, 3)
            if pd.notna(scores[f"reason_{k}_feature"].iloc[i])
        ]
        assert [r.column for r in e.reasons] == expected


# --------------------------------------------------------------------------------------------
# French and English: the same numbers
_FR_NUMBER = re.compile(r"[-+]?\d[\d\u202f]*,\d+")
_EN_NUMBER = re.compile(r"[-+]?\d[\d,]*\.\d+")


def test_french_and_english_notices_hold_the_same_numbers(
    model: Any, population: pd.DataFrame, selection: ex.SelectionTable
) -> None:
    for dossier in _by_reason(selection, "score")[:10] + _by_reason(selection, "random")[:3]:
        e = ex.explain(model, _row(population, dossier), selection=selection)
        fr, en = ex.notice(e, lang="fr"), ex.notice(e, lang="en")
        assert fr.data == en.data
        assert [r[3:] for r in _points_table(fr).rows] == [r[3:] for r in _points_table(en).rows]
        version = f"dmde {__version__}"  # the only number that is not the notice's
        fr_text = to_text(fr, width=10_000).replace(version, "")
        en_text = to_text(en, width=10_000).replace(version, "")
        fr_numbers = [_fr_number(t) for t in _FR_NUMBER.findall(fr_text)]
        en_numbers = [_number(t) for t in _EN_NUMBER.findall(en_text)]
        assert sorted(fr_numbers) == sorted(en_numbers)
        assert len(fr_numbers) > 2 * len(e.features)


# --------------------------------------------------------------------------------------------
# Counterfactuals
def _changed_row(row: pd.DataFrame, cf: ex.Counterfactual) -> pd.DataFrame:
    changed = row.copy()
    for change in cf.changes:
        changed[change.column] = pd.Series([change.new_value], index=changed.index).astype(
            changed[change.column].dtype
        )
    return changed


def test_counterfactuals_bring_the_score_below_the_cut_when_applied(
    model: Any, population: pd.DataFrame, selection: ex.SelectionTable
) -> None:
    found = 0
    for dossier in _by_reason(selection, "score"):
        row = _row(population, dossier)
        e = ex.explain(model, row, selection=selection)
        assert e.placement is not None and e.placement.cut is not None
        assert e.counterfactual_status in ("found", "none_found")
        assert (e.counterfactual_status == "found") == bool(e.counterfactuals)
        keys = [(len(cf.columns), -cf.score) for cf in e.counterfactuals]
        assert keys == sorted(keys)
        for cf in e.counterfactuals:
            found += 1
            changed = _changed_row(row, cf)
            assert float(model.points(changed)[0]) == cf.score
            assert float(model.predict_proba(changed)[0, 1]) == pytest.approx(cf.probability)
            assert cf.score < e.placement.cut
            assert 1 <= len(cf.columns) <= 2
            for change in cf.changes:
                if change.derived:
                    assert ex.DERIVED[change.column] in cf.columns
                    assert change.new_value == int(changed["income_to_smic"].iloc[0] == 0)
                else:
                    assert change.column in ex.CHANGEABLE
                    assert change.new_value not in ex.FIXED_LEVELS.get(change.column, ())
                    assert change.old_value not in ex.FIXED_LEVELS.get(change.column, ())
                    assert change.new_bin != change.old_bin
        singles = {cf.columns[0] for cf in e.counterfactuals if len(cf.columns) == 1}
        for cf in e.counterfactuals:
            if len(cf.columns) == 2:
                assert not singles & set(cf.columns)
    assert found >= 20


def _best_single_by_brute_force(model: Any, row: pd.DataFrame, cut: float) -> float | None:
    """The highest score below ``cut`` that one changeable item moved to another bin gives."""
    segment = str(row["income_reporting"].iloc[0])
    scorecard = model.models_[segment]
    best = None
    for name, binning in zip(scorecard.features_, scorecard.binning_.bins_, strict=True):
        current = row[name].iloc[0]
        if name not in ex.CHANGEABLE or pd.isna(current):
            continue
        if current in ex.FIXED_LEVELS.get(name, ()):
            continue
        for b in range(binning.n_bins - 1):
            if binning.kind == "categorical":
                allowed = [v for v in binning.groups[b] if v not in ex.FIXED_LEVELS.get(name, ())]
                if not allowed:
                    continue
                value: Any = allowed[0]
            else:
                edges = (-1.0, *binning.edges, 2 * binning.edges[-1] + 1) if binning.edges else ()
                if not edges:
                    continue
                value = max((edges[b] + edges[b + 1]) / 2, 0.001)
            changed = row.copy()
            changed[name] = pd.Series([value], index=row.index).astype(row[name].dtype)
            if name == "income_to_smic":
                changed["zero_income"] = int(value == 0)
            new = float(model.points(changed)[0])
            if new < cut and (best is None or new > best):
                best = new
    return best


def test_the_single_change_reported_is_the_smallest(
    model: Any, population: pd.DataFrame, selection: ex.SelectionTable
) -> None:
    compared = 0
    for dossier in _by_reason(selection, "score")[:25]:
        row = _row(population, dossier)
        e = ex.explain(model, row, selection=selection)
        assert e.placement is not None and e.placement.cut is not None
        best = _best_single_by_brute_force(model, row, e.placement.cut)
        singles = [cf for cf in e.counterfactuals if len(cf.columns) == 1]
        assert (best is None) == (not singles)
        if singles:
            compared += 1
            assert singles[0].score == best
    assert compared >= 5


def _cut_selection(dossier: int, score: float, cut: float) -> ex.SelectionTable:
    frame = pd.DataFrame(
        {
            "dossier_id": [dossier, dossier + 10**9],
            "rank_national": [1, 2],
            "rank_in_group": [1, 2],
            "score": [score, cut],
            "selection_reason": ["score", "score"],
        }
    )
    return ex.SelectionTable(frame)


def _max_drop(model: Any, e: ex.Explanation, features: int) -> float:
    """Most points that changing ``features`` changeable items can remove (an upper bound)."""
    scorecard = model.models_[e.segment]
    drops = sorted(
        (
            float(scorecard.bin_points_[j][line.bin] - scorecard.bin_points_[j][:-1].min())
            for j, line in enumerate(e.features)
            if line.column in ex.CHANGEABLE
        ),
        reverse=True,
    )
    return sum(drops[:features]) + 10.0  # + derived zero_income, generously


@pytest.mark.parametrize(
    ("gap", "status"),
    [(0.01, "found"), (1_000.0, "none_found")],
    ids=["cut-just-below", "cut-out-of-reach"],
)
def test_counterfactual_search_by_distance_to_the_cut(
    model: Any, population: pd.DataFrame, gap: float, status: str
) -> None:
    row = population.iloc[[3]]
    score = float(model.points(row)[0])
    dossier = int(row["dossier_id"].iloc[0])
    e = ex.explain(model, row, selection=_cut_selection(dossier, score, score - gap))
    if status == "none_found":
        assert gap > _max_drop(model, e, 2)
    assert e.counterfactual_status == status
    text = to_text(ex.notice(e, lang="fr"))
    if status == "found":
        assert len(e.counterfactuals[0].columns) == 1
        assert "au lieu de" in text
    else:
        assert "Aucun changement d'un ou de deux de ces éléments" in text


@pytest.mark.parametrize(
    ("kind", "status", "phrase"),
    [
        ("none", "no_selection", "Aucune liste de sélection"),
        ("random", "random", "tiré au sort"),
        ("not_selected", "not_selected", "ne fait pas partie des dossiers retenus"),
        ("score", "found", "retenu pour une vérification parce que son score"),
    ],
    ids=["no-selection", "random", "not-selected", "by-score"],
)
def test_placement_in_the_selection(
    model: Any,
    population: pd.DataFrame,
    selection: ex.SelectionTable,
    kind: str,
    status: str,
    phrase: str,
) -> None:
    chosen = set(selection.ids)
    if kind in ("random", "score"):
        dossier = _by_reason(selection, kind)[0]
    else:
        dossier = next(int(i) for i in population["dossier_id"] if int(i) not in chosen)
    given = None if kind == "none" else selection
    e = ex.explain(model, _row(population, dossier), selection=given)
    if kind == "score":
        status = e.counterfactual_status  # found or none_found, checked above
    assert e.counterfactual_status == status
    text = to_text(ex.notice(e, lang="fr"), width=10_000)
    assert phrase in text
    if kind in ("random", "score"):
        assert e.placement is not None and e.placement.selected
        frame = selection.frame.set_index("dossier_id")
        assert e.placement.rank_national == frame.loc[dossier, "rank_national"]
        assert e.placement.rank_in_group == frame.loc[dossier, "rank_in_group"]
        in_caf = frame[
            (frame["caf_code"] == frame.loc[dossier, "caf_code"])
            & (frame["selection_reason"] == "score")
        ]
        if len(in_caf):
            assert e.placement.cut == in_caf["score"].min()
            assert format_value(e.placement.cut, "num2", lang="fr") in text


def test_a_selection_made_with_another_model_is_refused(
    model: Any, population: pd.DataFrame
) -> None:
    row = population.iloc[[5]]
    dossier = int(row["dossier_id"].iloc[0])
    score = float(model.points(row)[0])
    with pytest.raises(ex.ExplainError, match=rf"dossier_id {dossier}: the selection records a"):
        ex.explain(model, row, selection=_cut_selection(dossier, score + 1.0, score - 5))


# --------------------------------------------------------------------------------------------
# Finding the row in a file
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_explain_file_matches_the_row_in_memory(
    model_path: Path,
    model: Any,
    population: pd.DataFrame,
    csv_path: Path,
    parquet_path: Path,
    selection_path: Path,
    parquet_selection_path: Path,
    selection: ex.SelectionTable,
    kind: str,
) -> None:
    path, chosen = (
        (csv_path, selection_path) if kind == "csv" else (parquet_path, parquet_selection_path)
    )
    assert chosen.read_bytes() == selection_path.read_bytes()
    position = 1_234
    dossier = int(population["dossier_id"].iloc[position])
    from_file = ex.explain_file(model_path, path, dossier, selection=chosen, batch_size=5_000)
    in_memory = ex.explain(model, population.iloc[[position]], selection=selection)
    assert from_file.row == position + 1
    assert from_file.to_dict() | {"row": None, "values": None} == in_memory.to_dict() | {
        "row": None,
        "values": None,
    }
    allowed = {"dossier_id", "caf_code", "income_reporting", *model.features_}
    assert set(from_file.values) <= allowed  # nothing else of the file is read


def _csv_with(population: pd.DataFrame, path: Path, edits: dict[tuple[int, str], str]) -> Path:
    """The population as CSV text with some cells replaced (row: 0-based data row)."""
    frame = population.head(300)
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    for (row, name), value in edits.items():
        cells = lines[row + 1].split(",")
        cells[header.index(name)] = value
        lines[row + 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return path


BAD_ROWS = {
    "range": (
        "n_children",
        "99",
        r"row 5 \(dossier_id \d+\) breaks the catalog.*n_children = '99'",
    ),
    "type": ("income_to_smic", "abc", r"row 5 .*income_to_smic = 'abc': expected a number"),
    "missing": ("mean_rsa_12m", "", r"row 5 .*mean_rsa_12m = \(missing\)"),
    "level": ("household_type", '"commune"', r"row 5 .*household_type = 'commune'"),
    "segment": ("income_reporting", '"monthly"', r"row 5 .*income_reporting = 'monthly'"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS), ids=list(BAD_ROWS))
def test_an_invalid_row_gets_a_clear_message(
    model: Any, population: pd.DataFrame, tmp_path: Path, case: str
) -> None:
    column, value, message = BAD_ROWS[case]
    path = _csv_with(population, tmp_path / "bad.csv", {(4, column): value, (9, column): value})
    with pytest.raises(ex.ExplainError, match=message):
        ex.explain_file(model, path, int(population["dossier_id"].iloc[4]))
    # a problem elsewhere in the file does not stop the explanation of a valid row
    fine = ex.explain_file(model, path, int(population["dossier_id"].iloc[6]))
    assert fine.row == 7


def test_an_unknown_id_names_the_id_and_the_file(model: Any, csv_path: Path) -> None:
    with pytest.raises(ex.ExplainError, match=r"dossier_id 999999999 is not in .*population.csv"):
        ex.explain_file(model, csv_path, 999_999_999)


def test_an_id_on_an_unreadable_row_says_so_and_points_to_validate(
    model: Any,
    model_path: Path,
    population: pd.DataFrame,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The reader rejects a row with the wrong number of fields whole: a notice for its file
    cannot say "not in the file", but that rows could not be read and may hold it."""
    path = _csv_with(population, tmp_path / "short.csv", {})
    lines = path.read_text().splitlines()
    n = len(lines[0].split(","))
    lines[5] = ",".join(lines[5].split(",")[:4])  # data row 5: dossier_id of row 4 (0-based)
    path.write_text("\n".join(lines) + "\n")
    dossier = int(population["dossier_id"].iloc[4])
    expected = (
        rf"dossier_id {dossier} is not among the rows of .*short.csv that could be read, but "
        rf"1 row \(row 5: line 6 of the file, 4 fields, not {n}\) could not be read and may "
        r"hold it. Run 'dmde validate .*short.csv' to see every problem"
    )
    with pytest.raises(ex.ExplainError, match=expected):
        ex.explain_file(model, path, dossier)
    args = ["explain", "--model", str(model_path), "--input", str(path)]
    out = ["--dossier", str(dossier), "--out", str(tmp_path / "notice.html")]
    assert main([*args, *out]) == 1
    err = capsys.readouterr().err
    assert re.search(expected, err) and "Traceback" not in err
    other = int(population["dossier_id"].iloc[6])  # a readable row of the same file
    assert ex.explain_file(model, path, other).dossier_id == other


def test_batch_notices_say_selected_files_may_be_on_unreadable_rows(
    model: Any, population: pd.DataFrame, csv_path: Path, selection: ex.SelectionTable,
    tmp_path: Path,
) -> None:  # fmt: skip
    lines = csv_path.read_text().splitlines()
    positions = population.index[population["dossier_id"] == selection.ids[0]]
    row = int(positions[0]) + 1  # 1-based data row (the population's index is its position)
    lines[row] += ",extra"
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n")
    expected = (
        r"1 selected files are not in the data file \(\d+\); 1 row \(row \d+: line \d+ of "
        r"the file, \d+ fields, not \d+\) could not be read and may hold them: run 'dmde "
        r"validate' on the data file; nothing was written"
    )
    with pytest.raises(ex.ExplainError, match=expected):
        ex.write_notices(model, path, selection, tmp_path / "out", trust_selection=True)
    assert not (tmp_path / "out").exists()


def test_a_repeated_id_is_refused(model: Any, population: pd.DataFrame, tmp_path: Path) -> None:
    frame = pd.concat([population.head(20), population.iloc[[3]]], ignore_index=True)
    path = tmp_path / "twice.parquet"
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    dossier = int(population["dossier_id"].iloc[3])
    with pytest.raises(ex.ExplainError, match=rf"dossier_id {dossier} is on rows 4 and 21"):
        ex.explain_file(model, path, dossier)


def test_a_missing_column_is_named(model: Any, population: pd.DataFrame, tmp_path: Path) -> None:
    frame = population.head(20).drop(columns=["income_to_smic"])
    path = tmp_path / "short.csv"
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    with pytest.raises(ex.ExplainError, match="missing column income_to_smic, which the model"):
        ex.explain_file(model, path, int(frame["dossier_id"].iloc[0]))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"n_children": 99}, r"n_children = 99: .*0 to 15"),
        ({"household_type": "commune"}, r"household_type = 'commune'"),
        ({"mean_rsa_12m": None}, r"mean_rsa_12m = \(missing\)"),
    ],
    ids=["range", "level", "missing"],
)
def test_explain_checks_a_row_given_in_memory(
    model: Any, population: pd.DataFrame, edit: dict[str, Any], message: str
) -> None:
    row = population.iloc[0].to_dict() | edit
    with pytest.raises(ex.ExplainError, match=message):
        ex.explain(model, row)


def test_errors_name_the_python_keyword(model: Any, population: pd.DataFrame) -> None:
    # The command line maps these keywords to its flags; each message starts with the keyword.
    with pytest.raises(ex.ExplainError, match=r"^row must be one row; got a DataFrame of 2 rows"):
        ex.explain(model, population.head(2))
    explanation = ex.explain(model, population.iloc[0])
    with pytest.raises(ex.ExplainError, match=r"^lang must be 'fr' or 'en'; got 'de'"):
        ex.notice(explanation, lang="de")  # type: ignore[arg-type]
    with pytest.raises(ex.ExplainError, match=r"^format must be one of html, md, txt, json"):
        ex.render_notice(ex.notice(explanation), format="pdf")
    with pytest.raises(ex.ExplainError, match=r"\.txt, \.json, or give format\.$"):
        ex.format_for("notice.pdf")


def test_a_row_without_a_needed_column_is_refused(model: Any, population: pd.DataFrame) -> None:
    row = population.iloc[0].drop("income_to_smic").to_dict()
    with pytest.raises(ex.ExplainError, match="the row has no income_to_smic"):
        ex.explain(model, row)


# --------------------------------------------------------------------------------------------
# The notice's words
def test_the_notice_lists_what_the_model_never_uses(model: Any, population: pd.DataFrame) -> None:
    e = ex.explain(model, population.iloc[[0]])
    for lang, label in (("fr", "label_fr"), ("en", "label")):
        text = to_text(ex.notice(e, lang=lang), width=10_000)
        for family in EXCLUDED_FAMILIES:
            for name in columns_of(family):
                assert getattr(CATALOG[name], label) in text


def test_html_notice_is_self_contained_and_escaped(model: Any, population: pd.DataFrame) -> None:
    e = ex.explain(model, population.iloc[[0]])
    html = to_html(ex.notice(e))
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "Comment le score de votre dossier a été calculé" in html
    assert format_value(e.score, "num2", lang="fr") in html


def test_no_excluded_column_reaches_the_notice(model: Any, population: pd.DataFrame) -> None:
    row = population.iloc[[0]]  # every column of the synthetic world, sensitive ones included
    e = ex.explain(model, row)
    assert set(e.values) == {"dossier_id", "caf_code", "income_reporting", *model.features_}
    data = ex.notice(e).data
    for family in EXCLUDED_FAMILIES:
        for name in columns_of(family):
            assert name not in data["values"]


def test_a_single_scorecard_lists_the_items_it_does_not_read(population: pd.DataFrame) -> None:
    checked = population[population["controlled"] == 1]
    small = Scorecard(features=["income_to_smic", "activity_holder", "n_children"])
    small.fit(checked, checked["target"], checked["control_weight"])
    e = ex.explain(small, population.iloc[[10]])
    assert e.segment is None and [f.column for f in e.features] == list(small.features_)
    assert round(e.intercept_points + e.items_points, 2) == e.score
    assert "mean_rsa_12m" in e.unused_features and "income_to_smic" not in e.unused_features
    text = to_text(ex.notice(e, lang="fr"), width=10_000)
    assert "ne le sont pas par celui-ci : " in text and "revenu de solidarité active" in text
    assert "Grille de points appliquée" not in text


# --------------------------------------------------------------------------------------------
# Batch
def test_write_notices_one_per_selected_file_deterministic(
    model_path: Path,
    csv_path: Path,
    selection_path: Path,
    selection: ex.SelectionTable,
    tmp_path: Path,
) -> None:
    first = ex.write_notices(model_path, csv_path, selection_path, tmp_path / "a", format="md")
    assert [p.name for p in first] == [f"{i}.md" for i in selection.ids]
    again = ex.write_notices(model_path, csv_path, selection_path, tmp_path / "b", format="md")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    some = ex.write_notices(
        model_path, csv_path, selection, tmp_path / "c", format="txt", lang="en", limit=3
    )
    assert [p.name for p in some] == [f"{i}.txt" for i in selection.ids[:3]]


def test_write_notices_refuses_files_missing_from_the_data(
    model_path: Path, population: pd.DataFrame, selection_path: Path, tmp_path: Path
) -> None:
    chosen = set(ex.read_selection(selection_path).ids)
    frame = population[~population["dossier_id"].isin(list(chosen)[:2])]
    path = tmp_path / "fewer.parquet"
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    with pytest.raises(ex.ExplainError, match="2 selected files are not in the data file"):
        ex.write_notices(model_path, path, selection_path, tmp_path / "out", trust_selection=True)
    assert not (tmp_path / "out").exists()


def test_read_selection_finds_the_quota_column_without_a_manifest(
    selection_path: Path, selection: ex.SelectionTable, tmp_path: Path
) -> None:
    copy = tmp_path / "selection.csv"
    copy.write_bytes(selection_path.read_bytes())
    assert not manifest_path(copy).exists()
    read = ex.read_selection(copy, trust_selection=True)
    assert (read.per, selection.per) == ("caf_code", "caf_code")
    assert read.n_files is None and selection.n_files == 20_000
    for dossier in selection.ids[:10]:
        expected = selection.placement(dossier, None)
        assert read.placement(dossier, None) == replace(expected, n_files=None, group_files=None)


def test_a_national_selection_has_one_cut(model: Any, population: pd.DataFrame) -> None:
    scores = score_frame(model, population)
    chosen = select(scores, budget=50)
    table = ex.SelectionTable(chosen.frame)
    assert table.per is None
    placement = table.placement(int(chosen.frame["dossier_id"].iloc[0]), None)
    assert placement.cut == chosen.frame["score"].min() and placement.group is None


# --------------------------------------------------------------------------------------------
# A selection is believed only as far as its manifests vouch for it
@pytest.fixture(scope="module")
def other_model_path(population: pd.DataFrame, folder: Path) -> Path:
    checked = population[population["controlled"] == 1]
    model = Scorecard().fit(checked, checked["target"], checked["control_weight"])
    path = folder / "other-model.json"
    save_model(model, path)
    return path


def _edit(path: Path, row: int, column: str, value: str) -> None:
    """Replace a cell of the selection CSV's first four columns (row: 0-based data row)."""
    lines = path.read_text().splitlines()
    columns = lines[0].split(",")[:4]
    cells = lines[row + 1].split(",", 4)
    cells[columns.index(column)] = value
    lines[row + 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


def _other_office(population: pd.DataFrame, selection: Path) -> str:
    first = ex.read_selection(selection, trust_selection=True).frame["caf_code"].iloc[0]
    return next(c for c in sorted(population["caf_code"].unique()) if c != first)


def _set_command(path: Path) -> None:
    manifest = manifest_path(path)
    manifest.write_text(manifest.read_text().replace('"command": "select"', '"command": "score"'))


FORGERIES: dict[str, tuple[str, str]] = {
    # name: (what is done, the message)
    "office": ("edit", r"selection.csv' was changed after 'dmde select' wrote it: its SHA-256"),
    "rank": ("edit", r"was changed after 'dmde select' wrote it"),
    "swapped-file": ("swap", r"was changed after 'dmde select' wrote it"),
    "no-manifest": ("no-manifest", r"selection.csv' has no manifest .*trust_selection option"),
    "not-a-select-manifest": ("command", r"is not a manifest of 'dmde select'"),
    "unreadable-manifest": ("garble", r"not a readable manifest"),
    "other-model": ("other-model", r"made from the scores of another model \(model SHA-256"),
    "other-data": ("other-data", r"made from the scores of another data file .*the files differ"),
    "scores-gone": ("scores-gone", r"names the scores file .*which is not there"),
    "scores-changed": ("scores-changed", r"which has changed since the selection was made"),
    "scores-manifest-gone": ("scores-manifest", r"has no manifest of 'dmde score'"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_selection_is_refused(
    name: str,
    model_path: Path,
    other_model_path: Path,
    population: pd.DataFrame,
    csv_path: Path,
    parquet_path: Path,
    tmp_path: Path,
) -> None:
    action, message = FORGERIES[name]
    model, data = model_path, csv_path
    selection = _chain(other_model_path if action == "other-model" else model, data, tmp_path)
    dossier = ex.read_selection(selection).ids[0]
    scores = tmp_path / "scores.parquet"
    if name == "office":
        _edit(selection, 0, "caf_code", f'"{_other_office(population, selection)}"')
    elif name == "rank":
        _edit(selection, 0, "rank_national", "5")
    elif action == "swap":
        selection.write_bytes(_chain(model, data, tmp_path / "other", budget=60).read_bytes())
    elif action == "no-manifest":
        manifest_path(selection).unlink()
    elif action == "command":
        _set_command(selection)
    elif action == "garble":
        manifest_path(selection).write_text("{")
    elif action == "other-data":
        data = parquet_path
    elif action == "scores-gone":
        scores.rename(tmp_path / "elsewhere.parquet")
    elif action == "scores-changed":
        score_file(other_model_path, data, scores)
    elif action == "scores-manifest":
        manifest_path(scores).unlink()
    with pytest.raises(ex.ExplainError, match=message):
        ex.explain_file(model, data, dossier, selection=selection)
    with pytest.raises(ex.ExplainError, match=message):
        ex.write_notices(model, data, selection, tmp_path / "notices", limit=1)
    assert not (tmp_path / "notices").exists()


def test_a_genuine_selection_passes_wherever_its_chain_is_kept(
    model_path: Path, csv_path: Path, selection_path: Path, tmp_path: Path
) -> None:
    """The scores may be found beside the selection when the recorded path has moved."""
    fresh = _chain(model_path, csv_path, tmp_path / "run")
    dossier = ex.read_selection(fresh).ids[0]
    expected = ex.explain_file(model_path, csv_path, dossier, selection=selection_path)
    moved = tmp_path / "moved"
    (tmp_path / "run").rename(moved)
    explained = ex.explain_file(model_path, csv_path, dossier, selection=moved / "selection.csv")
    assert explained.to_dict() == expected.to_dict()


def test_a_single_scorecard_s_selection_passes(
    other_model_path: Path, csv_path: Path, tmp_path: Path
) -> None:
    selection = _chain(other_model_path, csv_path, tmp_path, per=None)
    written = ex.write_notices(other_model_path, csv_path, selection, tmp_path / "n", limit=3)
    assert len(written) == 3


def test_trusted_selection_is_still_checked_against_the_data(
    model_path: Path, population: pd.DataFrame, csv_path: Path, tmp_path: Path
) -> None:
    selection = _chain(model_path, csv_path, tmp_path)
    manifest_path(selection).unlink()
    dossier = ex.read_selection(selection, trust_selection=True).ids[0]
    trusted = ex.explain_file(
        model_path, csv_path, dossier, selection=selection, trust_selection=True
    )
    assert trusted.placement is not None and trusted.placement.rank_national == 1
    office = _other_office(population, selection)
    _edit(selection, 0, "caf_code", f'"{office}"')
    message = rf"dossier_id {dossier}: caf_code = '{office}' in the selection, '\w+' in the data"
    with pytest.raises(ex.ExplainError, match=message):
        ex.explain_file(model_path, csv_path, dossier, selection=selection, trust_selection=True)


def test_a_selection_in_memory_is_compared_with_the_row(
    model: Any, population: pd.DataFrame
) -> None:
    row = population.iloc[[7]]
    dossier, office = int(row["dossier_id"].iloc[0]), str(row["caf_code"].iloc[0])
    score = float(score_frame(model, row)["score"].iloc[0])
    frame = _cut_selection(dossier, score, score - 5).frame.assign(caf_code=["zz", "zz"])
    table = ex.SelectionTable(frame, per="caf_code")
    with pytest.raises(ex.ExplainError, match=rf"caf_code = 'zz' in the selection, '{office}'"):
        ex.explain(model, row, selection=table)


# --------------------------------------------------------------------------------------------
# The command line
def test_cli_one_notice(
    model_path: Path,
    csv_path: Path,
    selection_path: Path,
    selection: ex.SelectionTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dossier = selection.ids[0]
    out = tmp_path / "notice.html"
    args = ["explain", "--model", str(model_path), "--input", str(csv_path)]
    assert main([*args, "--dossier", str(dossier), "--selection", str(selection_path),
                 "--out", str(out)]) == 0  # fmt: skip
    assert f"dossier {dossier}: score" in capsys.readouterr().out
    assert "Comment le score de votre dossier a été calculé" in out.read_text()
    text = tmp_path / "notice.txt"
    assert main([*args, "--dossier", str(dossier), "--lang", "en", "--out", str(text)]) == 0
    assert text.read_text().startswith("How your file's score was calculated")


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--dossier", "999999999", "--out", "x.html"], 1, "dossier_id 999999999 is not in"),
        (["--out", "x.html"], 2, "give --dossier and --out"),
        (["--out-dir", "notices"], 2, "give --selection, and no --dossier"),
        (["--dossier", "1", "--out", "x.pdf"], 1, "cannot tell the notice format"),
    ],
    ids=["unknown-id", "no-dossier", "batch-without-selection", "unknown-format"],
)
def test_cli_errors_without_traceback(
    model_path: Path,
    csv_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    code: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["explain", "--model", str(model_path), "--input", str(csv_path), *extra]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_batch(
    model_path: Path,
    csv_path: Path,
    selection_path: Path,
    selection: ex.SelectionTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "notices"
    args = ["explain", "--model", str(model_path), "--input", str(csv_path)]
    batch = ["--selection", str(selection_path), "--out-dir", str(out), "--format", "txt"]
    assert main([*args, *batch]) == 0
    assert f"wrote {len(selection.ids)} notices" in capsys.readouterr().out
    notices = sorted(f"{i}.txt" for i in selection.ids)
    assert sorted(p.name for p in out.iterdir()) == sorted([*notices, "notices.manifest.json"])
    listed = json.loads((out / "notices.manifest.json").read_text(encoding="utf-8"))["files"]
    assert sorted(listed) == notices  # the manifest vouches for every notice


def test_cli_refuses_a_forged_selection_in_one_line(
    model_path: Path,
    population: pd.DataFrame,
    csv_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    selection = _chain(model_path, csv_path, tmp_path)
    dossier = ex.read_selection(selection).ids[0]
    _edit(selection, 0, "caf_code", f'"{_other_office(population, selection)}"')
    args = ["explain", "--model", str(model_path), "--input", str(csv_path)]
    out = tmp_path / "n.html"
    one = ["--dossier", str(dossier), "--selection", str(selection), "--out", str(out)]
    assert main([*args, *one]) == 1
    assert main([*args, "--selection", str(selection), "--out-dir", str(tmp_path / "nd")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all("was changed after 'dmde select' wrote it" in x for x in lines)
    assert not (tmp_path / "nd").exists() and not out.exists()
