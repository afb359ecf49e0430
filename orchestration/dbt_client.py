"""``pidc-dbt``: dbt's command line, run by this process's warm dbt when there is one.

dagster-dbt starts this as its dbt executable (``orchestration.transform.dbt_executable``). With
a warm dbt running (``PIDC_DBT_SERVER``, :mod:`orchestration.warm_dbt`), the command runs in a
child forked from it, with this process's arguments, environment, working folder and standard
streams, and this process exits with the child's status; SIGINT and SIGTERM sent here are passed
on to the child. Without one, or when it cannot be reached, the installed ``dbt`` replaces this
process, as if it had been started itself. Only the standard library is imported here: this
process starts for every dbt command.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path

# The address of the warm dbt to run in (set by orchestration.warm_dbt.start_server).
SERVER_VARIABLE = "PIDC_DBT_SERVER"
# How long a command waits for the server to take it (the server imports dbt first: 2-5 s).
ACCEPT_SECONDS = 120


def real_dbt() -> str:
    """The installed ``dbt`` beside this Python."""
    return str(Path(sys.executable).with_name("dbt"))


def run_real_dbt(args: list[str]) -> None:
    """Replace this process with the installed ``dbt`` (never returns)."""
    executable = real_dbt()
    os.execv(executable, [executable, *args])  # noqa: S606 - the venv's own dbt


def ask_server(address: str, args: list[str]) -> int | None:
    """Run ``dbt args`` in the warm dbt at ``address``; its exit status, or None when the
    server did not take the command (nothing has run: the caller runs dbt itself)."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(ACCEPT_SECONDS)
        connection.connect("\0" + address)
        request = {"args": args, "env": dict(os.environ), "cwd": os.getcwd()}
        # One line of JSON (its own newlines are escaped): the server reads up to the newline.
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        replies = connection.makefile("rb")
        first = replies.readline()
    except OSError:
        connection.close()
        return None
    if not first:
        connection.close()
        return None  # the server ended before it forked: dbt never started
    child = json.loads(first)["pid"]

    def pass_on(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    signal.signal(signal.SIGINT, pass_on)
    signal.signal(signal.SIGTERM, pass_on)
    connection.settimeout(None)
    last = replies.readline()  # a signal passed on meanwhile: Python resumes the read (PEP 475)
    connection.close()
    if not last:
        print(f"dbt (process {child}) ended without an exit status: killed?", file=sys.stderr)
        return 1
    return int(json.loads(last)["exit"])


def main() -> None:
    args = sys.argv[1:]
    address = os.environ.get(SERVER_VARIABLE)
    if address:
        status = ask_server(address, args)
        if status is not None:
            sys.exit(status)
    run_real_dbt(args)


if __name__ == "__main__":
    main()
