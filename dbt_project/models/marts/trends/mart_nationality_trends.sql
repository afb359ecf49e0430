-- Each member's monthly count by nationality for the datasets with a nationality column, from
-- the largest cross-section of each return that details nationality
-- (int_detailed_cross_sections, so a table broken down two ways counts each person once).
-- Unmapped nationalities are left out here (they are listed in mart_unmapped_values); months
-- without a return are absent.
with

monthly_totals as (
    select
        dataset,
        member_code,
        breakdown_value as nationality_code,
        period_month,
        observed_count as total_count
    from {{ ref('int_detailed_cross_sections') }}
    where breakdown = 'nationality'
),

-- rolling 3- and 12-month sums over the months reported
compared as (
    select
        monthly_totals.dataset,
        monthly_totals.member_code,
        monthly_totals.nationality_code,
        monthly_totals.period_month,
        monthly_totals.total_count,
        (
            select sum(window_months.total_count)
            from monthly_totals as window_months
            where
                window_months.dataset = monthly_totals.dataset
                and window_months.member_code = monthly_totals.member_code
                and window_months.nationality_code = monthly_totals.nationality_code
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
                and window_months.nationality_code = monthly_totals.nationality_code
                and window_months.period_month <= monthly_totals.period_month
                and window_months.period_month
                > cast({{ dbt.dateadd('month', -12, 'monthly_totals.period_month') }} as date)
        ) as rolling_12m_total
    from monthly_totals
),

final as (
    select
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(nationality_code as {{ dbt.type_string() }}) as nationality_code,
        period_month,
        cast(total_count as {{ dbt.type_bigint() }}) as total_count,
        cast(rolling_3m_total as {{ dbt.type_bigint() }}) as rolling_3m_total,
        cast(rolling_12m_total as {{ dbt.type_bigint() }}) as rolling_12m_total
    from compared
)

select * from final
