"""Nothing from a member's file is rendered as markup or run as a formula: validation reports
(Markdown, HTML), the dashboard pages that show reports, alerts and notes, the bulletin (HTML and
PDF), the serving database every grid and download reads, and the Downloads files.

Markdown is rendered here with markdown-it (CommonMark with GFM tables and strikethrough); GFM's
autolink literals, which remark-gfm (Streamlit's renderer) finds in text after escapes are
resolved, are checked with the same patterns on the rendered text.
"""

from __future__ import annotations

import csv
import html
import io
import shutil

import duckdb
import pandas as pd
import pytest
from support.dashboard import FJI_OFFICER, SECRET_NOTE, SECRETARIAT, SEP, SHARED_NOTE, run_page
from support.escaping import assert_inert, render, rendered_text

from app.exports import to_csv_bytes
from app.views import bulletin as bulletin_module
from ingestion.report import ERROR, NOTE, WARNING, Problem, ValidationReport
from orchestration.publish import publish_serving
from pidc.escaping import (
    WORD_JOINER,
    escape_markdown,
    is_formula_like,
    neutralise_formula,
    neutralise_formula_sql,
    visible_controls,
)

LINK = "[Fix it here](https://evil.example/fix)"
IMAGE = "![x](https://evil.example/pixel.png)"
PAYLOADS = [
    LINK,
    IMAGE,
    "<img src=x onerror=alert(1)>",
    "<https://evil.example/auto>",
    "https://evil.example/bare and www.evil.example and officer@evil.example",
    "[ref]: https://evil.example/ref",
    "# Heading\n\n---\n- list\n1. one\n> quote",
    "**bold** _em_ `code` ~~gone~~ | pipe | $x^2$ :red[red] :smile: :material/home:",
    "&lt;script&gt; &#x5b;x&#x5d;(https://evil.example)",
    "[x][ref]\n\n[ref]: https://evil.example",
    "```\nfenced\n```",
    "report\u202egpj.csv",
    "back\\slash \\[not a link\\](https://evil.example)",
]


@pytest.mark.parametrize("value", PAYLOADS)
def test_escaped_markdown_renders_exactly_its_characters(value):
    markup = render(escape_markdown(value))
    assert markup.startswith("<p>") and markup.count("<p>") == 1  # one paragraph, no blocks
    assert_inert(escape_markdown(value))
    shown = rendered_text(markup).strip().replace(WORD_JOINER, "")
    assert shown == visible_controls(value).strip()


def test_visible_controls_spell_out_bidi_and_control_characters():
    assert visible_controls("report\u202egpj.csv") == "report[U+202E]gpj.csv"
    assert visible_controls("a\x1b[31mred\x00") == "a[U+001B][31mred[U+0000]"
    assert visible_controls("two\nlines\tand tab") == "two lines and tab"
    assert visible_controls("Tongan 🇹🇴 👩‍👩‍👧") == "Tongan 🇹🇴 👩‍👩‍👧"


def hostile_report() -> ValidationReport:
    return ValidationReport(
        file_name="FJI_" + LINK + ".csv",
        file_sha256="0" * 64,
        member="FJI",
        returns=[{"dataset": "permits", "period": "2026-09", "rows": 2, "is_nil": False}],
        problems=[
            Problem(
                ERROR,
                f"'{LINK}' is not a permit type code.",
                "Use a code from the list.",
                dataset="permits",
                sheet="<img src=x onerror=alert(1)>",
                row=3,
                column="permit_type",
                value=LINK,
            ),
            Problem(
                WARNING,
                f"'{IMAGE}' looks unusual | see www.evil.example",
                "Check it.",
                row=4,
                column="nationality",
                value=IMAGE,
            ),
            Problem(NOTE, "Read as *provisional* [p]", "Nothing to do.", value="a|b\nc"),
        ],
        rows_read=2,
    )


