-- Regional monthly totals of every dataset with month-on-month and year-on-year change and
-- rolling sums. A nil return counts as 0 for the member that sent it; a member with no return
-- that month is absent (not 0), and member_count_reporting counts only members whose return
-- arrived. Totals are sums of mart_return_totals, so they equal the sum of member trends.
with

monthly_totals as (
    select
        dataset,
        period_month,
        count(*) as member_count_reporting,
        sum(total_count) as total_count
    from {{ ref('mart_return_totals') }}
    group by dataset, period_month
),

compared as (
    {{ trend_comparisons(['dataset']) }}
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
        cast(compared.mom_change_pct as double precision) as mom_change_pct,
        cast(compared.same_month_last_year_total as {{ dbt.type_bigint() }})
            as same_month_last_year_total,
        cast(compared.yoy_change_pct as double precision) as yoy_change_pct,
        cast(compared.rolling_3m_total as {{ dbt.type_bigint() }}) as rolling_3m_total,
        cast(compared.rolling_12m_total as {{ dbt.type_bigint() }}) as rolling_12m_total
    from compared
    inner join monthly_totals
        on
            compared.dataset = monthly_totals.dataset
            and compared.period_month = monthly_totals.period_month
)

select * from final
