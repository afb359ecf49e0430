"""The acceptance test of issue 13: a corpus of hostile files, generated here, run through
``pidc ingest`` (the whole folder, one batch), ``pidc validate`` (each file) and the dashboard's
Submit page. No crash, the batch completes, and every file ends loaded or quarantined with a
report (or, for links, pipes, hidden and lock files, is listed as refused or skipped), each with
its expected verdict and the words its message must contain.

Every file is written by this module with the project's own libraries (xlsxwriter through the
template writer, openpyxl, zipfile, hand-written XML); nothing is downloaded or committed. The
sheet-size limit is lowered (``PIDC_MAX_SHEET_ROWS``) so a real-extent bomb stays small.
"""

from __future__ import annotations

import html
import io
import json
import os
import random
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support.workbooks import far_cell_workbook, hand_written_workbook
from typer.testing import CliRunner

from ingestion import intake
from ingestion.report import ValidationReport
from ingestion.template import write_template
from pidc.contract import load_contract
from pidc.escaping import WORD_JOINER, visible_controls
from pidc.settings import home as make_home

# The sheet-size limit while this module runs: the real-extent bomb has a few more rows.
MAX_SHEET_ROWS = 1000
# However many problems a file has, its three reports stay around this size (the 20,000-row
# file lists PIDC_MAX_PROBLEMS = 1,000 problems and counts the rest).
MAX_REPORT_BYTES = 2_000_000
REFUSALS = "member,period,port,nationality,reason,count\n"
PERMITS = "member,period,permit_type,nationality,count\n"
EVIL_LINK = "[Fix](https://evil.example)"
EVIL_IMAGE = "![x](https://e/x.png)"
EVIL_SCRIPT = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("https://evil.example","x")'
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- builders: each writes one file at ``path`` -----------------------------------------------


def _text(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text.encode(encoding))


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _refusals_csv(member: str, period: str, nationality: str = "CHN", rows: int = 1) -> str:
    value = nationality
    if any(ch in value for ch in ',"\n'):
        value = '"' + value.replace('"', '""') + '"'
    port = "FJNAN" if member == "FJI" else "_U"
    return REFUSALS + f"{member},{period},{port},{value},C,3\n" * rows


def _template(
    member: str = "FJI",
    period: str = "2026-09",
    *,
    nil: set[str] | None = None,
    notes: pd.DataFrame | None = None,
    contact: str = "",
    cells: dict[tuple[str, str], object] | None = None,
    rows: bool = True,
) -> Callable[[Path], None]:
    """The regional template (refusals filled in unless ``rows`` is false), then ``cells``
    written into it with openpyxl."""

    def build(path: Path) -> None:
        refusals = pd.DataFrame(
            {"port": ["FJNAN" if member == "FJI" else "_U"], "nationality": ["CHN"],
             "reason": ["E"], "count": [4]}
        )  # fmt: skip
        write_template(
            path, member, period, returns={"refusals": refusals} if rows else None,
            nil_datasets=nil or set(), observations=notes, contact_name=contact,
        )  # fmt: skip
        if cells:
            import openpyxl

            workbook = openpyxl.load_workbook(path)
            for (sheet, reference), value in cells.items():
                cell = workbook[sheet][reference]
                cell.value = value
                cell.data_type = "s"  # text as typed, even "=...": a value, not a formula
            workbook.save(path)

    return build


def _template_bytes(**options) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder) / "template.xlsx"
        _template(**options)(scratch)
        return scratch.read_bytes()


def _with_parts(data: bytes, parts: dict[str, bytes], replace: dict[str, bytes] | None = None):
    """The workbook ``data`` with ``parts`` added (or replaced by ``replace``), zipped again."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    replace = replace or {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, replace.get(name, source.read(name)))
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _macro_workbook(tag: str) -> Callable[[Path], None]:
    """A real template with a VBA project inside and a macro-enabled content type, as Excel
    writes an .xlsm; ``tag`` makes each copy's bytes different."""

    def build(path: Path) -> None:
        data = _template_bytes()
        types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
        types = types.replace(
            b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
        )
        vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = " + tag.encode()
        path.write_bytes(
            _with_parts(data, {"xl/vbaProject.bin": vba}, {"[Content_Types].xml": types})
        )

    return build


