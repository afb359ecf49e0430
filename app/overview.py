"""What the regional overview shows, computed from the trends mart (pure pandas, no Streamlit)."""

from dataclasses import dataclass

import pandas as pd

from pidc.contract import load_contract


@dataclass(frozen=True)
class Headline:
    """One dataset's figure for the latest month; ``total`` None means no returns for it."""

    dataset: str
    title: str
    total: int | None
    members_reporting: int
    mom_change_pct: float | None
    yoy_change_pct: float | None


def dataset_titles() -> dict[str, str]:
    """Dataset name -> its title in the data contract, in contract order."""
    contract = load_contract()
    return {name: contract.dataset(name).title for name in contract.dataset_names}


def _optional_float(value: object) -> float | None:
    return None if pd.isna(value) else float(value)


def latest_month(trends: pd.DataFrame) -> pd.Timestamp | None:
    """The most recent month in the trends, or None if there are none."""
    return None if trends.empty else pd.Timestamp(trends["period_month"].max())


def latest_month_headlines(trends: pd.DataFrame) -> list[Headline]:
    """One headline per dataset for the latest month, in contract order.

    A dataset with no row for that month gets ``total=None`` (not 0: missing is not zero).
    """
    month = latest_month(trends)
    titles = dataset_titles()
    names = [name for name in titles if name in set(trends["dataset"])]
    names += sorted(set(trends["dataset"]) - set(titles))
    headlines = []
    for name in names:
        row = trends[(trends["dataset"] == name) & (trends["period_month"] == month)]
        if row.empty:
            headlines.append(Headline(name, titles.get(name, name), None, 0, None, None))
            continue
        first = row.iloc[0]
        headlines.append(
            Headline(
                dataset=name,
                title=titles.get(name, name),
                total=int(first["total_count"]),
                members_reporting=int(first["member_count_reporting"]),
                mom_change_pct=_optional_float(first["mom_change_pct"]),
                yoy_change_pct=_optional_float(first["yoy_change_pct"]),
            )
        )
    return headlines


def format_count(total: int | None) -> str:
    """A count with thousands separators; an em dash when there is no figure."""
    return "—" if total is None else f"{total:,}"


def format_change(change_pct: float | None, against: str) -> str | None:
    """``+12.5% on previous month``; None when there is nothing to compare against."""
    return None if change_pct is None else f"{change_pct:+.1f}% on {against}"


def headline_help(headline: Headline) -> str:
    """The tooltip of a headline: members reporting and the change on the same month last year."""
    if headline.total is None:
        return "No returns for this month yet (not the same as zero)."
    parts = [f"{headline.members_reporting} members reporting."]
    yearly = format_change(headline.yoy_change_pct, "the same month last year")
    parts.append(f"{yearly}." if yearly else "No figure for the same month last year.")
    return " ".join(parts)
