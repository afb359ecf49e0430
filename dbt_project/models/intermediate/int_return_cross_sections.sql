-- Every fact row of every dataset in one narrow shape, with its cross-section: which
-- breakdowns are totals (_T). Rows of one cross-section add up to the return's total; rows of
-- two cross-sections of the same return count the same people twice, so totals take one.
-- The breakdowns that marts detail across datasets (nationality, route, sex, age group) are
-- kept, null for a dataset without them.
{%- set detailed = ['nationality', 'embarkation_country', 'sex', 'age_group'] %}
with

{% for dataset in contract_datasets() %}
    {%- set names = [] %}
    {%- for column in dataset.breakdowns %}{% do names.append(column.name) %}{% endfor %}
    {{ dataset.name }}_rows as (
        select
            '{{ dataset.name }}' as dataset,
            fact.member_code,
            fact.period_month,
            {{ cross_section_pattern(dataset.name, 'fact') }} as cross_section,
            {%- for column in detailed %}
                {% if column in names -%}
                    fact.{{ column }}_code,
                {%- else -%}
                    cast(null as {{ dbt.type_string() }}) as {{ column }}_code,
                {%- endif %}
            {%- endfor %}
            fact.observed_count
        from {{ ref('fct_' ~ dataset.name) }} as fact
    ),

{% endfor %}
unioned as (
    {%- for dataset in contract_datasets() %}
        select * from {{ dataset.name }}_rows
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from unioned
