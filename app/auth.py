"""Sign-in: who the viewer is. Local accounts (``pidc users``) or Streamlit's OIDC login.

The result is a :class:`app.data_access.Viewer` kept in the session; pages pass it to the data
layer and never decide access themselves.

A local sign-in is kept across reloads and new tabs by a signed, expiring session token
(``pidc.sign_in``) in the ``pidc_session`` cookie. Streamlit reads cookies (``st.context.cookies``,
sent with the page's connection) but has no call to write one, so the page writes it with a
two-line script of its own (``st.html`` with JavaScript allowed, never with anything from a file or
a user in it): the cookie is therefore not HttpOnly, and escaping everything a member sends is what
keeps other scripts out. The token proves nothing without the server's key, ends at sign-out (the
server records it as ended), on a new password, and after ``PIDC_SESSION_HOURS``. Every attempt is
logged, and repeated failures lock the name and the address for a while (``pidc.sign_in``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import streamlit as st

from app import sign_in
from app.accounts import Account, account_for_email
from app.data_access import Viewer
from pidc.i18n import _

SESSION_KEY = "viewer"
# The token behind a local sign-in in this browser session.
TOKEN_KEY = "session_token"  # noqa: S105 (a session_state key, not a secret)
# Set at sign-out: the browser's cookie is cleared on the next runs of the page.
SIGNED_OUT_KEY = "signed_out"
# An identity-provider sign-in already logged in this browser session.
OIDC_LOGGED_KEY = "oidc_logged"
COOKIE_NAME = "pidc_session"


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


def request_cookies() -> Mapping[str, str]:
    """The cookies the browser sent when the page connected (empty outside a browser)."""
    try:
        cookies = st.context.cookies
    except Exception:
        return {}
    return cookies if isinstance(cookies, Mapping) else {}


def client_address() -> str:
    """The address the connection came from, as Streamlit saw it ('' when unknown)."""
    try:
        address = st.context.ip_address
    except Exception:
        return ""
    return address if isinstance(address, str) else ""


def _oidc_viewer() -> Viewer | None:
    if not oidc_configured() or not st.user.is_logged_in:
        return None
    email = str(st.user.get("email", ""))
    account = account_for_email(email)
    if not st.session_state.get(OIDC_LOGGED_KEY):
        st.session_state[OIDC_LOGGED_KEY] = True
        sign_in.record(
            account.username if account else email,
            sign_in.SIGNED_IN if account else sign_in.NO_ACCOUNT,
            source=client_address(),
            detail="identity provider",
        )
    # An identity-provider user without a local account gets the public view only.
    return viewer_for(account) if account else None


def _resume(token: str) -> Viewer | None:
    account = sign_in.resume_session(token)
    if account is None:
        return None
    viewer = viewer_for(account)
    st.session_state[SESSION_KEY] = viewer
    st.session_state[TOKEN_KEY] = token
    return viewer


def current_viewer() -> Viewer:
    """The signed-in viewer, or the public viewer.

    A session of this browser tab is checked again on every run, so a sign-out elsewhere, a new
    password or the session's expiry ends it here too; a new tab or a reload resumes the session
    from its cookie.
    """
    token = st.session_state.get(TOKEN_KEY)
    if token is not None:
        if sign_in.resume_session(token) is None:
            st.session_state.pop(TOKEN_KEY, None)
            st.session_state.pop(SESSION_KEY, None)
            st.session_state[SIGNED_OUT_KEY] = True
        else:
            return st.session_state[SESSION_KEY]
    viewer = st.session_state.get(SESSION_KEY)
    if isinstance(viewer, Viewer):
        return viewer
    cookie = request_cookies().get(COOKIE_NAME)
    if cookie and not st.session_state.get(SIGNED_OUT_KEY):
        resumed = _resume(cookie)
        if resumed is not None:
            return resumed
    return _oidc_viewer() or Viewer.public()


def _cookie_script(value: str, max_age: int) -> str:
    # Only a token of the server's own making (letters, digits, '.', '_', '-') is ever written.
    if value and sign_in.session_expires(value) is None:
        raise ValueError("not a session token")
    cookie = f"{COOKIE_NAME}={value}; Path=/; Max-Age={int(max_age)}; SameSite=Strict"
    return (
        f"<script>document.cookie = '{cookie}' + "
        "(window.location.protocol === 'https:' ? '; Secure' : '');</script>"
    )


def _keep_cookie_in_step() -> None:
    """Write the session cookie after a sign-in, clear it after a sign-out (a no-op script
    for the browser when it already holds the right value)."""
    token = st.session_state.get(TOKEN_KEY)
    sent = request_cookies().get(COOKIE_NAME)
    if token is not None and sent != token:
        expires = sign_in.session_expires(token)
        max_age = max(0, int((expires - datetime.now(UTC)).total_seconds()))
        st.html(_cookie_script(token, max_age), unsafe_allow_javascript=True)
    elif token is None and (sent or st.session_state.get(SIGNED_OUT_KEY)):
        st.html(_cookie_script("", 0), unsafe_allow_javascript=True)


def sign_in_panel() -> Viewer:
    """The sidebar's sign-in / sign-out controls; returns the current viewer."""
    viewer = current_viewer()
    with st.sidebar:
        st.caption(_("Viewing as: **{viewer}**").format(viewer=viewer.label))
        _keep_cookie_in_step()
        if not viewer.is_public:
            if st.button(_("Sign out"), key="sign_out"):
                token = st.session_state.pop(TOKEN_KEY, None)
                if token is not None:
                    sign_in.end_session(token, source=client_address())
                st.session_state.pop(SESSION_KEY, None)
                st.session_state[SIGNED_OUT_KEY] = True
                if oidc_configured() and st.user.is_logged_in:
                    st.logout()
                st.rerun()
            return viewer
        with st.form("sign_in", clear_on_submit=False):
            username = st.text_input(_("User name"), key="sign_in_user")
            password = st.text_input(_("Password"), type="password", key="sign_in_password")
            submitted = st.form_submit_button(_("Sign in"))
        if submitted:
            result = sign_in.attempt(username, password, source=client_address())
            if result.account is None:
                st.error(result.message)
            else:
                st.session_state[SESSION_KEY] = viewer_for(result.account)
                st.session_state[TOKEN_KEY] = sign_in.issue_session(result.account)
                st.session_state.pop(SIGNED_OUT_KEY, None)
                st.rerun()
        if oidc_configured() and st.button(_("Sign in with your organisation")):
            st.login()
    return viewer


def signed_in_username() -> str | None:
    """The user name of the local account signed in on this tab, or None (public, or a
    sign-in through the organisation's identity provider, which has no local account)."""
    token = st.session_state.get(TOKEN_KEY)
    if token is None:
        return None
    account = sign_in.resume_session(token)
    return account.username if account else None
