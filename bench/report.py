"""Write a run's result as JSON and as the Markdown tables of ``docs/benchmarks.md``.

The tables go between two marker comments, so the hand-written analysis around them in the
committed document survives a rerun. A document without the markers gets them appended.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

START_MARKER = "<!-- bench:results:start (written by `python -m bench.run`; do not edit) -->"
END_MARKER = "<!-- bench:results:end -->"
NEW_DOCUMENT = """# Benchmarks

Written by `make bench` (`python -m bench.run`); `make bench-quick` is the smoke-size run.

{block}
"""


def _number(value: Any, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value:,}{suffix}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{1000 * value:,.1f} ms"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _ingestion_lines(result: dict[str, Any]) -> list[str]:
    rows = []
    for item in result.get("ingestion", {}).values():
        if "skipped" in item:
            rows.append([item.get("file_format", "?"), "skipped: " + item["skipped"]] + [""] * 6)
            continue
        rows.append(
            [
                item["file_format"],
                f"{item['files']:,} files, {item['rows']:,} rows",
                f"{_number(item['intake_us_per_row'], 1)} µs",
                f"{item['floor']}: {_number(item['floor_us_per_row'], 1)} µs",
                f"{item['peer']}: {_number(item['peer_us_per_row'], 1)} µs",
                _number(item["intake_vs_floor"], 1, "x"),
                _number(item["intake_vs_peer"], 1, "x"),
                _number(item["intake_peak_rss_mb"], 0, " MB"),
            ]
        )
    header = [
        "returns",
        "input",
        "intake per row",
        "floor per row",
        "peer per row",
        "intake / floor",
        "intake / peer",
        "intake peak RSS",
    ]
    runs = [
        f"{item['file_format']} "
        + " / ".join(f"{run:.3f}" for run in item.get("intake_runs_seconds") or [])
        + " s"
        for item in result.get("ingestion", {}).values()
        if item.get("intake_runs_seconds")
    ]
    notes = (
        [
            "Intake is its best run of three (each into an empty home), as the floor and the "
            "peer are their best of three (openpyxl once). Intake's runs: " + "; ".join(runs) + ".",
            "",
        ]
        if runs
        else []
    )
    return ["### 1-2. Ingestion (parse + validate + load)", "", *_table(header, rows), "", *notes]


def sandbox_lines(result: dict[str, Any]) -> list[str]:
    """Reading each file in a worker process with hard limits, against in-process."""
    sandbox = result.get("sandbox")
    title = "### 1-2b. Reading files in a worker process (ingestion/sandbox.py)"
    if not sandbox:
        return []
    if "skipped" in sandbox:
        return [title, "", f"Skipped: {sandbox['skipped']}", ""]
    rows = [
        [
            file_format,
            f"{item['files']:,}",
            f"{_number(item['in_process_ms_per_file'], 1)} ms",
            f"{_number(item['sandbox_ms_per_file'], 1)} ms",
            f"{_number(item['overhead_ms_per_file'], 1)} ms",
            _number(item["sandbox_vs_in_process"], 2, "x"),
        ]
        for file_format, item in sandbox["formats"].items()
    ]
    header = [
        "returns",
        "files",
        "check + parse in-process, per file",
        "in a worker, per file",
        "cost of the worker per file",
        "worker / in-process",
    ]
    limits = sandbox.get("limits", {})
    return [
        title,
        "",
        *_table(header, rows),
        "",
        f"Starting a worker (once per pool, and again after one is stopped for a bad file): "
        f"{_number(sandbox['worker_start_seconds'], 2)} s. Limits: "
        f"{limits.get('memory_mb', '?')} MB address space, {limits.get('cpu_seconds', '?')} s "
        f"processor time, {limits.get('wall_seconds', '?')} s wall time per file.",
        "",
    ]


def _run_cell(run: dict[str, Any]) -> str:
    if not run.get("ok"):
        return "failed: " + str(run.get("error", ""))[:80].replace("|", "/").replace("\n", " ")
    return f"{_number(run['wall_seconds'], 1)} s"


def _end_to_end_lines(result: dict[str, Any]) -> list[str]:
    sizes = result.get("end_to_end", {})
    lines = ["### 3. End to end: new month landing -> published", ""]
    if "skipped" in sizes:
        return [*lines, f"Skipped: {sizes['skipped']}", ""]
    rows, split = [], []
    for item in sizes.values():
        if "error" in item:
            rows.append([item["size"], "failed: " + item["error"][:100], "", "", "", ""])
            continue
        rows.append(
            [
                item["size"],
                f"{item['history_files']:,} files / {item['history_rows']:,} rows",
                f"{item['new_month_files']:,} files / {item['new_month_rows']:,} rows",
                _run_cell(item["new_month"]),
                _run_cell(item["full_rebuild"]),
                _number(item["new_month_vs_full_rebuild"], 2),
            ]
        )
        for label in ("history_load", "new_month", "full_rebuild"):
            run = item[label]
            split.append(
                [
                    item["size"],
                    label.replace("_", " "),
                    _number(run.get("wall_seconds"), 1, " s"),
                    _number(run.get("process_overhead_seconds"), 1, " s"),
                    _number(run.get("import_seconds"), 1, " s"),
                    _number(run.get("parse_and_definitions_seconds"), 1, " s"),
                    _number(run.get("intake_seconds"), 1, " s"),
                    _number(run.get("dbt_build_seconds"), 1, " s"),
                    _number(run.get("publish_seconds"), 1, " s"),
                ]
            )
    lines += _table(
        ["size", "history", "new month", "new month", "full rebuild", "new month / rebuild"], rows
    )
    lines += ["", "Where each run's time goes (Dagster step times):", ""]
    lines += _table(
        [
            "size",
            "run",
            "wall",
            "process start/exit",
            "imports",
            "dbt parse + definitions",
            "intake",
            "dbt build",
            "publish",
        ],
        split,
    )
    return [*lines, ""]


def _memory_lines(result: dict[str, Any]) -> list[str]:
    sizes = result.get("end_to_end", {})
    if "skipped" in sizes:
        return []
    memory = [
        [
            item["size"],
            label.replace("_", " "),
            _number(item[label].get("peak_rss_mb"), 0, " MB"),
            _number(item[label].get("peak_dbt_rss_mb"), 0, " MB"),
        ]
        for item in sizes.values()
        if "error" not in item
        for label in ("history_load", "new_month", "full_rebuild")
    ]
    lines = [
        "### 6. Peak memory (resident set size)",
        "",
        "dbt: the largest dbt command of the run, each measured on its own by the warm dbt that"
        " forked it (`os.wait4`).",
        "",
    ]
    lines += _table(["size", "run", "pipeline process", "largest dbt command"], memory)
    return [*lines, ""]


def dashboard_lines(result: dict[str, Any]) -> list[str]:
    dashboard = result.get("dashboard", {})
    lines = ["### 4. Dashboard queries (cold: cache cleared, serving database opened)", ""]
    if "skipped" in dashboard:
        return [*lines, f"Skipped: {dashboard['skipped']}", ""]
    small, large = dashboard.get("sample_scale", {}), dashboard.get("largest_scale", {})
    comparison = dashboard.get("largest_vs_sample", {})
    rows = []
    for page, queries in small.get("pages", {}).items():
        for label, figures in queries.items():
            big = large.get("pages", {}).get(page, {}).get(label, {})
            compared = comparison.get(page, {}).get(label, {})
            rows.append(
                [
                    page,
                    f"`{label}`",
                    f"{_ms(figures.get('p50'))} / {_ms(figures.get('p95'))}",
                    f"{_ms(big.get('p50'))} / {_ms(big.get('p95'))}",
                    _number(compared.get("p50_ratio"), 2),
                    _number(compared.get("p95_ratio"), 2),
                ]
            )
    lines.append(
        f"Sample scale: {dashboard.get('sample_size', '?')}; largest: "
        f"{dashboard.get('largest_size', '?')}."
    )
    lines.append("")
    lines += _table(
        [
            "page",
            "query",
            "sample p50 / p95",
            "largest p50 / p95",
            "p50 largest / sample",
            "p95 largest / sample",
        ],
        rows,
    )
    not_measured = small.get("not_measured", [])
    if not_measured:
        lines += ["", "Not measured: " + "; ".join(not_measured) + "."]
    return [*lines, ""]


def page_lines(result: dict[str, Any]) -> list[str]:
    """Each page's full render per role: first view (caches cleared), revisit, interaction."""
    pages = result.get("dashboard", {}).get("pages")
    lines = ["### 5. Dashboard pages in full, per role (Streamlit AppTest script runs)", ""]
    if not pages:
        return [*lines, "Not measured in this run.", ""]
    small, large = pages.get("sample_scale", {}), pages.get("largest_scale", {})
    rows = []
    for role, by_page in large.get("roles", {}).items():
        for title, figures in by_page.items():
            base = small.get("roles", {}).get(role, {}).get(title, {})
            cells = [role, title]
            for step in ("first", "again", "interaction"):
                cells.append(
                    f"{_ms(base.get(step, {}).get('p95'))} / {_ms(figures.get(step, {}).get('p95'))}"
                )
            cells.append("; ".join(figures.get("errors", []) + base.get("errors", [])) or "")
            rows.append(cells)
    lines += _table(
        [
            "role",
            "page",
            "first view p95 (sample / largest)",
            "revisit p95",
            "interaction p95",
            "errors",
        ],
        rows,
    )
    lines.append("")
    for scale in ("sample_scale", "largest_scale"):
        for role, worst in pages.get("slowest", {}).get(scale, {}).items():
            lines.append(
                f"- {scale.replace('_', ' ')}, {role}: slowest p95 {_ms(worst['p95'])} "
                f"({worst['page']}, {worst['step']})"
            )
    return [*lines, ""]


