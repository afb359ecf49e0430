-- depends_on: {{ ref('stg_raw__irregular') }}
{{ fact_dataset('irregular') }}
