"""Typed names of intake: what happened to a file, and a submission's status in the ledger.

Each is a ``StrEnum``: a member equals its text (``FileStatus.ACCEPTED == "accepted"``) and is
written as that text to the ledger, reports and JSON, so stored data keeps its values.
"""

from __future__ import annotations

from enum import StrEnum


class FileStatus(StrEnum):
    """What intake did with one file (``IngestOutcome.status``)."""

    ACCEPTED = "accepted"  # loaded
    REJECTED = "rejected"  # quarantined with its report
    DUPLICATE = "duplicate"  # the same file was received before: not loaded again
    # Never recorded in the ledger, never opened:
    REFUSED = "refused"  # a link, or not a regular file
    SKIPPED = "skipped"  # hidden, an Excel lock file, or a partial or temporary file


class LedgerStatus(StrEnum):
    """A submission's ``status`` in ``raw.submissions``."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a later accepted version of the same return replaced it
    WITHDRAWN = "withdrawn"  # by the Secretariat (pidc withdraw)
