"""Data quality: the submissions ledger, validation reports and values that could not be mapped."""

import streamlit as st

from app import data_access, language, ui
from app.tables import column_words, show_table
from ingestion.report import ValidationReport, word
from pidc.i18n import _, format_count


def format_words(value: object) -> object:
    """How a file was read, in words: 'xlsx template' -> 'Regional template (Excel)'."""
    if not isinstance(value, str):
        return value
    if value.endswith("template"):
        return _("Regional template (Excel)")
    if value.startswith("declared layout"):
        layout = value.removeprefix("declared layout").strip()
        return _("Own publication, layout {layout}").format(layout=layout)
    # csv (utf-8), sdmx-csv (utf-8): the formats' own names, the same in every language
    return value.replace("sdmx-csv", "SDMX-CSV").replace("csv", "CSV")


def dataset_words(value: object, titles: dict[str, str]) -> object:
    """'movements, refusals' -> the datasets' titles in the current language."""
    if isinstance(value, str):
        names = value.split(",")
    elif hasattr(value, "__iter__"):  # a list column read from DuckDB
        names = [str(name) for name in value]
    else:
        return value
    return ", ".join(titles.get(name.strip(), name.strip()) for name in names)


language.apply()
st.title(_("Data quality"))
ui.require_published()
viewer = ui.viewer()

# The latest submissions only: at ten years the ledger has ~10,000 rows, too many to draw on
# every visit or to choose from (docs/benchmarks.md, Data quality at 120 months).
LEDGER_ROWS = 1000
ledger = data_access.submissions(viewer, limit=LEDGER_ROWS)
unmapped = data_access.unmapped_values(viewer)
if ledger.empty and unmapped.empty:
    st.info(
        _(
            "No submissions you may see yet. Sign in as the Secretariat or a member officer to "
            "see your submissions."
        )
    )
    st.stop()
st.subheader(_("Submissions"))
if ledger.empty:
    st.info(_("No submissions yet."))
else:
    shown = ledger.drop(columns=["report_path"], errors="ignore")
    if "status" in shown:
        shown = shown.assign(status=shown["status"].map(word))  # accepted -> acceptée
    if "file_format" in shown:
        shown = shown.assign(file_format=shown["file_format"].map(format_words))
    if "datasets" in shown:
        titles = ui.dataset_titles()
        shown = shown.assign(datasets=shown["datasets"].map(lambda v: dataset_words(v, titles)))
    if len(ledger) >= LEDGER_ROWS:
        st.caption(
            _("The latest {count} submissions, newest first.").format(
                count=format_count(LEDGER_ROWS)
            )
        )
    show_table(shown)
    file_names = dict(zip(ledger["submission_id"].astype(str), ledger["file_name"], strict=True))
    choice = st.selectbox(
        _("Validation report of"),
        list(file_names),
        format_func=lambda sid: f"{sid} - {file_names[sid]}",
        placeholder=_(ui.CHOOSE),
    )
    report = data_access.validation_report(viewer, choice)
    if report is None:
        st.caption(_("The report file is not on this server."))
    else:
        with st.expander(_("Report"), expanded=True):
            if isinstance(report, ValidationReport):
                # Rendered in the viewer's language from report.json (its problems' templates);
                # every value from the file is escaped: it reads as text, never as a link.
                st.markdown(report.to_markdown())
            else:
                st.text(report)  # an old report without its JSON: shown, never rendered

st.subheader(_("Values that could not be mapped"))
if unmapped.empty:
    st.info(_("Every value was mapped onto the regional code lists."))
else:
    st.caption(_("Add these spellings to the mapping seeds so they count under the right code."))
    show_table(unmapped.assign(column_name=unmapped["column_name"].map(column_words)))
