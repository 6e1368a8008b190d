"""Review: pushing a session, its pull request, `agentgit sync`, and the feedback
review brings back (DESIGN §5, §8, §11)."""
