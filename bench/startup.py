"""Fixed costs paid before any row is processed: interpreter start, imports, dbt start and parse."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.measure import command_seconds, import_seconds, interpreter_start_seconds, run_worker

# Modules whose import a pipeline or dashboard process pays; each timed in a fresh process.
IMPORTS = [
    "duckdb",
    "pandas",
    "great_expectations",
    "dagster",
    "dagster_dbt",
    "streamlit",
    "ingestion.intake",
    "orchestration.definitions",
]
# Quick mode: one cheap import, so the table's shape is exercised within the time budget;
# the intake worker reports the Great Expectations import as its first validation anyway.
QUICK_IMPORTS = ["duckdb"]


def measure_startup(*, quick: bool) -> dict[str, Any]:
    """Seconds of each fixed cost (best of a few runs; one in quick mode).

    Quick mode times only ``QUICK_IMPORTS`` and skips dbt (its start-up and ``dbt parse`` alone
    would take much of the quick budget).
    """
    repeats = 1 if quick else 2
    figures: dict[str, Any] = {
        "python_start": interpreter_start_seconds(repeats),
        "imports": {
            module: import_seconds(module, repeats)
            for module in (QUICK_IMPORTS if quick else IMPORTS)
        },
    }
    if not quick:
        # Imported here: it loads Dagster, which quick mode does not otherwise need.
        from orchestration.transform import dbt_executable

        figures["dbt_cli_start"] = command_seconds([dbt_executable(), "--version"], repeats)
        with tempfile.TemporaryDirectory(prefix="pidc-bench-parse-") as scratch:
            parse = run_worker("dbt_parse", {}, env={"PIDC_HOME": str(Path(scratch))})
        figures["dbt_parse"] = parse.get("parse_seconds") if parse.get("ok") else None
        figures["dbt_parse_error"] = parse.get("error")
    return figures
