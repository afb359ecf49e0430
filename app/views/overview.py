"""What the regional overview shows, computed from the trends mart (pure pandas, no Streamlit).

The overview's month is the latest *released* month (``is_latest_month`` of the trends): every
dataset complete enough, or the deadline passed. A member filing the next month early does not
move it; that month is provisional, shown to the Secretariat as such and never to the public.
"""

from dataclasses import dataclass

import pandas as pd

from app.charts import coverage_text
from pidc import i18n
from pidc.contract import load_contract
from pidc.i18n import N_, _, ngettext

# In English, marked for translation: shown with ``_`` (the current language).
STATUS_LABELS = {
    "complete": N_("Complete"),
    "incomplete": N_("Incomplete: the deadline has passed and not every member has reported"),
    "provisional": N_("Provisional: before the deadline, more returns are expected"),
}
PREVIOUS_MONTH = "previous month"
SAME_MONTH_LAST_YEAR = "same month last year"


@dataclass(frozen=True)
class Headline:
    """One dataset's figure for the overview's month; ``total`` None means no figure for it."""

    dataset: str
    title: str
    total: int | None
    members_reporting: int
    mom_change_pct: float | None
    yoy_change_pct: float | None
    members_expected: int | None = None
    coverage_pct: float | None = None
    coverage_is_rounded: bool = False
    completeness_status: str | None = None
    mom_members_compared: int | None = None
    yoy_members_compared: int | None = None
    previous_month_members: int | None = None  # members reporting the month before
    last_year_members: int | None = None  # members reporting the same month last year
    is_suppressed: bool = False

    @property
    def has_previous_month(self) -> bool:
        return self.previous_month_members is not None

    @property
    def has_last_year(self) -> bool:
        return self.last_year_members is not None

    @property
    def coverage(self) -> str:
        """'20 of 21 members, 87% of usual volume' (empty without returns)."""
        if self.total is None and not self.is_suppressed:
            return ""
        return coverage_text(
            {
                "member_count_reporting": self.members_reporting,
                "members_expected": self.members_expected,
                "coverage_pct": self.coverage_pct,
                "coverage_is_rounded": self.coverage_is_rounded,
            }
        )


def dataset_titles() -> dict[str, str]:
    """Dataset name -> its title in the data contract, in contract order."""
    contract = load_contract()
    return {name: contract.dataset(name).title for name in contract.dataset_names}


def _optional_float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _optional_int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _flag(value: object) -> bool:
    return False if value is None or pd.isna(value) else bool(value)


def latest_month(trends: pd.DataFrame) -> pd.Timestamp | None:
    """The overview's month: the latest released month the trends mark (``is_latest_month``),
    else the newest month that is not provisional; None if there is none."""
    if trends.empty:
        return None
    if "is_latest_month" in trends.columns:
        marked = trends.loc[trends["is_latest_month"].fillna(False).astype(bool), "period_month"]
        if not marked.empty:
            return pd.Timestamp(marked.max())
    if "completeness_status" in trends.columns:
        settled = trends.loc[trends["completeness_status"] != "provisional", "period_month"]
        return None if settled.empty else pd.Timestamp(settled.max())
    return pd.Timestamp(trends["period_month"].max())


def provisional_months(trends: pd.DataFrame) -> list[pd.Timestamp]:
    """Months newer than the overview's month that the viewer sees as provisional, oldest first."""
    if trends.empty or "completeness_status" not in trends.columns:
        return []
    rows = trends[trends["completeness_status"] == "provisional"]
    return sorted(pd.Timestamp(month) for month in rows["period_month"].unique())


def latest_month_headlines(
    trends: pd.DataFrame,
    month: pd.Timestamp | None = None,
    titles: dict[str, str] | None = None,
) -> list[Headline]:
    """One headline per dataset for ``month`` (default :func:`latest_month`), in contract order.

    ``titles`` names the datasets (the published titles in the viewer's language; the data
    contract's by default). A dataset with no row for that month gets ``total=None`` (not 0:
    missing is not zero).
    """
    month = latest_month(trends) if month is None else pd.Timestamp(month)
    titles = dataset_titles() if titles is None else titles
    names = [name for name in titles if name in set(trends["dataset"])]
    names += sorted(set(trends["dataset"]) - set(titles))
    headlines = []
    for name in names:
        series = trends[trends["dataset"] == name]
        row = series[series["period_month"] == month]
        if row.empty:
            headlines.append(Headline(name, titles.get(name, name), None, 0, None, None))
            continue
        first = row.iloc[0]
        reporting = dict(zip(series["period_month"], series["member_count_reporting"], strict=True))
        headlines.append(
            Headline(
                dataset=name,
                title=titles.get(name, name),
                total=_optional_int(first["total_count"]),
                members_reporting=int(first["member_count_reporting"]),
                mom_change_pct=_optional_float(first["mom_change_pct"]),
                yoy_change_pct=_optional_float(first["yoy_change_pct"]),
                members_expected=_optional_int(first.get("members_expected")),
                coverage_pct=_optional_float(first.get("coverage_pct")),
                coverage_is_rounded=_flag(first.get("coverage_is_rounded")),
                completeness_status=first.get("completeness_status"),
                mom_members_compared=_optional_int(first.get("mom_members_compared")),
                yoy_members_compared=_optional_int(first.get("yoy_members_compared")),
                previous_month_members=_optional_int(
                    reporting.get(month - pd.DateOffset(months=1))
                ),
                last_year_members=_optional_int(reporting.get(month - pd.DateOffset(years=1))),
                is_suppressed=_flag(first.get("is_suppressed")),
            )
        )
    return headlines


