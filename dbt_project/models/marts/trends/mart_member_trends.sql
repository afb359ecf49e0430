-- Each member's monthly total of every dataset with its change, rolling sums and share of the
-- regional total. Months without a return are absent (never 0); a nil return is 0.
with

monthly_totals as (
    select
        dataset,
        member_code,
        period_month,
        total_count
    from {{ ref('mart_return_totals') }}
),

regional_totals as (
    select
        dataset,
        period_month,
        sum(total_count) as total_count
    from monthly_totals
    group by dataset, period_month
),

-- previous month and same month last year by self-joins on month arithmetic (null when nothing
-- was reported then, never 0), and rolling 3- and 12-month sums over the months reported
compared as (
    select
        monthly_totals.dataset,
        monthly_totals.member_code,
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
                and window_months.member_code = monthly_totals.member_code
                and window_months.period_month <= monthly_totals.period_month
                and window_months.period_month
                > cast({{ dbt.dateadd('month', -3, 'monthly_totals.period_month') }} as date)
        ) as rolling_3m_total,
        (
            select sum(window_months.total_count)
            from monthly_totals as window_months
            where
                window_months.dataset = monthly_totals.dataset
                and window_months.member_code = monthly_totals.member_code
                and window_months.period_month <= monthly_totals.period_month
                and window_months.period_month
                > cast({{ dbt.dateadd('month', -12, 'monthly_totals.period_month') }} as date)
        ) as rolling_12m_total
    from monthly_totals
    left join monthly_totals as previous_month
        on
            monthly_totals.dataset = previous_month.dataset
            and monthly_totals.member_code = previous_month.member_code
            and cast({{ dbt.dateadd('month', 1, 'previous_month.period_month') }} as date)
            = monthly_totals.period_month
    left join monthly_totals as last_year
        on
            monthly_totals.dataset = last_year.dataset
            and monthly_totals.member_code = last_year.member_code
            and cast({{ dbt.dateadd('month', 12, 'last_year.period_month') }} as date)
            = monthly_totals.period_month
),

final as (
    select
        cast(compared.dataset as {{ dbt.type_string() }}) as dataset,
        cast(compared.member_code as {{ dbt.type_string() }}) as member_code,
        compared.period_month,
        cast(compared.total_count as {{ dbt.type_bigint() }}) as total_count,
        cast(compared.previous_month_total as {{ dbt.type_bigint() }}) as previous_month_total,
        cast(compared.mom_change_pct as double precision) as mom_change_pct,
        cast(compared.same_month_last_year_total as {{ dbt.type_bigint() }})
            as same_month_last_year_total,
        cast(compared.yoy_change_pct as double precision) as yoy_change_pct,
        cast(compared.rolling_3m_total as {{ dbt.type_bigint() }}) as rolling_3m_total,
        cast(compared.rolling_12m_total as {{ dbt.type_bigint() }}) as rolling_12m_total,
        cast(
            round(100.0 * compared.total_count / nullif(regional_totals.total_count, 0), 2)
            as double precision
        ) as share_of_regional_pct
    from compared
    inner join regional_totals
        on
            compared.dataset = regional_totals.dataset
            and compared.period_month = regional_totals.period_month
)

select * from final
