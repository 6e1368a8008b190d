"""The repository: the one object through which agentgit speaks git.

`Repository` is found (`discover`) or made (`init`) here, and composed of the git
layer's parts, one job each, so every caller holds one object and calls
`repo.push(...)`, `repo.log(...)` alike:

  gitrun.py        running git, and what its failures mean (the `Git` base)
  gitobjects.py    commits, trees and blobs, merges without a worktree
  gitrefs.py       ref updates, all compare-and-swap (`RefUpdate`, `RefMoved`)
  gitworktrees.py  worktrees, staging and committing, bringing a checkout forward
  gitnotes.py      the transcript notes
  gitremote.py     fetch, push and ls-remote, unattended and bounded in time
  gitlog.py        reading history (`Commit`)

Only these modules run git (tests/test_layout.py), and only gitrun.py starts a process.
"""

from __future__ import annotations

from pathlib import Path

from agentgit.core.errors import NotARepository
from agentgit.core.refs import MAIN
from agentgit.git.log import History
from agentgit.git.notes import Notes
from agentgit.git.remote import Remotes
from agentgit.git.run import run_git, spawn
from agentgit.git.worktrees import Worktrees


class Repository(Worktrees, Notes, Remotes, History):
    """A non-bare git repository (its main worktree) and the agentgit state inside it."""

    @classmethod
    def discover(cls, path: Path | str = ".") -> Repository:
        # One `git rev-parse`: a few milliseconds, where importing GitPython to ask the
        # same cost every command 150 ms or more.
        path = Path(path)
        if not path.exists():
            raise NotARepository(f"{path}: no such directory")
        if path.is_file():
            raise NotARepository(f"{path}: is a file, not a directory")
        # The usual case in one call; only a failure asks again, to say what is wrong.
        one = spawn(
            ["rev-parse", "--is-bare-repository", "--git-common-dir", "--show-toplevel"], cwd=path
        )
        found = one.stdout.splitlines() if one.returncode == 0 else []
        if len(found) == 3 and found[0].strip() == "false" and found[2].strip():
            return cls(Path(found[2].strip()).resolve(), (path / found[1].strip()).resolve())
        proc = spawn(["rev-parse", "--is-bare-repository", "--git-common-dir"], cwd=path)
        if proc.returncode != 0:
            raise NotARepository(f"{path}: not a git repository (run `agentgit init` first)")
        bare, common_dir = proc.stdout.splitlines()[:2]
        if bare.strip() == "true":
            raise NotARepository(f"{path}: is a bare repository; agentgit needs a work tree")
        top = spawn(["rev-parse", "--show-toplevel"], cwd=path)
        if top.returncode != 0 or not top.stdout.strip():
            raise NotARepository(
                f"{path}: is inside a git directory; run agentgit from the work tree"
            )
        common = (path / common_dir.strip()).resolve()
        return cls(Path(top.stdout.strip()).resolve(), common)

    @classmethod
    def init(cls, path: Path) -> Repository:
        path.mkdir(parents=True, exist_ok=True)
        # "." and not `path`: git runs in `path`, where a relative `path` would nest.
        run_git(["init", "-q", "-b", MAIN, "."], cwd=path)
        return cls.discover(path)
