-- Disclosure control of every public view: no visible cell holds a count from 1 to the
-- small-cell threshold, and no dataset x month x breakdown has exactly one hidden cell (which
-- the published total minus the visible cells would reveal). Returns the offending cells.
with

public_cells as (
    select
        dataset,
        period_month,
        breakdown,
        breakdown_value,
        obs_value,
        is_suppressed
    from {{ ref('mart_public_aggregates') }}
),

sdmx_cells as (
    select
        lower(indicator) as dataset,
        time_period,
        obs_value,
        conf_status
    from {{ ref('mart_sdmx_public') }}
),

small_visible as (
    select
        dataset,
        breakdown,
        breakdown_value,
        'visible small cell' as problem
    from public_cells
    where
        not is_suppressed
        and obs_value between 1 and {{ integer_setting('small_cell_max') }}
),

lonely_hidden as (
    select
        dataset,
        breakdown,
        cast(period_month as {{ dbt.type_string() }}) as breakdown_value,
        'one hidden cell among visible ones' as problem
    from public_cells
    where breakdown <> 'region'
    group by dataset, period_month, breakdown
    having
        sum(case when is_suppressed then 1 else 0 end) = 1
        and count(*) > 1
),

sdmx_leaks as (
    select
        dataset,
        'sdmx' as breakdown,
        time_period as breakdown_value,
        'SDMX row with a value but a confidential status, or a small value' as problem
    from sdmx_cells
    where
        (conf_status <> 'F' and obs_value is not null)
        or obs_value between 1 and {{ integer_setting('small_cell_max') }}
)

select * from small_visible
union all
select * from lonely_hidden
union all
select * from sdmx_leaks
