"""Intake: every file that enters the platform ends up loaded or quarantined, with its report.

``validate_file`` is the dry run (nothing written to the warehouse); ``ingest_file``,
``ingest_files`` and ``ingest_path`` record a ledger row for each new file, append accepted rows to raw, copy accepted
files to the archive and rejected ones, with their report, to quarantine.

Files are handled in arrival order, in batches (``CHUNK_FILES``, cut at ``CHUNK_ROWS`` rows): each
file is checked and parsed, the batch's returns are validated together (one Great Expectations run
over every new row of the batch, not one per file or dataset), then, in one transaction for the
whole batch, each file in turn gets its history warnings, its report and its ledger row, and is
loaded or quarantined; the accepted rows are appended once per dataset before the commit. A crash
at any point leaves no file of the batch half-loaded: none of them is in the ledger, and the next
run reads them again. While a batch is validated and loaded, the sandbox's workers already read the
next one's files (reading writes nothing; a file found then to repeat one just loaded is told as a
duplicate).

Who sent a file is decided by where it comes from, never by what it says: its member folder
(``landing/<MEMBER>/``), or the member given by the caller (``--member``, the signed-in officer).
A file whose content names another member is rejected. Links are never followed: a symbolic link
(to a file or a folder) is refused without being opened, and hidden files, Excel's ``~$`` lock
files and partial or temporary files are skipped; both are listed among the outcomes, neither is
recorded in the ledger. What counts as a landing file is decided in ``ingestion.landing``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from expectations.suites import warm_up
from ingestion.errors import IntakeError
from ingestion.file_names import file_name_problem, file_name_refusal, shown_file_name
from ingestion.history import History, history_warnings
from ingestion.landing import (
    SetAside,
    file_sha256,
    landing_entries,
    landing_files,
    not_regular,
    refused_link,
)
from ingestion.layout_schema import layouts_version
from ingestion.loader import (
    Batch,
    append_batch,
    connect,
    known_submissions,
    stage_accepted,
    stage_rejection,
    transaction,
)
from ingestion.parsers.common import ParsedReturn, ParsedSubmission
from ingestion.raw_schema import RAW_SCHEMA
from ingestion.report import ERROR, SECRETARIAT, Problem, ValidationReport
from ingestion.sandbox import SandboxLimits, idle_workers, read_file
from ingestion.statuses import FileStatus, LedgerStatus
from ingestion.validate import Validated, validate_submissions
from pidc.collection import collecting_less
from pidc.i18n import N_
from pidc.settings import Home

log = logging.getLogger(__name__)

CHUNK_FILES = 200
# A batch is also cut once its files hold this many rows, and the sandbox's workers read ahead
# at most this many rows that this process has not taken yet: what intake holds in memory is
# bounded by rows, not by how many files arrive (each at most the sandbox's limits), so a
# landing folder of big files cannot exhaust this process while it validates.
CHUNK_ROWS = 200_000
RENAME_FILE = N_(
    "Rename the file to a plain name such as FJI_2026-10.xlsx (letters, digits, - and _) and "
    "send it again."
)


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one file."""

    submission_id: str
    file_name: str
    file_sha256: str
    # accepted | rejected | duplicate, or, never recorded in the ledger: refused (a link, or
    # not a regular file: never opened) | skipped (hidden, lock or temporary file)
    status: FileStatus
    member: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    report_path: Path | None
    message: str
    # A landing file the ledger already has under the same name and arrival time: not read
    # again (a duplicate). A run over a landing folder that keeps years of files has thousands.
    unchanged: bool = False


@dataclass
class _Candidate:
    """One file on its way through intake."""

    path: Path
    report: ValidationReport
    parsed: ParsedSubmission | None = None
    returns: list[ParsedReturn] = field(default_factory=list)


def _landing_folder(home: Home) -> list[Path]:
    """The landing folder as written and as resolved (it may itself be a mount or a link)."""
    return list(dict.fromkeys([Path(os.path.abspath(home.landing)), home.landing.resolve()]))


