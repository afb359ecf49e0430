{#-
    The one rule that says which version of a return counts: among the accepted versions, the
    newest by received_at, ties broken by the larger submission_id. int_return_versions and
    int_observations_current both order by this, so supersession is decided in one place.
-#}
{% macro newest_version_first() -%}
    received_at desc, submission_id desc
{%- endmacro %}


{#-
    Submission statuses whose rows may be current. 'superseded' is included because a later
    version replacing one return of a submission must not hide that submission's other returns;
    the ranking above still picks the newest version of each return. 'rejected' and 'withdrawn'
    (pidc withdraw) never count: a withdrawn version drops out of the ranking, so the newest
    earlier accepted version of the same return, if any, is current again.
-#}
{% macro accepted_statuses() -%}
    ('accepted', 'superseded')
{%- endmacro %}


{#-
    A stable text key of one dataset row as loaded: dataset, submission, sheet, row and, when one
    spreadsheet row holds several records (a declared layout's category or month columns), the
    column. The column part is appended only when there is one ('|' || null is null), so the keys
    of one-record-per-row returns (template, CSV, SDMX) are the same as before it existed.
-#}
{% macro return_row_key(dataset) -%}
    '{{ dataset }}' || '|' || submission_id
    || '|' || coalesce(source_sheet, '')
    || '|' || cast(source_row as varchar)
    || coalesce('|' || source_column, '')
{%- endmacro %}
