"""Alerts: unusual changes, newest first, with the numbers that triggered them and their history."""

import streamlit as st

from app import data_access, language, ui
from app.charts import alert_history_figure
from pidc import i18n
from pidc.escaping import escape_markdown
from pidc.i18n import N_, _, ngettext

# Severities and alert types in English, marked for translation: shown with ``_``.
SEVERITIES = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
ALERT_TYPES = {
    "spike": N_("spike"),
    "new_nationality": N_("new nationality"),
    "new_route": N_("new route"),
}


def alert_message(alert, names: dict[str, str], countries: dict[str, str]) -> str:
    """What an alert says. In English the mart's own sentence; in another language the same
    facts, written from the alert's columns (the mart writes its sentence in English only)."""
    if i18n.get_language() == i18n.DEFAULT:
        return alert.message
    facts = {
        "member": names.get(alert.member_code, alert.member_code),
        "dataset": ui.dataset_titles().get(alert.dataset, alert.dataset),
        "value": countries.get(alert.dimension_value, alert.dimension_value),
        "observed": ui.count_text(alert.observed_count),
        "month": ui.month_label(alert.period_month),
        "months": int(alert.baseline_months),
    }
    if alert.alert_type != "spike":
        return _(
            "{member}, {dataset}: {value} for the first time in {month} ({observed}), after "
            "{months} months of returns without it."
        ).format(**facts)
    facts["median"] = i18n.format_decimal(alert.baseline_median, digits=1)
    template = (
        _(
            "{member}, {dataset}: {observed} in {month}, against a median of {median} over the "
            "previous {months} months with a return."
        )
        if alert.dimension_value in (None, "total")
        else _(
            "{member}, {dataset} ({value}): {observed} in {month}, against a median of {median} "
            "over the previous {months} months with a return."
        )
    )
    return template.format(**facts)


language.apply()
st.title(_("Alerts"))
ui.require_published()
viewer = ui.viewer()

rows = data_access.alerts(viewer)
if rows.empty:
    st.info(_("No alerts: nothing unusual in the returns you may see."))
    st.stop()
severities = st.multiselect(
    _("Severity"),
    list(SEVERITIES),
    default=list(SEVERITIES),
    format_func=lambda value: _(SEVERITIES[value]),
    placeholder=_("Choose one or more severities"),
)
rows = rows[rows["severity"].isin(severities)]
st.caption(
    ngettext(
        "{count} alert, newest first. Open one to see its numbers and history.",
        "{count} alerts, newest first. Open one to see its numbers and history.",
        len(rows),
    ).format(count=i18n.format_count(len(rows)))
)
names = ui.member_names()
titles = ui.dataset_titles()
countries = data_access.code_labels("country")  # a nationality's alert names the country
for alert in rows.itertuples():
    kind = ALERT_TYPES.get(alert.alert_type)
    heading = (
        f"{ui.month_label(alert.period_month)} · {names.get(alert.member_code, alert.member_code)}"
        f" · {titles.get(alert.dataset, alert.dataset)}"
        f" · {_(kind) if kind else alert.alert_type.replace('_', ' ')}"
        f" ({countries.get(alert.dimension_value, alert.dimension_value)})"
        f" · {_(SEVERITIES.get(alert.severity, alert.severity))}"
    )
    # Labels and messages quote values from returns: escaped, never rendered as Markdown.
    # The expander reruns the page when opened or closed, and only an open one is drawn: a
    # page of alerts never draws every history chart at once.
    section = st.expander(
        escape_markdown(heading),
        expanded=alert.Index == rows.index[0],
        key=f"alert_{alert.alert_id}",
        on_change="rerun",
    )
    if not section.open:
        continue
    with section:
        st.markdown(escape_markdown(alert_message(alert, names, countries)))
        columns = st.columns(4)
        columns[0].metric(_("Observed"), ui.count_text(alert.observed_count))
        columns[1].metric(
            _("Baseline median"), i18n.format_decimal(alert.baseline_median, digits=1)
        )
        score = i18n.format_decimal(abs(alert.modified_z_score), digits=1)
        columns[2].metric(
            _("Modified z-score"), ("-" if alert.modified_z_score < 0 else "+") + score
        )
        columns[3].metric(_("Baseline months"), f"{int(alert.baseline_months)}")
        history = data_access.alert_series(viewer, alert.alert_id)
        if history.empty or not history["has_return"].any():
            st.caption(_("No history published for this alert."))
        else:
            st.plotly_chart(
                alert_history_figure(history, alert.baseline_median),
                width="stretch",
                key=f"history_{alert.alert_id}",
            )
            st.caption(
                _(
                    "Every month with a return is a point, a zero included; a month without a "
                    "return is a gap in the line, never a zero."
                )
            )
