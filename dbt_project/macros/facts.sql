{#- The breakdown columns of a dataset, from the contract (contract_datasets.sql, generated). -#}
{% macro dataset_breakdowns(dataset) -%}
    {%- for entry in contract_datasets() if entry.name == dataset -%}
        {{ return(entry.breakdowns) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("unknown dataset " ~ dataset) }}
{%- endmacro %}


{#- The regional datasets with a column named `column` (nationality, embarkation_country...). -#}
{% macro datasets_with_column(column) -%}
    {%- set names = [] -%}
    {%- for entry in contract_datasets() -%}
        {%- for breakdown in entry.breakdowns if breakdown.name == column -%}
            {%- do names.append(entry.name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#-
    Which breakdowns of a row are totals ('_T'), as a text of 0s and 1s in contract order. Rows
    sharing a pattern form one cross-section of a table broken down more than one way; every
    cross-section of a return adds up to the same total, so sums take one, never several.
-#}
{% macro cross_section_pattern(dataset, relation_alias) -%}
    {%- set parts = [] -%}
    {%- for column in dataset_breakdowns(dataset) -%}
        {%- do parts.append(
            "case when " ~ relation_alias ~ "." ~ column.name ~ "_code = '_T' then '1' else '0' end"
        ) -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}


{#-
    One fact table: the harmonised rows of a dataset added up per member x month x codes.

    Incremental by member-month (delete+insert on member_code and period_month, so a corrected
    return replaces all its rows, and a combination the correction dropped disappears). A run
    rebuilds the member-months that are new, whose staged rows no longer reconcile with the
    fact (row count or sum differs: most corrections), that have a withdrawn version (pidc
    withdraw: an earlier version may count again with the same row count and sum), every
    member-month of the last
    `pidc_incremental_lookback_months` months (late returns and corrections arrive there), and
    every member-month of the window pidc_period_start..pidc_period_end when a (Dagster
    partition) backfill passes one.
    The post-hook delete_stale_fact_rows removes member-months whose current return became nil
    or disappeared. A `--full-refresh` gives the same table (tests/test_dbt_marts.py).
-#}
{% macro fact_dataset(dataset) -%}
{%- set breakdowns = dataset_breakdowns(dataset) -%}
{%- set code_columns = [] -%}
{%- for column in breakdowns -%}{%- do code_columns.append(column.name ~ '_code') -%}{%- endfor -%}
with

harmonised_rows as (
    select * from {{ ref('int_' ~ dataset ~ '_harmonised') }}
),

{% if is_incremental() %}
staged_member_months as (
    select
        member_code,
        period_month,
        count(*) as source_row_count,
        sum(person_count) as observed_count
    from {{ ref('stg_raw__' ~ dataset) }}
    group by member_code, period_month
),

built_member_months as (
    select
        member_code,
        period_month,
        sum(source_row_count) as source_row_count,
        sum(observed_count) as observed_count
    from {{ this }}
    group by member_code, period_month
),

latest_built_month as (
    select max(period_month) as period_month from {{ this }}
),

-- A version withdrawn by the Secretariat (pidc withdraw) may hand the member-month back to an
-- earlier version with the same row count and total, which the comparison above cannot see.
withdrawn_member_months as (
    select distinct
        member_code,
        period_month
    from {{ ref('stg_raw__returns') }}
    where dataset = '{{ dataset }}' and submission_status = 'withdrawn'
),

member_months_to_build as (
    select
        staged_member_months.member_code,
        staged_member_months.period_month
    from staged_member_months
    cross join latest_built_month
    left join built_member_months
        on
            staged_member_months.member_code = built_member_months.member_code
            and staged_member_months.period_month = built_member_months.period_month
    left join withdrawn_member_months
        on
            staged_member_months.member_code = withdrawn_member_months.member_code
            and staged_member_months.period_month = withdrawn_member_months.period_month
    where
        built_member_months.member_code is null
        or withdrawn_member_months.member_code is not null
        or built_member_months.source_row_count <> staged_member_months.source_row_count
        or built_member_months.observed_count <> staged_member_months.observed_count
        or latest_built_month.period_month is null
        {%- if var('pidc_period_start', '') and var('pidc_period_end', '') %}
        -- a backfill of a window of months (Dagster partitions) rebuilds the whole window
        or staged_member_months.period_month between cast('{{ var("pidc_period_start") }}' as date)
        and cast('{{ var("pidc_period_end") }}' as date)
        {%- endif %}
        or staged_member_months.period_month >= cast({{ dbt.dateadd(
            'month',
            -1 * var('pidc_incremental_lookback_months'),
            'latest_built_month.period_month'
        ) }} as date)
),

rows_to_build as (
    select harmonised_rows.*
    from harmonised_rows
    inner join member_months_to_build
        on
            harmonised_rows.member_code = member_months_to_build.member_code
            and harmonised_rows.period_month = member_months_to_build.period_month
),
{% else %}
rows_to_build as (
    select * from harmonised_rows
),
{% endif %}

aggregated as (
    select
        member_code,
        period_month,
        {%- for column in code_columns %}
        {{ column }},
        {%- endfor %}
        sum(person_count) as observed_count,
        count(*) as source_row_count,
        max(case when has_unmapped_value then 1 else 0 end) = 1 as has_unmapped_value
    from rows_to_build
    group by
        member_code,
        period_month{% for column in code_columns %},
        {{ column }}{% endfor %}
),

keyed as (
    select
        {%- set key_parts = ["member_code", "'|'", "cast(period_month as " ~ dbt.type_string() ~ ")"] %}
        {%- for column in code_columns %}
            {%- do key_parts.append("'|'") %}
            {%- do key_parts.append("coalesce(" ~ column ~ ", '~')") %}
        {%- endfor %}
        cast({{ dbt.hash(dbt.concat(key_parts)) }} as {{ dbt.type_string() }}) as {{ dataset }}_key,
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(period_month as date) as period_month,
        {%- for column in code_columns %}
        cast({{ column }} as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        cast(observed_count as {{ dbt.type_bigint() }}) as observed_count,
        cast(source_row_count as {{ dbt.type_bigint() }}) as source_row_count,
        has_unmapped_value
    from aggregated
)

select * from keyed
{%- endmacro %}


{#-
    Post-hook of every fact: drop the member-months whose current return is now a nil return
    or is no longer current, which an incremental delete+insert (keyed on the rows it inserts)
    cannot see. Harmless on a full refresh.
-#}
{% macro delete_stale_fact_rows(fact_relation) -%}
    {%- set dataset = fact_relation.identifier[4:] -%}
    delete from {{ fact_relation }}
    where not exists (
        select 1
        from {{ ref('stg_raw__returns') }} as current_returns
        where
            current_returns.is_current
            and not current_returns.is_nil
            and current_returns.dataset = '{{ dataset }}'
            and current_returns.member_code = {{ fact_relation }}.member_code
            and current_returns.period_month = {{ fact_relation }}.period_month
    )
{%- endmacro %}


{#- The median of a numeric expression as an aggregate, where the database has one. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'pidc')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}


{#- The SDMX code for "total over this breakdown" (docs/layouts.md). -#}
{% macro total_code() -%}_T{%- endmacro %}


{#- The regional datasets as a SQL list literal: ('movements', 'permits', ...). -#}
{% macro dataset_list() -%}
    ('{{ var("pidc_datasets") | join("', '") }}')
{%- endmacro %}


{#-
    The sum of `total_count` over the `months` months ending with this row's month, for the same
    `keys`, from the CTE `monthly_totals` (months with nothing reported simply add nothing).
-#}
{% macro rolling_total(keys, months) -%}
        (
            select sum(window_months.total_count)
            from monthly_totals as window_months
            where
                {%- for key in keys %}
                window_months.{{ key }} = monthly_totals.{{ key }} and
                {%- endfor %}
                window_months.period_month <= monthly_totals.period_month
                and window_months.period_month
                > cast({{ dbt.dateadd('month', -months, 'monthly_totals.period_month') }} as date)
        )
{%- endmacro %}


{#-
    Trend columns over a CTE `monthly_totals` holding `keys`, period_month and total_count: the
    previous month and the same month last year (null when nothing was reported then, never 0),
    their change in percent, and rolling 3- and 12-month sums over the months reported.
    Self-joins on month arithmetic instead of window frames, so any database runs it.
-#}
{% macro trend_comparisons(keys) -%}
    select
        {%- for key in keys %}
        monthly_totals.{{ key }},
        {%- endfor %}
        monthly_totals.period_month,
        monthly_totals.total_count,
        previous_month.total_count as previous_month_total,
        round(
            100.0 * (monthly_totals.total_count - previous_month.total_count)
            / nullif(previous_month.total_count, 0),
            1
        ) as mom_change_pct,
        last_year.total_count as same_month_last_year_total,
        round(
            100.0 * (monthly_totals.total_count - last_year.total_count)
            / nullif(last_year.total_count, 0),
            1
        ) as yoy_change_pct,
        {{ rolling_total(keys, 3) }} as rolling_3m_total,
        {{ rolling_total(keys, 12) }} as rolling_12m_total
    from monthly_totals
    left join monthly_totals as previous_month
        on
            {%- for key in keys %}
            monthly_totals.{{ key }} = previous_month.{{ key }} and
            {%- endfor %}
            cast({{ dbt.dateadd('month', 1, 'previous_month.period_month') }} as date)
            = monthly_totals.period_month
    left join monthly_totals as last_year
        on
            {%- for key in keys %}
            monthly_totals.{{ key }} = last_year.{{ key }} and
            {%- endfor %}
            cast({{ dbt.dateadd('month', 12, 'last_year.period_month') }} as date)
            = monthly_totals.period_month
{%- endmacro %}


{#-
    CTEs `detailed_rows` and `chosen_rows`: the fact rows that detail `column_code` (its value is
    not _T), and among them only the largest cross-section of each return, so a table broken
    down by nationality x sex and nationality x age counts each person once. Rows whose value
    could not be mapped (null) count towards the size but are left out of chosen_rows.
    `prefix` goes before each CTE name, so one model can detail several columns.
-#}
{% macro detailed_cross_section(column_code, datasets, prefix='') -%}
{{ prefix }}detailed_rows as (
    select
        dataset,
        member_code,
        period_month,
        cross_section,
        {{ column_code }},
        observed_count
    from {{ ref('int_return_cross_sections') }}
    where
        dataset in ('{{ datasets | join("', '") }}')
        and coalesce({{ column_code }}, '') <> '{{ total_code() }}'
),

{{ prefix }}cross_section_sizes as (
    select
        dataset,
        member_code,
        period_month,
        cross_section,
        row_number() over (
            partition by dataset, member_code, period_month
            order by sum(observed_count) desc, cross_section asc
        ) as size_rank
    from {{ prefix }}detailed_rows
    group by dataset, member_code, period_month, cross_section
),

{{ prefix }}chosen_rows as (
    select {{ prefix }}detailed_rows.*
    from {{ prefix }}detailed_rows
    inner join {{ prefix }}cross_section_sizes
        on
            {{ prefix }}detailed_rows.dataset = {{ prefix }}cross_section_sizes.dataset
            and {{ prefix }}detailed_rows.member_code = {{ prefix }}cross_section_sizes.member_code
            and {{ prefix }}detailed_rows.period_month = {{ prefix }}cross_section_sizes.period_month
            and {{ prefix }}detailed_rows.cross_section = {{ prefix }}cross_section_sizes.cross_section
    where
        {{ prefix }}cross_section_sizes.size_rank = 1
        and {{ prefix }}detailed_rows.{{ column_code }} is not null
)
{%- endmacro %}
