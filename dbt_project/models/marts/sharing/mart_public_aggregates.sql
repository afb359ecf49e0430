-- Regional aggregates anyone may see, with every figure that could reveal a member's hidden.
-- The status of each cell comes from int_public_suppression (pidc/disclosure.py), settings in
-- reference.reporting_settings:
--   A  a count from 1 to small_cell_max (4), shown '<5';
--   C  fewer than min_contributors (3) members contribute, or one member makes up more than
--      dominance_pct (85) percent of the cell, shown 'x';
--   D  hidden so that no hidden cell can be worked out from the published ones (the Pacific
--      total, the sub-regions, and the nationality, sex and age-group cells of a dataset and
--      month are linked: they add up), shown 'x';
--   F  free: the count is published.
-- Zero is a real zero and is shown. The number of contributing members is given for free cells
-- only (0, or at least min_contributors), never for a hidden one. Nothing here names a member.
-- The attacker's audit (int_public_disclosure_audit) checks this table before it is published.
with

suppressed as (
    select
        dataset,
        period_month,
        breakdown,
        breakdown_value,
        obs_value,
        display_value,
        conf_status,
        published_contributing_members
    from {{ ref('int_public_suppression') }}
),

final as (
    select
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(period_month as date) as period_month,
        cast(breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(case when conf_status = 'F' then obs_value end as {{ dbt.type_bigint() }})
            as obs_value,
        cast(display_value as {{ dbt.type_string() }}) as display_value,
        conf_status <> 'F' as is_suppressed,
        cast(conf_status as {{ dbt.type_string() }}) as conf_status,
        cast(
            case when conf_status = 'F' then published_contributing_members end
            as {{ dbt.type_bigint() }}
        ) as contributing_members
    from suppressed
)

select * from final
