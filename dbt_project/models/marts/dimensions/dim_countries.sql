-- Every code a country column may hold after harmonisation: ISO 3166-1 countries, the ICAO Doc
-- 9303 special codes (stateless, refugees, unknown) and the country groups, which stay groups.
with

countries as (
    select
        cast(country_code as varchar) as country_code,
        cast(nullif(alpha2, '') as varchar) as alpha2,
        cast(nullif(numeric_code, '') as varchar) as numeric_code,
        cast(country_name as varchar) as country_name,
        cast(country_name_fr as varchar) as country_name_fr,
        cast(official_name as varchar) as official_name,
        cast(region as varchar) as region,
        cast(sub_region as varchar) as sub_region,
        cast(code_kind as varchar) as code_kind,
        false as is_group
    from {{ ref('countries') }}
),

country_groups as (
    select
        cast(group_code as varchar) as country_code,
        cast(null as varchar) as alpha2,
        cast(null as varchar) as numeric_code,
        cast(group_name as varchar) as country_name,
        cast(group_name_fr as varchar) as country_name_fr,
        cast(description as varchar) as official_name,
        cast(null as varchar) as region,
        cast(null as varchar) as sub_region,
        'group' as code_kind,
        true as is_group
    from {{ ref('country_groups') }}
),

unioned as (
    select * from countries
    union all
    select * from country_groups
)

select * from unioned
