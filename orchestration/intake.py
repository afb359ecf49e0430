"""Intake: new files in the landing folder become rows of the raw warehouse tables.

The ``raw_tables`` asset calls ``ingestion.intake.ingest_path`` (which validates, quarantines or
loads, and never loads the same file twice). The ``landing_sensor`` watches the landing folder and
asks for one intake run per new file, keyed by the file's sha256, so the same bytes dropped twice
(or a sensor tick repeated after a crash) never make a second run.
"""

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from ingestion.landing import file_sha256, landing_files
from ingestion.raw_schema import raw_tables
from orchestration.partitions import raw_freshness_policy
from orchestration.resources import (
    TRANSIENT_RETRY_POLICY,
    WAREHOUSE_POOL,
    HomeResource,
    stopped_for_good,
)
from pidc import i18n
from pidc.escaping import escape_markdown
from pidc.i18n import _

INTAKE_GROUP = "intake"
INTAKE_ASSET_NAME = "raw_tables"
LEDGER_KEY = dg.AssetKey(["raw", "submissions"])
# The check that turns red when a file of the run was rejected (its report in the metadata).
FILES_ACCEPTED_CHECK = "every_file_accepted"
INTAKE_JOB_NAME = "intake_job"
LANDING_SENSOR_NAME = "landing_sensor"

# A file whose modification time is this recent may still be being copied in; wait a tick.
DEFAULT_SETTLE_SECONDS = 10.0
# Lines of files read (other than those needing attention) per event of an intake run's log.
LOG_LINES_PER_EVENT = 500

# What ``dg.define_asset_job`` returns (its class is not in Dagster's public API).
AssetJob = Any


class LandingFileMissingError(FileNotFoundError):
    """A file named in the intake run's config is no longer in the landing folder."""


class IntakeConfig(dg.Config):
    """Which landing files one intake run ingests; empty means the whole landing folder."""

    paths: list[str] = Field(
        default_factory=list,
        description="Files to ingest (absolute, or relative to the landing folder).",
    )


@dataclass(frozen=True)
class LandingFile:
    """A file found in the landing folder, identified by its content."""

    path: Path
    relative_path: str
    member_folder: str
    sha256: str


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _load_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        seen = json.loads(cursor).get("seen", {})
    except (ValueError, AttributeError):
        # A cursor from an older format: start over; run keys still stop duplicate runs.
        return {}
    return {str(key): str(value) for key, value in seen.items()}


def scan_landing(
    landing: Path,
    cursor: str | None,
    *,
    now: float | None = None,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> tuple[list[LandingFile], str]:
    """New or changed landing files since ``cursor``, and the cursor to store next.

    The cursor maps each file's path (relative to ``landing``) to its size and modification time,
    so unchanged files are not hashed again on every tick. Files modified less than
    ``settle_seconds`` ago are left for the next tick (they may still be being copied). Files
    that left the landing folder drop out of the cursor, which keeps it as small as the folder.
    """
    now = time.time() if now is None else now
    seen = _load_cursor(cursor)
    next_seen: dict[str, str] = {}
    new_files: list[LandingFile] = []
    if landing.is_dir():
        # The files intake itself would read (ingestion.landing): no hidden, lock or partial
        # files, no links (the whole-landing run lists those), nothing in a hidden folder.
        for path in sorted(landing_files(landing)):
            relative = path.relative_to(landing).as_posix()
            fingerprint = _fingerprint(path)
            if seen.get(relative) == fingerprint:
                next_seen[relative] = fingerprint
                continue
            if now - path.stat().st_mtime < settle_seconds:
                continue
            next_seen[relative] = fingerprint
            member_folder = relative.split("/", 1)[0] if "/" in relative else ""
            new_files.append(LandingFile(path, relative, member_folder, file_sha256(path)))
    return new_files, json.dumps({"version": 1, "seen": next_seen}, sort_keys=True)


def intake_run_request(landing_file: LandingFile) -> dg.RunRequest:
    """The run request that ingests one landing file.

    Its run key is the file's sha256 and its place in the landing folder: the same bytes at the
    same place never run twice, while intake itself decides whether identical bytes under
    another name are a duplicate (a header-only nil return is identical for every month).
    """
    return dg.RunRequest(
        run_key=f"{landing_file.sha256}:{landing_file.relative_path}",
        run_config=dg.RunConfig(
            ops={INTAKE_ASSET_NAME: IntakeConfig(paths=[str(landing_file.path)])}
        ),
        tags={
            "pidc/landing_file": landing_file.relative_path,
            "pidc/member_folder": landing_file.member_folder,
        },
    )


def intake_batch_request(batch: list[LandingFile]) -> dg.RunRequest:
    """One run request that ingests every file of ``batch`` (one or many)."""
    if len(batch) == 1:
        return intake_run_request(batch[0])
    digest = hashlib.sha256(
        "\n".join(sorted(f"{f.sha256}:{f.relative_path}" for f in batch)).encode()
    ).hexdigest()
    return dg.RunRequest(
        run_key=f"batch:{digest}",
        run_config=dg.RunConfig(
            ops={INTAKE_ASSET_NAME: IntakeConfig(paths=[str(f.path) for f in batch])}
        ),
        tags={
            "pidc/landing_files": str(len(batch)),
            "pidc/member_folders": ",".join(sorted({f.member_folder for f in batch}))[:200],
        },
    )


def _raw_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=dg.AssetKey(["raw", table]),
            group_name=INTAKE_GROUP,
            description=f"Raw warehouse table raw.{table}: rows exactly as members sent them.",
            kinds={"duckdb"},
            # Returns arrive every month: a cycle with nothing at all is worth a look.
            freshness_policy=raw_freshness_policy(),
        )
        for table in raw_tables()
    ]


