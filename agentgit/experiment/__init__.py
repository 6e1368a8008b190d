"""The other loop: a metric judges the keep (DESIGN §10)."""
