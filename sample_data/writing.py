"""Step 3: every value spelled the way the member's office writes it, and the files written.

Template workbooks (layout E) for about half the members, one CSV per dataset for the others,
with each file's mtime set to its intended received time; every file is recorded in the manifest.
"""

from __future__ import annotations

import calendar
import csv
import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from ingestion.template import sheet_columns, write_template
from pidc.contract import Contract, Dataset, load_contract
from pidc.reference.seeds import seed_exists, seed_rows
from sample_data import profiles
from sample_data.common import Rows, SampleError, _rng
from sample_data.events import (
    _Plan,
)
from sample_data.figures import (
    SEX_AGE,
    splits_sex_age,
)
from sample_data.manifest import (
    Correction,
    LateReturn,
    NilReturn,
    SampleFile,
    SampleManifest,
)
from sample_data.profiles import Port, member_ports, profile

DEFAULT_DEADLINE_DAY = 15


def _deadline_day() -> int:
    """The deadline day of the next month, from reporting_settings.csv when it exists."""
    if seed_exists("reference/reporting_settings"):
        for row in seed_rows("reference/reporting_settings"):
            if row.get("setting") == "deadline_day_of_next_month":
                return int(row["value"])
    return DEFAULT_DEADLINE_DAY


def _due_date(period: str, deadline_day: int) -> date:
    year, month = (int(part) for part in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, min(deadline_day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------- spelling


def _spell_rows(
    member: str,
    period: str,
    dataset: str,
    rows: Rows,
    cells_columns: list[str],
    contract: Contract,
) -> list[dict[str, object]]:
    """``rows`` in ``member``'s own spelling, one dict per row in contract column order.

    Rows whose spellings coincide (a member grouping small markets) are added together, as
    the member's own tables do.
    """
    data = contract.dataset(dataset)
    columns = {c.name: c for c in data.breakdowns}
    port_by_code = {p.code: p for p in member_ports(member)}
    labels = {name: contract.codes(cl.code_list) for name, cl in columns.items() if cl.code_list}
    merged: dict[tuple[str, ...], int] = {}
    for codes, count in rows:
        record = dict(zip(cells_columns, codes, strict=True))
        spelled = []
        for name in [c.name for c in data.breakdowns]:
            column = columns[name]
            value = record[name]
            if column.type == "country":
                region = None
                if dataset == "movements" and record.get("traveller_type") == "VIS":
                    region = profiles.COUNTRY_POOL.get(value, ("OTHER", 0))[0]
                spelled.append(profiles.spell_country(value, member, region))
            elif column.type == "port":
                port = port_by_code.get(value, Port(value, value, ""))
                spelled.append(profiles.spell_port(port, member))
            elif column.type == "code":
                spelled.append(profiles.spell_code(value, column.code_list, member, labels[name]))
            else:
                spelled.append(value)
        key = tuple(spelled)
        merged[key] = merged.get(key, 0) + count
    names = [c.name for c in data.breakdowns]
    return [
        {"member": member, "period": period, **dict(zip(names, key, strict=True)), "count": count}
        for key, count in merged.items()
    ]


# ---------------------------------------------------------------------------- writing files


def _csv_bytes(header: list[str], records: list[dict[str, object]], member: str) -> bytes:
    habits = profile(member)
    # Windows tools write CRLF; the others write LF.
    line_end = "\r\n" if habits.encoding in ("cp1252", "utf-16") else "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=habits.delimiter, lineterminator=line_end)
    writer.writerow(header)
    for record in records:
        writer.writerow([record[name] for name in header])
    try:
        return buffer.getvalue().encode(habits.encoding)
    except UnicodeEncodeError as error:
        raise SampleError(
            f"{member}'s sample labels cannot be written in {habits.encoding}: {error}; "
            "change the label or the member's encoding in sample_data/profiles.py"
        ) from None


def _set_received(path: Path, received: datetime) -> None:
    stamp = calendar.timegm(received.timetuple())
    os.utime(path, (stamp, stamp))


def _received(member: str, period: str, seed: int, deadline_day: int, salt: str = "") -> datetime:
    """When ``member``'s return for ``period`` arrives: usually before the deadline."""
    rng = _rng(seed, "received", member, period, salt)
    due = _due_date(period, deadline_day)
    first_day = date(due.year, due.month, 1)
    if rng.random() < profile(member).lateness:
        day = due + timedelta(days=int(rng.integers(1, 60)))
    else:
        day = first_day + timedelta(days=int(rng.integers(0, (due - first_day).days + 1)))
    return datetime(day.year, day.month, day.day, int(rng.integers(7, 18)), int(rng.integers(60)))


def _record_file(
    manifest: SampleManifest,
    path: str,
    member: str,
    period: str,
    version: int,
    carried: dict[str, list[dict[str, object]]],
    received: datetime,
    deadline_day: int,
    **extra,
) -> SampleFile:
    due = _due_date(period, deadline_day)
    late = received.date() > due
    nil = sorted(name for name, records in carried.items() if not records)
    entry = SampleFile(
        path=path,
        member=member,
        file_format=extra.pop("file_format"),
        period=period,
        version=version,
        datasets=sorted(carried),
        nil_datasets=nil,
        received_at=received.isoformat(),
        due_date=due.isoformat(),
        late=late,
        rows={name: len(records) for name, records in sorted(carried.items())},
        totals={
            name: sum(int(r["count"]) for r in records) for name, records in sorted(carried.items())
        },
        **extra,
    )
    manifest.files.append(entry)
    if version == 1:
        for name in sorted(carried):
            if late:
                manifest.late_returns.append(
                    LateReturn(
                        member,
                        name,
                        period,
                        entry.received_at,
                        entry.due_date,
                        (received.date() - due).days,
                        path,
                    )
                )
            if name in nil:
                manifest.nil_returns.append(NilReturn(member, name, period, path))
    return entry


def _records_for(plan: _Plan, member, dataset, period, contract, rows=None):
    rows = plan.figures[(member, dataset, period)] if rows is None else rows
    return _spell_rows(member, period, dataset, rows, plan.columns[(member, dataset)], contract)


def _write_workbooks(
    landing_dir, member, periods, plan, contract, seed, deadline_day, manifest, workbooks
) -> None:
    """Plan ``member``'s workbooks: each is recorded in the manifest now and appended to
    ``workbooks`` as a :class:`WorkbookJob`, written afterwards by :func:`write_workbooks`."""
    folder = landing_dir / member
    for period in periods:
        carried = {
            dataset: _records_for(plan, member, dataset, period, contract)
            for dataset in contract.dataset_names
            if (member, dataset, period) not in plan.missing
        }
        if not carried:
            continue
        received = _received(member, period, seed, deadline_day)
        name = f"{member}_return_{period}.xlsx"
        notes = plan.notes.get((member, period), [])
        workbooks.append(WorkbookJob(folder / name, member, period, 1, carried, notes, received))
        entry = _record_file(
            manifest,
            f"{member}/{name}",
            member,
            period,
            1,
            carried,
            received,
            deadline_day,
            file_format="xlsx",
            observations=len(plan.notes.get((member, period), [])),
        )
        corrected = {
            d: rows for (m, d, p), rows in plan.corrected.items() if m == member and p == period
        }
        if not corrected:
            continue
        # A correction resends the whole month as version 2, with the recounted dataset changed.
        version_two = dict(carried)
        for dataset, rows in corrected.items():
            version_two[dataset] = _records_for(plan, member, dataset, period, contract, rows)
        later = received + timedelta(days=30 + int(_rng(seed, "fix", member, period).integers(90)))
        fixed_name = f"{member}_return_{period}_v2.xlsx"
        workbooks.append(
            WorkbookJob(folder / fixed_name, member, period, 2, version_two, [], later)
        )
        _record_file(
            manifest,
            f"{member}/{fixed_name}",
            member,
            period,
            2,
            version_two,
            later,
            deadline_day,
            file_format="xlsx",
        )
        for dataset in sorted(corrected):
            manifest.corrections.append(
                _second_version(member, dataset, period, fixed_name, entry, version_two[dataset])
            )


def _second_version(member, dataset, period, fixed_name, entry, fixed_rows) -> Correction:
    """The manifest record of a version 2 that replaces ``entry``'s return of ``dataset``."""
    return Correction(
        member,
        dataset,
        period,
        2,
        f"{member}/{fixed_name}",
        entry.path,
        entry.rows[dataset],
        len(fixed_rows),
        entry.totals[dataset],
        sum(int(r["count"]) for r in fixed_rows),
    )


@dataclass(frozen=True)
class WorkbookJob:
    """One template workbook to write: its returns as records, and when it arrived."""

    path: Path
    member: str
    period: str
    version: int
    carried: dict[str, list[dict]]
    notes: list[dict]
    received: datetime


# Writing a workbook takes about 50 ms (xlsxwriter, in Python). The 36-month sample has about
# 400; from this many on they are shared among worker processes, one per core.
PARALLEL_WORKBOOKS = 200


def write_workbooks(jobs: list[WorkbookJob]) -> None:
    """Write every job's workbook and date it as received; in worker processes when there are
    :data:`PARALLEL_WORKBOOKS` or more and more than one core. Each file's bytes are the same
    either way (a workbook depends only on its own job)."""
    workers = min(os.cpu_count() or 1, 4) if len(jobs) >= PARALLEL_WORKBOOKS else 1
    if workers < 2:
        for job in jobs:
            _write_job(job)
        return
    # Spawned, not forked: the caller may be a threaded process (Streamlit, Dagster, pytest).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for _ in pool.map(_write_job, jobs, chunksize=8):
            pass


def _write_job(job: WorkbookJob) -> None:
    _workbook(job.path, job.member, job.period, job.version, job.carried, job.notes)
    _set_received(job.path, job.received)


def _workbook(path: Path, member, period, version, carried, notes) -> None:
    contract = load_contract()
    returns: dict[str, pd.DataFrame | None] = {}
    for dataset, records in carried.items():
        if records:
            names = [c.name for c in sheet_columns(contract.dataset(dataset))]
            returns[dataset] = pd.DataFrame([[r[n] for n in names] for r in records], columns=names)
    nil = {dataset for dataset, records in carried.items() if not records}
    observations = None
    if notes:
        names = [c.name for c in sheet_columns(contract.observations)]
        observations = pd.DataFrame([[note[n] for n in names] for note in notes], columns=names)
    write_template(
        path,
        member,
        period,
        version=version,
        returns=returns,
        nil_datasets=nil,
        observations=observations,
        contact_name=f"Reporting officer {member}",
        contact_email=f"returns@immigration.{member.lower()}.example",
        language=profile(member).language,
    )


def _write_csvs(landing_dir, member, periods, plan, contract, seed, deadline_day, manifest) -> None:
    folder = landing_dir / member
    folder.mkdir(parents=True, exist_ok=True)
    habits = profile(member)
    for period in periods:
        received_month = _received(member, period, seed, deadline_day)
        for dataset in contract.dataset_names:
            if (member, dataset, period) in plan.missing:
                continue
            received = received_month
            # Now and then one dataset's file leaves the office later than the rest.
            if _rng(seed, "straggler", member, dataset, period).random() < 0.05:
                received = _received(member, period, seed, deadline_day, dataset) + timedelta(
                    days=20
                )
            records = _records_for(plan, member, dataset, period, contract)
            name = f"{member}_{dataset}_{period}.csv"
            header = _csv_header(member, contract.dataset(dataset))
            _write_csv(folder / name, header, records, member, received)
            entry = _record_file(
                manifest,
                f"{member}/{name}",
                member,
                period,
                1,
                {dataset: records},
                received,
                deadline_day,
                file_format="csv",
                encoding=habits.encoding,
                delimiter=habits.delimiter,
            )
            if (member, dataset, period) in plan.corrected:
                fixed = _records_for(
                    plan,
                    member,
                    dataset,
                    period,
                    contract,
                    plan.corrected[(member, dataset, period)],
                )
                later = received + timedelta(
                    days=30 + int(_rng(seed, "fix", member, period).integers(90))
                )
                fixed_name = f"{member}_{dataset}_{period}_v2.csv"
                _write_csv(folder / fixed_name, header, fixed, member, later)
                _record_file(
                    manifest,
                    f"{member}/{fixed_name}",
                    member,
                    period,
                    2,
                    {dataset: fixed},
                    later,
                    deadline_day,
                    file_format="csv",
                    encoding=habits.encoding,
                    delimiter=habits.delimiter,
                )
                manifest.corrections.append(
                    _second_version(member, dataset, period, fixed_name, entry, fixed)
                )
        notes = plan.notes.get((member, period), [])
        if notes:
            name = f"{member}_observations_{period}.csv"
            records = [{"member": member, "period": period, **note} for note in notes]
            _write_csv(
                folder / name, contract.observations.column_names, records, member, received_month
            )
            manifest.files.append(
                SampleFile(
                    path=f"{member}/{name}",
                    member=member,
                    file_format="csv",
                    period=period,
                    version=1,
                    datasets=["observations"],
                    nil_datasets=[],
                    received_at=received_month.isoformat(),
                    due_date=_due_date(period, deadline_day).isoformat(),
                    late=received_month.date() > _due_date(period, deadline_day),
                    rows={"observations": len(records)},
                    totals={},
                    encoding=habits.encoding,
                    delimiter=habits.delimiter,
                    observations=len(records),
                )
            )


def _csv_header(member: str, dataset: Dataset) -> list[str]:
    """The columns of ``member``'s CSV for ``dataset``: an office that does not break it down
    by sex and age leaves those optional columns out, as returns written before them do."""
    if splits_sex_age(member, dataset.name):
        return dataset.column_names
    return [c for c in dataset.column_names if c not in SEX_AGE or c not in dataset.defaults]


def _write_csv(path: Path, header: list[str], records, member: str, received: datetime) -> None:
    path.write_bytes(_csv_bytes(header, records, member))
    _set_received(path, received)
