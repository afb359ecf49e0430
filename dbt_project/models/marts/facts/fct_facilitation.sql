-- depends_on: {{ ref('stg_raw__facilitation') }}
{{ fact_dataset('facilitation') }}
