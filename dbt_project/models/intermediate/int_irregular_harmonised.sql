{{ harmonise_dataset('irregular') }}
