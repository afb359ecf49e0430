"""The validation report a submitter gets: every problem at once, in plain language.

One report per file, written as JSON (for machines), Markdown and HTML (for people). A report
lists at most ``PIDC_MAX_PROBLEMS`` problems (1,000): past that, problems are only counted, per
kind (severity, dataset, column, rule), and the report says how many of each were not listed, so
a file of a million bad rows costs a report of a thousand. The report's own words (headings,
verdict, column titles) are in the current language (``pidc.i18n``), and so are its problems: each
keeps its English template (the gettext msgid) and params (ingestion.messages) and is rendered
when the report is shown or written, so a report.json written in English reads in French on the
dashboard. The stored ``message`` and ``fix`` stay English, and the one-line ``summary`` kept in
the ledger is always English. Everything a
file supplies (its name, sheet names, cell values, and messages that quote them) is escaped in the
Markdown and HTML, so a value reads as its characters and never as a link, an image or markup
(``pidc.escaping``).
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from ingestion.messages import clip, clip_params, english, render
from ingestion.statuses import FileStatus
from pidc import i18n
from pidc.escaping import escape_markdown, visible_controls
from pidc.i18n import N_, _, ngettext


class Severity(StrEnum):
    """How much a problem weighs: errors reject the file, warnings and notes never do."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # what was read and how (skipped rows, totals not reconciled); never rejects


class Audience(StrEnum):
    """Who can fix a problem: the member (their file) or the Secretariat (a declared layout)."""

    MEMBER = "member"
    SECRETARIAT = "secretariat"


ERROR = Severity.ERROR
WARNING = Severity.WARNING
NOTE = Severity.NOTE
MEMBER = Audience.MEMBER
SECRETARIAT = Audience.SECRETARIAT
DEFAULT_MAX_PROBLEMS = 1000
MAX_VALUE_CHARS = 200
MAX_MESSAGE_CHARS = 1000
# The words a report shows for a verdict, a status or a severity (stored values stay English).
WORDS = {
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "duplicate": N_("duplicate"),
    "refused": N_("refused"),
    "skipped": N_("skipped"),
    "superseded": N_("superseded"),
    "withdrawn": N_("withdrawn"),
    "error": N_("error"),
    "warning": N_("warning"),
    "note": N_("note"),
}


def word(value: str) -> str:
    """A verdict or severity in the current language (anything else as it is)."""
    text = str(value)
    return _(WORDS[text]) if text in WORDS else text


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
    # The language-neutral form (ingestion.messages): the English templates (gettext msgids)
    # and their params, so the problem is shown in the reader's language. ``message`` and
    # ``fix`` above are their English rendering, kept for whoever reads report.json as is.
    # Problems written before (or by a producer that gives no template) are shown as stored.
    message_template: str = ""
    fix_template: str = ""
    params: dict = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # A value from a file can be megabytes long (one huge cell or line): a report quotes
        # enough of it to find it, never all of it, so every report stays small.
        with i18n.language("en"):
            for name, limit in (("value", MAX_VALUE_CHARS), ("message", MAX_MESSAGE_CHARS),
                                ("fix", MAX_MESSAGE_CHARS), ("sheet", MAX_VALUE_CHARS),
                                ("column", MAX_VALUE_CHARS)):  # fmt: skip
                text = getattr(self, name)
                if isinstance(text, str) and len(text) > limit:
                    object.__setattr__(self, name, clip(text, limit))
        if self.params:
            object.__setattr__(self, "params", clip_params(self.params, MAX_VALUE_CHARS))

    @classmethod
    def of(
        cls,
        severity: str,
        message: str,
        fix: str = "",
        params: dict | None = None,
        **where: object,
    ) -> Problem:
        """A problem from English templates marked with ``N_`` and their ``params`` (JSON:
        see ingestion.messages), shown later in the reader's language."""
        params = clip_params(params or {}, MAX_VALUE_CHARS)
        return cls(
            severity,
            english(message, params),
            english(fix, params),
            message_template=message,
            fix_template=fix,
            params=params,
            **where,  # type: ignore[arg-type]
        )

    @classmethod
    def from_error(cls, error: Exception, **where: object) -> Problem:
        """The problem an :class:`ingestion.errors.IntakeError` stands for (templates kept)."""
        found = {
            "rule": getattr(error, "code", "intake_error"),
            "audience": getattr(error, "audience", MEMBER),
            "message_template": getattr(error, "template", ""),
            "fix_template": getattr(error, "fix_template", ""),
            "params": dict(getattr(error, "params", None) or {}),
        }
        return cls(
            ERROR,
            getattr(error, "message", str(error)),
            getattr(error, "fix", ""),
            **{**found, **where},  # type: ignore[arg-type]
        )

    def text(self) -> str:
        """What is wrong, in the current language (as stored when there is no template)."""
        return _shown(self.message_template, self.params, self.message)

    def fix_text(self) -> str:
        """How to fix it, in the current language (as stored when there is no template)."""
        return _shown(self.fix_template, self.params, self.fix)

    def location(self) -> str:
        """Where to look, in the words of the spreadsheet: sheet, row, column."""
        parts = []
        if self.sheet:
            parts.append(_("sheet {sheet}").format(sheet=self.sheet))
        if self.row is not None:
            parts.append(_("row {row}").format(row=self.row))
        if self.column:
            parts.append(_("column {column}").format(column=self.column))
        return ", ".join(parts) or _("whole file")


