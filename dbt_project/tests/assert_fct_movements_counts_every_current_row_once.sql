-- Every current raw movements row is counted exactly once in fct_movements: per member and
-- month, the rows and persons in the fact equal those of the current staging rows, so no row is
-- dropped by a join and none is counted twice. Returns failing member-months.
with

staged as (
    select
        member_code,
        period_month,
        count(*) as row_count,
        sum(person_count) as person_count
    from {{ ref('stg_raw__movements') }}
    group by member_code, period_month
),

fact as (
    select
        member_code,
        period_month,
        sum(source_row_count) as row_count,
        sum(person_count) as person_count
    from {{ ref('fct_movements') }}
    group by member_code, period_month
),

compared as (
    select
        coalesce(staged.member_code, fact.member_code) as member_code,
        coalesce(staged.period_month, fact.period_month) as period_month,
        staged.row_count as staged_rows,
        fact.row_count as fact_rows,
        staged.person_count as staged_persons,
        fact.person_count as fact_persons
    from staged
    full outer join fact
        on
            staged.member_code = fact.member_code
            and staged.period_month = fact.period_month
)

select * from compared
where
    staged_rows is distinct from fact_rows
    or staged_persons is distinct from fact_persons
