"""Read members' files in worker processes with hard limits, so no file can take the platform down.

A file's safety checks and its parsing run in a child process whose address space
(``RLIMIT_AS``) and processor time (``RLIMIT_CPU``) are capped with :mod:`resource` before any
parser runs, and whose answer is awaited for a limited wall time. A parser that aborts (as
python-calamine does when it cannot allocate), runs out of memory, loops or hangs takes only its
worker down: that one file is quarantined with a plain report ("the workbook could not be read
safely ...") and the batch goes on. Intake, ``pidc validate`` and the dashboard's Submit page all
read files through here (via ``ingestion.intake._examine``), so none of them parses an untrusted
file in its own process.

The workers are a small pool of fresh Python processes (``python -m ingestion.sandbox``, never a
fork of the caller), started on first use and kept for the next file: the cost per file is
sending the path and receiving the parsed frames (``bench/`` measures it). A worker that dies or
fails is replaced. Each request carries the caller's ``PIDC_*`` settings, so a worker reads the
same layouts folder as its caller.

Settings (environment variables): ``PIDC_PARSE_MEMORY_MB`` (address space of a worker, default
1024), ``PIDC_PARSE_CPU_SECONDS`` (processor time per file, default 60),
``PIDC_PARSE_WALL_SECONDS`` (wall time per file, default 120), ``PIDC_PARSE_WORKERS`` (files read
at once, default 2) and ``PIDC_PARSE_IN_PROCESS=1``, for debugging only, which parses in the
calling process with no limits at all.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ingestion.errors import HostileFileError, IntakeError
from pidc.i18n import N_

log = logging.getLogger(__name__)

# What every worker imports before its first file (in the fork server, once).
_PRELOAD = ["ingestion.parsers", "ingestion.safety"]


class UnsafeToReadError(HostileFileError):
    """Reading the file went past a limit (memory, processor time, wall time) or killed its
    reader: the file is quarantined, and the rest of the batch goes on."""

    code = "unsafe_to_read"


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of the worker processes; each is set by ``PIDC_PARSE_<NAME>``."""

    memory_mb: int = 1024
    cpu_seconds: int = 60
    wall_seconds: float = 120.0
    workers: int = 2
    in_process: bool = False

    @classmethod
    def from_environment(cls) -> SandboxLimits:
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = os.environ.get(f"PIDC_PARSE_{item.name.upper()}", "").strip()
            if not raw:
                continue
            default = getattr(cls, item.name)
            if isinstance(default, bool):
                values[item.name] = raw.lower() in {"1", "true", "yes", "on"}
            else:
                values[item.name] = type(default)(raw)
        limits = cls(**values)
        if min(limits.memory_mb, limits.cpu_seconds, limits.wall_seconds, limits.workers) <= 0:
            raise ValueError(f"PIDC_PARSE_* settings must be positive: {limits}")
        return limits


def check_and_parse(path: Path, member: str | None):
    """The safety checks, then the parser: what a worker does with one file."""
    from ingestion.parsers import parse_file
    from ingestion.report import keep_within
    from ingestion.safety import check_file

    parsed = parse_file(path, check_file(path), member)
    # A parser may list a problem per cell; what is sent back is bounded (PIDC_MAX_PROBLEMS).
    parsed.problems = keep_within(parsed.problems, parsed.unlisted)
    return parsed


# The function a worker runs for each file, looked up at each call (tests replace it with a
# parser that misbehaves; it must be importable by module and name).
reader: Callable = check_and_parse


def read_file(path: Path, member: str | None):
    """Safety-check and parse ``path`` (as ``member``'s) in a worker; the ParsedSubmission.

    Raises the :class:`~ingestion.errors.IntakeError` the checks or the parser raised, or
    :class:`UnsafeToReadError` when reading went past a limit or killed the worker.
    """
    limits = SandboxLimits.from_environment()
    if limits.in_process:
        return reader(path, member)
    # Absolute, since a worker keeps the working folder it was started in.
    request = (reader, (Path(path).absolute(), member), _settings())
    outcome, value = _pool(limits).run(request, limits)
    if outcome == "ok":
        return value
    if outcome == "refused":
        raise value
    raise UnsafeToReadError(
        N_(
            "{file}: the workbook could not be read safely ({reason}), so it was set aside and "
            "nothing in it was loaded."
        )
        if path.suffix.lower() == ".xlsx"
        else N_(
            "{file}: the file could not be read safely ({reason}), so it was set aside and "
            "nothing in it was loaded."
        ),
        N_(
            "Open it in Excel, delete any unused rows, columns and sheets, save it as a plain "
            "Excel Workbook (.xlsx) or CSV and send it again. If it still cannot be read, send it "
            "to the Secretariat, who can see what stopped it."
        ),
        params={"file": path.name, "reason": str(value)},
    )


