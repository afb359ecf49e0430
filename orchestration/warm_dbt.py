"""A warm dbt: one process that has imported dbt forks a child for every dbt command.

Every dbt command started as a process of its own pays, before any work: about 2.2 s importing
dbt (mashumaro writes the code of dbt's hundreds of dataclasses as they are defined), 0.5 s
building the JSON schemas of its configuration classes and 0.4 s compiling the decoders of its
saved parse state (docs/benchmarks.md). A pipeline run starts the server here at its beginning
(:func:`start_server`, beside intake's readers), so that import happens on the other core while
intake reads files, and a process that runs several pipelines (the landing watcher's, a test
worker) pays it once. dagster-dbt then runs ``pidc-dbt`` (:mod:`orchestration.dbt_client`) as
its dbt executable: the client hands its arguments, environment, working folder and standard
streams to the server, which forks a child that runs dbt's own command line with them, exactly
as ``dbt`` would, and reports its exit status back.

Stopping is unchanged. The server is a child of the pipeline's process, in its process group, and
so is every dbt it forks: Ctrl+C, or the kill of a run's process group, reaches them as it reached
the ``dbt`` process before. The client passes on SIGINT and SIGTERM (what dagster-dbt sends to
stop its dbt process) to the dbt child. The server ends when the process that started it ends
(its end of a socket pair closes), and never forks from a thread: it has none.

Anything amiss (no server, a server that died, ``PIDC_WARM_DBT=0``) and the client runs the
installed ``dbt`` instead, the way it ran before.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from orchestration.dbt_client import SERVER_VARIABLE

# `0` turns the warm dbt off (each dbt command then imports dbt itself, as before).
WARM_VARIABLE = "PIDC_WARM_DBT"
# The longest request a client sends (arguments and environment, as JSON).
REQUEST_LIMIT = 1 << 20
# How long stopping the server waits for it (and for the dbt commands still running in it).
STOP_WAIT_S = 5

_server: dict[str, Any] = {"process": None, "control": None, "address": None}


def wanted() -> bool:
    """Whether dbt commands run in a warm dbt (``PIDC_WARM_DBT``, on unless ``0``)."""
    return os.environ.get(WARM_VARIABLE, "1").strip().lower() not in {"0", "false", "no", "off"}


def server_running() -> bool:
    """Whether this process's server is running."""
    process = _server["process"]
    return process is not None and process.poll() is None


def start_server() -> str | None:
    """Start this process's warm dbt unless it runs already; its address (set in
    ``PIDC_DBT_SERVER`` for the dbt commands started from here), None when turned off.

    The listening socket is made here and handed over, so a client started at once finds it:
    the client waits while the server imports dbt, instead of importing dbt itself.
    """
    if not wanted():
        os.environ.pop(SERVER_VARIABLE, None)
        return None
    if server_running():
        os.environ[SERVER_VARIABLE] = _server["address"]
        return _server["address"]
    stop_server()
    address = f"pidc-dbt-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)  # Linux's abstract namespace: no file to clean up
    listener.listen(64)
    ours, theirs = socket.socketpair()
    try:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "orchestration.warm_dbt",
                str(listener.fileno()),
                str(theirs.fileno()),
            ],
            pass_fds=[listener.fileno(), theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parent.parent,
        )
    finally:
        listener.close()  # the server's now: a client must never wait on a socket nobody serves
        theirs.close()
    _server.update(process=process, control=ours, address=address)
    os.environ[SERVER_VARIABLE] = address
    return address


def stop_server() -> float | None:
    """End this process's server (it also ends by itself when this process ends). Returns the
    largest peak resident memory, in MB, of the dbt commands it ran (what `make bench` reports
    as dbt's), or None when it ran none or did not say.

    The server is asked by closing this end for writing; it waits for its dbt children, answers
    with their largest peak, and ends."""
    process, control = _server["process"], _server["control"]
    _server.update(process=None, control=None, address=None)
    if os.environ.get(SERVER_VARIABLE) and process is not None:
        os.environ.pop(SERVER_VARIABLE, None)
    largest = None
    if control is not None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            control.shutdown(socket.SHUT_WR)  # the server sees its end close, and leaves
            control.settimeout(STOP_WAIT_S)
            reply = b""
            while not reply.endswith(b"\n"):
                part = control.recv(4096)
                if not part:
                    break
                reply += part
            kilobytes = json.loads(reply)["largest_dbt_kb"]
            largest = round(kilobytes / 1024, 1) if kilobytes else None
        control.close()
    if process is not None:
        try:
            process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return largest


