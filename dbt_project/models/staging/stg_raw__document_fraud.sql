{{ stage_dataset('document_fraud') }}
