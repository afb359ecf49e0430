"""Data quality: the submissions ledger, validation reports and values that could not be mapped."""

import streamlit as st

from app import data_access, language, ui
from app.tables import show_table
from ingestion.report import ValidationReport, word
from pidc.i18n import _

language.apply()
st.title(_("Data quality"))
ui.require_published()
viewer = ui.viewer()

ledger = data_access.submissions(viewer)
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
    show_table(shown)
    choice = st.selectbox(
        _("Validation report of"),
        list(ledger["submission_id"].astype(str)),
        format_func=lambda sid: (
            f"{sid} - "
            + str(ledger.loc[ledger["submission_id"].astype(str) == sid, "file_name"].iloc[0])
        ),
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
    show_table(unmapped)
