-- The monthly series the alert rules watch, one row per member x dataset x series x month
-- with a current return: the return's total ('total'), each nationality ever reported by that
-- member for that dataset, and each document-fraud route (embarkation country). A nationality
-- absent from a received return is a real 0 that month; a month without a return is absent.
with

return_months as (
    select
        dataset,
        member_code,
        period_month,
        total_count
    from {{ ref('int_return_totals') }}
),

-- each nationality and each document-fraud route (embarkation country) a return details, from
-- the largest cross-section that details it
breakdown_counts as (
    select
        case breakdown when 'nationality' then 'nationality' else 'route' end as series_kind,
        dataset,
        member_code,
        breakdown_value as dimension_value,
        period_month,
        observed_count as total_count
    from {{ ref('int_detailed_cross_sections') }}
    where breakdown in ('nationality', 'embarkation_country')
),

breakdown_series as (
    select distinct
        series_kind,
        dataset,
        member_code,
        dimension_value
    from breakdown_counts
),

breakdown_months as (
    select
        breakdown_series.series_kind,
        breakdown_series.dataset,
        breakdown_series.member_code,
        breakdown_series.dimension_value,
        return_months.period_month,
        coalesce(breakdown_counts.total_count, 0) as observed_count
    from breakdown_series
    inner join return_months
        on
            breakdown_series.dataset = return_months.dataset
            and breakdown_series.member_code = return_months.member_code
    left join breakdown_counts
        on
            breakdown_series.series_kind = breakdown_counts.series_kind
            and breakdown_series.dataset = breakdown_counts.dataset
            and breakdown_series.member_code = breakdown_counts.member_code
            and breakdown_series.dimension_value = breakdown_counts.dimension_value
            and return_months.period_month = breakdown_counts.period_month
),

unioned as (
    select
        'total' as series_kind,
        dataset,
        member_code,
        'total' as dimension_value,
        period_month,
        total_count as observed_count
    from return_months
    union all
    select
        series_kind,
        dataset,
        member_code,
        dimension_value,
        period_month,
        observed_count
    from breakdown_months
)

select * from unioned
