"""Worktrees and their index: a session's sparse worktree (added, reset, removed), staging
and committing its steps, commits in the user's checkout, and bringing that checkout
forward when main moves (`advance_branch`), never over the user's uncommitted work.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from agentgit.core import refs
from agentgit.core.errors import AgentgitError, GitLocked
from agentgit.git.refs import RefMoved, Refs
from agentgit.git.run import last_line, left_behind, lock_message, raise_if_stuck


class CheckoutBlocked(AgentgitError):
    """The user's checkout of a branch cannot be brought forward without touching their work."""


# Switches a command in a sparse worktree to apply its patterns (no-cone: single files).
_SPARSE = ("-c", "core.sparseCheckout=true", "-c", "core.sparseCheckoutCone=false")


# A session's steps stage and commit in a worktree whose index lists the whole corpus
# (15,000 entries on the benchmark's): a split index writes only what the step changed
# each time, not the whole file, which is most of what `add` and `commit` cost there.
_STEP = ("-c", "core.splitIndex=true")
# "[<branch> <id>] <subject>": the first id so placed (a subject may look like one too;
# a branch name has no space, "(root-commit)" and "detached HEAD" no id after theirs).
_SUMMARY = re.compile(r"\[[^\n]*? ([0-9a-f]{40}|[0-9a-f]{64})\] ")


# Up to this many paths, `status` is asked about them alone; beyond, about the whole
# checkout (the command line stays short).
STATUS_PATHS = 1_000


class Worktrees(Refs):
    """Worktrees, the index, and commits made in a worktree."""

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

    def worktree_changes(self, worktree: Path, rev: str) -> list[str]:
        """The tracked paths whose content in `worktree` (index or files) differs from
        `rev`'s: what an experiment's run may have changed behind the tools' back."""
        out = self.run("diff", "--name-only", "--no-renames", "-z", rev, "--", cwd=worktree)
        return [p for p in out.split("\0") if p]

    def restore_paths(self, worktree: Path, rev: str, paths: list[str]) -> None:
        """`paths` in the index and files of `worktree` as they are at `rev`; one that
        `rev` lacks is removed; each must be in `rev` or in the index."""
        if paths:
            self.run(
                "--literal-pathspecs",
                "restore",
                f"--source={rev}",
                "--staged",
                "--worktree",
                "--",
                *paths,
                cwd=worktree,
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
        ref = refs.head(branch)
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
            touched = set(self.changed_paths(old, new))
            blocked = sorted(self._dirty_paths(checkout, touched) & touched)
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
                raise_if_stuck(err)
                raise CheckoutBlocked(f"cannot bring {checkout} forward: {last_line(err or out)}")

    def _check_locks(self, checkout: Path, ref: str) -> None:
        git_dir = Path(self.run("rev-parse", "--absolute-git-dir", cwd=checkout).strip())
        for lock in (
            git_dir / "index.lock",
            git_dir / "HEAD.lock",
            self.common_dir / f"{ref}.lock",
            self.common_dir / "packed-refs.lock",
        ):
            if left_behind(lock):
                raise GitLocked(lock_message(lock))

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        """A lock between agentgit processes; the kernel drops it when the process dies."""
        path = self.state_dir / "locks" / f"{name}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _dirty_paths(self, worktree: Path, among: set[str]) -> set[str]:
        """The paths with uncommitted changes in ``worktree``, as far as ``among`` goes:
        `git status` of those paths only (the checkout of a big corpus has 15,000 files
        to look at, and a landing touches a few)."""
        if not among:
            return set()
        asked = sorted(among) if len(among) <= STATUS_PATHS else []
        out = self.run(
            "--literal-pathspecs",
            "status",
            "--porcelain",
            "-z",
            "--untracked-files=all",
            "--",
            *asked,
            cwd=worktree,
        )
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
