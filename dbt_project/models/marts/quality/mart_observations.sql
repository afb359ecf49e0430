-- Narrative notes on returns (trend, modus operandi, route) from the current version of each
-- return. Every note is here for the Secretariat; pages outside it show only is_shareable ones.
with

notes as (
    select * from {{ ref('int_observations_current') }}
),

final as (
    select
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        period_month,
        cast(topic as {{ dbt.type_string() }}) as topic,
        cast(note as {{ dbt.type_string() }}) as note,
        cast(is_shareable as {{ dbt.type_boolean() }}) as is_shareable
    from notes
)

select * from final
