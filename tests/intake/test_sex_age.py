"""Sex and age group: optional breakdowns that every older return (without them) still passes."""

from __future__ import annotations

import copy
import datetime as dt
import zipfile

import duckdb
import pandas as pd
import pytest
import yaml
from python_calamine import CalamineWorkbook

from ingestion.intake import ingest_path
from ingestion.parsers.csv_returns import parse_csv
from ingestion.parsers.sdmx_csv import parse_sdmx_csv
from ingestion.parsers.template_workbook import parse_template
from ingestion.raw_schema import raw_ddl
from ingestion.template import sheet_columns, write_template
from ingestion.validate import validate_submission
from pidc.contract import CONTRACT_FILE, ContractError, load_contract, parse_contract
from pidc.settings import home as make_home

TODAY = dt.date(2026, 11, 20)
CONTRACT = load_contract()
SEX_AGE = ["sex", "age_group"]
FIVE_YEAR = [
    "Y0T4",
    "Y5T9",
    "Y10T14",
    "Y15T19",
    "Y20T24",
    "Y25T29",
    "Y30T34",
    "Y35T39",
    "Y40T44",
    "Y45T49",
    "Y50T54",
    "Y55T59",
    "Y60T64",
    "Y_GE65",
]
MOVEMENTS_OLD = (
    "member,period,direction,traveller_type,country_basis,country,purpose,mode,port,count\n"
)
FACILITATION_OLD = "member,period,case_type,role,nationality,count\n"


def _errors(validated) -> list:
    return [p for p in validated.problems if p.severity == "error"]


# -- the contract -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["movements", "irregular", "facilitation", "removals"])
def test_datasets_members_report_by_sex_and_age_carry_both_as_optional_totals(name):
    dataset = CONTRACT.dataset(name)
    assert dataset.defaults == {"sex": "_T", "age_group": "_T"}
    assert {"sex", "age_group"} <= set(dataset.key)
    assert dataset.column_names[-1] == "count"
    assert dataset.column("sex").code_list == "sex"
    assert dataset.column("age_group").code_list == "age_group"


def test_the_other_datasets_have_no_optional_columns():
    for name in ["permits", "refusals", "document_fraud", "observations"]:
        assert CONTRACT.dataset(name).defaults == {}


def test_sex_and_age_code_lists_admit_totals_and_both_age_bandings():
    assert list(CONTRACT.codes("sex")) == ["M", "F", "X", "_T", "_U"]
    ages = CONTRACT.codes("age_group")
    assert {"Y0T17", "Y18T34", "Y35T54", "Y_GE55", *FIVE_YEAR, "_T", "_U"} == set(ages)
    assert ages["Y0T4"] == "0 to 4" and ages["Y_GE65"] == "65 and over"
    assert "one banding or the other" in CONTRACT.code_lists["age_group"].description


def test_usual_residents_and_destination_are_codes_of_movements():
    assert CONTRACT.codes("traveller_type")["RST"] == "Usual resident (citizens and residents)"
    assert CONTRACT.codes("country_basis")["DST"] == "Country of final destination"
    # A total over traveller types is not needed: every publication says whose movements it counts.
    assert "_T" not in CONTRACT.codes("traveller_type")


@pytest.mark.parametrize(
    ("default", "message"),
    [("_Q", "default '_Q' is not a code"), ("Y0T3", "default 'Y0T3' is not a code")],
)
def test_a_default_must_be_a_code_of_the_columns_list(default, message):
    document = yaml.safe_load(CONTRACT_FILE.read_text(encoding="utf-8"))
    changed = copy.deepcopy(document)
    column = next(c for c in changed["datasets"]["removals"]["columns"] if c["name"] == "age_group")
    column["default"] = default
    with pytest.raises(ContractError, match=message):
        parse_contract(changed)


# -- returns without the columns ------------------------------------------------------------------


def test_an_old_csv_return_without_sex_and_age_still_validates_as_totals(tmp_path):
    path = tmp_path / "FJI_facilitation_2026-10.csv"
    path.write_text(FACILITATION_OLD + "FJI,2026-10,TRAFFICKING,VICTIM,CHN,3\n")
    parsed = parse_csv(path, "FJI")
    assert not parsed.problems
    validated = validate_submission(parsed, "FJI", today=TODAY)
    assert not _errors(validated)
    [returned] = validated.returns
    assert list(returned.rows[SEX_AGE].itertuples(index=False, name=None)) == [("_T", "_T")]


