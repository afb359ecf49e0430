"""The landing watcher `make run` starts beside the dashboard, and what the Submit page says."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types

import pytest

from orchestration import runner, watcher
from orchestration.watcher import watch_once
from pidc.heartbeat import Heartbeat, heartbeat_path, read_heartbeat, when_published
from pidc.settings import PROJECT_ROOT
from pidc.settings import home as make_home

# A stand-in for the pipeline's child process (``watcher.pipeline_command``): it notes in
# ``runs.txt`` of the home that it ran and whether it leads its own process group, then tells the
# watcher what the test asks for: a summary (exit 0), an error (exit 1) or nothing (exit 3).
FAKE_PIPELINE = textwrap.dedent("""
    import json, os, sys
    root, summary_file, told = sys.argv[1:4]
    with open(os.path.join(root, "runs.txt"), "a") as runs:
        runs.write(f"{os.getpgrp() == os.getpid()}\\n")
    told = json.loads(told)
    if told:
        with open(summary_file, "w") as out:
            json.dump(told, out)
    sys.exit(0 if "summary" in told else 1 if told else 3)
""")


def fake_pipeline(monkeypatch, told: dict) -> None:
    monkeypatch.setattr(
        watcher,
        "pipeline_command",
        lambda h, summary: [
            sys.executable,
            "-c",
            FAKE_PIPELINE,
            str(h.root),
            str(summary),
            json.dumps(told),
        ],
    )


def drop_a_return(platform_home) -> None:
    upload = platform_home.landing / "FJI" / "FJI_refusals_2026-10.csv"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("member,period,port,nationality,reason,count\n")


def test_the_watcher_runs_the_pipeline_only_when_landing_has_something_new(tmp_path, monkeypatch):
    platform_home = make_home(tmp_path / "home").ensure()
    fake_pipeline(monkeypatch, {"summary": {"files_accepted": 1, "files_rejected": 0}})
    runs = platform_home.root / "runs.txt"
    beat = Heartbeat(pid=1, interval_seconds=60, checked_at="2026-12-01T00:00:00+00:00")
    assert watch_once(platform_home, beat) is False
    assert not runs.exists()
    drop_a_return(platform_home)
    assert watch_once(platform_home, beat) is True
    # One run, in a child process leading its own process group (a stop ends the group whole).
    assert runs.read_text().splitlines() == ["True"]
    alive = read_heartbeat(platform_home)
    assert alive is not None
    assert alive.last_run_outcome == "published: 1 files accepted, 0 rejected"
    assert alive.running_since is None


@pytest.mark.parametrize(
    ("told", "outcome"),
    [
        ({"error": "dbt build failed: 2 tests"}, "failed: dbt build failed: 2 tests"),
        ({}, "failed: the pipeline process ended with exit code 3"),
    ],
)
def test_a_failed_run_in_the_child_is_told_on_the_heartbeat(tmp_path, monkeypatch, told, outcome):
    platform_home = make_home(tmp_path / "home").ensure()
    fake_pipeline(monkeypatch, told)
    drop_a_return(platform_home)
    assert watch_once(platform_home, Heartbeat(pid=1, interval_seconds=60, checked_at=""))
    alive = read_heartbeat(platform_home)
    assert alive is not None and alive.last_run_outcome == outcome


def test_the_child_runs_the_pipeline_and_writes_its_summary_or_error(tmp_path, monkeypatch):
    """What ``python -m orchestration.watcher HOME SUMMARY`` does, here in this process."""
    summary_file = tmp_path / "summary.json"
    homes = []

    def published(h):
        homes.append(h.root)
        return {"files_accepted": 2, "files_rejected": 1, "published_path": h.serving}

    monkeypatch.setattr(runner, "run_pipeline", published)
    steps = go_when_read(monkeypatch)
    assert watcher.child_main(str(tmp_path / "home"), str(summary_file)) == 0
    # Ready first (Great Expectations warmed up), then the wait for "go", then the run.
    assert steps == ["warmed up", "waited for go"]
    assert homes == [tmp_path / "home"]
    told = json.loads(summary_file.read_text())
    assert told["summary"]["files_accepted"] == 2
    assert told["summary"]["published_path"] == str(tmp_path / "home" / "serving.duckdb")

    def failed(h):
        raise runner.PipelineError("the raw suites failed")

    monkeypatch.setattr(runner, "run_pipeline", failed)
    go_when_read(monkeypatch)
    assert watcher.child_main(str(tmp_path / "home"), str(summary_file)) == 1
    assert json.loads(summary_file.read_text()) == {"error": "the raw suites failed"}

    # Its input closed before any "go" (the watcher has gone): it ends without running.
    monkeypatch.setattr(runner, "run_pipeline", lambda h: pytest.fail("ran without a go"))
    summary_file.unlink()
    go_when_read(monkeypatch, line="")
    assert watcher.child_main(str(tmp_path / "home"), str(summary_file)) == 0
    assert not summary_file.exists()


def go_when_read(monkeypatch, line: str = "go\n") -> list[str]:
    """The child's warm-up and its standard input, stood in for: the steps, in order."""
    import threading

    from expectations import suites

    steps: list[str] = []

    def warm_up():
        steps.append("warmed up")
        thread = threading.Thread(target=lambda: None)
        thread.start()
        return thread

    def readline():
        steps.append("waited for go")
        return line

    monkeypatch.setattr(suites, "warm_up", warm_up)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(readline=readline))
    return steps


