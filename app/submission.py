"""Online submission: validate an uploaded return at once, land it for the pipeline if accepted."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.data_access import AccessDeniedError, Viewer, may_submit_for
from ingestion.errors import IntakeError
from ingestion.intake import validate_file
from ingestion.report import Problem, ValidationReport
from ingestion.safety import safe_file_name
from ingestion.template import template_file_name, template_for_download
from pidc.i18n import _
from pidc.settings import Home


@dataclass(frozen=True)
class SubmissionOutcome:
    """The validation report, and where the accepted file was landed (None if rejected)."""

    report: ValidationReport
    landed_path: Path | None


def _check_member(viewer: Viewer, member: str) -> None:
    if member not in may_submit_for(viewer):
        raise AccessDeniedError(
            _("{viewer} may not submit returns for {member}.").format(
                viewer=viewer.label, member=member
            )
        )


def template_bytes(viewer: Viewer, member: str, period: str, language: str = "en") -> bytes:
    """The regional template workbook for ``member`` and ``period`` (YYYY-MM), in ``language``
    (the French edition has the same sheets and headers; its texts and drop-downs are French)."""
    _check_member(viewer, member)
    return template_for_download(member, period, language)


def template_name(member: str, period: str, language: str = "en") -> str:
    """The downloaded template's file name (``_fr`` before the extension in French)."""
    return template_file_name(member, period, language)


def _unique_destination(folder: Path, name: str) -> Path:
    # Never overwrite: landing is immutable, a second upload of the same name is a new file.
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    counter = 0
    while candidate.exists():
        counter += 1
        candidate = folder / f"{stem}_{stamp}_{counter}{suffix}"
    return candidate


def submit_return(
    viewer: Viewer, member: str, file_name: str, content: bytes, home: Home
) -> SubmissionOutcome:
    """Validate an uploaded return and, if accepted, put it in ``landing/<member>/``.

    Raises :class:`AccessDeniedError` when the viewer may not submit for ``member``. A hostile
    file name gives a rejected report, never a write outside the landing folder.
    """
    _check_member(viewer, member)
    try:
        name = safe_file_name(file_name)
    except IntakeError as error:
        report = ValidationReport(file_name=file_name, file_sha256="", member=member)
        report.problems.append(Problem.from_error(error))
        return SubmissionOutcome(report, None)
    home.ensure()
    # Work next to landing (same file system), so the accepted file appears there atomically
    # and the landing sensor never sees half a file.
    staging = home.root / "uploads"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging) as folder:
        upload = Path(folder) / name
        upload.write_bytes(content)
        # Validated without the warehouse: the dashboard reads only the published serving
        # database. The warnings that compare a return with the member's history come with the
        # pipeline's report of the same file (Data quality page).
        report = validate_file(upload, member)
        if not report.accepted:
            return SubmissionOutcome(report, None)
        member_landing = home.landing / member
        member_landing.mkdir(parents=True, exist_ok=True)
        destination = _unique_destination(member_landing, name)
        os.replace(upload, destination)
    return SubmissionOutcome(report, destination)
