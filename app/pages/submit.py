"""Submit a return: the template for your member and month, upload, the report at once."""

import datetime as dt
import math

import pandas as pd
import streamlit as st

from app import ui
from app.data_access import may_submit_for
from app.submission import submit_return, template_bytes
from ingestion.safety import Limits
from pidc.heartbeat import when_published
from pidc.settings import home

st.title("Submit a return")
viewer = ui.viewer()
members = may_submit_for(viewer)
if not members:
    st.info("Sign in as a member officer to submit your member's returns.")
    st.stop()

names = ui.member_names()
member = st.selectbox(
    "Member", members, format_func=lambda code: f"{names.get(code, code)} ({code})"
)
today = pd.Timestamp(dt.date.today()).to_period("M")
periods = [str(today - offset) for offset in range(1, 25)]
period = st.selectbox(
    "Month of the template",
    periods,
    format_func=lambda value: ui.month_label(pd.Period(value).to_timestamp()),
    help="Only the template below is made for this month. An uploaded return is read for the"
    " month(s) written in the file itself, whatever is chosen here.",
)

st.subheader("1. Template")
st.download_button(
    f"Download the template for {member} {period}",
    template_bytes(viewer, member, period),
    file_name=f"PIDC_{member}_{period}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)

st.subheader("2. Upload your return")
# The limit the intake applies (PIDC_MAX_FILE_MB, 25 MB), so the uploader says it too.
max_mb = max(1, math.ceil(Limits.from_environment().max_file_mb))
upload = st.file_uploader(
    "Return file (.xlsx or .csv)",
    type=["xlsx", "csv"],
    max_upload_size=max_mb,
    help=f"Up to {max_mb} MB. The months of the return are read from the file.",
)
if upload is not None:
    with st.spinner("Checking the file..."):
        outcome = submit_return(viewer, member, upload.name, upload.getvalue(), home())
    report = outcome.report
    if outcome.landed_path is not None:
        st.success(f"Accepted: {report.rows_read} rows read. {when_published(home())}")
    else:
        st.error(f"Rejected: {len(report.errors)} problem(s) to fix. Nothing was loaded.")
    if report.problems:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "severity": p.severity,
                        "where": p.location(),
                        "value": p.value or "",
                        "what is wrong": p.message,
                        "how to fix": p.fix,
                    }
                    for p in report.problems
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    st.download_button(
        "Download this report",
        report.to_html().encode("utf-8"),
        file_name=f"report-{report.file_name}.html",
        mime="text/html",
    )
