{{ stage_dataset('permits') }}
