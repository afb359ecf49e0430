"""Who is looking, and the one access rule: a parameterised ``exists`` on the grants mart.

``marts.mart_dashboard_grants`` lists, per viewer (``viewer_kind``, ``viewer_code``), every owner
member and dataset whose member-level figures the viewer may see, and why (``grant_reason``:
secretariat, own or shared). Every reader of member-level rows adds :func:`grant_clause` to its
SQL; no role is special-cased here or in a page. The public holds no grant, so it sees no
member-level row; it reads the public marts only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from app.data_access.serving import MARTS_SCHEMA, published_tables, query
from pidc.i18n import _

GRANTS = "mart_dashboard_grants"

# What a grant lets the viewer read, as a condition on the grant ``g`` and the row ``{t}``:
# figures: the owner's rows of the dataset; notes: the same, beyond the viewer's own member
# only notes the owner marked shareable; records (the submissions ledger, unmapped values): a
# member's own files, or everything with a Secretariat grant.
RULES = {
    "figures": "g.owner_member = {t}.member_code and g.dataset = {dataset}",
    "notes": (
        "g.owner_member = {t}.member_code and g.dataset = {dataset}"
        " and ({t}.is_shareable or g.grant_reason <> 'shared')"
    ),
    "records": (
        "((g.owner_member = {t}.member_code and g.grant_reason = 'own')"
        " or g.grant_reason = 'secretariat')"
    ),
}


class AccessDeniedError(PermissionError):
    """The viewer asked for something their role does not allow; the message says why."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: decides every access clause. Built by the sign-in, passed to every query.

    ``role`` is 'secretariat', 'member' (a member's officer, ``member_code`` set), 'group'
    (a Profiling or Maritime Group participant, ``group_code`` set) or 'public' (not signed in).
    """

    role: str = "public"
    member_code: str | None = None
    group_code: str | None = None
    name: str = "Public visitor"

    @classmethod
    def public(cls) -> Viewer:
        """A visitor who has not signed in."""
        return cls()

    @property
    def is_public(self) -> bool:
        return self.role == "public"

    @property
    def is_secretariat(self) -> bool:
        return self.role == "secretariat"

    @property
    def grant_key(self) -> tuple[str, str]:
        """The viewer's (``viewer_kind``, ``viewer_code``) in ``mart_dashboard_grants``."""
        code = {"member": self.member_code, "group": self.group_code}.get(self.role)
        return self.role, code or self.role.upper()

    @property
    def label(self) -> str:
        """How the sidebar names the viewer's role, in the current language."""
        if self.role == "member":
            return _("{member} officer").format(member=self.member_code)
        if self.role == "group":
            return _("{group} group member").format(group=self.group_code)
        if self.role == "secretariat":
            return _("PIDC Secretariat")
        return _("Public (not signed in)")


def grant_clause(
    viewer: Viewer, alias: str, *, dataset: str | None = None, rule: str = "figures"
) -> tuple[str, list]:
    """SQL (and its parameters) that keeps only the rows of ``alias`` the viewer may see.

    ``alias`` must have ``member_code``; for figures and notes it must have ``dataset`` too
    unless ``dataset`` (a contract dataset name, sent as a parameter) is given. Without a
    published grants mart nothing is visible.
    """
    if GRANTS not in published_tables():
        return "false", []
    dataset_sql = f"{alias}.dataset" if dataset is None else "?"
    condition = RULES[rule].format(t=alias, dataset=dataset_sql)
    params = [*viewer.grant_key]
    if dataset is not None and "{dataset}" in RULES[rule]:
        params.append(dataset)
    clause = (
        f"exists (select 1 from {MARTS_SCHEMA}.{GRANTS} g"
        f" where g.viewer_kind = ? and g.viewer_code = ? and {condition})"
    )
    return clause, params


def _grants(viewer: Viewer, where: str = "true", params: tuple = ()) -> pd.DataFrame:
    if GRANTS not in published_tables():
        return pd.DataFrame(columns=["owner_member", "dataset", "grant_reason"])
    return query(
        f"select g.owner_member, g.dataset, g.grant_reason from {MARTS_SCHEMA}.{GRANTS} g"
        f" where g.viewer_kind = ? and g.viewer_code = ? and {where}"
        " order by g.owner_member, g.dataset",
        (*viewer.grant_key, *params),
    )


def has_grants(viewer: Viewer) -> bool:
    """True when the viewer may see some member-level figures."""
    return not _grants(viewer).empty


def holds_secretariat_grant(viewer: Viewer) -> bool:
    """True when the viewer may see everything, provisional regional figures included."""
    return not _grants(viewer, "g.grant_reason = 'secretariat'").empty


def visible_members(viewer: Viewer, dataset: str | None = None) -> list[str]:
    """Member codes whose figures the viewer may see (for ``dataset``, or for any dataset)."""
    if "dim_members" not in published_tables():
        return []
    where, params = ("g.dataset = ?", (dataset,)) if dataset else ("true", ())
    owners = set(_grants(viewer, where, params)["owner_member"])
    members = query(f"select member_code from {MARTS_SCHEMA}.dim_members order by member_code")
    return [code for code in members["member_code"] if code in owners]


def may_submit_for(viewer: Viewer) -> list[str]:
    """Members the viewer may submit returns for: an officer its own member (even before the
    first publication), the Secretariat every member (it keys in returns sent by e-mail)."""
    grants = _grants(viewer, "g.grant_reason in ('own', 'secretariat')")
    members = set(grants["owner_member"])
    if viewer.member_code:
        members.add(viewer.member_code)
    return sorted(members)
