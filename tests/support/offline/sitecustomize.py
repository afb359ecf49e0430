"""A guard that refuses, and records, every attempt to reach another machine (tests only).

The platform runs offline (member offices with unreliable links, machines with none): nothing
may be fetched from the internet at run time, by our code or by a library it calls. A test turns
the guard on for a run and then reads what was attempted:

- in its own process, with :func:`install` (and the function it returns to take it off);
- in every Python process the run starts (dbt, the sandbox's readers), through this file's
  name: with this folder on ``PYTHONPATH`` and ``PIDC_OFFLINE_LOG`` set, Python's ``site``
  imports it as ``sitecustomize`` at start-up and it installs itself.

A name lookup of another host (``getaddrinfo``) or a connection to an address that is not this
machine's own fails with ``OSError`` (as it would without a link) and is written, one line per
attempt, to the log file. Loopback stays open: the dashboard's tests talk to it.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from collections.abc import Callable
from pathlib import Path

LOG_VARIABLE = "PIDC_OFFLINE_LOG"
# The folder to put first on PYTHONPATH for the processes a run starts.
FOLDER = Path(__file__).resolve().parent
_LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    name = str(host).strip("[]").lower()
    if name in _LOCAL_NAMES or name == socket.gethostname().lower():
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def install(log_path: str | os.PathLike[str]) -> Callable[[], None]:
    """Refuse and record outside lookups and connections in this process; returns the undo."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def refuse(what: str) -> OSError:
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {what}\n")
        return OSError(errno.ENETUNREACH, f"offline: {what} refused by the test's guard")

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            raise refuse(f"name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def outside(sock: socket.socket, address: object) -> bool:
        return (
            sock.family in (socket.AF_INET, socket.AF_INET6)
            and isinstance(address, tuple)
            and not _is_local(address[0])
        )

    def connect(self, address):
        if outside(self, address):
            raise refuse(f"connection to {address!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if outside(self, address):
            refuse(f"connection to {address!r}")
            return errno.ENETUNREACH
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex

    def uninstall() -> None:
        socket.getaddrinfo = real_getaddrinfo
        socket.socket.connect = real_connect
        socket.socket.connect_ex = real_connect_ex

    return uninstall


if __name__ == "sitecustomize" and os.environ.get(LOG_VARIABLE):
    install(os.environ[LOG_VARIABLE])
