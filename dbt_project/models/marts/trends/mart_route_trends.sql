-- Document-fraud routes: fraudulent documents detected by each member per month by the country
-- where the holder embarked (embarkation country -> detecting member), from the largest
-- cross-section of each return that details the embarkation country
-- (int_detailed_cross_sections).
with

route_rows as (
    select
        member_code,
        breakdown_value as embarkation_country_code,
        period_month,
        observed_count
    from {{ ref('int_detailed_cross_sections') }}
    where breakdown = 'embarkation_country'
),

final as (
    select
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(embarkation_country_code as {{ dbt.type_string() }}) as embarkation_country_code,
        period_month,
        cast(sum(observed_count) as {{ dbt.type_bigint() }}) as total_count
    from route_rows
    group by member_code, embarkation_country_code, period_month
)

select * from final