def submitting_member(path: Path, home: Home, *, landing: list[Path] | None = None) -> str | None:
    """The member whose landing folder holds ``path`` (landing/<MEMBER>/...), if any.

    Read from the path as written, never through a link: a link in ``landing/FJI/`` to a file
    elsewhere is not FJI's file (and intake refuses it, see :func:`linked_part`). ``landing``:
    :func:`_landing_folder` of ``home``, when the caller looked it up once for many files.
    """
    absolute = Path(os.path.abspath(path))
    for folder in landing if landing is not None else _landing_folder(home):
        try:
            relative = absolute.relative_to(folder)
        except ValueError:
            continue
        return relative.parts[0].upper() if len(relative.parts) > 1 else None
    return None


def linked_part(path: Path, home: Home | None, *, landing: list[Path] | None = None) -> Path | None:
    """The first symbolic link on the way to ``path``: the path itself, or, inside the landing
    folder, one of its folders (``landing/TON`` linked to a folder elsewhere). None if none.

    The landing folder itself may be a link (a mount point set up by the operator). ``landing``:
    :func:`_landing_folder` of ``home``, when the caller looked it up once for many files.
    """
    current = Path(os.path.abspath(path))
    if landing is None:
        landing = _landing_folder(home) if home is not None else []
    if current in landing:
        return None
    if current.is_symlink():
        return current
    if not any(current.is_relative_to(folder) for folder in landing):
        return None
    while current.parent not in landing and current.parent != current:
        current = current.parent
        if current.is_symlink():
            return current
    return None


def sender(
    path: Path, given: str | None, home: Home | None, *, landing: list[Path] | None = None
) -> tuple[str | None, Problem | None]:
    """Who sent ``path``, and why the platform cannot take it from them (None when it can).

    The member is the one given (``--member``, the signed-in officer) or the member folder's
    (``landing/<MEMBER>/``); never the file's content. A file outside any member folder with no
    member given is no one's; a member given for a file in another member's folder contradicts
    where the file is. Both are refused before the file is opened.
    """
    folder = submitting_member(path, home, landing=landing) if home is not None else None
    given = given.upper() if given else None
    if given and folder and folder != given:
        return given, Problem.of(
            ERROR,
            N_("The file is in {folder}'s landing folder but was submitted as {given}."),
            N_("Submit it as {folder}, or move it into landing/{given}/ if it is {given}'s."),
            {"folder": folder, "given": given},
            rule="member",
        )
    if not (given or folder):
        return None, Problem.of(
            ERROR,
            N_(
                "The file is not in a member's folder, so the platform cannot tell which member "
                "sent it (it never takes the member from the file's content)."
            ),
            N_(
                "Put it in the member's landing folder (e.g. landing/FJI/), submit it from the "
                "Submit page, or ingest it with --member XXX."
            ),
            rule="member",
        )
    return given or folder, None


def _examine(
    path: Path,
    member: str | None,
    sha256: str,
    refusal: Problem | None = None,
    layouts: str | None = None,
) -> _Candidate:
    """Safety checks and parsing; problems so far go into the candidate's report. ``layouts``:
    the layouts' version (:func:`layouts_version`) when the caller has just taken it."""
    name = shown_file_name(path.name)
    candidate = _Candidate(path, ValidationReport(file_name=name, file_sha256=sha256))
    report = candidate.report
    report.member = member
    report.layouts_version = layouts or layouts_version()
    # Checked before the file is opened: a name that displays as another or reads as a formula,
    # and who sent it (``refusal``, from :func:`sender`).
    if bad_name := file_name_refusal(path.name):
        template, params = bad_name
        report.problems.append(
            Problem.of(ERROR, template, RENAME_FILE, params, value=name, rule="file_name")
        )
        return candidate
    if refusal is not None:
        report.problems.append(refusal)
        return candidate
    try:
        # Safety checks and parser run in a worker process with hard limits (sandbox.py).
        parsed = read_file(path, member)
    except IntakeError as error:
        report.problems.append(Problem.from_error(error))
        return candidate
    report.file_format = parsed.file_format
    report.rows_read = parsed.rows_read
    report.member = member or parsed.member
    if not report.member:
        report.problems.append(
            Problem.of(
                ERROR,
                N_("The file does not say which member it is from."),
                N_("Submit it from your member's landing folder or with --member XXX."),
                rule="member",
            )
        )
        return candidate
    candidate.parsed = parsed
    return candidate


