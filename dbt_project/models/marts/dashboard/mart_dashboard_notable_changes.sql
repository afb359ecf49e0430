-- The bulletin's notable changes: each member's month-on-month change per dataset, ranked
-- within the month by its size either way. A change on a tiny base (2 -> 5) is noise, not news:
-- only months whose previous month counted at least 20 are ranked. The change itself is the
-- one of mart_member_trends.
with

changes as (
    select
        dataset,
        member_code,
        period_month,
        total_count,
        previous_month_total,
        mom_change_pct
    from {{ ref('mart_member_trends') }}
    where previous_month_total >= 20 and mom_change_pct is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by period_month
            order by abs(mom_change_pct) desc, dataset asc, member_code asc
        ) as change_rank
    from changes
),

final as (
    select
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        period_month,
        cast(total_count as {{ dbt.type_bigint() }}) as total_count,
        cast(previous_month_total as {{ dbt.type_bigint() }}) as previous_month_total,
        cast(mom_change_pct as double precision) as mom_change_pct,
        cast(change_rank as {{ dbt.type_bigint() }}) as change_rank
    from ranked
)

select * from final