def _startup_lines(result: dict[str, Any]) -> list[str]:
    startup = result.get("startup", {})
    rows = [["Python start and exit", _number(startup.get("python_start"), 2, " s")]]
    for module, value in startup.get("imports", {}).items():
        rows.append([f"`import {module}`", _number(value, 2, " s")])
    if "dbt_cli_start" in startup:
        rows.append(["`dbt --version` (dbt CLI start)", _number(startup["dbt_cli_start"], 2, " s")])
    if "dbt_parse" in startup:
        rows.append(["`dbt parse`", _number(startup.get("dbt_parse"), 2, " s")])
    lines = ["### 7. Fixed costs (each in a fresh process)", "", *_table(["cost", "time"], rows)]
    fixed = result.get("ingestion_fixed_costs", {})
    if fixed:
        rows = [
            [
                "intake process start and exit",
                _number(fixed.get("process_overhead_seconds"), 2, " s"),
            ],
            ["intake imports (`ingestion.intake`)", _number(fixed.get("import_seconds"), 2, " s")],
            [
                "first validation (Great Expectations import, reference seeds) and the readers' start",
                _number(fixed.get("first_validation_seconds"), 2, " s"),
            ],
        ]
        lines += ["", "Paid once by every intake process:", "", *_table(["cost", "time"], rows)]
    profile = result.get("intake_profile", {})
    if profile.get("phases"):
        lines += [
            "",
            f"Intake profile (cProfile after warm-up, {profile['files']} files, "
            f"{profile['rows_read']:,} rows, {_number(profile['seconds_per_file'], 3)} s per "
            "file): what `ingestion/intake.py` calls, by time spent in it:",
            "",
        ]
        lines += _table(
            ["called from intake", "time", "share"],
            [
                [
                    f"`{phase['phase']}`",
                    _number(phase["seconds"], 2, " s"),
                    _number(100 * phase["share"], 0, "%"),
                ]
                for phase in profile["phases"][:12]
            ],
        )
    return [*lines, ""]


