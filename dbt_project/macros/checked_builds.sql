{#-
    Data tests of the large incremental models read only the rows built since their tests last
    passed, not ten years of rows at every build (issue 15: at 120 months the two uniqueness
    tests below took 10 s of a new month's build).

    Each such model (one with a `checked_by_build: true` check in its data_checks test) stamps its
    rows with the dbt run that built them (built_by = invocation_id). When every data test of the model ran and passed in a run,
    `record_checked_builds` (on-run-end) writes each run whose rows those tests read into
    intermediate.pidc_checked_builds. A test wraps the model in `rows_to_check`, which keeps the
    rows of every submission with a row built by a run not recorded there: a run whose tests
    failed stays unrecorded, so the next run checks its rows again (a failure blocks every
    publish until it is fixed, not only the first). Rows only leave the table (a version no
    longer current) or come in by a run: a row checked once cannot become a duplicate later
    without a newer row of its submission, which is checked with all of that submission's rows.

    `dbt build --vars '{pidc_full_checks: true}'` (the nightly build) and --full-refresh check
    every row.
-#}

{% macro checked_builds_table() -%}
    intermediate.pidc_checked_builds
{%- endmacro %}


{#- on-run-start: the record exists before any test reads it. -#}
{% macro create_checked_builds() -%}
    {%- if execute -%}
        create schema if not exists intermediate;
        create table if not exists {{ checked_builds_table() }} (
            model_name varchar not null,
            built_by varchar not null,
            checked_at timestamp not null
        )
    {%- endif -%}
{%- endmacro %}


{#-
    What a data test of `model` reads: the model itself (full checks), else the rows of the
    submissions that hold a row built by a run whose checks have not passed yet. `key`: the
    column rows are kept together by (a duplicate can only repeat a row of its own submission).
-#}
{% macro rows_to_check(model, key='submission_id') -%}
    {%- if var('pidc_full_checks', false) in [true, 'true', 'True', 1, '1'] -%}
        {{ model }}
    {%- else -%}
        (
            select * from {{ model }}
            where {{ key }} in (
                select {{ key }} from {{ model }}
                where built_by not in (
                    select built_by from {{ checked_builds_table() }}
                    where model_name = '{{ model.identifier }}'
                )
            )
        )
    {%- endif -%}
{%- endmacro %}


{#-
    on-run-end: for each model with a `checked_by_build` test whose data tests all ran in this run
    (every one the project defines for it) and all passed, record the runs whose rows they read.
-#}
{% macro record_checked_builds(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set passed = {} -%}
    {%- set ran = {} -%}
    {%- for result in results if result.node.resource_type == 'test' -%}
        {%- set attached = result.node.attached_node or '' -%}
        {%- do ran.update({attached: ran.get(attached, 0) + 1}) -%}
        {%- if result.status == 'pass' -%}
            {%- do passed.update({attached: passed.get(attached, 0) + 1}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set tests = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') | list -%}
    {%- set scoped = [] -%}
    {%- for test in tests -%}
        {%- set checks = (test.test_metadata or {}).get('kwargs', {}).get('checks') or [] -%}
        {%- if checks | selectattr('checked_by_build') | list -%}
            {%- do scoped.append(test.attached_node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for model_id in scoped | unique -%}
        {%- set model = graph.nodes[model_id] -%}
        {%- set defined = tests | selectattr('attached_node', 'equalto', model_id) | list | length -%}
        {%- if ran.get(model_id, 0) == defined and passed.get(model_id, 0) == defined -%}
            {%- call statement('record_checked_' ~ model.name) -%}
                insert into {{ checked_builds_table() }}
                select distinct '{{ model.name }}', built_by, current_timestamp
                from {{ model.schema }}.{{ model.alias }}
                where built_by is not null and built_by not in (
                    select built_by from {{ checked_builds_table() }}
                    where model_name = '{{ model.name }}'
                )
            {%- endcall -%}
            {#- dbt rolls back what its run hooks leave open -#}
            {%- do adapter.commit() -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
