{#- No two rows share the same values of `columns` (nulls compare equal). `checked_by_build`: read
    only the rows built since the model's tests last passed (macros/checked_builds.sql). -#}
{% test unique_combination(model, columns, checked_by_build=false) %}

select
    {{ columns | join(', ') }},
    count(*) as duplicate_rows
from {{ rows_to_check(model) if checked_by_build else model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
