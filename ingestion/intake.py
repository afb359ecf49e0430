"""Intake: every file that enters the platform ends up loaded or quarantined, with its report.

``validate_file`` is the dry run (nothing written to the warehouse); ``ingest_file`` and
``ingest_path`` record a ledger row for each new file, append accepted rows to raw, copy accepted
files to the archive and rejected ones, with their report, to quarantine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.errors import IntakeError
from ingestion.history import history_warnings
from ingestion.loader import connect, known_submission, load_accepted, record_rejection
from ingestion.parsers import parse_file
from ingestion.report import ERROR, Problem, ValidationReport
from ingestion.safety import check_file
from ingestion.validate import validate_submission
from pidc.settings import Home


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one file."""

    submission_id: str
    file_name: str
    file_sha256: str
    status: str  # accepted | rejected | duplicate
    member: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    report_path: Path | None
    message: str


def file_sha256(path: Path) -> str:
    """The file's sha256, its identity in the ledger."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def submitting_member(path: Path, home: Home) -> str | None:
    """The member whose landing folder holds ``path`` (landing/<MEMBER>/...), if any."""
    try:
        relative = path.resolve().relative_to(home.landing)
    except ValueError:
        return None
    return relative.parts[0].upper() if len(relative.parts) > 1 else None


def build_report(
    path: Path,
    member: str | None,
    *,
    today: dt.date | None = None,
    sha256: str | None = None,
    connection=None,
):
    """Check, parse and validate ``path``; returns (report, validated returns or []).

    With a warehouse ``connection``, returns far outside the member's history get warnings.
    """
    report = ValidationReport(file_name=path.name, file_sha256=sha256 or file_sha256(path))
    report.member = member
    try:
        parsed = parse_file(path, check_file(path), member)
    except IntakeError as error:
        report.problems.append(Problem(ERROR, error.message, error.fix, rule=error.code))
        return report, []
    report.file_format = parsed.file_format
    report.rows_read = parsed.rows_read
    member = member or parsed.member
    report.member = member
    if not member:
        report.problems.append(
            Problem(
                ERROR,
                "The file does not say which member it is from.",
                "Submit it from your member's landing folder or with --member XXX.",
                rule="member",
            )
        )
        return report, []
    validated = validate_submission(parsed, member, today=today)
    report.problems = validated.problems
    report.returns = [
        {"dataset": r.dataset, "period": r.period, "rows": r.row_count, "is_nil": r.is_nil}
        for r in validated.returns
    ]
    if connection is not None and validated.returns:
        report.problems += history_warnings(connection, member, validated.returns)
    return report, validated.returns


def validate_file(
    path: Path,
    member: str | None = None,
    *,
    today: dt.date | None = None,
    home: Home | None = None,
) -> ValidationReport:
    """Dry run: the report ``path`` would get. Loads nothing and writes nothing.

    When ``home`` has a warehouse, it is opened read-only for the history warnings.
    """
    if home is not None and home.warehouse.exists():
        with duckdb.connect(str(home.warehouse), read_only=True) as connection:
            report, _ = build_report(Path(path), member, today=today, connection=connection)
            return report
    report, _ = build_report(Path(path), member, today=today)
    return report


def ingest_file(
    path: Path,
    home: Home,
    *,
    member: str | None = None,
    connection=None,
    today: dt.date | None = None,
    received_at: dt.datetime | None = None,
) -> IngestOutcome:
    """Ingest one file: ledger row, then load (accepted) or quarantine (rejected).

    The received time is the file's modification time unless given: for files dropped into the
    landing folder that is when they arrived. A file whose sha256 is already in the ledger is a
    duplicate and is not recorded or loaded again.
    """
    path = Path(path)
    home.ensure()
    member = (member or submitting_member(path, home) or "").upper() or None
    sha256 = file_sha256(path)
    own_connection = connection is None
    connection = connection or connect(home.warehouse)
    try:
        previous = known_submission(connection, sha256, member, path.name)
        if previous:
            return IngestOutcome(
                previous[0],
                path.name,
                sha256,
                "duplicate",
                member,
                0,
                0,
                0,
                None,
                f"already received as submission {previous[0]} ({previous[1]}); not loaded again",
            )
        received = received_at or dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        received = received.astimezone(dt.UTC).replace(tzinfo=None)
        # Unique per arrival: identical bytes under another name (a nil return) are another one.
        arrival = hashlib.sha256(f"{sha256}:{member}:{path.name}".encode()).hexdigest()
        submission_id = f"{received:%Y%m%dT%H%M%S}-{arrival[:12]}"
        report, returns = build_report(
            path, member, today=today, sha256=sha256, connection=connection
        )
        report_path = report.write(home.reports / submission_id)
        ledger = {
            "submission_id": submission_id,
            "member": report.member,
            "file_name": path.name,
            "file_sha256": sha256,
            "file_format": report.file_format,
            "received_at": received,
            "status": report.verdict,
            "datasets": ",".join(sorted({r["dataset"] for r in report.returns})),
            "periods": ",".join(sorted({r["period"] for r in report.returns})),
            "rows_read": report.rows_read,
            "rows_loaded": report.rows_read if report.accepted else 0,
            "rows_rejected": 0 if report.accepted else report.rows_read,
            "report_path": str(report_path),
            "summary": report.summary(),
        }
        if report.accepted:
            archived = home.archive / f"{sha256}{path.suffix.lower()}"
            if not archived.exists():
                shutil.copy2(path, archived)
            loaded = load_accepted(connection, ledger, returns, received)
            ledger["rows_loaded"] = loaded
        else:
            folder = home.quarantine / submission_id
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / path.name)
            for produced in report_path.parent.iterdir():
                shutil.copy2(produced, folder / produced.name)
            record_rejection(connection, ledger)
        return IngestOutcome(
            submission_id,
            path.name,
            sha256,
            report.verdict,
            report.member,
            report.rows_read,
            ledger["rows_loaded"],
            ledger["rows_rejected"],
            report_path,
            report.summary(),
        )
    finally:
        if own_connection:
            connection.close()


def landing_files(folder: Path) -> list[Path]:
    """Files below ``folder`` in arrival order (modification time, then name).

    Hidden files and Excel's ``~$`` lock files are not submissions and are left alone.
    """
    files = [
        p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith((".", "~$"))
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, str(p)))


def ingest_path(
    path: Path,
    home: Home,
    *,
    member: str | None = None,
    today: dt.date | None = None,
    on_file: Callable[[IngestOutcome], None] | None = None,
) -> list[IngestOutcome]:
    """Ingest a file or every file below a folder, in arrival order, on one connection."""
    path = Path(path)
    files: Iterable[Path] = landing_files(path) if path.is_dir() else [path]
    outcomes = []
    connection = connect(home.ensure().warehouse)
    try:
        for file in files:
            outcome = ingest_file(file, home, member=member, connection=connection, today=today)
            outcomes.append(outcome)
            if on_file:
                on_file(outcome)
    finally:
        connection.close()
    return outcomes
