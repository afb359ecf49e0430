{{ harmonise_dataset('movements') }}
