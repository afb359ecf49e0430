-- A row per unusual change, with the numbers that triggered it.
--   spike: a month far above the same series' previous months by the modified z-score
--     (0.6745 x (value - median) / MAD over up to pidc_alert_baseline_months earlier months
--     with a return; at least pidc_alert_min_baseline_months of them). Median and MAD are not
--     pulled up by one past spike the way a mean and standard deviation are. A flat history
--     (MAD 0) uses max(1, 5% of the median) instead, as ingestion/history.py does. The value
--     must also be pidc_alert_min_ratio times the median (plus one) and at least
--     pidc_alert_min_count, so a rise from 1 to 4 is not an alert.
--   new_nationality / new_route: a nationality or document-fraud route reported for the first
--     time, after at least pidc_alert_min_history_months months of returns without it, with at
--     least pidc_alert_min_count that month (one stray traveller is not a new trend).
with

series as (
    select * from {{ ref('int_alert_series') }}
),

baseline_points as (
    select
        observed.series_kind,
        observed.dataset,
        observed.member_code,
        observed.dimension_value,
        observed.period_month,
        observed.observed_count,
        baseline.observed_count as baseline_count
    from series as observed
    inner join series as baseline
        on
            observed.series_kind = baseline.series_kind
            and observed.dataset = baseline.dataset
            and observed.member_code = baseline.member_code
            and observed.dimension_value = baseline.dimension_value
            and observed.period_month > baseline.period_month
            and baseline.period_month >= cast({{ dbt.dateadd(
                'month', -1 * var('pidc_alert_baseline_months'), 'observed.period_month'
            ) }} as date)
),

baseline_medians as (
    select
        series_kind,
        dataset,
        member_code,
        dimension_value,
        period_month,
        observed_count,
        count(*) as baseline_months,
        {{ median('baseline_count') }} as baseline_median
    from baseline_points
    group by series_kind, dataset, member_code, dimension_value, period_month, observed_count
),

baselines as (
    select
        baseline_medians.series_kind,
        baseline_medians.dataset,
        baseline_medians.member_code,
        baseline_medians.dimension_value,
        baseline_medians.period_month,
        baseline_medians.observed_count,
        baseline_medians.baseline_months,
        baseline_medians.baseline_median,
        {{ median('abs(baseline_points.baseline_count - baseline_medians.baseline_median)') }}
            as baseline_mad
    from baseline_medians
    inner join baseline_points
        on
            baseline_medians.series_kind = baseline_points.series_kind
            and baseline_medians.dataset = baseline_points.dataset
            and baseline_medians.member_code = baseline_points.member_code
            and baseline_medians.dimension_value = baseline_points.dimension_value
            and baseline_medians.period_month = baseline_points.period_month
    group by
        baseline_medians.series_kind,
        baseline_medians.dataset,
        baseline_medians.member_code,
        baseline_medians.dimension_value,
        baseline_medians.period_month,
        baseline_medians.observed_count,
        baseline_medians.baseline_months,
        baseline_medians.baseline_median
),

scored as (
    select
        *,
        0.6745 * (observed_count - baseline_median) / (
            case
                when baseline_mad > 0 then baseline_mad
                when baseline_median * 0.05 > 1 then baseline_median * 0.05
                else 1
            end
        ) as modified_z_score
    from baselines
    where baseline_months >= {{ var('pidc_alert_min_baseline_months') }}
),

spikes as (
    select
        'spike' as alert_type,
        series_kind,
        dataset,
        member_code,
        dimension_value,
        period_month,
        observed_count,
        baseline_median,
        baseline_mad,
        modified_z_score,
        baseline_months,
        case
            when modified_z_score >= 10 then 'high'
            when modified_z_score >= 6 then 'medium'
            else 'low'
        end as severity
    from scored
    where
        modified_z_score > {{ var('pidc_alert_z_threshold') }}
        and observed_count >= {{ var('pidc_alert_min_count') }}
        and observed_count + 1 >= {{ var('pidc_alert_min_ratio') }} * (baseline_median + 1)
),

first_appearances as (
    select
        series_kind,
        dataset,
        member_code,
        dimension_value,
        min(period_month) as first_period_month
    from series
    where series_kind in ('nationality', 'route') and observed_count > 0
    group by series_kind, dataset, member_code, dimension_value
),

