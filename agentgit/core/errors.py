"""User-facing errors. Each carries a one-line message and the exit code the CLI uses.

Only ``cli.py`` turns these into output; every other module raises them.
"""

from __future__ import annotations


class AgentgitError(Exception):
    """An error the user can act on: printed as one line, exit code 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(AgentgitError):
    """Bad flags or arguments (exit 2)."""

    exit_code = 2


class NotARepository(AgentgitError):
    """The path is not a corpus repository agentgit can work in."""


class GitError(AgentgitError):
    """A git command failed in a way we did not expect."""


class DamagedRef(GitError):
    """One of agentgit's refs points at something it cannot be (a notes ref at a tree)."""

    def __init__(self, ref: str, kind: str, remote: str | None = None) -> None:
        self.ref, self.kind = ref, kind
        if remote:  # no reflog of theirs to read: a whole one goes back from a clone
            super().__init__(
                f"{remote}'s {ref} points at a {kind}, not a commit: it is damaged; push a "
                f"whole one back to it (`git push --force {remote} COMMIT:{ref}`)"
            )
            return
        super().__init__(
            f"{ref} points at a {kind}, not a commit: it is damaged; `git reflog {ref}` "
            f"shows where it was, and `git update-ref {ref} COMMIT` puts it back"
        )


class CorpusError(AgentgitError):
    """A corpus file is malformed (bad frontmatter, bad slug, ...)."""


class ModelError(AgentgitError):
    """The model cannot be reached or configured (not transient)."""


class Interrupted(AgentgitError):
    """The session stopped before judging and can be resumed (exit 3)."""

    exit_code = 3

    def __init__(self, message: str, session: int | None = None) -> None:
        super().__init__(message)
        self.session = session


class ModelUnavailable(Interrupted):
    """The model's API stayed down (after the SDK's own retries)."""


class OutOfTime(AgentgitError):
    """A model request reached the end of the wall-clock budget (``ModelRequest.timeout``).
    Not an outage: the agent ends the session on its budget, it never reaches the CLI."""


class GitLocked(GitError):
    """A lock file another git process left (or holds) stops the update."""


class RepositoryReadOnly(GitError):
    """git cannot write to the repository (permissions, a read-only mount)."""


class NoMainBranch(AgentgitError):
    """The repository has no `main` for sessions to start from and land on."""


class RemoteError(GitError):
    """The remote could not be talked to: unreachable, timed out, or refused credentials."""


class RemoteTimeout(RemoteError):
    """A network git call passed its time bound."""


class RemoteAuth(RemoteError):
    """The remote asked for credentials agentgit does not have (it never prompts)."""
