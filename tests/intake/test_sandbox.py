"""One file never takes down a batch, the pipeline or the dashboard (issue 13).

Files are checked and parsed in worker processes with hard limits (ingestion/sandbox.py): a
workbook whose far cell makes python-calamine abort, a parser that eats memory, loops or hangs,
costs only that file, which is quarantined with a plain report while the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.workbooks import far_cell_workbook

from ingestion import sandbox
from ingestion.intake import ingest_path, validate_file
from ingestion.template import write_template
from pidc.settings import home as make_home

TODAY = dt.date(2026, 11, 20)
HEADER = "member,period,port,nationality,reason,count\n"
GOOD_CSV = HEADER + "FJI,2026-09,FJNAN,Chinese,C,3\nFJI,2026-09,FJSUV,Indian,E,1\n"
PIDC = [sys.executable, "-c", "from cli.main import app; app()"]


def _pidc(*arguments: str, home: Path) -> subprocess.CompletedProcess:
    """``pidc`` in its own process, as an operator runs it (an abort there must not pass)."""
    return subprocess.run(
        [*PIDC, *arguments, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def _template(path: Path) -> Path:
    refusals = pd.DataFrame(
        {"port": ["FJNAN"], "nationality": ["CHN"], "reason": ["E"], "count": [3]}
    )
    return write_template(path, "FJI", "2026-09", returns={"refusals": refusals})


def test_validate_refuses_the_far_cell_workbook_with_a_plain_message(tmp_path):
    path = far_cell_workbook(tmp_path / "FJI_2026-09.xlsx")
    result = _pidc("validate", str(path), "--member", "FJI", home=tmp_path / "home")
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Verdict: REJECTED" in result.stdout
    assert "1,048,576 rows x 16,384 columns" in result.stdout
    assert "Delete the unused rows and columns" in result.stdout
    assert "memory allocation" not in result.stderr


def test_ingest_of_a_folder_with_the_far_cell_workbook_completes(tmp_path):
    home = make_home(tmp_path / "home").ensure()
    folder = home.landing / "FJI"
    folder.mkdir(parents=True)
    far_cell_workbook(folder / "FJI_return_2026-08.xlsx")
    (folder / "FJI_refusals_2026-09.csv").write_text(GOOD_CSV)
    _template(folder / "FJI_return_2026-09.xlsx")
    result = _pidc("ingest", str(home.landing), home=home.root)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    said = result.stdout + result.stderr  # the summary goes to the console (stderr)
    assert "2 accepted, 1 rejected" in said
    assert "rejected FJI_return_2026-08.xlsx" in said
    [quarantined] = [p for p in home.quarantine.iterdir() if p.is_dir()]
    assert (quarantined / "FJI_return_2026-08.xlsx").exists()
    report = json.loads((quarantined / "report.json").read_text(encoding="utf-8"))
    assert "1,048,576 rows x 16,384 columns" in report["problems"][0]["message"]


# Readers that misbehave for some files, run in the worker in place of the real one (by module
# and name, so they must live at the top level of this module).
MISBEHAVIOUR = {
    "FJI_refusals_2026-04.csv": "calamine",
    "FJI_refusals_2026-05.csv": "memory",
    "FJI_refusals_2026-06.csv": "loop",
    "FJI_refusals_2026-07.csv": "hang",
    "FJI_refusals_2026-08.csv": "bug",
}


def misbehaving_reader(path: Path, member: str | None):
    behaviour = MISBEHAVIOUR.get(path.name)
    if behaviour == "calamine":
        # What the safety check now stops: calamine sizing its grid from a cell at XFD1048576.
        from python_calamine import CalamineWorkbook

        far = far_cell_workbook(Path(tempfile.mkdtemp()) / "far.xlsx")
        CalamineWorkbook.from_path(str(far)).get_sheet_by_name("Return").to_python()
    elif behaviour == "memory":
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))
    elif behaviour == "loop":
        while True:
            pass
    elif behaviour == "hang":
        time.sleep(600)
    elif behaviour == "bug":
        raise KeyError("a parser bug")
    return sandbox.check_and_parse(path, member)


@pytest.fixture
def tight_limits(monkeypatch):
    monkeypatch.setattr(sandbox, "reader", misbehaving_reader)
    monkeypatch.setenv("PIDC_PARSE_MEMORY_MB", "800")
    monkeypatch.setenv("PIDC_PARSE_CPU_SECONDS", "1")
    # Wide enough over the processor time that the looping reader hits its processor limit
    # first even on a busy machine (intake reads two files at once while it imports Great
    # Expectations).
    monkeypatch.setenv("PIDC_PARSE_WALL_SECONDS", "15")
    monkeypatch.delenv("PIDC_PARSE_IN_PROCESS", raising=False)


def test_a_reader_that_aborts_exhausts_memory_loops_or_hangs_costs_only_its_file(
    tmp_path, tight_limits
):
    home = make_home(tmp_path / "home").ensure()
    folder = home.landing / "FJI"
    folder.mkdir(parents=True)
    for month in range(3, 10):
        text = GOOD_CSV.replace("2026-09", f"2026-{month:02d}")
        path = folder / f"FJI_refusals_2026-{month:02d}.csv"
        path.write_text(text)
        os.utime(path, (1_790_000_000 + month, 1_790_000_000 + month))
    started = time.perf_counter()
    outcomes = {o.file_name: o for o in ingest_path(home.landing, home, today=TODAY)}
    elapsed = time.perf_counter() - started
    assert {n: o.status for n, o in outcomes.items() if n not in MISBEHAVIOUR} == {
        "FJI_refusals_2026-03.csv": "accepted",
        "FJI_refusals_2026-09.csv": "accepted",
    }
    reasons = {
        "calamine": "most likely it asked for more memory than allowed (800 MB)",
        "memory": "it needed more than 800 MB of memory",
        "loop": "it used up its processor time of 1 s",
        "hang": "it took longer than 15 s",
        "bug": "the reader failed: KeyError",
    }
    for name, behaviour in MISBEHAVIOUR.items():
        outcome = outcomes[name]
        assert outcome.status == "rejected", (name, outcome.message)
        report = json.loads((outcome.report_path.parent / "report.json").read_text())
        [problem] = report["problems"]
        assert problem["rule"] == "unsafe_to_read"
        assert "the file could not be read safely" in problem["message"]
        assert reasons[behaviour] in problem["message"], problem["message"]
        assert "nothing in it was loaded" in problem["message"]
        assert (home.quarantine / outcome.submission_id / name).exists()
    # Each limit stopped its file (the hang after 15 s), not the test's own timeout.
    assert elapsed < 120
    # The batch went on and loaded the good files' rows.
    assert sum(o.rows_loaded for o in outcomes.values()) == 4


def test_a_dead_worker_is_replaced_and_refusals_travel_back_whole(
    tight_limits, tmp_path, monkeypatch
):
    path = tmp_path / "FJI_refusals_2026-04.csv"
    path.write_text(GOOD_CSV)
    with pytest.raises(sandbox.UnsafeToReadError, match="could not be read safely"):
        sandbox.read_file(path, "FJI")
    good = tmp_path / "FJI_refusals_2026-09.csv"
    good.write_text(GOOD_CSV)
    assert sandbox.read_file(good, "FJI").rows_read == 2
    # A relative path is read from the caller's working folder, whatever the worker's.
    monkeypatch.chdir(tmp_path)
    assert sandbox.read_file(Path(good.name), "FJI").rows_read == 2
    # Refusals and parse errors travel back whole: message, fix and who can fix it.
    bad = tmp_path / "FJI_permits_2026-09.xlsm"
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(Exception, match="macro-enabled") as refused:
        sandbox.read_file(bad, "FJI")
    assert refused.value.fix and refused.value.audience == "member"


def test_the_submit_page_never_parses_in_its_own_process(tmp_path, tight_limits):
    """An upload whose reading aborts (as calamine did on the far cell) is rejected with a plain
    report, and the dashboard's process, here the test's, goes on."""
    from app.data_access import Viewer
    from app.submission import submit_return

    officer = Viewer(role="member", member_code="FJI", name="FJI officer")
    home = make_home(tmp_path / "home")
    far = far_cell_workbook(tmp_path / "far.xlsx").read_bytes()
    refused = submit_return(officer, "FJI", "FJI_return_2026-08.xlsx", far, home)
    assert not refused.report.accepted and refused.landed_path is None
    assert "1,048,576 rows x 16,384 columns" in refused.report.errors[0].message
    aborting = submit_return(officer, "FJI", "FJI_refusals_2026-04.csv", GOOD_CSV.encode(), home)
    assert not aborting.report.accepted and aborting.landed_path is None
    assert "could not be read safely" in aborting.report.errors[0].message
    fine = submit_return(officer, "FJI", "FJI_refusals_2026-09.csv", GOOD_CSV.encode(), home)
    assert fine.report.accepted and fine.landed_path is not None


def test_the_sandbox_is_the_default_and_in_process_is_a_setting(monkeypatch, tmp_path):
    good = tmp_path / "FJI_refusals_2026-09.csv"
    good.write_text(GOOD_CSV)
    monkeypatch.setattr(sandbox, "reader", _pid_reader)
    monkeypatch.delenv("PIDC_PARSE_IN_PROCESS", raising=False)
    assert sandbox.read_file(good, "FJI") != os.getpid()
    monkeypatch.setenv("PIDC_PARSE_IN_PROCESS", "1")
    assert sandbox.read_file(good, "FJI") == os.getpid()


@pytest.fixture
def two_workers(monkeypatch, tmp_path):
    """A good return to read, with two workers allowed and none started yet (all stopped after)."""
    good = tmp_path / "FJI_refusals_2026-09.csv"
    good.write_text(GOOD_CSV)
    monkeypatch.delenv("PIDC_PARSE_IN_PROCESS", raising=False)
    monkeypatch.setenv("PIDC_PARSE_WORKERS", "2")
    sandbox.shutdown()
    try:
        yield good
    finally:
        sandbox.shutdown()


def test_workers_started_ahead_are_the_ones_that_read(monkeypatch, two_workers):
    # pidc pipeline starts the readers while it imports Dagster and dbt; intake then reads with
    # those same processes, which still refuse what they refused and read what they read.
    starting = sandbox.start_workers()
    assert starting is not None
    # Asked again while they start (pidc pipeline, then run_pipeline): no more workers.
    assert sandbox.start_workers() is starting
    starting.join(timeout=60)
    assert sandbox.idle_workers() == 2
    sandbox.start_workers().join(timeout=60)  # asked once they are up: none to add
    assert sandbox.idle_workers() == 2
    started = {
        worker.process.pid
        for worker in sandbox._pool(sandbox.SandboxLimits.from_environment()).idle
    }
    monkeypatch.setattr(sandbox, "reader", _pid_reader)
    assert sandbox.read_file(two_workers, "FJI") in started
    assert sandbox.idle_workers() == 2  # no third worker was started
    monkeypatch.setenv("PIDC_PARSE_IN_PROCESS", "1")
    assert sandbox.start_workers() is None  # parsing in-process: no worker to start


def test_workers_are_started_up_to_the_setting_beside_one_a_first_file_started(two_workers):
    # A process that read a file first (a dry run, the Submit page) has one worker; asked for
    # its readers (PIDC_PARSE_WORKERS), it starts the others rather than counting that one again.
    sandbox.read_file(two_workers, "FJI")
    assert sandbox.idle_workers() == 1
    sandbox.start_workers().join(timeout=60)
    assert sandbox.idle_workers() == 2
    idle = sandbox._pool(sandbox.SandboxLimits.from_environment()).idle
    assert len({worker.process.pid for worker in idle}) == 2
    sandbox.start_workers().join(timeout=60)
    assert sandbox.idle_workers() == 2


def _pid_reader(path, member):
    return os.getpid()


# --- a bounded report, however many problems a file has ---------------------------------------


def test_a_file_of_many_bad_rows_lists_a_bounded_number_of_problems(tmp_path, monkeypatch):
    """The issue's 24.9 MB CSV of duplicate rows made 1.4 GB of reports; the cap is lowered
    here so the file can stay small."""
    monkeypatch.setenv("PIDC_MAX_PROBLEMS", "50")
    home = make_home(tmp_path / "home").ensure()
    folder = home.landing / "FJI"
    folder.mkdir(parents=True)
    rows = ["FJI,2026-09,FJNAN,Chinese,C,3"] * 1500
    rows += [f"FJI,2026-09,FJNAN,Atlantis {n},C,3" for n in range(300)]
    path = folder / "FJI_refusals_2026-09.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")

    report = validate_file(path, "FJI", today=TODAY)
    assert len(report.problems) == 50
    assert report.error_count == 1800 and not report.accepted
    unlisted = {(e["column"], e["rule"]): e["count"] for e in report.unlisted}
    assert sum(unlisted.values()) == 1750
    assert set(unlisted) <= {
        (None, "ExpectCompoundColumnsToBeUnique"),
        ("nationality", "ExpectColumnValuesToNotBeNull"),
        ("nationality", "ExpectColumnValuesToBeInSet"),
    }
    assert "(1,750 problems not listed)" in report.summary()

    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "rejected" and outcome.rows_rejected == 1800
    folder = outcome.report_path.parent
    document = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert len(document["problems"]) == 50 and document["error_count"] == 1800
    assert sum(e["count"] for e in document["problems_not_listed"]) == 1750
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "## Not listed" in markdown and "1,750 more were found" in markdown
    assert "Not listed" in (folder / "report.html").read_text(encoding="utf-8")
    # The reports stay small: 50 rows of problems and a line per kind, not 1,800 rows.
    assert sum(f.stat().st_size for f in folder.iterdir()) < 100_000


def test_parse_problems_are_bounded_in_the_worker_too(tmp_path, monkeypatch):
    monkeypatch.setenv("PIDC_MAX_PROBLEMS", "20")
    path = tmp_path / "FJI_refusals_2026-09.csv"
    extra = ",".join(f"extra{n}" for n in range(60))
    path.write_text(HEADER.strip() + "," + extra + "\nFJI,2026-09,FJNAN,Chinese,C,3" + ",x" * 60)
    parsed = sandbox.read_file(path, "FJI")
    assert len(parsed.problems) == 20
    # Counted per kind: here one per extra column, 40 of them past the first 20.
    assert {e["rule"] for e in parsed.unlisted} == {"parse"}
    assert sum(e["count"] for e in parsed.unlisted) == 40
    report = validate_file(path, "FJI", today=TODAY)
    assert len(report.problems) == 20 and report.error_count == 60


def test_errors_are_listed_before_warnings_and_an_unlisted_error_still_rejects():
    from ingestion.report import ERROR, WARNING, Problem, ValidationReport

    warnings = [Problem(WARNING, f"look at {n}", "", row=n) for n in range(10)]
    errors = [Problem(ERROR, f"wrong {n}", "fix", row=n, column="count") for n in range(5)]
    report = ValidationReport("f.csv", "", problems=warnings + errors).cap(3)
    assert [p.severity for p in report.problems] == [ERROR] * 3
    assert report.error_count == 5 and report.warning_count == 10
    assert not report.accepted
    only_warnings = ValidationReport("f.csv", "", problems=warnings).cap(3)
    assert only_warnings.accepted and len(only_warnings.problems) == 3
    # An error that is only counted still rejects the file.
    counted = ValidationReport("f.csv", "", problems=warnings[:3], unlisted=[])
    counted.unlisted.append(
        {"severity": ERROR, "audience": "member", "dataset": None, "column": "count",
         "rule": "parse", "example": "wrong", "fix": "", "count": 7}
    )  # fmt: skip
    assert not counted.accepted and counted.error_count == 7
    again = ValidationReport.from_dict(json.loads(counted.to_json()))
    assert again.unlisted == counted.unlisted and not again.accepted


# --- property: random and mutated files never crash or hang intake --------------------------

WALL_SECONDS = 30


def _valid_template_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return _template(Path(folder) / "FJI.xlsx").read_bytes()


VALID = {".csv": GOOD_CSV.encode(), ".xlsx": _valid_template_bytes()}


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (kind, position, bytes) edits: 0 overwrite, 1 insert, 2 delete, 3 repeat a slice."""
    for kind, position, chunk in edits:
        at = position % (len(data) + 1)
        if kind == 0:
            data = data[:at] + chunk + data[at + len(chunk) :]
        elif kind == 1:
            data = data[:at] + chunk + data[at:]
        elif kind == 2:
            data = data[:at] + data[at + len(chunk) * 7 :]
        else:
            data = data[:at] + data[at : at + 200] * (len(chunk) + 1) + data[at:]
    return data