def _shown(template: str, params: dict, stored: str) -> str:
    """``template`` with ``params`` in the current language, clipped like the stored text; the
    stored (English) text when there is no template."""
    if not template:
        return stored
    try:
        return clip(render(template, params), MAX_MESSAGE_CHARS)
    except (KeyError, IndexError, ValueError, TypeError):  # a report.json edited by hand
        return stored


def entry_text(entry: dict) -> tuple[str, str]:
    """The example message and fix of a count of unlisted problems, in the current language."""
    params = entry.get("params") or {}
    return (
        _shown(entry.get("example_template") or "", params, entry.get("example") or ""),
        _shown(entry.get("fix_template") or "", params, entry.get("fix") or ""),
    )


def max_problems() -> int:
    """How many problems a report lists (``PIDC_MAX_PROBLEMS``, default 1,000)."""
    raw = os.environ.get("PIDC_MAX_PROBLEMS", "").strip()
    return max(1, int(raw)) if raw else DEFAULT_MAX_PROBLEMS


_KIND = ("severity", "audience", "dataset", "column", "rule")


def count_unlisted(unlisted: list[dict], problem: Problem, count: int = 1) -> None:
    """Count ``count`` problems like ``problem`` in ``unlisted`` (one entry per kind: severity,
    audience, dataset, column and rule, with the first one's message and fix as the example)."""
    kind = tuple(getattr(problem, name) for name in _KIND)
    for entry in unlisted:
        if tuple(entry[name] for name in _KIND) == kind:
            entry["count"] += count
            return
    unlisted.append(
        {**dict(zip(_KIND, kind, strict=True)), "example": problem.message, "fix": problem.fix}
        | {"count": count}
        | {
            "example_template": problem.message_template,
            "fix_template": problem.fix_template,
            "params": problem.params,
        }
    )


def keep_within(problems: list[Problem], unlisted: list[dict], limit: int | None = None):
    """At most ``limit`` of ``problems`` (default :func:`max_problems`), errors first, in their
    order; each one left out is counted in ``unlisted``."""
    limit = max_problems() if limit is None else limit
    if len(problems) <= limit:
        return problems
    # Errors decide the verdict, so they are listed before warnings and notes.
    chosen = [i for i, p in enumerate(problems) if p.severity == ERROR][:limit]
    if len(chosen) < limit:
        others = [i for i, p in enumerate(problems) if p.severity != ERROR]
        chosen = sorted(chosen + others[: limit - len(chosen)])
    kept = set(chosen)
    for index, problem in enumerate(problems):
        if index not in kept:
            count_unlisted(unlisted, problem)
    return [problems[i] for i in chosen]


