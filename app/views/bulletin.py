"""The monthly regional bulletin: built from the marts for one viewer and month, as HTML or PDF,
in the current language (English or French, issue 16).

Every sentence is written when the bulletin is built, in the language current then, and the
bulletin remembers that language, so its HTML and PDF read the same whoever renders them. Names
come from the reference marts: in French, ``dim_datasets.title_fr``, ``dim_members.
member_name_fr``, ``dim_countries.country_name_fr`` and ``dim_codes.label_fr`` where published and
filled, the English column otherwise. An alert's message is worded in English by the alerts mart;
the French edition words it again from the alert's figures.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from app import data_access
from app.charts import coverage_text
from app.data_access import Viewer
from ingestion.report import CONTENT_SECURITY_POLICY
from pidc import i18n
from pidc.contract import load_contract
from pidc.escaping import visible_controls
from pidc.i18n import N_, _

NOTABLE_CHANGES = 5

# In English, marked for translation: shown with ``_`` in the bulletin's language.
KEY_FIGURE_COLUMNS = (
    N_("Dataset"),
    N_("Regional total"),
    N_("On previous month"),
    N_("On same month last year"),
    N_("Members reporting"),
)
# The PDF's narrower table: the same columns, shorter headings.
PDF_KEY_FIGURE_COLUMNS = (
    N_("Dataset"),
    N_("Regional total"),
    N_("On prev. month"),
    N_("On last year"),
    N_("Members reporting"),
)
SECTIONS = (
    (
        N_("Notable changes"),
        "notable_changes",
        N_("No member-level changes to report for this audience."),
    ),
    (N_("Alerts"), "alerts", N_("No alerts this month.")),
    (
        N_("Reporting compliance"),
        "compliance",
        N_("No compliance figures for this audience."),
    ),
    (N_("Observations"), "observations", N_("No shareable observations this month.")),
)
SEVERITIES = {
    "high": N_("High severity"),
    "medium": N_("Medium severity"),
    "low": N_("Low severity"),
}
# The member groups' published names (dim_member_groups.group_name), so they can be translated.
GROUP_NAMES = (N_("Profiling Group"), N_("Maritime Group"))


@dataclass
class Bulletin:
    """Everything the bulletin says, as plain rows of text already formatted for people in
    ``language``."""

    month: pd.Timestamp
    prepared_for: str
    language: str = i18n.DEFAULT
    key_figures: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    notable_changes: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    compliance: list[str] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)
    status_note: str = ""

    @property
    def title(self) -> str:
        with i18n.language(self.language):
            return _("PIDC regional border bulletin - {month}").format(
                month=i18n.format_month_long(self.month.date())
            )


def _missing(value) -> bool:
    return value is None or pd.isna(value)


def _change(value) -> str:
    """``+12.5%`` / ``-43.4%`` (``+12,5 %`` in French); an em dash without a figure."""
    if _missing(value):
        return "—"
    text = i18n.format_percent(abs(float(value)) / 100, digits=1)
    return ("-" if round(float(value), 1) < 0 else "+") + text


def _count(value) -> str:
    return "—" if _missing(value) else i18n.format_count(int(value))


def _decimal(value) -> str:
    return "—" if _missing(value) else i18n.format_decimal(float(value), digits=1)


def localised_names(
    table: str, key: str, column: str, *, code_list: str | None = None
) -> dict[str, str]:
    """``key`` -> ``column`` of a reference mart in the current language: ``<column>_fr`` in
    French where the mart has it and it is filled, the English ``column`` otherwise."""
    frame = data_access.reference(table)
    if code_list is not None and "code_list" in frame.columns:
        frame = frame[frame["code_list"] == code_list]
    if key not in frame.columns:
        return {}

    def filled(name: str) -> dict[str, str]:
        if name not in frame.columns:
            return {}
        pairs = zip(frame[key], frame[name], strict=True)
        return {code: text for code, text in pairs if isinstance(text, str) and text.strip()}

    names = filled(column)
    language = i18n.get_language()
    if language != i18n.DEFAULT:
        names.update(filled(f"{column}_{language}"))
    return names


def dataset_titles() -> dict[str, str]:
    """Dataset -> title in the current language (the contract's English title as the fallback)."""
    contract = load_contract()
    titles = {name: contract.dataset(name).title for name in contract.dataset_names}
    if i18n.get_language() != i18n.DEFAULT:
        titles.update(localised_names("dim_datasets", "dataset", "title"))
    return titles


def prepared_for(viewer: Viewer, members: dict[str, str]) -> str:
    """Who the bulletin is for, as a sentence in the current language."""
    if viewer.role == "member":
        member = members.get(viewer.member_code or "", viewer.member_code or "")
        return _("Prepared for the reporting officer of {member}.").format(member=member)
    if viewer.role == "group":
        groups = localised_names("dim_member_groups", "group_code", "group_name")
        group = groups.get(viewer.group_code or "", viewer.group_code or "")
        return _("Prepared for the members of the {group}.").format(group=_(group))
    if viewer.is_secretariat:
        return _("Prepared for the PIDC Secretariat.")
    return _("Prepared for the public: published regional figures only.")


def _alert_subject(alert, titles: dict[str, str], countries: dict[str, str]) -> str:
    title = titles.get(alert.dataset, alert.dataset)
    kind = getattr(alert, "series_kind", None)
    if _missing(kind):
        kind = {"new_route": "route", "new_nationality": "nationality"}.get(alert.alert_type)
        kind = kind or ("total" if alert.dimension_value in (None, "", "total") else "nationality")
    country = countries.get(alert.dimension_value, alert.dimension_value)
    if kind == "total":
        return _("the total of {dataset}").format(dataset=title)
    if kind == "route":
        return _("{dataset} on the route from {country}").format(dataset=title, country=country)
    return _("{dataset}, nationals of {country}").format(dataset=title, country=country)


def alert_sentence(alert, members, titles, countries) -> str:
    """An alert in words: the mart's own message in English, worded again in another language."""
    if i18n.get_language() == i18n.DEFAULT:
        message = alert.message
    else:
        values = {
            "member": members.get(alert.member_code, alert.member_code),
            "count": _count(alert.observed_count),
            "subject": _alert_subject(alert, titles, countries),
            "month": i18n.format_month_long(pd.Timestamp(alert.period_month).date()),
            "months": _count(alert.baseline_months),
        }
        if alert.alert_type == "spike":
            message = _(
                "{member} reported {count} for {subject} in {month}, against a median of "
                "{median} (MAD {mad}) over the previous {months} months with a return; "
                "modified z-score {score}."
            ).format(
                **values,
                median=_decimal(alert.baseline_median),
                mad=_decimal(alert.baseline_mad),
                score=_decimal(alert.modified_z_score),
            )
        else:
            message = _(
                "{member} reported {subject} for the first time in {month}: {count}, after "
                "{months} months of returns without it."
            ).format(**values)
    severity = SEVERITIES.get(alert.severity)
    return _("{severity}: {message}").format(
        severity=_(severity) if severity else alert.severity, message=message
    )


def _compliance(row) -> list[str]:
    lines = [
        _(
            "{received} of {expected} expected returns received ({completeness}), {on_time} on "
            "time ({timeliness}), {late} late, {missing} missing."
        ).format(
            received=_count(row["received_returns"]),
            expected=_count(row["expected_returns"]),
            completeness=i18n.format_percent(float(row["completeness_rate"]), digits=0),
            on_time=_count(row["on_time_returns"]),
            timeliness=i18n.format_percent(float(row["timeliness_rate"]), digits=0),
            late=_count(row["late_returns"]),
            missing=_count(row["missing_returns"]),
        )
    ]
    if isinstance(row["missing_members"], str) and row["missing_members"]:
        lines.append(_("Returns missing from: {members}.").format(members=row["missing_members"]))
    return lines


def build_bulletin(viewer: Viewer, month: pd.Timestamp) -> Bulletin:
    """The bulletin for ``month`` with only what ``viewer`` may see (the data layer decides), in
    the current language."""
    month = pd.Timestamp(month)
    titles = dataset_titles()
    names = localised_names("dim_members", "member_code", "member_name")
    bulletin = Bulletin(
        month=month, prepared_for=prepared_for(viewer, names), language=i18n.get_language()
    )

    regional = data_access.regional_series(viewer)
    this_month = regional[regional["period_month"] == month]
    for name in load_contract().dataset_names:
        title = titles.get(name, name)
        row = this_month[this_month["dataset"] == name]
        if row.empty:
            none_yet = _("no returns yet")
            bulletin.key_figures.append((title, none_yet, "—", "—", none_yet))
            continue
        first = row.iloc[0]
        coverage = coverage_text(first)
        status = first.get("completeness_status")
        if status == "incomplete":
            coverage = _("Incomplete: {coverage}").format(coverage=coverage)
        elif status == "provisional":
            coverage = _("Provisional: {coverage}").format(coverage=coverage)
        bulletin.key_figures.append(
            (
                title,
                _count(first["total_count"]),
                _change(first["mom_change_pct"]),
                _change(first["yoy_change_pct"]),
                coverage,
            )
        )
    statuses = set(this_month["completeness_status"].dropna())
    if "provisional" in statuses:
        bulletin.status_note = _(
            "Provisional: the deadline for this month has not passed and not every member has"
            " reported. Not for publication."
        )
    elif "incomplete" in statuses:
        bulletin.status_note = _(
            "Some figures are incomplete: the deadline passed before every member reported."
            " Changes compare only the members that reported in both months."
        )

    # Ranked in the mart (largest change either way first, tiny bases left out).
    changes = data_access.notable_changes(viewer, month, limit=NOTABLE_CHANGES)
    for row in changes.itertuples():
        bulletin.notable_changes.append(
            _(
                "{member}, {dataset}: {total} ({change} on the previous month, from {previous})."
            ).format(
                member=names.get(row.member_code, row.member_code),
                dataset=titles.get(row.dataset, row.dataset),
                total=_count(row.total_count),
                change=_change(row.mom_change_pct),
                previous=_count(row.previous_month_total),
            )
        )

    month_alerts = data_access.alerts(viewer)
    month_alerts = month_alerts[month_alerts["period_month"] == month]
    if not month_alerts.empty:
        countries = localised_names("dim_countries", "country_code", "country_name")
        bulletin.alerts = [
            alert_sentence(alert, names, titles, countries) for alert in month_alerts.itertuples()
        ]

    compliance = data_access.viewer_compliance(viewer, month)
    if not compliance.empty:
        bulletin.compliance = _compliance(compliance.iloc[0])

    notes = data_access.observations(viewer, month)
    # The bulletin travels: only notes the member agreed to share, whoever builds it.
    notes = notes[notes["is_shareable"].astype(bool)]
    if not notes.empty:
        topics = localised_names("dim_codes", "code", "label", code_list="observation_topic")
        # The note itself is the member's own words: quoted as written, never translated.
        bulletin.observations = [
            _("{member} ({dataset}, {topic}): {note}").format(
                member=names.get(row.member_code, row.member_code),
                dataset=titles.get(row.dataset, row.dataset),
                topic=topics.get(row.topic, row.topic),
                note=row.note,
            )
            for row in notes.itertuples()
        ]
    return bulletin


def to_html(bulletin: Bulletin) -> str:
    """A self-contained HTML page in the bulletin's language (no external fonts, scripts or
    images, whatever notes say)."""

    def esc(text: object) -> str:
        return html.escape(visible_controls(str(text)))

    with i18n.language(bulletin.language):
        rows = "".join(
            "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
            for row in bulletin.key_figures
        )
        header = "".join(f"<th>{esc(_(name))}</th>" for name in KEY_FIGURE_COLUMNS)
        body = [
            f"<h1>{esc(bulletin.title)}</h1>",
            f"<p>{esc(bulletin.prepared_for)}</p>",
            f"<h2>{esc(_('Key figures'))}</h2>",
        ]
        if bulletin.status_note:
            body.append(f"<p><strong>{esc(bulletin.status_note)}</strong></p>")
        body.append(f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>")
        for heading, attribute, empty in SECTIONS:
            items = getattr(bulletin, attribute)
            body.append(f"<h2>{esc(_(heading))}</h2>")
            if items:
                body.append("<ul>" + "".join(f"<li>{esc(item)}</li>" for item in items) + "</ul>")
            else:
                body.append(f"<p>{esc(_(empty))}</p>")
    return (
        f"<!doctype html><html lang='{esc(bulletin.language)}'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CONTENT_SECURITY_POLICY}\">"
        f"<title>{esc(bulletin.title)}</title><style>body{{font-family:sans-serif;"
        "max-width:60em;margin:auto}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "table{border-collapse:collapse}</style></head><body>" + "".join(body) + "</body></html>"
    )


# What the PDF core fonts (Latin-1 only) cannot draw, spelt with what they can. French needs
# only the ligatures: its accents, ç and « » are Latin-1. The narrow no-break space Babel puts in
# French numbers (4 025 589, 12,5 %) becomes a Latin-1 no-break space.
LATIN1_SPELLINGS = {
    "—": "-",
    "–": "-",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "œ": "oe",
    "Œ": "OE",
    "\u202f": "\u00a0",
    "\u2009": " ",
}


def latin1(text: str) -> str:
    """``text`` as the PDF core fonts can draw it (anything else left becomes ``?``)."""
    # Written as plain text (never fpdf2's markdown): control characters are spelt out.
    text = visible_controls(text)
    for old, new in LATIN1_SPELLINGS.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as a PDF in its language (fpdf2 with its built-in Helvetica)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    with i18n.language(bulletin.language):
        pdf = FPDF(format="A4")
        pdf.set_title(latin1(bulletin.title))
        pdf.set_author(latin1(_("PIDC Secretariat")))
        pdf.set_lang(bulletin.language)
        pdf.add_page()
        line = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

        pdf.set_font("helvetica", "B", 16)
        pdf.multi_cell(0, 9, latin1(bulletin.title), **line)
        pdf.set_font("helvetica", "", 10)
        pdf.multi_cell(0, 6, latin1(bulletin.prepared_for), **line)
        pdf.ln(3)
        pdf.set_font("helvetica", "B", 13)
        pdf.multi_cell(0, 8, latin1(_("Key figures")), **line)
        if bulletin.status_note:
            pdf.set_font("helvetica", "B", 9)
            pdf.multi_cell(0, 5, latin1(bulletin.status_note), **line)
        pdf.set_font("helvetica", "", 8)
        # A table wraps long titles (French ones are longer) inside their cells.
        with pdf.table(
            col_widths=(44, 24, 22, 22, 78), line_height=5, text_align="LEFT", markdown=False
        ) as table:
            table.row([latin1(_(name)) for name in PDF_KEY_FIGURE_COLUMNS])
            for figures in bulletin.key_figures:
                table.row([latin1(text) for text in figures])
        for heading, attribute, empty in SECTIONS:
            pdf.ln(3)
            pdf.set_font("helvetica", "B", 13)
            pdf.multi_cell(0, 8, latin1(_(heading)), **line)
            pdf.set_font("helvetica", "", 10)
            for item in getattr(bulletin, attribute) or [_(empty)]:
                pdf.multi_cell(0, 6, latin1(f"- {item}"), **line)
        return bytes(pdf.output())
