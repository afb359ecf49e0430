"""The sample-submissions generator: deterministic, realistic, and honest about what it injected."""

from __future__ import annotations

import csv
import functools
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from support.warehouse import SAMPLE_END, SAMPLE_MONTHS, SampleBuild

from ingestion.template import RETURN_SHEET, sheet_columns
from pidc.contract import load_contract
from pidc.normalise import normalise_label
from pidc.settings import SEEDS_DIR
from sample_data import (
    MANIFEST_NAME,
    SampleError,
    SampleManifest,
    generate_samples,
    month_list,
    profiles,
)

CONTRACT = load_contract()
MONTHS = SAMPLE_MONTHS
END = SAMPLE_END


@pytest.fixture(scope="module")
def sample_run(sample: SampleBuild) -> tuple[Path, SampleManifest]:
    """The session's 14-month sample (the ``sample`` fixture of tests/conftest.py, generated
    once for the whole suite): its landing folder, which intake reads and leaves as the
    generator wrote it, and the manifest the generator returned."""
    assert (sample.manifest.months, sample.manifest.end_period) == (MONTHS, END)
    return sample.home.landing, sample.manifest


@pytest.fixture(scope="module", autouse=True)
def _forget_reads():
    """The files read by this module's tests are let go when the module ends."""
    yield
    _read_path.cache_clear()


def _read_file(landing: Path, entry) -> dict[str, pd.DataFrame]:
    """The data rows of one manifest file, per dataset, as the member wrote them.

    Read once per module: several tests look at every file of the module's sample, which no
    test changes (the frames are shared, so a test must not change them either)."""
    where = (entry.file_format, entry.encoding, entry.delimiter, tuple(entry.datasets))
    return _read_path(landing / entry.path, *where)


@functools.cache
def _read_path(
    path: Path,
    file_format: str,
    encoding: str | None,
    delimiter: str | None,
    datasets: tuple[str, ...],
) -> dict[str, pd.DataFrame]:
    if file_format == "csv":
        frame = pd.read_csv(
            path, encoding=encoding, sep=delimiter, dtype=str, keep_default_na=False
        )
        return {datasets[0]: frame}
    workbook = CalamineWorkbook.from_path(str(path))
    frames = {}
    for name in [*CONTRACT.dataset_names, "observations"]:
        rows = workbook.get_sheet_by_name(name).to_python()
        frames[name] = pd.DataFrame(rows[1:], columns=rows[0]).astype(str)
    return frames


def _count_total(frame: pd.DataFrame) -> int:
    return int(sum(float(value) for value in frame["count"]))