def unlisted_count(unlisted: list[dict], severity: str | None = None) -> int:
    return sum(e["count"] for e in unlisted if severity is None or e["severity"] == severity)


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
    # Set when validation itself failed on the file (ingestion.intake.code_version): the file is
    # held for the Secretariat and retried once the platform's code has changed.
    code_version: str | None = None
    # Problems found but not listed (past PIDC_MAX_PROBLEMS), counted per kind: severity,
    # audience, dataset, column, rule, an example message and fix, and the count.
    unlisted: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The errors listed (``error_count`` counts the unlisted ones too)."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def error_count(self) -> int:
        return len(self.errors) + unlisted_count(self.unlisted, ERROR)

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + unlisted_count(self.unlisted, WARNING)

    def cap(self, limit: int | None = None) -> ValidationReport:
        """List at most ``limit`` problems (default ``PIDC_MAX_PROBLEMS``); count the rest."""
        self.problems = keep_within(self.problems, self.unlisted, limit)
        return self

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def accepted(self) -> bool:
        """A file is accepted when it has no errors; warnings never reject."""
        return not self.error_count

    @property
    def held_for_secretariat(self) -> bool:
        """Rejected only for problems the Secretariat must fix (a layout or a mapping)."""
        unlisted = [e for e in self.unlisted if e["severity"] == ERROR]
        return (
            bool(self.error_count)
            and all(item.audience == SECRETARIAT for item in self.errors)
            and all(entry["audience"] == SECRETARIAT for entry in unlisted)
        )

    @property
    def verdict(self) -> FileStatus:
        return FileStatus.ACCEPTED if self.accepted else FileStatus.REJECTED

    def summary(self) -> str:
        """One line for the ledger (always English, whatever the current language)."""
        with i18n.language("en"):
            return self.summary_text()

    def summary_text(self) -> str:
        """The one-line summary in the current language (what a report shows)."""
        rows, errors, warnings = self.rows_read, self.error_count, self.warning_count
        text = _("{verdict}: {rows}, {errors}, {warnings}").format(
            verdict=word(self.verdict),
            rows=ngettext("{count} row read", "{count} rows read", rows).format(
                count=i18n.format_count(rows)
            ),
            errors=ngettext("{count} error", "{count} errors", errors).format(
                count=i18n.format_count(errors)
            ),
            warnings=ngettext("{count} warning", "{count} warnings", warnings).format(
                count=i18n.format_count(warnings)
            ),
        )
        if self.unlisted:
            count = unlisted_count(self.unlisted)
            text += " " + ngettext(
                "({count} problem not listed)", "({count} problems not listed)", count
            ).format(count=i18n.format_count(count))
        if self.errors:
            first = self.errors[0]
            text += "; " + _("first: {where}: {message}").format(
                where=first.location(), message=first.text()
            )
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
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "problems": [asdict(p) for p in self.problems],
            "problems_not_listed": self.unlisted,
            "held_for_secretariat": self.held_for_secretariat,
            "layouts_version": self.layouts_version,
            **({"code_version": self.code_version} if self.code_version else {}),
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
            code_version=document.get("code_version"),
            unlisted=[dict(entry) for entry in document.get("problems_not_listed") or []],
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_markdown(self) -> str:
        md = escape_markdown
        lines = [
            _("# Validation report: {file}").format(file=md(self.file_name)),
            "",
            _("**Verdict: {verdict}**.").format(verdict=word(self.verdict).upper())
            + f" {md(self.summary_text().rstrip('.'))}.",
            "",
        ]
        if self.member:
            lines.append(_("- Member: {member}").format(member=md(self.member)))
        for item in self.returns:
            text = (
                _("- Return: {dataset} {period}, {rows} rows (nil return)")
                if item.get("is_nil")
                else _("- Return: {dataset} {period}, {rows} rows")
            )
            lines.append(
                text.format(
                    dataset=md(item["dataset"]), period=md(item["period"]), rows=md(item["rows"])
                )
            )
        lines.append("")
        member_errors = [p for p in self.errors if p.audience != SECRETARIAT]
        layout_errors = [p for p in self.errors if p.audience == SECRETARIAT]
        notes = [p for p in self.problems if p.severity == NOTE]
        sections = (
            (_("For the Secretariat: the declared layout or a mapping must change"), layout_errors),
            (_("Errors (must be fixed)"), member_errors),
            (_("Warnings"), self.warnings),
            (_("Notes (what was read and how; nothing to do)"), notes),
        )
        if layout_errors and not member_errors:
            lines += [
                _(
                    "The member has nothing to correct: the file is held in quarantine, and the "
                    "next intake after the Secretariat has fixed what is listed below reads it "
                    "again from there."
                ),
                "",
            ]
        header = "| {} | {} | {} | {} |".format(
            _("where"), _("value"), _("what is wrong"), _("how to fix")
        )
        for title, items in sections:
            if not items:
                continue
            lines += [f"## {title}", "", header]
            lines.append("|---|---|---|---|")
            for p in items:
                cells = [p.location(), p.value or "", p.text(), p.fix_text()]
                lines.append("| " + " | ".join(md(c) for c in cells) + " |")
            lines.append("")
        if self.unlisted:
            lines += [
                "## " + _("Not listed"),
                "",
                self._not_listed_text()
                + " "
                + _("Fix those listed and submit again to see the rest."),
                "",
                "| {} | {} | {} | {} | {} | {} |".format(*self._not_listed_headings()),
                "|---|---|---|---|---|---|",
            ]
            for entry in self.unlisted:
                cells = [
                    word(entry["severity"]), entry["dataset"] or "", entry["column"] or "",
                    i18n.format_count(entry["count"]), *entry_text(entry),
                ]  # fmt: skip
                lines.append("| " + " | ".join(md(c) for c in cells) + " |")
            lines.append("")
        if not self.problems:
            lines.append(_("No problems found."))
        return "\n".join(lines) + "\n"

    def _not_listed_text(self) -> str:
        return _(
            "This report lists {listed} problems; {more} more were found and are only counted "
            "here, by kind."
        ).format(
            listed=i18n.format_count(len(self.problems)),
            more=i18n.format_count(unlisted_count(self.unlisted)),
        )

    @staticmethod
    def _not_listed_headings() -> tuple[str, ...]:
        return (
            _("kind"), _("dataset"), _("column"), _("how many more"), _("for example"),
            _("how to fix"),
        )  # fmt: skip

    def to_html(self) -> str:
        """A self-contained page: nothing is loaded from elsewhere, whatever the file held."""

        def esc(text: object) -> str:
            return html.escape(visible_controls(str(text)))

        rows = "".join(
            f"<tr class='{esc(p.severity)}'><td>{esc(word(p.severity))}</td>"
            f"<td>{esc(p.location())}</td>"
            f"<td>{esc(p.value or '')}</td><td>{esc(p.text())}</td><td>{esc(p.fix_text())}</td></tr>"
            for p in self.problems
        )
        headings = (_("severity"), _("where"), _("value"), _("what is wrong"), _("how to fix"))
        table = (
            "<table><thead><tr>"
            + "".join(f"<th>{esc(h)}</th>" for h in headings)
            + f"</tr></thead><tbody>{rows}</tbody></table>"
            if self.problems
            else f"<p>{esc(_('No problems found.'))}</p>"
        )
        if self.unlisted:
            counted = "".join(
                f"<tr class='{esc(e['severity'])}'><td>{esc(word(e['severity']))}</td>"
                f"<td>{esc(e['dataset'] or '')}</td><td>{esc(e['column'] or '')}</td>"
                f"<td>{esc(i18n.format_count(e['count']))}</td>"
                + "".join(f"<td>{esc(text)}</td>" for text in entry_text(e))
                + "</tr>"
                for e in self.unlisted
            )
            table += (
                f"<h2>{esc(_('Not listed'))}</h2><p>{esc(self._not_listed_text())}</p>"
                "<table><thead><tr>"
                + "".join(f"<th>{esc(h)}</th>" for h in self._not_listed_headings())
                + f"</tr></thead><tbody>{counted}</tbody></table>"
            )
        title = esc(_("Validation report: {file}").format(file=self.file_name))
        return (
            f"<!doctype html><html lang='{esc(i18n.get_language())}'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CONTENT_SECURITY_POLICY}\">"
            f"<title>{title}</title>"
            "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px}"
            "tr.error td:first-child{color:#b00}tr.warning td:first-child{color:#a60}</style>"
            f"</head><body><h1>{title}</h1>"
            f"<p><strong>{esc(word(self.verdict).upper())}</strong>. "
            f"{esc(self.summary_text())}.</p>"
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
