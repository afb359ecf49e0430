-- Every current row of every dataset in one narrow shape, so totals across datasets need no
-- per-dataset SQL. The breakdowns stay in the staging models and int_breakdown_values_*.
with

{% for dataset in var('pidc_datasets') %}
    {{ dataset }}_rows as (
        select
            row_key,
            '{{ dataset }}' as dataset,
            submission_id,
            member_code,
            period_month,
            person_count
        from {{ ref('stg_raw__' ~ dataset) }}
    ),

{% endfor %}
unioned as (
    {%- for dataset in var('pidc_datasets') %}
        select * from {{ dataset }}_rows
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from unioned
