-- How complete each dataset's regional figure is for each month, and whether the month may be
-- published (released) or is still provisional; the rules are in int_regional_completeness,
-- which the public cells read too.
with

completeness as (
    select * from {{ ref('int_regional_completeness') }}
),

final as (
    select
        trend_key,
        dataset,
        period_month,
        due_date,
        members_expected,
        members_reporting,
        usual_volume_expected,
        usual_volume_reporting,
        coverage_pct,
        is_complete,
        is_due,
        is_released,
        completeness_status,
        is_latest_month
    from completeness
)

select * from final
