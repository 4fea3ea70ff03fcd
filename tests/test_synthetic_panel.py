"""The synthetic monthly panel: determinism, persistence, trajectories, the reform, the shifts."""

from __future__ import annotations

import hashlib
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dmde.core.errors import DmdeError
from dmde.data.datasets import read_dataset, validate_file
from dmde.data.synthetic import SCENARIOS, population_columns
from dmde.data.synthetic_panel import (
    DECLARATIVE_SHARE,
    ENTRY_RATE,
    EXIT_RATE,
    EXIT_RATE_ELDERLY,
    SHIFTS,
    generate_panel,
    panel_files,
    panel_months,
    write_panel,
)
from dmde.data.synthetic_truth import _truth_logit, truth_design


def _months(n_rows: int, **kw: object) -> dict[str, pd.DataFrame]:
    """The panel as one DataFrame per month."""
    tables: dict[str, list[pa.Table]] = {}
    for month, table in generate_panel(n_rows, **kw):  # type: ignore[arg-type]
        tables.setdefault(month, []).append(table)
    return {m: pa.concat_tables(t).to_pandas() for m, t in tables.items()}


@pytest.fixture(scope="module")
def panel() -> dict[str, pd.DataFrame]:
    return _months(4_000, months=14, seed=21, controls=200, with_truth=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_panel(tmp_path / name, 1_500, months=3, seed=4, controls=30, with_truth=True)
    files_a = panel_files(tmp_path / "a")
    files_b = panel_files(tmp_path / "b")
    assert [m for m, _ in files_a] == ["2025-01", "2025-02", "2025-03"]
    assert [_sha(p) for _, p in files_a] == [_sha(p) for _, p in files_b]
    write_panel(tmp_path / "c", 1_500, months=3, seed=5, controls=30, with_truth=True)
    assert _sha(files_a[0][1]) != _sha(panel_files(tmp_path / "c")[0][1])


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_every_month_validates_and_has_the_snapshot_columns(
    tmp_path: Path, file_format: str
) -> None:
    rows = write_panel(
        tmp_path, 1_200, months=3, start="2025-02", seed=2, controls=25, file_format=file_format
    )
    files = panel_files(tmp_path)
    assert [m for m, _ in files] == list(rows) == ["2025-02", "2025-03", "2025-04"]
    for month, path in files:
        assert path == tmp_path / f"snapshot_month={month}" / f"part-0.{file_format}"
        report = validate_file(path)
        assert report.ok, [(p.column, p.rule, p.examples) for p in report.problems]
        frame = read_dataset(path)
        assert tuple(frame.columns) == population_columns()
        assert len(frame) == rows[month]
        assert set(frame["snapshot_month"]) == {month}
        assert frame["dossier_id"].is_monotonic_increasing and frame["dossier_id"].is_unique


def test_the_months_stream_in_bounded_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _months(900, months=2, seed=3, controls=10)
    monkeypatch.setattr("dmde.data.synthetic_panel.CHUNK_ROWS", 250)
    chunks = list(generate_panel(900, months=2, seed=3, controls=10))
    assert max(t.num_rows for _, t in chunks) == 250
    for month, frame in whole.items():
        parts = [t for m, t in chunks if m == month]
        assert pa.concat_tables(parts).to_pandas().equals(frame)


def test_a_yielded_table_does_not_change_as_the_panel_goes_on() -> None:
    chunks = generate_panel(800, months=4, seed=6, controls=10)
    month, first = next(chunks)
    before = first.to_pandas()
    rest = list(chunks)
    assert month == "2025-01" and len(rest) == 3
    assert first.to_pandas().equals(before)


def test_households_persist_at_the_declared_entry_and_exit_rates() -> None:
    exits, entries, opened = [], [], 0
    old_exits: list[tuple[int, int]] = []
    for seed in range(4):
        months = _months(3_000, months=7, seed=seed, controls=20)
        frames = list(months.values())
        seen = set(frames[0]["dossier_id"])
        for before, after in pairwise(frames):
            ids_before, ids_after = set(before["dossier_id"]), set(after["dossier_id"])
            new = ids_after - ids_before
            young = before[before["age"] < 70]
            exits.append(1 - young["dossier_id"].isin(ids_after).mean())
            old = before[before["age"] >= 70]
            old_exits.append((int((~old["dossier_id"].isin(ids_after)).sum()), len(old)))
            entries.append(len(new) / len(ids_before))
            assert not new & seen, "a closed file came back"
            assert min(new, default=np.inf) > max(ids_before), "new files get new numbers"
            seen |= ids_after
            opened += len(new)
    # 24 month pairs of about 3,000 files: the standard error of a rate is about 0.0004
    assert abs(np.mean(exits) - EXIT_RATE) < 0.002
    closed, held = np.sum(old_exits, axis=0)
    assert abs(closed / held - EXIT_RATE_ELDERLY) < 0.005  # about 5,000 file-months
    assert abs(np.mean(entries) - ENTRY_RATE) < 0.002
    assert opened > 0


def test_trajectories_are_coherent(panel: dict[str, pd.DataFrame]) -> None:
    frames = [f.set_index("dossier_id") for f in panel.values()]
    first, last = frames[0], frames[-1]
    stay = first.index.intersection(last.index)
    # over 13 months every holder has exactly one birthday... or two if it falls in month 1
    aged = last.loc[stay, "age"] - first.loc[stay, "age"]
    assert set(aged.unique()) <= {1, 2} and (aged == 1).mean() > 0.85
    for before, after in pairwise(frames):
        common = before.index.intersection(after.index)
        b, a = before.loc[common], after.loc[common]
        assert (a["months_on_file"] - b["months_on_file"] == 1).all()
        assert set((a["age"] - b["age"]).unique()) <= {0, 1}
        assert ((a["n_children"] - b["n_children"]).abs() <= 1).all()
        for fixed in ("caf_code", "commune_code", "gender", "nationality_group"):
            assert (a[fixed] == b[fixed]).all(), fixed
        # things happen: some households change activity, family and benefits every month
        assert (a["activity_holder"] != b["activity_holder"]).mean() > 0.003
        assert (a["household_type"] != b["household_type"]).mean() > 0.0005
        assert (a["mean_total_12m"] != b["mean_total_12m"]).mean() > 0.5
        new = after.index.difference(before.index)
        assert (after.loc[new, "months_on_file"] == 0).all()
        assert after.loc[new, "n_controls_24m"].eq(0).all()


def test_a_child_turning_20_sets_child_over_19(panel: dict[str, pd.DataFrame]) -> None:
    frames = [f.set_index("dossier_id") for f in panel.values()]
    turned = 0
    for before, after in pairwise(frames):
        common = before.index.intersection(after.index)
        b, a = before.loc[common], after.loc[common]
        on = (b["child_over_19"] == 0) & (a["child_over_19"] == 1)
        turned += int(on.sum())
        assert (a.loc[on, "n_children"] >= 1).all()
    assert turned > 0


def test_each_month_has_its_random_controls_and_only_they_have_labels(
    panel: dict[str, pd.DataFrame],
) -> None:
    for month, frame in panel.items():
        controlled = frame["controlled"] == 1
        assert controlled.sum() == 200, month
        assert frame.loc[controlled, ["target", "control_weight"]].notna().all().all()
        unlabelled = frame.loc[~controlled, ["target", "indu_amount", "control_weight"]]
        assert unlabelled.isna().all().all()
        weights = frame[controlled].groupby("control_stratum")["control_weight"].first()
        drawn = frame[controlled]["control_stratum"].value_counts()
        sizes = frame["control_stratum"].value_counts()
        assert np.allclose(weights, (sizes[weights.index] / drawn[weights.index]).round(6))
        labelled = frame[controlled]
        assert (labelled["target"] == labelled["truth_target"]).all()


def test_the_truth_is_the_logit_of_the_month_s_own_columns(
    panel: dict[str, pd.DataFrame],
) -> None:
    for frame in panel.values():
        logit = _truth_logit(truth_design(frame), SCENARIOS["neutral"])
        expected = 1 / (1 + np.exp(-logit))
        assert np.allclose(frame["truth_probability"], expected, atol=1e-6)
    # one latent draw per household: the outcome moves only with the probability, and rarely
    frames = {m: f.set_index("dossier_id") for m, f in panel.items()}
    for (_, before), (month, after) in pairwise(frames.items()):
        common = before.index.intersection(after.index)
        b, a = before.loc[common], after.loc[common]
        up = a["truth_probability"] - b["truth_probability"]
        assert (up[(b["truth_target"] == 0) & (a["truth_target"] == 1)] > 0).all()
        assert (up[(b["truth_target"] == 1) & (a["truth_target"] == 0)] < 0).all()
        flips = (a["truth_target"] != b["truth_target"]).mean()
        assert flips < (0.05 if month == "2025-03" else 0.02), month  # the reform's month


def test_the_prefilling_reform_switches_files_in_march_2025(
    panel: dict[str, pd.DataFrame],
) -> None:
    for month, frame in panel.items():
        prefilled = frame["income_reporting"] == "prefilled"
        if month < "2025-03":
            assert not prefilled.any(), month
            continue
        self_employed = (frame["activity_holder"] == "self_employed") | (
            frame["activity_partner"] == "self_employed"
        )
        assert not prefilled[self_employed].any()
        stays = 1 - prefilled[~self_employed].mean()
        assert abs(stays - DECLARATIVE_SHARE) < 0.02, month
    # the quarterly_declarative term leaves the truth: its mean falls with the reform
    assert (
        panel["2025-03"]["truth_probability"].mean()
        < panel["2025-02"]["truth_probability"].mean() - 0.005
    )


def test_the_first_month_comes_from_the_snapshot_s_households() -> None:
    frame = _months(2_000, months=1, seed=8, controls=20)["2025-01"]
    # survivors of the warm-up keep their snapshot numbers; the files opened during it follow
    assert 1_700 < (frame["dossier_id"] <= 2_000).sum() < 1_900
    assert frame["dossier_id"].max() > 2_000


# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [13, 14, 15])
@pytest.mark.parametrize("shift", sorted(SHIFTS))
def test_a_planted_shift_starts_in_its_month_and_not_before(shift: str, seed: int) -> None:
    kw = {"months": 6, "seed": seed, "controls": 20}
    base = _months(6_000, **kw)
    moved = _months(6_000, shift=shift, shift_month=4, **kw)
    months = list(base)
    for month in months[:3]:
        assert moved[month].equals(base[month]), month
    for month in months[3:]:
        b, m = base[month], moved[month]
        if shift == "benefit_reform":
            jump = (m["mean_cf_12m"] > 0).mean() - (b["mean_cf_12m"] > 0).mean()
            assert jump > 0.08, month
        else:
            employed_b = b["activity_holder"] == "employed"
            employed_m = m["activity_holder"] == "employed"
            group_b = b["nationality_group"] == "non_eu"
            group_m = m["nationality_group"] == "non_eu"
            assert employed_m[group_m].mean() < 0.75 * employed_b[group_b].mean(), month
            self_b = b["activity_holder"] == "self_employed"
            self_m = m["activity_holder"] == "self_employed"
            assert self_m[group_m].mean() > self_b[group_b].mean() + 0.1, month
            others = abs(employed_m[~group_m].mean() - employed_b[~group_b].mean())
            assert others < 0.02, month


def test_shift_declarations_name_catalog_features() -> None:
    from dmde.data.catalog import CATALOG

    for spec in SHIFTS.values():
        assert all(c in CATALOG for c in spec.columns)
        if spec.group is not None:
            column, level = spec.group
            assert level in CATALOG[column].levels


# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"months": 0}, "months must be a whole number from 1 to 600; got 0"),
        ({"start": "2025-13"}, "start must be a month written YYYY-MM"),
        ({"start": "March 2025"}, "start must be a month written YYYY-MM"),
        ({"shift": "wave"}, "unknown shift 'wave': expected one of benefit_reform, group_drift"),
        ({"shift": "benefit_reform", "shift_month": 1}, "shift_month must be a month of the"),
        ({"shift": "group_drift", "shift_month": 25}, r"from 2 to 24; got 25"),
        ({"controls": 101}, r"controls must be a whole number from 0 to the number of rows"),
        ({"scenario": "sunny"}, "unknown scenario 'sunny'"),
        ({"seed": -1}, "seed must be a whole number of at least 0"),
    ],
    ids=[
        "no-months",
        "month-13",
        "words",
        "unknown-shift",
        "shift-first",
        "shift-late",
        "controls",
        "scenario",
        "seed",
    ],
)
def test_bad_arguments_are_refused_before_any_work(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(DmdeError, match=match):
        generate_panel(100, **kwargs)  # type: ignore[arg-type]


def test_panel_files_refuses_a_folder_without_months(tmp_path: Path) -> None:
    with pytest.raises(DmdeError, match="holds no panel: expected folders snapshot_month="):
        panel_files(tmp_path)


def test_panel_files_refuses_a_month_folder_misnamed_or_missing(tmp_path: Path) -> None:
    write_panel(tmp_path / "p", 300, months=4, start="2025-11", seed=1, controls=20)
    folders = sorted((tmp_path / "p").iterdir())
    assert [m for m, _ in panel_files(tmp_path / "p")] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    folders[1].rename(tmp_path / "p" / "snapshot_month=2025-13")
    with pytest.raises(DmdeError, match=r"snapshot_month=2025-13' is not a month of the panel"):
        panel_files(tmp_path / "p")
    (tmp_path / "p" / "snapshot_month=2025-13").rename(tmp_path / "elsewhere")
    with pytest.raises(DmdeError, match=r"has no file for 2025-12 \(between 2025-11 and 2026-02\)"):
        panel_files(tmp_path / "p")


def test_write_panel_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DmdeError, match="file_format must be 'parquet' or 'csv'; got 'json'"):
        write_panel(tmp_path, 100, file_format="json")


