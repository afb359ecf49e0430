-- noqa: disable=RF06
-- (SDMX-CSV column names are upper case by convention, so they are quoted to keep their case.)
-- The public aggregates as SDMX-CSV rows for the regional statistics community: one row per
-- cell, OBS_VALUE empty where suppressed and CONF_STATUS saying why (F free, A primary
-- suppression of a small count, C primary suppression of a figure too few members make up or
-- one member dominates, D secondary suppression). The export carries exactly what
-- mart_public_aggregates publishes (assert_public_cells_not_disclosive checks it).
with

public_aggregates as (
    select * from {{ ref('mart_public_aggregates') }}
),

final as (
    select
        cast('PIDC:DF_BORDER_MIGRATION(1.0)' as {{ dbt.type_string() }}) as "DATAFLOW",
        cast('M' as {{ dbt.type_string() }}) as "FREQ",
        cast(
            case
                when breakdown = 'sub_region'
                    then upper(replace(breakdown_value, ' ', '_'))
                else 'PACIFIC'
            end as {{ dbt.type_string() }}
        ) as "REF_AREA",
        cast(
            {{ dbt.concat([
                "cast(extract(year from period_month) as " ~ dbt.type_string() ~ ")",
                "'-'",
                "case when extract(month from period_month) < 10 then '0' else '' end",
                "cast(extract(month from period_month) as " ~ dbt.type_string() ~ ")",
            ]) }} as {{ dbt.type_string() }}
        ) as "TIME_PERIOD",
        cast(upper(dataset) as {{ dbt.type_string() }}) as "INDICATOR",
        cast(upper(breakdown) as {{ dbt.type_string() }}) as "BREAKDOWN",
        cast(
            case
                when breakdown in ('nationality', 'sex', 'age_group') then breakdown_value
                else '_T'
            end
            as {{ dbt.type_string() }}
        ) as "BREAKDOWN_VALUE",
        obs_value as "OBS_VALUE",
        cast(conf_status as {{ dbt.type_string() }}) as "CONF_STATUS"
    from public_aggregates
)

select * from final
