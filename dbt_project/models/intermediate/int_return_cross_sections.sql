-- Every fact row of every dataset in one narrow shape, with its cross-section: which
-- breakdowns are totals (_T). Rows of one cross-section add up to the return's total; rows of
-- two cross-sections of the same return count the same people twice, so totals take one.
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
            {% if 'nationality' in names -%}
                fact.nationality_code,
            {%- else -%}
                cast(null as {{ dbt.type_string() }}) as nationality_code,
            {%- endif %}
            {% if 'embarkation_country' in names -%}
                fact.embarkation_country_code,
            {%- else -%}
                cast(null as {{ dbt.type_string() }}) as embarkation_country_code,
            {%- endif %}
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
