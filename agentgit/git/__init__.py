"""The one face of git (DESIGN §6): outside this folder, code imports `agentgit.git`
only, and only this folder starts a git process. `Repository` is composed of one part
per job (run, objects, refs, worktrees, notes, remote, log)."""

from agentgit.git.log import Commit
from agentgit.git.objects import blob_id
from agentgit.git.refs import RefMoved, RefUpdate
from agentgit.git.repo import Repository
from agentgit.git.worktrees import CheckoutBlocked

__all__ = ["CheckoutBlocked", "Commit", "RefMoved", "RefUpdate", "Repository", "blob_id"]
