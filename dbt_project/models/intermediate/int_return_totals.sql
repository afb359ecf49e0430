-- One row per current received return of a regional dataset with its total: the sum of the one
-- cross-section of the return that counts (is_counted_cross_section: the largest, as
-- ingestion/history.py:return_total does). A table broken down two ways carries two
-- cross-sections (rows with _T in different breakdowns) that each add up to the same people.
-- A nil return totals 0; a missing return has no row (never 0).
with

datasets as (
    select dataset from {{ ref('int_datasets') }}
),

current_returns as (
    select
        return_versions.dataset,
        return_versions.member_code,
        return_versions.period_month,
        return_versions.is_nil
    from {{ ref('int_return_versions') }} as return_versions
    inner join datasets on return_versions.dataset = datasets.dataset
    where return_versions.is_current
),

counted_totals as (
    select
        dataset,
        member_code,
        period_month,
        sum(observed_count) as total_count
    from {{ ref('int_return_cross_sections') }}
    where is_counted_cross_section
    group by dataset, member_code, period_month
),

return_totals as (
    select
        current_returns.dataset,
        current_returns.member_code,
        current_returns.period_month,
        coalesce(counted_totals.total_count, 0) as total_count,
        current_returns.is_nil as is_nil_return
    from current_returns
    left join counted_totals
        on
            current_returns.dataset = counted_totals.dataset
            and current_returns.member_code = counted_totals.member_code
            and current_returns.period_month = counted_totals.period_month
)

select * from return_totals