def _to_be_read(path: Path, refusal: Problem | None) -> bool:
    """Whether :func:`_examine` will have ``path`` parsed (its name and sender are fine)."""
    return refusal is None and not file_name_problem(path.name)


def _validated_alone(candidate: _Candidate, today: dt.date | None) -> Validated:
    """``candidate`` validated on its own; when validation itself fails on it (a platform bug
    its content sets off), an error naming what failed, held for the Secretariat."""
    try:
        [validated] = validate_submissions(
            [(candidate.parsed, candidate.report.member)], today=today
        )
        return validated
    except Exception as error:  # one file must not stop the others: it is set aside, reported
        log.exception("validating %s failed", candidate.path)
        return Validated(problems=[Problem.of(
            ERROR,
            N_("The platform could not finish checking this file ({error}), so it was set "
               "aside and nothing in it was loaded."),
            N_("Nothing is needed from you for now: the Secretariat can see in the platform's "
               "log what stopped it. If the figures are urgent, send the file to the "
               "Secretariat."),
            {"error": type(error).__name__},
            rule="internal", audience=SECRETARIAT,
        )])  # fmt: skip


@cache
def code_version() -> str:
    """A digest of the code that reads and validates files (``ingestion``, ``expectations``):
    a file on which validation itself failed is read again once this changes."""
    digest = hashlib.sha256()
    for package in ("ingestion", "expectations"):
        folder = Path(__file__).resolve().parent.parent / package
        for path in sorted(folder.rglob("*.py")):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _validate(candidates: list[_Candidate], today: dt.date | None) -> None:
    """Validate every parsed candidate together; fill in their problems and returns.

    Should validation itself fail on the batch, each file is validated on its own, so that the
    file that sets the failure off is set aside with a report and the others go on; when every
    file of the batch fails alone, the failure is not a file's and is raised.
    """
    parsed = [c for c in candidates if c.parsed is not None]
    try:
        results = validate_submissions([(c.parsed, c.report.member) for c in parsed], today=today)
    except Exception:
        log.exception("validating a batch of %d files failed; validating each alone", len(parsed))
        results = [_validated_alone(candidate, today) for candidate in parsed]
        failed = [
            candidate
            for candidate, validated in zip(parsed, results, strict=True)
            if any(problem.rule == "internal" for problem in validated.problems)
        ]
        if len(failed) > 1 and len(failed) == len(parsed):
            # Every file fails alone: the fault is the platform's or the machine's, not a
            # file's. The run stops (nothing of the batch is written; the next run reads it
            # again) rather than holding every file.
            raise
        for candidate in failed:
            candidate.report.code_version = code_version()
    for candidate, validated in zip(parsed, results, strict=True):
        candidate.report.problems = validated.problems
        candidate.report.unlisted = validated.unlisted
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
    link = linked_part(path, home)
    if link is not None or not path.is_file():
        report = ValidationReport(file_name=shown_file_name(path.name), file_sha256="")
        refused = refused_link(path, link) if link is not None else not_regular(path)
        report.problems.append(Problem(ERROR, refused.message, "", rule="refused_unread"))
        return report
    who, refusal = sender(path, member, home)
    if _to_be_read(path, refusal):
        warm_up()  # Great Expectations gets ready while the sandbox reads the file
    candidate = _examine(path, who, file_sha256(path), refusal)
    _validate([candidate], today)
    if candidate.returns and home is not None and home.warehouse.exists():
        with duckdb.connect(str(home.warehouse), read_only=True) as connection:
            candidate.report.problems += history_warnings(
                connection, candidate.report.member, candidate.returns
            )
    return candidate.report.cap()


