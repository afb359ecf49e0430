"""The session's small sample home, published once the way the README's run command does it.

``pidc sample --months 4`` then ``pidc run --no-serve`` on a temporary home, through the CLI.
What the run printed and the summary ``orchestration.runner.run_pipeline`` returned to the CLI
are kept, so a test asserting on either asserts on this one run. Read-only tests use the home
directly; a test that writes to a home (another pipeline run) works on a copy
(:func:`copy_home`). Used by tests/pipeline/test_end_to_end.py and
tests/pipeline/test_orchestration_runs.py (the ``cli_sample`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pidc.settings import Home
from pidc.settings import home as make_home

SAMPLE_MONTHS = 4


@dataclass(frozen=True)
class CliSampleRun:
    """A home sampled and run through the CLI: what each command printed and exited with, and
    the summary of the pipeline run the CLI made."""

    home: Home
    sample_exit_code: int
    sample_output: str
    run_exit_code: int
    run_output: str
    summaries: tuple[dict[str, Any], ...]
    # What the run tried to reach beyond this machine, refused by the offline guard
    # (tests/support/offline): one line per attempt, in any process the run started.
    network_attempts: tuple[str, ...] = ()

    @property
    def summary(self) -> dict[str, Any]:
        """The summary of the CLI's one pipeline run."""
        [summary] = self.summaries
        return summary


def cli_sample_run(root: Path) -> CliSampleRun:
    """``pidc sample --months 4`` and ``pidc run --no-serve`` into ``root``, offline: the
    guard of tests/support/offline refuses and records any lookup or connection that would
    leave the machine, in this process and in every Python process the commands start."""
    from typer.testing import CliRunner

    from cli.main import app
    from orchestration import runner as pipeline_runner
    from support.offline.sitecustomize import FOLDER, LOG_VARIABLE, install

    runner = CliRunner()
    summaries: list[dict[str, Any]] = []
    run_pipeline = pipeline_runner.run_pipeline
    attempts = root.with_name(f"{root.name}-network.log")
    attempts.touch()

    def recording(*args, **kwargs):
        summaries.append(run_pipeline(*args, **kwargs))
        return summaries[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LOG_VARIABLE, str(attempts))
        patch.setenv(
            "PYTHONPATH",
            os.pathsep.join(filter(None, [str(FOLDER), os.environ.get("PYTHONPATH")])),
        )
        uninstall = install(attempts)
        try:
            sampled = runner.invoke(
                app, ["sample", "--home", str(root), "--months", str(SAMPLE_MONTHS)]
            )
            # The CLI imports run_pipeline from orchestration.runner when it runs.
            patch.setattr(pipeline_runner, "run_pipeline", recording)
            ran = runner.invoke(app, ["run", "--home", str(root), "--no-serve"])
        finally:
            uninstall()
    return CliSampleRun(
        home=make_home(root),
        sample_exit_code=sampled.exit_code,
        sample_output=sampled.output,
        run_exit_code=ran.exit_code,
        run_output=ran.output,
        summaries=tuple(summaries),
        network_attempts=tuple(attempts.read_text().splitlines()),
    )


def copy_home(home: Home, root: Path) -> Home:
    """A copy of ``home`` at ``root`` (which must not exist), modification times kept, so the
    copy's ledger has received every landing file just as the original's has."""
    shutil.copytree(home.root, root, symlinks=True)
    return make_home(root)
