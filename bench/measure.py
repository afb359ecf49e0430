"""Timing primitives: best-of-N timers, percentiles, ratios and fresh-process workers."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pidc.settings import PROJECT_ROOT

# Telemetry off in every process we start: the platform runs offline, and a telemetry thread
# would add noise to the timings.
QUIET_ENV = {
    "GX_ANALYTICS_ENABLED": "False",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}


def seconds(action: Callable[[], object]) -> float:
    """Wall-clock seconds ``action()`` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``samples`` (nearest rank; fine for tens of samples)."""
    if not samples:
        raise ValueError("no samples to take a percentile of")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ratio(value: float | None, baseline: float | None) -> float | None:
    """``value / baseline``, or None when either is missing or the baseline is zero."""
    if value is None or baseline is None or baseline <= 0:
        return None
    return value / baseline


def python_executable() -> str:
    """The project's Python (the venv running this benchmark)."""
    return sys.executable


def run_worker(task: str, args: dict[str, Any], *, env: dict[str, str] | None = None) -> dict:
    """Run ``bench.worker`` TASK in a fresh Python process and return its result.

    Adds ``wall_seconds`` (as seen from here) and ``process_overhead_seconds`` (interpreter
    start-up and exit: wall time not spent inside the task). A task that raised comes back with
    ``ok`` False and its ``error``; a crashed process raises ``RuntimeError`` with its stderr.
    """
    with tempfile.TemporaryDirectory(prefix="pidc-bench-") as scratch:
        out = Path(scratch) / "result.json"
        command = [
            python_executable(),
            "-m",
            "bench.worker",
            task,
            json.dumps(args),
            str(out),
        ]
        started = time.perf_counter()
        completed = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **QUIET_ENV, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        if not out.exists():
            raise RuntimeError(
                f"bench worker {task!r} died (exit {completed.returncode}): "
                f"{completed.stderr[-2000:]}"
            )
        result = json.loads(out.read_text(encoding="utf-8"))
    result["wall_seconds"] = wall
    result["process_overhead_seconds"] = max(0.0, wall - result.get("task_seconds", 0.0))
    return result


def import_seconds(module: str, repeats: int = 1) -> float:
    """Seconds a fresh Python process spends importing ``module`` (best of ``repeats``)."""
    code = (
        "import time; t = time.perf_counter(); import importlib; "
        f"importlib.import_module({module!r}); print(time.perf_counter() - t)"
    )
    best = math.inf
    for _ in range(repeats):
        completed = subprocess.run(
            [python_executable(), "-c", code],
            cwd=PROJECT_ROOT,
            env={**os.environ, **QUIET_ENV},
            capture_output=True,
            text=True,
            check=True,
        )
        best = min(best, float(completed.stdout.strip().splitlines()[-1]))
    return best


def interpreter_start_seconds(repeats: int = 3) -> float:
    """Seconds to start and stop a bare project Python (``python -c pass``), best of ``repeats``."""
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([python_executable(), "-c", "pass"], check=True, env=os.environ.copy())
        best = min(best, time.perf_counter() - started)
    return best


def command_seconds(command: list[str], repeats: int = 1) -> float:
    """Wall seconds a command takes to run to completion (best of ``repeats``)."""
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **QUIET_ENV},
            capture_output=True,
            check=True,
        )
        best = min(best, time.perf_counter() - started)
    return best
