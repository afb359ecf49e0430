"""The landing watcher `make run` starts beside the dashboard, and what the Submit page says."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
import types

import pytest

from orchestration import runner
from orchestration.watcher import watch_once
from pidc.heartbeat import Heartbeat, read_heartbeat, when_published
from pidc.settings import home as make_home


def test_the_watcher_runs_the_pipeline_only_when_landing_has_something_new(tmp_path, monkeypatch):
    platform_home = make_home(tmp_path / "home").ensure()
    runs = []
    monkeypatch.setattr(runner, "run_pipeline", lambda h: runs.append(h) or {"files_accepted": 1})
    beat = Heartbeat(pid=1, interval_seconds=60, checked_at="2026-12-01T00:00:00+00:00")
    assert watch_once(platform_home, beat) is False
    assert runs == []
    upload = platform_home.landing / "FJI" / "FJI_refusals_2026-10.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("member,period,port,nationality,reason,count\n")
    assert watch_once(platform_home, beat) is True
    assert runs == [platform_home]
    alive = read_heartbeat(platform_home)
    assert alive is not None and alive.last_run_outcome.startswith("published: 1 files")
    assert alive.running_since is None


def test_the_submit_page_says_when_an_accepted_return_is_published(tmp_path, monkeypatch):
    platform_home = make_home(tmp_path / "home").ensure()
    assert "next pipeline run" in when_published(platform_home)  # no watcher: say who runs it
    monkeypatch.setattr(runner, "run_pipeline", lambda h: {})
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