def test_an_old_movements_csv_loads_with_totals_into_raw(tmp_path):
    home = make_home(tmp_path / "home").ensure()
    folder = home.landing / "FJI"
    folder.mkdir(parents=True)
    path = folder / "FJI_movements_2026-10.csv"
    path.write_text(MOVEMENTS_OLD + "FJI,2026-10,ARR,VIS,RES,AUS,HOL,AIR,FJNAN,120\n")
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        loaded = connection.execute("select sex, age_group, count from raw.movements").fetchall()
    assert loaded == [("_T", "_T", 120)]


def test_a_blank_sex_or_age_cell_means_total(tmp_path):
    path = tmp_path / "FJI_removals_2026-10.csv"
    path.write_text(
        "member,period,removal_type,nationality,destination_country,sex,age_group,count\n"
        "FJI,2026-10,REMOVAL,CHN,CHN,,,2\n"
        "FJI,2026-10,REMOVAL,IND,IND,F, ,1\n"
    )
    validated = validate_submission(parse_csv(path, "FJI"), "FJI", today=TODAY)
    assert not _errors(validated)
    rows = validated.returns[0].rows
    assert list(rows["sex"]) == ["_T", "F"] and list(rows["age_group"]) == ["_T", "_T"]


def test_a_csv_still_refuses_a_missing_column_that_is_not_optional(tmp_path):
    path = tmp_path / "FJI_facilitation_2026-10.csv"
    path.write_text("member,period,case_type,nationality,count\nFJI,2026-10,SMUGGLING,CHN,1\n")
    messages = [p.message for p in parse_csv(path, "FJI").problems]
    assert messages == ["The column 'role' is missing."]


def test_sdmx_csv_without_sex_and_age_is_a_total_and_reads_the_age_dimension(tmp_path):
    header = "DATAFLOW,FREQ,GEO_PICT,TIME_PERIOD,REMOVAL_TYPE,NATIONALITY,DESTINATION_COUNTRY"
    old = tmp_path / "TON_removals.csv"
    old.write_text(f"{header},OBS_VALUE\nPIDC:DF_REMOVALS(1.0),M,TO,2026-M09,REMOVAL,CN,CN,4\n")
    parsed = parse_sdmx_csv(old, "TON")
    assert not parsed.problems
    assert list(parsed.frames["removals"].loc[0, SEX_AGE]) == ["_T", "_T"]
    new = tmp_path / "TON_removals_by_sex.csv"
    new.write_text(
        f"{header},SEX,AGE,OBS_VALUE\n"
        "PIDC:DF_REMOVALS(1.0),M,TO,2026-M09,REMOVAL,CN,CN,F,Y20T24,3\n"
        "PIDC:DF_REMOVALS(1.0),M,TO,2026-M09,REMOVAL,CN,CN,M,Y25T29,1\n"
    )
    parsed = parse_sdmx_csv(new, "TON")
    assert not parsed.problems
    validated = validate_submission(parsed, "TON", today=TODAY)
    assert not _errors(validated)
    rows = validated.returns[0].rows
    assert list(rows["sex"]) == ["F", "M"] and list(rows["age_group"]) == ["Y20T24", "Y25T29"]


def test_sdmx_csv_missing_a_dimension_is_reported_not_a_crash(tmp_path):
    path = tmp_path / "TON_removals.csv"
    path.write_text(
        "DATAFLOW,FREQ,GEO_PICT,TIME_PERIOD,REMOVAL_TYPE,NATIONALITY,OBS_VALUE\n"
        "PIDC:DF_REMOVALS(1.0),M,TO,2026-M09,REMOVAL,CN,4\n"
    )
    messages = [p.message for p in parse_sdmx_csv(path, "TON").problems]
    assert messages == ["The SDMX column for 'destination_country' is missing."]


# -- returns with the columns ---------------------------------------------------------------------


def _movements_by_sex_and_age(path, ages: list[str]):
    lines = [
        f"FJI,2026-10,ARR,VIS,RES,AUS,HOL,AIR,FJNAN,{sex},{age},{number + 1}"
        for number, (sex, age) in enumerate((s, a) for a in ages for s in ("F", "M"))
    ]
    header = MOVEMENTS_OLD.replace(",count\n", ",sex,age_group,count\n")
    path.write_text(header + "\n".join(lines) + "\n")
    return parse_csv(path, "FJI")