def format_count(total: int | None) -> str:
    """A count with the current language's thousands separators; an em dash without a figure."""
    return "—" if total is None else i18n.format_count(total)


def _signed_percent(change_pct: float) -> str:
    """``+12.5%`` / ``-43.4%`` (``+12,5 %`` in French)."""
    text = i18n.format_percent(abs(change_pct) / 100, digits=1)
    return ("-" if round(change_pct, 1) < 0 else "+") + text


def format_change(change_pct: float | None, against: str) -> str | None:
    """``+12.5% on previous month``; None when there is nothing to compare against.

    ``against`` is ``PREVIOUS_MONTH`` or ``SAME_MONTH_LAST_YEAR``."""
    if change_pct is None:
        return None
    template = (
        _("{change} on previous month")
        if against == PREVIOUS_MONTH
        else _("{change} on the same month last year")
    )
    return template.format(change=_signed_percent(change_pct))


def _members(count: int | None) -> str:
    count = count or 0
    return ngettext("{count} member", "{count} members", count).format(count=count)


def _fewer_compared(compared: int | None, *reporting: int | None) -> bool:
    """True when a change compares fewer members than reported in one of the two months."""
    return compared is not None and any(n is not None and compared < n for n in reporting)


def headline_delta(headline: Headline) -> str | None:
    """The change on the previous month as the metric shows it, saying when it compares only
    some of the members (like for like: the members that reported both months)."""
    text = format_change(headline.mom_change_pct, PREVIOUS_MONTH)
    compared = headline.mom_members_compared
    if text and _fewer_compared(
        compared, headline.members_reporting, headline.previous_month_members
    ):
        text += " " + _("(same {members})").format(members=_members(compared))
    return text


def _change_sentence(headline: Headline, change: float | None, against: str) -> str:
    previous = against == PREVIOUS_MONTH
    if previous:
        compared, base = headline.mom_members_compared, headline.previous_month_members
    else:
        compared, base = headline.yoy_members_compared, headline.last_year_members
    text = format_change(change, against)
    if text:
        if _fewer_compared(compared, headline.members_reporting, base):
            return _("{change}, comparing only the {members} that reported both months.").format(
                change=text, members=_members(compared)
            )
        return _("{change}, the same {members} reporting both months.").format(
            change=text, members=_members(compared)
        )
    if base is None:
        return (
            _("No figure for the previous month to compare with.")
            if previous
            else _("No figure for the same month last year to compare with.")
        )
    if compared is None or _fewer_compared(compared, headline.members_reporting, base):
        return (
            _("No change on the previous month shown: ")
            if previous
            else _("No change on the same month last year shown: ")
        ) + _(
            "different members reported in the two months, so the totals do not compare like "
            "with like."
        )
    return (
        _("No change on the previous month can be computed.")
        if previous
        else _("No change on the same month last year can be computed.")
    )


def headline_help(headline: Headline) -> str:
    """The tooltip of a headline: coverage, completeness and both changes, in words."""
    if headline.total is None and not headline.is_suppressed:
        return _("No returns for this month yet (not the same as zero).")
    parts = []
    if headline.is_suppressed:
        parts.append(_("Not published: it could reveal a single member's figure."))
    parts.append(f"{headline.coverage}.")
    if headline.completeness_status in STATUS_LABELS:
        parts.append(f"{_(STATUS_LABELS[headline.completeness_status])}.")
    parts.append(_change_sentence(headline, headline.mom_change_pct, PREVIOUS_MONTH))
    parts.append(_change_sentence(headline, headline.yoy_change_pct, SAME_MONTH_LAST_YEAR))
    return " ".join(parts)


def headline_caption(headline: Headline) -> str:
    """The line under a headline: who it covers, and a warning when it is not complete."""
    if headline.total is None and not headline.is_suppressed:
        return _("No returns yet")
    text = headline.coverage
    if headline.completeness_status == "incomplete":
        text = _("⚠ Incomplete: {coverage}").format(coverage=text)
    elif headline.completeness_status == "provisional":
        text = _("Provisional: {coverage}").format(coverage=text)
    return text
