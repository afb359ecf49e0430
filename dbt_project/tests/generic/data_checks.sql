{#- Every data check of one model, seed or source in one test: one node (one dbt step, one
    Dagster asset check) per model, where there was one per check and column (issue 15: each
    test node costs a build about 35 ms whatever it reads; 234 nodes were a third of a small build).
    dbt_project/scripts/data_checks.py folds the usual column tests into it.

    `checks` is a list; each check names its kind by its first key:
      {not_null: [columns]}           no null in any of the columns
      {unique: [columns]}             no two rows share the values of the columns; a single
                                      column ignores nulls (as dbt's unique), a combination
                                      compares them equal (as unique_combination did);
                                      `checked_by_build: true` reads only the rows built since the
                                      model's checks last passed (macros/checked_builds.sql)
      {accepted_values: column, values: [...]}   every non-null value is one of `values`
      {rate: column}                  never below 0 nor above 1 (nulls allowed)
      {known_code: column, code_list: LIST}      a code of the contract's code list, or _T
      {known_code: column, to: model, field: f}  a value of `field` in the model (a dimension)
      {known_code: column, code_list_column: c}  a code of the code list named row by row in c
    and any of them may carry `where` (SQL on the model's columns): only those rows are checked.
    Nulls in a checked column are left to not_null (and to the contracts' constraints).

    A failing row names the check, the column(s), the offending value and how many rows hold it,
    so a failure says what is wrong without rerunning anything. -#}
{% test data_checks(model, checks) %}

{%- for check in checks %}
{%- set kind = (["not_null", "unique", "accepted_values", "rate", "known_code"] | select("in", check) | first) %}
{%- set filter = ("(" ~ check.where ~ ")") if check.where else "true" %}
{%- if kind == "not_null" %}
select
    'not_null' as check_name,
    null_column as column_name,
    cast(null as varchar) as failing_value,
    null_rows as row_count
from (
    unpivot (
        select
            {%- for column in check.not_null %}
            count_if({{ column }} is null) as {{ adapter.quote(column) }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ model }}
        where {{ filter }}
    )
    on columns(*)
    into name null_column value null_rows
)
where null_rows > 0
{%- elif kind == "unique" %}
{%- set columns = [check.unique] if check.unique is string else check.unique %}
select
    'unique' as check_name,
    '{{ columns | join(", ") }}' as column_name,
    {%- if columns | length == 1 %}
    cast({{ columns[0] }} as varchar) as failing_value,
    {%- else %}
    cast(struct_pack({% for column in columns %}{{ column }} := {{ column }}{{ ", " if not loop.last }}{% endfor %}) as varchar) as failing_value,
    {%- endif %}
    count(*) as row_count
from {{ rows_to_check(model) if check.checked_by_build else model }}
where
    {{ filter }}
    {%- if columns | length == 1 %}
    and {{ columns[0] }} is not null
    {%- endif %}
group by {{ columns | join(", ") }}
having count(*) > 1
{%- elif kind == "accepted_values" %}
select
    'accepted_values' as check_name,
    '{{ check.accepted_values }}' as column_name,
    cast({{ check.accepted_values }} as varchar) as failing_value,
    count(*) as row_count
from {{ model }}
where
    {{ filter }}
    and {{ check.accepted_values }} not in (
        {%- for value in check["values"] %}
        {{ value if value is number else "'" ~ value | replace("'", "''") ~ "'" }}{{ "," if not loop.last }}
        {%- endfor %}
    )
group by all
{%- elif kind == "rate" %}
select
    'rate' as check_name,
    '{{ check.rate }}' as column_name,
    cast({{ check.rate }} as varchar) as failing_value,
    count(*) as row_count
from {{ model }}
where {{ filter }} and ({{ check.rate }} < 0 or {{ check.rate }} > 1)
group by all
{%- elif kind == "known_code" %}
select
    'known_code' as check_name,
    '{{ check.known_code }}' as column_name,
    cast(tested.{{ check.known_code }} as varchar) as failing_value,
    count(*) as row_count
from {{ model }} as tested
{%- if check.code_list_column %}
left join {{ ref('code_lists') }} as code_lists
    on
        tested.{{ check.code_list_column }} = code_lists.code_list
        and tested.{{ check.known_code }} = code_lists.code
{%- endif %}
where
    {{ filter }}
    and tested.{{ check.known_code }} is not null
    {%- if check.code_list_column %}
    and code_lists.code is null
    {%- elif check.code_list %}
    and tested.{{ check.known_code }} <> '{{ total_code() }}'
    and tested.{{ check.known_code }} not in (
        select code from {{ ref('code_lists') }}
        where code_list = '{{ check.code_list }}'
    )
    {%- else %}
    and tested.{{ check.known_code }} not in (
        select {{ check.field }} from {{ ref(check.to) }}
        where {{ check.field }} is not null
    )
    {%- endif %}
group by all
{%- else %}
{{ exceptions.raise_compiler_error("data_checks: unknown check " ~ check) }}
{%- endif %}
{{ "union all" if not loop.last }}
{%- endfor %}

{% endtest %}
