"""Which pytest-xdist worker runs which test: the hooks ``tests/conftest.py`` takes from here.

Session fixtures that cost a minute or more (``SHARED_BUILDS``) are built once per run: every test
that uses one runs on the same worker (a group). The rest go by file (xdist's loadfile), so a
module's fixtures (a browser, a built home) are made once.

The files and groups are handed out longest first, by the seconds each file took in a recorded
run (``test_seconds.json``; ``make test-seconds`` writes it again): in the
order of the files, a 50-second file handed out last kept one worker busy half a minute after
the other had finished. A file the record does not know counts as ``UNKNOWN_FILE_SECONDS``.

pytest-xdist's own ``xdist_group`` marks cannot do it: xdist 3.8 adds the group to a test's id by
setting ``item._nodeid``, which pytest 9 no longer reads, so every group was split by file and
both workers built the sample and the CLI home (about 4 minutes of work twice per ``make test``).
Here each worker writes every grouped test's group to a file (``PIDC_TEST_GROUPS_FILE``, made by
the controller before the workers start), which the scheduler reads once all have collected.
Tested in ``tests/core/test_test_groups.py``, by a pytest run with two workers.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from support.test_cpu import record_cpu, write_cpu

# Session fixtures that cost a minute or more (tests/conftest.py): one worker builds each.
SHARED_BUILDS = ("sample", "cli_sample")
GROUPS_FILE_VARIABLE = "PIDC_TEST_GROUPS_FILE"
# Each test file's seconds in a recorded run (setup, call and teardown of all its tests).
SECONDS_FILE = Path(__file__).with_name("test_seconds.json")
UNKNOWN_FILE_SECONDS = 5.0


def shared_build_of(item: pytest.Item) -> str | None:
    """The shared build ``item`` uses (the first of SHARED_BUILDS among its fixtures), if any."""
    fixtures = getattr(item, "fixturenames", ())
    return next((name for name in SHARED_BUILDS if name in fixtures), None)


def file_of(nodeid: str) -> str:
    """The test file of a test id (``tests/x/test_y.py::test_z`` -> ``tests/x/test_y.py``)."""
    return nodeid.split("::", 1)[0]


def scope_of(item: pytest.Item) -> str:
    """What the scheduler hands out whole: ``item``'s shared build, else its file."""
    return shared_build_of(item) or file_of(item.nodeid)


def longest_first(items: list[pytest.Item], seconds: dict[str, float]) -> list[pytest.Item]:
    """``items`` with their scopes (:func:`scope_of`) in order of the seconds they are expected
    to take, longest first: the sum of ``seconds`` of the files a scope's tests are in (a file
    unknown there counts ``UNKNOWN_FILE_SECONDS``). Within a scope, and between scopes expected
    to take as long, the order stays as collected."""
    files: dict[str, set[str]] = {}
    for item in items:
        files.setdefault(scope_of(item), set()).add(file_of(item.nodeid))
    expected = {
        scope: sum(seconds.get(name, UNKNOWN_FILE_SECONDS) for name in names)
        for scope, names in files.items()
    }
    return sorted(items, key=lambda item: -expected[scope_of(item)])


def recorded_seconds() -> dict[str, float]:
    """``SECONDS_FILE``, or nothing when it is missing."""
    if not SECONDS_FILE.is_file():
        return {}
    return json.loads(SECONDS_FILE.read_text(encoding="utf-8"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group the tests of an expensive shared build, and hand out the longest scopes first.

    Each worker writes every grouped test's group to the file the scheduler reads (below). The
    order only matters with several workers: a long file handed out last leaves the other
    worker idle until it ends.
    """
    groups_file = os.environ.get(GROUPS_FILE_VARIABLE)
    if not os.environ.get("PYTEST_XDIST_WORKER") or not groups_file:
        return  # one process: the files' own order
    groups = {item.nodeid: group for item in items if (group := shared_build_of(item))}
    staged = Path(f"{groups_file}.{os.environ['PYTEST_XDIST_WORKER']}")
    staged.write_text(json.dumps(groups), encoding="utf-8")
    os.replace(staged, groups_file)  # every worker writes the same map; never half of one
    items[:] = longest_first(items, recorded_seconds())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-test-seconds",
        metavar="PATH",
        help="write each test file's seconds in this run (setup, call and teardown) to PATH as "
        f"JSON: the order in which workers get the files ({SECONDS_FILE.name} in tests/support)",
    )
    parser.addoption(
        "--record-test-cpu",
        metavar="PATH",
        help="write each test file's processor seconds in this run (its worker's and every "
        "process's under it: support.test_cpu) to PATH as JSON, most first",
    )


_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each phase's seconds, by file (in the controller, every worker's reports arrive here)."""
    name = file_of(report.nodeid)
    _seconds[name] = _seconds.get(name, 0.0) + report.duration
    record_cpu(name, report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    write_cpu(session)
    path = session.config.getoption("--record-test-seconds")
    if not path or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    recorded = {name: round(seconds, 1) for name, seconds in sorted(_seconds.items())}
    Path(path).write_text(json.dumps(recorded, indent=1) + "\n", encoding="utf-8")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Whole files and whole groups to one worker each (xdist's loadfile, plus the groups).

    A module's fixtures (a browser, a built home) are then made once, and the groups of
    ``SHARED_BUILDS`` stay together. Used when ``make test`` runs ``pytest -n 3``.
    """
    from xdist.scheduler import LoadScopeScheduling

    class FileOrGroupScheduling(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            # Called once every worker has collected, i.e. written the groups file.
            if self.groups is None:
                groups_file = Path(os.environ.get(GROUPS_FILE_VARIABLE, "-"))
                self.groups = (
                    json.loads(groups_file.read_text(encoding="utf-8"))
                    if groups_file.is_file()
                    else {}
                )
            return self.groups.get(nodeid) or file_of(nodeid)

    return FileOrGroupScheduling(config, log)


def make_groups_file() -> None:
    """In the controller (or a run without workers): where the workers will tell the scheduler
    each grouped test's group. The workers are started after this and inherit it."""
    if os.environ.get("PYTEST_XDIST_WORKER") or GROUPS_FILE_VARIABLE in os.environ:
        return
    folder = tempfile.mkdtemp(prefix="pidc-test-groups-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ[GROUPS_FILE_VARIABLE] = str(Path(folder) / "groups.json")
