"""The monthly regional bulletin: built from the marts for one viewer and month, as HTML or PDF."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from app import data_access
from app.charts import coverage_text
from app.data_access import Viewer
from ingestion.report import CONTENT_SECURITY_POLICY
from pidc.contract import load_contract
from pidc.escaping import visible_controls

NOTABLE_CHANGES = 5


@dataclass
class Bulletin:
    """Everything the bulletin says, as plain rows of text (already formatted for people)."""

    month: pd.Timestamp
    audience: str
    key_figures: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    notable_changes: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    compliance: list[str] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)
    status_note: str = ""

    @property
    def title(self) -> str:
        return f"PIDC regional border bulletin - {self.month:%B %Y}"


def _pct(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):+.1f}%"


def _count(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{int(value):,}"


def build_bulletin(viewer: Viewer, month: pd.Timestamp) -> Bulletin:
    """The bulletin for ``month`` with only what ``viewer`` may see (the data layer decides)."""
    month = pd.Timestamp(month)
    contract = load_contract()
    titles = {name: contract.dataset(name).title for name in contract.dataset_names}
    bulletin = Bulletin(month=month, audience=viewer.label)

    regional = data_access.regional_series(viewer)
    this_month = regional[regional["period_month"] == month]
    for name, title in titles.items():
        row = this_month[this_month["dataset"] == name]
        if row.empty:
            bulletin.key_figures.append((title, "no returns yet", "—", "—", "no returns yet"))
            continue
        first = row.iloc[0]
        coverage = coverage_text(first)
        status = first.get("completeness_status")
        if status in ("incomplete", "provisional"):
            coverage = f"{status}: {coverage}"
        bulletin.key_figures.append(
            (
                title,
                _count(first["total_count"]),
                _pct(first["mom_change_pct"]),
                _pct(first["yoy_change_pct"]),
                coverage,
            )
        )
    statuses = set(this_month["completeness_status"].dropna())
    if "provisional" in statuses:
        bulletin.status_note = (
            "Provisional: the deadline for this month has not passed and not every member has"
            " reported. Not for publication."
        )
    elif "incomplete" in statuses:
        bulletin.status_note = (
            "Some figures are incomplete: the deadline passed before every member reported."
            " Changes compare only the members that reported in both months."
        )

    members = data_access.reference("dim_members")
    names = dict(zip(members["member_code"], members["member_name"], strict=False))
    # Ranked in the mart (largest change either way first, tiny bases left out).
    changes = data_access.notable_changes(viewer, month, limit=NOTABLE_CHANGES)
    for row in changes.itertuples():
        bulletin.notable_changes.append(
            f"{names.get(row.member_code, row.member_code)}, {titles.get(row.dataset, row.dataset)}:"
            f" {_count(row.total_count)} ({_pct(row.mom_change_pct)} on the previous month,"
            f" from {_count(row.previous_month_total)})."
        )

    month_alerts = data_access.alerts(viewer)
    month_alerts = month_alerts[month_alerts["period_month"] == month]
    bulletin.alerts = [f"[{row.severity}] {row.message}" for row in month_alerts.itertuples()]

    compliance = data_access.viewer_compliance(viewer, month)
    if not compliance.empty:
        row = compliance.iloc[0]
        bulletin.compliance.append(
            f"{int(row['received_returns'])} of {int(row['expected_returns'])} expected returns"
            f" received ({row['completeness_rate']:.0%}), {int(row['on_time_returns'])} on time"
            f" ({row['timeliness_rate']:.0%}), {int(row['late_returns'])} late,"
            f" {int(row['missing_returns'])} missing."
        )
        if isinstance(row["missing_members"], str) and row["missing_members"]:
            bulletin.compliance.append(f"Returns missing from: {row['missing_members']}.")

    notes = data_access.observations(viewer, month)
    # The bulletin travels: only notes the member agreed to share, whoever builds it.
    notes = notes[notes["is_shareable"].astype(bool)]
    bulletin.observations = [
        f"{names.get(row.member_code, row.member_code)} ({titles.get(row.dataset, row.dataset)},"
        f" {row.topic}): {row.note}"
        for row in notes.itertuples()
    ]
    return bulletin


KEY_FIGURE_COLUMNS = (
    "Dataset",
    "Regional total",
    "On previous month",
    "On same month last year",
    "Members reporting",
)
SECTIONS = (
    ("Notable changes", "notable_changes", "No member-level changes to report for this audience."),
    ("Alerts", "alerts", "No alerts this month."),
    ("Reporting compliance", "compliance", "No compliance figures for this audience."),
    ("Observations", "observations", "No shareable observations this month."),
)


def to_html(bulletin: Bulletin) -> str:
    """A self-contained HTML page (no external fonts, scripts or images, whatever notes say)."""

    def esc(text: object) -> str:
        return html.escape(visible_controls(str(text)))

    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
        for row in bulletin.key_figures
    )
    header = "".join(f"<th>{esc(name)}</th>" for name in KEY_FIGURE_COLUMNS)
    body = [
        f"<h1>{esc(bulletin.title)}</h1>",
        f"<p>Prepared for: {esc(bulletin.audience)}.</p>",
        "<h2>Key figures</h2>",
    ]
    if bulletin.status_note:
        body.append(f"<p><strong>{esc(bulletin.status_note)}</strong></p>")
    body.append(f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>")
    for heading, attribute, empty in SECTIONS:
        items = getattr(bulletin, attribute)
        body.append(f"<h2>{esc(heading)}</h2>")
        if items:
            body.append("<ul>" + "".join(f"<li>{esc(item)}</li>" for item in items) + "</ul>")
        else:
            body.append(f"<p>{esc(empty)}</p>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CONTENT_SECURITY_POLICY}\">"
        f"<title>{esc(bulletin.title)}</title><style>body{{font-family:sans-serif;"
        "max-width:60em;margin:auto}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "table{border-collapse:collapse}</style></head><body>" + "".join(body) + "</body></html>"
    )


def _latin1(text: str) -> str:
    # The PDF core fonts are Latin-1 only; nothing is downloaded, so no other font is used.
    # Written as plain text (never fpdf2's markdown): control characters are spelt out.
    text = visible_controls(text)
    replacements = {"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "..."}
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as a PDF (fpdf2 with its built-in Helvetica)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(bulletin.title))
    pdf.set_author("PIDC Secretariat")
    pdf.add_page()
    line = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(bulletin.title), **line)
    pdf.set_font("helvetica", "", 10)
    pdf.multi_cell(0, 6, _latin1(f"Prepared for: {bulletin.audience}."), **line)
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 13)
    pdf.multi_cell(0, 8, "Key figures", **line)
    if bulletin.status_note:
        pdf.set_font("helvetica", "B", 9)
        pdf.multi_cell(0, 5, _latin1(bulletin.status_note), **line)
    widths = (44, 24, 22, 22, 78)
    pdf.set_font("helvetica", "B", 8)
    for width, text in zip(
        widths,
        ("Dataset", "Regional total", "On prev. month", "On last year", "Members reporting"),
        strict=True,
    ):
        pdf.cell(width, 7, text, border=1)
    pdf.ln()
    pdf.set_font("helvetica", "", 8)
    for row in bulletin.key_figures:
        for width, text in zip(widths, row, strict=True):
            pdf.cell(width, 7, _latin1(text), border=1)
        pdf.ln()
    for heading, attribute, empty in SECTIONS:
        pdf.ln(3)
        pdf.set_font("helvetica", "B", 13)
        pdf.multi_cell(0, 8, heading, **line)
        pdf.set_font("helvetica", "", 10)
        for item in getattr(bulletin, attribute) or [empty]:
            pdf.multi_cell(0, 6, _latin1(f"- {item}"), **line)
    return bytes(pdf.output())
