-- The regional total of every dataset and released month as the public sees it: the Pacific
-- cell of mart_public_aggregates (suppressed cells carry no value), with how many members
-- reported, roughly what share of the usual volume they make up, and whether the month is
-- complete. Provisional months (mart_regional_completeness) are not here: they are not public
-- before their deadline. A change on the previous month or the same month last year is given
-- only when the same members reported in both months and both totals are published: it is then
-- the ratio of two published figures (no new information), and never a like-for-like figure
-- over a subset of members, which next to the published totals would reveal the figure of a
-- member that reported in one month only. Coverage is rounded down to a multiple of 10 percent
-- for the same reason.
with

region_cells as (
    select
        dataset,
        period_month,
        obs_value,
        display_value,
        is_suppressed
    from {{ ref('mart_public_aggregates') }}
    where breakdown = 'region' and breakdown_value = 'PACIFIC'
),

released as (
    select
        dataset,
        period_month,
        members_expected,
        members_reporting,
        coverage_pct,
        completeness_status,
        is_latest_month
    from {{ ref('mart_regional_completeness') }}
    where is_released
),

trends as (
    select
        dataset,
        period_month,
        member_count_reporting,
        mom_members_compared,
        yoy_members_compared
    from {{ ref('mart_regional_trends') }}
),

public_months as (
    select
        released.*,
        region_cells.obs_value,
        region_cells.display_value,
        region_cells.is_suppressed,
        trends.mom_members_compared,
        trends.yoy_members_compared
    from released
    inner join region_cells
        on
            released.dataset = region_cells.dataset
            and released.period_month = region_cells.period_month
    inner join trends
        on
            released.dataset = trends.dataset
            and released.period_month = trends.period_month
),

final as (
    select
        cast(public_months.dataset as {{ dbt.type_string() }}) as dataset,
        public_months.period_month,
        cast(public_months.obs_value as {{ dbt.type_bigint() }}) as total_count,
        cast(public_months.display_value as {{ dbt.type_string() }}) as display_value,
        public_months.is_suppressed,
        cast(public_months.members_reporting as {{ dbt.type_bigint() }}) as members_reporting,
        cast(public_months.members_expected as {{ dbt.type_bigint() }}) as members_expected,
        cast(floor(public_months.coverage_pct / 10) * 10 as {{ dbt.type_bigint() }})
            as coverage_at_least_pct,
        cast(public_months.completeness_status as {{ dbt.type_string() }})
            as completeness_status,
        public_months.is_latest_month,
        cast(previous_month.obs_value as {{ dbt.type_bigint() }}) as previous_month_total,
        cast(
            case
                when
                    public_months.mom_members_compared = public_months.members_reporting
                    and public_months.mom_members_compared = previous_month.members_reporting
                    then round(
                        100.0 * (public_months.obs_value - previous_month.obs_value)
                        / nullif(previous_month.obs_value, 0),
                        1
                    )
            end as double precision
        ) as mom_change_pct,
        coalesce(
            public_months.mom_members_compared = public_months.members_reporting
            and public_months.mom_members_compared = previous_month.members_reporting,
            false
        ) as is_mom_same_members,
        cast(same_month_last_year.obs_value as {{ dbt.type_bigint() }})
            as same_month_last_year_total,
        cast(
            case
                when
                    public_months.yoy_members_compared = public_months.members_reporting
                    and public_months.yoy_members_compared = same_month_last_year.members_reporting
                    then round(
                        100.0 * (public_months.obs_value - same_month_last_year.obs_value)
                        / nullif(same_month_last_year.obs_value, 0),
                        1
                    )
            end as double precision
        ) as yoy_change_pct,
        coalesce(
            public_months.yoy_members_compared = public_months.members_reporting
            and public_months.yoy_members_compared = same_month_last_year.members_reporting,
            false
        ) as is_yoy_same_members
    from public_months
    left join public_months as previous_month
        on
            public_months.dataset = previous_month.dataset
            and cast({{ dbt.dateadd('month', 1, 'previous_month.period_month') }} as date)
            = public_months.period_month
    left join public_months as same_month_last_year
        on
            public_months.dataset = same_month_last_year.dataset
            and cast({{ dbt.dateadd('month', 12, 'same_month_last_year.period_month') }} as date)
            = public_months.period_month
)

select * from final
