"""Sign-in security: lockouts after repeated failures, the attempt log the Secretariat reads, and
signed, expiring sessions that survive a reload or a new tab and end at sign-out.

The browser's side (the page writing the ``pidc_session`` cookie) is driven through AppTest with
the cookies a reloaded page would send; tests/dashboard/test_browser.py does the same in a real browser.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import bcrypt
import pytest
from streamlit.testing.v1 import AppTest
from support.dashboard import PAGES, SECRETARIAT
from typer.testing import CliRunner

import app.auth
from app import accounts, sign_in
from app.data_access import Viewer

PASSWORD = "correct horse battery"
WRONG = "wrong password!"
T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def accounts_home(tmp_path, monkeypatch):
    # Cheap hashes for these tests only: what is tested is the counting, not bcrypt's cost.
    gensalt = bcrypt.gensalt
    monkeypatch.setattr(accounts.bcrypt, "gensalt", lambda *args, **kwargs: gensalt(4))
    monkeypatch.setattr(accounts, "_DUMMY_HASH", bcrypt.hashpw(b"dummy", gensalt(4)).decode())
    monkeypatch.setenv("PIDC_HOME", str(tmp_path))
    monkeypatch.setenv("PIDC_ACCOUNTS_FILE", str(tmp_path / "accounts.toml"))
    for name in (
        sign_in.SIGN_IN_DB_ENV,
        sign_in.MAX_FAILURES_ENV,
        sign_in.SOURCE_MAX_FAILURES_ENV,
        sign_in.LOCKOUT_MINUTES_ENV,
        sign_in.SESSION_HOURS_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def officer():
    return accounts.add_account("fji.officer", PASSWORD, "member", member_code="FJI")


def outcomes(username: str) -> list[str]:
    return [entry[3] for entry in reversed(sign_in.log_entries(username))]


# --- lockout and the log ----------------------------------------------------------------------


def test_twelve_wrong_passwords_lock_the_account_and_every_attempt_is_logged(officer):
    results = [
        sign_in.attempt("fji.officer", WRONG, source="10.0.0.7", now=T0 + timedelta(seconds=2 * i))
        for i in range(12)
    ]
    assert [r.outcome for r in results] == ["failed"] * 5 + ["locked"] * 7
    assert results[0].message == sign_in.NOT_RECOGNISED and results[0].locked_until is None
    assert results[4].locked_until == T0 + timedelta(seconds=8, minutes=15)
    assert "paused until 09:15 UTC" in results[4].message
    # The right password straight after is refused too, without being checked.
    locked = sign_in.attempt("fji.officer", PASSWORD, now=T0 + timedelta(seconds=25))
    assert locked.account is None and locked.outcome == "locked"
    assert "Secretariat" in locked.message
    # Who, when, from where, outcome: every attempt is in the log.
    log = sign_in.log_entries("fji.officer")
    assert len(log) == 13
    at, username, source, outcome, detail = log[-1]
    assert (username, source, outcome, detail) == (
        "fji.officer",
        "10.0.0.7",
        "failed",
        "wrong password",
    )
    assert datetime.fromisoformat(at) == T0


def test_the_lock_ends_after_the_lockout_and_a_success_starts_the_count_again(officer):
    for i in range(5):
        sign_in.attempt("fji.officer", WRONG, now=T0 + timedelta(seconds=i))
    assert sign_in.attempt("fji.officer", PASSWORD, now=T0 + timedelta(minutes=14)).account is None
    later = T0 + timedelta(minutes=15, seconds=5)
    assert sign_in.attempt("fji.officer", PASSWORD, now=later).account == officer
    for i in range(4):
        sign_in.attempt("fji.officer", WRONG, now=later + timedelta(seconds=i + 1))
    assert sign_in.locked_until("fji.officer", now=later + timedelta(seconds=10)) is None
    assert outcomes("fji.officer")[-6:] == ["locked", "signed_in", *["failed"] * 4]


def test_failures_spread_beyond_the_window_do_not_lock(officer):
    for i in range(10):
        sign_in.attempt("fji.officer", WRONG, now=T0 + timedelta(minutes=4 * i))
    assert sign_in.attempt("fji.officer", PASSWORD, now=T0 + timedelta(minutes=41)).account


def test_unknown_names_lock_like_real_ones_and_say_the_same(officer):
    real = [sign_in.attempt("fji.officer", WRONG, now=T0) for _ in range(5)]
    unknown = [sign_in.attempt("nobody.here", WRONG, now=T0) for _ in range(5)]
    assert [r.message for r in real] == [r.message for r in unknown]
    assert sign_in.attempt("nobody.here", WRONG, now=T0).outcome == "locked"
    assert sign_in.log_entries("nobody.here")[-1][4] == "unknown user name"


def test_one_address_trying_many_names_is_locked_too(officer):
    for i in range(20):
        sign_in.attempt(f"guess{i}", WRONG, source="203.0.113.9", now=T0)
    assert (
        sign_in.attempt("fji.officer", PASSWORD, source="203.0.113.9", now=T0).outcome == "locked"
    )
    assert sign_in.attempt("fji.officer", PASSWORD, source="198.51.100.1", now=T0).account


def test_the_secretariat_can_lift_a_lock(officer):
    for _ in range(5):
        sign_in.attempt("fji.officer", WRONG, now=T0)
    runner = CliRunner()
    result = runner.invoke(accounts.users_app, ["unlock", "fji.officer"])
    assert result.exit_code == 0, result.output
    assert sign_in.attempt("fji.officer", PASSWORD, now=T0).account == officer


def test_lockout_settings(officer, monkeypatch):
    monkeypatch.setenv(sign_in.MAX_FAILURES_ENV, "2")
    monkeypatch.setenv(sign_in.LOCKOUT_MINUTES_ENV, "60")
    sign_in.attempt("fji.officer", WRONG, now=T0)
    second = sign_in.attempt("fji.officer", WRONG, now=T0)
    assert second.locked_until == T0 + timedelta(hours=1)
    monkeypatch.setenv(sign_in.MAX_FAILURES_ENV, "0")
    with pytest.raises(ValueError, match="at least 1"):
        sign_in.attempt("fji.officer", WRONG, now=T0)


def test_users_log_prints_the_log_with_control_characters_spelt_out(officer):
    sign_in.attempt("evil\x1b[2J\u202e", WRONG, source="10.0.0.7", now=T0)
    sign_in.attempt("fji.officer", PASSWORD, source="10.0.0.7", now=T0)
    result = CliRunner().invoke(accounts.users_app, ["log"])
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()
    assert first.split("\t")[1:4] == ["fji.officer", "10.0.0.7", "signed_in"]
    assert "evil[U+001B][2j[U+202E]" in second and "\x1b" not in result.output
    only = CliRunner().invoke(accounts.users_app, ["log", "--user", "fji.officer"])
    assert len(only.output.splitlines()) == 1


def test_the_store_is_for_the_owner_only(officer, accounts_home):
    sign_in.attempt("fji.officer", WRONG, now=T0)
    assert (accounts_home / "sign-in.sqlite").stat().st_mode & 0o077 == 0


# --- sessions ---------------------------------------------------------------------------------


def test_a_session_token_stands_for_its_account_until_it_expires(officer):
    token = sign_in.issue_session(officer, now=T0)
    assert sign_in.resume_session(token, now=T0 + timedelta(hours=7, minutes=59)) == officer
    assert sign_in.resume_session(token, now=T0 + timedelta(hours=8)) is None
    assert sign_in.session_expires(token) == T0 + timedelta(hours=8)


def _swap_user(token: str, username: str) -> str:
    parts = token.split(".")
    parts[1] = base64.urlsafe_b64encode(username.encode()).rstrip(b"=").decode()
    return ".".join(parts)


def test_a_forged_or_altered_token_is_refused(officer):
    accounts.add_account("sec.one", PASSWORD, "secretariat")
    token = sign_in.issue_session(officer, now=T0)
    parts = token.split(".")
    later = str(int(parts[2]) + 10 * 24 * 3600)
    for forged in (
        _swap_user(token, "sec.one"),
        ".".join([*parts[:2], later, *parts[3:]]),
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "v1.x.1.y.z",
        "",
        "<script>",
    ):
        assert sign_in.resume_session(forged, now=T0) is None, forged


def test_sign_out_a_new_password_or_ending_all_sessions_ends_a_session(officer):
    signed_out = sign_in.issue_session(officer, now=T0)
    sign_in.end_session(signed_out, source="10.0.0.7", now=T0)
    assert sign_in.resume_session(signed_out, now=T0) is None
    assert outcomes("fji.officer")[-1] == "signed_out"

    before_new_password = sign_in.issue_session(officer, now=T0)
    accounts.set_password("fji.officer", "another long secret")
    assert sign_in.resume_session(before_new_password, now=T0) is None

    fresh = sign_in.issue_session(accounts.load_accounts()["fji.officer"], now=T0)
    assert sign_in.resume_session(fresh, now=T0) is not None
    assert CliRunner().invoke(accounts.users_app, ["end-sessions"]).exit_code == 0
    assert sign_in.resume_session(fresh, now=T0) is None

    removed = sign_in.issue_session(accounts.load_accounts()["fji.officer"])
    accounts.remove_account("fji.officer")
    assert sign_in.resume_session(removed) is None


# --- the dashboard ----------------------------------------------------------------------------


def _panel_script():
    import streamlit as st

    from app.auth import sign_in_panel

    st.write(f"viewer: {sign_in_panel().label}")


@pytest.fixture
def browser_cookies(monkeypatch):
    """The cookies the next page load sends (what a reload or a new tab would carry)."""
    cookies: dict[str, str] = {}
    monkeypatch.setattr(app.auth, "request_cookies", lambda: cookies)
    return cookies


def _new_tab() -> AppTest:
    return AppTest.from_function(_panel_script, default_timeout=30).run()


def _cookie_scripts(at: AppTest) -> list[str]:
    return [element.proto.body for element in at.get("html")]


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.sidebar.text_input[0].input("fji.officer")
    at.sidebar.text_input[1].input(password)
    return at.sidebar.button[0].click().run()


def test_a_reload_or_a_new_tab_keeps_the_officer_signed_in(officer, browser_cookies):
    at = _sign_in(_new_tab(), PASSWORD)
    assert at.markdown[0].value == "viewer: FJI officer"
    token = at.session_state[app.auth.TOKEN_KEY]
    assert sign_in.resume_session(token) == officer
    # The page writes the signed token into the browser's cookie ...
    [script] = _cookie_scripts(at)
    assert f"pidc_session={token}; Path=/; Max-Age=" in script and "SameSite=Strict" in script
    assert at.get("html")[0].proto.unsafe_allow_javascript
    # ... which a reload or a new tab sends back: still signed in, nothing written again.
    browser_cookies[app.auth.COOKIE_NAME] = token
    reloaded = _new_tab()
    assert reloaded.markdown[0].value == "viewer: FJI officer"
    assert reloaded.session_state["viewer"] == Viewer(
        role="member", member_code="FJI", name="fji.officer"
    )
    assert not _cookie_scripts(reloaded)
    # Sign out: the session ends on the server and the cookie is cleared.
    reloaded.sidebar.button[0].click().run()
    assert reloaded.markdown[0].value == "viewer: Public (not signed in)"
    assert any("pidc_session=; Path=/; Max-Age=0" in s for s in _cookie_scripts(reloaded))
    assert sign_in.resume_session(token) is None
    # A tab that still sends the old cookie is not signed in, and clears it.
    stale = _new_tab()
    assert stale.markdown[0].value == "viewer: Public (not signed in)"
    assert any("Max-Age=0" in s for s in _cookie_scripts(stale))
    assert outcomes("fji.officer") == ["signed_in", "signed_out"]


def test_a_forged_cookie_signs_nobody_in(officer, browser_cookies):
    browser_cookies[app.auth.COOKIE_NAME] = _swap_user(sign_in.issue_session(officer), "sec.one")
    assert _new_tab().markdown[0].value == "viewer: Public (not signed in)"


def test_an_open_tab_follows_a_sign_out_elsewhere(officer, browser_cookies):
    at = _sign_in(_new_tab(), PASSWORD)
    sign_in.end_session(at.session_state[app.auth.TOKEN_KEY])
    at.run()
    assert at.markdown[0].value == "viewer: Public (not signed in)"


def test_the_panel_locks_after_repeated_failures_and_logs_them(officer, browser_cookies):
    at = _new_tab()
    for _ in range(5):
        at = _sign_in(at, WRONG)
    assert "paused until" in at.sidebar.error[0].value
    at = _sign_in(at, PASSWORD)
    assert at.markdown[0].value == "viewer: Public (not signed in)"
    assert "Too many failed sign-ins" in at.sidebar.error[0].value
    assert outcomes("fji.officer") == ["failed"] * 5 + ["locked"]


def test_the_sign_in_log_page_is_for_the_secretariat(officer):
    sign_in.attempt('=HYPERLINK("https://evil.example")', WRONG, now=T0)
    sign_in.attempt("fji.officer", PASSWORD, now=T0)
    at = AppTest.from_file(str(PAGES / "sign_in_log.py"), default_timeout=30)
    at.session_state["viewer"] = SECRETARIAT
    at.run()
    assert not at.exception
    log = at.dataframe[0].value
    assert list(log["outcome"]) == ["signed in", "failed"]  # in words
    assert log["user name"].iloc[1].startswith("'=")  # neutralised for the grid's CSV
    officer_view = AppTest.from_file(str(PAGES / "sign_in_log.py"), default_timeout=30)
    officer_view.session_state["viewer"] = Viewer(role="member", member_code="FJI", name="x")
    officer_view.run()
    assert "Only the PIDC Secretariat" in officer_view.info[0].value and not officer_view.dataframe
