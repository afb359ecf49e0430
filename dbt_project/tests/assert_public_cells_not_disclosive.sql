-- Disclosure control of everything the public sees. Returns the offending cells:
--   - every finding of the attacker's audit (int_public_disclosure_audit, pidc/disclosure.py):
--     a hidden cell that linear programs over all published cells of its dataset and month can
--     bound closer than its protection, a visible cell that breaks a primary rule (a count
--     from 1 to small_cell_max, too few contributing members, one dominant member), or
--     contributing members published for a hidden cell or as 1 or 2;
--   - an SDMX-CSV row that does not carry exactly what mart_public_aggregates publishes (the
--     same value, or none, and the same status), so the export discloses no more than the mart.
with

audit_findings as (
    select
        dataset,
        breakdown,
        breakdown_value,
        problem
    from {{ ref('int_public_disclosure_audit') }}
),

public_cells as (
    select
        upper(dataset) as indicator,
        case
            when breakdown = 'sub_region' then upper(replace(breakdown_value, ' ', '_'))
            else 'PACIFIC'
        end as ref_area,
        strftime(period_month, '%Y-%m') as time_period,
        upper(breakdown) as sdmx_breakdown,
        case
            when breakdown in ('region', 'sub_region') then '_T'
            else breakdown_value
        end as sdmx_breakdown_value,
        dataset,
        breakdown,
        breakdown_value,
        obs_value,
        conf_status
    from {{ ref('mart_public_aggregates') }}
),

sdmx_cells as (
    -- (DuckDB matches the upper-case SDMX column names case-insensitively)
    select
        indicator,
        ref_area,
        time_period,
        breakdown as sdmx_breakdown,
        breakdown_value as sdmx_breakdown_value,
        obs_value,
        conf_status
    from {{ ref('mart_sdmx_public') }}
),

sdmx_leaks as (
    select
        coalesce(public_cells.dataset, lower(sdmx_cells.indicator)) as dataset,
        coalesce(public_cells.breakdown, 'sdmx') as breakdown,
        coalesce(public_cells.breakdown_value, sdmx_cells.time_period) as breakdown_value,
        'SDMX row that differs from the public aggregates' as problem
    from sdmx_cells
    full outer join public_cells
        on
            sdmx_cells.indicator = public_cells.indicator
            and sdmx_cells.ref_area = public_cells.ref_area
            and sdmx_cells.time_period = public_cells.time_period
            and sdmx_cells.sdmx_breakdown = public_cells.sdmx_breakdown
            and sdmx_cells.sdmx_breakdown_value = public_cells.sdmx_breakdown_value
    where
        public_cells.indicator is null
        or sdmx_cells.indicator is null
        or sdmx_cells.conf_status <> public_cells.conf_status
        or sdmx_cells.obs_value is distinct from public_cells.obs_value
)

select * from audit_findings
union all
select * from sdmx_leaks
