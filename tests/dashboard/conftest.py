"""The dashboard tests' own fixture: no garbage of earlier test modules left to collect.

Tests of the pipeline leave Dagster's SQLite storage (SQLAlchemy connections in reference
cycles) to the garbage collector, which may then run their finalizers inside Streamlit's
``ast.parse`` of a page in AppTest's script thread. On Python 3.11.7 that can fail the page with
"SystemError: AST constructor recursion depth mismatch" (CPython gh-106905, fixed in later 3.11
releases): it failed test_access.py twice in a row, after earlier modules on the same worker ran
pipelines. Collected once before each dashboard module, that garbage is gone first.
"""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(autouse=True, scope="module")
def _earlier_garbage_collected():
    gc.collect()
    yield