def test_write_panel_refuses_a_file_name_or_a_folder_with_files(tmp_path: Path) -> None:
    with pytest.raises(DmdeError, match="the panel is written to a folder, one file per month"):
        write_panel(tmp_path / "panel.parquet", 100, months=2, controls=5)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "notes.txt").write_text("x")
    with pytest.raises(DmdeError, match=r"holds files already \(such as 'notes.txt'\)"):
        write_panel(tmp_path / "old", 100, months=2, controls=5)


def test_an_interrupted_panel_leaves_no_month(tmp_path: Path) -> None:
    def stop(stage: str, rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_panel(tmp_path / "panel", 300, months=3, controls=5, progress=stop)
    assert [p for p in (tmp_path / "panel").rglob("*") if p.is_file()] == []
    # the empty month folders it leaves do not stop the next run
    rows = write_panel(tmp_path / "panel", 300, months=3, controls=5)
    assert len(panel_files(tmp_path / "panel")) == len(rows) == 3


def test_progress_reports_each_month_s_rows(tmp_path: Path) -> None:
    calls: list[tuple[str, int]] = []
    rows = write_panel(tmp_path, 300, months=3, controls=5, progress=lambda *a: calls.append(a))
    assert calls == [("months", n) for n in rows.values()]


def test_panel_months_cross_the_year() -> None:
    assert panel_months("2025-11", 3) == ("2025-11", "2025-12", "2026-01")
