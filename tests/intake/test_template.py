"""The regional template workbook (layout E): built from the contract, readable back."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from ingestion.template import (
    LISTS_SHEET,
    RETURN_SHEET,
    TemplateError,
    _member_ports,
    sheet_columns,
    template_sheets,
    write_template,
)
from pidc.contract import load_contract

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
