"""A small landing watcher for a dashboard run without Dagster (``make run``/``make dashboard``).

Every ``interval`` seconds it looks for landing files the ledger does not have yet (or files
held for the Secretariat whose layouts changed) and, when there are any, runs the whole pipeline
once; the dashboard keeps serving the last publication until the new one is swapped in. Its
heartbeat (:mod:`pidc.heartbeat`) lets the Submit page say when an accepted return will be
published. With ``make dagster`` the landing sensor does this job instead.

Each pipeline run is a child process of its own (``python -m orchestration.watcher HOME
SUMMARY``), in its own process group. A stop (the dashboard ending, Ctrl+C) ends that whole group
at once, dbt included, as ``kill -9`` would (intake and publish leave nothing half-written: both
are tested against it), and the watcher leaves without a traceback: library code the pipeline
runs can no longer catch the stop and print it as its own error, as pydantic-core did once.

The child is started ahead, warm: after a look that found nothing new (never the first look,
which shares the machine with the dashboard's first pages), the watcher starts the next run's
child, which imports the pipeline's code and gets Great Expectations ready (about 7 s in a
fresh process), then waits for a line on its standard input. When landing has something new,
the watcher sends ``go`` and the run starts at once, its imports already paid. The child reads
the dbt project, the seeds and the settings only when it runs, so a change made meanwhile is
seen. It ends, without running, when its input closes (the watcher has gone, whatever the way).
``PIDC_WATCHER_READY_CHILD=0`` turns this off (the waiting child holds about 385 MB).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pidc.heartbeat import (
    DEFAULT_INTERVAL_SECONDS,
    Heartbeat,
    heartbeat_path,
    now_text,
    write_heartbeat,
)
from pidc.settings import PROJECT_ROOT, Home
from pidc.settings import home as make_home


def watch_once(platform_home: Home, beat: Heartbeat, *, warm: bool = False) -> bool:
    """One look at landing; runs the pipeline when something is new. True when it ran.

    ``warm``: when nothing is new, start the next run's child ahead (see the module's note).
    """
    with stop_held():  # a stop landing in these imports waits for them (see `stop`)
        import duckdb

        from ingestion.intake import pending_files

    # A stop waits for the look (milliseconds): a stop's exit raised inside a DuckDB query comes
    # out as "RuntimeError: Query interrupted" and a traceback (a newcomer run, Ctrl+C).
    with stop_held():
        try:
            waiting = pending_files(platform_home)
        except duckdb.Error:  # another process holds the warehouse: look again next time
            waiting = 0
    beat.checked_at = now_text()
    if not waiting:
        write_heartbeat(platform_home, beat)
        if warm:
            keep_a_child_ready(platform_home)
        return False
    beat.running_since = now_text()
    write_heartbeat(platform_home, beat)
    beat.last_run_outcome = run_in_child(platform_home)
    beat.running_since = None
    beat.last_run_finished_at = beat.checked_at = now_text()
    write_heartbeat(platform_home, beat)
    return True


def pipeline_command(platform_home: Home, summary_file: Path) -> list[str]:
    """The child process that runs one pipeline (:func:`child_main`)."""
    return [
        sys.executable,
        "-m",
        "orchestration.watcher",
        str(platform_home.root),
        str(summary_file),
    ]


def start_child(platform_home: Home) -> None:
    """Start a pipeline's child: it gets ready, then waits for ``go`` (:func:`run_in_child`).

    The child is known to :func:`stop` from the moment it starts, so a stop never leaves it
    running on its own.
    """
    folder = tempfile.TemporaryDirectory(prefix="pidc-watcher-")
    with stop_held():  # a stop now is carried out once the child is known, ending it too
        _child["process"] = subprocess.Popen(  # noqa: S603 - our own module, paths from settings
            pipeline_command(platform_home, Path(folder.name) / "summary.json"),
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            start_new_session=True,  # its own group: dbt and intake's readers end with it
        )
        _child["folder"] = folder


def _forget_child() -> None:
    """The child has ended (or was never started): drop it and its folder."""
    process, folder = _child["process"], _child["folder"]
    _child["process"] = _child["folder"] = None
    if process is not None and process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    if folder is not None:
        folder.cleanup()


def keep_a_child_ready(platform_home: Home) -> None:
    """Start the next run's child ahead, unless one waits already. One that ended by itself
    (its imports failed, it was killed) is not replaced until the next run, which reports why:
    a broken installation must not cost a start every minute."""
    process = _child["process"]
    if process is not None and process.poll() is None:
        return
    if process is not None:
        _forget_child()
        _child["ended_early"] = True
    if not _child["ended_early"]:
        start_child(platform_home)


def run_in_child(platform_home: Home) -> str:
    """Run the pipeline once in a child process group (the one waiting ready, else a new one);
    what the heartbeat says of the run."""
    process = _child["process"]
    if process is None or process.poll() is not None:
        _forget_child()
        start_child(platform_home)
        process = _child["process"]
    assert process is not None and process.stdin is not None
    try:
        process.stdin.write(b"go\n")
        process.stdin.close()
    except OSError:  # it ended meanwhile: its exit code says so below
        pass
    try:
        code = process.wait()
        try:
            summary_file = Path(_child["folder"].name) / "summary.json"
            told = json.loads(summary_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            told = {}
    finally:
        _forget_child()
        _child["ended_early"] = False
    if code == 0 and "summary" in told:
        summary = told["summary"]
        return (
            f"published: {summary.get('files_accepted', 0)} files accepted, "
            f"{summary.get('files_rejected', 0)} rejected"
        )
    reason = told.get("error") or f"the pipeline process ended with exit code {code}"
    return f"failed: {reason}"[:500]


def child_main(root: str, summary_file: str) -> int:
    """The child: gets the pipeline's code and Great Expectations ready, waits for ``go`` on
    its standard input, then runs one pipeline on the home at ``root``; its summary, or the
    error that stopped it, written as JSON to ``summary_file``. Ends without running (exit 0)
    when its input closes first."""
    from expectations.suites import warm_up
    from orchestration.runner import PipelineError, run_pipeline
    from orchestration.warm_dbt import start_server

    start_server()  # dbt imported ahead as well (orchestration.warm_dbt)
    warm_up().join()
    if sys.stdin.readline().strip() != "go":
        return 0
    try:
        told: dict[str, Any] = {"summary": run_pipeline(make_home(root))}
        code = 0
    except PipelineError as error:
        told, code = {"error": str(error)}, 1
    Path(summary_file).write_text(json.dumps(told, default=str), encoding="utf-8")
    return code


# How many `stop_held` blocks are open, and whether a stop came during one; the pipeline's child
# process while one runs.
_held = {"depth": 0, "stop": False}
# The pipeline's child (waiting ready, or running) and its folder for the summary; whether the
# last one ready ended by itself.
_child: dict[str, Any] = {"process": None, "folder": None, "ended_early": False}


def _end_child() -> None:
    """End the running pipeline's whole process group, if one runs.

    Not waited for here: this runs in the signal handler, possibly while the main code waits
    for the child holding ``Popen``'s lock; the exit that follows leaves that wait, and the
    system reaps the group once the watcher has gone.
    """
    process = _child["process"]
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


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
            _end_child()
            sys.exit(0)


def stop(signum: int, frame) -> None:
    """SIGTERM or SIGINT: end the pipeline's child process group if one runs, then leave through
    ``finally`` (``sys.exit``). Inside ``stop_held`` both wait for the block's end. A signal
    that lands in an import lock's callback would have its exit printed as a traceback and
    ignored there: the watcher is then stopped a moment later."""
    if _held["depth"]:
        _held["stop"] = True
        return
    _end_child()
    if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    sys.exit(0)


# `0` turns off starting the next run's child ahead (docs/operations.md, "Settings").
READY_CHILD_VARIABLE = "PIDC_WATCHER_READY_CHILD"


def watch(platform_home: Home, interval: int = DEFAULT_INTERVAL_SECONDS) -> None:
    """Watch landing until stopped (Ctrl+C or the dashboard ending)."""
    beat = Heartbeat(pid=os.getpid(), interval_seconds=interval, checked_at=now_text())
    # The dashboard ends the watcher with SIGTERM, a person with Ctrl+C (SIGINT, to the whole
    # group of `make run`): either way, leave through `finally`, heartbeat removed. Python's own
    # KeyboardInterrupt, landing in a DuckDB query, came out as "RuntimeError: Query
    # interrupted" and a traceback (Ctrl+C as `make run` began serving, in one newcomer run).
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready_child = os.environ.get(READY_CHILD_VARIABLE, "1").strip() != "0"
    looks = 0
    try:
        while True:
            watch_once(platform_home, beat, warm=ready_child and looks > 0)
            looks += 1
            time.sleep(interval)
    finally:
        _end_child()  # Ctrl+C reaches the watcher's group only; the child has its own
        heartbeat_path(platform_home).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(child_main(*sys.argv[1:]))
