"""Where intake spends its time: cProfile over a few hundred sample files, grouped by phase.

The phases are found, not listed: every function that ``ingestion/intake.py`` calls directly
(parsing, validation, loading, report writing, hashing, ...) with the time spent in it from
there. So the breakdown follows the intake code as it changes. The top functions by own time
point at what to optimise.
"""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path
from typing import Any

INTAKE_MODULE = "ingestion/intake.py"
PROJECT_PACKAGES = ("ingestion", "expectations", "pidc")


def _normalised(filename: str) -> str:
    return filename.replace("\\", "/")


def _is_project_file(filename: str) -> bool:
    normalised = _normalised(filename)
    # great_expectations has its own "expectations" folder; it is not ours.
    if "site-packages" in normalised:
        return False
    return any(f"/{package}/" in normalised for package in PROJECT_PACKAGES)


def _short(filename: str, line: int, function: str) -> str:
    if filename == "~":  # a built-in
        return function
    return f"{'/'.join(Path(filename).parts[-2:])}:{line}({function})"


def intake_phases(stats: pstats.Stats) -> list[dict[str, Any]]:
    """Functions called directly from ``ingestion/intake.py``, with seconds spent in them there.

    Calls between intake's own functions are followed down, so a helper of intake is split into
    what it calls rather than reported as one lump.
    """
    phases: dict[str, float] = {}
    for (filename, line, function), (*_counts, callers) in stats.stats.items():
        if _normalised(filename).endswith(INTAKE_MODULE):
            continue
        from_intake = sum(
            timing[3]
            for caller, timing in callers.items()
            if _normalised(caller[0]).endswith(INTAKE_MODULE)
        )
        if from_intake > 0:
            phases[_short(filename, line, function)] = from_intake
    total = stats.total_tt or 1.0
    ordered = sorted(phases.items(), key=lambda item: item[1], reverse=True)
    return [
        {"phase": name, "seconds": round(spent, 3), "share": round(spent / total, 3)}
        for name, spent in ordered
        if spent / total >= 0.005
    ]


def summarise(stats: pstats.Stats, files: int, rows: int, *, top: int = 15) -> dict[str, Any]:
    """Phases, top functions by own time and top project functions by cumulative time."""
    total = stats.total_tt
    by_own = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    by_cumulative = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)
    return {
        "files": files,
        "rows_read": rows,
        "profiled_seconds": round(total, 3),
        "seconds_per_file": round(total / max(1, files), 4),
        "phases": intake_phases(stats),
        "top_own_time": [
            {
                "function": _short(*key),
                "calls": calls,
                "own_seconds": round(own, 3),
                "cumulative_seconds": round(cumulative, 3),
            }
            for key, (_cc, calls, own, cumulative, _callers) in by_own
        ],
        "top_project_cumulative": [
            {"function": _short(*key), "cumulative_seconds": round(timing[3], 3)}
            for key, timing in by_cumulative
            if _is_project_file(key[0])
        ][:top],
    }


def profile_ingest(landing: Path, platform_home, *, top: int = 15) -> dict[str, Any]:
    """Ingest ``landing`` into ``platform_home`` under cProfile and summarise where time went.

    Call it after a warm-up (imports and the first validation done), so the result is the steady
    per-file cost.
    """
    from ingestion.intake import ingest_path

    profiler = cProfile.Profile()
    profiler.enable()
    outcomes = ingest_path(Path(landing), platform_home.ensure())
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = sum(outcome.rows_read for outcome in outcomes)
    return summarise(stats, len(outcomes), rows, top=top)