# A stand-in for the pipeline's child that is started ahead: it notes in ``children.txt`` that
# it is ready (with its process id), waits for a line on its input, then notes what it got.
READY_PIPELINE = textwrap.dedent("""
    import json, os, sys
    root, summary_file = sys.argv[1:3]
    def note(text):
        with open(os.path.join(root, "children.txt"), "a") as out:
            out.write(f"{os.getpid()} {text}\\n")
    note("ready")
    line = sys.stdin.readline().strip()
    note(line or "input closed")
    if line == "go":
        with open(summary_file, "w") as out:
            json.dump({"summary": {"files_accepted": 1, "files_rejected": 0}}, out)
""")


def ready_pipeline(monkeypatch) -> None:
    monkeypatch.setattr(
        watcher,
        "pipeline_command",
        lambda h, summary: [sys.executable, "-c", READY_PIPELINE, str(h.root), str(summary)],
    )


def children(platform_home, count: int) -> list[str]:
    """The children's notes once there are ``count`` of them."""
    notes = platform_home.root / "children.txt"
    deadline = time.monotonic() + 60
    while True:
        lines = notes.read_text().splitlines() if notes.exists() else []
        if len(lines) >= count:
            return lines
        assert time.monotonic() < deadline, lines
        time.sleep(0.02)


def test_the_next_run_s_child_is_started_ahead_and_runs_at_go(tmp_path, monkeypatch):
    """A look that finds nothing new starts the next run's child, which waits, ready; the run
    that follows uses it (its imports already paid) and the look after it starts another."""
    platform_home = make_home(tmp_path / "home").ensure()
    ready_pipeline(monkeypatch)
    beat = Heartbeat(pid=1, interval_seconds=60, checked_at="")
    try:
        assert watch_once(platform_home, beat) is False  # the first look: nothing started
        assert not (platform_home.root / "children.txt").exists()
        assert watch_once(platform_home, beat, warm=True) is False
        [ready] = children(platform_home, 1)
        standby = ready.split()[0]
        assert watch_once(platform_home, beat, warm=True) is False  # one ready is enough
        time.sleep(0.2)
        assert children(platform_home, 1) == [f"{standby} ready"]
        drop_a_return(platform_home)
        assert watch_once(platform_home, beat, warm=True) is True
        assert children(platform_home, 2) == [f"{standby} ready", f"{standby} go"]
        alive = read_heartbeat(platform_home)
        assert alive.last_run_outcome == "published: 1 files accepted, 0 rejected"
        from ingestion import intake

        monkeypatch.setattr(intake, "pending_files", lambda h: 0)
        assert watch_once(platform_home, beat, warm=True) is False
        next_one = children(platform_home, 3)[2]
        assert next_one.endswith(" ready") and not next_one.startswith(f"{standby} ")
    finally:
        watcher._end_child()
        watcher._forget_child()


def test_a_ready_child_that_ended_by_itself_is_not_restarted_every_minute(tmp_path, monkeypatch):
    """A child that dies while it waits (imports broken, killed) is not replaced at every look;
    the next run starts one afresh and reports what happened to it."""
    platform_home = make_home(tmp_path / "home").ensure()
    fake_pipeline(monkeypatch, {})  # ends at once, with exit code 3
    beat = Heartbeat(pid=1, interval_seconds=60, checked_at="")
    runs = platform_home.root / "runs.txt"
    assert watch_once(platform_home, beat, warm=True) is False
    watcher._child["process"].wait(timeout=30)
    for _ in range(3):
        assert watch_once(platform_home, beat, warm=True) is False
    assert runs.read_text().splitlines() == ["True"]  # started once, never again
    drop_a_return(platform_home)
    assert watch_once(platform_home, beat, warm=True) is True
    assert runs.read_text().splitlines() == ["True", "True"]
    outcome = read_heartbeat(platform_home).last_run_outcome
    assert outcome == "failed: the pipeline process ended with exit code 3"
    assert watcher._child["process"] is None and watcher._child["ended_early"] is False


