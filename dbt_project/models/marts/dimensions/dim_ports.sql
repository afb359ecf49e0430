-- Ports of entry of every member (reference.ports), where refusals, document fraud and
-- movements are counted; _U (unknown port) is not a port and has no row.
with

ports as (
    select * from {{ ref('ports') }}
),

final as (
    select
        cast(port_code as {{ dbt.type_string() }}) as port_code,
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(port_name as {{ dbt.type_string() }}) as port_name,
        cast(port_mode as {{ dbt.type_string() }}) as port_mode,
        cast(latitude as double precision) as latitude,
        cast(longitude as double precision) as longitude
    from ports
)

select * from final
