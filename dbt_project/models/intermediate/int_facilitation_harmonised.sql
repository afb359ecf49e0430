{{ harmonise_dataset('facilitation') }}
