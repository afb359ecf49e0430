"""Fixtures shared by the whole suite: the homes that many tests only read, built once.

Helpers live in ``tests/support`` (importable as ``support``: see ``pythonpath`` in
pyproject.toml); a test module never imports another test module.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.cli_sample import CliSampleRun, cli_sample_run
from support.dashboard import build_serving
from support.test_cpu import (  # noqa: F401 (hooks: pytest finds them here)
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_runtest_setup,
    pytest_runtest_teardown,
)
from support.test_groups import (  # noqa: F401 (hooks: pytest finds them here)
    make_groups_file,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_xdist_make_scheduler,
)
from support.warehouse import SampleBuild, sample_build_once

from app import data_access
from bench.pages import scan_components_once
from pidc.settings import DBT_PROJECT_DIR


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker gets its own dbt target and log folders (and the workers
    a file to tell the scheduler the test groups: ``support.test_groups``).

    Every pipeline a test runs parses the real dbt project; two workers writing one
    ``dbt_project/target/manifest.json`` would read each other's half-written files. dbt and
    dagster-dbt both honour ``DBT_TARGET_PATH`` (orchestration.transform.dbt_target_path), and
    the processes a test starts (``make run``, ``pidc``, Dagster) inherit it. The folders stay
    between sessions, so partial parsing keeps working.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    make_groups_file()
    scan_components_once()  # as a Streamlit server does, once (bench.pages)
    if worker:
        # Relative, so each dbt project a test builds (the real one, a test's own small fixture
        # project) keeps its own manifest: one absolute folder would mix their partial parsing.
        os.environ["DBT_TARGET_PATH"] = f"target/pytest-{worker}"
        os.environ["DBT_LOG_PATH"] = str(DBT_PROJECT_DIR / "target" / f"pytest-{worker}" / "logs")


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
