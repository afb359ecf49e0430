"""Settings of the reporting cycle that the Secretariat may change without touching code."""

from __future__ import annotations

from pidc.reference.members import REPORTING_START

# (setting, value, description). Values are text; readers cast them.
REPORTING_SETTINGS: tuple[tuple[str, str, str], ...] = (
    (
        "deadline_day_of_next_month",
        "15",
        "A return is due by this day of the month after the month it covers; later is late.",
    ),
    (
        "first_reporting_month",
        REPORTING_START[:7],
        "First month (YYYY-MM) for which returns are expected; nothing earlier counts as missing.",
    ),
    (
        "earliest_history_month",
        "1990-01",
        "Earliest month (YYYY-MM) a return may carry: months before first_reporting_month load "
        "as history (back issues of national publications) and are never expected or missing.",
    ),
    (
        "reporting_frequency",
        "monthly",
        "One return per member, dataset and calendar month.",
    ),
    (
        "deadline_timezone",
        "Pacific/Apia",
        "Time zone of the deadline: the Secretariat's, in Apia.",
    ),
    (
        "complete_coverage_pct",
        "90",
        "A month's regional figures are complete once members making up this percentage of a "
        "dataset's usual volume have reported; until then, and until the deadline has passed, "
        "the month is provisional and not published.",
    ),
    (
        "usual_volume_months",
        "12",
        "Months before a month over which a member's usual volume is its average monthly total "
        "(the weight of its return when judging whether a month is complete).",
    ),
    (
        "small_cell_max",
        "4",
        "Counts from 1 to this value are suppressed (shown as '<5') outside the sharing circle.",
    ),
    (
        "min_contributors",
        "3",
        "A public regional figure is hidden (shown as 'x') when fewer members than this add to "
        "it, so no member's figure is published as a region or sub-region.",
    ),
    (
        "dominance_pct",
        "85",
        "A public regional figure is hidden (shown as 'x') when one member makes up more than "
        "this percentage of it.",
    ),
    (
        "protection_pct",
        "50",
        "No hidden public figure may be worked out from the published ones to within this "
        "percentage of its value, either way (secondary suppression and the publish audit).",
    ),
)


def reporting_settings_rows() -> list[list[object]]:
    """Rows of seed ``reporting_settings.csv``, sorted by setting name."""
    return [list(row) for row in sorted(REPORTING_SETTINGS)]
