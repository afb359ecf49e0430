"""Data quality: the submissions ledger, validation reports and values that could not be mapped."""

import streamlit as st

from app import data_access, ui
from app.tables import show_table
from ingestion.report import ValidationReport

st.title("Data quality")
ui.require_published()
viewer = ui.viewer()

ledger = data_access.submissions(viewer)
unmapped = data_access.unmapped_values(viewer)
if ledger.empty and unmapped.empty:
    st.info(
        "No submissions you may see yet. Sign in as the Secretariat or a member officer to see"
        " your submissions."
    )
    st.stop()
st.subheader("Submissions")
if ledger.empty:
    st.info("No submissions yet.")
else:
    show_table(ledger.drop(columns=["report_path"], errors="ignore"))
    choice = st.selectbox(
        "Validation report of",
        list(ledger["submission_id"].astype(str)),
        format_func=lambda sid: (
            f"{sid} - "
            + str(ledger.loc[ledger["submission_id"].astype(str) == sid, "file_name"].iloc[0])
        ),
    )
    report = data_access.validation_report(viewer, choice)
    if report is None:
        st.caption("The report file is not on this server.")
    else:
        with st.expander("Report", expanded=True):
            if isinstance(report, ValidationReport):
                # Every value from the file is escaped: it reads as text, never as a link.
                st.markdown(report.to_markdown())
            else:
                st.text(report)  # an old report without its JSON: shown, never rendered

st.subheader("Values that could not be mapped")
if unmapped.empty:
    st.info("Every value was mapped onto the regional code lists.")
else:
    st.caption("Add these spellings to the mapping seeds so they count under the right code.")
    show_table(unmapped)