def _settle(
    candidate: _Candidate, home: Home, received: dt.datetime, batch: Batch, history: History
) -> IngestOutcome:
    """Write the report, then load (accepted) or quarantine (rejected): the ledger row and the
    rows are kept in ``batch``, which the caller writes in one transaction."""
    path, report = candidate.path, candidate.report
    name = report.file_name  # as shown: invisible characters spelled out (ingestion.file_names)
    if report.accepted and candidate.returns:
        report.problems += history_warnings(None, report.member, candidate.returns, history)
    # Unique per arrival: identical bytes under another name (a nil return) are another one.
    arrival = hashlib.sha256(f"{report.file_sha256}:{report.member}:{name}".encode())
    submission_id = f"{received:%Y%m%dT%H%M%S}-{arrival.hexdigest()[:12]}"
    # At most PIDC_MAX_PROBLEMS problems are listed; the report counts the rest by kind.
    report_path = report.cap().write(home.reports / submission_id)
    # An accepted file loads every row it read except rows for months that have not ended,
    # which validation set aside (reported once per dataset); those count as rejected.
    loaded = sum(r.row_count for r in candidate.returns) if report.accepted else 0
    summary = report.summary()
    ledger = {
        "submission_id": submission_id,
        "member": report.member,
        "file_name": name,
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
        "summary": summary,
    }
    if report.accepted:
        archived = home.archive / f"{report.file_sha256}{path.suffix.lower()}"
        if not archived.exists():
            shutil.copy2(path, archived)
        ledger["rows_loaded"] = stage_accepted(batch, ledger, candidate.returns, received)
        # The next files of the batch are compared with this one's totals too.
        for parsed_return in candidate.returns:
            if parsed_return.total is not None:
                history.add(report.member, parsed_return.dataset, parsed_return.period,
                            received, submission_id, parsed_return.total)  # fmt: skip
    else:
        folder = home.quarantine / submission_id
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, folder / name)
        for produced in report_path.parent.iterdir():
            shutil.copy2(produced, folder / produced.name)
        stage_rejection(batch, ledger)
    return IngestOutcome(
        submission_id=submission_id,
        file_name=name,
        file_sha256=report.file_sha256,
        status=report.verdict,
        member=report.member,
        rows_read=report.rows_read,
        rows_loaded=ledger["rows_loaded"],
        rows_rejected=ledger["rows_rejected"],
        report_path=report_path,
        message=summary,
    )


def _received_at(path: Path, given: dt.datetime | None) -> dt.datetime:
    # For files dropped into the landing folder, the modification time is when they arrived.
    received = given or dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    return received.astimezone(dt.UTC).replace(tzinfo=None)


class _ReadAhead:
    """The reading of one batch's new files (:func:`_examine`) by the sandbox's workers, in
    arrival order, while the caller goes on (validating the previous batch).

    Workers stop reading ahead once the files read and not yet taken (:meth:`take`) hold
    ``CHUNK_ROWS`` rows; the file the caller waits for is always read.
    """

    def __init__(self, work: dict[int, tuple], workers: int) -> None:
        self._condition = threading.Condition()
        self._held = 0  # rows of the files read and not yet taken
        self._wanted: float = -1  # the caller waits for this key (and any before it)
        self._futures: dict[int, Future] = {}
        if not work:
            return
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="intake-read")
        try:
            for key, arguments in work.items():
                self._futures[key] = pool.submit(self._read, key, arguments)
        finally:
            pool.shutdown(wait=False)  # its threads end when the last file is read

    def _read(self, key: int, arguments: tuple) -> _Candidate:
        with self._condition:
            self._condition.wait_for(lambda: self._held < CHUNK_ROWS or key <= self._wanted)
        candidate = _examine(*arguments)
        with self._condition:
            self._held += candidate.report.rows_read
        return candidate

    def take(self, key: int) -> _Candidate:
        """The file ``key`` once read (waits for it); its rows no longer count as read ahead."""
        with self._condition:
            self._wanted = max(self._wanted, key)
            self._condition.notify_all()
        candidate = self._futures.pop(key).result()  # not kept once taken
        with self._condition:
            self._held -= candidate.report.rows_read
            self._condition.notify_all()
        return candidate

    def drop(self, key: int) -> None:
        """Forget the file ``key`` (found to repeat an earlier one): once read, its rows no
        longer count as read ahead."""
        future = self._futures.pop(key, None)
        if future is not None:
            future.add_done_callback(self._forget)

    def _forget(self, future: Future) -> None:
        if not future.cancelled() and future.exception() is None:
            with self._condition:
                self._held -= future.result().report.rows_read
                self._condition.notify_all()

    def release(self) -> None:
        """Let every file still waiting be read (the caller stopped taking: the run failed), so
        that no worker thread is left waiting when the process exits."""
        with self._condition:
            self._wanted = float("inf")
            self._condition.notify_all()


