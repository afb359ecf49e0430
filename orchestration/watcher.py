"""A small landing watcher for a dashboard run without Dagster (``make run``/``make dashboard``).

Every ``interval`` seconds it looks for landing files the ledger does not have yet (or files
held for the Secretariat whose layouts changed) and, when there are any, runs the whole pipeline
once; the dashboard keeps serving the last publication until the new one is swapped in. Its
heartbeat (:mod:`pidc.heartbeat`) lets the Submit page say when an accepted return will be
published. With ``make dagster`` the landing sensor does this job instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from pidc.heartbeat import (
    DEFAULT_INTERVAL_SECONDS,
    Heartbeat,
    heartbeat_path,
    now_text,
    write_heartbeat,
)
from pidc.settings import Home


def watch_once(platform_home: Home, beat: Heartbeat) -> bool:
    """One look at landing; runs the pipeline when something is new. True when it ran."""
    import duckdb

    with stop_held():  # a stop landing in these imports waits for them (see `stop`)
        from ingestion.intake import pending_files
        from orchestration.runner import PipelineError, run_pipeline

    try:
        waiting = pending_files(platform_home)
    except duckdb.Error:  # another process holds the warehouse: look again next time
        waiting = 0
    beat.checked_at = now_text()
    if not waiting:
        write_heartbeat(platform_home, beat)
        return False
    beat.running_since = now_text()
    write_heartbeat(platform_home, beat)
    try:
        summary = run_pipeline(platform_home)
        beat.last_run_outcome = (
            f"published: {summary.get('files_accepted', 0)} files accepted, "
            f"{summary.get('files_rejected', 0)} rejected"
        )
    except PipelineError as error:
        beat.last_run_outcome = f"failed: {error}"[:500]
    beat.running_since = None
    beat.last_run_finished_at = beat.checked_at = now_text()
    write_heartbeat(platform_home, beat)
    return True


# How many `stop_held` blocks are open, and whether a stop came during one.
_held = {"depth": 0, "stop": False}


@contextlib.contextmanager
def stop_held():
    """A stop that comes inside the block is carried out when the block ends.

    Importing Dagster runs code that turns any exception into its own: pydantic-core's schema
    builder reported a stop landing there as ``SchemaError: ... SystemExit: 0`` and a traceback
    when the dashboard ended the watcher during its first imports.
    """
    _held["depth"] += 1
    try:
        yield
    finally:
        _held["depth"] -= 1
        if _held["stop"] and not _held["depth"]:
            _held["stop"] = False
            sys.exit(0)


def stop(signum: int, frame) -> None:
    """SIGTERM: leave through ``finally`` (``sys.exit``). Inside ``stop_held`` the exit waits
    for the block's end. A signal that lands in an import lock's callback would have its exit
    printed as a traceback and ignored there: the watcher is then stopped a moment later."""
    if _held["depth"]:
        _held["stop"] = True
        return
    if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    sys.exit(0)


def watch(platform_home: Home, interval: int = DEFAULT_INTERVAL_SECONDS) -> None:
    """Watch landing until stopped (Ctrl+C or the dashboard ending)."""
    beat = Heartbeat(pid=os.getpid(), interval_seconds=interval, checked_at=now_text())
    # The dashboard ends the watcher with SIGTERM: leave through `finally`, heartbeat removed.
    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            watch_once(platform_home, beat)
            time.sleep(interval)
    finally:
        heartbeat_path(platform_home).unlink(missing_ok=True)
