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

compared as (
    {{ trend_comparisons(['dataset', 'member_code']) }}
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
