"""The monthly compliance job: which returns are missing or late, per member, for reminders.

After each reporting deadline the Secretariat writes to members whose returns have not arrived.
The ``compliance_reminders`` asset (one partition per reporting month) reads the published
``marts.mart_reporting_compliance`` from the serving database (audited data, read-only, so it
never waits for or blocks a build) and writes ``$PIDC_HOME/reports/compliance/<YYYY-MM>/``:
``missing_and_late.csv`` (one row per return) and ``reminders.md`` (one section per member).
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from orchestration.intake import AssetJob
from orchestration.partitions import day_after_deadline, monthly_partitions
from orchestration.publish import MARTS_SCHEMA, SERVING_ASSET_NAME
from orchestration.resources import HomeResource
from pidc.settings import Home

COMPLIANCE_TABLE = "mart_reporting_compliance"
MEMBERS_TABLE = "dim_members"
COMPLIANCE_ASSET_NAME = "compliance_reminders"
COMPLIANCE_GROUP = "reports"
COMPLIANCE_JOB_NAME = "compliance_job"
COMPLIANCE_SCHEDULE_NAME = "monthly_compliance"
REMINDER_STATUSES = ("missing", "late")
CSV_NAME = "missing_and_late.csv"
MARKDOWN_NAME = "reminders.md"
REMINDER_COLUMNS = [
    "member_code",
    "member_name",
    "dataset",
    "period_month",
    "due_date",
    "status",
    "first_received_at",
    "days_late",
]


class ComplianceDataMissingError(RuntimeError):
    """The serving database or its compliance mart is not there, so no reminders can be made."""


@dataclass(frozen=True)
class ComplianceReport:
    """The files one compliance run wrote and how many returns they list."""

    folder: Path
    csv_path: Path
    markdown_path: Path
    missing_returns: int
    late_returns: int
    members_to_remind: int


def month_folder_name(period_month: dt.date) -> str:
    """``YYYY-MM``: the folder name of a reporting month's compliance report."""
    return period_month.strftime("%Y-%m")


def read_compliance_month(serving: Path, period_month: dt.date) -> pd.DataFrame:
    """The missing and late expected returns of ``period_month``, with member names.

    Raises ``ComplianceDataMissingError`` saying what to do when the serving database or its
    ``marts.mart_reporting_compliance`` table does not exist.
    """
    if not serving.exists():
        raise ComplianceDataMissingError(
            f"No serving database at {serving}. Run the pipeline (`make pipeline` or the nightly "
            "build) first; the compliance report reads the published marts."
        )
    connection = duckdb.connect(str(serving), read_only=True)
    try:
        tables = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [MARTS_SCHEMA],
            ).fetchall()
        }
        if COMPLIANCE_TABLE not in tables:
            raise ComplianceDataMissingError(
                f"The serving database {serving} has no {MARTS_SCHEMA}.{COMPLIANCE_TABLE}. "
                "Build and publish the dbt marts that include it (`make pipeline`), then run "
                "the compliance job again."
            )
        names = (
            f"left join {MARTS_SCHEMA}.{MEMBERS_TABLE} as members "
            "on members.member_code = compliance.member_code"
            if MEMBERS_TABLE in tables
            else ""
        )
        member_name = "members.member_name" if names else "compliance.member_code"
        statuses = ", ".join(f"'{status}'" for status in REMINDER_STATUSES)
        return connection.execute(
            f"""
            select
                compliance.member_code,
                {member_name} as member_name,
                compliance.dataset,
                compliance.period_month,
                compliance.due_date,
                compliance.status,
                compliance.first_received_at
            from {MARTS_SCHEMA}.{COMPLIANCE_TABLE} as compliance
            {names}
            where compliance.period_month = ?
                and compliance.is_expected
                and compliance.status in ({statuses})
            order by compliance.member_code, compliance.status, compliance.dataset
            """,
            [period_month],
        ).df()
    finally:
        connection.close()


def reminder_rows(compliance: pd.DataFrame) -> pd.DataFrame:
    """The compliance rows in the report's columns, with ``days_late`` for late returns."""
    rows = compliance.copy()
    for column in ("period_month", "due_date"):
        rows[column] = pd.to_datetime(rows[column]).dt.date
    received = pd.to_datetime(rows["first_received_at"])
    due = pd.to_datetime(rows["due_date"])
    late_by = (received.dt.normalize() - due).dt.days
    rows["days_late"] = late_by.where(rows["status"] == "late").astype("Int64")
    return rows[REMINDER_COLUMNS]


