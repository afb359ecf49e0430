with

source as (
    select * from {{ source('raw', 'submissions') }}
),

renamed as (
    select
        submission_id,
        member as member_code,
        file_name,
        file_sha256,
        file_format,
        received_at,
        status,
        status in {{ accepted_statuses() }} as is_accepted,
        datasets,
        periods,
        rows_read,
        rows_loaded,
        rows_rejected,
        report_path,
        summary
    from source
)

select * from renamed
