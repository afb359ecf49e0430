-- How complete each dataset's regional figure is for each month, and whether the month may be
-- published. A member's weight is its usual volume: its average monthly total over the
-- usual_volume_months months before (reference.reporting_settings, 12; months with a return
-- only, nil returns count as 0). A dataset's month is complete when the members that reported
-- make up complete_coverage_pct (90) percent of the usual volume of the members expected (dated
-- membership; members without any history count by number instead). A month is released -
-- published, and the latest month the overview shows - once every dataset is complete or its
-- deadline has passed; until then it is provisional. Months run from the first to the last
-- month any return covers; a month before the first reporting month (history) expects the
-- members of the first reporting month, so a back issue of one member is never complete.
with

settings as (
    select
        {{ as_of_date() }} as as_of_date,
        {{ integer_setting('complete_coverage_pct') }} as complete_coverage_pct,
        {{ integer_setting('usual_volume_months') }} as usual_volume_months,
        {{ first_reporting_month() }} as first_reporting_month
),

return_totals as (
    select
        dataset,
        member_code,
        period_month,
        total_count
    from {{ ref('int_return_totals') }}
),

month_range as (
    select
        min(period_month) as first_month,
        max(period_month) as last_month
    from return_totals
),

months as (
    select
        calendar_months.period_month,
        calendar_months.due_date,
        case
            when calendar_months.period_month < settings.first_reporting_month
                then settings.first_reporting_month
            else calendar_months.period_month
        end as membership_month
    from {{ ref('int_months') }} as calendar_months
    cross join month_range
    cross join settings
    where calendar_months.period_month between month_range.first_month and month_range.last_month
),

datasets as (
    select dataset from {{ ref('int_datasets') }}
),

membership as (
    select
        member_code,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to
    from {{ ref('membership') }}
),

expected_members as (
    select
        datasets.dataset,
        membership.member_code,
        months.period_month
    from months
    cross join datasets
    inner join membership
        on
            membership.valid_from
            < cast({{ dbt.dateadd('month', 1, 'months.membership_month') }} as date)
            and (membership.valid_to is null or months.membership_month <= membership.valid_to)
),

-- a member that reported counts even where membership does not expect it
members_in_scope as (
    select
        dataset,
        member_code,
        period_month
    from expected_members
    union
    select
        dataset,
        member_code,
        period_month
    from return_totals
),

usual_volumes as (
    select
        members_in_scope.dataset,
        members_in_scope.member_code,
        members_in_scope.period_month,
        avg(history.total_count) as usual_volume
    from members_in_scope
    cross join settings
    left join return_totals as history
        on
            members_in_scope.dataset = history.dataset
            and members_in_scope.member_code = history.member_code
            and members_in_scope.period_month > history.period_month
            and cast({{ dbt.dateadd(
                'month', '-1 * settings.usual_volume_months', 'members_in_scope.period_month'
            ) }} as date) <= history.period_month
    group by members_in_scope.dataset, members_in_scope.member_code, members_in_scope.period_month
),

member_months as (
    select
        usual_volumes.dataset,
        usual_volumes.period_month,
        usual_volumes.usual_volume,
        return_totals.member_code is not null as has_return
    from usual_volumes
    left join return_totals
        on
            usual_volumes.dataset = return_totals.dataset
            and usual_volumes.member_code = return_totals.member_code
            and usual_volumes.period_month = return_totals.period_month
),

summarised as (
    select
        dataset,
        period_month,
        count(*) as members_expected,
        sum(case when has_return then 1 else 0 end) as members_reporting,
        sum(coalesce(usual_volume, 0)) as usual_volume_expected,
        sum(case when has_return then coalesce(usual_volume, 0) else 0 end)
            as usual_volume_reporting
    from member_months
    group by dataset, period_month
),

assessed as (
    select
        summarised.dataset,
        summarised.period_month,
        months.due_date,
        summarised.members_expected,
        summarised.members_reporting,
        summarised.usual_volume_expected,
        summarised.usual_volume_reporting,
        -- rounded before it is judged, so the figure shown is the figure compared
        round(
            case
                when summarised.usual_volume_expected > 0
                    then
                        100.0 * summarised.usual_volume_reporting
                        / summarised.usual_volume_expected
                else 100.0 * summarised.members_reporting / summarised.members_expected
            end,
            1
        ) as coverage_pct,
        months.due_date < settings.as_of_date as is_due,
        settings.complete_coverage_pct
    from summarised
    cross join settings
    inner join months on summarised.period_month = months.period_month
),

flagged as (
    select
        *,
        coverage_pct >= complete_coverage_pct as is_complete
    from assessed
),

month_release as (
    select
        period_month,
        min(case when is_complete or is_due then 1 else 0 end) = 1 as is_released
    from flagged
    group by period_month
),

latest_release as (
    select max(period_month) as latest_month
    from month_release
    where is_released
),

final as (
    select
        {%- set key_parts = [
            'flagged.dataset', "'|'", 'cast(flagged.period_month as ' ~ dbt.type_string() ~ ')'
        ] %}
        cast({{ dbt.concat(key_parts) }} as {{ dbt.type_string() }}) as trend_key,
        cast(flagged.dataset as {{ dbt.type_string() }}) as dataset,
        flagged.period_month,
        flagged.due_date,
        cast(flagged.members_expected as {{ dbt.type_bigint() }}) as members_expected,
        cast(flagged.members_reporting as {{ dbt.type_bigint() }}) as members_reporting,
        cast(round(flagged.usual_volume_expected, 1) as double precision) as usual_volume_expected,
        cast(round(flagged.usual_volume_reporting, 1) as double precision)
            as usual_volume_reporting,
        cast(flagged.coverage_pct as double precision) as coverage_pct,
        flagged.is_complete,
        flagged.is_due,
        month_release.is_released,
        cast(
            case
                when not month_release.is_released then 'provisional'
                when flagged.is_complete then 'complete'
                else 'incomplete'
            end as {{ dbt.type_string() }}
        ) as completeness_status,
        coalesce(flagged.period_month = latest_release.latest_month, false) as is_latest_month
    from flagged
    inner join month_release on flagged.period_month = month_release.period_month
    cross join latest_release
)

select * from final
