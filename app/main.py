"""The dashboard's entry point: ``streamlit run app/main.py``."""

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="PIDC regional border data", layout="wide")
navigation = st.navigation(
    [st.Page(PAGES / "overview.py", title="Regional overview", default=True)]
)
navigation.run()
