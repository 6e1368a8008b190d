"""The agent: the loop, its tools and their definitions, the budget and the
orientation (DESIGN §3)."""
