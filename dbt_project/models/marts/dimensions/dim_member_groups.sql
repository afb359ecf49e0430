-- Members of the named sharing groups (the Profiling Group, the Maritime Group), from the seed
-- sharing/member_groups the Secretariat edits; sharing rules may open a dataset to a group.
with

member_groups as (
    select * from {{ ref('member_groups') }}
),

final as (
    select
        cast(group_code as {{ dbt.type_string() }}) as group_code,
        cast(group_name as {{ dbt.type_string() }}) as group_name,
        cast(group_name_fr as {{ dbt.type_string() }}) as group_name_fr,
        cast(member_code as {{ dbt.type_string() }}) as member_code
    from member_groups
)

select * from final
