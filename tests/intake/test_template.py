"""The regional template workbook (layout E): built from the contract, readable back."""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from ingestion.intake import ingest_path, validate_file
from ingestion.parsers.common import parse_count
from ingestion.parsers.template_workbook import parse_template
from ingestion.template import (
    LISTS_SHEET,
    RETURN_SHEET,
    TemplateError,
    _member_ports,
    sheet_columns,
    template_file_name,
    template_for_download,
    template_sheets,
    write_template,
)
from pidc.contract import load_contract
from pidc.settings import home as make_home

CONTRACT = load_contract()


def _sheet_xml(path: Path) -> dict[str, str]:
    """Sheet name -> its worksheet XML, following the workbook's relationships."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*?Target="([^"]+)"', rels))
        targets |= {k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*?Id="(rId\d+)"', rels)}
        sheets = re.findall(
            r'<sheet name="([^"]+)" sheetId="\d+"(?: state="\w+")? r:id="(rId\d+)"', workbook
        )
        return {name: archive.read("xl/" + targets[rid]).decode() for name, rid in sheets}


def _workbook_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/workbook.xml").decode()


@pytest.fixture(scope="module")
def empty_template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "FJI.xlsx", "FJI", "2026-10")


def test_sheets_are_instructions_return_each_dataset_observations_and_lists(empty_template):
    names = CalamineWorkbook.from_path(str(empty_template)).sheet_names
    assert names == [
        "Instructions",
        RETURN_SHEET,
        *CONTRACT.dataset_names,
        "observations",
        LISTS_SHEET,
    ]
    assert template_sheets() == [*CONTRACT.dataset_names, "observations"]


def test_each_dataset_sheet_has_the_contract_columns_without_member_and_period(empty_template):
    workbook = CalamineWorkbook.from_path(str(empty_template))
    for name in template_sheets():
        header = workbook.get_sheet_by_name(name).to_python()[0]
        expected = [c for c in CONTRACT.dataset(name).column_names if c not in ("member", "period")]
        assert header == expected, name
    observations = workbook.get_sheet_by_name("observations").to_python()[0]
    assert observations == ["dataset", "topic", "note", "shareable"]


def test_return_sheet_follows_layout_e(empty_template):
    rows = (
        CalamineWorkbook.from_path(str(empty_template)).get_sheet_by_name(RETURN_SHEET).to_python()
    )
    assert rows[0] == ["field", "value"]
    fields = {row[0]: row[1] for row in rows[1:6]}
    assert list(fields) == ["member", "period", "version", "contact_name", "contact_email"]
    assert fields["member"] == "FJI" and fields["period"] == "2026-10" and fields["version"] == 1
    assert rows[6] == ["", ""]
    assert rows[7] == ["dataset", "nil_return"]
    assert [row[0] for row in rows[8:]] == CONTRACT.dataset_names
    assert all(row[1] == "" for row in rows[8:])


def test_code_columns_get_drop_downs_from_the_hidden_lists_sheet(empty_template):
    sheets = _sheet_xml(empty_template)
    assert re.search(
        rf'<sheet name="{LISTS_SHEET}" sheetId="\d+" state="hidden"', _workbook_xml(empty_template)
    )
    lists = (
        CalamineWorkbook.from_path(str(empty_template)).get_sheet_by_name(LISTS_SHEET).to_python()
    )
    by_header = {
        header: [row[i] for row in lists[1:] if row[i] != ""] for i, header in enumerate(lists[0])
    }
    # Ports come from the ports seed when it exists; the port drop-down lists the member's own.
    fiji_ports = _member_ports("FJI")
    if fiji_ports:
        assert by_header["port"] == [*fiji_ports, "_U"]
    for name in template_sheets():
        xml = sheets[name]
        for column in sheet_columns(CONTRACT.dataset(name)):
            if column.type != "code":
                continue
            assert by_header[column.code_list] == list(CONTRACT.codes(column.code_list))
            assert f"{LISTS_SHEET}!$" in xml, name
        listed = [
            c
            for c in sheet_columns(CONTRACT.dataset(name))
            if c.type == "code" or (c.type == "port" and fiji_ports)
        ]
        assert xml.count(f"<formula1>{LISTS_SHEET}!") == len(listed), name
        # Header row frozen and every header carries a comment.
        assert 'ySplit="1"' in xml
        assert "legacyDrawing" in xml
    # The nil-return tick is a yes/blank drop-down.
    assert '<formula1>"yes"</formula1>' in sheets[RETURN_SHEET]


def test_header_comments_describe_the_columns(empty_template):
    with zipfile.ZipFile(empty_template) as archive:
        comments = " ".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/comments")
        )
    for column in sheet_columns(CONTRACT.dataset("refusals")):
        assert column.description.split(" (")[0] in comments


def test_filled_template_reads_back_with_nil_ticks_and_observations(tmp_path):
    refusals = pd.DataFrame(
        {"port": ["FJNAN", "FJNAN"], "nationality": ["CHN", "Indian"], "reason": ["E", "C"],
         "count": [3, 0]}
    )  # fmt: skip
    notes = pd.DataFrame(
        {
            "dataset": ["refusals"],
            "topic": ["TREND"],
            "note": ["More refusals"],
            "shareable": [True],
        }
    )
    path = write_template(
        tmp_path / "return.xlsx",
        "FJI",
        "2026-09",
        version=2,
        returns={"refusals": refusals},
        nil_datasets={"facilitation", "removals"},
        observations=notes,
        contact_name="Officer",
        contact_email="officer@example.org",
    )
    workbook = CalamineWorkbook.from_path(str(path))
    rows = workbook.get_sheet_by_name("refusals").to_python()
    assert rows[1:] == [["FJNAN", "CHN", "E", 3.0], ["FJNAN", "Indian", "C", 0.0]]
    meta = workbook.get_sheet_by_name(RETURN_SHEET).to_python()
    assert {row[0]: row[1] for row in meta[1:6]}["version"] == 2
    ticks = {row[0]: row[1] for row in meta[8:]}
    assert {name for name, tick in ticks.items() if tick == "yes"} == {"facilitation", "removals"}
    assert workbook.get_sheet_by_name("observations").to_python()[1] == [
        "refusals", "TREND", "More refusals", "yes"
    ]  # fmt: skip
    assert workbook.get_sheet_by_name("movements").to_python() == [
        [c.name for c in sheet_columns(CONTRACT.dataset("movements"))]
    ]


@pytest.mark.parametrize(
    "counts",
    [
        pd.Series([3, 0], dtype="int64"),
        pd.Series([3, 0], dtype="Int64"),
        pd.Series([3.0, 0.0], dtype="float64"),
        pd.Series([np.int64(3), np.int64(0)], dtype=object),  # numpy scalars in an object column
    ],
    ids=["int64", "nullable Int64", "float64", "numpy scalars in object"],
)
def test_counts_are_written_as_numbers_whatever_the_frame_s_column_type(tmp_path, counts):
    refusals = pd.DataFrame(
        {"port": ["FJNAN", "FJNAN"], "nationality": ["CHN", "IND"], "reason": ["E", "C"],
         "count": counts}
    )  # fmt: skip
    path = write_template(tmp_path / "r.xlsx", "FJI", "2026-09", returns={"refusals": refusals})
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("refusals").to_python()
    assert rows[1:] == [["FJNAN", "CHN", "E", 3.0], ["FJNAN", "IND", "C", 0.0]]
    assert all(isinstance(row[3], float) for row in rows[1:])  # numbers, not text


def test_same_arguments_give_identical_bytes(tmp_path):
    frame = pd.DataFrame({"permit_type": ["WORK"], "nationality": ["WSM"], "count": [4]})
    first = write_template(tmp_path / "a.xlsx", "NZL", "2026-01", returns={"permits": frame})
    second = write_template(tmp_path / "b.xlsx", "NZL", "2026-01", returns={"permits": frame})
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"member": "fiji"}, "alpha-3"),
        ({"period": "Oct-2026"}, "YYYY-MM"),
        ({"version": 0}, "version"),
        ({"nil_datasets": {"arrivals"}}, "not in the contract"),
        ({"returns": {"permits": pd.DataFrame({"permit_type": ["WORK"], "count": [1]})}}, "missing"),
        (
            {
                "returns": {"removals": pd.DataFrame(
                    {"removal_type": ["REMOVAL"], "nationality": ["CHN"],
                     "destination_country": ["CHN"], "count": [1]}
                )},
                "nil_datasets": {"removals"},
            },
            "nil",
        ),
    ],
)  # fmt: skip
def test_bad_requests_raise_template_error_saying_what_to_fix(tmp_path, kwargs, message):
    arguments = {"member": "FJI", "period": "2026-10", **kwargs}
    with pytest.raises(TemplateError, match=message):
        write_template(tmp_path / "x.xlsx", **arguments)
    assert not (tmp_path / "x.xlsx").exists()


# --- the French edition (issue 16) ------------------------------------------------------------

TODAY = dt.date(2026, 11, 20)
# The figures one officer reports, as codes; the English edition is written with them, the
# French one is filled in from its drop-downs like an officer in Nouméa would.
MOVEMENTS = pd.DataFrame(
    {"direction": ["ARR", "DEP"], "traveller_type": ["VIS", "CIT"],
     "country_basis": ["RES", "NAT"], "country": ["AUS", "NCL"], "purpose": ["HOL", "_Z"],
     "mode": ["AIR", "AIR"], "port": ["NCNOU", "NCNOU"], "sex": ["F", "_T"],
     "age_group": ["Y35T54", "_T"], "count": [120, 0]}
)  # fmt: skip
REFUSALS = pd.DataFrame(
    {"port": ["NCNOU", "NCNOU"], "nationality": ["CHN", "VUT"], "reason": ["E", "C"],
     "count": [3, 1]}
)  # fmt: skip
NOTES = pd.DataFrame(
    {"dataset": ["refusals"], "topic": ["MODUS_OPERANDI"], "note": ["Faux billets retour"],
     "shareable": [True]}
)  # fmt: skip
NIL = {"facilitation", "removals"}


def _fill_like_a_french_officer(path: Path) -> None:
    """Fill a blank French template with openpyxl as an officer does in Excel: each coded cell
    is a label picked from its drop-down (read from the workbook's own Lists sheet), yes/no
    are oui/non, the month is typed in French."""
    workbook = openpyxl.load_workbook(path)
    lists = workbook[LISTS_SHEET]
    choices = {
        column[0].value: [cell.value for cell in column[1:] if cell.value is not None]
        for column in lists.iter_cols()
    }

    def picked(column, code):
        label = CONTRACT.labels(column.code_list, "fr")[code]
        assert label in choices[column.code_list], (column.name, label)
        return label

    for name, frame in (("movements", MOVEMENTS), ("refusals", REFUSALS), ("observations", NOTES)):
        sheet = workbook[name]
        columns = sheet_columns(CONTRACT.dataset(name))
        assert [cell.value for cell in sheet[1]] == [c.name for c in columns]
        for row, record in enumerate(frame[[c.name for c in columns]].itertuples(index=False), 2):
            for index, (column, value) in enumerate(zip(columns, record, strict=True), start=1):
                if column.type == "code":
                    value = picked(column, value)
                elif column.type == "boolean":
                    value = "oui" if value else "non"
                elif column.type == "count":
                    value = int(value)
                sheet.cell(row=row, column=index, value=value)
    ret = workbook[RETURN_SHEET]
    for row in ret.iter_rows(min_row=2):
        if row[0].value == "period":
            row[1].value = "octobre 2026"
        if row[0].value in NIL:
            row[1].value = "oui"
    workbook.save(path)


def _loaded(home) -> dict[str, list[tuple]]:
    """What intake loaded: the ledger's returns and the raw rows of the datasets filled in."""
    queries = {
        "returns": "select dataset, period, is_nil, row_count from raw.returns order by all",
        "movements": "select * exclude (submission_id) from raw.movements order by source_row",
        "refusals": "select * exclude (submission_id) from raw.refusals order by source_row",
        "observations": "select * exclude (submission_id) from raw.observations",
    }
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return {name: connection.execute(sql).fetchall() for name, sql in queries.items()}


def test_a_french_template_filled_by_a_french_officer_loads_exactly_like_the_english_one(
    tmp_path,
):
    english_home = make_home(tmp_path / "en").ensure()
    french_home = make_home(tmp_path / "fr").ensure()
    english = english_home.landing / "NCL" / "NCL_2026-10.xlsx"
    french = french_home.landing / "NCL" / "NCL_2026-10.xlsx"
    english.parent.mkdir(parents=True)
    french.parent.mkdir(parents=True)
    write_template(
        english, "NCL", "2026-10", returns={"movements": MOVEMENTS, "refusals": REFUSALS},
        nil_datasets=NIL, observations=NOTES,
    )  # fmt: skip
    write_template(french, "NCL", "2026-10", language="fr")
    _fill_like_a_french_officer(french)

    english_report = validate_file(english, "NCL", today=TODAY)
    french_report = validate_file(french, "NCL", today=TODAY)
    assert english_report.accepted, [p.message for p in english_report.errors]
    assert (french_report.accepted, len(french_report.errors), len(french_report.warnings)) == (
        english_report.accepted, len(english_report.errors), len(english_report.warnings)
    )  # fmt: skip
    [english_outcome] = ingest_path(english, english_home, today=TODAY)
    [french_outcome] = ingest_path(french, french_home, today=TODAY)
    assert english_outcome.status == french_outcome.status == "accepted"
    english_rows, french_rows = _loaded(english_home), _loaded(french_home)
    assert english_rows["refusals"] and english_rows["movements"]
    assert french_rows == english_rows
    # Codes were loaded, not the French labels the officer picked.
    assert ("E" in french_rows["refusals"][0], "C" in french_rows["refusals"][1]) == (True, True)
    loaded_text = {value for rows in french_rows.values() for row in rows for value in row}
    assert not loaded_text & {"Arrivée", "Vacances", "Aérien", "Femme", "oui", "Mode opératoire"}


def test_a_french_label_the_officer_types_without_accents_reads_as_its_code(tmp_path):
    path = write_template(tmp_path / "fr.xlsx", "NCL", "2026-10", language="fr")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["refusals"]
    for index, value in enumerate(
        ["NCNOU", "CHN", "absence de visa ou de titre de sejour valable", 2], 1
    ):
        sheet.cell(row=2, column=index, value=value)
    workbook.save(path)
    sheet.cell(row=2, column=4, value="2,0")  # pasted as text, with a French decimal comma
    workbook.save(path)
    parsed = parse_template(path, "NCL")
    assert parsed.frames["refusals"]["reason"].tolist() == ["C"]
    assert parse_count(parsed.frames["refusals"]["count"].iloc[0]) == 2


def test_each_cell_is_read_as_typed_though_a_sheet_is_read_column_by_column(tmp_path):
    # The parser converts each distinct value of a column once: values that are equal in
    # Python but not as cells (True, 1 and 1.0; "1" typed as text) must each keep their own
    # reading, blank rows between figures are skipped and the rows keep their own numbers.
    path = write_template(tmp_path / "typed.xlsx", "FJI", "2026-09")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["refusals"]
    cells = {
        2: ["FJNAN", "CHN", "E", 1],
        3: ["FJNAN", "IND", "C", 1.0],
        5: ["FJNAN", "Indian", "E", True],
        6: ["FJSUV", "CHN", "moyens de subsistance insuffisants", "1"],
        8: ["FJSUV", "ind", "C", "3,0"],
    }
    for row, values in cells.items():
        for column, value in enumerate(values, 1):
            sheet.cell(row=row, column=column, value=value)
    workbook.save(path)
    frame = parse_template(path, "FJI").frames["refusals"]
    assert frame["source_row"].tolist() == [2, 3, 5, 6, 8]
    assert frame["count"].tolist() == ["1", "1", "True", "1", "3.0"]
    assert frame["nationality"].tolist() == ["CHN", "IND", "Indian", "CHN", "ind"]
    assert frame["port"].tolist() == ["FJNAN", "FJNAN", "FJNAN", "FJSUV", "FJSUV"]
    assert frame["reason"].tolist() == ["E", "C", "E", "G", "C"]  # a French label as its code
    assert set(frame["member"]) == {"FJI"} and set(frame["period"]) == {"2026-09"}


@pytest.fixture(scope="module")
def both_editions(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("editions")
    return (
        write_template(folder / "en.xlsx", "NCL", "2026-10"),
        write_template(folder / "fr.xlsx", "NCL", "2026-10", language="fr"),
    )


def _instruction_lines(path: Path) -> list[str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Instructions").to_python()
    return [str(row[0]).strip() for row in rows if row and str(row[0]).strip()]


def _comments(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        texts = [archive.read(n).decode() for n in sorted(archive.namelist()) if "comments" in n]
    return [html.unescape(t) for text in texts for t in re.findall(r"<t[^>]*>([^<]*)</t>", text)]


def test_the_french_edition_keeps_the_sheet_names_and_translates_every_instruction(both_editions):
    english, french = both_editions
    assert CalamineWorkbook.from_path(str(french)).sheet_names == (
        CalamineWorkbook.from_path(str(english)).sheet_names
    )
    english_lines, french_lines = _instruction_lines(english), _instruction_lines(french)
    assert len(french_lines) >= len(english_lines) - 2
    assert not set(english_lines) & set(french_lines)
    assert "Déclarations néant" in french_lines
    english_words = {"the", "and", "with", "your", "month", "sheet", "when", "row"}
    for line in french_lines:
        assert not english_words & set(re.findall(r"[a-z]+", line.lower())), line
    # Header notes: every column's note is its French description, none is the English one.
    english_notes, french_notes = _comments(english), _comments(french)
    assert len(french_notes) == len(english_notes)
    assert not set(english_notes) & set(french_notes)
    joined = "\n".join(french_notes)
    for column in sheet_columns(CONTRACT.dataset("refusals")):
        assert column.describe("fr") in joined
        assert column.description not in joined


def test_the_french_drop_downs_offer_the_contracts_french_labels(both_editions):
    english, french = both_editions
    lists = CalamineWorkbook.from_path(str(french)).get_sheet_by_name(LISTS_SHEET).to_python()
    offered = {
        name: [row[index] for row in lists[1:] if row[index] != ""]
        for index, name in enumerate(lists[0])
    }
    assert offered["direction"] == ["Arrivée", "Départ"]
    assert offered["refusal_reason"] == list(CONTRACT.labels("refusal_reason", "fr").values())
    # Every drop-down and check of the English edition is there in the French one.
    english_sheets, french_sheets = _sheet_xml(english), _sheet_xml(french)
    for name in template_sheets(CONTRACT):
        assert french_sheets[name].count("<dataValidation ") == (
            english_sheets[name].count("<dataValidation ")
        ), name
    assert '"oui"' in french_sheets[RETURN_SHEET]
    assert '"oui,non"' in french_sheets["observations"]


def test_the_english_edition_is_unchanged_by_the_language_argument(tmp_path):
    default = write_template(tmp_path / "a.xlsx", "FJI", "2026-10")
    english = write_template(tmp_path / "b.xlsx", "FJI", "2026-10", language="en")
    assert default.read_bytes() == english.read_bytes()
    french = write_template(tmp_path / "c.xlsx", "FJI", "2026-10", language="fr")
    assert french.read_bytes() != english.read_bytes()
    assert write_template(tmp_path / "d.xlsx", "FJI", "2026-10", language="fr").read_bytes() == (
        french.read_bytes()
    )


def test_the_download_helper_gives_the_edition_asked_for():
    data = template_for_download("VUT", "2026-10", language="fr")
    assert data[:2] == b"PK"
    assert template_file_name("VUT", "2026-10", "fr") == "PIDC_return_VUT_2026-10_fr.xlsx"
    assert template_file_name("VUT", "2026-10") == "PIDC_return_VUT_2026-10.xlsx"


def test_pidc_template_lang_fr_writes_the_french_edition(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    target = tmp_path / "NCL.xlsx"
    arguments = ["template", "--member", "ncl", "--period", "2026-10", "--lang", "fr"]
    result = CliRunner().invoke(app, [*arguments, "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert (
        _instruction_lines(target)[0] == "Déclaration mensuelle du PIDC - membre NCL, mois 2026-10"
    )


def test_french_country_names_are_accepted_in_a_french_template(tmp_path):
    path = write_template(tmp_path / "fr.xlsx", "NCL", "2026-10", language="fr")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["refusals"]
    reason = CONTRACT.labels("refusal_reason", "fr")["E"]
    for row, nationality in enumerate(["Chine", "Îles Wallis-et-Futuna", "Apatride"], start=2):
        for column, value in enumerate(["NCNOU", nationality, reason, 1], start=1):
            sheet.cell(row=row, column=column, value=value)
    for row in workbook[RETURN_SHEET].iter_rows(min_row=2):
        if row[0].value in CONTRACT.dataset_names and row[0].value != "refusals":
            row[1].value = "oui"
    workbook.save(path)
    report = validate_file(path, "NCL", today=TODAY)
    assert report.accepted, [problem.message for problem in report.errors]
    assert not [w for w in report.warnings if w.column == "nationality"]


def test_cells_equal_as_numbers_keep_their_own_text():
    """1, 1.0 and True are equal dictionary keys, but read "1", "1" and "True"."""
    from ingestion.parsers.template_workbook import _texts

    assert _texts((1, 1.0, True, None, " x ", 2.5, False, 0), {}) == [
        "1", "1", "True", "", "x", "2.5", "False", "0"
    ]  # fmt: skip
    assert _texts((1, 1.0, None, " x ", 2.5, 0.0), {}) == ["1", "1", "", "x", "2.5", "0"]
