"""The dashboard's language (issue 16): English or French, picked in the sidebar.

The choice lives in ``st.session_state`` for the tab and, for a signed-in local account, in the
accounts file (``app.accounts.set_account_language``), so the next session opens in it. Until a
choice is made: the account's, else ``PIDC_LANG``, else English. Every page calls :func:`apply`
first (the current language is context-local: each script run sets its own).
"""

from __future__ import annotations

import contextlib

import streamlit as st

from app.accounts import AccountError, account_language, set_account_language
from app.auth import signed_in_username
from pidc import i18n
from pidc.i18n import _

LANGUAGE_KEY = "language"
PICKER_KEY = "language_picker"
# Whose remembered language the tab has taken (a sign-in of another account takes theirs).
LOADED_FOR_KEY = "language_loaded_for"


def apply() -> str:
    """Make the tab's language current for this script run; return it."""
    code = i18n.normalise(st.session_state.get(LANGUAGE_KEY))
    if code is None:
        code = i18n.language_from_env()
    return i18n.set_language(code)


def take_account_language() -> None:
    """After a sign-in, the account's remembered language replaces the tab's (once per account).

    Called by ``app/main.py`` before :func:`apply`, so the navigation is already in it."""
    username = signed_in_username()
    if username is None or st.session_state.get(LOADED_FOR_KEY) == username:
        return
    st.session_state[LOADED_FOR_KEY] = username
    remembered = account_language(username)
    if remembered:
        st.session_state[LANGUAGE_KEY] = remembered
        st.session_state[PICKER_KEY] = remembered


def _chosen() -> None:
    code = i18n.normalise(st.session_state.get(PICKER_KEY))
    if code is None:  # the selected button clicked again: nothing chosen, keep the language
        st.session_state[PICKER_KEY] = apply()
        return
    st.session_state[LANGUAGE_KEY] = code
    username = signed_in_username()
    if username is not None:
        # The account went away meanwhile: the tab keeps the choice all the same.
        with contextlib.suppress(AccountError):
            set_account_language(username, code)


def picker() -> str:
    """The sidebar's language picker (English / Français); returns the current language."""
    code = apply()
    st.session_state.setdefault(PICKER_KEY, code)
    st.sidebar.segmented_control(
        _("Language"),
        options=list(i18n.SUPPORTED),
        format_func=i18n.NAMES.get,
        key=PICKER_KEY,
        on_change=_chosen,
    )
    return code
