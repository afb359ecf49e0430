-- For each member x dataset x month: was a return expected (dated membership), was it received
-- and when, on time or late, a nil return or missing, and how often it was corrected.
-- Expected months run from the first reporting month (never before the first month any member
-- reported: before the platform held any return nothing can be missing from it) to the last
-- month that has ended by pidc_as_of; a return not received while its deadline has not passed
-- is not yet due, not missing. Months before the first reporting month are history (back
-- issues of a national publication, loaded into the facts): never expected, never listed here,
-- and they do not move the platform's start either.
with

platform_start as (
    select min(period_month) as first_return_month
    from {{ ref('int_return_versions') }}
    where is_accepted and period_month >= {{ first_reporting_month() }}
),

as_of as (
    select
        {{ as_of_date() }} as as_of_date,
        cast({{ dbt.date_trunc('month', as_of_date()) }} as date) as as_of_month,
        case
            when platform_start.first_return_month > {{ first_reporting_month() }}
                then platform_start.first_return_month
            else {{ first_reporting_month() }}
        end as first_month
    from platform_start
),

months as (
    select
        dim_months.period_month,
        dim_months.due_date
    from {{ ref('dim_months') }} as dim_months
),

datasets as (
    select dataset from {{ ref('dim_datasets') }}
),

membership as (
    select
        member_code,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to
    from {{ ref('membership') }}
),

expected_returns as (
    select distinct
        membership.member_code,
        datasets.dataset,
        months.period_month
    from months
    cross join as_of
    cross join datasets
    inner join membership
        on
            membership.valid_from
            < cast({{ dbt.dateadd('month', 1, 'months.period_month') }} as date)
            and (membership.valid_to is null or months.period_month <= membership.valid_to)
    where
        months.period_month >= as_of.first_month
        and months.period_month < as_of.as_of_month
),

received_returns as (
    select
        member_code,
        dataset,
        period_month,
        count(*) as version_count,
        min(received_at) as first_received_at,
        max(received_at) as last_received_at,
        max(case when is_current and is_nil then 1 else 0 end) = 1 as is_nil_return
    from {{ ref('int_return_versions') }}
    where
        is_accepted
        and dataset in (select datasets.dataset from datasets)
        and period_month >= {{ first_reporting_month() }}
    group by member_code, dataset, period_month
),

all_returns as (
    select
        member_code,
        dataset,
        period_month
    from expected_returns
    union
    select
        member_code,
        dataset,
        period_month
    from received_returns
),

assessed as (
    select
        all_returns.member_code,
        all_returns.dataset,
        all_returns.period_month,
        months.due_date,
        expected_returns.member_code is not null as is_expected,
        case
            when
                received_returns.first_received_at is not null
                and received_returns.first_received_at
                < cast({{ dbt.dateadd('day', 1, 'months.due_date') }} as {{ dbt.type_timestamp() }})
                then 'on_time'
            when received_returns.first_received_at is not null then 'late'
            when months.due_date < as_of.as_of_date then 'missing'
            else 'not_yet_due'
        end as status,
        coalesce(received_returns.is_nil_return, false) as is_nil_return,
        coalesce(received_returns.version_count, 0) > 1 as is_corrected,
        coalesce(received_returns.version_count, 0) as version_count,
        received_returns.first_received_at,
        received_returns.last_received_at
    from all_returns
    cross join as_of
    left join months on all_returns.period_month = months.period_month
    left join expected_returns
        on
            all_returns.member_code = expected_returns.member_code
            and all_returns.dataset = expected_returns.dataset
            and all_returns.period_month = expected_returns.period_month
    left join received_returns
        on
            all_returns.member_code = received_returns.member_code
            and all_returns.dataset = received_returns.dataset
            and all_returns.period_month = received_returns.period_month
),

final as (
    select
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        period_month,
        due_date,
        is_expected,
        cast(status as {{ dbt.type_string() }}) as status,
        is_nil_return,
        is_corrected,
        cast(version_count as {{ dbt.type_bigint() }}) as version_count,
        cast(first_received_at as {{ dbt.type_timestamp() }}) as first_received_at,
        cast(last_received_at as {{ dbt.type_timestamp() }}) as last_received_at
    from assessed
)

select * from final
