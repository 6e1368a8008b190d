"""The one module that speaks git.

Everything runs git itself through `Repository.run`, which feeds stdin and returns
text, since most of what a session does is plumbing
(`update-ref --stdin` transactions, `merge-tree --write-tree`, `commit-tree`) that
needs exact control of input, environment and exit status. Ref updates are
compare-and-swap: a ref moved by someone else raises `RefMoved`, never overwritten.
"""

from __future__ import annotations

import fcntl
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from agentgit import stops
from agentgit.errors import (
    AgentgitError,
    GitError,
    GitLocked,
    NoMainBranch,
    NotARepository,
    RemoteAuth,
    RemoteError,
    RemoteTimeout,
    RepositoryReadOnly,
)
from agentgit.refs import MAIN, NOTES

NOTES_REF = NOTES
EMPTY = "0" * 40

# Talking to a remote unattended: a stalled HTTP transfer (under 1 KB/s for the time
# left of the network bound, at most 60 s) or an SSH connection that cannot be made in
# 30 s, or goes silent for a minute, is an error rather than a job that hangs until CI
# kills it. The user's own settings win. Every network call also has a hard bound: what
# is left of its deadline (`network_deadline`), plus a little for git to say why.
HTTP_LOW_SPEED_LIMIT = "1000"
NETWORK_TIMEOUT = 60.0
KILL_GRACE = 2.0
# No password program: with no one at a terminal, or in CI, one would wait for a person
# (VS Code's terminals set GIT_ASKPASS). An empty GIT_ASKPASS also overrides core.askPass.
NO_ASKPASS = {"GIT_ASKPASS": "", "SSH_ASKPASS": "", "SSH_ASKPASS_REQUIRE": "never"}
SSH_COMMAND = (
    "ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4"
)

# Used when the machine has no git identity (a fresh CI runner, `agentgit demo` on a
# new laptop): agentgit's commits must not fail for want of user.name.
FALLBACK_NAME = "agentgit"
FALLBACK_EMAIL = "agentgit@localhost"


class RefMoved(AgentgitError):
    """A compare-and-swap ref update found the ref elsewhere than expected."""


class CheckoutBlocked(AgentgitError):
    """The user's checkout of a branch cannot be brought forward without touching their work."""


@dataclass(frozen=True)
class MergeResult:
    tree: str | None
    conflicts: list[str]


@dataclass(frozen=True)
class PushResult:
    """What `git push --porcelain` said: per destination ref, its flag and summary."""

    ok: bool
    refs: dict[str, tuple[str, str]]
    message: str

    def rejected(self, ref: str) -> str | None:
        """Why `ref` was not updated, or None if it was."""
        flag, summary = self.refs.get(ref, ("!", self.message or "not pushed"))
        return summary if flag == "!" else None


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: list[str]
    date: str
    subject: str
    body: str
    trailers: dict[str, str]


@dataclass(frozen=True)
class Authored:
    sha: str
    author: str
    email: str
    date: str
    subject: str
    trailers: dict[str, str]


@dataclass(frozen=True)
class RefUpdate:
    """One ref change, stating what it expects the ref to be: made by one of the four
    constructors, so an update cannot forget its expectation by accident."""

    ref: str
    new: str  # EMPTY: delete
    old: str | None  # EMPTY: must not exist; None: whatever it is (force only)

    @classmethod
    def create(cls, ref: str, new: str) -> RefUpdate:
        """Make `ref`, which must not exist yet."""
        return cls(ref, new, EMPTY)

    @classmethod
    def move(cls, ref: str, new: str, old: str) -> RefUpdate:
        """Move `ref` from `old`, as last read, to `new`."""
        return cls(ref, new, old)

    @classmethod
    def delete(cls, ref: str, old: str) -> RefUpdate:
        """Delete `ref`, which must still be `old`."""
        return cls(ref, EMPTY, old)

    @classmethod
    def force(cls, ref: str, new: str) -> RefUpdate:
        """Set `ref` to `new` whatever it was (an archive or tracking ref: the latest
        value is the truth, and an older one is held elsewhere)."""
        return cls(ref, new, None)

    @classmethod
    def force_delete(cls, ref: str) -> RefUpdate:
        """Delete `ref` if it exists, whatever it is (a scratch or marker ref)."""
        return cls(ref, EMPTY, None)


