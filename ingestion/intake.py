"""Intake: every file that enters the platform ends up loaded or quarantined, with its report.

``validate_file`` is the dry run (nothing written to the warehouse); ``ingest_file`` and
``ingest_path`` record a ledger row for each new file, append accepted rows to raw, copy accepted
files to the archive and rejected ones, with their report, to quarantine.

Files are handled in arrival order, in chunks: each file is checked and parsed, the chunk's
returns are validated together (one Great Expectations run per dataset, not per file), then each
file in turn gets its history warnings, its report and its single load-or-quarantine transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.errors import IntakeError
from ingestion.history import history_warnings
from ingestion.layout_schema import layouts_version
from ingestion.loader import connect, known_submission, load_accepted, record_rejection
from ingestion.parsers import parse_file
from ingestion.parsers.common import ParsedReturn, ParsedSubmission
from ingestion.raw_schema import RAW_SCHEMA
from ingestion.report import ERROR, Problem, ValidationReport
from ingestion.safety import check_file
from ingestion.validate import validate_submissions
from pidc.settings import Home

CHUNK_FILES = 200


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


@dataclass
class _Candidate:
    """One file on its way through intake."""

    path: Path
    report: ValidationReport
    parsed: ParsedSubmission | None = None
    returns: list[ParsedReturn] = field(default_factory=list)


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


def _examine(path: Path, member: str | None, sha256: str) -> _Candidate:
    """Safety checks and parsing; problems so far go into the candidate's report."""
    candidate = _Candidate(path, ValidationReport(file_name=path.name, file_sha256=sha256))
    report = candidate.report
    report.member = member
    report.layouts_version = layouts_version()
    try:
        parsed = parse_file(path, check_file(path), member)
    except IntakeError as error:
        report.problems.append(
            Problem(ERROR, error.message, error.fix, rule=error.code, audience=error.audience)
        )
        return candidate
    report.file_format = parsed.file_format
    report.rows_read = parsed.rows_read
    report.member = member or parsed.member
    if not report.member:
        report.problems.append(
            Problem(
                ERROR,
                "The file does not say which member it is from.",
                "Submit it from your member's landing folder or with --member XXX.",
                rule="member",
            )
        )
        return candidate
    candidate.parsed = parsed
    return candidate


def _validate(candidates: list[_Candidate], today: dt.date | None) -> None:
    """Validate every parsed candidate together; fill in their problems and returns."""
    parsed = [c for c in candidates if c.parsed is not None]
    results = validate_submissions([(c.parsed, c.report.member) for c in parsed], today=today)
    for candidate, validated in zip(parsed, results, strict=True):
        candidate.report.problems = validated.problems
        candidate.returns = validated.returns
        candidate.report.returns = [
            {"dataset": r.dataset, "period": r.period, "rows": r.row_count, "is_nil": r.is_nil}
            for r in validated.returns
        ]


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
    path = Path(path)
    candidate = _examine(path, member.upper() if member else None, file_sha256(path))
    _validate([candidate], today)
    if candidate.returns and home is not None and home.warehouse.exists():
        with duckdb.connect(str(home.warehouse), read_only=True) as connection:
            candidate.report.problems += history_warnings(
                connection, candidate.report.member, candidate.returns
            )
    return candidate.report


def _settle(candidate: _Candidate, home: Home, connection, received: dt.datetime):
    """Write the report, then load (accepted) or quarantine (rejected) in one transaction."""
    path, report = candidate.path, candidate.report
    if report.accepted and candidate.returns:
        report.problems += history_warnings(connection, report.member, candidate.returns)
    # Unique per arrival: identical bytes under another name (a nil return) are another one.
    arrival = hashlib.sha256(f"{report.file_sha256}:{report.member}:{path.name}".encode())
    submission_id = f"{received:%Y%m%dT%H%M%S}-{arrival.hexdigest()[:12]}"
    report_path = report.write(home.reports / submission_id)
    # An accepted file loads every row it read except rows for months that have not ended,
    # which validation set aside (reported once per dataset); those count as rejected.
    loaded = sum(r.row_count for r in candidate.returns) if report.accepted else 0
    ledger = {
        "submission_id": submission_id,
        "member": report.member,
        "file_name": path.name,
        "file_sha256": report.file_sha256,
        "file_format": report.file_format,
        "received_at": received,
        "status": report.verdict,
        "datasets": ",".join(sorted({r["dataset"] for r in report.returns})),
        "periods": ",".join(sorted({r["period"] for r in report.returns})),
        "rows_read": report.rows_read,
        "rows_loaded": loaded,
        "rows_rejected": report.rows_read - loaded,
        "report_path": str(report_path),
        "summary": report.summary(),
    }
    if report.accepted:
        archived = home.archive / f"{report.file_sha256}{path.suffix.lower()}"
        if not archived.exists():
            shutil.copy2(path, archived)
        ledger["rows_loaded"] = load_accepted(connection, ledger, candidate.returns, received)
    else:
        folder = home.quarantine / submission_id
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, folder / path.name)
        for produced in report_path.parent.iterdir():
            shutil.copy2(produced, folder / produced.name)
        record_rejection(connection, ledger)
    return IngestOutcome(
        submission_id, path.name, report.file_sha256, report.verdict, report.member,
        report.rows_read, ledger["rows_loaded"], ledger["rows_rejected"], report_path,
        report.summary(),
    )  # fmt: skip


def _received_at(path: Path, given: dt.datetime | None) -> dt.datetime:
    # For files dropped into the landing folder, the modification time is when they arrived.
    received = given or dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    return received.astimezone(dt.UTC).replace(tzinfo=None)


