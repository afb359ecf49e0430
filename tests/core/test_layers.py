"""The layers the code itself enforces (issue 14): `lint-imports` with the contracts of pyproject.toml.

pidc <- expectations <- ingestion <- orchestration | app | sample_data <- cli; app imports only pidc
and ingestion; nothing imports bench. The project keeps them, and a copy of it with one import
that breaks a rule (a lazy one inside a function counts too) fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pidc.settings import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = [
    "pidc",
    "expectations",
    "ingestion",
    "orchestration",
    "app",
    "sample_data",
    "cli",
    "bench",
]


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    # The checked packages come first on the path, before the editable install of the checkout.
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_project_keeps_its_layers():
    result = _lint(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_the_project(tmp_path_factory) -> Path:
    """The project's Python packages and pyproject.toml, nothing else (no data, no venv)."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package,
            root / package,
            ignore=lambda folder, names: [
                n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()
            ],
        )
    return root


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # A lower layer reaching up, lazily: the ground floor importing the command line.
        (
            "pidc/settings.py",
            "def _violation():\n    from cli.main import app\n\n    return app\n",
            "pidc <- expectations",
        ),
        ("ingestion/landing.py", "import orchestration.intake\n", "pidc <- expectations"),
        ("app/ui.py", "from expectations import suites\n", "app imports only pidc and ingestion"),
        ("orchestration/progress.py", "import bench.config\n", "nothing imports bench"),
    ],
)
def test_a_copy_with_a_forbidden_import_fails(copy_of_the_project, module, line, broken):
    target = copy_of_the_project / module
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(original + "\n\n" + line, encoding="utf-8")
        result = _lint(copy_of_the_project)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout
    assert "BROKEN" in result.stdout
