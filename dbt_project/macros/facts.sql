{#-
    Post-hook of every fact: drop the member-months whose current return is now a nil return
    or is no longer current, which an incremental delete+insert (keyed on the rows it inserts)
    cannot see. Harmless on a full refresh.
-#}
{% macro delete_stale_fact_rows(fact_relation) -%}
    {%- set dataset = fact_relation.identifier[4:] -%}
    delete from {{ fact_relation }}
    where not exists (
        select 1
        from {{ ref('int_return_versions') }} as current_returns
        where
            current_returns.is_current
            and not current_returns.is_nil
            and current_returns.dataset = '{{ dataset }}'
            and current_returns.member_code = {{ fact_relation }}.member_code
            and current_returns.period_month = {{ fact_relation }}.period_month
    )
{%- endmacro %}

{#-
    Post-hook of int_public_suppression, kept per table set: drop the table sets (dataset and
    month) no longer in int_public_cells, which an incremental delete+insert (keyed on the sets
    it inserts) cannot see.
-#}
{% macro delete_vanished_table_sets(relation) -%}
    delete from {{ relation }}
    where not exists (
        select 1
        from {{ ref('int_public_cells') }} as cells
        where
            cells.dataset = {{ relation }}.dataset
            and cells.period_month = {{ relation }}.period_month
    )
{%- endmacro %}
