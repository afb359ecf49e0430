"""Local dashboard accounts: who may sign in, with which role, under salted bcrypt hashes.

The accounts live in one TOML file, ``$PIDC_HOME/accounts.toml`` by default
(``PIDC_ACCOUNTS_FILE`` overrides the path), written with owner-only permissions. Passwords are
never stored: only bcrypt hashes, each with its own salt. ``users_app`` is the ``pidc users``
command (add, remove, list, set-password, and for sign-in security log, unlock, end-sessions:
see ``app.sign_in``).

Roles:
  secretariat - the PIDC Secretariat: every member's figures.
  member      - a member's reporting officer: their member's data, what others share with it,
                and submitting returns for that member only.
  group       - a Profiling or Maritime Group participant: what members share with that group.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import bcrypt
import typer

from pidc import i18n
from pidc.i18n import N_
from pidc.reference.seeds import read_seed, seed_exists
from pidc.settings import home

ACCOUNTS_FILE_ENV = "PIDC_ACCOUNTS_FILE"
MIN_PASSWORD_LENGTH = 10
# bcrypt only looks at the first 72 bytes; longer passwords are refused rather than truncated.
MAX_PASSWORD_BYTES = 72
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Checked against when the user name is unknown, so a wrong name costs as long as a wrong password:
# a bcrypt hash at the cost of a new account's (bcrypt.gensalt's 12 rounds), written out here
# rather than made at import, which cost every `pidc` command and dashboard process a quarter of
# a second (tests/dashboard/test_access.py checks the cost).
_DUMMY_HASH = "$2b$12$JCXSRvGglZoBgB9lvQwl1.V/l/ljDajNVBJGFsaMRRAnY/v4c8a6O"


class Role(StrEnum):
    """What an account may see (the module's docstring says what each role is); stored as text."""

    SECRETARIAT = "secretariat"
    MEMBER = "member"
    GROUP = "group"


ROLES = tuple(Role)


class AccountError(ValueError):
    """An account request that cannot be honoured; the message says what to do instead."""


@dataclass(frozen=True)
class Account:
    """One local account (never holds the password itself)."""

    username: str
    role: str
    password_hash: str
    member_code: str | None = None
    group_code: str | None = None
    display_name: str = ""
    email: str = ""
    # The dashboard language the account chose ('en' or 'fr'); None until it picks one.
    language: str | None = None


def accounts_path() -> Path:
    """The accounts file: ``$PIDC_ACCOUNTS_FILE`` if set, else ``$PIDC_HOME/accounts.toml``."""
    override = os.environ.get(ACCOUNTS_FILE_ENV)
    return Path(override).expanduser() if override else home().root / "accounts.toml"


def known_members() -> set[str]:
    """Member codes from the members reference seed."""
    return set(read_seed("reference/members")["member_code"])


def known_groups() -> set[str] | None:
    """Group codes from the sharing seed, or None when that seed does not exist yet."""
    if not seed_exists("sharing/member_groups"):
        return None
    return set(read_seed("sharing/member_groups")["group_code"])


def load_accounts(path: Path | None = None) -> dict[str, Account]:
    """Every account in the file, by user name (empty when the file does not exist)."""
    path = path or accounts_path()
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    accounts = {}
    for username, entry in document.get("accounts", {}).items():
        accounts[username] = Account(
            username=username,
            role=entry["role"],
            password_hash=entry["password_hash"],
            member_code=entry.get("member_code") or None,
            group_code=entry.get("group_code") or None,
            display_name=entry.get("display_name", ""),
            email=entry.get("email", ""),
            language=i18n.normalise(entry.get("language")),
        )
    return accounts


def _toml_string(value: str) -> str:
    # JSON's escaped ASCII string is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=True)


def save_accounts(accounts: dict[str, Account], path: Path | None = None) -> Path:
    """Write ``accounts`` atomically, readable by the owner only."""
    path = path or accounts_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# PIDC dashboard accounts. Manage with `pidc users`; do not edit hashes by hand.", ""]
    for account in sorted(accounts.values(), key=lambda a: a.username):
        lines.append(f"[accounts.{_toml_string(account.username)}]")
        lines.append(f"role = {_toml_string(account.role)}")
        for key in ("member_code", "group_code"):
            value = getattr(account, key)
            if value:
                lines.append(f"{key} = {_toml_string(value)}")
        lines.append(f"display_name = {_toml_string(account.display_name)}")
        lines.append(f"email = {_toml_string(account.email)}")
        if account.language:
            lines.append(f"language = {_toml_string(account.language)}")
        lines.append(f"password_hash = {_toml_string(account.password_hash)}")
        lines.append("")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".accounts-", suffix=".toml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write("\n".join(lines))
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def hash_password(password: str) -> str:
    """A salted bcrypt hash of ``password``; refuses passwords that are too short or too long."""
    encoded = password.encode("utf-8")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise AccountError(f"Choose a password of at most {MAX_PASSWORD_BYTES} bytes.")
    return bcrypt.hashpw(encoded, bcrypt.gensalt()).decode("ascii")


def _check_role(role: str, member_code: str | None, group_code: str | None) -> None:
    if role not in ROLES:
        raise AccountError(f"Role {role!r} is unknown; use one of: {', '.join(ROLES)}.")
    if role == Role.MEMBER:
        if not member_code:
            raise AccountError("A member officer needs --member (the member's ISO alpha-3 code).")
        if member_code not in known_members():
            raise AccountError(f"{member_code!r} is not a PIDC member code (see members.csv).")
    elif member_code:
        raise AccountError("Only member officers have a member code.")
    if role == Role.GROUP:
        groups = known_groups()
        if not group_code:
            raise AccountError("A group member needs --group (e.g. PROFILING or MARITIME).")
        if groups is not None and group_code not in groups:
            raise AccountError(
                f"{group_code!r} is not a group; known: {', '.join(sorted(groups))}."
            )
    elif group_code:
        raise AccountError("Only group members have a group code.")


def add_account(
    username: str,
    password: str,
    role: str,
    *,
    member_code: str | None = None,
    group_code: str | None = None,
    display_name: str = "",
    email: str = "",
    path: Path | None = None,
) -> Account:
    """Create an account; raises :class:`AccountError` if it exists or the request is invalid."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError(
            "User names are 2-64 characters: lower-case letters, digits, '.', '_' or '-'."
        )
    member_code = member_code.upper() if member_code else None
    group_code = group_code.upper() if group_code else None
    _check_role(role, member_code, group_code)
    accounts = load_accounts(path)
    if username in accounts:
        raise AccountError(f"{username!r} already exists; use set-password or remove it first.")
    account = Account(
        username=username,
        role=role,
        password_hash=hash_password(password),
        member_code=member_code,
        group_code=group_code,
        display_name=display_name,
        email=email,
    )
    accounts[username] = account
    save_accounts(accounts, path)
    return account


def remove_account(username: str, path: Path | None = None) -> None:
    """Delete an account; raises :class:`AccountError` if there is none by that name."""
    accounts = load_accounts(path)
    if accounts.pop(username, None) is None:
        raise AccountError(f"There is no account {username!r}.")
    save_accounts(accounts, path)


def set_password(username: str, password: str, path: Path | None = None) -> Account:
    """Replace an account's password hash (a fresh salt every time)."""
    accounts = load_accounts(path)
    if username not in accounts:
        raise AccountError(f"There is no account {username!r}.")
    old = accounts[username]
    accounts[username] = replace(old, password_hash=hash_password(password))
    save_accounts(accounts, path)
    return accounts[username]


def account_language(username: str, path: Path | None = None) -> str | None:
    """The language ``username`` chose for the dashboard, or None (no choice, no account)."""
    account = load_accounts(path).get(username)
    return account.language if account else None


def set_account_language(username: str, language: str, path: Path | None = None) -> Account:
    """Remember ``language`` ('en' or 'fr') for ``username``'s next sessions."""
    code = i18n.normalise(language)
    if code is None:
        raise AccountError(
            f"{language!r} is not a language the platform speaks: use one of "
            f"{', '.join(i18n.SUPPORTED)}."
        )
    accounts = load_accounts(path)
    if username not in accounts:
        raise AccountError(f"There is no account {username!r}.")
    accounts[username] = replace(accounts[username], language=code)
    save_accounts(accounts, path)
    return accounts[username]


def authenticate(username: str, password: str, path: Path | None = None) -> Account | None:
    """The account if ``password`` is right for ``username``, else None (never says which failed)."""
    account = load_accounts(path).get(username.strip().lower())
    encoded = password.encode("utf-8")[:MAX_PASSWORD_BYTES]
    stored = account.password_hash if account else _DUMMY_HASH
    try:
        matches = bcrypt.checkpw(encoded, stored.encode("ascii"))
    except ValueError:
        matches = False
    return account if account and matches else None


def account_for_email(email: str, path: Path | None = None) -> Account | None:
    """The local account whose e-mail matches an identity provider's (OIDC) user, if any."""
    wanted = email.strip().lower()
    for account in load_accounts(path).values():
        if wanted and account.email.strip().lower() == wanted:
            return account
    return None


users_app = typer.Typer(help=N_("Dashboard accounts (local sign-in with salted bcrypt hashes)."))

PasswordOption = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The password (prompted for when omitted).",
    ),
]


