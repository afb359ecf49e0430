"""The landing watcher `make run` starts beside the dashboard, and what the Submit page says."""

from __future__ import annotations

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
    assert watcher.child_main(str(tmp_path / "home"), str(summary_file)) == 0
    assert homes == [tmp_path / "home"]
    told = json.loads(summary_file.read_text())
    assert told["summary"]["files_accepted"] == 2
    assert told["summary"]["published_path"] == str(tmp_path / "home" / "serving.duckdb")

    def failed(h):
        raise runner.PipelineError("the raw suites failed")

    monkeypatch.setattr(runner, "run_pipeline", failed)
    assert watcher.child_main(str(tmp_path / "home"), str(summary_file)) == 1
    assert json.loads(summary_file.read_text()) == {"error": "the raw suites failed"}


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


def test_a_stop_during_a_pipeline_run_ends_the_run_s_process_group_with_no_traceback(tmp_path):
    platform_home = make_home(tmp_path / "home").ensure()
    drop_a_return(platform_home)
    pids = tmp_path / "pids.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(platform_home.root), str(pids), SLOW_PIPELINE],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not pids.exists():
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the pipeline's child never started"
            time.sleep(0.05)
        grandchild = int(pids.read_text())
        assert read_heartbeat(platform_home).running_since is not None
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Traceback" not in output and "Error" not in output, output
    assert not heartbeat_path(platform_home).exists()
    deadline = time.monotonic() + 10
    while alive(grandchild):
        assert time.monotonic() < deadline, "the run's grandchild outlived the watcher"
        time.sleep(0.05)


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
