-- Every version of every return (member x dataset x month) as the ledger recorded it, renamed.
-- Which version counts is decided in int_return_versions.
with

source as (
    select * from {{ source('raw', 'returns') }}
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
)

select * from renamed
