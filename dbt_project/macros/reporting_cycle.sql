{#-
    "Today" for the reporting cycle: the var pidc_as_of (YYYY-MM-DD) when set, so tests and
    backfills are deterministic, else the database's current date.
-#}
{% macro as_of_date() -%}
    {%- if var('pidc_as_of', '') -%}
        cast('{{ var("pidc_as_of") }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}


{#-
    The first month returns are expected, as a date: the var pidc_first_reporting_month (YYYY-MM)
    when set, else the first_reporting_month setting of reference.reporting_settings.
-#}
{% macro first_reporting_month() -%}
    {%- if var('pidc_first_reporting_month', '') -%}
        cast('{{ var("pidc_first_reporting_month") }}-01' as date)
    {%- else -%}
        (
            select cast(value || '-01' as date)
            from {{ ref('reporting_settings') }}
            where setting = 'first_reporting_month'
        )
    {%- endif -%}
{%- endmacro %}


{#- A reporting_settings value as an integer (deadline day, small-cell threshold...). -#}
{% macro integer_setting(setting) -%}
    (
        select cast(value as {{ dbt.type_int() }})
        from {{ ref('reporting_settings') }}
        where setting = '{{ setting }}'
    )
{%- endmacro %}


{#- The deadline of the return for `period_month`: the deadline day of the next month. -#}
{% macro due_date(period_month, deadline_day) -%}
    cast({{ dbt.dateadd(
        'day',
        deadline_day ~ ' - 1',
        dbt.dateadd('month', 1, period_month)
    ) }} as date)
{%- endmacro %}


{#- A month's short English name ('Oct'), without database-specific date formatting. -#}
{% macro month_abbreviation(month_number) -%}
    case {{ month_number }}
        {%- for name in ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun',
                         'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] %}
        when {{ loop.index }} then '{{ name }}'
        {%- endfor %}
    end
{%- endmacro %}
