-- noqa: disable=RF04
-- (year, month and quarter are column names of the marts interface)
-- One row per calendar month from the first reporting month to the later of "today"
-- (pidc_as_of) and the latest month any accepted return covers, with the month's return
-- deadline (int_months).
with

months as (
    select * from {{ ref('int_months') }}
),

final as (
    select
        period_month,
        year,
        month,
        quarter,
        month_label,
        due_date
    from months
)

select * from final
