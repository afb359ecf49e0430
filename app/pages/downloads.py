"""Downloads: the tables the viewer may see as CSV, Excel and SDMX-CSV."""

import streamlit as st

from app import data_access, ui
from app.exports import to_csv_bytes, to_excel_bytes, to_sdmx_csv_bytes

st.title("Downloads")
ui.require_published()
viewer = ui.viewer()
if viewer.is_public:
    st.caption(ui.SIGN_IN_MESSAGE)

tables = {name: rows for name, rows in data_access.downloadable_tables(viewer).items()}
available = [name for name, rows in tables.items() if not rows.empty]
if not available:
    st.info("Nothing to download yet.")
else:
    name = st.selectbox("Table", available)
    rows = tables[name]
    st.caption(f"{len(rows):,} rows. Text cells starting with = + - @ are prefixed with '.")
    left, right = st.columns(2)
    left.download_button("CSV", to_csv_bytes(rows), file_name=f"pidc-{name}.csv", mime="text/csv")
    right.download_button(
        "Excel",
        to_excel_bytes(rows, name),
        file_name=f"pidc-{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    st.dataframe(rows.head(200), hide_index=True, width="stretch")

st.subheader("SDMX-CSV")
sdmx = data_access.sdmx_public()
if sdmx.empty:
    st.info("No SDMX-CSV publication yet.")
else:
    st.caption("Public regional aggregates; suppressed cells have an empty OBS_VALUE.")
    st.download_button(
        "SDMX-CSV", to_sdmx_csv_bytes(sdmx), file_name="pidc-public.sdmx.csv", mime="text/csv"
    )
