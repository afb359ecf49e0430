-- Each member's monthly count by nationality for the datasets with a nationality column, from
-- the largest cross-section of each return that details nationality (so a table broken down
-- by nationality two ways counts each person once). Unmapped nationalities are left out here
-- (they are listed in mart_unmapped_values); months without a return are absent.
with

{{ detailed_cross_section('nationality_code', datasets_with_column('nationality')) }},

monthly_totals as (
    select
        dataset,
        member_code,
        nationality_code,
        period_month,
        sum(observed_count) as total_count
    from chosen_rows
    group by dataset, member_code, nationality_code, period_month
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
