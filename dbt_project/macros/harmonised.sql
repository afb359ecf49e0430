{#-
    The harmonised chain (int_breakdown_values_unpivoted, int_breakdown_values_harmonised and
    every int_<dataset>_harmonised) is kept by return version: the rows of one version of one
    return (dataset, submission, member, month) are a pure function of that version's raw rows
    (which never change once loaded) and of the mapping seeds. An incremental run therefore

    1. deletes, in a pre-hook (delete_rows_to_reharmonise), the rows of every version that is no
       longer current (corrected, withdrawn), of every version harmonised with other mapping
       seeds than today's (mapping_fingerprint), of the months of a backfill window
       (pidc_period_start..pidc_period_end), or every row when the table was built without a
       column its YAML documents (an older version of the project); the fingerprint also covers
       the model's own SQL, so a version of the project that harmonises differently harmonises
       every row again (a change in a macro it calls, such as normalise_label, does not show:
       run `dbt build --full-refresh` after one);
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
    A scalar SQL expression: md5 over every row of every mapping seed, in a fixed order, and over
    the model's own SQL (model_code_fingerprint). Any edit of a mapping seed (an alias added, a
    label remapped, a port renamed) changes it, and the next incremental run harmonises every
    row again. The seeds are small (a few thousand rows), so computing it costs milliseconds.
-#}
{% macro mapping_fingerprint() -%}
    (
        select md5(
            string_agg(seed_digest, '|' order by seed_name) || {{ model_code_fingerprint() }}
        )
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
    The fingerprint a model stores whose codes come from another model's rows: md5 of that
    model's fingerprint (`upstream`, an SQL expression) and of its own SQL.
-#}
{% macro carried_fingerprint(upstream) -%}
    md5({{ upstream }} || {{ model_code_fingerprint() }})
{%- endmacro %}


{#-
    Pre-hook of the harmonised chain (see the top of this file): delete the rows an incremental
    run must build again. Renders nothing on a full build. `fingerprint`: 'seeds' compares each
    row's mapping_fingerprint with mapping_fingerprint() (int_breakdown_values_harmonised); the
    name of a model compares it with the one that model's rows carry (int_<dataset>_harmonised,
    whose codes come from int_breakdown_values_harmonised).
-#}
{% macro delete_rows_to_reharmonise(relation, dataset=none, fingerprint=none) -%}
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
                {%- if fingerprint == 'seeds' %}
                    or built.mapping_fingerprint is distinct from {{ mapping_fingerprint() }}
                {%- elif fingerprint %}
                    -- the fingerprint int_breakdown_values_harmonised (run before) has now
                    or built.mapping_fingerprint is distinct from {{
                        carried_fingerprint(
                            '(select max(mapping_fingerprint) from ' ~ ref(fingerprint) ~ ')'
                        )
                    }}
                {%- endif %}
                {%- if var('pidc_period_start', '') and var('pidc_period_end', '') %}
                    or built.period_month
                    between cast('{{ var("pidc_period_start") }}' as date)
                    and cast('{{ var("pidc_period_end") }}' as date)
                {%- endif %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