def markdown_block(result: dict[str, Any]) -> str:
    """The generated part of ``docs/benchmarks.md`` for ``result``, markers included."""
    machine = result["machine"]
    lines = [
        START_MARKER,
        "",
        f"Run `{result['config']['name']}` on {result['started_at']}: {machine['cpu_count']} cores, "
        f"{_number(machine.get('memory_gb'), 1)} GB RAM, Python {machine['python']}, "
        f"DuckDB {machine['duckdb']}; ingestion at {result['config']['ingestion_months']} month(s) "
        f"x scale 1, end-to-end sizes {', '.join(result['config']['sizes']) or 'none'}. "
        f"Took {_number(result['duration_seconds'], 0)} s.",
        "",
    ]
    lines += [f"> {note}" for note in result.get("notes", [])]
    if result.get("notes"):
        lines.append("")
    lines += _ingestion_lines(result)
    lines += sandbox_lines(result)
    lines += _end_to_end_lines(result)
    lines += dashboard_lines(result)
    lines += page_lines(result)
    lines += _memory_lines(result)
    lines += _startup_lines(result)
    lines.append(END_MARKER)
    return "\n".join(lines)


def write_docs(result: dict[str, Any], docs_path: Path) -> Path:
    """Put the tables for ``result`` into ``docs_path`` between the markers; returns the path."""
    docs_path = Path(docs_path)
    block = markdown_block(result)
    if docs_path.exists():
        text = docs_path.read_text(encoding="utf-8")
        if START_MARKER in text and END_MARKER in text:
            before = text.split(START_MARKER, 1)[0]
            after = text.split(END_MARKER, 1)[1]
            text = before + block + after
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    else:
        docs_path.parent.mkdir(parents=True, exist_ok=True)
        text = NEW_DOCUMENT.format(block=block)
    docs_path.write_text(text, encoding="utf-8")
    return docs_path


def write_json(result: dict[str, Any], results_dir: Path) -> Path:
    """Write ``result`` to ``results_dir/<config>-<timestamp>.json`` and ``latest-<config>.json``."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = result["started_at"].replace(":", "").replace("-", "")
    text = json.dumps(result, indent=1, sort_keys=True, default=str) + "\n"
    path = results_dir / f"{result['config']['name']}-{stamp}.json"
    path.write_text(text, encoding="utf-8")
    (results_dir / f"latest-{result['config']['name']}.json").write_text(text, encoding="utf-8")
    return path
