"""A session as data: its workspace, the landing on main, main's record read back
(`show`), its transcript, its commit messages, the spend ledger and the remote
that coordinates many machines."""
