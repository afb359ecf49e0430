"""The dashboard's navigation, built per viewer: only the pages the viewer may open.

The public gets the public pages and nothing else, and a page left out cannot be reached by its
address either. Pages do not stop themselves by role; which rows they show is the data layer's
(``app.data_access``) decision.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app import data_access
from app.data_access import Viewer
from pidc.i18n import N_, _

PAGES = Path(__file__).parent / "pages"


def everyone(viewer: Viewer) -> bool:
    return True


def signed_in(viewer: Viewer) -> bool:
    """Member-level pages: anyone signed in (the grants decide which rows they show)."""
    return not viewer.is_public


def submits_returns(viewer: Viewer) -> bool:
    """The Secretariat and member officers: the members they submit for, and their ledger."""
    return bool(data_access.may_submit_for(viewer))


def administers(viewer: Viewer) -> bool:
    return viewer.is_secretariat


@dataclass(frozen=True)
class PageEntry:
    """One page of the navigation and who may open it (section and title in English, marked for
    translation: ``pages_for`` shows them in the current language)."""

    section: str
    file: str
    title: str
    may_open: Callable[[Viewer], bool]
    default: bool = False


NAVIGATION = (
    PageEntry(
        N_("Regional picture"), "overview.py", N_("Regional overview"), everyone, default=True
    ),
    PageEntry(N_("Regional picture"), "explorer.py", N_("Dataset explorer"), everyone),
    PageEntry(N_("Regional picture"), "member_profile.py", N_("Member profile"), signed_in),
    PageEntry(N_("Regional picture"), "alerts.py", N_("Alerts"), signed_in),
    PageEntry(N_("Regional picture"), "bulletin.py", N_("Monthly bulletin"), everyone),
    PageEntry(N_("Regional picture"), "downloads.py", N_("Downloads"), everyone),
    PageEntry(N_("Reporting"), "compliance.py", N_("Reporting compliance"), signed_in),
    PageEntry(N_("Reporting"), "data_quality.py", N_("Data quality"), submits_returns),
    PageEntry(N_("Reporting"), "submit.py", N_("Submit a return"), submits_returns),
    PageEntry(N_("Administration"), "sign_in_log.py", N_("Sign-in log"), administers),
)


def entries_for(viewer: Viewer) -> list[PageEntry]:
    """The pages ``viewer`` may open, in navigation order."""
    return [entry for entry in NAVIGATION if entry.may_open(viewer)]


def pages_for(viewer: Viewer) -> dict[str, list[st.Page]]:
    """The navigation's sections and pages for ``viewer``, in order (for ``st.navigation``)."""
    pages: dict[str, list[st.Page]] = {}
    for entry in entries_for(viewer):
        page = st.Page(PAGES / entry.file, title=_(entry.title), default=entry.default)
        pages.setdefault(_(entry.section), []).append(page)
    return pages
