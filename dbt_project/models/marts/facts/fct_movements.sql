-- depends_on: {{ ref('stg_raw__movements') }}
{{ fact_dataset('movements') }}
