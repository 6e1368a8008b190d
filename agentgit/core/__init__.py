"""What every band stands on: errors, outcomes, settings, ref names, scrubbing,
stops and kill points."""
