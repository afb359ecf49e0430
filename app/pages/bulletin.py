"""Monthly bulletin: key figures, notable changes, alerts, compliance and shareable observations,
in the viewer's language (the HTML and PDF downloads too)."""

import pandas as pd
import streamlit as st

from app import data_access, language, ui
from app.views.bulletin import KEY_FIGURE_COLUMNS, SECTIONS, build_bulletin, to_html, to_pdf
from app.views.overview import latest_month, provisional_months
from pidc import i18n
from pidc.escaping import escape_markdown
from pidc.i18n import _

code = language.apply()
st.title(_("Monthly bulletin"))
ui.require_published()
viewer = ui.viewer()
series = data_access.regional_series(viewer)
if series.empty:
    st.info(_("No month has published regional figures yet."))
    st.stop()
months = sorted((pd.Timestamp(m) for m in series["period_month"].unique()), reverse=True)
provisional = set(provisional_months(series))
latest = latest_month(series)


def month_choice(month: pd.Timestamp) -> str:
    label = i18n.format_month_long(month.date())
    return _("{month} (provisional)").format(month=label) if month in provisional else label


month = pd.Timestamp(
    st.selectbox(
        _("Month"),
        months,
        index=months.index(latest) if latest in months else 0,
        format_func=month_choice,
        placeholder=_(ui.CHOOSE),
    )
)
bulletin = build_bulletin(viewer, month)

st.header(bulletin.title)
st.caption(bulletin.prepared_for)
# The English file names are kept as they were; another language adds its code.
stamp = f"{month:%Y-%m}" + ("" if code == i18n.DEFAULT else f"-{code}")
left, right = st.columns(2)
left.download_button(
    _("Download HTML"),
    to_html(bulletin).encode("utf-8"),
    file_name=f"pidc-bulletin-{stamp}.html",
    mime="text/html",
)
right.download_button(
    _("Download PDF"),
    to_pdf(bulletin),
    file_name=f"pidc-bulletin-{stamp}.pdf",
    mime="application/pdf",
)
st.subheader(_("Key figures"))
if bulletin.status_note:
    st.warning(bulletin.status_note)
st.dataframe(
    pd.DataFrame(bulletin.key_figures, columns=[_(name) for name in KEY_FIGURE_COLUMNS]),
    hide_index=True,
    width="stretch",
)
for heading, attribute, empty in SECTIONS:
    st.subheader(_(heading))
    items = getattr(bulletin, attribute)
    # Items quote members' own notes: escaped, so they read as text and never as links.
    st.markdown("\n".join(f"- {escape_markdown(item)}" for item in items) if items else _(empty))