new_values as (
    select
        case first_appearances.series_kind
            when 'route' then 'new_route' else 'new_nationality'
        end as alert_type,
        first_appearances.series_kind,
        first_appearances.dataset,
        first_appearances.member_code,
        first_appearances.dimension_value,
        first_appearances.first_period_month as period_month,
        max(
            case
                when series.period_month = first_appearances.first_period_month
                    then series.observed_count
            end
        ) as observed_count,
        0.0 as baseline_median,
        0.0 as baseline_mad,
        cast(null as double precision) as modified_z_score,
        sum(case when series.period_month < first_appearances.first_period_month then 1 else 0 end)
            as baseline_months
    from first_appearances
    inner join series
        on
            first_appearances.series_kind = series.series_kind
            and first_appearances.dataset = series.dataset
            and first_appearances.member_code = series.member_code
            and first_appearances.dimension_value = series.dimension_value
    group by
        first_appearances.series_kind,
        first_appearances.dataset,
        first_appearances.member_code,
        first_appearances.dimension_value,
        first_appearances.first_period_month
),

new_value_alerts as (
    select
        alert_type,
        series_kind,
        dataset,
        member_code,
        dimension_value,
        period_month,
        observed_count,
        baseline_median,
        baseline_mad,
        modified_z_score,
        baseline_months,
        case
            when alert_type = 'new_route' and observed_count >= 10 then 'high'
            when alert_type = 'new_route' or observed_count >= 10 then 'medium'
            else 'low'
        end as severity
    from new_values
    where
        baseline_months >= {{ var('pidc_alert_min_history_months') }}
        and observed_count >= {{ var('pidc_alert_min_count') }}
),

alerts as (
    select * from spikes
    union all
    select * from new_value_alerts
),

worded as (
    select
        alerts.*,
        {{ month_abbreviation('extract(month from alerts.period_month)') }}
        || ' ' || cast(extract(year from alerts.period_month) as {{ dbt.type_string() }})
            as month_label,
        case alerts.series_kind
            when 'total' then 'total ' || replace(alerts.dataset, '_', ' ')
            when 'route' then 'document fraud on the route from ' || alerts.dimension_value
            else
                replace(alerts.dataset, '_', ' ') || ' of ' || alerts.dimension_value
                || ' nationals'
        end as subject
    from alerts
),

final as (
    select
        cast({{ dbt.hash(dbt.concat([
            'alert_type', "'|'", 'dataset', "'|'", 'member_code', "'|'", 'series_kind', "'|'",
            'dimension_value', "'|'", 'cast(period_month as ' ~ dbt.type_string() ~ ')',
        ])) }} as {{ dbt.type_string() }}) as alert_id,
        cast(dataset as {{ dbt.type_string() }}) as dataset,
        cast(member_code as {{ dbt.type_string() }}) as member_code,
        cast(alert_type as {{ dbt.type_string() }}) as alert_type,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        period_month,
        cast(observed_count as {{ dbt.type_bigint() }}) as observed_count,
        cast(baseline_median as double precision) as baseline_median,
        cast(baseline_mad as double precision) as baseline_mad,
        cast(round(modified_z_score, 2) as double precision) as modified_z_score,
        cast(baseline_months as {{ dbt.type_bigint() }}) as baseline_months,
        cast(severity as {{ dbt.type_string() }}) as severity,
        cast(
            case
                when alert_type = 'spike'
                    then
                        member_code
                        || ' reported '
                        || cast(observed_count as {{ dbt.type_string() }})
                        || ' for ' || subject || ' in ' || month_label || ', against a median of '
                        || cast(round(baseline_median, 1) as {{ dbt.type_string() }})
                        || ' (MAD ' || cast(round(baseline_mad, 1) as {{ dbt.type_string() }})
                        || ') over the previous '
                        || cast(baseline_months as {{ dbt.type_string() }})
                        || ' months with a return; modified z-score '
                        || cast(round(modified_z_score, 1) as {{ dbt.type_string() }}) || '.'
                else
                    member_code || ' reported ' || subject || ' for the first time in '
                    || month_label || ': ' || cast(observed_count as {{ dbt.type_string() }})
                    || ', after ' || cast(baseline_months as {{ dbt.type_string() }})
                    || ' months of returns without it.'
            end as {{ dbt.type_string() }}
        ) as message,
        cast(series_kind as {{ dbt.type_string() }}) as series_kind
    from worded
)

select * from final