def _settings() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name.startswith("PIDC_")}


# --- the worker (child) side -------------------------------------------------------------------


def _serve(descriptor: int, memory_mb: int) -> None:
    """A worker's life: set the limits, then read one file per request until the caller goes."""
    import resource
    from multiprocessing.connection import Connection

    connection = Connection(descriptor)
    # Ctrl-C in a terminal reaches the whole process group; the caller decides, not the worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in _PRELOAD:
        __import__(name)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    connection.send(("ready", None))
    while True:
        try:
            settings, path, cpu_seconds, call = connection.recv()
        except (EOFError, OSError):
            return  # the caller has gone: so does the worker
        for name in [n for n in os.environ if n.startswith("PIDC_") and n not in settings]:
            del os.environ[name]
        os.environ.update(settings)
        os.environ["PIDC_PARSE_IN_PROCESS"] = "1"  # a worker never starts workers of its own
        sys.path.extend(entry for entry in path if entry not in sys.path)
        try:
            function, arguments = pickle.loads(call)  # noqa: S301 (from our caller only)
        except Exception as error:  # the request names a function this worker cannot import
            connection.send(("failed", _describe(error)))
            continue
        # Processor time counts over the worker's life: each file gets cpu_seconds more.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        spent = math.ceil(usage.ru_utime + usage.ru_stime)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = spent + cpu_seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        try:
            reply: tuple[str, Any] = ("ok", function(*arguments))
        except IntakeError as error:
            reply = ("refused", error)
        except MemoryError:
            reply = ("memory", None)
        except BaseException as error:  # any failure of a parser is that file's, never the batch's
            reply = ("failed", _describe(error))
        try:
            connection.send(reply)
        except MemoryError:
            connection.send(("memory", None))
        except Exception as error:  # the result could not be sent back (not picklable)
            connection.send(("failed", _describe(error)))


def _describe(error: BaseException) -> str:
    where = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    place = f" at {Path(where[0].filename).name}:{where[0].lineno}" if where else ""
    return f"{type(error).__name__}: {error}"[:300] + place


# --- the caller (parent) side ------------------------------------------------------------------

# Numeric libraries start a thread pool each, with memory reserved per thread; a worker reads one
# file at a time and needs none of them.
_WORKER_ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "RUST_BACKTRACE": "0",
}


class _Worker:
    """One worker: a fresh ``python -m ingestion.sandbox`` (never a fork of the caller, which
    may have threads: Streamlit, Dagster), talking over a socket pair."""

    def __init__(self, memory_mb: int, wait_seconds: float) -> None:
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        environment = {**os.environ, **_WORKER_ENVIRONMENT}
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), environment.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        try:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [
                    sys.executable,
                    "-m",
                    "ingestion.sandbox",
                    str(theirs.fileno()),
                    str(memory_mb),
                ],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=environment,
                close_fds=True,
            )
        finally:
            theirs.close()
        self.connection = Connection(ours.detach())
        self.memory_mb = memory_mb
        # The worker says it is ready once its imports are done and its limits are set.
        try:
            ready = self.connection.poll(wait_seconds) and self.connection.recv()[0] == "ready"
        except (EOFError, OSError, pickle.UnpicklingError):
            ready = False
        if not ready:
            self.stop()
            raise OSError(
                f"a parse worker did not start (exit status {self.process.returncode}); "
                f"is PIDC_PARSE_MEMORY_MB ({memory_mb}) enough for Python and pandas?"
            )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            log.warning("parse worker %s did not stop", self.process.pid)
        self.connection.close()


_SIGNALS = {
    signal.SIGXCPU: "it used up its processor time",
    signal.SIGKILL: "it was stopped",
    signal.SIGABRT: "the reader stopped: most likely it asked for more memory than allowed",
    signal.SIGSEGV: "the reader crashed",
    signal.SIGBUS: "the reader crashed",
}


