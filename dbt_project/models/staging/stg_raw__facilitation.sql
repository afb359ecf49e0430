{{ stage_dataset('facilitation') }}
