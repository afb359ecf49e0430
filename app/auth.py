"""Sign-in: who the viewer is. Local accounts (``pidc users``) or Streamlit's OIDC login.

The result is a :class:`app.data_access.Viewer` kept in the session; pages pass it to the data
layer and never decide access themselves.
"""

from __future__ import annotations

import streamlit as st

from app.data_access import Viewer
from pidc.accounts import Account, account_for_email, authenticate

SESSION_KEY = "viewer"


def viewer_for(account: Account) -> Viewer:
    """The viewer a local account signs in as."""
    return Viewer(
        role=account.role,
        member_code=account.member_code,
        group_code=account.group_code,
        name=account.display_name or account.username,
    )


def oidc_configured() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _oidc_viewer() -> Viewer | None:
    if not oidc_configured() or not st.user.is_logged_in:
        return None
    account = account_for_email(str(st.user.get("email", "")))
    # An identity-provider user without a local account gets the public view only.
    return viewer_for(account) if account else None


def current_viewer() -> Viewer:
    """The signed-in viewer, or the public viewer."""
    viewer = st.session_state.get(SESSION_KEY)
    if isinstance(viewer, Viewer):
        return viewer
    return _oidc_viewer() or Viewer.public()


def sign_in_panel() -> Viewer:
    """The sidebar's sign-in / sign-out controls; returns the current viewer."""
    viewer = current_viewer()
    with st.sidebar:
        st.caption(f"Viewing as: **{viewer.label}**")
        if not viewer.is_public:
            if st.button("Sign out", key="sign_out"):
                st.session_state.pop(SESSION_KEY, None)
                if oidc_configured() and st.user.is_logged_in:
                    st.logout()
                st.rerun()
            return viewer
        with st.form("sign_in", clear_on_submit=False):
            username = st.text_input("User name", key="sign_in_user")
            password = st.text_input("Password", type="password", key="sign_in_password")
            submitted = st.form_submit_button("Sign in")
        if submitted:
            account = authenticate(username, password)
            if account is None:
                st.error("User name or password not recognised.")
            else:
                st.session_state[SESSION_KEY] = viewer_for(account)
                st.rerun()
        if oidc_configured() and st.button("Sign in with your organisation"):
            st.login()
    return viewer
