-- The regional aggregates offered to the public, before suppression: per dataset and month the
-- Pacific total, each sub-region, each nationality, each sex and each age group, summed over
-- every member's current return (nil returns add 0), with how many members contributed a
-- non-zero count and the count of the member contributing most (the disclosure rules of
-- pidc/disclosure.py hide a cell with too few contributors or one dominant member). Sex and
-- age cells add up only the members that break a dataset down that way (from the largest
-- cross-section of each return that does); the age groups of members using broad and
-- five-year bands are cells side by side, never added into one another.
-- Only released months (int_regional_completeness): a provisional month is not public.
with

detailed_totals as (
    select
        breakdown,
        dataset,
        member_code,
        period_month,
        breakdown_value,
        observed_count as total_count
    from {{ ref('int_detailed_cross_sections') }}
    where breakdown in ('nationality', 'sex', 'age_group')
),

return_totals as (
    select
        return_totals.dataset,
        return_totals.member_code,
        return_totals.period_month,
        return_totals.total_count,
        members.sub_region
    from {{ ref('int_return_totals') }} as return_totals
    inner join {{ ref('members') }} as members
        on return_totals.member_code = members.member_code
),

region_cells as (
    select
        dataset,
        period_month,
        'region' as breakdown,
        'PACIFIC' as breakdown_value,
        sum(total_count) as cell_count,
        sum(case when total_count > 0 then 1 else 0 end) as contributing_members,
        max(total_count) as largest_member_count
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
        sum(case when total_count > 0 then 1 else 0 end) as contributing_members,
        max(total_count) as largest_member_count
    from return_totals
    group by dataset, period_month, sub_region
),

detailed_cells as (
    select
        dataset,
        period_month,
        breakdown,
        breakdown_value,
        sum(total_count) as cell_count,
        sum(case when total_count > 0 then 1 else 0 end) as contributing_members,
        max(total_count) as largest_member_count
    from detailed_totals
    group by dataset, period_month, breakdown, breakdown_value
),

unioned as (
    select * from region_cells
    union all
    select * from sub_region_cells
    union all
    select * from detailed_cells
),

-- a provisional month is never public before its deadline (int_regional_completeness)
released_months as (
    select
        dataset,
        period_month
    from {{ ref('int_regional_completeness') }}
    where is_released
)

select unioned.*
from unioned
inner join released_months
    on
        unioned.dataset = released_months.dataset
        and unioned.period_month = released_months.period_month
