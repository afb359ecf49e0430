"""The dashboard's entry point: ``streamlit run app/main.py``.

The navigation lists only the pages the viewer may open (``app.navigation``), in the language
picked in the sidebar (``app.language``).
"""

import streamlit as st

from app import language
from app.auth import current_viewer, sign_in_panel
from app.navigation import pages_for
from pidc.i18n import _

language.take_account_language()
language.apply()
st.set_page_config(page_title=_("PIDC regional border data"), layout="wide")
navigation = st.navigation(pages_for(current_viewer()))
# After st.navigation: created before it, the sign-in form lost its submission in the browser.
sign_in_panel()
language.picker()
navigation.run()