def warm_up() -> None:
    """Import dbt and its DuckDB adapter, and build what every command builds first."""
    import dbt.adapters.duckdb
    import dbt.cli.main  # noqa: F401
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.contracts.project import (
        Configuration,
        PackageConfig,
        ProfileConfig,
        Project,
        ProjectFlags,
    )
    from dbt.contracts.selection import SelectorFile

    # JSON schemas that dbt builds to check the project, profile and flags (cached per class).
    for contract in (
        ProjectFlags,
        DuckDBCredentials,
        ProfileConfig,
        Project,
        PackageConfig,
        SelectorFile,
        Configuration,
    ):
        contract.json_schema()
    # The decoders of the saved parse state, compiled as a first build would compile them.
    from pidc.settings import DBT_PROJECT_DIR

    state = DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")
    state = state / "partial_parse.msgpack"
    if state.is_file():
        from dbt.contracts.graph.manifest import Manifest
        from dbt.parser.manifest import extended_mashumuro_decoder

        with contextlib.suppress(Exception):  # an old or broken state: dbt decides, as before
            Manifest.from_msgpack(state.read_bytes(), decoder=extended_mashumuro_decoder)


def reap(children: set[int], *, block: bool = False) -> int:
    """Collect the dbt children (``children``, forked here) that have ended; with ``block``,
    wait for all of them. Returns the largest peak resident memory among those collected, in
    kB (``os.wait4`` gives each child's own ``ru_maxrss``): how `make bench` measures dbt's
    memory (:func:`stop_server`). Only these: importing dbt started a child of its own
    (multiprocessing's resource tracker), which ends after the server does.

    Each child's own figure, not the starter's ``RUSAGE_CHILDREN``: Linux gives a child started
    by ``fork`` or ``vfork`` the size of its parent at that moment, so every ``pidc-dbt`` a big
    pipeline process starts would "peak" at the pipeline's size."""
    largest = 0
    for pid in list(children):
        try:
            done, _, usage = os.wait4(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            done, usage = pid, None
        if done:
            children.discard(pid)
            if usage is not None:
                largest = max(largest, usage.ru_maxrss)
    return largest


def serve(listener: socket.socket, control: socket.socket) -> None:
    """Fork a child for each client, until ``control`` closes (its starter ended)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C to the run's group ends the server
    warm_up()
    watch = selectors.DefaultSelector()
    watch.register(listener, selectors.EVENT_READ)
    watch.register(control, selectors.EVENT_READ)
    children: set[int] = set()
    largest = 0  # the largest peak memory of a finished dbt child, in kB (reap)
    while True:
        largest = max(largest, reap(children))
        for key, _ in watch.select(timeout=1.0):
            if key.fileobj is control:
                # The starter asked us to stop (stop_server) or ended: wait for the dbt
                # children, then tell it their largest peak, if it is still there to hear.
                largest = max(largest, reap(children, block=True))
                with contextlib.suppress(OSError):
                    control.sendall(json.dumps({"largest_dbt_kb": largest}).encode() + b"\n")
                return
            connection, _ = listener.accept()
            child = os.fork()
            if child == 0:
                watch.close()
                listener.close()
                control.close()
                os._exit(run_child(connection))
            children.add(child)
            connection.close()


def run_child(connection: socket.socket) -> int:
    """In a forked child: take the client's request and streams, run dbt, report its status."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # dbt's KeyboardInterrupt
    code = 1
    try:
        message, fds, _, _ = socket.recv_fds(connection, REQUEST_LIMIT, 3)
        while not message.endswith(b"\n"):  # a stream: the request may come in parts
            more = connection.recv(REQUEST_LIMIT)
            if not more:
                return 1  # the client went away before it finished asking
            message += more
        request = json.loads(message)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True
        )
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True
        )
        sys.argv = ["dbt", *request["args"]]
        connection.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        end_with_the_client(connection)
        code = run_dbt(request["args"])
    except KeyboardInterrupt:
        code = 130  # stopped before dbt could handle it: as a shell reports Ctrl+C
    except BaseException:
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(OSError):
            connection.sendall(json.dumps({"exit": code}).encode() + b"\n")
    return code


def end_with_the_client(connection: socket.socket) -> None:
    """End this dbt (SIGTERM, as for a dbt process) if its client ends first: a ``pidc-dbt``
    killed on its own (``kill -9``) must not leave its build running and holding the
    warehouse's lock. The client sends nothing after its request, so a read ends only then."""

    def wait() -> None:
        with contextlib.suppress(OSError):
            while connection.recv(4096):
                pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait, name="pidc-dbt-client", daemon=True).start()


def run_dbt(args: list[str]) -> int:
    """dbt's own command line (``dbt = dbt.cli.main:cli``) on ``args``; its exit status."""
    from dbt.cli.main import cli

    try:
        cli.main(args=args, prog_name="dbt")
    except SystemExit as exit:
        if exit.code is None:
            return 0
        return exit.code if isinstance(exit.code, int) else 1
    return 0


def main(listener_fd: str, control_fd: str) -> None:
    listener = socket.socket(fileno=int(listener_fd))
    control = socket.socket(fileno=int(control_fd))
    with contextlib.suppress(KeyboardInterrupt):
        serve(listener, control)


if __name__ == "__main__":
    main(*sys.argv[1:3])