def _macro_by_content_type_only(path: Path) -> None:
    """No vbaProject.bin, but the workbook declares itself macro-enabled."""
    data = _template_bytes(period="2026-08")
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    types = types.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    path.write_bytes(_with_parts(data, {}, {"[Content_Types].xml": types}))


# An OLE2 compound file header, as a password-protected (encrypted) .xlsx or an .xls begins.
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"


def _encrypted_looking(path: Path) -> None:
    streams = "EncryptionInfo EncryptedPackage".encode("utf-16-le")
    path.write_bytes(OLE_HEADER + bytes(488) + streams + random.Random(1).randbytes(4000))


def _far_cell(path: Path) -> None:
    far_cell_workbook(path)


def _real_extent_bomb(path: Path) -> None:
    """Every row really there (no far cell), half again past the limit; <dimension> says A1:C1."""
    cells = '<c r="A{0}" t="inlineStr"><is><t>x</t></is></c><c r="B{0}"><v>{0}</v></c>'
    rows = "".join(
        f'<row r="{n}">{cells.format(n)}</row>' for n in range(1, MAX_SHEET_ROWS * 3 // 2 + 1)
    )
    hand_written_workbook(path, rows)


def _zip_bomb(path: Path) -> None:
    """A sheet of 60 MB that packs into about 60 kB (ratio about 1,000)."""
    hand_written_workbook(path, '<row r="1"><c r="A1"><v>1</v></c></row>' + " " * 60_000_000)


def _billion_laughs(path: Path) -> None:
    """A sheet whose cell is an entity that would expand to a billion 'lol's."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    hand_written_workbook(
        path, '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    )
    source = zipfile.ZipFile(path)
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    parts = {name: source.read(name) for name in source.namelist()}
    source.close()
    sheet = sheet.replace("<worksheet", f"<!DOCTYPE lolz [{entities}]><worksheet", 1)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


def _nil_everything(path: Path) -> None:
    _template(period="2030-06", nil=set(load_contract().dataset_names), rows=False)(path)


def _symlink_outside(path: Path) -> None:
    """A link in FJI's folder to TON's template kept outside landing (the issue's attack)."""
    outside = path.parents[2] / "outside"
    outside.mkdir(exist_ok=True)
    target = outside / "TON_2026-10_v2.xlsx"
    _template("TON", "2026-10")(target)
    path.symlink_to(target)


def _symlink_to_member(member: str, name: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.symlink_to(path.parents[1] / member / name)

    return build


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # reading it would wait for a writer forever


NOTES = pd.DataFrame(
    {
        "dataset": ["refusals", "refusals", "refusals"],
        "topic": ["TREND", "ROUTE", "OTHER"],
        "note": [HYPERLINK + " " + EVIL_LINK, EVIL_IMAGE + " " + EVIL_SCRIPT, " =1+1 @SUM(1)"],
        "shareable": [True, True, False],
    }
)


@dataclass(frozen=True)
class Case:
    """One hostile (or, to prove the batch goes on, valid) file of the corpus."""

    key: str  # the test id
    name: str  # the file name
    folder: str | None  # its member folder under landing/, or None for the landing root
    build: Callable[[Path], None]
    # accepted | rejected (in the ledger, loaded or quarantined with a report), or, never read:
    # refused (links, pipes) | skipped (hidden and Excel lock files)
    verdict: str
    words: tuple[str, ...]  # the message or report must contain each of these
    # Values from the file that its reports must show as text, never as markup.
    payloads: tuple[str, ...] = ()

    @property
    def relative(self) -> str:
        return f"{self.folder}/{self.name}" if self.folder else self.name


TOO_BIG = f"more than the limit of {MAX_SHEET_ROWS:,}"
NOT_A_COUNTRY = "is not a country, nationality or country group"

CASES = [
    # Valid files: accepted, so the batch is seen to go on around the hostile ones.
    Case("valid_csv", "FJI_refusals_2026-09.csv", "FJI", _text(_refusals_csv("FJI", "2026-09")),
         "accepted", ("accepted", "1 row read")),
    Case("valid_template", "FJI_2026-07.xlsx", "FJI", _template(period="2026-07"),
         "accepted", ("accepted",)),
    Case("utf16_csv", "FJI_refusals_2026-08.csv", "FJI",
         _text(_refusals_csv("FJI", "2026-08"), "utf-16"), "accepted", ("accepted",)),
    Case("ton_own_file", "TON_refusals_2026-09.csv", "TON", _text(_refusals_csv("TON", "2026-09")),
         "accepted", ("accepted",)),
    # Payloads in free text: accepted (neutralised at publish), shown inert in every report.
    Case("payload_notes", "FJI_2026-06.xlsx", "FJI",
         _template(period="2026-06", notes=NOTES, contact=HYPERLINK), "accepted", ("accepted",),
         (HYPERLINK, EVIL_LINK, EVIL_IMAGE, EVIL_SCRIPT)),
    # Sheets too large, however they say they are.
    Case("far_cell", "FJI_return_2026-05.xlsx", "FJI", _far_cell, "rejected",
         ("1,048,576 rows x 16,384 columns", "reaches row 1,048,576 and column XFD",
          "Delete the unused rows and columns")),
    Case("real_extent_bomb", "FJI_return_2026-04.xlsx", "FJI", _real_extent_bomb, "rejected",
         (f"{MAX_SHEET_ROWS * 3 // 2:,} rows x 3 columns", TOO_BIG)),
    Case("zip_bomb", "FJI_return_2026-03.xlsx", "FJI", _zip_bomb, "rejected",
         ("expands to 60 MB", "looks like a zip bomb")),
    Case("billion_laughs", "FJI_return_2026-02.xlsx", "FJI", _billion_laughs, "rejected",
         ("could not be read safely", "nothing in it was loaded")),
    # Macros, under every extension.
    Case("macro_xlsx", "FJI_macro_2026-09.xlsx", "FJI", _macro_workbook("xlsx"), "rejected",
         ("contains macros", "without macros")),
    Case("macro_content_type", "FJI_macro_typed_2026-09.xlsx", "FJI",
         _macro_by_content_type_only, "rejected", ("contains macros",)),
    Case("macro_xlsm", "FJI_macro_2026-09.xlsm", "FJI", _macro_workbook("xlsm"), "rejected",
         ("macro-enabled or binary workbook (.xlsm)",)),
    Case("macro_xlsb", "FJI_macro_2026-09.xlsb", "FJI", _macro_workbook("xlsb"), "rejected",
         ("macro-enabled or binary workbook (.xlsb)",)),
    Case("macro_xltm", "FJI_macro_2026-09.xltm", "FJI", _macro_workbook("xltm"), "rejected",
         ("macro-enabled or binary workbook (.xltm)",)),
    Case("macro_xls", "FJI_macro_2026-09.xls", "FJI", _macro_workbook("xls"), "rejected",
         ("old-style Excel 97-2003",)),
    Case("macro_csv", "FJI_refusals_macro_2026-09.csv", "FJI", _macro_workbook("csv"), "rejected",
         ("is named .csv but is not a text file",)),
    # Files that lie about their type.
    Case("csv_named_xlsx", "FJI_refusals_2026-01.xlsx", "FJI",
         _text(_refusals_csv("FJI", "2026-01")), "rejected",
         ("is named .xlsx but is not an Excel workbook",)),
    Case("xlsx_named_csv", "FJI_refusals_xlsx_2026-09.csv", "FJI",
         lambda path: path.write_bytes(_template_bytes(period="2026-01")), "rejected",
         ("is named .csv but is not a text file",)),
    Case("encrypted_xlsx", "FJI_protected_2026-09.xlsx", "FJI", _encrypted_looking, "rejected",
         ("is named .xlsx but is not an Excel workbook",)),
    Case("random_xlsx", "FJI_random_2026-09.xlsx", "FJI",
         _bytes(random.Random(13).randbytes(5000)), "rejected", ("not an Excel workbook",)),
    Case("random_pk_xlsx", "FJI_random_zip_2026-09.xlsx", "FJI",
         _bytes(b"PK\x03\x04" + random.Random(14).randbytes(5000)), "rejected",
         ("not an Excel workbook",)),
    Case("random_csv", "FJI_refusals_random_2026-09.csv", "FJI",
         _bytes(random.Random(15).randbytes(5000)), "rejected", ("not a text file",)),
    Case("empty", "FJI_refusals_empty_2026-09.csv", "FJI", _bytes(b""), "rejected", ("is empty",)),
    Case("nul_byte_csv", "FJI_refusals_nul_2026-09.csv", "FJI",
         _text(_refusals_csv("FJI", "2026-09", "C\x00HN")), "rejected", ("not a text file",)),
    Case("long_line_csv", "FJI_refusals_long_2026-09.csv", "FJI",
         _text("member,period," + "x" * 2_000_000), "rejected", ("is missing",)),
    # Formulas and markup in values of coded columns: rejected, quoted inert in the report.
    *[
        Case(f"payload_{key}", f"FJI_refusals_{key}_2026-09.csv", "FJI",
             _text(_refusals_csv("FJI", "2026-09", value)), "rejected", (NOT_A_COUNTRY,), (value,))
        for key, value in [
            ("hyperlink", HYPERLINK),
            ("space_formula", " =1+1"),
            ("at_sum", "@SUM(1+1)"),
            ("tab_formula", "\t=1+1"),
            ("markdown_link", EVIL_LINK),
            ("markdown_image", EVIL_IMAGE),
            ("script", EVIL_SCRIPT),
        ]
    ],
    Case("stray_cell_payload", "FJI_2026-10.xlsx", "FJI",
         _template(period="2026-10",
                   cells={("refusals", "H2"): EVIL_LINK, ("Return", "C3"): HYPERLINK}),
         "rejected", ("H2", "C3", "outside the template's columns"), (EVIL_LINK, HYPERLINK)),
    # Names that display as another or read as formulas.
    Case("bidi_name", "FJI_refusals_2026-09_\u202egpj.csv", "FJI",
         _text(_refusals_csv("FJI", "2026-09", "IND")), "rejected",
         ("invisible characters", "U+202E")),
    Case("formula_name", "=HYPERLINK(1)_refusals_2026-09.csv", "FJI",
         _text(_refusals_csv("FJI", "2026-09", "USA")), "rejected", ("formula",)),
    # Who sent it: the folder, never the file.
    Case("template_at_root", "TON_2026-10.xlsx", None, _template("TON", "2026-10"), "rejected",
         ("not in a member's folder",)),
    Case("other_member_template", "TON_2026-09.xlsx", "FJI", _template("TON", "2026-09"),
         "rejected", ("says member TON, but the file was submitted by FJI",)),
    Case("link_outside_landing", "TON_2026-10_v2.xlsx", "FJI", _symlink_outside, "refused",
         ("is a link", "links are never followed")),
    Case("link_to_other_member", "TON_refusals_2026-09.csv", "FJI",
         _symlink_to_member("TON", "TON_refusals_2026-09.csv"), "refused",
         ("is a link", "links are never followed")),
    Case("pipe", "FJI_refusals_pipe_2026-09.csv", "FJI", _fifo, "refused",
         ("not a regular file",)),
    # Nil returns out of the reporting window.
    Case("nil_2099", "FJI_permits_2099-12.csv", "FJI", _text(PERMITS), "rejected",
         ("2099-12", "has not ended")),
    Case("nil_template_2030", "FJI_2030-06.xlsx", "FJI", _nil_everything, "rejected",
         ("2030-06", "has not ended")),
    # An oversized problem list: 20,000 duplicate rows, a bounded report.
    Case("duplicates_20000", "FJI_refusals_duplicates_2026-09.csv", "FJI",
         _text(_refusals_csv("FJI", "2026-09", "FJI", rows=20_000)), "rejected",
         ("repeats the breakdowns", "problems not listed")),
    # Not submissions at all.
    Case("hidden", ".FJI_refusals_2026-09.csv", "FJI", _text(_refusals_csv("FJI", "2026-09")),
         "skipped", ("hidden file",)),
    Case("lock_file", "~$FJI_2026-09.xlsx", "FJI", _bytes(b"\x0bofficer  lock"), "skipped",
         ("Excel lock file",)),
]  # fmt: skip
BY_KEY = {case.key: case for case in CASES}


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 30
    assert len(BY_KEY) == len(CASES)
    assert len({case.relative for case in CASES}) == len(CASES)
    assert {case.verdict for case in CASES} == {"accepted", "rejected", "refused", "skipped"}


@pytest.fixture(scope="module")
def environment():
    """The module's settings: a small sheet-size limit; files read in worker processes."""
    patch = pytest.MonkeyPatch()
    patch.setenv("PIDC_MAX_SHEET_ROWS", str(MAX_SHEET_ROWS))
    patch.delenv("PIDC_PARSE_IN_PROCESS", raising=False)
    patch.delenv("PIDC_MAX_PROBLEMS", raising=False)
    yield patch
    patch.undo()


@pytest.fixture(scope="module")
def corpus(environment, tmp_path_factory):
    """A platform home whose landing folder holds the whole corpus; links are made last, once
    the files they point to exist."""
    home = make_home(tmp_path_factory.mktemp("hostile") / "home").ensure()
    for case in sorted(CASES, key=lambda c: c.key.startswith("link_")):
        folder = home.landing / case.folder if case.folder else home.landing
        folder.mkdir(parents=True, exist_ok=True)
        case.build(folder / case.name)
    return home


# --- checks shared by the three ways in -------------------------------------------------------


def _said(document: dict) -> str:
    """Everything a report says in words: file name, summary, problems, counted problems."""
    parts = [document["file_name"], ValidationReport.from_dict(document).summary()]
    for problem in document.get("problems", []):
        parts += [problem["message"], problem["fix"], problem.get("value") or ""]
    for entry in document.get("problems_not_listed", []):
        parts += [entry["example"], entry["fix"]]
    return "\n".join(parts)


def _assert_words(case: Case, text: str) -> None:
    missing = [word for word in case.words if word not in text]
    assert not missing, (case.key, missing, text[:2000])


def _assert_inert_reports(case: Case, folder: Path) -> None:
    """The report files show every value as text: Markdown renders no link, image or HTML;
    the HTML page has no tag but its own and loads nothing; no raw bidi control."""
    from support.escaping import assert_inert

    markdown = (folder / "report.md").read_text(encoding="utf-8")
    page = (folder / "report.html").read_text(encoding="utf-8")
    if len(markdown) > MAX_REPORT_BYTES:
        # Too large to render here in reasonable time (see test_a_huge_value_...): only the
        # lines with something from the file are rendered.
        markdown = "\n".join(line[:10_000] for line in markdown.splitlines())
    shown = assert_inert(markdown)
    assert "\u202e" not in markdown and "\u202e" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    tags = {tag.lower() for tag in re.findall(r"<\s*([a-zA-Z][\w-]*)", page)}
    assert tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "strong",
                    "table", "thead", "tbody", "tr", "th", "td"}, (case.key, tags)  # fmt: skip
    if case.verdict == "rejected":
        # The value is quoted, every character of it, as text.
        for payload in case.payloads:
            assert html.escape(visible_controls(payload)) in page, (case.key, payload)
            text = shown.replace(WORD_JOINER, "")
            assert visible_controls(payload).strip() in text, (case.key, payload)


# --- pidc ingest on the whole folder ----------------------------------------------------------


@pytest.fixture(scope="module")
def ingested(corpus, environment):
    """``pidc ingest landing/`` once, through the command line; the outcomes it listed."""
    from cli.main import app

    listed = []
    real = intake.ingest_path

    def recording(*arguments, **options):
        outcomes = real(*arguments, **options)
        listed.extend(outcomes)
        return outcomes

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(intake, "ingest_path", recording)
        result = CliRunner().invoke(
            app, ["ingest", str(corpus.landing), "--home", str(corpus.root)]
        )
    return result, listed


def _ledger(home) -> dict[tuple[str | None, str], dict]:
    """(member, file name as shown) -> the ledger row."""
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        frame = connection.execute("select * from raw.submissions").fetch_df()
    frame = frame.astype(object).where(frame.notna(), None)
    return {(row["member"], row["file_name"]): row for row in frame.to_dict("records")}


def test_pidc_ingest_completes_the_batch(corpus, ingested):
    result, outcomes = ingested
    assert result.exception is None, result.output[-3000:]
    assert result.exit_code == 0, result.output[-3000:]
    assert "Traceback" not in result.output
    count = {v: sum(c.verdict == v for c in CASES) for v in ("accepted", "rejected", "refused")}
    count["skipped"] = sum(c.verdict == "skipped" for c in CASES)
    summary = (
        f"{count['accepted']} accepted, {count['rejected']} rejected, 0 duplicate, "
        f"{count['refused']} refused, {count['skipped']} skipped"
    )
    assert summary in " ".join(result.output.split())
    # One outcome per landing entry, nothing read twice, nothing missing.
    assert len(outcomes) == len(CASES)
    assert sorted(o.status for o in outcomes) == sorted(c.verdict for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.key)
def test_each_file_ends_loaded_or_quarantined_with_its_report(corpus, ingested, case):
    from ingestion.file_names import shown_file_name

    _, outcomes = ingested
    shown = shown_file_name(case.name)
    mine = [o for o in outcomes if o.file_name == shown and (o.member or None) == case.folder]
    assert len(mine) == 1, (case.key, [(o.file_name, o.member) for o in outcomes])
    [outcome] = mine
    assert outcome.status == case.verdict, (case.key, outcome.message)
    if case.verdict in ("refused", "skipped"):
        _assert_words(case, outcome.message)
        assert outcome.report_path is None and not outcome.submission_id
        # Never opened, never recorded, never copied anywhere.
        assert (case.folder, shown) not in _ledger(corpus)
        assert not [p for p in corpus.quarantine.rglob("*") if p.name == case.name]
        return
    row = _ledger(corpus)[(case.folder, shown)]
    assert row["status"] in ("accepted", "rejected") and row["status"] == case.verdict
    assert row["member"] == case.folder
    folder = Path(row["report_path"]).parent
    assert {"report.json", "report.md", "report.html"} <= {p.name for p in folder.iterdir()}
    document = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert document["verdict"] == case.verdict
    _assert_words(case, _said(document) + "\n" + row["summary"])
    _assert_inert_reports(case, folder)
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size < MAX_REPORT_BYTES, (case.key, size)
    if case.verdict == "rejected":
        quarantined = corpus.quarantine / row["submission_id"]
        names = {p.name for p in quarantined.iterdir()}
        assert {shown, "report.json", "report.md", "report.html"} <= names, names
        assert row["rows_loaded"] == 0
        # The quarantined copy is the file that arrived.
        assert (quarantined / shown).read_bytes() == ((corpus.landing / case.relative).read_bytes())
    else:
        assert row["rows_loaded"] >= 1
        assert (corpus.archive / f"{row['file_sha256']}{Path(case.name).suffix}").exists()
        with duckdb.connect(str(corpus.warehouse), read_only=True) as connection:
            [(loaded,)] = connection.execute(
                "select count(*) from raw.returns where submission_id = ?", [row["submission_id"]]
            ).fetchall()
        assert loaded >= 1


def test_nothing_hostile_reached_the_raw_tables(corpus, ingested):
    accepted = {c.relative for c in CASES if c.verdict == "accepted"}
    with duckdb.connect(str(corpus.warehouse), read_only=True) as connection:
        loaded = connection.execute(
            "select member, file_name from raw.submissions where rows_loaded > 0"
        ).fetchall()
        ton = connection.execute(
            "select r.count from raw.refusals r join raw.submissions s using (submission_id)"
            " where r.member = 'TON'"
        ).fetchall()
    assert {f"{member}/{name}" for member, name in loaded} == accepted
    # TON's figures are TON's own file's, not the linked template's 4 from FJI's folder.
    assert ton == [(3,)]
    # Free text is loaded as sent (payloads included): it is neutralised where it leaves, at
    # publish and in every export (tests/dashboard/test_escaping.py), and shown inert in every report.
    with duckdb.connect(str(corpus.warehouse), read_only=True) as connection:
        notes = connection.execute("select note from raw.observations order by note").fetchall()
    assert [note for (note,) in notes] == sorted(note.strip() for note in NOTES["note"])


def test_the_oversized_problem_list_gives_a_bounded_report(corpus, ingested):
    row = _ledger(corpus)[("FJI", BY_KEY["duplicates_20000"].name)]
    folder = Path(row["report_path"]).parent
    document = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert len(document["problems"]) <= 1000
    assert document["error_count"] >= 19_999
    assert sum(e["count"] for e in document["problems_not_listed"]) >= 18_999
    assert sum(p.stat().st_size for p in folder.iterdir()) < MAX_REPORT_BYTES


def test_a_huge_value_gives_a_bounded_report(corpus, ingested):
    row = _ledger(corpus)[("FJI", BY_KEY["long_line_csv"].name)]
    folder = Path(row["report_path"]).parent
    assert row["status"] == "rejected"
    assert len(row["summary"]) < 10_000
    assert sum(p.stat().st_size for p in folder.iterdir()) < MAX_REPORT_BYTES


# --- pidc validate, file by file --------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.key)
def test_pidc_validate_never_crashes(corpus, environment, case):
    from cli.main import app

    path = corpus.landing / case.relative
    arguments = ["validate", str(path), "--home", str(corpus.root), "--format", "json"]
    result = CliRunner().invoke(app, arguments)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:])
    assert "Traceback" not in result.output
    document = json.loads(result.stdout)
    if case.verdict in ("accepted", "rejected"):
        assert result.exit_code == (0 if case.verdict == "accepted" else 1)
        assert document["verdict"] == case.verdict
        _assert_words(case, _said(document))
    elif case.verdict == "refused":
        # Never read, so rejected with the reason.
        assert result.exit_code == 1 and document["verdict"] == "rejected"
        _assert_words(case, _said(document))
    else:
        # Given directly, a hidden or lock file is read like any other: it is no return.
        assert result.exit_code == 1 and document["verdict"] == "rejected"


