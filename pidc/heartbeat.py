"""The landing watcher's heartbeat (``$PIDC_HOME/watcher.json``): what it last did, and what
the Submit page tells an officer about when an accepted return is published.

The watcher itself (``orchestration.watcher``) writes it; the dashboard only reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from pidc.i18n import _, ngettext
from pidc.settings import Home

HEARTBEAT = "watcher.json"
DEFAULT_INTERVAL_SECONDS = 60


@dataclass
class Heartbeat:
    """What the watcher last did."""

    pid: int
    interval_seconds: int
    checked_at: str
    running_since: str | None = None
    last_run_finished_at: str | None = None
    last_run_outcome: str | None = None


def heartbeat_path(platform_home: Home) -> Path:
    return platform_home.root / HEARTBEAT


def read_heartbeat(platform_home: Home, *, now: dt.datetime | None = None) -> Heartbeat | None:
    """The watcher's heartbeat when it is alive (checked within three intervals), else None."""
    path = heartbeat_path(platform_home)
    try:
        beat = Heartbeat(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    checked = dt.datetime.fromisoformat(beat.checked_at)
    fresh = (now - checked).total_seconds() < 3 * beat.interval_seconds
    busy = beat.running_since is not None  # a pipeline run may take longer than the interval
    return beat if fresh or busy else None


def write_heartbeat(platform_home: Home, beat: Heartbeat) -> None:
    path = heartbeat_path(platform_home)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(beat)), encoding="utf-8")
    os.replace(temporary, path)


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def when_published(platform_home: Home, *, now: dt.datetime | None = None) -> str:
    """What the Submit page tells an officer about when an accepted return is published."""
    beat = read_heartbeat(platform_home, now=now)
    if beat is None:
        return _(
            "The file is in your landing folder. Its figures are published at the next pipeline "
            "run: the Secretariat's scheduled run, `make pipeline`, or within a minute when the "
            "Dagster landing sensor is on (`make dagster`)."
        )
    minutes = max(1, round(beat.interval_seconds / 60))
    return ngettext(
        "The platform looks for new files every {minutes} minute: this return goes through the "
        "pipeline at its next look, and its figures appear once that run has published (a few "
        "minutes). "
        "The Data quality page shows its status.",
        "The platform looks for new files every {minutes} minutes: this return goes through the "
        "pipeline at its next look, and its figures appear once that run has published (a few "
        "minutes). The Data quality page shows its status.",
        minutes,
    ).format(minutes=minutes)
