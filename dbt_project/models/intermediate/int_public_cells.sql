-- The regional aggregates offered to the public, before suppression: per dataset and month the
-- Pacific total, each sub-region and each nationality, summed over every member's current
-- return (nil returns add 0), with how many members contributed a non-zero count.
with

return_totals as (
    select
        return_totals.dataset,
        return_totals.member_code,
        return_totals.period_month,
        return_totals.total_count,
        dim_members.sub_region
    from {{ ref('mart_return_totals') }} as return_totals
    inner join {{ ref('dim_members') }} as dim_members
        on return_totals.member_code = dim_members.member_code
),

region_cells as (
    select
        dataset,
        period_month,
        'region' as breakdown,
        'PACIFIC' as breakdown_value,
        sum(total_count) as cell_count,
        sum(case when total_count > 0 then 1 else 0 end) as contributing_members
    from return_totals
    group by dataset, period_month
),

sub_region_cells as (
    select
        dataset,
        period_month,
        'sub_region' as breakdown,
        sub_region as breakdown_value,
        sum(total_count) as cell_count,
        sum(case when total_count > 0 then 1 else 0 end) as contributing_members
    from return_totals
    group by dataset, period_month, sub_region
),

nationality_cells as (
    select
        dataset,
        period_month,
        'nationality' as breakdown,
        nationality_code as breakdown_value,
        sum(total_count) as cell_count,
        sum(case when total_count > 0 then 1 else 0 end) as contributing_members
    from {{ ref('mart_nationality_trends') }}
    group by dataset, period_month, nationality_code
),

unioned as (
    select * from region_cells
    union all
    select * from sub_region_cells
    union all
    select * from nationality_cells
)

select * from unioned