def test_the_real_ready_child_imports_the_pipeline_then_ends_when_its_input_closes(tmp_path):
    """``python -m orchestration.watcher`` started ahead: it gets ready and waits; closing its
    input (the watcher gone) ends it with exit code 0, having run nothing."""
    platform_home = make_home(tmp_path / "home").ensure()
    watcher.start_child(platform_home)
    process = watcher._child["process"]
    try:
        time.sleep(1)
        assert process.poll() is None  # waiting, or still getting ready
        process.stdin.close()
        assert process.wait(timeout=120) == 0
        assert not platform_home.warehouse.exists() and not platform_home.serving.exists()
    finally:
        watcher._end_child()
        watcher._forget_child()


# The pipeline's stand-in for the next test: it starts a grandchild (as a run starts dbt and
# intake's readers), writes the grandchild's process id, and both wait.
SLOW_PIPELINE = textwrap.dedent("""
    import subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(sys.argv[1] + ".part", "w") as out:
        out.write(str(grandchild.pid))
    import os; os.replace(sys.argv[1] + ".part", sys.argv[1])
    time.sleep(120)
""")
# A real watcher process whose pipeline is SLOW_PIPELINE.
WATCHER = textwrap.dedent("""
    import sys
    from orchestration import watcher
    from pidc.settings import home
    slow, pids = sys.argv[3], sys.argv[2]
    watcher.pipeline_command = lambda h, summary: [sys.executable, "-c", slow, pids]
    watcher.watch(home(sys.argv[1]).ensure(), 60)
""")


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def watcher_process(script: str, platform_home, *arguments, **environment: str):
    """A real watcher process: ``script`` run with the home and ``arguments``, ``environment``
    added to this one's, its output (stdout and stderr together) to read; killed at the end of
    the block if it still runs."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(platform_home.root), *map(str, arguments)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop_cleanly(process: subprocess.Popen) -> None:
    """SIGTERM, as the dashboard ends the watcher: it exits 0 and prints no traceback."""
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output and "Error" not in output, output


def assert_ends(pid: int, message: str) -> None:
    """``pid`` ends within 10 s."""
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def test_a_stop_during_a_pipeline_run_ends_the_run_s_process_group_with_no_traceback(tmp_path):
    platform_home = make_home(tmp_path / "home").ensure()
    drop_a_return(platform_home)
    pids = tmp_path / "pids.txt"
    with watcher_process(WATCHER, platform_home, pids, SLOW_PIPELINE) as process:
        deadline = time.monotonic() + 60
        while not pids.exists():
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the pipeline's child never started"
            time.sleep(0.05)
        grandchild = int(pids.read_text())
        assert read_heartbeat(platform_home).running_since is not None
        stop_cleanly(process)
    assert not heartbeat_path(platform_home).exists()
    assert_ends(grandchild, "the run's grandchild outlived the watcher")


# A real watcher process looking every second, whose pipeline's child is READY_PIPELINE.
READY_WATCHER = textwrap.dedent("""
    import sys
    from orchestration import watcher
    from pidc.settings import home
    ready = sys.argv[2]
    watcher.pipeline_command = lambda h, summary: [
        sys.executable, "-c", ready, str(h.root), str(summary)]
    watcher.watch(home(sys.argv[1]).ensure(), 1)
