"""Fixtures shared by the whole suite: the homes that many tests only read, built once.

Helpers live in ``tests/support`` (importable as ``support``: see ``pythonpath`` in
pyproject.toml); a test module never imports another test module.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from support.cli_sample import CliSampleRun, cli_sample_run
from support.dashboard import build_serving
from support.warehouse import SampleBuild, sample_build_once

from app import data_access
from pidc.settings import DBT_PROJECT_DIR


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker gets its own dbt target and log folders (and the workers
    a file to tell the scheduler the test groups, :func:`pytest_collection_modifyitems`).

    Every pipeline a test runs parses the real dbt project; two workers writing one
    ``dbt_project/target/manifest.json`` would read each other's half-written files. dbt and
    dagster-dbt both honour ``DBT_TARGET_PATH`` (orchestration.transform.dbt_target_path), and
    the processes a test starts (``make run``, ``pidc``, Dagster) inherit it. The folders stay
    between sessions, so partial parsing keeps working.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker and GROUPS_FILE_VARIABLE not in os.environ:
        # Where the workers tell the scheduler each grouped test's group (see below); the
        # workers are started after this and inherit it.
        folder = tempfile.mkdtemp(prefix="pidc-test-groups-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ[GROUPS_FILE_VARIABLE] = str(Path(folder) / "groups.json")
    if worker:
        # Relative, so each dbt project a test builds (the real one, a test's own small fixture
        # project) keeps its own manifest: one absolute folder would mix their partial parsing.
        os.environ["DBT_TARGET_PATH"] = f"target/pytest-{worker}"
        os.environ["DBT_LOG_PATH"] = str(DBT_PROJECT_DIR / "target" / f"pytest-{worker}" / "logs")


# Session fixtures that cost a minute or more: under pytest-xdist every test that uses one runs on
# the same worker (a group), so the fixture is built once, not once per worker.
SHARED_BUILDS = ("sample", "cli_sample")
GROUPS_FILE_VARIABLE = "PIDC_TEST_GROUPS_FILE"


def shared_build_of(item: pytest.Item) -> str | None:
    """The shared build ``item`` uses (the first of SHARED_BUILDS among its fixtures), if any."""
    fixtures = getattr(item, "fixturenames", ())
    return next((name for name in SHARED_BUILDS if name in fixtures), None)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group the tests of an expensive shared build, and start the slow tests first.

    Each worker writes every grouped test's group to the file the scheduler reads (below).
    pytest-xdist's own ``xdist_group`` marks cannot do it here: xdist 3.8 adds the group to a
    test's id by setting ``item._nodeid``, which pytest 9 no longer reads, so every group was
    split by file and both workers built the sample and the CLI home (about 4 minutes of work
    twice per ``make test``). The order only matters with several workers: a 3-minute browser
    walk started last would leave the other worker idle.
    """
    groups_file = os.environ.get(GROUPS_FILE_VARIABLE)
    if not os.environ.get("PYTEST_XDIST_WORKER") or not groups_file:
        return  # one process: the files' own order
    groups = {item.nodeid: group for item in items if (group := shared_build_of(item))}
    staged = Path(f"{groups_file}.{os.environ['PYTEST_XDIST_WORKER']}")
    staged.write_text(json.dumps(groups), encoding="utf-8")
    os.replace(staged, groups_file)  # every worker writes the same map; never half of one
    items.sort(
        key=lambda item: (
            0 if item.get_closest_marker("slow") or item.get_closest_marker("browser") else 1
        )
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Whole files and whole groups to one worker each (xdist's loadfile, plus the groups).

    A module's fixtures (a browser, a built home) are then made once, and the groups of
    ``SHARED_BUILDS`` stay together. Used when ``make test`` runs ``pytest -n 2``.
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
            return self.groups.get(nodeid) or nodeid.split("::", 1)[0]

    return FileOrGroupScheduling(config, log)


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleBuild:
    """The sample ingested in two batches with a dbt build after each (built once)."""
    return sample_build_once(tmp_path_factory)


@pytest.fixture(scope="session")
def sample_serving(sample: SampleBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample build's marts published into a serving database, as the pipeline does (once).

    Read it only (tests/warehouse/test_analyst_queries.py, test_dbt_marts.py).
    """
    from orchestration.publish import publish_serving

    serving = tmp_path_factory.mktemp("pidc_serving") / "serving.duckdb"
    publish_serving(sample.warehouse, serving)
    return serving


@pytest.fixture(scope="session")
def cli_sample(tmp_path_factory: pytest.TempPathFactory) -> CliSampleRun:
    """A four-month sample run through ``pidc sample`` and ``pidc run --no-serve`` (run once).

    Read it only; a test that runs the pipeline again does so on ``support.cli_sample.copy_home``.
    """
    return cli_sample_run(tmp_path_factory.mktemp("cli_sample_home"))


@pytest.fixture(scope="session")
def serving_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hand-made serving database per test session (support.dashboard.build_serving)."""
    return build_serving(tmp_path_factory.mktemp("serving") / "serving.duckdb")


@pytest.fixture
def pidc_home(tmp_path, monkeypatch):
    """An empty platform home for this test, with its own accounts file and a cold cache."""
    monkeypatch.setenv("PIDC_HOME", str(tmp_path))
    monkeypatch.setenv("PIDC_ACCOUNTS_FILE", str(tmp_path / "accounts.toml"))
    data_access._cached_query.clear()
    yield tmp_path
    data_access._cached_query.clear()


@pytest.fixture
def published(pidc_home, serving_template):
    """``pidc_home`` with a copy of the hand-made serving database published in it."""
    shutil.copy(serving_template, pidc_home / "serving.duckdb")
    return pidc_home
