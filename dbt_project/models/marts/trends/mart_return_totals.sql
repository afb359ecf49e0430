-- One row per current received return with its total. A nil return totals 0 for the member that
-- sent it; a missing return has no row (never 0). A table broken down two ways carries two
-- cross-sections (rows with _T in different breakdowns) that each add up to the total, so
-- the total is the largest cross-section sum, as ingestion/history.py:return_total does.
with

current_returns as (
    select
        dataset,
        member_code,
        period_month,
        is_nil
    from {{ ref('stg_raw__returns') }}
    where is_current and dataset in {{ dataset_list() }}
),

cross_section_totals as (
    select
        dataset,
        member_code,
        period_month,
        cross_section,
        sum(observed_count) as total_count
    from {{ ref('int_return_cross_sections') }}
    group by dataset, member_code, period_month, cross_section
),

return_totals as (
    select
        dataset,
        member_code,
        period_month,
        max(total_count) as total_count
    from cross_section_totals
    group by dataset, member_code, period_month
),

final as (
    select
        cast(current_returns.dataset as {{ dbt.type_string() }}) as dataset,
        cast(current_returns.member_code as {{ dbt.type_string() }}) as member_code,
        current_returns.period_month,
        cast(coalesce(return_totals.total_count, 0) as {{ dbt.type_bigint() }}) as total_count,
        current_returns.is_nil as is_nil_return
    from current_returns
    left join return_totals
        on
            current_returns.dataset = return_totals.dataset
            and current_returns.member_code = return_totals.member_code
            and current_returns.period_month = return_totals.period_month
)

select * from final
