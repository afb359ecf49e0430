-- depends_on: {{ ref('stg_raw__removals') }}
{{ fact_dataset('removals') }}
