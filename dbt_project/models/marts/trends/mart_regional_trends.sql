-- Regional monthly totals of every dataset with month-on-month and year-on-year change, rolling
-- sums and how complete the month is. A nil return counts as 0 for the member that sent it; a
-- member with no return that month is absent (not 0), and member_count_reporting counts only
-- members whose return arrived. Totals are sums of mart_return_totals, so they equal the sum of
-- member trends. Changes compare like with like: only the members with a return in both months
-- (mom_members_compared, yoy_members_compared), so a member missing from either month never
-- shows as a fall or a rise. Coverage and the completeness status come from
-- mart_regional_completeness.
{%- set comparisons = [('mom', 1), ('yoy', 12)] %}
with

return_totals as (
    select
        dataset,
        member_code,
        period_month,
        total_count
    from {{ ref('mart_return_totals') }}
),

monthly_totals as (
    select
        dataset,
        period_month,
        count(*) as member_count_reporting,
        sum(total_count) as total_count
    from return_totals
    group by dataset, period_month
),

-- previous month and same month last year by self-joins on month arithmetic (null when nothing
-- was reported then, never 0), and rolling 3- and 12-month sums over the months reported
compared as (
    select
        monthly_totals.dataset,
        monthly_totals.period_month,
        monthly_totals.total_count,
        previous_month.total_count as previous_month_total,
        round(
            100.0 * (monthly_totals.total_count - previous_month.total_count)
            / nullif(previous_month.total_count, 0),
            1
        ) as mom_change_pct,
        last_year.total_count as same_month_last_year_total,
        round(
            100.0 * (monthly_totals.total_count - last_year.total_count)
            / nullif(last_year.total_count, 0),
            1
        ) as yoy_change_pct,
        (
            select sum(window_months.total_count)
            from monthly_totals as window_months
            where
                window_months.dataset = monthly_totals.dataset
                and window_months.period_month <= monthly_totals.period_month
                and window_months.period_month
                > cast({{ dbt.dateadd('month', -3, 'monthly_totals.period_month') }} as date)
        ) as rolling_3m_total,
        (
            select sum(window_months.total_count)
            from monthly_totals as window_months
            where
                window_months.dataset = monthly_totals.dataset
                and window_months.period_month <= monthly_totals.period_month
                and window_months.period_month
                > cast({{ dbt.dateadd('month', -12, 'monthly_totals.period_month') }} as date)
        ) as rolling_12m_total
    from monthly_totals
    left join monthly_totals as previous_month
        on
            monthly_totals.dataset = previous_month.dataset
            and cast({{ dbt.dateadd('month', 1, 'previous_month.period_month') }} as date)
            = monthly_totals.period_month
    left join monthly_totals as last_year
        on
            monthly_totals.dataset = last_year.dataset
            and cast({{ dbt.dateadd('month', 12, 'last_year.period_month') }} as date)
            = monthly_totals.period_month
),

{% for prefix, months_back in comparisons %}
    -- each member's total beside its own total {{ months_back }} month(s) earlier
    {{ prefix }}_like_for_like as (
        select
            this_month.dataset,
            this_month.period_month,
            count(*) as members_compared,
            sum(this_month.total_count) as compared_total,
            sum(base_month.total_count) as compared_base_total
        from return_totals as this_month
        inner join return_totals as base_month
            on
                this_month.dataset = base_month.dataset
                and this_month.member_code = base_month.member_code
                and cast({{ dbt.dateadd('month', months_back, 'base_month.period_month') }} as date)
                = this_month.period_month
        group by this_month.dataset, this_month.period_month
    ),

{% endfor %}

completeness as (
    select
        dataset,
        period_month,
        members_expected,
        coverage_pct,
        completeness_status,
        is_latest_month
    from {{ ref('mart_regional_completeness') }}
),

final as (
    select
        {%- set key_parts = [
            'compared.dataset', "'|'", 'cast(compared.period_month as ' ~ dbt.type_string() ~ ')'
        ] %}
        cast({{ dbt.concat(key_parts) }} as {{ dbt.type_string() }}) as trend_key,
        cast(compared.dataset as {{ dbt.type_string() }}) as dataset,
        compared.period_month,
        cast(monthly_totals.member_count_reporting as {{ dbt.type_bigint() }})
            as member_count_reporting,
        cast(compared.total_count as {{ dbt.type_bigint() }}) as total_count,
        cast(compared.previous_month_total as {{ dbt.type_bigint() }}) as previous_month_total,
        cast(
            round(
                100.0 * (mom_like_for_like.compared_total - mom_like_for_like.compared_base_total)
                / nullif(mom_like_for_like.compared_base_total, 0),
                1
            ) as double precision
        ) as mom_change_pct,
        cast(compared.same_month_last_year_total as {{ dbt.type_bigint() }})
            as same_month_last_year_total,
        cast(
            round(
                100.0 * (yoy_like_for_like.compared_total - yoy_like_for_like.compared_base_total)
                / nullif(yoy_like_for_like.compared_base_total, 0),
                1
            ) as double precision
        ) as yoy_change_pct,
        cast(compared.rolling_3m_total as {{ dbt.type_bigint() }}) as rolling_3m_total,
        cast(compared.rolling_12m_total as {{ dbt.type_bigint() }}) as rolling_12m_total,
        cast(completeness.members_expected as {{ dbt.type_bigint() }}) as members_expected,
        cast(completeness.coverage_pct as double precision) as coverage_pct,
        cast(completeness.completeness_status as {{ dbt.type_string() }})
            as completeness_status,
        completeness.is_latest_month,
        cast(coalesce(mom_like_for_like.members_compared, 0) as {{ dbt.type_bigint() }})
            as mom_members_compared,
        cast(mom_like_for_like.compared_total as {{ dbt.type_bigint() }}) as mom_compared_total,
        cast(mom_like_for_like.compared_base_total as {{ dbt.type_bigint() }})
            as mom_compared_base_total,
        cast(coalesce(yoy_like_for_like.members_compared, 0) as {{ dbt.type_bigint() }})
            as yoy_members_compared,
        cast(yoy_like_for_like.compared_total as {{ dbt.type_bigint() }}) as yoy_compared_total,
        cast(yoy_like_for_like.compared_base_total as {{ dbt.type_bigint() }})
            as yoy_compared_base_total
    from compared
    inner join monthly_totals
        on
            compared.dataset = monthly_totals.dataset
            and compared.period_month = monthly_totals.period_month
    inner join completeness
        on
            compared.dataset = completeness.dataset
            and compared.period_month = completeness.period_month
    left join mom_like_for_like
        on
            compared.dataset = mom_like_for_like.dataset
            and compared.period_month = mom_like_for_like.period_month
    left join yoy_like_for_like
        on
            compared.dataset = yoy_like_for_like.dataset
            and compared.period_month = yoy_like_for_like.period_month
)

select * from final