def test_movements_by_sex_and_five_year_age_band_validate(tmp_path):
    parsed = _movements_by_sex_and_age(tmp_path / "FJI_movements_2026-10.csv", FIVE_YEAR)
    validated = validate_submission(parsed, "FJI", today=TODAY)
    assert not _errors(validated)
    rows = validated.returns[0].rows
    assert len(rows) == 2 * len(FIVE_YEAR)
    assert set(rows["sex"]) == {"F", "M"} and set(rows["age_group"]) == set(FIVE_YEAR)


def test_age_bands_written_as_publications_write_them_resolve(tmp_path):
    path = tmp_path / "FJI_movements_2026-10.csv"
    parsed = _movements_by_sex_and_age(path, ["0-4", "20 to 24 years", "65+"])
    parsed.frames["movements"]["sex"] = ["Female", "Male"] * 3
    validated = validate_submission(parsed, "FJI", today=TODAY)
    assert not _errors(validated)
    # Raw keeps the member's own labels; dbt maps them to Y0T4, Y20T24 and Y_GE65.
    labels = validated.returns[0].rows["age_group"]
    assert list(labels) == ["0-4", "0-4", "20 to 24 years", "20 to 24 years", "65+", "65+"]


def test_an_unknown_age_band_is_refused_with_the_bands_to_use(tmp_path):
    parsed = _movements_by_sex_and_age(tmp_path / "FJI_movements_2026-10.csv", ["Y70T74"])
    validated = validate_submission(parsed, "FJI", today=TODAY)
    problems = _errors(validated)
    assert {p.row for p in problems} == {2, 3}
    problem = problems[0]
    assert problem.column == "age_group" and problem.value == "Y70T74"
    assert problem.message == "'Y70T74' is not a code of the age_group list; it was not guessed."
    assert "Use one of: Y0T17" in problem.fix and "Y0T4" in problem.fix and "Y_GE65" in problem.fix
    assert not validated.returns


def test_broad_and_five_year_age_groups_in_one_return_are_refused(tmp_path):
    parsed = _movements_by_sex_and_age(tmp_path / "FJI_movements_2026-10.csv", ["Y0T17", "Y15T19"])
    validated = validate_submission(parsed, "FJI", today=TODAY)
    [problem] = _errors(validated)
    assert problem.rule == "age_banding" and problem.column == "age_group"
    assert problem.message.startswith("The age groups Y0T17 and Y15T19 overlap")
    assert problem.row == 4 and problem.value == "Y15T19"
    assert "one banding" in problem.fix


def test_totals_and_unknowns_go_with_either_banding(tmp_path):
    path = tmp_path / "FJI_movements_2026-10.csv"
    parsed = _movements_by_sex_and_age(path, ["Y_GE55", "_U", "_T"])
    assert not _errors(validate_submission(parsed, "FJI", today=TODAY))


# -- the template ---------------------------------------------------------------------------------


def test_template_offers_sex_and_age_as_optional_columns(tmp_path):
    path = write_template(tmp_path / "blank.xlsx", "FJI", "2026-10")
    workbook = CalamineWorkbook.from_path(str(path))
    for name in ["movements", "irregular", "facilitation", "removals"]:
        header = workbook.get_sheet_by_name(name).to_python()[0]
        assert header == [c.name for c in sheet_columns(CONTRACT.dataset(name))]
        assert set(SEX_AGE) <= set(header)
    lists = workbook.get_sheet_by_name("Lists").to_python()
    age_column = lists[0].index("age_group")
    assert {row[age_column] for row in lists[1:]} >= {*FIVE_YEAR, "_T"}
    with zipfile.ZipFile(path) as archive:
        comments = " ".join(archive.read(n).decode() for n in archive.namelist() if "comments" in n)
    assert "Optional: leave it blank (or write _T)" in comments


