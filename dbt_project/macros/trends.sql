{#- The median of a numeric expression as an aggregate, where the database has one. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'pidc')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}


{#- The SDMX code for "total over this breakdown" (docs/layouts.md). -#}
{% macro total_code() -%}_T{%- endmacro %}


{#-
    The sum of `total_count` over the `months` months ending with this row's month, for the same
    `keys`, from the CTE `monthly_totals` (months with nothing reported simply add nothing).
-#}
{% macro rolling_total(keys, months) -%}
        (
            select sum(window_months.total_count)
            from monthly_totals as window_months
            where
                {%- for key in keys %}
                window_months.{{ key }} = monthly_totals.{{ key }} and
                {%- endfor %}
                window_months.period_month <= monthly_totals.period_month
                and window_months.period_month
                > cast({{ dbt.dateadd('month', -months, 'monthly_totals.period_month') }} as date)
        )
{%- endmacro %}


{#-
    Trend columns over a CTE `monthly_totals` holding `keys`, period_month and total_count: the
    previous month and the same month last year (null when nothing was reported then, never 0),
    their change in percent, and rolling 3- and 12-month sums over the months reported.
    Self-joins on month arithmetic instead of window frames, so any database runs it.
-#}
{% macro trend_comparisons(keys) -%}
    select
        {%- for key in keys %}
        monthly_totals.{{ key }},
        {%- endfor %}
        monthly_totals.period_month,
        monthly_totals.total_count,
        previous_month.total_count as previous_month_total,
        round(
            100.0 * (monthly_totals.total_count - previous_month.total_count)
            / nullif(previous_month.total_count, 0),
            1
        ) as mom_change_pct,
        last_year.total_count as same_month_last_year_total,
        round(
            100.0 * (monthly_totals.total_count - last_year.total_count)
            / nullif(last_year.total_count, 0),
            1
        ) as yoy_change_pct,
        {{ rolling_total(keys, 3) }} as rolling_3m_total,
        {{ rolling_total(keys, 12) }} as rolling_12m_total
    from monthly_totals
    left join monthly_totals as previous_month
        on
            {%- for key in keys %}
            monthly_totals.{{ key }} = previous_month.{{ key }} and
            {%- endfor %}
            cast({{ dbt.dateadd('month', 1, 'previous_month.period_month') }} as date)
            = monthly_totals.period_month
    left join monthly_totals as last_year
        on
            {%- for key in keys %}
            monthly_totals.{{ key }} = last_year.{{ key }} and
            {%- endfor %}
            cast({{ dbt.dateadd('month', 12, 'last_year.period_month') }} as date)
            = monthly_totals.period_month
{%- endmacro %}
