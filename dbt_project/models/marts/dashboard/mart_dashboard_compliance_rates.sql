-- Reporting rates per member and dataset over every month, as the Reporting compliance page
-- shows them: expected returns that are due (or arrived early) only, so received never exceeds
-- expected and both rates stay between 0 and 1.
with

due as (
    select
        member_code,
        dataset,
        status,
        is_nil_return
    from {{ ref('mart_reporting_compliance') }}
    where is_expected and status <> 'not_yet_due'
),

summarised as (
    select
        member_code,
        dataset,
        count(*) as expected_returns,
        sum(case when status in ('on_time', 'late') then 1 else 0 end) as received_returns,
        sum(case when status = 'on_time' then 1 else 0 end) as on_time_returns,
        sum(case when status = 'late' then 1 else 0 end) as late_returns,
        sum(case when status = 'missing' then 1 else 0 end) as missing_returns,
        sum(
            case when status in ('on_time', 'late') and is_nil_return then 1 else 0 end
        ) as nil_returns
    from due
    group by member_code, dataset
),

final as (
    select
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(expected_returns as {{ dbt.type_bigint() }}) as expected_returns,
        cast(received_returns as {{ dbt.type_bigint() }}) as received_returns,
        cast(on_time_returns as {{ dbt.type_bigint() }}) as on_time_returns,
        cast(late_returns as {{ dbt.type_bigint() }}) as late_returns,
        cast(missing_returns as {{ dbt.type_bigint() }}) as missing_returns,
        cast(nil_returns as {{ dbt.type_bigint() }}) as nil_returns,
        cast(1.0 * received_returns / expected_returns as double precision)
            as completeness_rate,
        cast(1.0 * on_time_returns / expected_returns as double precision)
            as timeliness_rate
    from summarised
)

select * from final
