-- The seven regional datasets of the data contract (int_datasets, generated from it), with
-- whether each has a nationality column and a route (embarkation country) column; titles and
-- descriptions in English and French (the contract's title_fr and description_fr).
with

datasets as (
    select * from {{ ref('int_datasets') }}
),

final as (
    select
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(title_fr as {{ dbt.type_string() }}) as title_fr,
        cast(description_fr as {{ dbt.type_string() }}) as description_fr,
        cast(has_nationality as {{ dbt.type_boolean() }}) as has_nationality,
        cast(has_route as {{ dbt.type_boolean() }}) as has_route
    from datasets
)

select * from final