class _Pool:
    """Worker processes for one set of limits; at most ``workers`` files are read at once."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.memory_mb = limits.memory_mb
        self.workers = limits.workers
        self.owner = os.getpid()
        self.idle: list[_Worker] = []
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(limits.workers)

    def run(self, request: tuple, limits: SandboxLimits) -> tuple[str, Any]:
        with self.slots:
            worker = self._take(limits)
            try:
                outcome = self._ask(worker, request, limits)
            except BaseException:
                worker.stop()
                raise
            if outcome[0] in ("ok", "refused"):
                with self.lock:
                    self.idle.append(worker)
            else:
                worker.stop()  # a worker that failed once is not trusted with the next file
            return outcome

    def _take(self, limits: SandboxLimits) -> _Worker:
        with self.lock:
            while self.idle:
                worker = self.idle.pop()
                if worker.alive:
                    return worker
                worker.stop()
        return self.start(limits)

    def start(self, limits: SandboxLimits) -> _Worker:
        """A new worker, ready for a file."""
        try:
            return _Worker(self.memory_mb, max(60.0, limits.wall_seconds))
        except OSError as error:  # once more: the machine may have been short for a moment
            log.warning("%s; starting another", error)
            return _Worker(self.memory_mb, max(60.0, limits.wall_seconds))

    def _ask(self, worker: _Worker, request: tuple, limits: SandboxLimits) -> tuple[str, Any]:
        function, arguments, settings = request
        try:
            call = pickle.dumps((function, arguments))
            worker.connection.send((settings, list(sys.path), limits.cpu_seconds, call))
            if not worker.connection.poll(limits.wall_seconds):
                worker.stop()
                return "timeout", f"it took longer than {limits.wall_seconds:g} s"
            outcome, value = worker.connection.recv()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            try:
                worker.process.wait(5)
            except subprocess.TimeoutExpired:
                worker.stop()
            return "died", self._cause(worker, limits)
        if outcome == "memory":
            return outcome, f"it needed more than {limits.memory_mb:,} MB of memory"
        if outcome == "failed":
            log.warning("parser failed on %s: %s", arguments[0], value)
            return outcome, f"the reader failed: {value}"
        return outcome, value

    @staticmethod
    def _cause(worker: _Worker, limits: SandboxLimits) -> str:
        code = worker.process.returncode
        if code is not None and code < 0:
            try:
                number = signal.Signals(-code)
            except ValueError:
                return f"the reader stopped with signal {-code}"
            reason = _SIGNALS.get(number, f"the reader stopped ({number.name})")
            if number == signal.SIGXCPU:
                reason += f" of {limits.cpu_seconds} s"
            elif number == signal.SIGABRT:
                reason += f" ({limits.memory_mb:,} MB)"
            return reason
        return f"the reader stopped (exit status {code})"

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for worker in idle:
            worker.stop()


_POOL: _Pool | None = None
_POOL_LOCK = threading.Lock()


def _pool(limits: SandboxLimits) -> _Pool:
    """The process's pool, made on first use; a new one when the limits change or after a fork
    (a forked child must never share its parent's workers)."""
    global _POOL
    with _POOL_LOCK:
        pool = _POOL
        if (
            pool is None
            or pool.owner != os.getpid()
            or pool.memory_mb != limits.memory_mb
            or pool.workers != limits.workers
        ):
            if pool is not None and pool.owner == os.getpid():
                pool.close()
            _POOL = pool = _Pool(limits)
        return pool


def idle_workers() -> int:
    """How many of this process's workers are started and waiting for a file."""
    with _POOL_LOCK:
        pool = _POOL
    if pool is None or pool.owner != os.getpid():
        return 0
    with pool.lock:
        return sum(worker.alive for worker in pool.idle)


def warm_up() -> None:
    """Start one more worker now (it takes about a second), so a file does not wait for it.

    Always a new one: taking an idle worker and putting it back would leave a process that has
    one worker (started by a first file) with one, however many :func:`start_workers` asks for.
    """
    limits = SandboxLimits.from_environment()
    if limits.in_process:
        return
    pool = _pool(limits)
    worker = pool.start(limits)
    with pool.lock:
        pool.idle.append(worker)


def start_workers() -> threading.Thread | None:
    """Start this process's workers (``PIDC_PARSE_WORKERS``) in the background; the thread that
    starts them, None when files are parsed in-process.

    For a caller with seconds of its own work before intake reads anything (``pidc pipeline``
    imports Dagster and dbt first): the workers start on the other core meanwhile, instead of
    in front of the first files. Each request still carries the settings of its moment.
    """
    global _STARTING
    limits = SandboxLimits.from_environment()
    if limits.in_process:
        return None

    def start() -> None:
        missing = max(0, limits.workers - idle_workers())
        starters = [threading.Thread(target=warm_up, daemon=True) for _ in range(missing)]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join()

    with _POOL_LOCK:
        # Asked again while starting (the CLI, then run_pipeline): the same start, not more workers.
        if _STARTING is not None and _STARTING.is_alive():
            return _STARTING
        _STARTING = threading.Thread(target=start, name="sandbox-start", daemon=True)
        _STARTING.start()
        return _STARTING


_STARTING: threading.Thread | None = None


def shutdown() -> None:
    """Stop the idle workers (each also stops by itself when its caller goes)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None and pool.owner == os.getpid():
        pool.close()


atexit.register(shutdown)


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
