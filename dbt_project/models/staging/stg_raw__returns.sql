-- Every version of every return, with the one that counts marked is_current. This is the only
-- place that decides supersession; the dataset staging models keep rows by it.
with

source as (
    select * from {{ source('raw', 'returns') }}
),

submissions as (
    select
        submission_id,
        status,
        is_accepted
    from {{ ref('stg_raw__submissions') }}
),

renamed as (
    select
        submission_id || '|' || dataset || '|' || period as return_version_key,
        submission_id,
        member as member_code,
        dataset,
        period,
        cast(period || '-01' as date) as period_month,
        is_nil,
        row_count,
        received_at
    from source
),

accepted_returns as (
    select renamed.*
    from renamed
    inner join submissions on renamed.submission_id = submissions.submission_id
    where submissions.is_accepted
),

accepted_versions as (
    select
        return_version_key,
        row_number() over (
            partition by member_code, dataset, period
            order by {{ newest_version_first() }}
        ) as newness_rank,
        count(*) over (
            partition by member_code, dataset, period
        ) as accepted_version_count
    from accepted_returns
),

versioned as (
    select
        renamed.return_version_key,
        renamed.submission_id,
        renamed.member_code,
        renamed.dataset,
        renamed.period,
        renamed.period_month,
        renamed.is_nil,
        renamed.row_count,
        renamed.received_at,
        submissions.status as submission_status,
        coalesce(submissions.is_accepted, false) as is_accepted,
        accepted_versions.accepted_version_count - accepted_versions.newness_rank + 1
            as accepted_version_number,
        coalesce(accepted_versions.newness_rank = 1, false) as is_current
    from renamed
    left join submissions on renamed.submission_id = submissions.submission_id
    left join accepted_versions
        on renamed.return_version_key = accepted_versions.return_version_key
)

select * from versioned
