-- noqa: disable=RF04
-- (year, month, quarter, label, status are column names of the marts interface)
-- Every code of every regional code list with its English and French labels and display order
-- (from the contract seed code_lists), so pages and analysts show labels instead of codes.
with

code_lists as (
    select * from {{ ref('code_lists') }}
),

final as (
    select
        cast(code_list as {{ dbt.type_string() }}) as code_list,
        cast(code as {{ dbt.type_string() }}) as code,
        cast(label as {{ dbt.type_string() }}) as label,
        cast(label_fr as {{ dbt.type_string() }}) as label_fr,
        cast(sort_order as {{ dbt.type_int() }}) as sort_order
    from code_lists
)

select * from final