def _ingest_chunk(
    files: list[Path],
    home: Home,
    connection,
    *,
    member: str | None,
    today: dt.date | None,
    received_at: dt.datetime | None,
    on_file: Callable[[IngestOutcome], None] | None,
    received: dict[tuple, tuple[str, str, str]] | None = None,
    retrying: bool = False,
) -> list[IngestOutcome]:
    outcomes: dict[int, IngestOutcome] = {}
    candidates: dict[int, _Candidate] = {}
    seen: dict[tuple, str] = {}
    for index, path in enumerate(files):
        who = (member or submitting_member(path, home) or "").upper() or None
        # The ledger already has this landing file (same member, name and arrival time): it is
        # not read or hashed again, so a new month's run costs its own files only.
        earlier = (received or {}).get((who, path.name, _received_at(path, received_at)))
        if earlier:
            submission_id, sha256, status = earlier
        else:
            sha256 = file_sha256(path)
            previous = known_submission(connection, sha256, who, path.name)
            if retrying and previous and previous[1] == "rejected":
                previous = None  # held for the Secretariat, read again with the new layouts
            twin = seen.get((sha256, who)) or seen.get((sha256, who, path.name))
            submission_id, status = previous or (twin, "in this batch")
        if submission_id:
            outcomes[index] = IngestOutcome(
                submission_id, path.name, sha256, "duplicate", who, 0, 0, 0, None,
                f"already received as submission {submission_id} ({status}); not loaded again",
            )  # fmt: skip
            continue
        candidates[index] = _examine(path, who, sha256)
        # A file with rows is the same file whatever its name; an empty one only by name.
        key = (sha256, who) if candidates[index].report.rows_read else (sha256, who, path.name)
        seen[key] = path.name
    _validate(list(candidates.values()), today)
    ordered = []
    for index, path in enumerate(files):
        if index in candidates:
            received = _received_at(path, received_at)
            outcomes[index] = _settle(candidates[index], home, connection, received)
        ordered.append(outcomes[index])
        if on_file:
            on_file(outcomes[index])
    return ordered


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

    The received time is the file's modification time unless given. A file already in the
    ledger (same bytes from the same member; for a file without rows, also the same name) is a
    duplicate and is not recorded or loaded again.
    """
    home.ensure()
    own_connection = connection is None
    connection = connection or connect(home.warehouse)
    try:
        [outcome] = _ingest_chunk(
            [Path(path)], home, connection, member=member, today=today,
            received_at=received_at, on_file=None,
        )  # fmt: skip
        return outcome
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


def received_files(connection) -> dict[tuple, tuple[str, str, str]]:
    """(member, file name, received at) -> (submission id, sha256, status) for every file in the
    ledger, read once per intake run.

    A landing file's arrival time is its modification time, so a file still in the landing
    folder with the same member, name and time is one already received; a corrected file sent
    again under the same name arrives later and is read as new.
    """
    rows = connection.execute(
        "select member, file_name, received_at, submission_id, file_sha256, status "
        f"from {RAW_SCHEMA}.submissions order by received_at"
    ).fetchall()
    found: dict[tuple, tuple[str, str, str]] = {}
    for member, name, received, submission_id, sha256, status in rows:
        found.setdefault((member, name, received), (submission_id, sha256, status))
    return found


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
    files = landing_files(path) if path.is_dir() else [path]
    outcomes: list[IngestOutcome] = []
    connection = connect(home.ensure().warehouse)
    try:
        received = received_files(connection)
        for start in range(0, len(files), CHUNK_FILES):
            outcomes += _ingest_chunk(
                files[start : start + CHUNK_FILES], home, connection, member=member,
                today=today, received_at=None, on_file=on_file, received=received,
            )  # fmt: skip
        if path.is_dir() and path.resolve() == home.landing.resolve():
            outcomes += retry_held(home, connection, today=today, on_file=on_file)
    finally:
        connection.close()
    return outcomes


def held_files(home: Home, connection) -> list[tuple[Path, str, dt.datetime]]:
    """Quarantined files held for the Secretariat whose layouts have changed since they were
    read: (quarantined copy, member, when it was last received), oldest first.

    A file is held when every error in its report is one only the Secretariat can fix (no
    declared layout matches it, a label has no mapping, the publication changed shape). Only
    the newest arrival of the same bytes counts, so a file is retried once per layout change.
    """
    current = layouts_version()
    rows = connection.execute(
        f"""
        select submission_id, member, file_name, received_at from (
            select *, row_number() over (
                partition by file_sha256, member order by received_at desc
            ) as newest
            from {RAW_SCHEMA}.submissions
        ) where newest = 1 and status = 'rejected' and member is not null
        order by received_at
        """
    ).fetchall()
    held = []
    for submission_id, member, file_name, received_at in rows:
        folder = home.quarantine / submission_id
        report, copy = folder / "report.json", folder / file_name
        if not (report.exists() and copy.exists()):
            continue
        found = json.loads(report.read_text(encoding="utf-8"))
        if found.get("held_for_secretariat") and found.get("layouts_version") != current:
            held.append((copy, member, received_at))
    return held


def retry_held(
    home: Home,
    connection,
    *,
    today: dt.date | None = None,
    on_file: Callable[[IngestOutcome], None] | None = None,
) -> list[IngestOutcome]:
    """Read again every file held for the Secretariat, now that its layouts have changed."""
    outcomes = []
    now = dt.datetime.now().replace(microsecond=0)
    for copy, member, last in held_files(home, connection):
        # A new arrival: later than the one held, so it has its own submission id.
        received = max(now, last + dt.timedelta(seconds=1))
        outcomes += _ingest_chunk(
            [copy], home, connection, member=member, today=today, received_at=received,
            on_file=on_file, retrying=True,
        )  # fmt: skip
    return outcomes
