-- depends_on: {{ ref('stg_raw__permits') }}
{{ fact_dataset('permits') }}
