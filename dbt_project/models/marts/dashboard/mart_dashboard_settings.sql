-- noqa: disable=RF04
-- The reporting settings the dashboard quotes to its readers (the suppression threshold of
-- "<5", the complete-coverage share, the deadline day), published with the marts so that the
-- app reads them from the serving database like every other figure.
with

settings as (
    select
        setting,
        value,
        description
    from {{ ref('reporting_settings') }}
),

final as (
    select
        cast(setting as {{ dbt.type_string() }}) as setting,
        cast(value as {{ dbt.type_string() }}) as value,
        cast(description as {{ dbt.type_string() }}) as description
    from settings
)

select * from final
