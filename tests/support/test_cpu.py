"""Processor seconds of each test file (``pytest --record-test-cpu=PATH``): where `make test`'s
time goes on a machine its workers keep busy.

`make test` is bound by the processor: with three workers on two cores, both cores are busy nearly
all the run (docs/benchmarks.md), so its length is the suite's processor seconds over two, and a
test file's wall seconds (``--record-test-seconds``) say little about what it costs: a file that
waits on a browser or a server counts seconds it leaves to the other workers, and a file whose
pipeline runs on both cores counts half of what it takes.

Each phase of each test (setup, call, teardown) is measured as the processor time of the worker
and of every process under it: the worker's own, its finished children's (``RUSAGE_CHILDREN``),
and each live descendant's (its own and its finished children's, from ``/proc``: intake's readers,
the warm dbt and its dbt commands, a Streamlit server, a browser). A child that ends during the
phase moves from the last sum to the first, so it counts once. A process left to the system
(a daemon that outlives its parent) is missed. The figure goes to the controller with the
phase's report (``user_properties``), which sums it by file and writes the JSON file.
"""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import pytest

CPU_PROPERTY = "cpu_seconds"
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_phase_cpu = pytest.StashKey[dict[str, float]]()


def _descendants_cpu(root: int) -> float:
    """Processor seconds of every live process under ``root`` (their own and their finished
    children's), from ``/proc``; 0 where there is no ``/proc``."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0.0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(entry)
        parents[pid] = int(fields[1])
        used[pid] = sum(int(value) for value in fields[11:15]) / _TICKS  # utime .. cstime
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    total, waiting = 0.0, list(children.get(root, ()))
    while waiting:
        pid = waiting.pop()
        total += used[pid]
        waiting += children.get(pid, ())
    return total


def processor_seconds() -> float:
    """This process's processor seconds and those of every process under it, finished or not."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    finished = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        own.ru_utime
        + own.ru_stime
        + finished.ru_utime
        + finished.ru_stime
        + _descendants_cpu(os.getpid())
    )


def _recording(config: pytest.Config) -> bool:
    return bool(config.getoption("--record-test-cpu", default=None))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    yield from _measured(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    yield from _measured(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item):
    yield from _measured(item, "teardown")


def _measured(item: pytest.Item, phase: str):
    if not _recording(item.config):
        yield
        return
    started = processor_seconds()
    try:
        yield
    finally:
        item.stash.setdefault(_phase_cpu, {})[phase] = processor_seconds() - started


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    seconds = item.stash.get(_phase_cpu, {}).get(call.when)
    if seconds is not None:
        outcome.get_result().user_properties.append((CPU_PROPERTY, round(seconds, 3)))


_cpu_by_file: dict[str, float] = {}


def record_cpu(file: str, report: pytest.TestReport) -> None:
    """In the controller (or a run without workers): add a phase's processor seconds to those of
    its test ``file`` (called from ``support.test_groups.pytest_runtest_logreport``)."""
    for name, value in report.user_properties:
        if name == CPU_PROPERTY:
            _cpu_by_file[file] = _cpu_by_file.get(file, 0.0) + value


def write_cpu(session: pytest.Session) -> None:
    """Write the processor seconds by file, most first, and their sum (in the controller)."""
    path = session.config.getoption("--record-test-cpu", default=None)
    if not path or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    ordered = sorted(_cpu_by_file.items(), key=lambda item: -item[1])
    recorded = {
        "total": round(sum(_cpu_by_file.values()), 1),
        "files": {name: round(seconds, 1) for name, seconds in ordered},
    }
    Path(path).write_text(json.dumps(recorded, indent=1) + "\n", encoding="utf-8")
