-- Notes of the newest accepted submission that carried notes for a member x dataset x month,
-- so a corrected return's notes replace the old ones wholesale, like its figures.
with

notes as (
    select * from {{ ref('stg_raw__observations') }}
),

submissions as (
    select
        submission_id,
        received_at,
        is_accepted
    from {{ ref('stg_raw__submissions') }}
),

accepted_notes as (
    select
        notes.*,
        submissions.received_at
    from notes
    inner join submissions on notes.submission_id = submissions.submission_id
    where submissions.is_accepted
),

ranked as (
    select
        *,
        dense_rank() over (
            partition by member_code, dataset, period
            order by {{ newest_version_first() }}
        ) as newness_rank
    from accepted_notes
),

current_notes as (
    select
        row_key,
        submission_id,
        source_sheet,
        source_row,
        source_column,
        member_code,
        period,
        period_month,
        dataset,
        topic,
        note,
        is_shareable,
        received_at
    from ranked
    where newness_rank = 1
)

select * from current_notes
