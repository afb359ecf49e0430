-- Regional aggregates anyone may see, with small cells suppressed.
--   Primary (A): a count from 1 to small_cell_max (reference.reporting_settings, 4) is hidden
--     and shown as '<5'.
--   Secondary (D): within each dataset x month x breakdown, when exactly one cell is hidden,
--     the next-smallest cell (a non-zero one where there is one) is hidden too and shown as
--     'x', so the published Pacific total minus the visible cells cannot reveal the hidden one.
-- Zero is a real zero and is shown; nothing here names a member.
with

cells as (
    select
        dataset,
        period_month,
        breakdown,
        breakdown_value,
        cell_count,
        contributing_members,
        cell_count between 1 and {{ integer_setting('small_cell_max') }} as is_primary
    from {{ ref('int_public_cells') }}
),

groups as (
    select
        dataset,
        period_month,
        breakdown,
        sum(case when is_primary then 1 else 0 end) as primary_cells
    from cells
    group by dataset, period_month, breakdown
),

ranked as (
    select
        cells.*,
        groups.primary_cells,
        row_number() over (
            partition by cells.dataset, cells.period_month, cells.breakdown
            order by
                case when cells.is_primary then 1 else 0 end,
                case when cells.cell_count > 0 then 0 else 1 end,
                cells.cell_count,
                cells.breakdown_value
        ) as complement_rank
    from cells
    inner join groups
        on
            cells.dataset = groups.dataset
            and cells.period_month = groups.period_month
            and cells.breakdown = groups.breakdown
),

suppressed as (
    select
        *,
        case
            when is_primary then 'A'
            when primary_cells = 1 and complement_rank = 1 then 'D'
            else 'F'
        end as conf_status
    from ranked
),

final as (
    select
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        period_month,
        cast(breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(case when conf_status = 'F' then cell_count end as {{ dbt.type_bigint() }})
            as obs_value,
        cast(
            case conf_status
                when 'A' then {{ dbt.concat([
                    "'<'",
                    "cast(" ~ integer_setting('small_cell_max') ~ " + 1 as " ~ dbt.type_string() ~ ")",
                ]) }}
                when 'D' then 'x'
                else cast(cell_count as {{ dbt.type_string() }})
            end as {{ dbt.type_string() }}
        ) as display_value,
        conf_status <> 'F' as is_suppressed,
        cast(conf_status as {{ dbt.type_string() }}) as conf_status,
        cast(contributing_members as {{ dbt.type_bigint() }}) as contributing_members
    from suppressed
)

select * from final
