"""``pidc layout check``: what a declared layout would read from a file, loading nothing.

The Secretariat writes a layout for a member's publication with this open beside it: the tables
found, the months, a preview of the records, the file's own totals against what would be
loaded, labels that did not resolve (with suggestions) and cells that nothing reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.errors import IntakeError
from ingestion.layout_schema import LayoutError, broken_layouts, load_layout
from ingestion.parsers.common import ParsedSubmission
from ingestion.parsers.declared_layout import TableSummary, matching_layouts, parse_declared
from ingestion.report import ERROR, SECRETARIAT, WARNING, Problem
from ingestion.safety import check_file


@dataclass
class LayoutCheck:
    """The outcome of checking one file against its layout(s)."""

    file: Path
    member: str
    layouts: list[str] = field(default_factory=list)
    tables: list[TableSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.tables) and not any(p.severity == ERROR for p in self.problems)

    def to_text(self) -> str:
        lines = [f"# {self.file.name} ({self.member})", ""]
        if not self.layouts:
            lines.append("No declared layout matches this file.")
        for table in self.tables:
            where = f"sheet {table.sheet}" if table.sheet else "the file"
            lines += [
                f"## {table.layout}: {where} -> {table.dataset} ({table.use})",
                f"- months: {months_text(table.months)}",
                f"- records: {table.records:,}",
                "- total printed by the file: "
                + ("(none printed)" if table.file_total is None else f"{table.file_total:,}"),
                f"- total {'loaded' if table.use == 'load' else 'read'}: {table.loaded_total:,}"
                + verdict(table),
                "- columns: "
                + ("; ".join(f"{k} {v}" for k, v in table.columns.items()) or "(cells)"),
            ]
            if table.skipped_rows:
                lines.append(f"- rows skipped by rule: {', '.join(table.skipped_rows[:10])}")
            if table.ignored_columns:
                lines.append(f"- empty columns left out: {', '.join(table.ignored_columns)}")
            if table.preview:
                keys = [k for k in table.preview[0] if k not in ("member", "printed_total")]
                lines += ["", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
                for record in table.preview:
                    lines.append("| " + " | ".join(str(record.get(k, "")) for k in keys) + " |")
            lines.append("")
        if self.problems:
            lines.append("## Problems")
            for problem in self.problems:
                who = "Secretariat" if problem.audience == SECRETARIAT else "member"
                place = problem.location()
                lines.append(
                    f"- {problem.severity} ({who}){' at ' + place if place else ''}: "
                    f"{problem.message} {problem.fix}".rstrip()
                )
        lines.append("")
        lines.append("OK: this file would load as shown." if self.ok else "NOT OK: see above.")
        return "\n".join(lines)


def verdict(table: TableSummary) -> str:
    if table.file_total is None or table.use != "load":
        return ""
    return "  (equal)" if table.file_total == table.loaded_total else "  (DIFFERENT)"


def months_text(months: list[str]) -> str:
    if not months:
        return "(none)"
    if len(months) <= 4:
        return ", ".join(months)
    return f"{months[0]} to {months[-1]} ({len(months)} months)"


def check_layout(
    path: Path,
    member: str,
    layout_file: Path | None = None,
    *,
    today: dt.date | None = None,
) -> LayoutCheck:
    """Parse ``path`` through its layout(s) and validate the records; load nothing."""
    from ingestion.validate import validate_submission

    path, member = Path(path), member.upper()
    result = LayoutCheck(path, member)
    try:
        # The same safety checks as intake (macros, disguised types, zip bombs, a sheet's real
        # extent) before any reader allocates; the parse itself is only ever this command's.
        check_file(path)
    except IntakeError as error:
        result.problems.append(Problem(ERROR, error.message, error.fix, rule=error.code))
        return result
    try:
        if layout_file is not None:
            layouts = [load_layout(layout_file)]
        else:
            sheets = None
            if path.suffix.lower() != ".csv":
                from python_calamine import CalamineWorkbook

                sheets = CalamineWorkbook.from_path(str(path)).sheet_names
            layouts = matching_layouts(path, member, sheets)
            for broken in broken_layouts():  # named here, never skipped silently
                result.problems.append(
                    Problem(
                        WARNING, f"A layout file could not be read: {broken}",
                        "Fix it; until then no file is read through it.",
                        rule="layout", audience=SECRETARIAT,
                    )
                )  # fmt: skip
    except LayoutError as error:
        result.problems.append(
            Problem(ERROR, str(error), "Fix the layout file.", rule="layout", audience=SECRETARIAT)
        )
        return result
    result.layouts = [layout.name for layout in layouts]
    if not layouts:
        result.problems.append(
            Problem(
                ERROR,
                f"No layout of {member} matches {path.name} (by file name, sheets and header).",
                "Write one (docs/layouts.md) and pass it with --layout while drafting.",
                rule="layout",
                audience=SECRETARIAT,
            )
        )
        return result
    try:
        parsed: ParsedSubmission = parse_declared(path, member, layouts)
    except IntakeError as error:
        result.problems.append(Problem(ERROR, error.message, error.fix, rule="layout"))
        return result
    result.tables = parsed.summaries
    validated = validate_submission(parsed, member, today=today)
    result.problems += list(validated.problems)
    return result
