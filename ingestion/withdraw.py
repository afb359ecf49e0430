"""Withdraw a submission: the Secretariat's way to take a loaded file back out of publication.

Raw data is append-only, so nothing is deleted. Withdrawing a submission sets its ledger status
to ``withdrawn`` and records who withdrew it, when and why in ``raw.withdrawals``, in one
transaction. dbt staging only ever counts submissions that are accepted (or accepted and since
superseded), so from the next build on:

- a return the withdrawn submission carried falls back to the newest earlier accepted version of
  the same member x dataset x month, if there is one (it becomes current again, and its ledger
  status goes back from ``superseded`` to ``accepted``);
- a return with no earlier accepted version disappears from the facts and the publication (for
  compliance, it is no longer received).

A withdrawn file sent again unchanged is still the same file: intake reports it as a duplicate
of the withdrawn submission and does not load it. Corrected figures come as a new file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from ingestion.loader import HAS_NO_NEWER_VERSION, transaction
from ingestion.raw_schema import RAW_SCHEMA
from ingestion.report import word
from ingestion.statuses import LedgerStatus
from pidc.i18n import _

# Only these can be withdrawn: their rows may be current. A rejected file loaded nothing.
WITHDRAWABLE = (LedgerStatus.ACCEPTED, LedgerStatus.SUPERSEDED)

# Superseded submissions that share a return with the withdrawn one and, with it out of the
# way, carry at least one return no accepted or superseded version is newer than: they are the
# current version of that return again.
_RESTORE_SUPERSEDED = f"""
update {RAW_SCHEMA}.submissions as s
set status = 'accepted'
where s.status = 'superseded'
  and s.submission_id in (
    select older.submission_id
    from {RAW_SCHEMA}.returns older
    join {RAW_SCHEMA}.returns withdrawn on withdrawn.member = older.member
        and withdrawn.dataset = older.dataset and withdrawn.period = older.period
    where withdrawn.submission_id = ? and older.submission_id <> withdrawn.submission_id
  )
  and exists (
    select 1
    from {RAW_SCHEMA}.returns mine
    where mine.submission_id = s.submission_id
{HAS_NO_NEWER_VERSION}
  )
"""

# For each return of the withdrawn submission: the version that counts now, if any.
_NOW_CURRENT = f"""
select withdrawn.dataset, withdrawn.period, (
    select r.submission_id
    from {RAW_SCHEMA}.returns r
    join {RAW_SCHEMA}.submissions s on s.submission_id = r.submission_id
    where s.status in ('accepted', 'superseded')
      and r.member = withdrawn.member
      and r.dataset = withdrawn.dataset
      and r.period = withdrawn.period
    order by r.received_at desc, r.submission_id desc
    limit 1
) as current_submission
from {RAW_SCHEMA}.returns withdrawn
where withdrawn.submission_id = ?
order by withdrawn.dataset, withdrawn.period
"""


class WithdrawalError(ValueError):
    """The submission cannot be withdrawn; the message says why and what to do instead."""


@dataclass(frozen=True)
class Withdrawal:
    """A submission withdrawn, and what counts now for each return it carried."""

    submission_id: str
    member: str | None
    file_name: str
    previous_status: str
    withdrawn_at: dt.datetime
    withdrawn_by: str
    reason: str
    # (dataset, period, submission now current or None when the return is gone)
    returns: list[tuple[str, str, str | None]] = field(default_factory=list)

    def summary(self) -> str:
        """What the withdrawal changes, in a few lines for the operator."""
        lines = [
            _("Withdrew submission {id} ({member}, {file}), which was {status}.").format(
                id=self.submission_id,
                member=self.member or "?",
                file=self.file_name,
                status=word(self.previous_status),
            ),
        ]
        for dataset, period, current in self.returns:
            now = (
                _("earlier version {id} counts again").format(id=current)
                if current
                else _("no earlier version: it leaves the publication")
            )
            lines.append(f"  {dataset} {period}: {now}")
        lines.append(_("The next pipeline run (`pidc pipeline`) publishes the change."))
        return "\n".join(lines)


def withdraw_submission(
    connection: duckdb.DuckDBPyConnection,
    submission_id: str,
    *,
    reason: str,
    withdrawn_by: str,
    now: dt.datetime | None = None,
) -> Withdrawal:
    """Withdraw ``submission_id``: ledger status, withdrawal record and restored earlier versions,
    in one transaction. Raises :class:`WithdrawalError` when it cannot be withdrawn."""
    reason, withdrawn_by = (reason or "").strip(), (withdrawn_by or "").strip()
    if not reason:
        raise WithdrawalError(_("Give the reason for the withdrawal (--reason); it is recorded."))
    if not withdrawn_by:
        raise WithdrawalError(_("Say who withdraws the submission (--by); it is recorded."))
    found = connection.execute(
        f"select member, file_name, status from {RAW_SCHEMA}.submissions where submission_id = ?",
        [submission_id],
    ).fetchone()
    if found is None:
        raise WithdrawalError(
            _(
                "There is no submission {id} in the ledger. Submission ids are in the ledger "
                "(the dashboard's data-quality page, or raw.submissions)."
            ).format(id=repr(submission_id))
        )
    member, file_name, status = found
    if status == LedgerStatus.WITHDRAWN:
        earlier = connection.execute(
            f"select withdrawn_at, withdrawn_by, reason from {RAW_SCHEMA}.withdrawals "
            "where submission_id = ?",
            [submission_id],
        ).fetchone()
        if earlier:
            raise WithdrawalError(
                _(
                    "Submission {id} was already withdrawn on {when} UTC by {who} ({reason})."
                ).format(
                    id=submission_id,
                    when=f"{earlier[0]:%Y-%m-%d %H:%M}",
                    who=earlier[1],
                    reason=earlier[2],
                )
            )
        raise WithdrawalError(_("Submission {id} was already withdrawn.").format(id=submission_id))
    if status not in WITHDRAWABLE:
        raise WithdrawalError(
            _(
                "Submission {id} was {status}: none of its rows were loaded, so there is "
                "nothing to withdraw."
            ).format(id=submission_id, status=word(status))
        )
    at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    with transaction(connection):
        connection.execute(
            f"update {RAW_SCHEMA}.submissions set status = 'withdrawn' where submission_id = ?",
            [submission_id],
        )
        connection.execute(
            f"insert into {RAW_SCHEMA}.withdrawals "
            "(submission_id, withdrawn_at, withdrawn_by, reason, previous_status) "
            "values (?, ?, ?, ?, ?)",
            [submission_id, at, withdrawn_by, reason, status],
        )
        connection.execute(_RESTORE_SUPERSEDED, [submission_id])
        returns = connection.execute(_NOW_CURRENT, [submission_id]).fetchall()
    return Withdrawal(
        submission_id=submission_id,
        member=member,
        file_name=file_name,
        previous_status=status,
        withdrawn_at=at,
        withdrawn_by=withdrawn_by,
        reason=reason,
        returns=[(dataset, period, current) for dataset, period, current in returns],
    )
