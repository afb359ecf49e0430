{#- None of `column_names` holds a null: one test (one scan) for every required column of a model
    without an enforced contract. Where a contract is enforced, a `not_null` constraint does the
    same when DuckDB writes the table, with no test at all. Each failing row names its column and
    how many rows are null in it. -#}
{% test not_null_columns(model, column_names) %}

with null_counts as (
    select
        {%- for column in column_names %}
        count_if({{ column }} is null) as {{ adapter.quote(column) }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

select
    null_column,
    null_rows
from (
    unpivot null_counts
    on columns(*)
    into name null_column value null_rows
)
where null_rows > 0

{% endtest %}
