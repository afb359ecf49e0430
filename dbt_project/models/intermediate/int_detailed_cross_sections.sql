-- The figures that marts detail across datasets (nationality, route, sex and age group), per
-- return and value, each from the largest cross-section of the return that details it (its
-- value is not _T), so a table broken down by nationality x sex and by nationality x age counts
-- each person once. Rows whose value could not be mapped (null) count towards the size of
-- their cross-section but are left out here (they are listed in int_unmapped_values).
-- breakdown names the column: nationality, embarkation_country (the route of document
-- fraud), sex or age_group.
with

cross_section_rows as (
    select * from {{ ref('int_return_cross_sections') }}
),

detailed_rows as (
    select
        'nationality' as breakdown,
        dataset,
        member_code,
        period_month,
        cross_section,
        nationality_code as breakdown_value,
        observed_count
    from cross_section_rows
    where coalesce(nationality_code, '') <> '_T'
    union all
    select
        'embarkation_country' as breakdown,
        dataset,
        member_code,
        period_month,
        cross_section,
        embarkation_country_code as breakdown_value,
        observed_count
    from cross_section_rows
    where coalesce(embarkation_country_code, '') <> '_T'
    union all
    select
        'sex' as breakdown,
        dataset,
        member_code,
        period_month,
        cross_section,
        sex_code as breakdown_value,
        observed_count
    from cross_section_rows
    where coalesce(sex_code, '') <> '_T'
    union all
    select
        'age_group' as breakdown,
        dataset,
        member_code,
        period_month,
        cross_section,
        age_group_code as breakdown_value,
        observed_count
    from cross_section_rows
    where coalesce(age_group_code, '') <> '_T'
),

cross_section_sizes as (
    select
        breakdown,
        dataset,
        member_code,
        period_month,
        cross_section,
        row_number() over (
            partition by breakdown, dataset, member_code, period_month
            order by sum(observed_count) desc, cross_section asc
        ) as size_rank
    from detailed_rows
    group by breakdown, dataset, member_code, period_month, cross_section
),

chosen_rows as (
    select detailed_rows.*
    from detailed_rows
    inner join cross_section_sizes
        on
            detailed_rows.breakdown = cross_section_sizes.breakdown
            and detailed_rows.dataset = cross_section_sizes.dataset
            and detailed_rows.member_code = cross_section_sizes.member_code
            and detailed_rows.period_month = cross_section_sizes.period_month
            and detailed_rows.cross_section = cross_section_sizes.cross_section
    where
        cross_section_sizes.size_rank = 1
        and detailed_rows.breakdown_value is not null
),

summed as (
    select
        breakdown,
        dataset,
        member_code,
        period_month,
        breakdown_value,
        sum(observed_count) as observed_count
    from chosen_rows
    group by breakdown, dataset, member_code, period_month, breakdown_value
)

select * from summed