# --- the dashboard's Submit page --------------------------------------------------------------

# Uploaded one after another in one session of the page; the valid return last, to show the
# page (and the process serving it) is still there for the next officer.
UPLOADED = ["far_cell", "zip_bomb", "macro_xlsx", "real_extent_bomb", "payload_markdown_link",
            "payload_hyperlink", "valid_csv"]  # fmt: skip


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    from support.dashboard import build_serving

    return build_serving(tmp_path_factory.mktemp("serving") / "serving.duckdb")


@pytest.fixture
def dashboard_home(tmp_path, monkeypatch, environment, serving):
    import shutil

    from app import data_access

    monkeypatch.setenv("PIDC_HOME", str(tmp_path))
    monkeypatch.setenv("PIDC_ACCOUNTS_FILE", str(tmp_path / "accounts.toml"))
    shutil.copy(serving, tmp_path / "serving.duckdb")
    data_access._cached_query.clear()
    yield make_home(tmp_path)
    data_access._cached_query.clear()


def test_the_submit_page_rejects_hostile_uploads_and_goes_on(corpus, dashboard_home):
    from streamlit.testing.v1 import AppTest
    from support.dashboard import FJI_OFFICER, PAGES, page_text

    at = AppTest.from_file(str(PAGES / "submit.py"), default_timeout=120)
    at.session_state["viewer"] = FJI_OFFICER  # signed in as FJI's officer
    at.run()
    assert not at.exception, at.exception
    for key in UPLOADED:
        case = BY_KEY[key]
        data = (corpus.landing / case.relative).read_bytes()
        mime = XLSX_MIME if case.name.endswith(".xlsx") else "text/csv"
        at.file_uploader[0].set_value((case.name, data, mime))
        at.run()
        assert not at.exception, (key, at.exception)
        text = page_text(at)
        if case.verdict == "accepted":
            assert at.success and at.success[0].value.startswith("Accepted"), (key, text[:2000])
            assert (dashboard_home.landing / "FJI" / case.name).read_bytes() == data
            continue
        assert not at.success, (key, text[:2000])
        assert at.error and at.error[0].value.startswith("Rejected"), (key, text[:2000])
        _assert_words(case, text)
        # Shown as text in the problems grid, never rendered as Markdown.
        for element in at.markdown:
            assert not any(payload in str(element.value) for payload in case.payloads)
        assert not (dashboard_home.landing / "FJI" / case.name).exists()
    # Only the valid return was landed for the pipeline.
    landed = sorted(p.name for p in dashboard_home.landing.rglob("*") if p.is_file())
    assert landed == [BY_KEY["valid_csv"].name]


