"""Where the platform keeps its runtime files, and the settings an operator may change.

One environment variable, ``PIDC_HOME``, names the platform's home folder; by default it is
``.home`` inside the checkout. Nothing below it is ever committed. Code finds the project's own
files from ``__file__``, never from the working directory.

A second, ``PIDC_DBT_PROJECT_DIR``, points the whole platform (validation, the pipeline, the
dashboard's reference lookups) at another copy of the dbt project, for instance a deployment's
own copy whose reference seeds list a member that joined after this release. It is read once,
when this module is first imported, so set it before starting a process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = (
    Path(os.environ.get("PIDC_DBT_PROJECT_DIR") or PROJECT_ROOT / "dbt_project")
    .expanduser()
    .resolve()
)
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
DEFAULT_HOME = PROJECT_ROOT / ".home"


@dataclass(frozen=True)
class Home:
    """The platform's home folder and the fixed layout below it."""

    root: Path

    @property
    def landing(self) -> Path:
        """Files as members sent them, one sub-folder per member; never modified."""
        return self.root / "landing"

    @property
    def quarantine(self) -> Path:
        """Rejected files, each beside its validation report."""
        return self.root / "quarantine"

    @property
    def archive(self) -> Path:
        """Accepted files, by sha256, so every loaded row can be traced to its file."""
        return self.root / "archive"

    @property
    def reports(self) -> Path:
        """Validation reports (JSON, Markdown, HTML), one folder per submission."""
        return self.root / "reports"

    @property
    def warehouse(self) -> Path:
        """The DuckDB warehouse the pipeline writes (raw, staging, marts)."""
        return self.root / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        """The published, audited copy of the marts that the dashboard reads."""
        return self.root / "serving.duckdb"

    @property
    def dagster_home(self) -> Path:
        """Dagster's instance storage (runs, event logs, schedules)."""
        return self.root / "dagster"

    def ensure(self) -> Home:
        """Create the folders (not the databases) and return self."""
        for folder in (
            self.landing,
            self.quarantine,
            self.archive,
            self.reports,
            self.dagster_home,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def home(root: str | Path | None = None) -> Home:
    """The home folder: ``root`` if given, else ``$PIDC_HOME``, else ``.home`` in the checkout."""
    chosen = root or os.environ.get("PIDC_HOME") or DEFAULT_HOME
    return Home(Path(chosen).expanduser().resolve())
