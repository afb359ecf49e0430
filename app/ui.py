"""Small helpers every page shares: the viewer, empty states, people-friendly formats."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import data_access
from app.auth import current_viewer
from app.data_access import Viewer
from pidc.contract import load_contract
from pidc.i18n import N_

# In English, marked for translation: show it with ``_``.
SIGN_IN_MESSAGE = N_(
    "Sign in to see member-level figures; the public sees regional aggregates only."
)


def viewer() -> Viewer:
    """The current viewer (public when nobody is signed in)."""
    return current_viewer()


def require_published() -> None:
    """Stop the page with a clear message when nothing has been published yet."""
    if not data_access.has_published_data():
        st.info(data_access.EMPTY_STATE_MESSAGE)
        st.stop()


def dataset_titles() -> dict[str, str]:
    """Dataset name -> title, in contract order."""
    contract = load_contract()
    return {name: contract.dataset(name).title for name in contract.dataset_names}


def choose_dataset(label: str = "Dataset", key: str = "dataset") -> str:
    """A dataset picker labelled with contract titles."""
    titles = dataset_titles()
    return st.selectbox(label, list(titles), format_func=titles.get, key=key)


def month_label(month) -> str:
    """'Oct 2026' for a month; an em dash when there is none."""
    return "—" if month is None or pd.isna(month) else f"{pd.Timestamp(month):%b %Y}"


def count_text(value) -> str:
    """A count with thousands separators; an em dash when missing (never a zero)."""
    return "—" if value is None or pd.isna(value) else f"{int(value):,}"


def small_count_label() -> str:
    """What a hidden small count shows ('<5'), from the published reporting settings."""
    return data_access.disclosure_settings().small_label


def smallest_shown_count() -> int:
    """The smallest count the public sees as a number (5), from the published settings."""
    return data_access.disclosure_settings().small_cell_max + 1


def member_names() -> dict[str, str]:
    """Member code -> name from ``dim_members``."""
    members = data_access.reference("dim_members")
    return dict(zip(members["member_code"], members["member_name"], strict=False))