@pytest.mark.parametrize(
    "name",
    ["\u202e" * 80 + "_refusals.csv", "=" + "a" * 241 + "_refusals.csv"],
    ids=["invisible", "formula"],
)
def test_a_long_neutralised_name_is_quarantined_not_a_crash(tmp_path, name):
    """Spelling out invisible characters (or the ' before a formula) can push a name past the
    file system's limit: the quarantine copy is written under a shortened name."""
    from cli.main import app
    from pidc.settings import home as make_home

    platform_home = make_home(tmp_path / "home").ensure()
    folder = platform_home.landing / "FJI"
    folder.mkdir(parents=True)
    (folder / name).write_text("member,period,port,nationality,reason,count\n")
    result = CliRunner().invoke(app, ["ingest", str(platform_home.landing), "--home",
                                      str(platform_home.root)])  # fmt: skip
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    [quarantined] = [p for p in platform_home.quarantine.rglob("*.csv")]
    assert len(quarantined.name.encode()) <= 200 and quarantined.name.endswith(".csv")


def test_the_submit_page_refuses_a_name_too_long_in_bytes(tmp_path):
    from support.dashboard import FJI_OFFICER

    from app.submission import submit_return
    from pidc.settings import home as make_home

    officer = FJI_OFFICER
    outcome = submit_return(
        officer, "FJI", "é" * 150 + "_refusals_2026-09.csv", b"member\n", make_home(tmp_path)
    )
    assert outcome.landed_path is None
    assert "is not allowed" in outcome.report.errors[0].message
