{#-
    Models land in exactly the schema their folder names (staging, intermediate, marts) and seeds
    in `reference`, instead of dbt's default `<target schema>_<custom schema>`: the app, the
    publish step and analysts query these names directly.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
