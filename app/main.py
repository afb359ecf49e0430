"""The dashboard's entry point: ``streamlit run app/main.py``."""

from pathlib import Path

import streamlit as st

from app.auth import current_viewer, sign_in_panel

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="PIDC regional border data", layout="wide")
pages = {
    "Regional picture": [
        st.Page(PAGES / "overview.py", title="Regional overview", default=True),
        st.Page(PAGES / "explorer.py", title="Dataset explorer"),
        st.Page(PAGES / "member_profile.py", title="Member profile"),
        st.Page(PAGES / "alerts.py", title="Alerts"),
        st.Page(PAGES / "bulletin.py", title="Monthly bulletin"),
        st.Page(PAGES / "downloads.py", title="Downloads"),
    ],
    "Reporting": [
        st.Page(PAGES / "compliance.py", title="Reporting compliance"),
        st.Page(PAGES / "data_quality.py", title="Data quality"),
        st.Page(PAGES / "submit.py", title="Submit a return"),
    ],
}
if current_viewer().is_secretariat:
    pages["Administration"] = [st.Page(PAGES / "sign_in_log.py", title="Sign-in log")]
navigation = st.navigation(pages)
# After st.navigation: created before it, the sign-in form lost its submission in the browser.
sign_in_panel()
navigation.run()
