-- noqa: disable=RF04
-- (year, month, quarter, label, status are column names of the marts interface)
-- Every code of every regional code list with its English label and display order (from the
-- contract seed code_lists), so pages and analysts show labels instead of codes.
with

code_lists as (
    select * from {{ ref('code_lists') }}
),

final as (
    select
        cast(code_list as {{ dbt.type_string() }}) as code_list,
        cast(code as {{ dbt.type_string() }}) as code,
        cast(label as {{ dbt.type_string() }}) as label,
        cast(sort_order as {{ dbt.type_int() }}) as sort_order
    from code_lists
)

select * from final