def _read_ahead(work: dict[int, tuple]) -> _ReadAhead:
    """Start :func:`_examine` of each (path, member, sha256, refusal, layouts), as many files at
    once as the sandbox has workers (``PIDC_PARSE_WORKERS``), keyed as ``work``.

    Returns at once: the files are read while the caller goes on; ``take(key)`` waits for a
    file.
    """
    if not work:
        return _ReadAhead({}, 1)
    limits = SandboxLimits.from_environment()
    # Starting a worker takes a second or two, far longer than reading most files: a process
    # with workers already started reads with those; one with none starts them all at once.
    workers = idle_workers() or limits.workers
    workers = 1 if limits.in_process else max(1, min(workers, limits.workers, len(work)))
    return _ReadAhead(work, workers)


@dataclass
class _Chunk:
    """A batch of files whose reading has started (:func:`_start_chunk`)."""

    files: list[Path]
    # Per file: [member, refusal, name as shown, sha256, (submission id, status) of the same
    # bytes received before, or None]
    known: list[list]
    unchanged: set[int]  # indexes of the files the ledger has under their name and time
    reading: _ReadAhead
    warming: object | None
    received_at: dt.datetime | None
    retrying: bool


def _earlier_arrivals(connection, known: list[list], retrying: bool) -> None:
    """Fill in, for each file not yet known, the submission that had the same bytes before (one
    query for the batch; see loader.known_submission)."""
    earlier_arrivals = known_submissions(
        connection,
        [(sha256, who, name) for who, _, name, sha256, previous in known if not previous],
    )
    for entry in known:
        who, _, name, sha256, previous = entry
        if previous is None:
            previous = earlier_arrivals.get((sha256, who, name))
            if retrying and previous and previous[1] == LedgerStatus.REJECTED:
                previous = None  # held for the Secretariat, read again with the new layouts
            entry[4] = previous


def _start_chunk(
    files: list[Path],
    home: Home,
    connection,
    *,
    member: str | None,
    received_at: dt.datetime | None,
    received: dict[tuple, tuple[str, str, str]] | None = None,
    retrying: bool = False,
    landing: list[Path] | None = None,
) -> _Chunk:
    """Hash ``files``, look them up in the ledger and start reading the new ones; nothing is
    written. :func:`_finish_chunk` validates, reports and loads them."""
    known: list[list] = []
    unchanged: set[int] = set()
    for path in files:
        who, refusal = sender(path, member, home, landing=landing)
        name = shown_file_name(path.name)
        # The ledger already has this landing file (same member, name and arrival time): it is
        # not read or hashed again, so a new month's run costs its own files only.
        earlier = (received or {}).get((who, name, _received_at(path, received_at)))
        if earlier:
            submission_id, sha256, status = earlier
            unchanged.add(len(known))
            known.append([who, refusal, name, sha256, (submission_id, status)])
        else:
            known.append([who, refusal, name, file_sha256(path), None])
    _earlier_arrivals(connection, known, retrying)
    # New files are read (checked and parsed in the sandbox's workers) as many at once as there
    # are workers, in arrival order; a file found later to repeat an earlier one was read for
    # nothing, and its reading is dropped. Meanwhile, this process gets Great Expectations
    # ready for their validation.
    to_read = [path for path, (_, refusal, *_, previous) in zip(files, known, strict=True)
               if not previous and _to_be_read(path, refusal)]  # fmt: skip
    warming = warm_up() if to_read else None
    # Taken once per batch (it reads every layout file), not once per file.
    layouts = layouts_version()
    reading = _read_ahead(
        {index: (path, who, sha256, refusal, layouts) for index, (path, (who, refusal, _, sha256,
         previous)) in enumerate(zip(files, known, strict=True)) if not previous}
    )  # fmt: skip
    return _Chunk(files, known, unchanged, reading, warming, received_at, retrying)


