-- The seven regional datasets, from the data contract (contract_datasets, generated), with
-- whether each has a nationality column and a route (embarkation country) column.
with

datasets as (
    {%- for dataset in contract_datasets() %}
        {%- set names = [] %}
        {%- for column in dataset.breakdowns %}{% do names.append(column.name) %}{% endfor %}
        select
            '{{ dataset.name }}' as dataset,
            '{{ dataset.title | replace("'", "''") }}' as title,
            '{{ dataset.description | replace("'", "''") }}' as description,
            {{ 'true' if 'nationality' in names else 'false' }} as has_nationality,
            {{ 'true' if 'embarkation_country' in names else 'false' }} as has_route,
            {{ loop.index }} as sort_order
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(has_nationality as {{ dbt.type_boolean() }}) as has_nationality,
        cast(has_route as {{ dbt.type_boolean() }}) as has_route
    from datasets
)

select * from final
