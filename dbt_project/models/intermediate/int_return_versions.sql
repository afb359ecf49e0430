-- Every version of every return, with the one that counts marked is_current: the newest
-- accepted version (newest_version_first). This is the only place that decides supersession;
-- int_<dataset>_current_rows keep rows by it.
with

returns as (
    select * from {{ ref('stg_raw__returns') }}
),

submissions as (
    select
        submission_id,
        status,
        is_accepted
    from {{ ref('stg_raw__submissions') }}
),

accepted_returns as (
    select returns.*
    from returns
    inner join submissions on returns.submission_id = submissions.submission_id
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
        returns.return_version_key,
        returns.submission_id,
        returns.member_code,
        returns.dataset,
        returns.period,
        returns.period_month,
        returns.is_nil,
        returns.row_count,
        returns.received_at,
        submissions.status as submission_status,
        coalesce(submissions.is_accepted, false) as is_accepted,
        accepted_versions.accepted_version_count - accepted_versions.newness_rank + 1
            as accepted_version_number,
        coalesce(accepted_versions.newness_rank = 1, false) as is_current
    from returns
    left join submissions on returns.submission_id = submissions.submission_id
    left join accepted_versions
        on returns.return_version_key = accepted_versions.return_version_key
)

select * from versioned
