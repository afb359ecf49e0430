-- noqa: disable=RF04
-- (year, month, quarter, label, status are column names of the marts interface)
-- The submission ledger for the data-quality page: every file received, accepted or not, with
-- what it carried, how many rows were loaded or rejected and where its report is.
with

submissions as (
    select * from {{ ref('stg_raw__submissions') }}
),

final as (
    select
        cast(submission_id as {{ dbt.type_string() }}) as submission_id,
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(file_name as {{ dbt.type_string() }}) as file_name,
        cast(file_format as {{ dbt.type_string() }}) as file_format,
        cast(received_at as {{ dbt.type_timestamp() }}) as received_at,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(datasets as {{ dbt.type_string() }}) as datasets,
        cast(periods as {{ dbt.type_string() }}) as periods,
        cast(rows_read as {{ dbt.type_bigint() }}) as rows_read,
        cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
        cast(rows_rejected as {{ dbt.type_bigint() }}) as rows_rejected,
        cast(report_path as {{ dbt.type_string() }}) as report_path,
        cast(summary as {{ dbt.type_string() }}) as summary
    from submissions
)

select * from final
