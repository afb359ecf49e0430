{#-
    The matching form of a member's label, the SQL twin of pidc.normalise.normalise_label: trailing
    footnote or provisional markers off ("New Zealand (8)", "Fiji*", "Tonga [p]", "Samoa †"),
    accents off, lower case, every run of characters outside [a-z0-9] becomes one space, trimmed.
    For ASCII input the two give the same result; tests/test_dbt_project.py checks it.
-#}
{% macro normalise_label(column) -%}
    trim(
        regexp_replace(
            lower({{ strip_accents(strip_footnote_marker(column)) }}),
            '[^a-z0-9]+',
            ' ',
            'g'
        )
    )
{%- endmacro %}


{% macro strip_footnote_marker(column) -%}
    regexp_replace(
        trim({{ column }}),
        '(\s*(\(\d{1,3}\)|\[[A-Za-z]{1,3}\]|\*+|†|‡))+\s*$',
        ''
    )
{%- endmacro %}


{#- Accents off where the database can do it; ASCII labels need nothing. -#}
{% macro strip_accents(column) -%}
    {{ return(adapter.dispatch('strip_accents', 'pidc')(column)) }}
{%- endmacro %}

{% macro default__strip_accents(column) -%}
    {{ column }}
{%- endmacro %}

{% macro duckdb__strip_accents(column) -%}
    strip_accents({{ column }})
{%- endmacro %}
