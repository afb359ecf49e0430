-- Narrative notes on returns, every note of every submission as loaded, renamed. Which
-- submission's notes count is decided in int_observations_current.
with

source as (
    select * from {{ source('raw', 'observations') }}
),

renamed as (
    select
        {{ return_row_key('observations') }} as row_key,
        submission_id,
        source_sheet,
        source_row,
        source_column,
        member as member_code,
        period,
        cast(period || '-01' as date) as period_month,
        dataset,
        topic,
        note,
        shareable as is_shareable
    from source
)

select * from renamed
