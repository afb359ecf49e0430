{{ stage_dataset('removals') }}