def _finish_chunk(
    chunk: _Chunk,
    home: Home,
    connection,
    *,
    today: dt.date | None,
    on_file: Callable[[IngestOutcome], None] | None,
    read_next: Callable[[], None] | None = None,
) -> list[IngestOutcome]:
    """Validate, report and load (or quarantine) a started chunk's files: in one transaction,
    or in one per ``CHUNK_ROWS`` rows read when its files hold more (:func:`_load_files`).

    ``read_next`` is called once this chunk's files are read, so that the next chunk's files
    are read by the sandbox's workers while this process validates and loads this one.
    """
    try:
        return _finish_reading(chunk, home, connection, today, on_file, read_next)
    finally:
        chunk.reading.release()  # a failed run leaves no reader waiting for room


def _finish_reading(chunk, home, connection, today, on_file, read_next) -> list[IngestOutcome]:
    files, known, unchanged = chunk.files, chunk.known, chunk.unchanged
    # The ledger may have gained files since the chunk was started (the previous chunk, loaded
    # while this one was being read): a file with the same bytes is a duplicate of it.
    _earlier_arrivals(connection, known, chunk.retrying)
    outcomes: dict[int, IngestOutcome] = {}
    # Read and not yet loaded, with their rows: loaded whenever they reach CHUNK_ROWS rows.
    candidates: dict[int, _Candidate] = {}
    rows = 0
    # (sha256, member[, name]) -> index of the batch's first file with those bytes, and each
    # later copy's index -> that first file's: its submission id is known once it is settled
    seen: dict[tuple, int] = {}
    twins: dict[int, int] = {}
    for index, path in enumerate(files):
        who, _, name, sha256, previous = known[index]
        twin = seen.get((sha256, who))
        if twin is None:
            twin = seen.get((sha256, who, path.name))
        if previous:
            chunk.reading.drop(index)  # read for nothing if it was found since it was started
            outcomes[index] = _duplicate(name, sha256, who, *previous, unchanged=index in unchanged)
            continue
        if twin is not None:
            chunk.reading.drop(index)
            twins[index] = twin  # told below, with the earlier file's submission id
            continue
        candidate = candidates[index] = chunk.reading.take(index)
        # A file with rows is the same file whatever its name; an empty one only by name.
        key = (sha256, who) if candidate.report.rows_read else (sha256, who, path.name)
        seen[key] = index
        rows += candidate.report.rows_read
        if rows >= CHUNK_ROWS:
            outcomes |= _load_files(candidates, chunk, home, connection, today)
            candidates, rows = {}, 0
    if read_next is not None:
        read_next()
    outcomes |= _load_files(candidates, chunk, home, connection, today)
    for index, earlier in twins.items():
        first = outcomes[earlier]
        outcomes[index] = _duplicate(
            known[index][2],
            known[index][3],
            known[index][0],
            first.submission_id or first.file_name,
            f"{first.status.value} in this batch",
        )
    ordered = [outcomes[index] for index in range(len(files))]
    for outcome in ordered:
        if on_file:
            on_file(outcome)
    return ordered


def _load_files(
    candidates: dict[int, _Candidate], chunk: _Chunk, home: Home, connection, today
) -> dict[int, IngestOutcome]:
    """Validate ``candidates`` (a chunk's files by index, in arrival order) together, then, in
    one transaction, give each its history warnings, report and ledger row, and load or
    quarantine it. Their outcomes by the same indexes."""
    _validate(list(candidates.values()), today)
    if chunk.warming is not None:
        chunk.warming.join()  # never left importing when the process exits
    if not candidates:
        return {}
    # Each file's history warnings compare it with the warehouse and the batch's earlier files;
    # then one transaction writes the batch: every file's ledger row with its rows, or nothing.
    batch = Batch()
    history = History(connection, {
        (c.report.member, r.dataset) for c in candidates.values()
        for r in c.returns if r.dataset != "observations"
    })  # fmt: skip
    outcomes = {
        index: _settle(
            candidate, home, _received_at(chunk.files[index], chunk.received_at), batch, history
        )
        for index, candidate in candidates.items()
    }
    with transaction(connection):
        append_batch(connection, batch)
    return outcomes


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
    """Read, validate and load one batch of files (:func:`_start_chunk`, :func:`_finish_chunk`)."""
    chunk = _start_chunk(
        files, home, connection, member=member, received_at=received_at, received=received,
        retrying=retrying,
    )  # fmt: skip
    return _finish_chunk(chunk, home, connection, today=today, on_file=on_file)


