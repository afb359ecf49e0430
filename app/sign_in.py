"""Sign-in security for the dashboard's local accounts: the attempt log, lockouts and sessions.

Beside the accounts file (``app.accounts``) lives one SQLite file, ``sign-in.sqlite``
(``PIDC_SIGN_IN_DB`` overrides the path), owner-only like the accounts file. It holds:

- ``sign_in_attempts``: every sign-in attempt and sign-out, with who (the user name typed), when
  (UTC), from where (the client address the dashboard saw) and the outcome. The Secretariat reads
  it with ``pidc users log`` or on the dashboard's Sign-in log page.
- lockouts, computed from that log: ``PIDC_SIGN_IN_MAX_FAILURES`` (5) failures for one user name
  within ``PIDC_SIGN_IN_LOCKOUT_MINUTES`` (15) lock that name for that many minutes from the last
  of them, and ``PIDC_SIGN_IN_SOURCE_MAX_FAILURES`` (20) failures from one address lock the
  address the same way. A locked attempt is refused without looking at the password, logged, and
  does not extend the lock. A successful sign-in, or ``pidc users unlock``, starts the count of a
  name again. Unknown names lock like real ones, so a lock says nothing about who has an account.
- the key that signs sessions, and the sessions ended before they expired.

A session is a signed token ``v1.<user>.<expires>.<id>.<signature>``: an HMAC-SHA256 with the
store's key over the rest and over a fingerprint of the account's current password hash, so a
changed password, a removed account, ``pidc users end-sessions`` (a new key) or a sign-out (the id
is recorded as ended) each end it before it expires after ``PIDC_SESSION_HOURS`` (8).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from app.accounts import Account, accounts_path, authenticate, load_accounts
from pidc.i18n import N_, _

SIGN_IN_DB_ENV = "PIDC_SIGN_IN_DB"
MAX_FAILURES_ENV = "PIDC_SIGN_IN_MAX_FAILURES"
SOURCE_MAX_FAILURES_ENV = "PIDC_SIGN_IN_SOURCE_MAX_FAILURES"
LOCKOUT_MINUTES_ENV = "PIDC_SIGN_IN_LOCKOUT_MINUTES"
SESSION_HOURS_ENV = "PIDC_SESSION_HOURS"
DEFAULTS = {
    MAX_FAILURES_ENV: 5,
    SOURCE_MAX_FAILURES_ENV: 20,
    LOCKOUT_MINUTES_ENV: 15,
    SESSION_HOURS_ENV: 8,
}


class Outcome(StrEnum):
    """The outcome of an entry in the sign-in log (stored as its text)."""

    SIGNED_IN = "signed_in"
    FAILED = "failed"  # unknown user name or wrong password (the detail says which)
    LOCKED = "locked"  # refused, the password not checked: the name or the address is locked
    SIGNED_OUT = "signed_out"
    UNLOCKED = "unlocked"  # by the Secretariat (pidc users unlock)
    NO_ACCOUNT = "no_account"  # an identity-provider user with no local account


SIGNED_IN = Outcome.SIGNED_IN
FAILED = Outcome.FAILED
LOCKED = Outcome.LOCKED
SIGNED_OUT = Outcome.SIGNED_OUT
UNLOCKED = Outcome.UNLOCKED
NO_ACCOUNT = Outcome.NO_ACCOUNT

# In English, marked for translation: shown with ``_`` (the signing-in tab's language).
NOT_RECOGNISED = N_("User name or password not recognised.")
# Longest user name kept in the log: real names are at most 64 characters.
_MAX_LOGGED_NAME = 100
_TOKEN = re.compile(
    r"^v1\.[A-Za-z0-9_-]{1,120}\.[0-9]{1,12}\.[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{43}$"
)


def _setting(name: str) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return DEFAULTS[name]
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}.")
    return value


def max_failures() -> int:
    return _setting(MAX_FAILURES_ENV)


def source_max_failures() -> int:
    return _setting(SOURCE_MAX_FAILURES_ENV)


def lockout() -> timedelta:
    return timedelta(minutes=_setting(LOCKOUT_MINUTES_ENV))


def session_lifetime() -> timedelta:
    return timedelta(hours=_setting(SESSION_HOURS_ENV))


def store_path() -> Path:
    """``$PIDC_SIGN_IN_DB`` if set, else ``sign-in.sqlite`` beside the accounts file."""
    override = os.environ.get(SIGN_IN_DB_ENV)
    return Path(override).expanduser() if override else accounts_path().with_name("sign-in.sqlite")


_SCHEMA = """
create table if not exists sign_in_attempts (
    id integer primary key autoincrement,
    at text not null,
    username text not null,
    source text not null,
    outcome text not null,
    detail text not null default ''
);
create index if not exists sign_in_attempts_by_user on sign_in_attempts (username, id);
create index if not exists sign_in_attempts_by_source on sign_in_attempts (source, id);
create table if not exists session_key (
    id integer primary key check (id = 1),
    secret blob not null
);
create table if not exists ended_sessions (
    session_id text primary key,
    expires_at text not null
);
"""


@contextmanager
def _store() -> Iterator[sqlite3.Connection]:
    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Owner-only from the first byte: it holds the key that signs sessions.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.executescript(_SCHEMA)
        yield connection
    finally:
        connection.close()


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def normalise_username(username: str) -> str:
    return username.strip().lower()[:_MAX_LOGGED_NAME]


def record(
    username: str,
    outcome: str,
    *,
    source: str = "",
    detail: str = "",
    now: datetime | None = None,
) -> None:
    """Add one line to the sign-in log."""
    with _store() as connection:
        connection.execute(
            "insert into sign_in_attempts (at, username, source, outcome, detail) "
            "values (?, ?, ?, ?, ?)",
            [_stamp(_now(now)), normalise_username(username), source or "", outcome, detail],
        )


def _locked_until(
    connection: sqlite3.Connection,
    column: str,
    value: str,
    limit: int,
    now: datetime,
    *,
    reset_outcomes: tuple[str, ...],
) -> datetime | None:
    window = lockout()
    reset = connection.execute(
        f"select coalesce(max(id), 0) from sign_in_attempts where {column} = ? "
        f"and outcome in ({', '.join('?' for _ in reset_outcomes)})",
        [value, *reset_outcomes],
    ).fetchone()[0]
    failures = [
        datetime.fromisoformat(row[0])
        for row in connection.execute(
            f"select at from sign_in_attempts where {column} = ? and outcome = ? "
            "and id > ? order by id desc limit ?",
            [value, FAILED, reset, limit],
        ).fetchall()
    ]
    if len(failures) < limit or failures[0] - failures[-1] > window:
        return None
    until = failures[0] + window
    return until if now < until else None


def locked_until(username: str, source: str = "", now: datetime | None = None) -> datetime | None:
    """When the lock on ``username`` (or on ``source``) ends, or None when neither is locked."""
    moment = _now(now)
    with _store() as connection:
        ends = [
            _locked_until(
                connection,
                "username",
                normalise_username(username),
                max_failures(),
                moment,
                reset_outcomes=(SIGNED_IN, UNLOCKED),
            )
        ]
        if source:
            ends.append(
                _locked_until(
                    connection,
                    "source",
                    source,
                    source_max_failures(),
                    moment,
                    reset_outcomes=(UNLOCKED,),
                )
            )
    ends = [end for end in ends if end is not None]
    return max(ends) if ends else None


@dataclass(frozen=True)
class SignInResult:
    """What one attempt came to: the account when it succeeded, else a message to show."""

    account: Account | None
    outcome: str
    message: str = ""
    locked_until: datetime | None = None


def attempt(
    username: str,
    password: str,
    *,
    source: str = "",
    now: datetime | None = None,
    path: Path | None = None,
) -> SignInResult:
    """Check a sign-in: refused while locked, else the password checked; always logged."""
    moment = _now(now)
    until = locked_until(username, source, moment)
    if until is not None:
        record(username, LOCKED, source=source, detail=f"until {_stamp(until)}", now=moment)
        return SignInResult(
            None,
            LOCKED,
            _(
                "Too many failed sign-ins: signing in is paused until {time} UTC. "
                "Ask the PIDC Secretariat if you need access sooner."
            ).format(time=f"{until:%H:%M}"),
            until,
        )
    account = authenticate(username, password, path)
    if account is None:
        known = normalise_username(username) in load_accounts(path)
        detail = "wrong password" if known else "unknown user name"
        record(username, FAILED, source=source, detail=detail, now=moment)
        until = locked_until(username, source, moment)
        message = _(NOT_RECOGNISED)
        if until is not None:
            message += " " + _(
                "Too many failed sign-ins: signing in is paused until {time} UTC."
            ).format(time=f"{until:%H:%M}")
        return SignInResult(None, FAILED, message, until)
    record(account.username, SIGNED_IN, source=source, now=moment)
    return SignInResult(account, SIGNED_IN)


def unlock(username: str, *, source: str = "", now: datetime | None = None) -> None:
    """Lift a lock on a user name (or, with ``source``, on an address too); logged."""
    record(username, UNLOCKED, detail="by the Secretariat", now=now)
    if source:
        record("", UNLOCKED, source=source, detail="by the Secretariat", now=now)


def log_entries(
    username: str | None = None, limit: int = 100
) -> list[tuple[str, str, str, str, str]]:
    """The latest ``limit`` log lines, newest first: (at, username, source, outcome, detail)."""
    with _store() as connection:
        if username is None:
            rows = connection.execute(
                "select at, username, source, outcome, detail from sign_in_attempts "
                "order by id desc limit ?",
                [limit],
            )
        else:
            rows = connection.execute(
                "select at, username, source, outcome, detail from sign_in_attempts "
                "where username = ? order by id desc limit ?",
                [normalise_username(username), limit],
            )
        return [tuple(row) for row in rows.fetchall()]


def log_for(viewer, limit: int = 100) -> list[tuple[str, str, str, str, str]] | None:
    """The sign-in log as ``viewer`` may read it: the latest ``limit`` lines for the Secretariat,
    ``None`` for anyone else (the log names every account and address that tried to sign in)."""
    if not viewer.is_secretariat:
        return None
    return log_entries(limit=limit)


# --- sessions -------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(connection: sqlite3.Connection) -> bytes:
    connection.execute(
        "insert or ignore into session_key (id, secret) values (1, ?)", [secrets.token_bytes(32)]
    )
    return connection.execute("select secret from session_key where id = 1").fetchone()[0]


def _signature(key: bytes, payload: str, account: Account) -> str:
    # The password hash is in the signature: a new password ends every older session.
    fingerprint = hashlib.sha256(account.password_hash.encode("utf-8")).hexdigest()
    message = f"{payload}|{fingerprint}|{account.role}".encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def issue_session(account: Account, now: datetime | None = None) -> str:
    """A signed session token for ``account`` that expires after ``PIDC_SESSION_HOURS``."""
    expires = int((_now(now) + session_lifetime()).timestamp())
    payload = f"v1.{_b64(account.username.encode('utf-8'))}.{expires}.{secrets.token_urlsafe(18)}"
    with _store() as connection:
        key = _key(connection)
    return f"{payload}.{_signature(key, payload, account)}"


def _parts(token: str) -> tuple[str, str, int, str, str] | None:
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    version, user, expires, session_id, signature = token.split(".")
    try:
        username = _unb64(user).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return f"{version}.{user}.{expires}.{session_id}", username, int(expires), session_id, signature


def resume_session(
    token: str, now: datetime | None = None, path: Path | None = None
) -> Account | None:
    """The account a session token still stands for, or None (forged, expired or ended)."""
    parts = _parts(token)
    if parts is None:
        return None
    payload, username, expires, session_id, signature = parts
    if _now(now).timestamp() >= expires:
        return None
    account = load_accounts(path).get(username)
    if account is None:
        return None
    with _store() as connection:
        key = _key(connection)
        ended = connection.execute(
            "select 1 from ended_sessions where session_id = ?", [session_id]
        ).fetchone()
    if ended or not hmac.compare_digest(signature, _signature(key, payload, account)):
        return None
    return account


def session_expires(token: str) -> datetime | None:
    """When a well-formed token expires (for the cookie's lifetime)."""
    parts = _parts(token)
    return datetime.fromtimestamp(parts[2], UTC) if parts else None


def end_session(token: str, *, source: str = "", now: datetime | None = None) -> None:
    """Sign out: the token's session is recorded as ended (it never works again); logged."""
    parts = _parts(token)
    if parts is None:
        return
    _, username, expires, session_id, _ = parts
    moment = _now(now)
    with _store() as connection:
        connection.execute(
            "delete from ended_sessions where expires_at < ?", [_stamp(moment)]
        )  # past their expiry they are refused anyway
        connection.execute(
            "insert or ignore into ended_sessions (session_id, expires_at) values (?, ?)",
            [session_id, _stamp(datetime.fromtimestamp(expires, UTC))],
        )
    record(username, SIGNED_OUT, source=source, now=moment)


def end_all_sessions() -> None:
    """A new signing key: every session issued so far stops working at once."""
    with _store() as connection:
        connection.execute("delete from session_key")
        connection.execute("delete from ended_sessions")
