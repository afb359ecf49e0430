-- Each breakdown value mapped to its regional code, through the seeds the Secretariat edits:
--   any column:      _T stays _T (a total over the column: the row is a cross-section of a
--                    table broken down two ways, see docs/layouts.md);
--   country columns: an existing country or group code, else reference.country_aliases;
--   port columns:    an existing port code or _U, else the name of one of the member's ports;
--   code columns:    the member's own mapping, else an existing code of the list, else the
--                    generic mapping, else the code list's own label.
-- An alias or label that points at two different codes is ambiguous and left unmapped: the
-- platform reports what it cannot map rather than guess. Unmapped values keep code null.
-- Incremental by return version (macros/harmonised.sql): a run harmonises the values of the
-- current versions not in the table yet, after its pre-hook deleted the rows of the versions that
-- are no longer current and, when a mapping seed or the SQL of this model or the one before
-- changed since they were harmonised (their build_fingerprint is not today's), every row.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_rows_to_reharmonise(
            this, upstream='int_breakdown_values_unpivoted', seeds=true
        ) }}",
    )
}}
-- depends_on: {{ ref('int_return_versions') }}
with

{% if is_incremental() %}
    versions_to_build as (
        {{ return_versions_to_build() }}
    ),
{% endif %}

breakdown_values as (
    select
        unpivoted.*,
        upper(trim(unpivoted.raw_value)) as value_as_code,
        {{ normalise_label('unpivoted.raw_value') }} as value_normalised
    from {{ ref('int_breakdown_values_unpivoted') }} as unpivoted
    {%- if is_incremental() %}
        inner join versions_to_build
            on
                unpivoted.dataset = versions_to_build.dataset
                and unpivoted.submission_id = versions_to_build.submission_id
                and unpivoted.member_code = versions_to_build.member_code
                and unpivoted.period_month = versions_to_build.period_month
    {%- endif %}
),

seeds as (
    select {{ mapping_seeds_digest() }} as digest
),

country_codes as (
    select country_code as code from {{ ref('countries') }}
    union all
    select group_code as code from {{ ref('country_groups') }}
),

unambiguous_country_aliases as (
    select
        alias_normalised,
        min(country_code) as country_code
    from {{ ref('country_aliases') }}
    group by alias_normalised
    having count(distinct country_code) = 1
),

port_codes as (
    select port_code as code from {{ ref('ports') }}
    union all
    -- the contract's code for an unknown port
    select '_U' as code
),

unambiguous_port_names as (
    select
        member_code,
        {{ normalise_label('port_name') }} as port_name_normalised,
        min(port_code) as port_code
    from {{ ref('ports') }}
    group by member_code, {{ normalise_label('port_name') }}
    having count(distinct port_code) = 1
),

list_codes as (
    select
        code_list,
        code
    from {{ ref('code_lists') }}
),

list_labels as (
    select
        code_list,
        {{ normalise_label('label') }} as label_normalised,
        min(code) as code
    from {{ ref('code_lists') }}
    group by code_list, {{ normalise_label('label') }}
    having count(distinct code) = 1
),

all_label_mappings as (
    select
        member_code,
        code_list,
        label_normalised,
        code
    from {{ ref('label_mappings') }}
    union all
    select
        member_code,
        code_list,
        label_normalised,
        code
    from {{ ref('member_label_mappings') }}
),

unambiguous_label_mappings as (
    select
        member_code,
        code_list,
        label_normalised,
        min(code) as code
    from all_label_mappings
    group by member_code, code_list, label_normalised
    having count(distinct code) = 1
),

matched as (
    select
        breakdown_values.row_key,
        breakdown_values.dataset,
        breakdown_values.submission_id,
        breakdown_values.member_code,
        breakdown_values.period_month,
        breakdown_values.column_name,
        breakdown_values.column_type,
        breakdown_values.code_list,
        breakdown_values.raw_value,
        breakdown_values.person_count,
        case
            when breakdown_values.value_as_code = '{{ total_code() }}' then '{{ total_code() }}'
            when breakdown_values.column_type = 'country'
                then coalesce(country_codes.code, country_aliases.country_code)
            when breakdown_values.column_type = 'port'
                then coalesce(port_codes.code, port_names.port_code)
            when breakdown_values.column_type = 'code' then coalesce(
                member_labels.code, list_codes.code, generic_labels.code, list_labels.code
            )
        end as code,
        case
            when breakdown_values.value_as_code = '{{ total_code() }}' then 'total'
            when breakdown_values.column_type = 'country' and country_codes.code is not null
                then 'code'
            when
                breakdown_values.column_type = 'country'
                and country_aliases.country_code is not null
                then 'country_alias'
            when breakdown_values.column_type = 'port' and port_codes.code is not null
                then 'code'
            when breakdown_values.column_type = 'port' and port_names.port_code is not null
                then 'port_name'
            when breakdown_values.column_type = 'code' and member_labels.code is not null
                then 'member_label'
            when breakdown_values.column_type = 'code' and list_codes.code is not null
                then 'code'
            when breakdown_values.column_type = 'code' and generic_labels.code is not null
                then 'generic_label'
            when breakdown_values.column_type = 'code' and list_labels.code is not null
                then 'code_list_label'
        end as match_method,
        {{ build_fingerprint(['seeds.digest', 'breakdown_values.build_fingerprint']) }}
            as build_fingerprint,
        -- the dbt run that built the row: its data tests read only the rows built since they
        -- last passed (macros/checked_builds.sql)
        '{{ invocation_id }}' as built_by
    from breakdown_values
    cross join seeds
    left join country_codes
        on
            breakdown_values.column_type = 'country'
            and breakdown_values.value_as_code = country_codes.code
    left join unambiguous_country_aliases as country_aliases
        on
            breakdown_values.column_type = 'country'
            and breakdown_values.value_normalised = country_aliases.alias_normalised
    left join port_codes
        on
            breakdown_values.column_type = 'port'
            and breakdown_values.value_as_code = port_codes.code
    left join unambiguous_port_names as port_names
        on
            breakdown_values.column_type = 'port'
            and breakdown_values.member_code = port_names.member_code
            and breakdown_values.value_normalised = port_names.port_name_normalised
    left join unambiguous_label_mappings as member_labels
        on
            breakdown_values.column_type = 'code'
            and breakdown_values.member_code = member_labels.member_code
            and breakdown_values.code_list = member_labels.code_list
            and breakdown_values.value_normalised = member_labels.label_normalised
    left join list_codes
        on
            breakdown_values.column_type = 'code'
            and breakdown_values.code_list = list_codes.code_list
            and breakdown_values.value_as_code = upper(list_codes.code)
    left join unambiguous_label_mappings as generic_labels
        on
            breakdown_values.column_type = 'code'
            and generic_labels.member_code = '*'
            and breakdown_values.code_list = generic_labels.code_list
            and breakdown_values.value_normalised = generic_labels.label_normalised
    left join list_labels
        on
            breakdown_values.column_type = 'code'
            and breakdown_values.code_list = list_labels.code_list
            and breakdown_values.value_normalised = list_labels.label_normalised
)

select * from matched