class Repository:
    """A non-bare git repository (its main worktree) and the agentgit state inside it."""

    def __init__(self, top: Path, common_dir: Path) -> None:
        self.top = top
        self.common_dir = common_dir
        self._identity: dict[str, str] | None = None
        self._network: dict[str, str] | None = None
        self.network_timeout = NETWORK_TIMEOUT
        self._deadline: float | None = None

    # -- opening -------------------------------------------------------------------

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
        one = _spawn(
            ["rev-parse", "--is-bare-repository", "--git-common-dir", "--show-toplevel"], cwd=path
        )
        found = one.stdout.splitlines() if one.returncode == 0 else []
        if len(found) == 3 and found[0].strip() == "false" and found[2].strip():
            return cls(Path(found[2].strip()).resolve(), (path / found[1].strip()).resolve())
        proc = _spawn(["rev-parse", "--is-bare-repository", "--git-common-dir"], cwd=path)
        if proc.returncode != 0:
            raise NotARepository(f"{path}: not a git repository (run `agentgit init` first)")
        bare, common_dir = proc.stdout.splitlines()[:2]
        if bare.strip() == "true":
            raise NotARepository(f"{path}: is a bare repository; agentgit needs a work tree")
        top = _spawn(["rev-parse", "--show-toplevel"], cwd=path)
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
        _run_git(["init", "-q", "-b", MAIN, "."], cwd=path)
        return cls.discover(path)

    # -- running git ---------------------------------------------------------------

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        ok: Iterable[int] = (0,),
    ) -> str:
        return _run_git(list(args), cwd=cwd or self.top, input=input, env=env, ok=ok)

    def run_status(
        self,
        *args: str,
        cwd: Path | None = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, str, str]:
        proc = _spawn(list(args), cwd=cwd or self.top, input=input, env=env)
        return proc.returncode, proc.stdout, proc.stderr

    @property
    def state_dir(self) -> Path:
        """Where agentgit keeps session worktrees, transcripts and locks: inside the git dir."""
        return self.common_dir / "agentgit"

    def identity_env(self) -> dict[str, str]:
        """Author/committer for agentgit's commits: the configured one, else a fallback."""
        if self._identity is None:
            env: dict[str, str] = {}
            if not os.environ.get("GIT_AUTHOR_NAME") and not self.config_get("user.name"):
                env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = FALLBACK_NAME
            if not os.environ.get("GIT_AUTHOR_EMAIL") and not self.config_get("user.email"):
                env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = FALLBACK_EMAIL
            self._identity = env
        return self._identity

    def network_env(self, seconds: float | None = None) -> dict[str, str]:
        """For fetch, push and ls-remote: never prompt (a remote that wants a password is
        an error), and give up on a stalled connection within `seconds` rather than hang."""
        if self._network is None:
            env = {"GIT_TERMINAL_PROMPT": "0"}
            if not (
                os.environ.get("GIT_HTTP_LOW_SPEED_LIMIT") or self.config_get("http.lowSpeedLimit")
            ):
                env["GIT_HTTP_LOW_SPEED_LIMIT"] = HTTP_LOW_SPEED_LIMIT
            if not (
                os.environ.get("GIT_SSH_COMMAND")
                or os.environ.get("GIT_SSH")
                or self.config_get("core.sshCommand")
            ):
                env["GIT_SSH_COMMAND"] = SSH_COMMAND
            if unattended():
                env.update(NO_ASKPASS)
            self._network = env
        env = dict(self._network)
        if "GIT_HTTP_LOW_SPEED_LIMIT" in env:
            left = self.network_timeout if seconds is None else seconds
            env["GIT_HTTP_LOW_SPEED_TIME"] = str(max(1, math.ceil(min(left, 60))))
        return env

    @contextmanager
    def network_deadline(self, seconds: float | None = None) -> Iterator[None]:
        """One deadline shared by every network call inside (a landing, and the park that
        follows its failure): the bound is on the whole, not on each call. Nested, the
        outer deadline holds."""
        if self._deadline is not None:
            yield
            return
        self._deadline = time.monotonic() + (self.network_timeout if seconds is None else seconds)
        try:
            yield
        finally:
            self._deadline = None

    def _network_call(self, what: str, remote: str, *args: str) -> tuple[int, str, str]:
        """A network git call within what is left of the deadline (the whole network bound
        when none is running). Past it, git is stopped and the call is a timeout."""
        bound = self.network_timeout
        left = bound if self._deadline is None else self._deadline - time.monotonic()
        if left <= 0:
            raise RemoteTimeout(
                f"{what} {remote}: timed out (no time left of the {bound:g} s network bound)"
            )
        result = _spawn_bounded(list(args), self.top, self.network_env(left), left + KILL_GRACE)
        if result is None:
            raise RemoteTimeout(
                f"{what} {remote}: timed out (stopped at the end of the {bound:g} s network bound)"
            )
        return result

    def config_get(self, key: str) -> str | None:
        code, out, _ = self.run_status("config", "--get", key)
        return out.strip() if code == 0 else None

    def config_set(self, key: str, value: str) -> None:
        self.run("config", key, value)

    def in_progress_operation(self) -> str | None:
        """A merge, rebase, cherry-pick or revert left unfinished in the main worktree."""
        git_dir = Path(self.run("rev-parse", "--absolute-git-dir").strip())
        for marker, name in (
            ("MERGE_HEAD", "merge"),
            ("rebase-merge", "rebase"),
            ("rebase-apply", "rebase"),
            ("CHERRY_PICK_HEAD", "cherry-pick"),
            ("REVERT_HEAD", "revert"),
        ):
            if (git_dir / marker).exists():
                return name
        return None

    # -- objects -------------------------------------------------------------------

    def rev_parse(self, rev: str) -> str | None:
        code, out, _ = self.run_status("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        return out.strip() if code == 0 else None

    def hash_blob(self, text: str) -> str:
        return self.run("hash-object", "-w", "--stdin", input=text).strip()

    def read_blob(self, rev: str, path: str) -> str | None:
        code, out, _ = self.run_status("show", f"{rev}:{path}")
        return out if code == 0 else None

    def blob_id(self, rev: str, path: str) -> str | None:
        """The id of `path`'s blob in `rev`, or None if it has none there."""
        code, out, _ = self.run_status("rev-parse", "--verify", "--quiet", f"{rev}:{path}")
        return out.strip() if code == 0 else None

    def work_blob_id(self, path: str) -> str | None:
        """The blob id `path` in the work tree would be committed as (git's filters, such
        as autocrlf, applied), or None if it is not a file there."""
        if not (self.top / path).is_file():
            return None
        return self.run("hash-object", f"--path={path}", "--", path).strip()

    def tree_of(self, rev: str) -> str:
        return self.run("rev-parse", f"{rev}^{{tree}}").strip()

    def ls_tree_names(self, rev: str, path: str) -> list[str]:
        out = self.run("ls-tree", "--name-only", rev, path.rstrip("/") + "/")
        return [line for line in out.splitlines() if line]

    def commit_tree(self, tree: str, parents: list[str], message: str) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.run(*args, input=message, env=self.identity_env()).strip()

    def tree_with_file(self, base: str, path: str, text: str) -> str:
        """The tree of `base` with one file added or replaced, built in a scratch index."""
        blob = self.hash_blob(text)
        with tempfile.TemporaryDirectory(prefix="agentgit-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", base, env=env)
            self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            return self.run("write-tree", env=env).strip()

    def merge_tree(self, ours: str, theirs: str) -> MergeResult:
        """A real 3-way merge computed without touching any worktree or index."""
        code, out, err = self.run_status(
            "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs
        )
        if code not in (0, 1):
            raise GitError(f"git merge-tree failed: {err.strip() or out.strip()}")
        lines = out.splitlines()
        if code == 0:
            return MergeResult(tree=lines[0].strip(), conflicts=[])
        return MergeResult(tree=None, conflicts=sorted({ln for ln in lines[1:] if ln}))

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        code, _, _ = self.run_status("merge-base", "--is-ancestor", ancestor, descendant)
        return code == 0

    def changed_paths(self, old: str, new: str) -> list[str]:
        out = self.run("diff", "--name-only", "--no-renames", old, new)
        return [line for line in out.splitlines() if line]

    # -- refs ----------------------------------------------------------------------

    def ref_transaction(self, updates: list[RefUpdate], message: str | None = None) -> None:
        """Apply `updates` atomically, all or none: RefMoved if any ref is not what its
        update expects. `message` goes into the reflogs of the refs updated."""
        lines = ["start"]
        for u in updates:
            expect = f" {u.old}" if u.old is not None else ""
            if u.new == EMPTY:
                lines.append(f"delete {u.ref}{expect}")
            else:
                lines.append(f"update {u.ref} {u.new}{expect}")
        lines += ["prepare", "commit", ""]
        code, _, err = self.run_status(
            "update-ref", *(["-m", message] if message else []), "--stdin", input="\n".join(lines)
        )
        if code != 0:
            _raise_if_stuck(err)
            raise RefMoved(err.strip().splitlines()[-1] if err.strip() else "ref update refused")

    def first_reflog_message(self, ref: str) -> str | None:
        """The message of the oldest entry in `ref`'s reflog (what created it), if any."""
        code, out, _ = self.run_status("reflog", "show", "--format=%gs", ref, "--")
        lines = out.splitlines() if code == 0 else []
        return lines[-1] if lines else None

    def create_ref(self, ref: str, sha: str) -> None:
        self.ref_transaction([RefUpdate.create(ref, sha)])

    def move_ref(self, ref: str, new: str, old: str | None) -> None:
        """Compare-and-swap: `ref` from `old` (None: it must not exist yet) to `new`."""
        self.ref_transaction([RefUpdate.move(ref, new, old) if old else RefUpdate.create(ref, new)])

    def delete_ref(self, ref: str, old: str) -> None:
        self.ref_transaction([RefUpdate.delete(ref, old)])

    def list_refs(self, prefix: str) -> dict[str, str]:
        out = self.run("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        refs = {}
        for line in out.splitlines():
            name, _, sha = line.partition(" ")
            refs[name] = sha
        return refs

    def main_commit(self) -> str:
        """Where main is; NoMainBranch, saying what to do, when there is none. One message
        for every command, `init` included, so they agree on the fix."""
        sha = self.rev_parse(MAIN)
        if sha is not None:
            return sha
        raise NoMainBranch(self.no_main_message())

    def no_main_message(self) -> str:
        if self.rev_parse("HEAD") is None:
            return f"{self.top}: has no commits yet; run `agentgit init` to set it up"
        branch = (self.current_branch() or "").removeprefix("refs/heads/")
        if branch:
            return (
                f"{self.top}: agentgit keeps its history on a branch named '{MAIN}', and "
                f"this repository's branch is '{branch}': rename it "
                f"(`git branch -m {branch} {MAIN}`), then run `agentgit init`"
            )
        return (
            f"{self.top}: has no '{MAIN}' branch: create it (`git branch {MAIN}`), "
            "then run `agentgit init`"
        )

    def current_branch(self) -> str | None:
        code, out, _ = self.run_status("symbolic-ref", "--quiet", "HEAD")
        return out.strip() if code == 0 else None

    # -- worktrees -----------------------------------------------------------------

    def worktrees(self) -> dict[str, Path]:
        """Branch ref -> worktree path, for every worktree with a branch checked out."""
        with self._lock("worktrees"):
            out = self.run("worktree", "list", "--porcelain")
        result: dict[str, Path] = {}
        path: Path | None = None
        for line in out.splitlines():
            if line.startswith("worktree "):
                path = Path(line[len("worktree ") :])
            elif line.startswith("branch ") and path is not None:
                result[line[len("branch ") :]] = path
        return result

    # A worktree that one git process is adding is half-written for a moment, and another
    # `git worktree add` or `list` fails on it ("failed to read .../commondir"): sessions
    # starting and ending at once take turns with their worktrees.

    def add_worktree(self, path: Path, branch: str, sparse: Sequence[str] = ()) -> None:
        """A worktree with `branch` checked out: all of it, or (`sparse`: patterns as
        in a sparse-checkout file) only the files those patterns name."""
        self._add_worktree(path, branch, sparse)

    def add_detached_worktree(self, path: Path, rev: str, sparse: Sequence[str] = ()) -> None:
        self._add_worktree(path, rev, sparse, "--detach")

    def _add_worktree(self, path: Path, rev: str, sparse: Sequence[str], *flags: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if sparse:
            flags += ("--no-checkout",)
        with self._lock("worktrees"):
            self.run("worktree", "add", "--quiet", *flags, str(path), rev)
        if sparse:
            # The patterns live in the worktree's own admin directory, and sparseness is
            # switched on per command (_SPARSE) rather than in config: a sparse worktree
            # needs no extensions.worktreeConfig, so the user's own config is not touched.
            patterns = self._worktree_admin(path) / "info" / "sparse-checkout"
            patterns.parent.mkdir(parents=True, exist_ok=True)
            patterns.write_text("".join(f"{p}\n" for p in sparse), "utf-8")
            self.run(*_SPARSE, "reset", "--quiet", "--hard", "HEAD", cwd=path)

    def _worktree_admin(self, path: Path) -> Path:
        """A linked worktree's own directory in the git dir (its `.git` file says where)."""
        pointer = (path / ".git").read_text("utf-8").strip()
        admin = Path(pointer.removeprefix("gitdir:").strip())
        return admin if admin.is_absolute() else (path / admin)

    def _sparse_flags(self, path: Path) -> tuple[str, ...]:
        """_SPARSE for a sparse worktree (one made with patterns), nothing for a full one."""
        if not (path / ".git").is_file():
            return ()
        sparse = (self._worktree_admin(path) / "info" / "sparse-checkout").is_file()
        return _SPARSE if sparse else ()

    def remove_worktree(self, path: Path) -> None:
        with self._lock("worktrees"):
            if path.exists():
                self.run_status("worktree", "remove", "--force", str(path))
            self.run("worktree", "prune")

    def point_head_at(self, branch: str) -> None:
        """HEAD names `branch`, which may not exist yet (an empty repository's first)."""
        self.run("symbolic-ref", "HEAD", f"refs/heads/{branch}")

    def commit_paths(self, paths: list[str], message: Callable[[list[str]], str]) -> str | None:
        """In the user's checkout, commit exactly `paths` (staged first; the rest of the
        index is left as it was), with `message(the paths that changed)`. The new commit,
        or None if none of them changed."""
        self.run("add", "--", *paths)
        staged = self.run("diff", "--cached", "--name-only", "--", *paths).split()
        if not staged:
            return None
        self.run(
            "commit",
            "--quiet",
            "--no-verify",
            "-F",
            "-",
            "--",
            *staged,
            input=message(staged),
            env=self.identity_env(),
        )
        return self.rev_parse("HEAD")

    def prune_worktrees(self) -> None:
        with self._lock("worktrees"):
            self.run("worktree", "prune")

    def worktree_branch(self, path: Path) -> str | None:
        """The branch checked out in the worktree at `path`, if `path` is the top of a
        worktree of this repository (not a directory inside another one)."""
        if not (path / ".git").is_file():
            return None
        code, out, _ = self.run_status("symbolic-ref", "--short", "HEAD", cwd=path)
        top_code, top, _ = self.run_status("rev-parse", "--show-toplevel", cwd=path)
        if code != 0 or top_code != 0 or Path(top.strip()).resolve() != path.resolve():
            return None
        return out.strip()

    def worktree_head(self, path: Path) -> str | None:
        """The commit checked out at `path`, if it is a worktree with one."""
        if not (path / ".git").is_file():
            return None
        code, out, _ = self.run_status("rev-parse", "--verify", "--quiet", "HEAD", cwd=path)
        return out.strip() if code == 0 else None

    def reset_worktree(self, path: Path) -> None:
        """Drop whatever a killed process left half-written in a session worktree."""
        self.run(*self._sparse_flags(path), "reset", "--quiet", "--hard", "HEAD", cwd=path)
        self.run("clean", "-fdq", "--", "corpus", cwd=path)

    def stage(self, worktree: Path, *pathspecs: str) -> str:
        """Stage everything under `pathspecs` (default: corpus) and return the staged diff
        (for the subject)."""
        self.run(*_STEP, "add", "--all", "--", *(pathspecs or ("corpus",)), cwd=worktree)
        return self.run(
            "diff", "--cached", "--no-color", "--no-ext-diff", "-M", "HEAD", cwd=worktree
        )

    def stage_files(self, worktree: Path, files: dict[str, str]) -> None:
        """Stage files that are not (and need not be) on disk: a sparse worktree has no
        pieces/ checked out, and writing one there only to `git add` it would be refused
        as outside its patterns. The entries are marked skip-worktree, as the rest of
        what the worktree does not check out is."""
        if not files:
            return
        lines = []
        for path, text in files.items():
            # --path: the filters `git add` would apply to that file (autocrlf, ...).
            sha = self.run(
                "hash-object", "-w", "--stdin", f"--path={path}", input=text, cwd=worktree
            ).strip()
            lines.append(f"100644 {sha}\t{path}\n")
        self.run("update-index", "--index-info", input="".join(lines), cwd=worktree)
        self.run("update-index", "--skip-worktree", "--", *files, cwd=worktree)

    def commit_staged(self, worktree: Path, message: str) -> str:
        """Commit what is staged in `worktree`; the new commit's id."""
        # --no-verify: content written by the model was validated before it reached disk;
        # the user's pre-commit hook is for their own commits. No auto-maintenance per
        # step: a session asks for it once, when it is cleaned up (`maintain`).
        out = self.run(
            *_STEP,
            "-c",
            "maintenance.auto=false",
            "-c",
            "core.abbrev=no",
            "commit",
            "--no-verify",
            "--allow-empty",
            "-F",
            "-",
            cwd=worktree,
            input=message,
            env=self.identity_env(),
        )
        # "[<branch> <id>] <subject>", the id written whole: one process, not two. (A
        # hook's output goes to stderr.)
        found = _SUMMARY.match(out)
        return found.group(1) if found else self.head(worktree)

    def maintain(self) -> None:
        """What `git commit` would have started after each step: gc or maintenance
        when the repository has grown enough to want it (most times, nothing)."""
        self.run_status("maintenance", "run", "--auto", "--quiet")

    def head(self, worktree: Path) -> str:
        return self.run("rev-parse", "HEAD", cwd=worktree).strip()

    def advance_branch(self, branch: str, new: str, old: str) -> None:
        """Move `branch` from `old` to `new` (a descendant), compare-and-swap.

        Where the branch is checked out (the user's worktree), the checkout comes forward
        as `git merge --ff-only` would bring it: their uncommitted work on other files
        stays; a conflict with it raises CheckoutBlocked and nothing moves.
        """
        ref = f"refs/heads/{branch}"
        checkout = self.worktrees().get(ref)
        if checkout is None:
            self.move_ref(ref, new, old)
            return
        # Sessions ending at once take turns: two `git merge --ff-only` in one worktree
        # trip over each other's index.lock, and the loser would look blocked.
        with self._lock("checkout"):
            if self.rev_parse(ref) != old:
                raise RefMoved(f"{branch} moved")
            # A lock left behind would fail the merge halfway, its index already
            # updated: the user's `git status` would show the session's work staged.
            self._check_locks(checkout, ref)
            dirty = self._dirty_paths(checkout)
            touched = set(self.changed_paths(old, new))
            blocked = sorted(dirty & touched)
            if blocked:
                raise CheckoutBlocked(
                    f"uncommitted changes in {checkout} to {', '.join(blocked[:3])}"
                )
            code, out, err = self.run_status(
                "merge",
                "--ff-only",
                "--quiet",
                "--no-edit",
                new,
                cwd=checkout,
                env=self.identity_env(),
            )
            if code != 0:
                if self.rev_parse(ref) not in (old, new):
                    raise RefMoved(f"{branch} moved")
                _raise_if_stuck(err)
                raise CheckoutBlocked(f"cannot bring {checkout} forward: {_last_line(err or out)}")

    def _check_locks(self, checkout: Path, ref: str) -> None:
        git_dir = Path(self.run("rev-parse", "--absolute-git-dir", cwd=checkout).strip())
        for lock in (
            git_dir / "index.lock",
            git_dir / "HEAD.lock",
            self.common_dir / f"{ref}.lock",
            self.common_dir / "packed-refs.lock",
        ):
            if _left_behind(lock):
                raise GitLocked(lock_message(lock))

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        """A lock between agentgit processes; the kernel drops it when the process dies."""
        path = self.state_dir / "locks" / f"{name}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _dirty_paths(self, worktree: Path) -> set[str]:
        out = self.run("status", "--porcelain", "-z", "--untracked-files=all", cwd=worktree)
        paths: set[str] = set()
        entries = out.split("\0")
        i = 0
        while i < len(entries):
            entry = entries[i]
            if len(entry) > 3:
                paths.add(entry[3:])
                if entry[0] in "RC":  # a rename carries its source as the next entry
                    i += 1
                    if i < len(entries):
                        paths.add(entries[i])
            i += 1
        return paths

    # -- notes ---------------------------------------------------------------------

    def add_note(self, sha: str, text: str) -> None:
        # `git notes add` moves the notes ref without compare-and-swap: two sessions ending
        # at once would both build on the same notes commit and one note would be lost. So
        # the note is added on a scratch notes ref that starts where the real one is, and
        # the real one is moved by compare-and-swap, retried when another note got there.
        scratch = f"{NOTES_REF}-scratch/{os.getpid()}"
        try:
            for _ in range(50):
                old = self.rev_parse(NOTES_REF)
                if old:
                    self.run("update-ref", scratch, old)
                else:
                    self.run("update-ref", "-d", scratch)
                self.run(
                    "notes",
                    "--ref",
                    scratch,
                    "add",
                    "-f",
                    "-F",
                    "-",
                    sha,
                    input=text,
                    env=self.identity_env(),
                )
                new = self.rev_parse(scratch)
                assert new is not None
                try:
                    self.move_ref(NOTES_REF, new, old)
                    return
                except RefMoved:
                    continue
            raise GitError("could not attach the transcript note: the notes ref kept moving")
        finally:
            self.run_status("update-ref", "-d", scratch)

    def merge_notes(self, theirs_ref: str) -> None:
        """Bring the notes under `theirs_ref` (fetched from a remote) into NOTES_REF:
        fast-forward when one side has all, else a notes merge that keeps both sides
        (cat_sort_uniq: two notes on one commit are concatenated). Compare-and-swap, as
        add_note."""
        theirs = self.rev_parse(theirs_ref)
        if theirs is None:
            return
        scratch = f"{NOTES_REF}-scratch/{os.getpid()}"
        try:
            for _ in range(50):
                old = self.rev_parse(NOTES_REF)
                if old == theirs or (old and self.is_ancestor(theirs, old)):
                    return
                if old is None or self.is_ancestor(old, theirs):
                    new = theirs
                else:
                    self.run("update-ref", scratch, old)
                    self.run(
                        "notes",
                        "--ref",
                        scratch,
                        "merge",
                        "--quiet",
                        "-s",
                        "cat_sort_uniq",
                        theirs_ref,
                        env=self.identity_env(),
                    )
                    merged = self.rev_parse(scratch)
                    assert merged is not None
                    new = merged
                try:
                    self.move_ref(NOTES_REF, new, old)
                    return
                except RefMoved:
                    continue
            raise GitError("could not merge the remote's notes: the notes ref kept moving")
        finally:
            self.run_status("update-ref", "-d", scratch)

    def read_note(self, sha: str) -> str | None:
        code, out, _ = self.run_status("notes", "--ref", NOTES_REF, "show", sha)
        return out if code == 0 else None

    # -- remotes -------------------------------------------------------------------

    def remote_url(self, remote: str) -> str | None:
        return self.config_get(f"remote.{remote}.url")

    def fetch(self, remote: str, *refspecs: str) -> None:
        code, out, err = self._network_call(
            "fetch from",
            remote,
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            remote,
            *refspecs,
        )
        if code != 0:
            raise network_failure("fetch from", remote, err or out)

    def ls_remote(self, remote: str, *patterns: str) -> dict[str, str]:
        code, out, err = self._network_call(
            "reading", remote, "ls-remote", "--refs", remote, *patterns
        )
        if code != 0:
            raise network_failure("reading", remote, err or out)
        refs = {}
        for line in out.splitlines():
            sha, _, name = line.partition("\t")
            refs[name] = sha
        return refs

    def push(
        self, remote: str, refspecs: list[str], *, atomic: bool = False, leases: Iterable[str] = ()
    ) -> PushResult:
        """Push without ever forcing (a `+` refspec is refused here); leases are
        `--force-with-lease=<ref>:<expect>` values (empty expect: the ref must not exist)."""
        assert not any(spec.startswith("+") for spec in refspecs)
        args = ["push", "--porcelain", "--no-verify"]
        if atomic:
            args.append("--atomic")
        args += [f"--force-with-lease={lease}" for lease in leases]
        code, out, err = self._network_call("push to", remote, *args, remote, *refspecs)
        refs: dict[str, tuple[str, str]] = {}
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and len(parts[0]) == 1:
                refs[parts[1].rpartition(":")[2]] = (parts[0], parts[2])
        if code != 0 and not refs:
            # No verdict on any ref: the remote was never reached, or the connection
            # dropped, perhaps after the remote applied the push. That is not a refusal,
            # and must not be taken for one: what the remote has decides.
            failure = network_failure("push to", remote, err or out)
            if self._remote_has(remote, refspecs):
                return PushResult(
                    True, {_dest(spec): ("*", "[confirmed by ls-remote]") for spec in refspecs}, ""
                )
            raise failure
        return PushResult(code == 0, refs, _last_line(err or out) if code else "")

    def _remote_has(self, remote: str, refspecs: list[str]) -> bool:
        """Whether the remote holds exactly what `refspecs` pushed (a deletion: the ref is
        gone). False when that cannot be told: the remote still does not answer."""
        try:
            theirs = self.ls_remote(remote, *(_dest(spec) for spec in refspecs))
        except AgentgitError:
            return False
        for spec in refspecs:
            source = spec.partition(":")[0]
            want = self.rev_parse(source) if source else None
            if source and want is None:  # not a commit: a tag or notes ref, by name
                code, out, _ = self.run_status("rev-parse", "--verify", "--quiet", source)
                want = out.strip() if code == 0 else None
            if theirs.get(_dest(spec)) != want:
                return False
        return True

    # -- history -------------------------------------------------------------------

    def log(
        self,
        rev_args: list[str],
        paths: list[str] | None = None,
        max_count: int | None = None,
        *,
        body: bool = True,
    ) -> list[Commit]:
        """Commits with their trailers, in one git call. Without `body` their `body` is
        empty: on a long history the bodies are half of what git writes and we read."""
        sep, end = "\x1f", "\x1e"
        fmt = sep.join(["%H", "%P", "%cI", "%s", "%b" if body else "", "%(trailers:only,unfold)"])
        fmt += end
        args = ["log", f"--format={fmt}"]
        if max_count is not None:
            args.append(f"-n{max_count}")
        args += rev_args
        if paths:
            args += ["--", *paths]
        out = self.run(*args)
        commits = []
        for record in out.split(end):
            record = record.strip("\n")
            if not record:
                continue
            sha, parents, date, subject, text, trailers = record.split(sep)
            commits.append(
                Commit(sha, parents.split(), date, subject, text, parse_trailers(trailers))
            )
        return commits

    def authored(self, rev_args: list[str], max_count: int) -> list[Authored]:
        """Commits with their author, subject and trailers, in one git call."""
        sep, end = "\x1f", "\x1e"
        fmt = sep.join(["%H", "%an", "%ae", "%aI", "%s", "%(trailers:only,unfold)"]) + end
        out = self.run("log", f"--format={fmt}", f"-n{max_count}", *rev_args)
        found = []
        for record in out.split(end):
            fields = record.strip("\n").split(sep)
            if len(fields) == 6:
                sha, name, email, date, subject, trailers = fields
                found.append(Authored(sha, name, email, date, subject, parse_trailers(trailers)))
        return found

    def log_numstat(
        self, head: str, boundary: str
    ) -> list[tuple[Commit, list[tuple[str, int, int]]]]:
        """Commits of `head` not in `boundary`, oldest first, each with the files it
        changed: (path, lines added, lines removed; 0 and 0 for a binary file)."""
        sep, end = "\x1f", "\x1e"
        fmt = sep.join(["%H", "%P", "%cI", "%s", "%b", "%(trailers:only,unfold)"])
        out = self.run(
            "log",
            "--reverse",
            "--numstat",
            "--no-renames",
            f"--format={end}{fmt}{sep}",
            head,
            "--not",
            boundary,
        )
        result = []
        for record in out.split(end):
            if not record.strip():
                continue
            sha, parents, date, subject, body, trailers, numstat = record.split(sep)
            stat = []
            for row in numstat.strip().splitlines():
                added, removed, path = row.split("\t", 2)
                stat.append(
                    (
                        path,
                        int(added) if added.isdigit() else 0,
                        int(removed) if removed.isdigit() else 0,
                    )
                )
            commit = Commit(sha, parents.split(), date, subject, body, parse_trailers(trailers))
            result.append((commit, stat))
        return result

    def graph(self, rev: str) -> str:
        """`git log --graph` of `rev`, one line per commit: what the demo shows."""
        return self.run("log", "--graph", "--format=%h %s", rev).rstrip()

    def trailers(self, rev: str) -> dict[str, str]:
        """The trailers of one commit's message."""
        return self.log([rev], max_count=1)[0].trailers

    def write_commit_graph(self, *, only_if_present: bool = False) -> None:
        """A commit-graph with changed-path Bloom filters, which make path-limited
        `git log` (the history tool) several times faster on a long history; git keeps
        them from then on (gc too). `only_if_present` adds a layer for new commits to a
        graph that exists (milliseconds) and never writes a first one (seconds on a
        large history). Best effort: another process holding the graph's lock, or an
        old git, leaves things as they were."""
        info = self.common_dir / "objects" / "info"
        if only_if_present and not (
            (info / "commit-graph").exists() or (info / "commit-graphs").exists()
        ):
            return
        self.run_status(
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
            *(["--split"] if only_if_present else []),
        )

    def diff_log(self, rev_args: list[str], path: str, max_count: int) -> str:
        return self.run(
            "log",
            "-p",
            "--no-color",
            "--no-ext-diff",
            f"-n{max_count}",
            "--format=commit %h %cs %s",
            *rev_args,
            "--",
            path,
        )

    def tree_entries(self, rev: str, path: str) -> dict[str, tuple[str, str]]:
        """path (relative to `path`) -> (mode, object id) of everything under `path` at
        `rev`, folders included: one ls-tree."""
        out = self.run("ls-tree", "-r", "-t", "-z", rev, "--", path.rstrip("/") + "/")
        prefix = path.rstrip("/") + "/"
        entries: dict[str, tuple[str, str]] = {}
        for entry in filter(None, out.split("\0")):
            meta, _, name = entry.partition("\t")
            mode, _, sha = meta.split()
            entries[name.removeprefix(prefix)] = (mode, sha)
        return entries

    def tree_files(self, rev: str, *paths: str) -> dict[str, str]:
        """path -> blob id of the regular files under ``paths`` at ``rev``: one ls-tree
        (symbolic links and submodules are left out: they are not text of ours)."""
        out = self.run("ls-tree", "-r", "-z", rev, "--", *paths)
        files: dict[str, str] = {}
        for entry in filter(None, out.split("\0")):
            meta, _, path = entry.partition("\t")
            mode, kind, sha = meta.split()
            if kind == "blob" and mode in ("100644", "100755"):
                files[path] = sha
        return files

    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """The contents of many blobs in one `git cat-file --batch`."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        try:
            proc = subprocess.run(
                ["git", "cat-file", "--batch"],
                cwd=self.top,
                input="".join(f"{s}\n" for s in wanted).encode(),
                capture_output=True,
            )
        except FileNotFoundError as exc:
            raise GitError("git is not installed or not on PATH") from exc
        if proc.returncode != 0:
            why = _last_line(proc.stderr.decode(errors="replace"))
            raise GitError(f"git cat-file failed: {why}")
        out, pos, blobs = proc.stdout, 0, {}
        for sha in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) < 3:  # "<sha> missing"
                continue
            size = int(header[2])
            blobs[sha] = out[pos : pos + size]
            pos += size + 1
        return blobs

    def staged_files(self, pathspec: str) -> list[tuple[str, str]]:
        """(path, staged text) for files added or modified in the index: one diff for
        the staged blobs' ids, one `cat-file --batch` for their texts (a pre-commit hook
        runs this on every commit, however many files it has)."""
        out = self.run(
            "diff",
            "--cached",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--diff-filter=ACM",
            "-z",
            "--",
            pathspec,
        )
        fields = out.split("\0")
        staged = [(fields[i + 1], fields[i].split()[3]) for i in range(0, len(fields) - 1, 2)]
        blobs = self.read_blobs(blob for _, blob in staged)
        return [(path, _text(blobs.get(blob, b""))) for path, blob in staged]

    def fsck(self) -> tuple[bool, str]:
        code, out, err = self.run_status("fsck", "--no-progress", "--full")
        return code == 0, out + err


# Switches a command in a sparse worktree to apply its patterns (no-cone: single files).
_SPARSE = ("-c", "core.sparseCheckout=true", "-c", "core.sparseCheckoutCone=false")


# A session's steps stage and commit in a worktree whose index lists the whole corpus
# (15,000 entries on the benchmark's): a split index writes only what the step changed
# each time, not the whole file, which is most of what `add` and `commit` cost there.
_STEP = ("-c", "core.splitIndex=true")
_SUMMARY = re.compile(r"\[[^\n]* ([0-9a-f]{40}|[0-9a-f]{64})\] ")


def unattended() -> bool:
    """No person to answer a prompt: no terminal, or a CI job."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return True
    try:
        return not (sys.stdin.isatty() and sys.stderr.isatty())
    except (AttributeError, ValueError):  # stdin closed or replaced
        return True


def _text(data: bytes) -> str:
    """Bytes as `run` returns git's output: UTF-8 (bad bytes kept), universal newlines."""
    text = data.decode("utf-8", "surrogateescape")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _dest(refspec: str) -> str:
    return refspec.rpartition(":")[2]


def parse_trailers(text: str) -> dict[str, str]:
    trailers: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and " " not in key.strip():
            trailers[key.strip()] = value.strip()
    return trailers


_LOCK = re.compile(r"Unable to create '([^']+\.lock)': File exists")
_READ_ONLY = (
    "Permission denied",
    "Read-only file system",
    "unable to create directory",
    "insufficient permission",
)


# A lock another live git process holds (a concurrent session's ref update) is gone in
# milliseconds; one still there after this long was left behind by a process that died.
LOCK_PATIENCE = 2.0


def _left_behind(lock: Path) -> bool:
    deadline = time.monotonic() + LOCK_PATIENCE
    while lock.exists():
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.05)
    return False


def lock_message(path: Path | str) -> str:
    return f"git is locked: remove {path} if no git process is running"


def _raise_if_stuck(text: str) -> None:
    """A lock file left behind or a repository git cannot write to: named, since retrying
    (or reporting "main kept moving") would only hide it."""
    lock = _LOCK.search(text)
    if lock and _left_behind(Path(lock.group(1))):
        raise GitLocked(lock_message(lock.group(1)))
    if any(word in text for word in _READ_ONLY):
        raise RepositoryReadOnly(
            f"cannot write to this repository ({_reason(text)}): agentgit records every "
            "session in git, so it needs write access to the .git directory"
        )


_TIMEOUT = ("curl 28", "Operation too slow", "timed out", "Timeout", "timeout")
# An HTTP 401/403 as git reports it, never the digits of a port or an address.
# An HTTP status as git reports it ("The requested URL returned error: 403", "HTTP 401"),
# not any 401 or 403 in the text: a remote's path or port may hold those digits.
_AUTH_STATUS = re.compile(r"(?:returned error|HTTP(?:/[\d.]+)?)[: ]+40[13](?!\d)")
_AUTH = (
    "Authentication failed",
    "could not read Username",
    "could not read Password",
    "terminal prompts disabled",
    "Permission denied (publickey",
    "Host key verification failed",
)


def network_failure(what: str, remote: str, text: str) -> RemoteError:
    """One line for a network git call that failed: a timeout says so, refused
    credentials say how to supply them (agentgit never prompts), anything else is the
    remote that could not be reached, with git's own reason."""
    reason = _network_reason(text)
    if any(word in text for word in _AUTH) or _AUTH_STATUS.search(text):
        return RemoteAuth(
            f"{what} {remote}: authentication failed ({reason}); agentgit never asks for a "
            "password, so give git one it can use unattended: a credential helper "
            "(`git config credential.helper store`, or your platform's) or a token "
            "(GITHUB_TOKEN in CI), or an SSH key for an ssh:// remote"
        )
    if any(word in text for word in _TIMEOUT):
        return RemoteTimeout(f"{what} {remote}: timed out ({reason})")
    return RemoteError(
        f"{what} {remote}: cannot reach the remote ({reason}); check "
        f"`git remote -v` and the network"
    )


def _network_reason(text: str) -> str:
    """Every `error:`/`fatal:` line git gave, joined: a stalled transfer says `RPC failed;
    curl 28 Operation too slow` first and `the remote end hung up` after."""
    lines = [
        ln.strip().split(":", 1)[1].strip()
        for ln in text.splitlines()
        if ln.strip().startswith(("fatal:", "error:")) and ln.split(":", 1)[1].strip()
    ]
    seen = list(dict.fromkeys(lines))
    return "; ".join(seen[:3]) if seen else _last_line(text)


def _reason(text: str) -> str:
    """git's own verdict: its first `fatal:` or `error:` line (the lines after it are
    advice), else the last line."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("fatal:", "error:")) and line.split(":", 1)[1].strip():
            return line.split(":", 1)[1].strip()
    return _last_line(text)


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "unknown error"


def _spawn(
    args: list[str],
    cwd: Path,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = None
    if env:
        full_env = {**os.environ, **env}
    try:
        with stops.held():  # a stop waits for git: killing it could leave a lock behind
            return subprocess.run(
                ["git", *args],
                cwd=cwd,
                input=input,
                env=full_env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="surrogateescape",
                timeout=timeout,
            )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc


def _spawn_bounded(
    args: list[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[int, str, str] | None:
    """git with a hard time limit; None when it was stopped. git runs in a process group
    of its own, so its helpers (git-remote-https, ssh) are stopped with it and cannot
    hold its output open."""
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        return None
    except BaseException:  # Ctrl-C, a signal: git must not go on alone
        _kill_group(proc)
        proc.wait()
        raise
    return proc.returncode, out, err


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _run_git(
    args: list[str],
    cwd: Path,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    ok: Iterable[int] = (0,),
) -> str:
    proc = _spawn(args, cwd=cwd, input=input, env=env)
    if proc.returncode not in tuple(ok):
        _raise_if_stuck(proc.stderr)
        raise GitError(f"git {args[0]} failed: {_last_line(proc.stderr or proc.stdout)}")
    return proc.stdout
