{#-
    The harmonised chain (int_breakdown_values_unpivoted, int_breakdown_values_harmonised and
    every int_<dataset>_harmonised) is kept by return version: the rows of one version of one
    return (dataset, submission, member, month) are a pure function of that version's raw rows
    (which never change once loaded) and of the mapping seeds. An incremental run therefore

    1. deletes, in a pre-hook (delete_rows_to_reharmonise), the rows of every version that is no
       longer current (corrected, withdrawn), of every row built with other mapping seeds or
       other SQL than today's (build_fingerprint: the model's SQL, the fingerprint of the rows it
       read and, from int_breakdown_values_harmonised on, the mapping seeds), of the months of a
       backfill window (pidc_period_start..pidc_period_end), or every row when the table was
       built without a column its YAML documents (an older version of the project); a change in
       a macro the chain calls (normalise_label) does not show in the fingerprint: run
       `dbt build --full-refresh` after one;
    2. inserts the rows of every current version not in the table (return_versions_to_build),
       which after step 1 includes everything step 1 deleted.

    So the table always holds exactly the rows of the current versions, as a --full-refresh
    builds them (tests/warehouse/test_dbt_marts.py, test_harmonised_incremental.py).
-#}


{#- The seeds that decide a breakdown value's regional code (int_breakdown_values_harmonised). -#}
{% macro mapping_seeds() -%}
    {{ return([
        'countries',
        'country_groups',
        'country_aliases',
        'ports',
        'code_lists',
        'label_mappings',
        'member_label_mappings',
    ]) }}
{%- endmacro %}


{#-
    md5 of the SQL of the model being built (its file as written), so that a new version of the
    project that harmonises differently harmonises every row again on its first build.
-#}
{% macro model_code_fingerprint() -%}
    '{{ local_md5(model.get('raw_code', '')) }}'
{%- endmacro %}


{#-
    A scalar SQL expression: md5 over every row of every mapping seed, in a fixed order. Any edit
    of a mapping seed (an alias added, a label remapped, a port renamed) changes it. The seeds
    are small (a few thousand rows), so computing it costs milliseconds.
-#}
{% macro mapping_seeds_digest() -%}
    (
        select md5(string_agg(seed_digest, '|' order by seed_name))
        from (
            {%- for seed in mapping_seeds() %}
                select
                    '{{ seed }}' as seed_name,
                    md5(coalesce(string_agg(
                        cast(seed_rows as varchar), chr(10) order by cast(seed_rows as varchar)
                    ), '')) as seed_digest
                from {{ ref(seed) }} as seed_rows
                {%- if not loop.last %}
                    union all
                {%- endif %}
            {%- endfor %}
        ) as seed_digests
    )
{%- endmacro %}


{#-
    The build_fingerprint of a row: md5 of `parts` (SQL expressions: the mapping seeds' digest,
    the fingerprint of the row the model read) and of the model's own SQL. Each model of the chain
    stores it on every row, and a row whose fingerprint is not the one the model would give today
    is harmonised again: after a mapping seed changed, or a new release changed the SQL of this
    model or of one before it (a new breakdown column in the contract regenerates them all).
-#}
{% macro build_fingerprint(parts=[]) -%}
    md5({% for part in parts %}{{ part }} || {% endfor %}{{ model_code_fingerprint() }})
{%- endmacro %}


{#-
    The build_fingerprint every row of the model should have today: of the mapping seeds (when
    `seeds`) and of the fingerprint the rows of `upstream` (a model, run before) carry now.
-#}
{% macro expected_build_fingerprint(upstream=none, seeds=false) -%}
    {%- set parts = [] -%}
    {%- if seeds -%}
        {%- do parts.append(mapping_seeds_digest()) -%}
    {%- endif -%}
    {%- if upstream -%}
        {%- do parts.append(
            '(select max(build_fingerprint) from ' ~ ref(upstream) ~ ')'
        ) -%}
    {%- endif -%}
    {{ build_fingerprint(parts) }}
{%- endmacro %}


{#-
    The columns documented for the model (its YAML) that the built table lacks: a table built
    by an older version of the project is harmonised again whole. None when not incremental.
-#}
{% macro harmonised_columns_missing() -%}
    {%- if not is_incremental() -%}
        {{ return([]) }}
    {%- endif -%}
    {#- (the model's own table only: nothing reads the datasets or columns from the database) -#}
    {%- set built_columns = adapter.get_columns_in_relation(this)
        | map(attribute='name') | map('lower') | list -%}
    {{ return(model.columns.keys() | map('lower') | reject('in', built_columns) | list) }}
{%- endmacro %}


{#-
    The current return versions (of `dataset`, or of every dataset) whose rows must be built:
    on a full build every one, on an incremental run those with no row in the table yet (the
    pre-hook has deleted the outdated ones). Columns: dataset, submission_id, member_code,
    period_month.
-#}
{% macro return_versions_to_build(dataset=none) -%}
    select
        dataset,
        submission_id,
        member_code,
        period_month
    from {{ ref('int_return_versions') }}
    where
        is_current
        {%- if dataset %}
            and dataset = '{{ dataset }}'
        {%- endif %}
    {%- if is_incremental() and not harmonised_columns_missing() %}
        except
        -- (distinct first: a quarter of the time of a plain except over millions of rows)
        select distinct
            {% if dataset %}'{{ dataset }}'{% else %}dataset{% endif %} as dataset,
            submission_id,
            member_code,
            period_month
        from {{ this }}
    {%- endif %}
{%- endmacro %}


{#-
    Pre-hook of the harmonised chain (see the top of this file): delete the rows an incremental
    run must build again. Renders nothing on a full build. `upstream` and `seeds`: what the rows'
    build_fingerprint is made of (expected_build_fingerprint).
-#}
{% macro delete_rows_to_reharmonise(relation, dataset=none, upstream=none, seeds=false) -%}
    {%- if is_incremental() -%}
        {%- if harmonised_columns_missing() -%}
            -- the table was built without a column it needs now: harmonise everything again
            delete from {{ relation }}
        {%- else -%}
            delete from {{ relation }} as built
            where
                not exists (
                    select 1
                    from {{ ref('int_return_versions') }} as current_versions
                    where
                        current_versions.is_current
                        {%- if dataset %}
                            and current_versions.dataset = '{{ dataset }}'
                        {%- else %}
                            and current_versions.dataset = built.dataset
                        {%- endif %}
                        and current_versions.submission_id = built.submission_id
                        and current_versions.member_code = built.member_code
                        and current_versions.period_month = built.period_month
                )
                -- harmonised with other seeds or SQL than today's
                or built.build_fingerprint is distinct from {{
                    expected_build_fingerprint(upstream=upstream, seeds=seeds)
                }}
                {%- if var('pidc_period_start', '') and var('pidc_period_end', '') %}
                    or built.period_month
                    between cast('{{ var("pidc_period_start") }}' as date)
                    and cast('{{ var("pidc_period_end") }}' as date)
                {%- endif %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
