"""The validation report a submitter gets: every problem at once, in plain language.

One report per file, written as JSON (for machines), Markdown and HTML (for people). Everything a
file supplies (its name, sheet names, cell values, and messages that quote them) is escaped in the
Markdown and HTML, so a value reads as its characters and never as a link, an image or markup
(``pidc.escaping``).
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pidc.escaping import escape_markdown, visible_controls

ERROR = "error"
WARNING = "warning"
NOTE = "note"  # what was read and how (skipped rows, totals not reconciled); never rejects
MEMBER = "member"
SECRETARIAT = "secretariat"
# The HTML report may load nothing (no images, scripts, frames or fonts); only its own styles.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth a second look (warning), located as precisely as known."""

    severity: str
    message: str
    fix: str
    dataset: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    rule: str = ""
    # Who can fix it: the member's officer (their figures) or the Secretariat (a declared
    # layout or a label mapping, which the member cannot change).
    audience: str = MEMBER

    def location(self) -> str:
        """Where to look, in the words of the spreadsheet: sheet, row, column."""
        parts = []
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts) or "whole file"


@dataclass
class ValidationReport:
    """Verdict and problems for one submitted file."""

    file_name: str
    file_sha256: str
    member: str | None = None
    file_format: str | None = None
    returns: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    # The declared layouts the file was read with (ingestion.layout_schema.layouts_version):
    # a file held for the Secretariat is retried when this changes.
    layouts_version: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def accepted(self) -> bool:
        """A file is accepted when it has no errors; warnings never reject."""
        return not self.errors

    @property
    def held_for_secretariat(self) -> bool:
        """Rejected only for problems the Secretariat must fix (a layout or a mapping)."""
        return bool(self.errors) and all(p.audience == SECRETARIAT for p in self.errors)

    @property
    def verdict(self) -> str:
        return "accepted" if self.accepted else "rejected"

    def summary(self) -> str:
        """One line for the ledger and the command line."""
        text = f"{self.verdict}: {self.rows_read} rows read, {len(self.errors)} errors, "
        text += f"{len(self.warnings)} warnings"
        if self.errors:
            text += f"; first: {self.errors[0].location()}: {self.errors[0].message}"
        return text

    def to_dict(self) -> dict:
        return {
            "file_name": self.file_name,
            "file_sha256": self.file_sha256,
            "member": self.member,
            "file_format": self.file_format,
            "verdict": self.verdict,
            "rows_read": self.rows_read,
            "returns": self.returns,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "problems": [asdict(p) for p in self.problems],
            "held_for_secretariat": self.held_for_secretariat,
            "layouts_version": self.layouts_version,
        }

    @classmethod
    def from_dict(cls, document: dict) -> ValidationReport:
        """The report ``to_dict`` wrote (report.json), to be shown again."""
        fields = set(Problem.__dataclass_fields__)
        return cls(
            file_name=document["file_name"],
            file_sha256=document.get("file_sha256", ""),
            member=document.get("member"),
            file_format=document.get("file_format"),
            returns=list(document.get("returns") or []),
            problems=[
                Problem(**{key: value for key, value in item.items() if key in fields})
                for item in document.get("problems") or []
            ],
            rows_read=int(document.get("rows_read") or 0),
            layouts_version=document.get("layouts_version"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_markdown(self) -> str:
        md = escape_markdown
        lines = [
            f"# Validation report: {md(self.file_name)}",
            "",
            f"**Verdict: {self.verdict.upper()}**. {md(self.summary().rstrip('.'))}.",
            "",
        ]
        if self.member:
            lines.append(f"- Member: {md(self.member)}")
        for item in self.returns:
            nil = " (nil return)" if item.get("is_nil") else ""
            lines.append(
                f"- Return: {md(item['dataset'])} {md(item['period'])}, "
                f"{md(item['rows'])} rows{nil}"
            )
        lines.append("")
        member_errors = [p for p in self.errors if p.audience != SECRETARIAT]
        layout_errors = [p for p in self.errors if p.audience == SECRETARIAT]
        notes = [p for p in self.problems if p.severity == NOTE]
        sections = (
            ("For the Secretariat: the declared layout or a mapping must change", layout_errors),
            ("Errors (must be fixed)", member_errors),
            ("Warnings", self.warnings),
            ("Notes (what was read and how; nothing to do)", notes),
        )
        if layout_errors and not member_errors:
            lines += [
                "The member has nothing to correct: the file is held in quarantine, and the "
                "next intake after the Secretariat has fixed what is listed below reads it "
                "again from there.",
                "",
            ]
        for title, items in sections:
            if not items:
                continue
            lines += [f"## {title}", "", "| where | value | what is wrong | how to fix |"]
            lines.append("|---|---|---|---|")
            for p in items:
                cells = [p.location(), p.value or "", p.message, p.fix]
                lines.append("| " + " | ".join(md(c) for c in cells) + " |")
            lines.append("")
        if not self.problems:
            lines.append("No problems found.")
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """A self-contained page: nothing is loaded from elsewhere, whatever the file held."""

        def esc(text: object) -> str:
            return html.escape(visible_controls(str(text)))

        rows = "".join(
            f"<tr class='{esc(p.severity)}'><td>{esc(p.severity)}</td><td>{esc(p.location())}</td>"
            f"<td>{esc(p.value or '')}</td><td>{esc(p.message)}</td><td>{esc(p.fix)}</td></tr>"
            for p in self.problems
        )
        table = (
            "<table><thead><tr><th>severity</th><th>where</th><th>value</th>"
            f"<th>what is wrong</th><th>how to fix</th></tr></thead><tbody>{rows}</tbody></table>"
            if self.problems
            else "<p>No problems found.</p>"
        )
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CONTENT_SECURITY_POLICY}\">"
            f"<title>Validation report: {esc(self.file_name)}</title>"
            "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px}"
            "tr.error td:first-child{color:#b00}tr.warning td:first-child{color:#a60}</style>"
            f"</head><body><h1>Validation report: {esc(self.file_name)}</h1>"
            f"<p><strong>{esc(self.verdict.upper())}</strong>. {esc(self.summary())}.</p>"
            f"{table}</body></html>"
        )

    def write(self, folder: Path) -> Path:
        """Write report.json, report.md and report.html into ``folder``; return the .md path."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(self.to_json(), encoding="utf-8")
        (folder / "report.html").write_text(self.to_html(), encoding="utf-8")
        markdown = folder / "report.md"
        markdown.write_text(self.to_markdown(), encoding="utf-8")
        return markdown