def _fail(error: AccountError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


@users_app.command("add")
def add_command(
    username: Annotated[str, typer.Argument(help="Sign-in name, e.g. fji.officer")],
    role: Annotated[str, typer.Option(help="secretariat, member or group")],
    password: PasswordOption,
    member: Annotated[str | None, typer.Option(help="Member code, for member officers")] = None,
    group: Annotated[str | None, typer.Option(help="Group code, for group members")] = None,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    email: Annotated[str, typer.Option(help="E-mail (matches an OIDC sign-in)")] = "",
) -> None:
    """Add an account."""
    try:
        account = add_account(
            username,
            password,
            role,
            member_code=member,
            group_code=group,
            display_name=name,
            email=email,
        )
    except AccountError as error:
        raise _fail(error) from None
    typer.echo(f"added {account.username} ({account.role}) to {accounts_path()}")


@users_app.command("remove")
def remove_command(username: Annotated[str, typer.Argument()]) -> None:
    """Remove an account."""
    try:
        remove_account(username)
    except AccountError as error:
        raise _fail(error) from None
    typer.echo(f"removed {username}")


@users_app.command("list")
def list_command() -> None:
    """List the accounts (never their hashes)."""
    accounts = load_accounts()
    if not accounts:
        typer.echo(f"no accounts in {accounts_path()}")
        return
    for account in sorted(accounts.values(), key=lambda a: a.username):
        scope = account.member_code or account.group_code or "all members"
        typer.echo(f"{account.username}\t{account.role}\t{scope}\t{account.display_name}")


@users_app.command("set-password")
def set_password_command(
    username: Annotated[str, typer.Argument()], password: PasswordOption
) -> None:
    """Set a new password for an account."""
    try:
        set_password(username, password)
    except AccountError as error:
        raise _fail(error) from None
    typer.echo(f"password changed for {username}")


@users_app.command("log")
def log_command(
    user: Annotated[str | None, typer.Option(help="Only this user name")] = None,
    limit: Annotated[int, typer.Option(help="How many lines, newest first")] = 50,
) -> None:
    """Show the sign-in log: every attempt and sign-out (when, who, from where, outcome)."""
    from app.sign_in import log_entries, store_path
    from pidc.escaping import visible_controls

    entries = log_entries(user, limit)
    if not entries:
        typer.echo(f"no sign-in attempts in {store_path()}")
        return
    for at, username, source, outcome, detail in entries:
        # User names are whatever was typed: control characters are spelt out, never printed.
        fields = [at, username or "-", source or "-", outcome, detail]
        typer.echo("\t".join(visible_controls(field) for field in fields))


@users_app.command("unlock")
def unlock_command(
    username: Annotated[str, typer.Argument()],
    source: Annotated[str, typer.Option(help="Also unlock this client address")] = "",
) -> None:
    """Lift the lock repeated failed sign-ins put on a user name (and an address)."""
    from app.sign_in import unlock

    unlock(username, source=source)
    typer.echo(f"unlocked {username}" + (f" and {source}" if source else ""))


@users_app.command("end-sessions")
def end_sessions_command() -> None:
    """Sign everyone out of the dashboard now (a new key for session tokens)."""
    from app.sign_in import end_all_sessions

    end_all_sessions()
    typer.echo("every dashboard session has ended; everyone signs in again")
