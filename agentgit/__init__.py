"""agentgit: a git-native agent that versions its own thinking."""

__version__ = "0.1.0"
