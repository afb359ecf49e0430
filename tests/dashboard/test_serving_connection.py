"""The dashboard's one connection to the published serving database (app/data_access/serving.py).

The dashboard keeps the publication it reads open, and the pipeline moves a new publication over
the file at any time. What must hold, whatever the timing: a query already running on the old
publication finishes on it; the next query reads the new one (never the old one under the new
one's cache key); and the old file is let go once nothing reads it, so a dashboard left running
for months of publications does not keep every old file open.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest
from support.dashboard import republish

from app import data_access
from app.data_access import serving

TOTAL = "select sum(total_count) as total from marts.mart_regional_trends"


def _total() -> float:
    return float(data_access.query(TOTAL)["total"].iloc[0])


def _open_files_named(name: str) -> list[str]:
    """What this process has open under ``name`` (a replaced file shows as '... (deleted)')."""
    found = []
    for descriptor in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue  # closed while looking
        if Path(target.removesuffix(" (deleted)")).name == name:
            found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
def test_a_new_publication_is_read_and_the_old_file_is_let_go(published):
    serving_file = published / "serving.duckdb"
    before = _total()
    assert [Path(t).name for t in _open_files_named("serving.duckdb")] == ["serving.duckdb"]

    republish(serving_file, "update marts.mart_regional_trends set total_count = total_count + 1")
    data_access._cached_query.clear()  # not needed for a new mtime; rules out the cache anyway
    after = _total()
    rows = int(data_access.query("select count(*) as n from marts.mart_regional_trends")["n"][0])
    assert after == before + rows  # the new file's figures, not the old file's

    # Only the new file is open: the old one (replaced, so '(deleted)') was closed.
    assert _open_files_named("serving.duckdb") == [str(serving_file)]


def test_a_query_running_when_a_publication_arrives_finishes_on_the_old_one(published):
    """Another session's long query holds the old publication while this one moves to the new
    one: letting the old connection go must not cut that query off."""
    serving_file = published / "serving.duckdb"
    _total()  # the first publication is now held
    started, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}
    held = serving._publication

    def slow_publication(path: str, version: int):
        connection = held(path, version)
        if threading.current_thread().name == "other-session":
            started.set()
            release.wait(30)  # the new publication arrives while this query holds the old one
        return connection

    def other_session() -> None:
        try:
            outcome["total"] = float(
                data_access.query(TOTAL + " where dataset = ?", ("movements",))["total"][0]
            )
        except Exception as error:  # reported below, with what it was
            outcome["error"] = error

    with duckdb.connect(str(serving_file), read_only=True) as connection:
        old_movements = float(
            connection.execute(TOTAL + " where dataset = 'movements'").fetchone()[0]
        )
    serving._publication = slow_publication
    try:
        other = threading.Thread(target=other_session, name="other-session")
        other.start()
        assert started.wait(30)
        republish(serving_file, "update marts.mart_regional_trends set total_count = 0")
        assert _total() == 0  # this session reads the new publication
        release.set()
        other.join(30)
    finally:
        serving._publication = held
        release.set()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["total"] == old_movements  # the other session's query ended on the old one


def test_letting_go_of_the_publication_opens_the_file_again_on_the_next_query(published):
    """What bench.pages does to time a page's first view after a publication."""
    _total()
    first = serving._held[2]
    serving.let_go_of_publication()
    data_access._cached_query.clear()
    _total()
    assert serving._held is not None and serving._held[2] is not first
