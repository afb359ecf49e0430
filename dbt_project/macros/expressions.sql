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