""")


def test_a_stop_ends_the_child_waiting_ready_too(tmp_path):
    """The watcher started ahead of time a child that waits for its next run; the dashboard
    ending the watcher ends that child as well (it has a process group of its own, which Ctrl+C
    and the dashboard's SIGTERM never reach), with no traceback."""
    platform_home = make_home(tmp_path / "home").ensure()
    with watcher_process(READY_WATCHER, platform_home, READY_PIPELINE) as process:
        [ready] = children(platform_home, 1)  # started at the second look, not the first
        child = int(ready.split()[0])
        assert alive(child)
        stop_cleanly(process)
    assert_ends(child, "the child waiting ready outlived the watcher")
    # It was ended, not told to run: it never noted a "go".
    assert not any(line.endswith(" go") for line in children(platform_home, 1))


# A real watcher process whose look at landing is a DuckDB query of a second or more, begun
# just after it writes the file given second.
QUERYING_WATCHER = textwrap.dedent("""
    import pathlib, sys
    import duckdb
    import ingestion.intake
    from orchestration import watcher
    from pidc.settings import home
    def slow_look(platform_home):
        marker = pathlib.Path(sys.argv[2])
        marker.write_text("querying")
        duckdb.connect().execute(
            "select count(*) from range(400000000) t where t.range % 7 = 3").fetchall()
        marker.write_text("queried")
        return 0
    ingestion.intake.pending_files = slow_look
    watcher.watch(home(sys.argv[1]).ensure(), 60)
""")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "dashboard"])
def test_a_stop_while_the_watcher_queries_the_ledger_exits_with_no_traceback(tmp_path, signum):
    """Ctrl+C while the watcher looks at landing: the stop's exit, raised inside the DuckDB
    query, came out as "RuntimeError: Query interrupted" and a traceback (in two newcomer
    runs), for the dashboard's SIGTERM too. The stop now waits for the look to end."""
    platform_home = make_home(tmp_path / "home").ensure()
    querying = tmp_path / "querying.txt"
    with watcher_process(QUERYING_WATCHER, platform_home, querying) as process:
        deadline = time.monotonic() + 60
        while not querying.exists():
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the watcher never looked at landing"
            time.sleep(0.02)
        time.sleep(0.5)  # inside DuckDB's query, not in the Python lines before it
        assert querying.read_text() == "querying", "the query ended before the stop: make it longer"
        process.send_signal(signum)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Traceback" not in output and "Error" not in output, output
    assert not heartbeat_path(platform_home).exists()


def test_a_machine_short_of_memory_can_turn_the_ready_child_off(tmp_path):
    """PIDC_WATCHER_READY_CHILD=0: no child waits between runs (each starts when a return
    lands, as before)."""
    platform_home = make_home(tmp_path / "home").ensure()
    with watcher_process(
        READY_WATCHER, platform_home, READY_PIPELINE, PIDC_WATCHER_READY_CHILD="0"
    ) as process:
        deadline = time.monotonic() + 60
        while (beat := read_heartbeat(platform_home)) is None or beat.checked_at is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first = beat.checked_at
        while read_heartbeat(platform_home).checked_at == first:  # a second look, then a third
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.5)
        assert not (platform_home.root / "children.txt").exists()
        stop_cleanly(process)


def test_the_submit_page_says_when_an_accepted_return_is_published(tmp_path, monkeypatch):
    platform_home = make_home(tmp_path / "home").ensure()
    assert "next pipeline run" in when_published(platform_home)  # no watcher: say who runs it
    fake_pipeline(monkeypatch, {"summary": {}})
    watch_once(platform_home, Heartbeat(pid=1, interval_seconds=60, checked_at=""))
    assert "every 1 minute" in when_published(platform_home)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    assert read_heartbeat(platform_home, now=later) is None  # a dead watcher is not trusted
    assert "next pipeline run" in when_published(platform_home, now=later)


def test_a_stop_that_lands_in_an_import_lock_callback_is_sent_again_not_lost(monkeypatch):
    """SIGTERM during an import (where an exit would be printed as a traceback and ignored,
    as one newcomer run showed) stops the watcher a moment later; anywhere else, at once."""
    from orchestration import watcher

    sent = []
    monkeypatch.setattr(watcher.os, "kill", lambda pid, signum: sent.append((pid, signum)))
    in_import = types.SimpleNamespace(f_code=types.SimpleNamespace(
        co_filename="<frozen importlib._bootstrap>"))  # fmt: skip
    watcher.stop(signal.SIGTERM, in_import)  # no exit here
    deadline = time.monotonic() + 10
    while not sent:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert sent == [(watcher.os.getpid(), signal.SIGTERM)]
    with pytest.raises(SystemExit):
        watcher.stop(signal.SIGTERM, sys._getframe())


def test_a_stop_during_the_watchers_imports_waits_for_them_then_exits():
    """A SIGTERM that lands while Dagster is imported (where pydantic-core turned the exit into
    a ``SchemaError`` and a traceback, in one newcomer run) is carried out once they end."""
    from orchestration import watcher

    reached = []
    previous = signal.signal(signal.SIGTERM, watcher.stop)
    try:
        with pytest.raises(SystemExit), watcher.stop_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler has run by now, and not exited
            reached.append("end of the block")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert reached == ["end of the block"]
    with watcher.stop_held():  # nothing held over from the stop above
        pass
