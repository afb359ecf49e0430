{{ stage_dataset('refusals') }}
