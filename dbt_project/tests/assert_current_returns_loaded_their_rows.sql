-- The ledger and the rows agree: each current, non-nil return has as many staged rows as
-- raw.returns says it loaded, and a nil return has none. A mismatch means intake recorded a
-- return it did not load (or the reverse), so the marts cannot be trusted: it blocks publish.
with

current_returns as (
    select
        return_versions.dataset,
        return_versions.member_code,
        return_versions.period_month,
        return_versions.is_nil,
        return_versions.row_count
    from {{ ref('int_return_versions') }} as return_versions
    inner join {{ ref('int_datasets') }} as datasets
        on return_versions.dataset = datasets.dataset
    where return_versions.is_current
),

staged as (
    select
        dataset,
        member_code,
        period_month,
        count(*) as row_count
    from {{ ref('int_return_rows_unioned') }}
    group by dataset, member_code, period_month
),

compared as (
    select
        current_returns.dataset,
        current_returns.member_code,
        current_returns.period_month,
        current_returns.is_nil,
        current_returns.row_count as ledger_rows,
        coalesce(staged.row_count, 0) as staged_rows
    from current_returns
    left join staged
        on
            current_returns.dataset = staged.dataset
            and current_returns.member_code = staged.member_code
            and current_returns.period_month = staged.period_month
)

select * from compared
where
    (is_nil and staged_rows > 0)
    or (not is_nil and staged_rows <> ledger_rows)