def _duplicate(
    name: str,
    sha256: str,
    who: str | None,
    submission_id: str,
    status: str,
    *,
    unchanged: bool = False,
):
    """The outcome of a file whose bytes were received before as ``submission_id``."""
    return IngestOutcome(
        submission_id=submission_id,
        file_name=name,
        file_sha256=sha256,
        status=FileStatus.DUPLICATE,
        member=who,
        rows_read=0,
        rows_loaded=0,
        rows_rejected=0,
        report_path=None,
        message=f"already received as submission {submission_id} ({status}); not loaded again",
        unchanged=unchanged,
    )


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


def set_aside_outcome(entry: SetAside, home: Home, member: str | None = None) -> IngestOutcome:
    """The outcome listing a landing entry intake did not read."""
    who = member or submitting_member(entry.path, home)
    return IngestOutcome(
        submission_id="",
        file_name=shown_file_name(entry.path.name),
        file_sha256="",
        status=entry.status,
        member=who,
        rows_read=0,
        rows_loaded=0,
        rows_rejected=0,
        report_path=None,
        message=entry.message,
    )


def not_received(home: Home, paths: list[Path]) -> list[Path]:
    """The landing files among ``paths`` that the ledger does not have yet (same member, name
    and arrival time). Reads the ledger read-only and hashes nothing.

    Raises ``duckdb.IOException`` when another process holds the warehouse for writing.
    """
    if not home.warehouse.exists():
        return list(paths)
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        try:
            received = received_files(connection)
        except duckdb.CatalogException:  # a warehouse with no ledger yet
            return list(paths)
    landing = _landing_folder(home)
    return [
        path
        for path in paths
        if ((submitting_member(path, home, landing=landing) or "").upper() or None, path.name,
            _received_at(path, None)) not in received
    ]  # fmt: skip


def pending_files(home: Home) -> int:
    """How many landing files intake has not received yet, plus held files due for a retry.

    ``pidc run`` uses it to skip a pipeline run when nothing is new.
    """
    files = landing_files(home.landing) if home.landing.is_dir() else []
    new = len(not_received(home, files))
    if not home.warehouse.exists():
        return new
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        try:
            return new + len(held_files(home, connection))
        except duckdb.CatalogException:
            return new


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


# The garbage collector runs less often meanwhile (pidc.collection): collections walking every
# object the imports made took a sixth of intake's time.
@collecting_less()
def _ingest_files(
    paths: list[Path],
    home: Home,
    connection,
    *,
    member: str | None,
    today: dt.date | None,
    on_file: Callable[[IngestOutcome], None] | None,
) -> list[IngestOutcome]:
    """:func:`ingest_files` on an open connection (``ingest_path`` goes on to the held files).

    Batches are validated and loaded one after the other, in arrival order; the next batch's
    files are read while this process validates and loads the current one.
    """
    received = received_files(connection)
    # The landing folder is resolved once for the run's files, not twice for each.
    landing = _landing_folder(home)
    # In arrival order: batches of up to CHUNK_FILES files, and the entries refused unread in
    # their places between them.
    steps: list[list[Path] | SetAside] = []
    for path in map(Path, paths):
        link = linked_part(path, home, landing=landing)
        if link is None and path.is_file():
            if not steps or not isinstance(steps[-1], list) or len(steps[-1]) == CHUNK_FILES:
                steps.append([])
            steps[-1].append(path)
        else:
            # Never opened, as ingest_path refuses it: a link, or a pipe or device (which would
            # never end, or never be the same twice). Listed in its place.
            steps.append(refused_link(path, link) if link is not None else not_regular(path))
    started: dict[int, _Chunk] = {}

    def start(number: int) -> None:
        if number not in started and number < len(steps) and isinstance(steps[number], list):
            started[number] = _start_chunk(
                steps[number], home, connection, member=member, received_at=None,
                received=received, landing=landing,
            )  # fmt: skip

    outcomes: list[IngestOutcome] = []
    try:
        for number, step in enumerate(steps):
            if isinstance(step, SetAside):
                outcomes.append(set_aside_outcome(step, home, member))
                if on_file:
                    on_file(outcomes[-1])
                continue
            start(number)
            chunk = started.pop(number)
            # The next batch (if the next step is one) is read while this one is validated.
            outcomes += _finish_chunk(
                chunk, home, connection, today=today, on_file=on_file,
                read_next=lambda number=number: start(number + 1),
            )  # fmt: skip
    finally:
        for chunk in started.values():  # read ahead for a run that failed
            chunk.reading.release()
    return outcomes


