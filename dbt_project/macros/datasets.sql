{#- Column names the raw dataset tables carry besides the member's breakdowns. -#}
{% macro non_breakdown_columns() -%}
    {{ return([
        'member', 'period', 'count', 'submission_id', 'source_sheet', 'source_row',
        'source_column', 'member_code', 'period_month', 'person_count', 'row_key',
    ]) }}
{%- endmacro %}


{#-
    The breakdown columns of a dataset relation (raw table or staging view), read from the
    database so no column list is restated by hand. Empty while dbt parses (nothing is queried
    then); the real list is used when the model is compiled to run.
-#}
{% macro breakdown_columns(relation) -%}
    {%- set names = [] -%}
    {%- if execute and relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower not in non_breakdown_columns() -%}
                {%- do names.append(column.name | lower) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}


{#-
    The raw table itself, built from the raw schema name rather than through source(): in a unit
    test source() points at the test's fixture, which has no columns to read.
-#}
{% macro raw_table_relation(table) -%}
    {{ return(api.Relation.create(
        database=target.database, schema=var('pidc_raw_schema'), identifier=table
    )) }}
{%- endmacro %}


{#-
    Staging for one dataset: the rows of the current (newest accepted) version of each return,
    renamed and cast, nothing else. Wholesale supersession: rows of older versions are dropped
    even when the new version has fewer rows, because rows are kept by submission, not matched.
-#}
{% macro stage_dataset(dataset) -%}
{%- set source_relation = source('raw', dataset) -%}
with

source as (
    select * from {{ source_relation }}
),

current_returns as (
    select
        submission_id,
        member_code,
        period
    from {{ ref('stg_raw__returns') }}
    where dataset = '{{ dataset }}' and is_current
),

renamed as (
    select
        {{ return_row_key(dataset, 'source') }} as row_key,
        source.submission_id,
        source.source_sheet,
        source.source_row,
        source.source_column,
        source.member as member_code,
        source.period,
        cast(source.period || '-01' as date) as period_month,
        {%- for column in breakdown_columns(raw_table_relation(dataset)) %}
        source.{{ column }},
        {%- endfor %}
        source.{{ adapter.quote('count') }} as person_count
    from source
    inner join current_returns
        on
            source.submission_id = current_returns.submission_id
            and source.member = current_returns.member_code
            and source.period = current_returns.period
)

select * from renamed
{%- endmacro %}


{#-
    One dataset in wide form with every breakdown harmonised to its regional code: one row per
    current raw row, `<column>_code` null where the member's value could not be mapped (those
    values are listed in int_unmapped_values instead of being guessed).
-#}
{% macro harmonise_dataset(dataset) -%}
{%- set staged_relation = ref('stg_raw__' ~ dataset) -%}
{%- set columns = [] -%}
{%- for column in dataset_breakdowns(dataset) -%}{%- do columns.append(column.name) -%}{%- endfor -%}
with

staged_rows as (
    select * from {{ staged_relation }}
),

harmonised_values as (
    select
        row_key,
        column_name,
        code
    from {{ ref('int_breakdown_values_harmonised') }}
    where dataset = '{{ dataset }}'
),

codes_by_row as (
    select
        row_key,
        {%- for column in columns %}
        max(case when column_name = '{{ column }}' then code end) as {{ column }}_code,
        {%- endfor %}
        count(*) - count(code) as unmapped_value_count
    from harmonised_values
    group by row_key
),

harmonised as (
    select
        staged_rows.row_key,
        staged_rows.submission_id,
        staged_rows.member_code,
        staged_rows.period_month,
        {%- for column in columns %}
        codes_by_row.{{ column }}_code,
        {%- endfor %}
        staged_rows.person_count,
        coalesce(codes_by_row.unmapped_value_count, 0) > 0 as has_unmapped_value
    from staged_rows
    left join codes_by_row on staged_rows.row_key = codes_by_row.row_key
)

select * from harmonised
{%- endmacro %}
