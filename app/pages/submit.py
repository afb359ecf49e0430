"""Submit a return: the template for your member and month, upload, the report at once."""

import datetime as dt
import math

import pandas as pd
import streamlit as st

from app import language, ui
from app.data_access import may_submit_for
from app.submission import submit_return, template_bytes, template_name
from ingestion.report import word
from ingestion.safety import Limits
from pidc import i18n
from pidc.heartbeat import when_published
from pidc.i18n import _, format_count, ngettext
from pidc.settings import home

language.apply()
st.title(_("Submit a return"))
viewer = ui.viewer()
members = may_submit_for(viewer)
if not members:
    st.info(_("Sign in as a member officer to submit your member's returns."))
    st.stop()

names = ui.member_names()
member = st.selectbox(
    _("Member"),
    members,
    format_func=lambda code: f"{names.get(code, code)} ({code})",
    placeholder=_(ui.CHOOSE),
)
today = pd.Timestamp(dt.date.today()).to_period("M")
periods = [str(today - offset) for offset in range(1, 25)]
period = st.selectbox(
    _("Month of the template"),
    periods,
    format_func=lambda value: ui.month_label(pd.Period(value).to_timestamp()),
    help=_(
        "Only the template below is made for this month. An uploaded return is read for the "
        "month(s) written in the file itself, whatever is chosen here."
    ),
    placeholder=_(ui.CHOOSE),
)

st.subheader(_("1. Template"))
st.download_button(
    _("Download the template for {member} {period}").format(member=member, period=period),
    template_bytes(viewer, member, period, i18n.get_language()),
    file_name=template_name(member, period, i18n.get_language()),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)

st.subheader(_("2. Upload your return"))
# The limit the intake applies (PIDC_MAX_FILE_MB, 25 MB), so the uploader says it too.
max_mb = max(1, math.ceil(Limits.from_environment().max_file_mb))
upload = st.file_uploader(
    _("Return file (.xlsx or .csv)"),
    type=["xlsx", "csv"],
    max_upload_size=max_mb,
    help=_("Up to {size} MB. The months of the return are read from the file.").format(size=max_mb),
)
if upload is not None:
    with st.spinner(_("Checking the file...")):
        outcome = submit_return(viewer, member, upload.name, upload.getvalue(), home())
    report = outcome.report
    if outcome.landed_path is not None:
        st.success(
            ngettext(
                "Accepted: {rows} row read.", "Accepted: {rows} rows read.", report.rows_read
            ).format(rows=format_count(report.rows_read))
            + " "
            + when_published(home())
        )
    else:
        st.error(
            ngettext(
                "Rejected: {count} problem to fix. Nothing was loaded.",
                "Rejected: {count} problems to fix. Nothing was loaded.",
                report.error_count,
            ).format(count=report.error_count)
        )
    if report.problems:
        # The report in the viewer's language; values quoted from the file stay as they were.
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        _("severity"): word(p.severity),
                        _("where"): p.location(),
                        _("value"): p.value or "",
                        _("what is wrong"): p.text(),
                        _("how to fix"): p.fix_text(),
                    }
                    for p in report.problems
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    st.download_button(
        _("Download this report"),
        report.to_html().encode("utf-8"),
        file_name=f"report-{report.file_name}.html",
        mime="text/html",
    )
