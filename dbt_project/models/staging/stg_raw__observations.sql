-- Notes of the newest accepted submission that carried notes for a member x dataset x month,
-- so a corrected return's notes replace the old ones wholesale, like its figures.
with

source as (
    select * from {{ source('raw', 'observations') }}
),

submissions as (
    select
        submission_id,
        received_at,
        is_accepted
    from {{ ref('stg_raw__submissions') }}
),

renamed as (
    select
        source.submission_id,
        source.source_sheet,
        source.source_row,
        source.source_column,
        source.member as member_code,
        source.period,
        cast(source.period || '-01' as date) as period_month,
        source.dataset,
        source.topic,
        source.note,
        source.shareable as is_shareable,
        submissions.received_at
    from source
    inner join submissions on source.submission_id = submissions.submission_id
    where submissions.is_accepted
),

ranked as (
    select
        *,
        dense_rank() over (
            partition by member_code, dataset, period
            order by {{ newest_version_first() }}
        ) as newness_rank
    from renamed
),

current_notes as (
    select
        {{ return_row_key('observations', 'ranked') }} as row_key,
        ranked.submission_id,
        ranked.source_sheet,
        ranked.source_row,
        ranked.source_column,
        ranked.member_code,
        ranked.period,
        ranked.period_month,
        ranked.dataset,
        ranked.topic,
        ranked.note,
        ranked.is_shareable,
        ranked.received_at
    from ranked
    where ranked.newness_rank = 1
)

select * from current_notes
