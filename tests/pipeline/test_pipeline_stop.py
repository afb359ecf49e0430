"""Ctrl+C on `pidc pipeline` stops it: no step is tried again and nothing is published.

Dagster retries a step that has a retry policy when an interrupt reaches it: Ctrl+C during the
first `make run`'s dbt build stopped dbt, then the build started again and the pipeline published
as if nothing had been asked (orchestration.resources.stopped_for_good).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pidc.settings import PROJECT_ROOT
from sample_data.generation import generate_samples

pytestmark = pytest.mark.slow

PIDC = Path(sys.executable).with_name("pidc")


def dbt_started(root: Path) -> bool:
    """dbt's first line is in the run's log (dbt's output goes there as it comes)."""
    return any(
        "Running with dbt=" in log.read_text(encoding="utf-8", errors="replace")
        for log in (root / "logs").glob("pipeline-*.log")
    )


def test_ctrl_c_during_the_dbt_build_stops_the_pipeline_and_publishes_nothing(tmp_path):
    root = tmp_path / "home"
    generate_samples(root / "landing", months=1)
    process = subprocess.Popen(
        [str(PIDC), "pipeline", "--home", str(root)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PIDC_HOME": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl+C reaches it
    )
    try:
        deadline = time.monotonic() + 300
        while not dbt_started(root):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "dbt never started"
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    logs = "\n".join(log.read_text(encoding="utf-8") for log in (root / "logs").glob("*.log"))
    assert process.returncode != 0, output
    assert "Stopped (Ctrl+C" in output + logs, output
    assert "re-execution" not in logs, "a stopped step was tried again"
    assert not (root / "serving.duckdb").exists(), "a stopped pipeline published"
