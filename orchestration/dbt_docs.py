"""``make docs``: dbt's documentation site (models, columns, tests, lineage) for the warehouse.

Runs ``dbt docs generate`` for the home folder named by ``$PIDC_HOME`` with its artifacts in
``$PIDC_HOME/dbt-docs`` (never in the checkout), then prints how to open it. The catalog (column
types, row counts) is read from the warehouse, so build it first (``make pipeline``) and do not
run this while a pipeline run is writing it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.transform import dbt_env, dbt_executable
from pidc.settings import DBT_PROJECT_DIR, Home, home

DOCS_FOLDER_NAME = "dbt-docs"


def docs_target_path(platform_home: Home) -> Path:
    """Where the documentation site is written: ``$PIDC_HOME/dbt-docs``."""
    return platform_home.root / DOCS_FOLDER_NAME


def dbt_docs_command(platform_home: Home, project_dir: Path = DBT_PROJECT_DIR) -> list[str]:
    """The ``dbt docs generate`` command line; ``--static`` also writes one self-contained
    ``static_index.html`` that opens from disk without a server or the internet.
    """
    return [
        dbt_executable(),
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(docs_target_path(platform_home)),
    ]


def serve_instructions(platform_home: Home) -> str:
    """How to open the generated site, as printed after ``make docs``."""
    target = docs_target_path(platform_home)
    return (
        f"dbt docs written to {target}\n"
        f"Open {target / 'static_index.html'} in a browser (no server needed), or serve it:\n"
        f"  .venv/bin/python -m http.server 8080 --directory {target}\n"
        "and browse http://localhost:8080/"
    )


def generate_docs(platform_home: Home, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Run ``dbt docs generate`` for ``platform_home``; return the site's folder.

    Raises ``subprocess.CalledProcessError`` (dbt's output already printed) when dbt fails.
    """
    platform_home.ensure()
    if not platform_home.warehouse.exists():
        print(
            f"Note: no warehouse at {platform_home.warehouse}; the docs will describe the models "
            "but the catalog (columns, row counts) stays empty. Run `make pipeline` first.",
            file=sys.stderr,
        )
    environment = {**os.environ, **dbt_env(platform_home)}
    # The command is built from fixed arguments and paths, never from user input.
    subprocess.run(dbt_docs_command(platform_home, project_dir), env=environment, check=True)  # noqa: S603
    return docs_target_path(platform_home)


def main() -> int:
    """Entry point of ``python -m orchestration.dbt_docs`` (``make docs``)."""
    platform_home = home()
    try:
        generate_docs(platform_home)
    except subprocess.CalledProcessError as error:
        print(f"dbt docs generate failed (exit code {error.returncode}); see above.")
        return error.returncode or 1
    print(serve_instructions(platform_home))
    return 0


if __name__ == "__main__":
    sys.exit(main())
