{#- Every code of the model's code columns is known: one test (one node) per model for what was a
    test per column (in_code_list, relationships). `checks` lists, per column, either a
    `code_list` of the contract (the values of code_lists, or _T: a total over the column) or a
    model `to` whose `field` must hold the value (a dimension), with an optional `where` that
    leaves rows out of that check. Nulls (values that could not be mapped) are not checked here.
    Each failing row names a column, an unknown code and how many rows hold it. -#}
{% test known_codes(model, checks) %}

{%- for check in checks %}
select
    '{{ check.column }}' as code_column,
    cast(tested.{{ check.column }} as varchar) as unknown_code,
    count(*) as row_count
from {{ model }} as tested
where
    tested.{{ check.column }} is not null
    {%- if check.where %}
    and ({{ check.where }})
    {%- endif %}
    {%- if check.code_list %}
    and tested.{{ check.column }} <> '{{ total_code() }}'
    and tested.{{ check.column }} not in (
        select code from {{ ref('code_lists') }}
        where code_list = '{{ check.code_list }}'
    )
    {%- else %}
    and tested.{{ check.column }} not in (
        select {{ check.field }} from {{ ref(check.to) }}
        where {{ check.field }} is not null
    )
    {%- endif %}
group by all
{{ "union all" if not loop.last }}
{%- endfor %}

{% endtest %}
