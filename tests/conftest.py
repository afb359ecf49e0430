"""Fixtures shared by the whole suite: the homes that many tests only read, built once.

Helpers live in ``tests/support`` (importable as ``support``: see ``pythonpath`` in
pyproject.toml); a test module never imports another test module.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.dashboard import build_serving
from support.warehouse import SampleBuild, sample_build_once

from app import data_access


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleBuild:
    """The sample ingested in two batches with a dbt build after each (built once)."""
    return sample_build_once(tmp_path_factory)


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
