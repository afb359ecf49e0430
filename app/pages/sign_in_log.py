"""Sign-in log (the Secretariat only): every sign-in attempt and sign-out, and current locks."""

import pandas as pd
import streamlit as st

from app import language, sign_in, ui
from pidc.escaping import neutralise_formula, visible_controls
from pidc.i18n import N_, _

# What the log records, in English: shown with ``_`` (the log itself keeps the codes).
OUTCOME_WORDS = {
    sign_in.SIGNED_IN: N_("signed in"),
    sign_in.FAILED: N_("failed"),
    sign_in.LOCKED: N_("locked"),
    sign_in.SIGNED_OUT: N_("signed out"),
    sign_in.UNLOCKED: N_("unlocked"),
    sign_in.NO_ACCOUNT: N_("no account"),
}
DETAIL_WORDS = {
    "wrong password": N_("wrong password"),
    "unknown user name": N_("unknown user name"),
    "by the Secretariat": N_("by the Secretariat"),
    "identity provider": N_("identity provider"),
}


def detail_text(detail: str) -> str:
    """A log line's detail in the current language (a lock's end stays a UTC time)."""
    if detail in DETAIL_WORDS:
        return _(DETAIL_WORDS[detail])
    if detail.startswith("until "):
        return _("until {when}").format(when=detail.removeprefix("until "))
    return detail


language.apply()
st.title(_("Sign-in log"))
limit = st.number_input(_("Latest attempts"), min_value=10, max_value=10_000, value=200, step=50)
entries = sign_in.log_for(ui.viewer(), limit=int(limit))  # who may read it: app.sign_in
if entries is None:
    st.info(_("Only the PIDC Secretariat sees the sign-in log."))
    st.stop()
columns = ["at (UTC)", "user name", "source", "outcome", "detail"]
log = pd.DataFrame(entries, columns=columns)
if log.empty:
    st.info(_("No sign-in attempts yet."))
    st.stop()
# A moment as digits (2026-10-05 09:00:12), the same in every language.
moments = pd.to_datetime(log["at (UTC)"], errors="coerce", utc=True)
log["at (UTC)"] = moments.dt.strftime("%Y-%m-%d %H:%M:%S").fillna(log["at (UTC)"])
log["outcome"] = log["outcome"].map(lambda code: _(OUTCOME_WORDS.get(code, code)))
log["detail"] = log["detail"].map(detail_text)
# Names are whatever was typed: control characters spelt out, formulas neutralised for the
# grid's own CSV download.
for column in ("user name", "source", "detail"):
    log[column] = log[column].map(lambda text: neutralise_formula(visible_controls(text)))
headers = {
    "at (UTC)": _("At (UTC)"),
    "user name": _("User name"),
    "source": _("Source"),
    "outcome": _("Outcome"),
    "detail": _("Detail"),
}
st.dataframe(
    log,
    hide_index=True,
    width="stretch",
    column_config={column: st.column_config.TextColumn(title) for column, title in headers.items()},
)

names = sorted(set(log["user name"]) - {""})
locked = [(name, sign_in.locked_until(name)) for name in names]
locked = [(name, until) for name, until in locked if until is not None]
st.subheader(_("Locked now"))
if locked:
    st.dataframe(
        pd.DataFrame(
            [(name, f"{until:%Y-%m-%d %H:%M} UTC") for name, until in locked],
            columns=["user name", "locked until"],
        ),
        hide_index=True,
        column_config={
            "user name": st.column_config.TextColumn(_("User name")),
            "locked until": st.column_config.TextColumn(_("Locked until")),
        },
    )
    st.caption(_("Lift a lock early with `pidc users unlock NAME`."))
else:
    st.caption(_("No user name is locked."))
