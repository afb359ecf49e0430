-- noqa: disable=RF04
-- (year, month and quarter are column names of the marts interface)
-- The calendar: one row per calendar month from the first reporting month to the later of "today"
-- (pidc_as_of) and the latest month any accepted return covers, with the month's return
-- deadline. A withdrawn return (pidc withdraw) no longer stretches the calendar.
with

return_months as (
    select
        min(period_month) as earliest_return_month,
        max(period_month) as latest_return_month
    from {{ ref('int_return_versions') }}
    where is_accepted
),

settings as (
    select
        {{ first_reporting_month() }} as first_reporting_month,
        cast({{ dbt.date_trunc('month', as_of_date()) }} as date) as as_of_month
),

-- a return older than the first reporting month still needs its month in the dimension
bounds as (
    select
        settings.as_of_month,
        return_months.latest_return_month,
        case
            when return_months.earliest_return_month < settings.first_reporting_month
                then return_months.earliest_return_month
            else settings.first_reporting_month
        end as first_month
    from settings
    cross join return_months
),

-- 100 years of months is more than the platform will see; the filter below keeps the real ones
month_numbers as (
    {{ dbt.generate_series(1200) }}
),

all_months as (
    select
        bounds.as_of_month,
        bounds.latest_return_month,
        cast(
            {{ dbt.dateadd('month', 'month_numbers.generated_number - 1', 'bounds.first_month') }}
            as date
        ) as period_month
    from month_numbers
    cross join bounds
),

months as (
    select period_month
    from all_months
    where
        period_month <= case
            when latest_return_month > as_of_month then latest_return_month
            else as_of_month
        end
),

final as (
    select
        period_month,
        cast(extract(year from period_month) as {{ dbt.type_int() }}) as year,
        cast(extract(month from period_month) as {{ dbt.type_int() }}) as month,
        cast(extract(quarter from period_month) as {{ dbt.type_int() }}) as quarter,
        cast(
            {{ dbt.concat([
                month_abbreviation('extract(month from period_month)'),
                "' '",
                "cast(extract(year from period_month) as " ~ dbt.type_string() ~ ")",
            ]) }} as {{ dbt.type_string() }}
        ) as month_label,
        {{ due_date('period_month', integer_setting('deadline_day_of_next_month')) }} as due_date
    from months
)

select * from final
