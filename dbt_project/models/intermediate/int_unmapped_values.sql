-- The values members wrote that no seed maps to a regional code, with how much data they hold,
-- so the Secretariat can add a mapping row instead of the platform guessing.
with

unmapped as (
    select
        member_code,
        dataset,
        column_name,
        raw_value,
        period_month,
        person_count
    from {{ ref('int_breakdown_values_harmonised') }}
    where code is null
),

summarised as (
    select
        member_code,
        dataset,
        column_name,
        raw_value,
        count(*) as row_count,
        sum(person_count) as person_count,
        min(period_month) as first_period_month,
        max(period_month) as last_period_month
    from unmapped
    group by member_code, dataset, column_name, raw_value
)

select * from summarised
