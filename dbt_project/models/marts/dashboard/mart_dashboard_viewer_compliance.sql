-- The bulletin's reporting compliance of a month, per viewer: the expected and due returns of
-- the members and datasets the viewer may see (mart_dashboard_grants), counted and rated once
-- here, with the members whose return is missing. The public has no grant and so no row.
with

due as (
    select
        member_code,
        dataset,
        period_month,
        status
    from {{ ref('mart_reporting_compliance') }}
    where is_expected and status <> 'not_yet_due'
),

grants as (
    select
        viewer_kind,
        viewer_code,
        owner_member,
        dataset
    from {{ ref('mart_dashboard_grants') }}
),

visible as (
    select
        grants.viewer_kind,
        grants.viewer_code,
        due.member_code,
        due.period_month,
        due.status
    from due
    inner join grants
        on
            due.member_code = grants.owner_member
            and due.dataset = grants.dataset
),

summarised as (
    select
        viewer_kind,
        viewer_code,
        period_month,
        count(*) as expected_returns,
        sum(case when status in ('on_time', 'late') then 1 else 0 end) as received_returns,
        sum(case when status = 'on_time' then 1 else 0 end) as on_time_returns,
        sum(case when status = 'late' then 1 else 0 end) as late_returns,
        sum(case when status = 'missing' then 1 else 0 end) as missing_returns,
        string_agg(
            distinct case when status = 'missing' then member_code end, ', '
            order by case when status = 'missing' then member_code end
        ) as missing_members
    from visible
    group by viewer_kind, viewer_code, period_month
),

final as (
    select
        cast(viewer_kind as {{ dbt.type_string() }}) as viewer_kind,
        cast(viewer_code as {{ dbt.type_string() }}) as viewer_code,
        period_month,
        cast(expected_returns as {{ dbt.type_bigint() }}) as expected_returns,
        cast(received_returns as {{ dbt.type_bigint() }}) as received_returns,
        cast(on_time_returns as {{ dbt.type_bigint() }}) as on_time_returns,
        cast(late_returns as {{ dbt.type_bigint() }}) as late_returns,
        cast(missing_returns as {{ dbt.type_bigint() }}) as missing_returns,
        cast(1.0 * received_returns / expected_returns as double precision)
            as completeness_rate,
        cast(1.0 * on_time_returns / expected_returns as double precision)
            as timeliness_rate,
        cast(missing_members as {{ dbt.type_string() }}) as missing_members
    from summarised
)

select * from final