def _mutate_part(data: bytes, part_index: int, edits) -> bytes:
    """A workbook with one of its XML parts mutated and the zip written again (valid zip)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    target = names[part_index % len(names)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            content = source.read(name)
            archive.writestr(name, _mutate(content, edits) if name == target else content)
    return out.getvalue()


def _move_a_cell(data: bytes, part_index: int, row: int, column: int) -> bytes:
    """A workbook with one cell of one of its sheets moved to (row, column), its <dimension>
    left as it was (the far-cell workbook of the issue is one of these)."""
    from ingestion.safety import column_letters

    source = zipfile.ZipFile(io.BytesIO(data))
    sheets = [n for n in source.namelist() if n.startswith("xl/worksheets/")]
    target = sheets[part_index % len(sheets)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            content = source.read(name)
            if name == target:
                moved = f'<c r="{column_letters(column)}{row}"'.encode()
                content = re.sub(rb'<c r="[A-Z]+\d+"', moved, content, count=1)
            archive.writestr(name, content)
    return out.getvalue()


edits = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=40)),
    min_size=1,
    max_size=6,
)
hostile_files = st.one_of(
    st.tuples(st.sampled_from([".csv", ".xlsx"]), st.binary(max_size=4000)),
    st.builds(lambda s, e: (s, _mutate(VALID[s], e)), st.sampled_from([".csv", ".xlsx"]), edits),
    st.builds(
        lambda i, e: (".xlsx", _mutate_part(VALID[".xlsx"], i, e)), st.integers(0, 50), edits
    ),
    st.builds(
        lambda i, r, c: (".xlsx", _move_a_cell(VALID[".xlsx"], i, r, c)),
        st.integers(0, 20),
        st.integers(1, 1_048_576),
        st.integers(1, 16_384),
    ),
)


@pytest.fixture(scope="module")
def warm():
    """One validation first: imports and the first worker are not what the property times."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "FJI_refusals_2026-09.csv"
        path.write_text(GOOD_CSV)
        assert validate_file(path, "FJI", today=TODAY).accepted


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hostile_files)
def test_random_and_mutated_files_never_crash_or_hang_validation(warm, monkeypatch_env, file):
    suffix, data = file
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"FJI_refusals_2026-09{suffix}"
        path.write_bytes(data)
        started = time.perf_counter()
        report = validate_file(path, "FJI", today=TODAY)
        elapsed = time.perf_counter() - started
    assert report.verdict in ("accepted", "rejected")
    assert all(problem.message for problem in report.problems)
    assert report.accepted or report.errors
    # Reading is bounded by the wall limit; validation of what was read comes on top.
    assert elapsed < WALL_SECONDS + 30, elapsed


@pytest.fixture(scope="module")
def monkeypatch_env():
    """The property's limits, for the whole module's examples."""
    patch = pytest.MonkeyPatch()
    patch.setenv("PIDC_PARSE_WALL_SECONDS", str(WALL_SECONDS))
    patch.delenv("PIDC_PARSE_IN_PROCESS", raising=False)
    yield
    patch.undo()
