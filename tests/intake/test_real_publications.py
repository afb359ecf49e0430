"""Real national publications from landing to the published serving database.

Each real file in ``../shared/data/real`` that holds monthly figures is landed in the folder of
the member who publishes it, the pipeline runs once (``pidc pipeline``, as an operator would),
and each test checks that what the serving database publishes for that file equals the totals
the file itself prints, read here independently of the layout code. Skipped cleanly when the
real files are absent (they are never committed to this project).
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from cli.main import app
from pidc.settings import PROJECT_ROOT
from pidc.settings import home as make_home

REAL = PROJECT_ROOT.parent / "shared" / "data" / "real"
FIJI = REAL / "fiji_fbos_visitor_arrivals_tables_2017-2022.xlsx"
TONGA = sorted((REAL / "tonga_migration_reports").glob("*.csv"))
# Oldest edition first: the newer edition's months replace the older's where both have them.
VANUATU = [
    REAL / "vanuatu_visitor_arrivals" / "IAS_12_December_2018.csv",
    REAL / "vanuatu_visitor_arrivals" / "IVA_3_March_2022.csv",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not FIJI.exists(), reason="shared/data/real is absent"),
]


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    """A home whose landing holds only the real publications, after one pipeline run."""
    home = make_home(tmp_path_factory.mktemp("real_home")).ensure()
    arrivals = [("FJI", FIJI), *[("TON", p) for p in TONGA], *[("VUT", p) for p in VANUATU]]
    for order, (member, source) in enumerate(arrivals):
        target = home.landing / member / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        stamp = 1_700_000_000 + order * 60  # arrival order as listed
        os.utime(target, (stamp, stamp))
    ran = CliRunner().invoke(app, ["pipeline", "--home", str(home.root)])
    assert ran.exit_code == 0, ran.output
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        ledger = connection.execute(
            "select file_name, status, summary from raw.submissions"
        ).fetchall()
    assert all(status == "accepted" for _, status, _ in ledger), ledger
    assert len(ledger) == len(arrivals)
    connection = duckdb.connect(str(home.serving), read_only=True)
    yield connection
    connection.close()


def published(serving, member: str, where: str) -> dict[str, int]:
    """Month -> published sum(observed_count) of the member's movements rows matching where."""
    rows = serving.execute(
        "select strftime(period_month, '%Y-%m'), sum(observed_count) from marts.fct_movements "
        f"where member_code = ? and {where} group by 1",
        [member],
    ).fetchall()
    return {period: int(total) for period, total in rows}


# -- what each file prints, read without the layout code -------------------------------------

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
)}  # fmt: skip


def fiji_sheet(name: str) -> list[list]:
    return (
        CalamineWorkbook.from_path(str(FIJI))
        .get_sheet_by_name(name)
        .to_python(skip_empty_area=False)
    )


def fiji_monthly_column(sheet: str, year: int, month: int, total: int) -> dict[str, int]:
    """Month -> the figure in column ``total`` of a year/month table (0-based columns)."""
    found, current = {}, None
    for row in fiji_sheet(sheet):
        row = [*row, *[""] * 30]
        if isinstance(row[year], float):
            current = int(row[year])
        label = str(row[month]).strip().lower()[:3]
        if current and label in MONTHS and isinstance(row[total], float):
            found[f"{current}-{MONTHS[label]:02d}"] = int(row[total])
    return found


def test_fiji_t1_movements_equal_the_tables_total_passenger_movements(serving):
    printed = fiji_monthly_column("T1", year=1, month=2, total=13)
    assert len(printed) == 32
    assert published(
        serving, "FJI",
        "country_code = '_T' and purpose_code = '_T' and sex_code = '_T' and age_group_code = '_T'",
    ) == printed  # fmt: skip


def test_fiji_t2_visitors_by_country_equal_the_tables_total(serving):
    printed = fiji_monthly_column("T2", year=0, month=1, total=16)
    assert published(
        serving, "FJI",
        "country_code <> '_T' and country_basis_code = 'RES' and sex_code = '_T'",
    ) == printed  # fmt: skip


def test_fiji_t3_visitors_by_purpose_equal_the_tables_total(serving):
    printed = fiji_monthly_column("T3", year=1, month=2, total=9)
    assert published(serving, "FJI", "purpose_code <> '_T' and country_code = '_T'") == printed


def test_fiji_t5_and_t6_one_month_tables_equal_their_total_rows(serving):
    t5 = next(r for r in fiji_sheet("T5") if str(r[0]).startswith("TOTAL ALL AGES"))
    t6 = next(r for r in fiji_sheet("T6") if str(r[0]).strip() == "TOTAL")
    assert published(serving, "FJI", "sex_code <> '_T'") == {"2022-08": int(t5[19])}
    assert published(serving, "FJI", "country_basis_code = 'DST'") == {"2022-08": int(t6[8])}


def csv_rows(path: Path) -> list[list[str]]:
    return [r for r in csv.reader(path.read_text(encoding="utf-8-sig").splitlines()) if r]


def number(text: str) -> int:
    cleaned = text.replace(" ", "").replace(",", "")
    return 0 if cleaned in {"", "-"} else int(float(cleaned))


@pytest.mark.parametrize("path", TONGA, ids=lambda p: p.name)
def test_each_tonga_month_publishes_the_reports_own_total(serving, path):
    from ingestion.parsers.declared_layout import period_in_text

    period = period_in_text(path.stem)
    printed = sum(number(row[2]) for row in csv_rows(path)[1:])
    assert published(serving, "TON", "purpose_code = '_T'")[period] == printed
    by_purpose = sum(number(v) for row in csv_rows(path)[1:] for v in row[4:])
    assert published(serving, "TON", "purpose_code <> '_T'")[period] == by_purpose


def test_every_vanuatu_month_publishes_the_newest_editions_total(serving):
    printed: dict[str, int] = {}
    for path in VANUATU:
        year = None
        for row in csv_rows(path)[1:]:
            year = int(row[1]) if row[1].strip() else year
            if row[2].strip():
                printed[f"{year}-{MONTHS[row[2].strip()[:3].lower()]:02d}"] = int(row[-1])
    assert len(printed) == 17 + 21 - 1  # November 2018 is in both editions
    assert published(serving, "VUT", "true") == printed
