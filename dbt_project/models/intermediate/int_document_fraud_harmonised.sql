{{ harmonise_dataset('document_fraud') }}
