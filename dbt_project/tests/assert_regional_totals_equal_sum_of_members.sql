-- Reconciliation: each regional monthly total equals the sum of the members' totals, and the
-- Pacific cell of the public aggregates equals it too. Returns the dataset-months that differ.
with

members as (
    select
        dataset,
        period_month,
        sum(total_count) as total_count,
        count(*) as member_count
    from {{ ref('mart_member_trends') }}
    group by dataset, period_month
),

regional as (
    select
        dataset,
        period_month,
        total_count,
        member_count_reporting
    from {{ ref('mart_regional_trends') }}
),

public_totals as (
    select
        dataset,
        period_month,
        obs_value
    from {{ ref('mart_public_aggregates') }}
    where breakdown = 'region' and breakdown_value = 'PACIFIC' and conf_status = 'F'
),

compared as (
    select
        coalesce(regional.dataset, members.dataset) as dataset,
        coalesce(regional.period_month, members.period_month) as period_month,
        regional.total_count as regional_total,
        members.total_count as member_sum,
        regional.member_count_reporting,
        members.member_count,
        public_totals.obs_value as public_total
    from regional
    full outer join members
        on
            regional.dataset = members.dataset
            and regional.period_month = members.period_month
    left join public_totals
        on
            regional.dataset = public_totals.dataset
            and regional.period_month = public_totals.period_month
)

select * from compared
where
    regional_total is distinct from member_sum
    or member_count_reporting is distinct from member_count
    or (public_total is not null and public_total <> regional_total)
