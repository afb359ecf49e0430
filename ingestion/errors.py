"""Errors a submitter or operator can hit at intake, each saying what is wrong and what to do."""

from __future__ import annotations


class IntakeError(Exception):
    """A file cannot enter the platform as it is. ``fix`` tells the submitter what to do next."""

    code = "intake_error"

    def __init__(self, message: str, fix: str = "", *, audience: str = "member") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        # "secretariat" when only the Secretariat can fix it (a declared layout is missing or
        # out of date): the file is held in quarantine and retried when the layouts change.
        self.audience = audience

    def __str__(self) -> str:
        return f"{self.message} {self.fix}".strip()


class HostileFileError(IntakeError):
    """The file is refused for safety (macros, disguised type, zip bomb, oversize, path tricks)."""

    code = "refused_unsafe_file"


class UnreadableFileError(IntakeError):
    """The file is not something the platform can read as a return."""

    code = "unreadable_file"
