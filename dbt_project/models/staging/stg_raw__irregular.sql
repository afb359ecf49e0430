{{ stage_dataset('irregular') }}
