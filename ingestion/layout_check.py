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
from ingestion.messages import english
from ingestion.parsers.common import ParsedSubmission
from ingestion.parsers.declared_layout import TableSummary, matching_layouts, parse_declared
from ingestion.report import ERROR, SECRETARIAT, WARNING, Problem, word
from ingestion.safety import check_file
from pidc import i18n
from pidc.i18n import N_, _

# The layout file's own error (ingestion.layout_schema) stays English; its fix is translated.
FIX_LAYOUT = N_("Fix the layout file.")


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
        """What was read and the problems, for the Secretariat, in the current language."""
        count = i18n.format_count
        lines = [f"# {self.file.name} ({self.member})", ""]
        if not self.layouts:
            lines.append(_("No declared layout matches this file."))
        for table in self.tables:
            where = _("sheet {sheet}").format(sheet=table.sheet) if table.sheet else _("the file")
            printed = _("(none printed)") if table.file_total is None else count(table.file_total)
            total = (
                _("- total loaded: {total}") if table.use == "load" else _("- total read: {total}")
            )
            lines += [
                f"## {table.layout}: {where} -> {table.dataset} ({table.use})",
                _("- months: {months}").format(months=months_text(table.months)),
                _("- records: {records}").format(records=count(table.records)),
                _("- total printed by the file: {total}").format(total=printed),
                total.format(total=count(table.loaded_total)) + verdict(table),
                _("- columns: {columns}").format(
                    columns="; ".join(f"{k} {v}" for k, v in table.columns.items()) or _("(cells)")
                ),
            ]
            if table.skipped_rows:
                lines.append(
                    _("- rows skipped by rule: {rows}").format(
                        rows=", ".join(table.skipped_rows[:10])
                    )
                )
            if table.ignored_columns:
                lines.append(
                    _("- empty columns left out: {columns}").format(
                        columns=", ".join(table.ignored_columns)
                    )
                )
            if table.preview:
                keys = [k for k in table.preview[0] if k not in ("member", "printed_total")]
                lines += ["", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
                for record in table.preview:
                    lines.append("| " + " | ".join(str(record.get(k, "")) for k in keys) + " |")
            lines.append("")
        if self.problems:
            lines.append("## " + _("Problems"))
            for problem in self.problems:
                who = _("Secretariat") if problem.audience == SECRETARIAT else _("member")
                said = f"{problem.text()} {problem.fix_text()}".rstrip()
                lines.append(
                    _("- {severity} ({who}) at {where}: {problem}").format(
                        severity=word(problem.severity), who=who, where=problem.location(),
                        problem=said,
                    )
                )  # fmt: skip
        lines.append("")
        lines.append(
            _("OK: this file would load as shown.") if self.ok else _("NOT OK: see above.")
        )
        return "\n".join(lines)


def verdict(table: TableSummary) -> str:
    if table.file_total is None or table.use != "load":
        return ""
    return "  " + (_("(equal)") if table.file_total == table.loaded_total else _("(DIFFERENT)"))


def months_text(months: list[str]) -> str:
    if not months:
        return _("(none)")
    if len(months) <= 4:
        return ", ".join(months)
    return _("{first} to {last} ({count} months)").format(
        first=months[0], last=months[-1], count=len(months)
    )


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
        result.problems.append(Problem.from_error(error))
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
                    Problem.of(
                        WARNING, N_("A layout file could not be read: {broken}"),
                        N_("Fix it; until then no file is read through it."),
                        {"broken": str(broken)}, rule="layout", audience=SECRETARIAT,
                    )
                )  # fmt: skip
    except LayoutError as error:
        result.problems.append(
            Problem(
                ERROR,
                str(error),
                english(FIX_LAYOUT),
                rule="layout",
                audience=SECRETARIAT,
                fix_template=FIX_LAYOUT,
            )
        )
        return result
    result.layouts = [layout.name for layout in layouts]
    if not layouts:
        result.problems.append(
            Problem.of(
                ERROR,
                N_("No layout of {member} matches {file} (by file name, sheets and header)."),
                N_("Write one (docs/layouts.md) and pass it with --layout while drafting."),
                {"member": member, "file": path.name},
                rule="layout",
                audience=SECRETARIAT,
            )
        )
        return result
    try:
        parsed: ParsedSubmission = parse_declared(path, member, layouts)
    except IntakeError as error:
        result.problems.append(Problem.from_error(error, rule="layout"))
        return result
    result.tables = parsed.summaries
    validated = validate_submission(parsed, member, today=today)
    result.problems += list(validated.problems)
    return result