def test_markdown_report_escapes_every_value_from_the_file():
    report = hostile_report()
    markdown = report.to_markdown()
    assert_inert(markdown)
    markup = render(markdown)
    # One table per section, four cells per problem: a '|' or a line break in a value stays in
    # its cell; the report's own heading and verdict still render.
    assert markup.count("<td>") == 4 * len(report.problems)
    assert markup.count("<h1>") == 1 and "<strong>Verdict: REJECTED</strong>" in markup
    text = rendered_text(markup).replace(WORD_JOINER, "")
    assert LINK in text and IMAGE in text and "a|b c" in text


def test_html_report_escapes_and_loads_nothing_from_elsewhere():
    page = hostile_report().to_html()
    assert "<img" not in page.lower().replace("&lt;img", "")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert html.escape(LINK) in page


def test_html_report_shows_bidi_controls_instead_of_obeying_them():
    report = ValidationReport(file_name="FJI_2026-09_\u202egpj.csv", file_sha256="0" * 64)
    assert "\u202e" not in report.to_html() and "[U+202E]" in report.to_html()
    assert "\u202e" not in report.to_markdown()


def test_report_from_json_is_the_report_written():
    report = hostile_report()
    again = ValidationReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()


# --- the dashboard ----------------------------------------------------------------------------


@pytest.fixture
def published(pidc_home, serving_template):
    """The hand-made serving database with a hostile note and a hostile alert message."""
    serving = pidc_home / "serving.duckdb"
    shutil.copy(serving_template, serving)
    connection = duckdb.connect(str(serving))
    connection.execute(
        "insert into marts.mart_observations values ('FJI', 'movements', ?, ?, ?, true)",
        [SEP, IMAGE, f"Officers: {LINK} or mail officer@evil.example"],
    )
    connection.execute(
        "update marts.mart_alerts set message = message || ?, dimension_value = ? "
        "where alert_id = 'a2'",
        [f" {LINK}", IMAGE],
    )
    connection.close()
    return pidc_home


def markdown_of(at) -> list[str]:
    return [element.value for element in at.markdown] + [e.label for e in at.expander]


def test_data_quality_page_renders_a_report_without_links_or_images(published):
    hostile_report().write(published / "reports" / "sub-fji-1")
    at = run_page("data_quality", FJI_OFFICER)
    reports = [md for md in markdown_of(at) if "Validation report" in md]
    assert reports, markdown_of(at)
    for markdown in reports:
        text = assert_inert(markdown).replace(WORD_JOINER, "")
        assert LINK in text and IMAGE in text


def test_data_quality_page_shows_a_report_without_json_as_plain_text(published):
    folder = published / "reports" / "sub-fji-1"
    folder.mkdir(parents=True)
    (folder / "report.md").write_text(f"# Validation report\n\n| {LINK} |")
    at = run_page("data_quality", FJI_OFFICER)
    assert any(LINK in text.value for text in at.text)
    assert not any(LINK in md for md in markdown_of(at))


@pytest.mark.parametrize("page", ["bulletin", "alerts"])
def test_notes_and_alerts_render_without_links_or_images(published, page):
    at = run_page(page, SECRETARIAT)
    if page == "alerts":  # only an open alert is drawn; the hostile message is a2's
        at.session_state["alert_a2"] = True
        at.run()
    shown = [assert_inert(markdown).replace(WORD_JOINER, "") for markdown in markdown_of(at)]
    assert any(LINK in text for text in shown), shown


def test_bulletin_files_carry_notes_as_text(published):
    bulletin = bulletin_module.build_bulletin(SECRETARIAT, pd.Timestamp(SEP))
    assert any(LINK in item for item in bulletin.observations)
    page = bulletin_module.to_html(bulletin)
    assert "default-src 'none'" in page and "<img" not in page
    pdf = bulletin_module.to_pdf(bulletin)
    assert b"/URI" not in pdf and b"/Annot" not in pdf  # no live link in the PDF


# --- spreadsheet formulas ---------------------------------------------------------------------