def test_template_round_trips_sex_and_age(tmp_path):
    victims = pd.DataFrame(
        {
            "case_type": ["TRAFFICKING"] * 3,
            "role": ["VICTIM"] * 3,
            "nationality": ["CHN", "CHN", "PHL"],
            "sex": ["F", "F", "M"],
            "age_group": ["Y15T19", "Y20T24", "Y20T24"],
            "count": [2, 3, 1],
        }
    )
    removals = pd.DataFrame(  # no sex or age: written as totals
        {
            "removal_type": ["REMOVAL"],
            "nationality": ["CHN"],
            "destination_country": ["CHN"],
            "count": [5],
        }
    )
    path = write_template(
        tmp_path / "return.xlsx",
        "FJI",
        "2026-10",
        returns={"facilitation": victims, "removals": removals},
    )
    parsed = parse_template(path, "FJI")
    assert not parsed.problems
    validated = validate_submission(parsed, "FJI", today=TODAY)
    assert not _errors(validated)
    by_dataset = {r.dataset: r.rows for r in validated.returns}
    written = by_dataset["facilitation"][[*SEX_AGE, "count"]]
    assert written.to_dict("list") == {
        "sex": ["F", "F", "M"],
        "age_group": ["Y15T19", "Y20T24", "Y20T24"],
        "count": [2, 3, 1],
    }
    assert list(by_dataset["removals"].loc[0, SEX_AGE]) == ["_T", "_T"]


def test_an_older_template_without_sex_and_age_columns_still_reads(tmp_path):
    import openpyxl

    victims = pd.DataFrame(
        {"case_type": ["SMUGGLING"], "role": ["SMUGGLED_PERSON"], "nationality": ["LKA"],
         "count": [7]}
    )  # fmt: skip
    path = write_template(
        tmp_path / "new.xlsx", "FJI", "2026-10", returns={"facilitation": victims}
    )
    workbook = openpyxl.load_workbook(path)
    for name in ["movements", "irregular", "facilitation", "removals"]:
        sheet = workbook[name]
        header = [cell.value for cell in sheet[1]]
        for column in reversed(SEX_AGE):
            sheet.delete_cols(header.index(column) + 1)
    older = tmp_path / "older.xlsx"
    workbook.save(older)
    assert CalamineWorkbook.from_path(str(older)).get_sheet_by_name("facilitation").to_python()[
        0
    ] == [c.name for c in sheet_columns(CONTRACT.dataset("facilitation")) if c.name not in SEX_AGE]
    parsed = parse_template(older, "FJI")
    assert not parsed.problems
    validated = validate_submission(parsed, "FJI", today=TODAY)
    assert not _errors(validated)
    [returned] = validated.returns
    assert list(returned.rows.loc[0, [*SEX_AGE, "count"]]) == ["_T", "_T", 7]


def test_a_template_header_with_other_columns_missing_is_still_refused(tmp_path):
    import openpyxl

    path = write_template(tmp_path / "new.xlsx", "FJI", "2026-10")
    workbook = openpyxl.load_workbook(path)
    workbook["facilitation"].delete_cols(2)  # role
    workbook.save(path)
    messages = [p.message for p in parse_template(path, "FJI").problems]
    assert any("The header row of sheet 'facilitation'" in m for m in messages)


# -- the raw layer --------------------------------------------------------------------------------


def test_an_older_raw_table_gains_sex_and_age_as_totals_for_its_rows():
    connection = duckdb.connect()
    dataset = CONTRACT.dataset("removals")
    columns = ", ".join(f"{c.name} {c.sql_type}" for c in dataset.columns if c.name not in SEX_AGE)
    connection.execute("create schema raw")
    connection.execute(
        f"create table raw.removals ({columns}, submission_id varchar not null,"
        " source_sheet varchar, source_row integer not null)"
    )
    connection.execute(
        "insert into raw.removals (member, period, removal_type, count, submission_id,"
        " source_row) values ('TON', '2026-01', 'REMOVAL', 4, 'S1', 2)"
    )
    for _ in range(2):  # every connection runs them: a second time changes nothing
        for statement in raw_ddl():
            connection.execute(statement)
    assert connection.execute("select sex, age_group, count from raw.removals").fetchall() == [
        ("_T", "_T", 4)
    ]


def test_a_new_raw_row_written_without_sex_and_age_is_a_total():
    connection = duckdb.connect()
    for statement in raw_ddl():
        connection.execute(statement)
    connection.execute(
        "insert into raw.facilitation (member, period, case_type, count, submission_id,"
        " source_row) values ('TON', '2026-01', 'SMUGGLING', 2, 'S1', 2)"
    )
    assert connection.execute("select sex, age_group from raw.facilitation").fetchall() == [
        ("_T", "_T")
    ]
