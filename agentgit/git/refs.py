"""Moving refs, always by compare-and-swap: a `RefUpdate` says what it expects the ref
to be, `ref_transaction` applies several at once or none (`update-ref --stdin`), and a
ref someone else moved raises `RefMoved`, never overwritten. Also where main and HEAD
are. The names of agentgit's refs are refs.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentgit.core.errors import AgentgitError, NoMainBranch
from agentgit.core.refs import MAIN, head, short
from agentgit.git.objects import Objects
from agentgit.git.run import raise_if_stuck

EMPTY = "0" * 40


class RefMoved(AgentgitError):
    """A compare-and-swap ref update found the ref elsewhere than expected."""


@dataclass(frozen=True)
class RefUpdate:
    """One ref change, stating what it expects the ref to be: made by one of the five
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


class Refs(Objects):
    """Reading and moving refs."""

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
            raise_if_stuck(err)
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

    def ref_tips(self, patterns: list[str]) -> list[str]:
        """The distinct commits the refs under `patterns` (full names or prefixes) point
        at, sorted: one for-each-ref, however many thousand refs."""
        out = self.run("for-each-ref", "--format=%(objectname)", *patterns)
        return sorted(set(out.split()))

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
        branch = short(self.current_branch() or "")
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

    def point_head_at(self, branch: str) -> None:
        """HEAD names `branch`, which may not exist yet (an empty repository's first)."""
        self.run("symbolic-ref", "HEAD", head(branch))
