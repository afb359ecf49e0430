-- Regional monthly totals of every dataset with month-on-month and year-on-year change.
-- A nil return counts as 0 for the member that sent it; a member with no return that month is
-- simply absent (not 0), and member_count_reporting counts only members whose return arrived.
with

current_returns as (
    select
        dataset,
        member_code,
        period_month
    from {{ ref('stg_raw__returns') }}
    where
        is_current
        and dataset in (
            {%- for dataset in var('pidc_datasets') %}
                '{{ dataset }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
),

row_totals as (
    select
        dataset,
        member_code,
        period_month,
        sum(person_count) as total_count
    from {{ ref('int_return_rows_unioned') }}
    group by dataset, member_code, period_month
),

member_totals as (
    select
        current_returns.dataset,
        current_returns.member_code,
        current_returns.period_month,
        -- a current return with no rows is a nil return: a real zero for this member
        coalesce(row_totals.total_count, 0) as total_count
    from current_returns
    left join row_totals
        on
            current_returns.dataset = row_totals.dataset
            and current_returns.member_code = row_totals.member_code
            and current_returns.period_month = row_totals.period_month
),

monthly_totals as (
    select
        dataset,
        period_month,
        count(distinct member_code) as member_count_reporting,
        sum(total_count) as total_count
    from member_totals
    group by dataset, period_month
),

compared as (
    select
        monthly_totals.dataset || '|' || cast(monthly_totals.period_month as varchar)
            as trend_key,
        monthly_totals.dataset,
        monthly_totals.period_month,
        monthly_totals.member_count_reporting,
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
        ) as yoy_change_pct
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

final as (
    select
        cast(trend_key as varchar) as trend_key,
        cast(dataset as varchar) as dataset,
        period_month,
        cast(member_count_reporting as bigint) as member_count_reporting,
        cast(total_count as bigint) as total_count,
        cast(previous_month_total as bigint) as previous_month_total,
        cast(mom_change_pct as double) as mom_change_pct,
        cast(same_month_last_year_total as bigint) as same_month_last_year_total,
        cast(yoy_change_pct as double) as yoy_change_pct
    from compared
)

select * from final
