"""Notes on commits (a session's transcript on its last commit), under one notes ref
that, like every ref, moves only by compare-and-swap."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress

from agentgit.core.errors import AgentgitError, DamagedRef, GitError
from agentgit.core.refs import NOTES as NOTES_REF
from agentgit.core.refs import notes_scratch
from agentgit.git.refs import RefMoved, Refs, RefUpdate


class Notes(Refs):
    """Adding, merging and reading agentgit's notes."""

    def add_note(self, sha: str, text: str, ref: str = NOTES_REF) -> None:
        # `git notes add` moves the notes ref without compare-and-swap: two sessions ending
        # at once would both build on the same notes commit and one note would be lost. So
        # the note is added on a scratch notes ref that starts where the real one is, and
        # the real one is moved by compare-and-swap, retried when another note got there.
        def added(old: str | None, scratch: str) -> str:
            self._start_scratch(scratch, old)
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
            return self._scratch_head(scratch)

        self._move_notes(added, "could not attach the note", ref)

    def merge_notes(self, theirs_ref: str) -> None:
        """Bring the notes under `theirs_ref` (fetched from a remote) into NOTES_REF:
        fast-forward when one side has all, else a notes merge that keeps both sides
        (cat_sort_uniq: two notes on one commit are concatenated). Compare-and-swap, as
        add_note."""
        theirs = self.rev_parse(theirs_ref)
        if theirs is None:
            return

        def merged(old: str | None, scratch: str) -> str | None:
            if old == theirs or (old and self.is_ancestor(theirs, old)):
                return None
            if old is None or self.is_ancestor(old, theirs):
                return theirs
            self._start_scratch(scratch, old)
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
            return self._scratch_head(scratch)

        self._move_notes(merged, "could not merge the remote's notes")

    def _move_notes(
        self,
        build: Callable[[str | None, str], str | None],
        failure: str,
        ref: str = NOTES_REF,
    ) -> None:
        """Move `ref` (NOTES_REF, the transcripts, or the runs' outputs) from where it is to
        `build(where it is, a scratch ref)` (None: leave it), compare-and-swap, building
        again when another process moved it first."""
        scratch = notes_scratch(os.getpid())
        try:
            for _ in range(50):
                old = self.notes_commit(ref)
                new = build(old, scratch)
                if new is None:
                    return
                try:
                    self.move_ref(ref, new, old)
                    return
                except RefMoved:
                    continue
            raise GitError(f"{failure}: the notes ref kept moving")
        finally:  # best effort: what went wrong above is what to report
            with suppress(AgentgitError):
                self.ref_transaction([RefUpdate.force_delete(scratch)])

    def notes_commit(self, ref: str = NOTES_REF) -> str | None:
        """The commit `ref` is at (None: there is no such ref yet). A notes ref at a tree
        or a blob is named: no compare-and-swap could ever move it, nor should one try."""
        code, out, _ = self.run_status("rev-parse", "--verify", "--quiet", ref)
        if code != 0:
            return None
        kind = self.run("cat-file", "-t", out.strip()).strip()
        if kind != "commit":
            raise DamagedRef(ref, kind)
        return out.strip()

    def _start_scratch(self, scratch: str, old: str | None) -> None:
        """The scratch ref where the notes ref is (gone, if there is none yet)."""
        start = RefUpdate.force(scratch, old) if old else RefUpdate.force_delete(scratch)
        self.ref_transaction([start])

    def _scratch_head(self, scratch: str) -> str:
        new = self.rev_parse(scratch)
        assert new is not None
        return new

    def read_note(self, sha: str, ref: str = NOTES_REF) -> str | None:
        code, out, _ = self.run_status("notes", "--ref", ref, "show", sha)
        return out if code == 0 else None
