{{ stage_dataset('movements') }}
