"""Errors a submitter or operator can hit at intake, each saying what is wrong and what to do."""

from __future__ import annotations

from ingestion.messages import clip_params, english

# A param quoted from a file (a name, a sheet) is cut to this many characters.
MAX_PARAM_CHARS = 200


class IntakeError(Exception):
    """A file cannot enter the platform as it is. ``fix`` tells the submitter what to do next.

    With ``params`` (even empty), ``message`` and ``fix`` are English templates marked with
    ``N_`` (see ingestion.messages): they are kept as ``template`` and ``fix_template`` so the
    report shows them in its reader's language, and ``message`` and ``fix`` are their English
    rendering. Without, they are finished English sentences.
    """

    code = "intake_error"

    def __init__(
        self,
        message: str,
        fix: str = "",
        *,
        audience: str = "member",
        params: dict | None = None,
    ) -> None:
        self.template = message if params is not None else ""
        self.fix_template = fix if params is not None else ""
        self.params = clip_params(params or {}, MAX_PARAM_CHARS)
        if params is not None:
            message, fix = english(message, self.params), english(fix, self.params)
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
