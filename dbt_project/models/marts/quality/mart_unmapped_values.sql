-- Values members wrote that no seed maps to a regional code, with how much data they hold, so
-- the Secretariat adds a mapping row (seeds country_aliases, label_mappings) instead of the
-- platform guessing.
with

unmapped as (
    select * from {{ ref('int_unmapped_values') }}
),

final as (
    select
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(column_name as {{ dbt.type_string() }}) as column_name,
        cast(raw_value as {{ dbt.type_string() }}) as raw_value,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(person_count as {{ dbt.type_bigint() }}) as person_count
    from unmapped
)

select * from final
