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

compared as (
    {{ trend_comparisons(['dataset', 'member_code', 'nationality_code']) }}
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
