"""Downloads: the tables the viewer may see as CSV, Excel and SDMX-CSV."""

import streamlit as st

from app import data_access, language, ui
from app.exports import EXCEL_MAX_ROWS, to_csv_bytes, to_excel_bytes, to_sdmx_csv_bytes
from pidc import i18n
from pidc.i18n import _, ngettext

language.apply()
st.title(_("Downloads"))
ui.require_published()
viewer = ui.viewer()
if not data_access.has_grants(viewer):
    st.caption(_(ui.SIGN_IN_MESSAGE))

# Only the chosen table is read: fact tables grow with history and members (docs/benchmarks.md).
available = data_access.downloadable_table_names(viewer)
if not available:
    st.info(_("Nothing to download yet."))
else:
    # Table names are the files' names, the same in every language.
    name = st.selectbox(_("Table"), available, placeholder=_(ui.CHOOSE))
    rows = data_access.download_table(viewer, name)
    st.caption(
        ngettext("{count} row.", "{count} rows.", len(rows)).format(
            count=i18n.format_count(len(rows))
        )
        + " "
        + _(
            "Text a spreadsheet could run as a formula (starting with = + - @, tab or carriage "
            "return, even after spaces) starts with an apostrophe (')."
        )
    )
    left, right = st.columns(2)
    # The files are made when a button is pressed, not on every rerun of the page.
    left.download_button(
        "CSV",
        lambda: to_csv_bytes(rows),
        file_name=f"pidc-{name}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    fits_excel = len(rows) < EXCEL_MAX_ROWS
    right.download_button(
        "Excel",
        (lambda: to_excel_bytes(rows, name)) if fits_excel else b"",
        file_name=f"pidc-{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        disabled=not fits_excel,
        help=None if fits_excel else _("More rows than one Excel sheet holds: download the CSV."),
    )
    # The file as it downloads: column names and codes are the same in every language, where
    # analysts want them (the browser walk reads this container as data, not as page text).
    with st.container(key="file-preview"):
        st.caption(
            _(
                "The first {count} rows, as in the file: its column names and codes stay the same in every language."
            ).format(count=i18n.format_count(min(len(rows), 200)))
        )
        st.dataframe(rows.head(200), hide_index=True, width="stretch")

st.subheader("SDMX-CSV")
sdmx = data_access.sdmx_public()
if sdmx.empty:
    st.info(_("No SDMX-CSV publication yet."))
else:
    st.caption(_("Public regional aggregates; suppressed cells have an empty OBS_VALUE."))
    st.download_button(
        "SDMX-CSV", to_sdmx_csv_bytes(sdmx), file_name="pidc-public.sdmx.csv", mime="text/csv"
    )