def _resolve_targets(config: IntakeConfig, landing: Path) -> list[Path]:
    if not config.paths:
        return [landing]
    targets = []
    for named in config.paths:
        path = Path(named)
        path = path if path.is_absolute() else landing / path
        if not path.exists():
            raise LandingFileMissingError(
                f"{path} is not in the landing folder any more. Landing files are never moved or "
                "deleted by the platform; put the file back, or run intake on the whole landing "
                "folder (empty `paths`)."
            )
        targets.append(path)
    return targets


def rejected_files_check(outcomes: list) -> dg.AssetCheckResult:
    """The ``every_file_accepted`` result for one intake run's outcomes.

    A rejected file is quarantined and never blocks other members' data, so the check only warns;
    its metadata names each rejected file with the path of the validation report to send back,
    and each refused entry (a link, never read) with the reason.
    """
    rejected = [outcome for outcome in outcomes if outcome.status == "rejected"]
    refused = [outcome for outcome in outcomes if outcome.status == "refused"]
    metadata: dict[str, object] = {"files_rejected": len(rejected), "files_refused": len(refused)}
    for outcome in [*rejected, *refused]:
        key = f"{outcome.status}: {outcome.member or '?'}/{outcome.file_name}"
        metadata[key] = (
            dg.MetadataValue.path(str(outcome.report_path))
            if outcome.report_path
            else dg.MetadataValue.text(outcome.message)
        )
    if rejected or refused:
        metadata["reasons"] = dg.MetadataValue.md(
            "\n".join(
                f"- {outcome.status} **{escape_markdown(outcome.file_name)}**: "
                f"{escape_markdown(outcome.message)}"
                for outcome in [*rejected, *refused]
            )
        )
    problems = []
    if rejected:
        problems.append(
            f"{len(rejected)} file(s) failed validation and were quarantined; "
            "send each member its report."
        )
    if refused:
        problems.append(f"{len(refused)} landing entry(ies) refused unread (links).")
    return dg.AssetCheckResult(
        asset_key=LEDGER_KEY,
        check_name=FILES_ACCEPTED_CHECK,
        passed=not (rejected or refused),
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=" ".join(problems) or "Every file of this run passed validation.",
    )


def set_aside_metadata(outcomes: list) -> dict[str, object]:
    """Counts of the entries intake did not read and, when there are any, their list."""
    aside = [outcome for outcome in outcomes if outcome.status in ("refused", "skipped")]
    metadata: dict[str, object] = {
        "files_refused": sum(outcome.status == "refused" for outcome in aside),
        "files_skipped": sum(outcome.status == "skipped" for outcome in aside),
    }
    if aside:
        metadata["set_aside"] = dg.MetadataValue.text(
            "; ".join(
                f"{outcome.status} {outcome.member or '?'}/{outcome.file_name}" for outcome in aside
            )
        )
    return metadata


