"""Every ref name agentgit uses, made and read in one place (DESIGN §2, §5, §9).

A session N with slug S owns:
  refs/heads/session/NNNN-S        its branch, while it runs or waits on a person
  refs/agentgit/sessions/NNNN      its archive: the head, whatever the outcome
  refs/agentgit/review/NNNN        it awaits review (pushed, so any clone's sync sees it)
  refs/agentgit/unlanded/NNNN      commits a clone made that another clone's landing lacks
  refs/agentgit/unpark/NNNN        scratch, while a parked session is fetched back
  refs/agentgit/reviewed/NNNN      commits a person added to its branch in review, kept
                                   when sync deletes the branch
  refs/heads/agentgit/log/NNNN     a log-only commit sent by pull request to a protected main
  refs/agentgit/runs/NNNN/E        experiment E's commit when it was not kept (DESIGN §10)

the output of every experiment run is a note under refs/notes/agentgit-runs, a
process P adding or merging a transcript note builds on refs/notes/agentgit-scratch/P,
and remote R's transcript notes are fetched to refs/notes/agentgit-remote/R to merge.

No other module spells a ref name (tests/project/test_conventions.py keeps it so).
"""

from __future__ import annotations

import re

HEADS = "refs/heads/"
MAIN = "main"
MAIN_REF = f"{HEADS}{MAIN}"
NOTES = "refs/notes/agentgit"

BRANCHES = f"{HEADS}session/"
ARCHIVE = "refs/agentgit/sessions/"
REVIEW = "refs/agentgit/review/"
UNLANDED = "refs/agentgit/unlanded/"
UNPARK = "refs/agentgit/unpark/"
REVIEWED = "refs/agentgit/reviewed/"
LOG_BRANCHES = f"{HEADS}agentgit/log/"
RUNS = "refs/agentgit/runs/"
RUN_NOTES = "refs/notes/agentgit-runs"

_BRANCH = re.compile(r"^(\d{4,})-([a-z0-9][a-z0-9-]*)$")


def head(name: str) -> str:
    """The full ref of the branch git's porcelain calls `name`."""
    return f"{HEADS}{name}"


def short(ref: str) -> str:
    """The branch name git's porcelain shows for a full `refs/heads/...` ref."""
    return ref.removeprefix(HEADS)


def session_id(number: int) -> str:
    """A session's id as everything shows it: four digits at least."""
    return f"{number:04d}"


def branch_name(number: int, slug: str) -> str:
    """The session's branch as git's porcelain names it: session/NNNN-slug."""
    return f"session/{session_id(number)}-{slug}"


def branch(number: int, slug: str) -> str:
    return head(branch_name(number, slug))


def branch_glob(number: int) -> str:
    """A pattern for session N's branch whatever its slug (for ls-remote)."""
    return f"{BRANCHES}{session_id(number)}-*"


def archive(number: int) -> str:
    return f"{ARCHIVE}{session_id(number)}"


def review(number: int) -> str:
    return f"{REVIEW}{session_id(number)}"


def unlanded(number: int) -> str:
    return f"{UNLANDED}{session_id(number)}"


def unpark(number: int) -> str:
    return f"{UNPARK}{session_id(number)}"


def reviewed(number: int) -> str:
    return f"{REVIEWED}{session_id(number)}"


def run_archive(number: int, experiment: int) -> str:
    """Where experiment `experiment` of session `number` stays when it was not kept."""
    return f"{RUNS}{session_id(number)}/{experiment}"


def log_branch_name(number: int) -> str:
    return f"{short(LOG_BRANCHES)}{session_id(number)}"


def notes_scratch(pid: int) -> str:
    """Where process `pid` builds a notes commit before the notes ref is moved to it."""
    return f"{NOTES}-scratch/{pid}"


def remote_notes(remote: str) -> str:
    """Where the remote's transcript notes are fetched to before they merge into ours."""
    return f"{NOTES}-remote/{remote}"


def tracking(remote: str) -> str:
    """Where this clone keeps the remote's main as last fetched."""
    return f"refs/remotes/{remote}/{MAIN}"


def parse_branch(ref: str) -> tuple[int, str] | None:
    """(number, slug) of a session branch, by its full ref or its short name."""
    name = short(ref).removeprefix("session/")
    if not short(ref).startswith("session/"):
        return None
    match = _BRANCH.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


def number_of(ref: str) -> int | None:
    """The session a ref belongs to: its branch, archive, review, unlanded, unpark or
    reviewed ref."""
    parsed = parse_branch(ref)
    if parsed:
        return parsed[0]
    for prefix in (ARCHIVE, REVIEW, UNLANDED, UNPARK, REVIEWED, LOG_BRANCHES):
        tail = ref.removeprefix(prefix)
        if tail != ref and tail.isdigit():
            return int(tail)
    return None
