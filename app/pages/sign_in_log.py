"""Sign-in log (the Secretariat only): every sign-in attempt and sign-out, and current locks."""

import pandas as pd
import streamlit as st

from app import sign_in, ui
from pidc.escaping import neutralise_formula, visible_controls

st.title("Sign-in log")
limit = st.number_input("Latest attempts", min_value=10, max_value=10_000, value=200, step=50)
entries = sign_in.log_for(ui.viewer(), limit=int(limit))  # who may read it: app.sign_in
if entries is None:
    st.info("Only the PIDC Secretariat sees the sign-in log.")
    st.stop()
columns = ["at (UTC)", "user name", "source", "outcome", "detail"]
log = pd.DataFrame(entries, columns=columns)
if log.empty:
    st.info("No sign-in attempts yet.")
    st.stop()
# Names are whatever was typed: control characters spelt out, formulas neutralised for the
# grid's own CSV download.
for column in ("user name", "source", "detail"):
    log[column] = log[column].map(lambda text: neutralise_formula(visible_controls(text)))
st.dataframe(log, hide_index=True, width="stretch")

names = sorted(set(log["user name"]) - {""})
locked = [(name, sign_in.locked_until(name)) for name in names]
locked = [(name, until) for name, until in locked if until is not None]
st.subheader("Locked now")
if locked:
    st.dataframe(
        pd.DataFrame(
            [(name, f"{until:%Y-%m-%d %H:%M} UTC") for name, until in locked],
            columns=["user name", "locked until"],
        ),
        hide_index=True,
    )
    st.caption("Lift a lock early with `pidc users unlock NAME`.")
else:
    st.caption("No user name is locked.")