def build_intake_assets() -> dg.AssetsDefinition:
    """The ``raw_tables`` multi-asset: one asset per raw table, all filled by one intake step."""

    @dg.multi_asset(
        name=INTAKE_ASSET_NAME,
        specs=_raw_specs(),
        check_specs=[
            dg.AssetCheckSpec(
                FILES_ACCEPTED_CHECK,
                asset=LEDGER_KEY,
                description="Every file of the run passed validation (reports attached).",
            )
        ],
        pool=WAREHOUSE_POOL,
        # Intake is idempotent (a file already in the ledger is a duplicate), so a retry after
        # a lock conflict never loads a file twice.
        retry_policy=TRANSIENT_RETRY_POLICY,
        description="Ingest new landing files (validate, then load or quarantine each file).",
    )
    def raw_tables_asset(
        context: dg.AssetExecutionContext, config: IntakeConfig, home: HomeResource
    ):
        # Imported here: the ingestion stack (parsers, Great Expectations) is slow to import and
        # must not load when Dagster only reads the definitions.
        from ingestion.intake import ingest_path
        from orchestration import progress

        platform_home = home.get_home()
        outcomes = []
        targets = _resolve_targets(config, platform_home.landing)
        total = sum(len(landing_files(t)) if t.is_dir() else 1 for t in targets)
        progress.current.start("intake", total)
        # Reports written during a run (report.md, report.html) are in PIDC_LANG's language,
        # else the current one (a `pidc --lang fr pipeline` run in this process).
        with (
            i18n.language(i18n.language_from_env(default=i18n.get_language())),
            stopped_for_good(),
        ):
            for target in targets:
                outcomes.extend(
                    ingest_path(target, platform_home, on_file=lambda _: progress.current.advance())
                )
        # A line per file read. A file that needs someone's attention (rejected, refused,
        # skipped) is a warning of its own; the others are listed LOG_LINES_PER_EVENT lines to an
        # event (each event costs Dagster about 0.4 ms: a 120-month rebuild's 9,622 took 4 s).
        # The landing files the ledger already had, often thousands kept over the years, are
        # counted in one line.
        unchanged = 0
        listed: list[str] = []
        for outcome in outcomes:
            if outcome.unchanged:
                unchanged += 1
                continue
            line = f"{outcome.file_name}: {outcome.status} - {outcome.message}"
            if outcome.status in ("rejected", "refused", "skipped"):
                context.log.warning(line)
            else:
                listed.append(line)
        for start in range(0, len(listed), LOG_LINES_PER_EVENT):
            context.log.info("\n".join(listed[start : start + LOG_LINES_PER_EVENT]))
        if unchanged:
            context.log.info(
                f"{unchanged} landing files already received under the same name and arrival "
                "time: not read again (duplicate)"
            )
        statuses = Counter(outcome.status for outcome in outcomes)
        metadata = {
            "files_seen": len(outcomes),
            "files_accepted": statuses.get("accepted", 0),
            "files_rejected": statuses.get("rejected", 0),
            "files_duplicate": statuses.get("duplicate", 0),
            "rows_loaded": sum(outcome.rows_loaded for outcome in outcomes),
            "rows_rejected": sum(outcome.rows_rejected for outcome in outcomes),
            **set_aside_metadata(outcomes),
        }
        with i18n.language(i18n.language_from_env(default=i18n.get_language())):
            progress.current.finish(
                "intake",
                _("{accepted} accepted, {rejected} rejected, {duplicate} already received").format(
                    accepted=metadata["files_accepted"],
                    rejected=metadata["files_rejected"],
                    duplicate=metadata["files_duplicate"],
                ),
            )
        for spec in context.assets_def.specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)
        yield rejected_files_check(outcomes)

    return raw_tables_asset


def build_landing_sensor(
    job: AssetJob | dg.JobDefinition,
    *,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    minimum_interval_seconds: int = 30,
) -> dg.SensorDefinition:
    """A sensor asking ``job`` for one intake run of every new landing file at once.

    Files the ledger already has (same member, name and arrival time: a home filled by
    ``make run`` before the sensor ever ran) are not new, so starting ``dagster dev`` on a
    loaded home queues nothing. The run key is the digest of the batch's files (sha256 and
    place), so a repeated tick never makes a second run.
    """

    @dg.sensor(
        name=LANDING_SENSOR_NAME,
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="One intake run for the files new in the landing folder since the last "
        "tick and not yet in the ledger.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext, home: HomeResource):
        import duckdb

        from ingestion.intake import not_received

        platform_home = home.get_home()
        new_files, cursor = scan_landing(
            platform_home.landing, context.cursor, settle_seconds=settle_seconds
        )
        try:
            fresh = set(not_received(platform_home, [f.path for f in new_files]))
        except duckdb.IOException:
            # Another run holds the warehouse: look again next tick (the cursor stays).
            return dg.SkipReason("The warehouse is busy; landing is scanned again next tick.")
        batch = [landing_file for landing_file in new_files if landing_file.path in fresh]
        if not batch:
            return dg.SensorResult(
                run_requests=[], cursor=cursor, skip_reason="No new files in the landing folder."
            )
        return dg.SensorResult(run_requests=[intake_batch_request(batch)], cursor=cursor)

    return landing_sensor


def build_intake_job() -> AssetJob:
    """``intake_job``: the intake group only (what the landing sensor launches)."""
    return dg.define_asset_job(
        INTAKE_JOB_NAME,
        selection=dg.AssetSelection.groups(INTAKE_GROUP),
        description="Ingest landing files into the raw tables.",
    )


def intake_definitions(intake_job: AssetJob) -> dg.Definitions:
    """The intake group, its job and the landing-folder sensor."""
    return dg.Definitions(
        assets=[build_intake_assets()],
        jobs=[intake_job],
        sensors=[build_landing_sensor(intake_job)],
    )
