-- One row per PIDC member with where it is (for maps) and when it has been a member; expected
-- returns come from the dated membership, so a member that joins later is not "missing" before.
-- The French name comes with the seed (its country's French name, from the same reference).
with

members as (
    select * from {{ ref('members') }}
),

membership as (
    select
        member_code,
        min(cast(valid_from as date)) as member_since,
        max(case when valid_to is null then 1 else 0 end) as has_open_membership,
        max(cast(valid_to as date)) as last_valid_to
    from {{ ref('membership') }}
    group by member_code
),

joined as (
    select
        cast(members.member_code as varchar) as member_code,
        cast(members.member_name as varchar) as member_name,
        cast(members.member_name_fr as varchar) as member_name_fr,
        cast(members.sub_region as varchar) as sub_region,
        cast(members.capital as varchar) as capital,
        cast(members.latitude as double) as latitude,
        cast(members.longitude as double) as longitude,
        membership.member_since,
        case
            when membership.has_open_membership = 1 then cast(null as date)
            else membership.last_valid_to
        end as member_until,
        coalesce(
            membership.has_open_membership = 1
            or membership.last_valid_to >= current_date,
            false
        ) as is_current_member
    from members
    left join membership on members.member_code = membership.member_code
)

select * from joined
