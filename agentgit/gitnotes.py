"""Notes on commits (a session's transcript on its last commit), under one notes ref
that, like every ref, moves only by compare-and-swap."""

from __future__ import annotations

import os

from agentgit.errors import GitError
from agentgit.gitrefs import RefMoved, Refs
from agentgit.refs import NOTES as NOTES_REF


class Notes(Refs):
    """Adding, merging and reading agentgit's notes."""

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
