"""The test suite's own scheduling: each expensive shared build is made by one worker only.

A regression here fails nothing else; it only costs minutes (both workers building the sample),
so it is checked on its own, by a pytest run with two workers over a small project whose shared
builds record which worker made them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

from support.test_cpu import processor_seconds
from support.test_groups import GROUPS_FILE_VARIABLE, SHARED_BUILDS, longest_first

TESTS = Path(__file__).resolve().parent.parent

CONFTEST = """
import os

import pytest
from support.test_cpu import (
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_runtest_setup,
    pytest_runtest_teardown,
)
from support.test_groups import (
    make_groups_file,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_xdist_make_scheduler,
)


def pytest_configure(config):
    make_groups_file()


def record(what):
    with open(os.environ["BUILT_LOG"], "a") as log:
        log.write(f"{what} {os.environ.get('PYTEST_XDIST_WORKER', '-')}\\n")


@pytest.fixture(scope="session")
def sample():
    record("build sample")


@pytest.fixture(scope="session")
def cli_sample():
    record("build cli_sample")


@pytest.fixture
def ran(request):
    yield
    record(f"ran {request.node.nodeid}")
"""

# Four files, each with tests of both shared builds and tests of neither: split by file, the
# builds would be made on both workers.
TEST_FILE = """
def test_reads_the_sample(sample, ran):
    pass


def test_reads_the_cli_home(cli_sample, ran):
    pass


def test_reads_neither(ran):
    pass
"""


# A test whose child process spends half a second of processor time.
BUSY_FILE = """
import subprocess
import sys


def test_a_child_works():
    burn = "import time\\nwhile time.process_time() < 0.5: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)
"""

# The test of TEST_FILE that uses each of SHARED_BUILDS
USED_BY = ("::test_reads_the_sample", "::test_reads_the_cli_home")


def test_each_shared_build_is_made_by_one_worker_and_every_test_runs(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (project / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    for number in range(4):
        (project / f"test_file_{number}.py").write_text(TEST_FILE, encoding="utf-8")
    (project / "test_busy.py").write_text(BUSY_FILE, encoding="utf-8")
    log = tmp_path / "built.log"
    environment = {
        name: value
        for name, value in os.environ.items()
        # this session's own groups file and worker id must not leak into the inner run
        if name != GROUPS_FILE_VARIABLE and not name.startswith("PYTEST_")
    }
    environment |= {"BUILT_LOG": str(log), "PYTHONPATH": str(TESTS)}
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q"),
            f"--record-test-seconds={tmp_path / 'seconds.json'}",
            f"--record-test-cpu={tmp_path / 'cpu.json'}",
        ],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    records = [line.split(" ") for line in log.read_text(encoding="utf-8").splitlines()]
    ran = {test: worker for what, test, worker in records if what == "ran"}
    assert len(ran) == 12, records
    assert len(set(ran.values())) == 2, f"one worker ran everything: {records}"
    for build, test_name in zip(SHARED_BUILDS, USED_BY, strict=True):
        made = [worker for what, name, worker in records if what == "build" and name == build]
        assert len(made) == 1, f"{build} built {len(made)} times: {records}"
        users = {worker for test, worker in ran.items() if test.endswith(test_name)}
        assert users == set(made), (build, users, made)
    # The run's seconds, by file, for the order of the next runs
    seconds = json.loads((tmp_path / "seconds.json").read_text(encoding="utf-8"))
    files = ["test_busy.py", *(f"test_file_{number}.py" for number in range(4))]
    assert sorted(seconds) == files
    assert all(value >= 0 for value in seconds.values())
    # The processor seconds, by file, most first: the busy file's child counts in it
    cpu = json.loads((tmp_path / "cpu.json").read_text(encoding="utf-8"))
    assert next(iter(cpu["files"])) == "test_busy.py" and sorted(cpu["files"]) == files, cpu
    assert cpu["files"]["test_busy.py"] >= 0.45, cpu
    assert all(cpu["files"][name] < 0.45 for name in files[1:]), cpu
    assert cpu["total"] >= sum(cpu["files"].values()) - 0.5, cpu


def test_processor_seconds_count_a_child_still_running():
    """A process under the test's that has not ended (a server, intake's readers) counts too."""
    burn = "import time\nwhile time.process_time() < 0.5: pass\nprint(flush=True)\ninput()"
    before = processor_seconds()
    child = subprocess.Popen(
        [sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        child.stdout.readline()  # it has burnt its half second and waits
        assert processor_seconds() - before >= 0.45  # /proc counts in ticks of 10 ms
    finally:
        child.communicate("\n", timeout=30)


def test_the_longest_files_and_groups_are_handed_out_first():
    def item(nodeid: str, *fixtures: str):
        return types.SimpleNamespace(nodeid=nodeid, fixturenames=fixtures)

    items = [
        item("a.py::one"),
        item("a.py::two", "sample"),
        item("b.py::one"),
        item("c.py::one", "sample"),
        item("d.py::one"),
        item("e.py::one"),  # not in the record: counts 5 s
        item("b.py::two"),
    ]
    seconds = {"a.py": 10, "b.py": 30, "c.py": 15, "d.py": 1}
    ordered = [test.nodeid for test in longest_first(items, seconds)]
    assert ordered == [
        "b.py::one",
        "b.py::two",
        "a.py::two",  # the sample's group: a.py and c.py, 25 s
        "c.py::one",
        "a.py::one",
        "e.py::one",
        "d.py::one",
    ]
