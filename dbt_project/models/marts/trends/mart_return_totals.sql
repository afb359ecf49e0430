-- One row per current received return with its total (int_return_totals: the one cross-section
-- of the return that counts). A nil return totals 0 for the member that sent it; a missing
-- return has no row (never 0).
with

return_totals as (
    select * from {{ ref('int_return_totals') }}
),

final as (
    select
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        period_month,
        cast(total_count as {{ dbt.type_bigint() }}) as total_count,
        is_nil_return
    from return_totals
)

select * from final
