-- The history behind each alert, for its chart: one row per alert and month, from the first to
-- the last month the member sent a return for the dataset. A month with a return carries the
-- series' value, 0 when the return did not include that nationality or route (zero is a value,
-- and the baseline counts it); a month without a return carries no value (a gap in the line,
-- never 0). is_baseline_month marks the months a spike was judged against.
with

alerts as (
    select
        alert_id,
        dataset,
        member_code,
        alert_type,
        series_kind,
        dimension_value,
        period_month as alert_month
    from {{ ref('mart_alerts') }}
),

return_months as (
    select
        dataset,
        member_code,
        min(period_month) as first_month,
        max(period_month) as last_month
    from {{ ref('mart_return_totals') }}
    group by dataset, member_code
),

alert_months as (
    select
        alerts.*,
        dim_months.period_month
    from alerts
    inner join return_months
        on
            alerts.dataset = return_months.dataset
            and alerts.member_code = return_months.member_code
    inner join {{ ref('dim_months') }} as dim_months
        on dim_months.period_month between return_months.first_month and return_months.last_month
),

final as (
    select
        cast(alert_months.alert_id as {{ dbt.type_string() }}) as alert_id,
        cast(alert_months.dataset as {{ dbt.type_string() }}) as dataset,
        cast(alert_months.member_code as {{ dbt.type_string() }}) as member_code,
        alert_months.period_month,
        cast(series.observed_count as {{ dbt.type_bigint() }}) as observed_count,
        series.period_month is not null as has_return,
        alert_months.period_month = alert_months.alert_month as is_alert_month,
        (
            alert_months.alert_type = 'spike'
            and series.period_month is not null
            and alert_months.period_month < alert_months.alert_month
            and alert_months.period_month >= cast({{ dbt.dateadd(
                'month', -1 * var('pidc_alert_baseline_months'), 'alert_months.alert_month'
            ) }} as date)
        ) as is_baseline_month
    from alert_months
    left join {{ ref('int_alert_series') }} as series
        on
            alert_months.series_kind = series.series_kind
            and alert_months.dataset = series.dataset
            and alert_months.member_code = series.member_code
            and alert_months.dimension_value = series.dimension_value
            and alert_months.period_month = series.period_month
)

select * from final
