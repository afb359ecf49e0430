-- Long format: one row per current dataset row x breakdown column, holding the value exactly as
-- the member wrote it. One harmonisation model then serves every dataset; which kind of column
-- each is (country, port or code list) comes from the contract seed dataset_columns.
with

{% for dataset in var('pidc_datasets') %}
    {%- set staged_relation = ref('stg_raw__' ~ dataset) %}
    {{ dataset }}_values as (
        {%- for column in breakdown_columns(staged_relation) %}
            select
                row_key,
                '{{ dataset }}' as dataset,
                member_code,
                period_month,
                '{{ column }}' as column_name,
                cast({{ column }} as varchar) as raw_value,
                person_count
            from {{ staged_relation }}
            union all
        {%- endfor %}
        -- closes the union above and gives the CTE its columns while dbt parses
        select
            cast(null as varchar) as row_key,
            cast(null as varchar) as dataset,
            cast(null as varchar) as member_code,
            cast(null as date) as period_month,
            cast(null as varchar) as column_name,
            cast(null as varchar) as raw_value,
            cast(null as bigint) as person_count
        where false
    ),

{% endfor %}
dataset_columns as (
    select
        dataset,
        column_name,
        column_type,
        code_list
    from {{ ref('dataset_columns') }}
),

unioned as (
    {%- for dataset in var('pidc_datasets') %}
        select * from {{ dataset }}_values
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

typed as (
    select
        unioned.row_key,
        unioned.dataset,
        unioned.member_code,
        unioned.period_month,
        unioned.column_name,
        dataset_columns.column_type,
        dataset_columns.code_list,
        unioned.raw_value,
        unioned.person_count
    from unioned
    left join dataset_columns
        on
            unioned.dataset = dataset_columns.dataset
            and unioned.column_name = dataset_columns.column_name
)

select * from typed
