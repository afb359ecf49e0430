{{ harmonise_dataset('removals') }}