def ingest_files(
    paths: list[Path],
    home: Home,
    *,
    member: str | None = None,
    today: dt.date | None = None,
    on_file: Callable[[IngestOutcome], None] | None = None,
) -> list[IngestOutcome]:
    """Ingest ``paths`` in the order given, on one connection, as ``ingest_path`` does a folder's
    files: in batches of ``CHUNK_FILES``, the ledger read once. One outcome per path, in order.

    The same outcomes as ingesting the files one at a time in that order (a file repeating an
    earlier one of the list is a duplicate), without paying a connection, a ledger read and
    Great Expectations' warm-up per file. A link or a path that is not a regular file is
    refused without being opened, in its place in the list.
    """
    connection = connect(home.ensure().warehouse)
    try:
        return _ingest_files(paths, home, connection, member=member, today=today, on_file=on_file)
    finally:
        connection.close()


def ingest_path(
    path: Path,
    home: Home,
    *,
    member: str | None = None,
    today: dt.date | None = None,
    on_file: Callable[[IngestOutcome], None] | None = None,
) -> list[IngestOutcome]:
    """Ingest a file or every file below a folder, in arrival order, on one connection
    (:func:`ingest_files`); the landing folder's run also reads again the files held for the
    Secretariat (:func:`retry_held`).

    Entries not read (links, hidden, lock and temporary files) come last, as ``refused`` or ``skipped``.
    """
    path = Path(path)
    link = linked_part(path, home)
    if link is not None:
        files, aside = [], [refused_link(path, link)]
    elif path.is_dir():
        files, aside = landing_entries(path)
    elif not path.is_file():  # a pipe or device would never end, or never be the same twice
        files, aside = [], [not_regular(path)]
    else:
        files, aside = [path], []
    connection = connect(home.ensure().warehouse)
    try:
        outcomes = _ingest_files(
            files, home, connection, member=member, today=today, on_file=on_file
        )
        if link is None and path.is_dir() and path.resolve() == home.landing.resolve():
            outcomes += retry_held(home, connection, today=today, on_file=on_file)
    finally:
        connection.close()
    for entry in aside:
        outcomes.append(set_aside_outcome(entry, home, member))
        if on_file:
            on_file(outcomes[-1])
    return outcomes


def held_files(home: Home, connection) -> list[tuple[Path, str, dt.datetime]]:
    """Quarantined files held for the Secretariat whose layouts have changed since they were
    read, or whose validation failed under code that has changed since: (quarantined copy,
    member, when it was last received), oldest first.

    A file is held when every error in its report is one only the Secretariat can fix (no
    declared layout matches it, a label has no mapping, the publication changed shape,
    validation itself failed on it). Only the newest arrival of the same bytes counts, so a
    file is retried once per change.
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
        if not found.get("held_for_secretariat"):
            continue
        # Read again after a change of the layouts or, when validation itself failed on it, of
        # the platform's code (an upgrade that may have fixed what stopped it).
        failed = found.get("code_version")
        if found.get("layouts_version") != current or (failed and failed != code_version()):
            held.append((copy, member, received_at))
    return held


@collecting_less()
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
