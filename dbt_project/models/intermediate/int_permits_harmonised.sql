{{ harmonise_dataset('permits') }}
