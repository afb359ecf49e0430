-- Border movements: one row per member x month x harmonised breakdowns. Rows whose labels map
-- to the same codes (say "Chinese" and "CN") add up; a value no seed maps keeps a null code and
-- the row is flagged, so its persons are still counted and never forced onto a guessed code.
with

harmonised_rows as (
    select * from {{ ref('int_movements_harmonised') }}
),

aggregated as (
    select
        member_code,
        period_month,
        direction_code,
        traveller_type_code,
        country_basis_code,
        country_code,
        purpose_code,
        mode_code,
        port_code,
        sum(person_count) as person_count,
        count(*) as source_row_count,
        max(case when has_unmapped_value then 1 else 0 end) = 1 as has_unmapped_value
    from harmonised_rows
    group by
        member_code,
        period_month,
        direction_code,
        traveller_type_code,
        country_basis_code,
        country_code,
        purpose_code,
        mode_code,
        port_code
),

keyed as (
    select
        md5(
            concat_ws(
                '|',
                member_code,
                cast(period_month as varchar),
                coalesce(direction_code, '~'),
                coalesce(traveller_type_code, '~'),
                coalesce(country_basis_code, '~'),
                coalesce(country_code, '~'),
                coalesce(purpose_code, '~'),
                coalesce(mode_code, '~'),
                coalesce(port_code, '~')
            )
        ) as movement_key,
        cast(member_code as varchar) as member_code,
        period_month,
        direction_code,
        traveller_type_code,
        country_basis_code,
        country_code,
        purpose_code,
        mode_code,
        port_code,
        cast(person_count as bigint) as person_count,
        cast(source_row_count as bigint) as source_row_count,
        has_unmapped_value
    from aggregated
)

select * from keyed
