-- The sharing rules flattened for the dashboard: one row per viewer, owner member and dataset
-- the viewer may see, so the app's access rule is one parameterised exists on this table and
-- no role is special-cased in Python. Viewers are the Secretariat (every owner), a member (its
-- own figures and what others share with it) and a group (what every other member of the group
-- may see: the owner's own share with itself does not count). The public has no row: it sees
-- no member-level figure.
with

access as (
    select
        viewer,
        owner_member_code,
        dataset,
        can_view
    from {{ ref('mart_sharing_access') }}
),

member_groups as (
    select
        group_code,
        member_code
    from {{ ref('dim_member_groups') }}
),

secretariat_grants as (
    select
        'secretariat' as viewer_kind,
        'SECRETARIAT' as viewer_code,
        owner_member_code as owner_member,
        dataset,
        'secretariat' as grant_reason
    from access
    where viewer = 'SECRETARIAT' and can_view
),

member_grants as (
    select
        'member' as viewer_kind,
        viewer as viewer_code,
        owner_member_code as owner_member,
        dataset,
        case when viewer = owner_member_code then 'own' else 'shared' end as grant_reason
    from access
    where viewer not in ('SECRETARIAT', 'PUBLIC') and can_view
),

group_grants as (
    select
        'group' as viewer_kind,
        member_groups.group_code as viewer_code,
        access.owner_member_code as owner_member,
        access.dataset,
        'shared' as grant_reason
    from access
    inner join member_groups on access.viewer = member_groups.member_code
    where access.viewer <> access.owner_member_code
    group by member_groups.group_code, access.owner_member_code, access.dataset
    having bool_and(access.can_view)
),

grants as (
    select * from secretariat_grants
    union all
    select * from member_grants
    union all
    select * from group_grants
),

final as (
    select
        cast(viewer_kind as {{ dbt.type_string() }}) as viewer_kind,
        cast(viewer_code as {{ dbt.type_string() }}) as viewer_code,
        cast(owner_member as {{ dbt.type_string() }}) as owner_member,
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(grant_reason as {{ dbt.type_string() }}) as grant_reason
    from grants
)

select * from final