def test_month_list_and_bad_arguments():
    assert month_list("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    with pytest.raises(SampleError, match="YYYY-MM"):
        month_list("Sept 2026", 3)
    with pytest.raises(SampleError, match="scale"):
        generate_samples(Path("/nonexistent/landing"), scale=0)


def test_same_seed_gives_identical_files_and_manifest(tmp_path):
    first = generate_samples(tmp_path / "a" / "landing", seed=11, months=3, end_period=END)
    second = generate_samples(tmp_path / "b" / "landing", seed=11, months=3, end_period=END)
    assert first.to_json() == second.to_json()
    paths = [entry.path for entry in first.files]
    assert (
        paths and any(p.endswith(".csv") for p in paths) and any(p.endswith(".xlsx") for p in paths)
    )
    for relative in paths:
        a = (tmp_path / "a" / "landing" / relative).read_bytes()
        b = (tmp_path / "b" / "landing" / relative).read_bytes()
        assert a == b, relative
    other = generate_samples(tmp_path / "c" / "landing", seed=12, months=3, end_period=END)
    differing = [
        e.path
        for e in other.files
        if e.path.endswith(".csv")
        and (tmp_path / "a" / "landing" / e.path).exists()
        and (tmp_path / "c" / "landing" / e.path).read_bytes()
        != (tmp_path / "a" / "landing" / e.path).read_bytes()
    ]
    assert differing, "a different seed must give different figures"


def test_manifest_lives_beside_the_landing_folder_which_holds_only_member_files(sample_run):
    landing, manifest = sample_run
    assert SampleManifest.load(landing.parent / MANIFEST_NAME) == manifest
    assert sorted(p.name for p in landing.iterdir()) == sorted(manifest.members)
    on_disk = sorted(str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file())
    assert on_disk == sorted(entry.path for entry in manifest.files)
    assert manifest.periods == month_list(END, MONTHS)
    assert set(manifest.members) == set(profiles.members())


def test_about_half_the_members_send_workbooks_and_the_rest_csv_in_varied_encodings(sample_run):
    _, manifest = sample_run
    formats = {entry.member: entry.file_format for entry in manifest.files}
    workbook_members = [m for m, kind in formats.items() if kind == "xlsx"]
    assert 0.35 <= len(workbook_members) / len(formats) <= 0.65
    csv_files = [e for e in manifest.files if e.file_format == "csv"]
    assert {e.encoding for e in csv_files} >= {"utf-8", "utf-8-sig", "cp1252", "utf-16"}
    assert {e.delimiter for e in csv_files} == {",", ";"}
    for entry in csv_files:
        assert entry.period in entry.path and all(d in entry.path for d in entry.datasets)


def test_every_file_parses_back_with_the_rows_and_totals_the_manifest_lists(sample_run):
    landing, manifest = sample_run
    for entry in manifest.files:
        frames = _read_file(landing, entry)
        for dataset in entry.datasets:
            frame = frames[dataset]
            if entry.file_format == "csv":
                # An office that does not break a dataset down by sex and age leaves those
                # optional columns out, as returns written before them do.
                columns = CONTRACT.dataset(dataset).column_names
                optional = CONTRACT.dataset(dataset).defaults
                assert list(frame.columns) in (
                    columns,
                    [c for c in columns if c not in optional],
                ), entry.path
                assert set(frame["member"]) <= {entry.member}
                assert set(frame["period"]) <= {entry.period}
            else:
                expected = [c.name for c in sheet_columns(CONTRACT.dataset(dataset))]
                assert list(frame.columns) == expected, entry.path
            assert len(frame) == entry.rows[dataset], (entry.path, dataset)
            if dataset == "observations":
                continue
            counts = [float(value) for value in frame["count"]]
            assert all(c >= 0 and c == int(c) for c in counts), entry.path
            assert _count_total(frame) == entry.totals[dataset], (entry.path, dataset)
            assert (len(frame) == 0) == (dataset in entry.nil_datasets)
        if entry.file_format == "xlsx":
            meta = CalamineWorkbook.from_path(str(landing / entry.path))
            rows = meta.get_sheet_by_name(RETURN_SHEET).to_python()
            fields = {row[0]: row[1] for row in rows[1:6]}
            assert (fields["member"], fields["period"]) == (entry.member, entry.period)
            assert int(fields["version"]) == entry.version
            # The French-speaking territories fill in the French edition (its tick is "oui").
            ticked = {row[0] for row in rows[8:] if row[1] in {"yes", "oui"}}
            assert ticked == set(entry.nil_datasets), entry.path


def test_file_mtimes_are_the_intended_received_times(sample_run):
    landing, manifest = sample_run
    for entry in manifest.files[::7]:
        stamp = os.stat(landing / entry.path).st_mtime
        received = datetime.fromtimestamp(stamp, tz=UTC).replace(tzinfo=None)
        assert received == datetime.fromisoformat(entry.received_at), entry.path


def test_injected_events_are_all_in_the_manifest(sample_run):
    _, manifest = sample_run
    files = {entry.path: entry for entry in manifest.files}
    carried = {(e.member, d, e.period) for e in manifest.files for d in e.datasets}
    # Spikes: at least five times the nationality's recent average, on a return that was sent.
    assert len(manifest.spikes) >= 2
    for spike in manifest.spikes:
        assert spike.value >= spike.factor * spike.baseline_mean > 0
        assert (spike.member, spike.dataset, spike.period) in carried
    # Missing returns: never carried by any file.
    assert manifest.missing_returns
    assert not {(m.member, m.dataset, m.period) for m in manifest.missing_returns} & carried
    assert {m.period for m in manifest.missing_returns if "not yet" in m.note} == {END}
    # Late returns: received after the due date.
    assert manifest.late_returns
    for late in manifest.late_returns:
        assert late.received_at[:10] > late.due_date and late.days_late > 0
        assert files[late.file].late
    # Nil returns: the file carries the dataset with no rows.
    assert manifest.nil_returns
    assert any(n.member in {"NIU", "TKL"} for n in manifest.nil_returns)
    for nil in manifest.nil_returns:
        assert nil.dataset in files[nil.file].nil_datasets
    # Corrections: a later version 2 file with different figures and one row fewer.
    assert len(manifest.corrections) >= 2
    assert {files[c.file].file_format for c in manifest.corrections} == {"csv", "xlsx"}
    for fix in manifest.corrections:
        new, old = files[fix.file], files[fix.replaces_file]
        assert (new.version, old.version) == (2, 1)
        assert new.received_at > old.received_at
        assert fix.total_after != fix.total_before
        assert fix.rows_after == fix.rows_before - 1
        assert new.totals[fix.dataset] == fix.total_after


def test_a_new_fraud_route_appears_only_from_its_first_month(sample_run):
    landing, manifest = sample_run
    assert manifest.new_routes
    route = manifest.new_routes[0]
    spelled = profiles.spell_country(route.code, route.member)
    seen: dict[str, int] = {}
    for entry in manifest.files:
        if entry.member != route.member or "document_fraud" not in entry.datasets:
            continue
        frame = _read_file(landing, entry)["document_fraud"]
        hits = frame[frame["embarkation_country"] == spelled]
        seen[entry.period] = seen.get(entry.period, 0) + len(hits)
    assert all(seen[p] == 0 for p in seen if p < route.first_period)
    assert seen[route.first_period] > 0


def test_tokelau_reports_sea_movements_only(sample_run):
    landing, manifest = sample_run
    sea_ports = {p.code for p in profiles.member_ports("TKL")}
    assert sea_ports and all(p.mode == "SEA" for p in profiles.member_ports("TKL"))
    movements = [e for e in manifest.files if e.member == "TKL" and e.datasets == ["movements"]]
    assert movements
    for entry in movements:
        frame = _read_file(landing, entry)["movements"]
        assert set(frame["mode"]) <= {"SEA"}
        assert set(frame["port"]) <= sea_ports


def test_volumes_follow_member_size_and_season(sample_run):
    _, manifest = sample_run

    def movements(member: str, month: str | None = None) -> int:
        return sum(
            e.totals.get("movements", 0)
            for e in manifest.files
            if e.member == member and e.version == 1 and (month is None or e.period[5:] == month)
        )

    assert movements("AUS") > 1000 * movements("NIU") > 0
    assert movements("NZL") > 100 * movements("TKL") > 0
    # Per-year movements: millions for Australia, a few thousand for Niue and Tokelau.
    assert movements("AUS") / MONTHS * 12 > 10_000_000
    assert 1_000 < movements("NIU") / MONTHS * 12 < 20_000
    # December busier than the quiet month of February for the big members.
    assert movements("AUS", "12") > movements("AUS", "02")


def test_member_spellings_are_all_mapped(sample_run):
    """Every code-column value a member writes is a code, a contract label or in the seed."""
    landing, manifest = sample_run
    mapped = {
        (row["member_code"], row["code_list"], row["label_normalised"])
        for row in csv.DictReader(profiles.member_label_mappings_csv().splitlines())
    }
    unmapped = set()
    for entry in manifest.files:
        for dataset, frame in _read_file(landing, entry).items():
            for column in CONTRACT.dataset(dataset).columns:
                if column.type != "code" or column.name not in frame.columns:
                    continue
                known = {  # codes and contract labels, English or French (issue 16)
                    normalise_label(x)
                    for language in ("en", "fr")
                    for pair in CONTRACT.labels(column.code_list, language).items()
                    for x in pair
                }
                for value in set(frame[column.name]):
                    label = normalise_label(value)
                    if label not in known and (entry.member, column.code_list, label) not in mapped:
                        unmapped.add((entry.member, column.code_list, value))
    assert not unmapped
    assert any(member == "FJI" for member, _, _ in mapped)


def test_member_label_mappings_seed_is_current_and_well_formed():
    seed = SEEDS_DIR / "reference" / "member_label_mappings.csv"
    assert seed.read_text(encoding="utf-8") == profiles.member_label_mappings_csv(), (
        "run `python -m sample_data mappings` to refresh the seed"
    )
    rows = list(csv.DictReader(seed.open(encoding="utf-8")))
    assert rows
    keys = set()
    for row in rows:
        assert row["member_code"] in profiles.members()
        assert row["code"] in CONTRACT.codes(row["code_list"])
        assert row["label_normalised"] == normalise_label(row["label"])
        key = (row["member_code"], row["code_list"], row["label_normalised"])
        assert key not in keys, f"ambiguous member label {key}"
        keys.add(key)


def test_country_spellings_resolve_through_the_alias_seed(sample_run):
    aliases_csv = SEEDS_DIR / "reference" / "country_aliases.csv"
    if not aliases_csv.exists():
        pytest.skip("country_aliases.csv is not there yet")
    with aliases_csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    known = {row["alias_normalised"] for row in rows} | {
        normalise_label(row["country_code"]) for row in rows
    }
    landing, manifest = sample_run
    unresolved = set()
    for entry in manifest.files:
        for dataset, frame in _read_file(landing, entry).items():
            for column in CONTRACT.dataset(dataset).columns:
                if column.type == "country" and column.name in frame.columns:
                    unresolved |= {
                        (entry.member, v)
                        for v in set(frame[column.name])
                        if normalise_label(v) not in known
                    }
    assert not unresolved


def test_member_styles_include_names_demonyms_sports_codes_alpha2_and_groups(sample_run):
    landing, manifest = sample_run
    values = set()
    for entry in manifest.files:
        if entry.period != END and entry.period != month_list(END, 2)[0]:
            continue
        for dataset, frame in _read_file(landing, entry).items():
            for column in CONTRACT.dataset(dataset).columns:
                if column.type == "country" and column.name in frame.columns:
                    values |= set(frame[column.name])
    for expected in [
        "Chinese",
        "People's Republic of China",
        "USA",
        "FIJ",
        "SAM",
        "NZ",
        "Pacific Islands",
    ]:
        assert expected in values, expected
    assert any(v.endswith("(8)") for v in values)
    # The sample is seeded (seed 7): a member writing the old name reports in these months.
    assert "Western Samoa" in values


def test_some_members_break_victims_and_removals_down_by_sex_and_age(sample_run):
    landing, manifest = sample_run
    found: dict[tuple[str, str], set[str]] = {}
    for entry in manifest.files:
        for dataset, frame in _read_file(landing, entry).items():
            if dataset in ("facilitation", "removals") and len(frame) and "sex" in frame:
                ages = {a for a in frame["age_group"] if a != "_T"}
                if ages:
                    found.setdefault((entry.member, dataset), set()).update(ages)
    assert {member for member, _ in found} >= {"AUS", "FJI", "NZL"}
    # Fiji and Australia write five-year bands, New Zealand the broad ones; never both at once.
    assert "Y20T24" in found[("FJI", "facilitation")] | found[("FJI", "removals")]
    assert "Y0T17" not in found[("FJI", "removals")]
    assert found[("NZL", "facilitation")] <= {"Y0T17", "Y18T34", "Y35T54", "Y_GE55", "_U"}
    # Movements stay totals everywhere: CSV offices leave the columns out.
    for entry in manifest.files:
        if entry.file_format == "csv" and entry.datasets == ["movements"]:
            assert "sex" not in _read_file(landing, entry)["movements"], entry.path


def test_scale_widens_breakdowns_without_adding_members(tmp_path):
    one = generate_samples(tmp_path / "one" / "landing", seed=3, months=1, end_period=END)
    two = generate_samples(tmp_path / "two" / "landing", seed=3, months=1, end_period=END, scale=2)
    assert one.members == two.members
    rows_one = sum(sum(e.rows.values()) for e in one.files)
    rows_two = sum(sum(e.rows.values()) for e in two.files)
    assert rows_two > 1.5 * rows_one
