{{ harmonise_dataset('refusals') }}
