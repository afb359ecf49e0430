-- Who may see whose member-level figures, per dataset: the enforcement of the sharing rules
-- lives here, in the data layer, and pages only ask it. A member always sees its own data, the
-- Secretariat sees everything, PUBLIC sees no member-level figures (only the suppressed
-- regional aggregates of mart_public_aggregates). Otherwise the owner's rule for the dataset
-- (seed sharing/sharing_rules) decides; a member-dataset without a rule is Secretariat only.
with

members as (
    select member_code from {{ ref('dim_members') }}
),

datasets as (
    select dataset from {{ ref('dim_datasets') }}
),

rules as (
    select
        member_code,
        dataset,
        audience
    from {{ ref('sharing_rules') }}
),

member_groups as (
    select
        group_code,
        member_code
    from {{ ref('dim_member_groups') }}
),

viewers as (
    select
        'SECRETARIAT' as viewer,
        cast(null as {{ dbt.type_string() }}) as viewer_member_code
    union all
    select
        'PUBLIC' as viewer,
        cast(null as {{ dbt.type_string() }}) as viewer_member_code
    union all
    select
        member_code as viewer,
        member_code as viewer_member_code
    from members
),

owned_datasets as (
    select
        members.member_code as owner_member_code,
        datasets.dataset,
        coalesce(rules.audience, 'secretariat_only') as audience
    from members
    cross join datasets
    left join rules
        on
            members.member_code = rules.member_code
            and datasets.dataset = rules.dataset
),

access as (
    select
        viewers.viewer,
        owned_datasets.owner_member_code,
        owned_datasets.dataset,
        case
            when viewers.viewer = 'SECRETARIAT' then true
            when viewers.viewer = 'PUBLIC' then false
            when viewers.viewer_member_code = owned_datasets.owner_member_code then true
            when owned_datasets.audience = 'all_members' then true
            when owned_datasets.audience in ('profiling_group', 'maritime_group')
                then exists (
                    select 1
                    from member_groups
                    where
                        member_groups.member_code = viewers.viewer_member_code
                        and member_groups.group_code = case owned_datasets.audience
                            when 'profiling_group' then 'PROFILING'
                            else 'MARITIME'
                        end
                )
            else false
        end as can_view
    from viewers
    cross join owned_datasets
),

final as (
    select
        cast(viewer as {{ dbt.type_string() }}) as viewer,
        cast(owner_member_code as {{ dbt.type_string() }}) as owner_member_code,
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(can_view as {{ dbt.type_boolean() }}) as can_view
    from access
)

select * from final
