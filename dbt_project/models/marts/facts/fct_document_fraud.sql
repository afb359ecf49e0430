-- depends_on: {{ ref('stg_raw__document_fraud') }}
{{ fact_dataset('document_fraud') }}
