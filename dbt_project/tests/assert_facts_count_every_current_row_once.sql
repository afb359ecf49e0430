-- Every current raw row of every dataset is counted exactly once in its fact: per dataset,
-- member and month, the rows and counts in fct_<dataset> equal those of the current staging
-- rows, so no row is dropped by a join and none is counted twice (incremental runs included).
-- Returns failing dataset-member-months.
-- noqa: disable=ST05
with

{% for dataset in var('pidc_datasets') %}
    {{ dataset }}_compared as (
        select
            '{{ dataset }}' as dataset,
            coalesce(staged.member_code, fact.member_code) as member_code,
            coalesce(staged.period_month, fact.period_month) as period_month,
            staged.row_count as staged_rows,
            fact.row_count as fact_rows,
            staged.observed_count as staged_count,
            fact.observed_count as fact_count
        from (
            select
                member_code,
                period_month,
                count(*) as row_count,
                sum(person_count) as observed_count
            from {{ ref('stg_raw__' ~ dataset) }}
            group by member_code, period_month
        ) as staged
        full outer join (
            select
                member_code,
                period_month,
                sum(source_row_count) as row_count,
                sum(observed_count) as observed_count
            from {{ ref('fct_' ~ dataset) }}
            group by member_code, period_month
        ) as fact
            on
                staged.member_code = fact.member_code
                and staged.period_month = fact.period_month
    ),

{% endfor %}
unioned as (
    {%- for dataset in var('pidc_datasets') %}
        select * from {{ dataset }}_compared
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from unioned
where
    staged_rows is distinct from fact_rows
    or staged_count is distinct from fact_count
