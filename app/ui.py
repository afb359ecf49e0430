"""Small helpers every page shares: the viewer, empty states, people-friendly formats.

Every text here is in the current language (``pidc.i18n``): names, titles and labels from the
published reference data, months and counts written the current language's way.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import data_access
from app.auth import current_viewer
from app.data_access import Viewer
from pidc import i18n
from pidc.i18n import N_, _

# In English, marked for translation: show it with ``_``.
# A choice box's placeholder: Streamlit's own ("Choose an option") is English in every language.
CHOOSE = N_("Choose an option")
SIGN_IN_MESSAGE = N_(
    "Sign in to see member-level figures; the public sees regional aggregates only."
)


def viewer() -> Viewer:
    """The current viewer (public when nobody is signed in)."""
    return current_viewer()


def require_published() -> None:
    """Stop the page with a clear message when nothing has been published yet."""
    if not data_access.has_published_data():
        st.info(_(data_access.EMPTY_STATE_MESSAGE))
        st.stop()


def dataset_titles() -> dict[str, str]:
    """Dataset name -> title in the current language (``dim_datasets``), in contract order."""
    return data_access.dataset_titles()


def choose_dataset(label: str | None = None, key: str = "dataset") -> str:
    """A dataset picker labelled with the datasets' titles ("Dataset" by default)."""
    titles = dataset_titles()
    return st.selectbox(
        label or _("Dataset"),
        list(titles),
        format_func=titles.get,
        key=key,
        placeholder=_(CHOOSE),
    )


def month_label(month) -> str:
    """'Oct 2026' ('oct. 2026' in French) for a month; an em dash when there is none."""
    return "—" if month is None or pd.isna(month) else i18n.format_month(pd.Timestamp(month).date())


def count_text(value) -> str:
    """A count with the current language's separators; an em dash when missing (never a zero)."""
    return "—" if value is None or pd.isna(value) else i18n.format_count(int(value))


def member_label(code: str, names: dict[str, str]) -> str:
    """'Fiji (FJI)': a member's name in the current language, and its code."""
    return f"{names.get(code, code)} ({code})"


def small_count_label() -> str:
    """What a hidden small count shows ('<5'), from the published reporting settings."""
    return data_access.disclosure_settings().small_label


def smallest_shown_count() -> int:
    """The smallest count the public sees as a number (5), from the published settings."""
    return data_access.disclosure_settings().small_cell_max + 1


def member_names() -> dict[str, str]:
    """Member code -> name in the current language, from ``dim_members``."""
    return data_access.member_names()
