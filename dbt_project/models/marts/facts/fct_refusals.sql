-- depends_on: {{ ref('stg_raw__refusals') }}
{{ fact_dataset('refusals') }}
