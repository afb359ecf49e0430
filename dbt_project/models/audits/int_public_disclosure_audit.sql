-- The attacker's findings on what the public sees now: int_public_audit_ledger's findings for
-- the table sets (dataset and month) that are published or have true cells today. A set that
-- was removed since its audit keeps its ledger rows (an identical set would be judged the
-- same) but is not listed here.
with

current_table_sets as (
    select
        dataset,
        period_month
    from {{ ref('int_public_cells') }}
    union
    select
        dataset,
        period_month
    from {{ ref('mart_public_aggregates') }}
)

select
    ledger.dataset,
    ledger.period_month,
    ledger.breakdown,
    ledger.breakdown_value,
    ledger.problem,
    ledger.true_value,
    ledger.proven_low,
    ledger.proven_high
from {{ ref('int_public_audit_ledger') }} as ledger
inner join current_table_sets
    on
        ledger.dataset = current_table_sets.dataset
        and ledger.period_month = current_table_sets.period_month
where ledger.problem is not null