HYPERLINK = '=HYPERLINK("https://evil.example/x","Fix it here")'
FORMULAS = [
    HYPERLINK,
    " =1+1",
    "  +SUM(A1:A9)",
    "\t=2",
    "\r=3",
    "\n=4",
    "\u00a0=5",
    "\u200b@SUM(A1)",
    "-2+3",
    "@SUM(A1)",
    "\uff1dcmd",
    "\tplain after a tab",
]
HARMLESS = ["Cruise season", "a=b", "-5", "+1.25", "2026-09", "", "it's -ok-"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_like_text_gets_an_apostrophe(value):
    assert neutralise_formula(value) == "'" + value
    assert neutralise_formula("'" + value) == "'" + value  # never twice


@pytest.mark.parametrize("value", [*HARMLESS, -5, 3.5, None])
def test_other_values_are_left_as_they_are(value):
    assert neutralise_formula(value) == value


def test_sql_and_python_neutralise_alike():
    connection = duckdb.connect()
    values = [*FORMULAS, *HARMLESS, "é=", "~a", "!x", None]
    rows = connection.execute(
        f"select v, {neutralise_formula_sql('v')} from unnest(?::varchar[]) as t(v)", [values]
    ).fetchall()
    assert [after for _, after in rows] == [neutralise_formula(before) for before, _ in rows]


def test_download_buttons_neutralise_leading_spaces_and_control_characters():
    frame = pd.DataFrame({"note": FORMULAS + HARMLESS, "count": range(-3, len(FORMULAS) + 4)})
    text = to_csv_bytes(frame).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert [row[0] for row in rows] == ["'" + v for v in FORMULAS] + HARMLESS
    assert rows[0][1] == "-3"  # numbers stay numbers


def hostile_warehouse(path, serving_template) -> None:
    """A warehouse whose marts carry formula payloads in text columns, and negative numbers."""
    shutil.copy(serving_template, path)
    connection = duckdb.connect(str(path))
    connection.executemany(
        "insert into marts.mart_observations values ('FJI', 'movements', ?, 'TREND', ?, true)",
        [[SEP, value] for value in FORMULAS],
    )
    connection.execute(
        "update marts.mart_submissions set file_name = ?, rows_rejected = -5 "
        "where submission_id = 'sub-fji-1'",
        [" " + HYPERLINK],
    )
    connection.execute(
        "create view marts.v_notes as select note, -1 as minus_one from marts.mart_observations"
    )
    connection.close()


def test_publish_neutralises_every_text_value_once(tmp_path, serving_template):
    warehouse = tmp_path / "warehouse.duckdb"
    hostile_warehouse(warehouse, serving_template)
    published = publish_serving(warehouse, tmp_path / "serving.duckdb")
    connection = duckdb.connect(str(published.path), read_only=True)
    notes = {
        row[0] for row in connection.sql("select note from marts.mart_observations").fetchall()
    }
    assert {"'" + value for value in FORMULAS} <= notes
    assert {SHARED_NOTE, SECRET_NOTE} <= notes  # ordinary text untouched
    file_name, rejected = connection.execute(
        "select file_name, rows_rejected from marts.mart_submissions "
        "where submission_id = 'sub-fji-1'"
    ).fetchone()
    assert file_name == "' " + HYPERLINK and rejected == -5
    assert connection.execute("select distinct minus_one from marts.v_notes").fetchall() == [(-1,)]
    types = dict(
        connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'mart_submissions'"
        ).fetchall()
    )
    assert types["rows_rejected"] == "BIGINT" and types["file_name"] == "VARCHAR"
    # Codes, dates and counts come through as they were.
    source = duckdb.connect(str(warehouse), read_only=True)
    query = "select * from marts.mart_return_totals order by all"
    assert connection.execute(query).fetchall() == source.execute(query).fetchall()


def test_the_data_grid_on_downloads_shows_neutralised_text(pidc_home, serving_template):
    """The grid's own "Download as CSV" exports what the grid holds: published, neutralised."""
    warehouse = pidc_home / "warehouse.duckdb"
    hostile_warehouse(warehouse, serving_template)
    publish_serving(warehouse, pidc_home / "serving.duckdb")
    at = run_page("downloads", SECRETARIAT)
    at.selectbox[0].set_value("observations").run()
    notes = set(at.dataframe[0].value["note"])
    assert {"'" + value for value in FORMULAS} <= notes
    assert not {value for value in notes if is_formula_like(value)}