def reminders_markdown(rows: pd.DataFrame, period_month: dt.date) -> str:
    """The reminders as Markdown: one section per member listing its missing and late returns."""
    month = period_month.strftime("%B %Y")
    lines = [f"# Returns missing or late for {month}", ""]
    if rows.empty:
        lines.append(f"Every expected return for {month} arrived on time. No reminders to send.")
        return "\n".join(lines) + "\n"
    missing = int((rows["status"] == "missing").sum())
    late = int((rows["status"] == "late").sum())
    members = rows["member_code"].nunique()
    lines += [
        f"{missing} return(s) missing and {late} received late, from {members} member(s).",
        "",
    ]
    for (member_code, member_name), member_rows in rows.groupby(
        ["member_code", "member_name"], sort=True, dropna=False
    ):
        lines += [f"## {member_name} ({member_code})", ""]
        for row in member_rows.itertuples():
            if row.status == "missing":
                lines.append(f"- **{row.dataset}**: missing (was due {row.due_date}).")
            else:
                received = pd.Timestamp(row.first_received_at).date()
                lines.append(
                    f"- **{row.dataset}**: late, received {received} "
                    f"({row.days_late} day(s) after the {row.due_date} deadline)."
                )
        lines.append("")
    return "\n".join(lines)


def write_compliance_report(
    platform_home: Home, period_month: dt.date, compliance: pd.DataFrame
) -> ComplianceReport:
    """Write the CSV and Markdown of one reporting month under ``reports/compliance/<YYYY-MM>``.

    Files are written beside their final name then renamed, so a reader never sees half a file.
    """
    rows = reminder_rows(compliance)
    folder = platform_home.reports / "compliance" / month_folder_name(period_month)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, markdown_path = folder / CSV_NAME, folder / MARKDOWN_NAME
    for path, text in (
        (csv_path, rows.to_csv(index=False)),
        (markdown_path, reminders_markdown(rows, period_month)),
    ):
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return ComplianceReport(
        folder=folder,
        csv_path=csv_path,
        markdown_path=markdown_path,
        missing_returns=int((rows["status"] == "missing").sum()),
        late_returns=int((rows["status"] == "late").sum()),
        members_to_remind=int(rows["member_code"].nunique()),
    )


def build_compliance_asset() -> dg.AssetsDefinition:
    """The ``compliance_reminders`` asset: one report per reporting month, from serving."""

    @dg.asset(
        name=COMPLIANCE_ASSET_NAME,
        group_name=COMPLIANCE_GROUP,
        deps=[dg.AssetKey(SERVING_ASSET_NAME)],
        partitions_def=monthly_partitions(),
        kinds={"csv"},
        description=(
            "Missing and late returns per member for one reporting month (CSV and Markdown "
            "under reports/compliance/<YYYY-MM>/), for the Secretariat's reminders."
        ),
    )
    def compliance_reminders(
        context: dg.AssetExecutionContext, home: HomeResource
    ) -> dg.MaterializeResult:
        platform_home = home.get_home()
        # One report per month of the run (a backfill of several months writes each).
        start = context.partition_time_window.start.date()
        end = context.partition_time_window.end.date()
        months = pd.date_range(start, end, freq="MS", inclusive="left").date
        reports = []
        for period_month in months:
            compliance = read_compliance_month(platform_home.serving, period_month)
            report = write_compliance_report(platform_home, period_month, compliance)
            context.log.info(
                f"{month_folder_name(period_month)}: {report.missing_returns} missing, "
                f"{report.late_returns} late, {report.members_to_remind} member(s) to remind"
            )
            reports.append(report)
        return dg.MaterializeResult(
            metadata={
                "folder": dg.MetadataValue.path(str(reports[-1].folder)),
                "missing_returns": sum(r.missing_returns for r in reports),
                "late_returns": sum(r.late_returns for r in reports),
                "members_to_remind": max(r.members_to_remind for r in reports),
                "reminders": dg.MetadataValue.md(reports[-1].markdown_path.read_text("utf-8")),
            }
        )

    return compliance_reminders


def build_compliance_job() -> AssetJob:
    """``compliance_job``: the reminders report of one reporting month."""
    return dg.define_asset_job(
        COMPLIANCE_JOB_NAME,
        selection=dg.AssetSelection.assets(COMPLIANCE_ASSET_NAME),
        partitions_def=monthly_partitions(),
        description="List the missing and late returns of a reporting month, per member.",
    )


def compliance_schedule_day() -> int:
    """Day of the month the compliance job runs: the day after the reporting deadline."""
    # Day 28 exists in every month; a deadline later than that still gets its report.
    return day_after_deadline()


def compliance_definitions() -> dg.Definitions:
    """The reminders asset, its job and the schedule the day after each reporting deadline."""
    job = build_compliance_job()
    schedule = dg.build_schedule_from_partitioned_job(
        job,
        name=COMPLIANCE_SCHEDULE_NAME,
        day_of_month=compliance_schedule_day(),
        # After the nightly build has published the day's compliance figures.
        # (in the partitions' time zone, the Secretariat's).
        hour_of_day=9,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The day after the reporting deadline: list missing and late returns.",
    )
    return dg.Definitions(assets=[build_compliance_asset()], jobs=[job], schedules=[schedule])
