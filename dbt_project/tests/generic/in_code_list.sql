{#-
    Every non-null value of the column is a code of the contract code list `code_list`, or _T
    (a total over the column, which any breakdown of a cross-section may hold).
-#}
{% test in_code_list(model, column_name, code_list) %}

select {{ column_name }} as invalid_code
from {{ model }}
where
    {{ column_name }} is not null
    and {{ column_name }} <> '{{ total_code() }}'
    and {{ column_name }} not in (
        select code from {{ ref('code_lists') }}
        where code_list = '{{ code_list }}'
    )

{% endtest %}


{#- Every non-null value is a code of the code list named, row by row, in `code_list_column`. -#}
{% test in_code_list_of_column(model, column_name, code_list_column) %}

select
    tested.{{ code_list_column }} as code_list,
    tested.{{ column_name }} as invalid_code
from {{ model }} as tested
left join {{ ref('code_lists') }} as code_lists
    on
        tested.{{ code_list_column }} = code_lists.code_list
        and tested.{{ column_name }} = code_lists.code
where tested.{{ column_name }} is not null and code_lists.code is null

{% endtest %}
