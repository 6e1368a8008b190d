"""Reopening a session that stopped before it ended (DESIGN §9): find it (here, parked on
the remote, or with its branch deleted), check that `resume` or `abandon` may act on it,
and go on from where its transcript and branch say it was: landing a judged head, making
a saved judgement, or running the loop on.
"""

from __future__ import annotations

from typing import Any

from agentgit.agent.state import AgentState
from agentgit.core import refs
from agentgit.core.errors import AgentgitError, GitError
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN
from agentgit.core.settings import Settings
from agentgit.core.trailers import Trailer
from agentgit.corpus import formats
from agentgit.git import RefUpdate, Repository
from agentgit.lifecycle.claim import claimed_meta
from agentgit.lifecycle.explore import run
from agentgit.lifecycle.judge import finish
from agentgit.lifecycle.land import land
from agentgit.models.base import Model, ProgressFn
from agentgit.session import coordinator, transcript
from agentgit.session.mainline import find_landing
from agentgit.session.workspace import (
    Result,
    Session,
    cleanup,
    lock,
    ready_worktree,
    session_branches,
    transcript_path,
    worktree_path,
)


def check_open(repo: Repository, number: int, remote: str | None = None) -> None:
    """Raise unless session N is one `resume` or `abandon` can act on. It changes nothing,
    except that with a remote, a session parked there by another machine is brought
    here first, and a session whose branch was deleted (its transcript is still here) gets
    it back."""
    repo.notes_commit()  # damaged, it is named: resume and abandon would only repeat it
    branches = list(session_branches(repo, number))
    if not branches and remote and _unpark(repo, number, remote):
        branches = list(session_branches(repo, number))
    if not branches and _restore_branch(repo, number):
        branches = list(session_branches(repo, number))
    landing = find_landing(repo, number)
    waiting = (
        landing is not None
        and not transcript_path(repo, number).exists()
        and repo.trailers(landing).get(Trailer.OUTCOME) == Outcome.NEEDS_REVIEW
    )
    if not branches:
        if waiting:
            raise AgentgitError(
                f"session {number:04d} needs review and its branch is gone: `agentgit sync` "
                f"records that, or `agentgit abandon {number}`"
            )
        if landing is not None:
            raise AgentgitError(f"session {number:04d} has already ended")
        raise AgentgitError(f"no open session {number:04d}")
    if landing is not None and not waiting and not transcript_path(repo, number).exists():
        # Decided elsewhere (another clone's sync, pulled here): what is left is stale.
        raise AgentgitError(f"session {number:04d} has already ended")
    if waiting or (
        not transcript_path(repo, number).exists()
        and repo.rev_parse(refs.review(number)) is not None
    ):
        raise AgentgitError(
            f"session {number:04d} is waiting on review ({refs.short(branches[0])}"
            "): merge it, or close its pull request or delete its branch, then `agentgit sync`"
        )


def _logged_on_main(repo: Repository, number: int) -> bool:
    return number in map(formats.log_session, repo.ls_tree_names(MAIN, "corpus/log"))


def _restore_branch(repo: Repository, number: int) -> bool:
    """Session N's branch, deleted while its transcript remains and before it was logged:
    made again at its worktree's commit, or else where its archive ref (its start) is. The
    transcript is the evidence: it goes only after the branch, once the session ended."""
    path = transcript_path(repo, number)
    if not path.exists() or _logged_on_main(repo, number) or find_landing(repo, number):
        return False
    try:
        slug = formats.validate_slug(transcript.session_meta(transcript.load(path)).slug)
    except AgentgitError:
        slug = "explore"  # an unreadable transcript: `abandon` still ends the session
    worktree = worktree_path(repo, number)
    head = repo.worktree_head(worktree) or repo.rev_parse(refs.archive(number))
    if not head:
        return False
    repo.ref_transaction([RefUpdate.create(refs.branch(number, slug), head)])
    return True


def _unpark(repo: Repository, number: int, remote: str) -> bool:
    """Bring session N here from the remote, where an interrupted run parked it: its
    branch and its transcript (the note on the branch's head). False if the remote has
    no such branch; an error if it has one with no transcript (running elsewhere)."""
    found = repo.ls_remote(remote, refs.branch_glob(number))
    if not found:
        return False
    ref, head = sorted(found.items())[0]
    coordinator.fetch_notes(repo, remote)
    # The objects come under a scratch ref; the branch is made last, after the
    # transcript, so a kill in between leaves nothing that looks like an open session.
    scratch = refs.unpark(number)
    repo.fetch(remote, f"+{ref}:{scratch}")
    note = repo.read_note(head)
    try:
        owner = transcript.session_meta(transcript.parse(note)).session if note else None
    except AgentgitError:  # parked, but unreadable: here `abandon` can still end it
        owner = number
    if owner != number:
        repo.ref_transaction([RefUpdate.force_delete(scratch)])
        raise AgentgitError(
            f"session {number:04d} is open on another machine: {remote} has its branch but "
            "no transcript left to resume it (it may still be running there)"
        )
    path = transcript_path(repo, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(note or "", "utf-8")
    repo.ref_transaction([RefUpdate.create(ref, head), RefUpdate.force_delete(scratch)])
    return True


def _landed_elsewhere(repo: Repository, session: Session, remote: str | None) -> str | None:
    """The head another clone landed this session with, after resuming it from the
    remote: one this clone's branch never reached. None if it did not happen."""
    try:
        landed = find_landing(repo, session.session, remote) if remote else None
    except GitError:  # the remote is down: go on here; landing asks it again
        landed = None
    if landed is None:
        return None
    named = repo.trailers(landed).get(Trailer.HEAD, "")
    mine = repo.head(session.worktree)
    return None if named == mine or repo.is_ancestor(named, mine) else named


def read_transcript(repo: Repository, number: int) -> dict[str, Any]:
    """Session N's transcript, or one line saying it cannot be read and what ends it."""
    path = transcript_path(repo, number)
    try:
        return transcript.load(path)
    except AgentgitError as exc:
        raise AgentgitError(
            f"session {number:04d} cannot be resumed: {exc.message} ({path}); "
            f"`agentgit abandon {number} --reason TEXT` ends it"
        ) from None


def _salvage(repo: Repository, number: int, branch: str) -> dict[str, Any]:
    """For `abandon`: an unreadable transcript is kept aside, and the session goes on
    from what its claim recorded."""
    path = transcript_path(repo, number)
    try:
        return transcript.load(path)
    except AgentgitError:
        pass
    n = 1
    while path.with_name(f"{number:04d}.unreadable-{n}.json").exists():
        n += 1
    path.rename(path.with_name(f"{number:04d}.unreadable-{n}.json"))
    transcript.save(path, claimed_meta(repo, number, branch), AgentState(messages=[]))
    return transcript.load(path)


def open_session(
    repo: Repository, number: int, remote: str | None = None, salvage: bool = False
) -> tuple[Session, dict[str, Any]]:
    check_open(repo, number, remote)
    path = transcript_path(repo, number)
    branches = list(session_branches(repo, number))
    if not path.exists() and find_landing(repo, number) is None:
        # Killed between claiming the id and saving the transcript: nothing else was done,
        # so the claim (the branch's name, base and reflog) is enough to begin it.
        transcript.save(path, claimed_meta(repo, number, branches[0]), AgentState(messages=[]))
    if not path.exists():
        raise AgentgitError(f"session {number:04d} has already ended")
    data = _salvage(repo, number, branches[0]) if salvage else read_transcript(repo, number)
    session = Session(repo, transcript.session_meta(data), worktree_path(repo, number))
    if refs.head(session.branch) not in branches:
        # The transcript names another branch than the one there is (a slug it lost):
        # the branch is what holds the work.
        session.meta.slug = (refs.parse_branch(branches[0]) or (0, session.slug))[1]
    ready_worktree(repo, session)
    return session, data


def judged_result(repo: Repository, session: Session) -> Result | None:
    """If the branch's last commit already holds the judgement, the Result it implies."""
    head = repo.head(session.worktree)
    trailers = repo.trailers(head)
    outcome = trailers.get(Trailer.OUTCOME)
    # needs-review too: killed after that commit, the session only has its entry to log.
    if outcome not in (Outcome.CRYSTALLIZED, Outcome.ABANDONED, Outcome.NEEDS_REVIEW):
        return None
    if trailers.get(Trailer.SESSION) != session.id or not session.journal_path().is_file():
        return None  # an earlier session's landing: this one has not even begun (its base)
    entry = formats.parse_log_entry(session.journal_path().read_text("utf-8"), session.log_rel)
    return Result(
        session=session.session,
        outcome=outcome,
        title=entry.title,
        summary=session.meta.judgement.summary if session.meta.judgement else "",
        pieces=entry.pieces,
        reason=entry.reason,
        head=head,
        branch=session.branch,
        turns=entry.turns,
        usage=formats.usage_of(entry.usage),
        cost_usd=entry.cost_usd,
    )


def resume(
    repo: Repository,
    number: int,
    model: Model,
    settings: Settings,
    progress: ProgressFn | None = None,
) -> Result:
    progress = progress or (lambda event, data: None)
    remote = coordinator.active(repo, settings)
    with lock(repo, number):
        session, data = open_session(repo, number, remote)
        elsewhere = _landed_elsewhere(repo, session, remote)
        if elsewhere:
            # Commits made here that the landing lacks (two clones resumed it at once)
            # are kept under a ref of their own; the session itself is over.
            mine, kept = repo.head(session.worktree), refs.unlanded(session.session)
            lacking = not repo.is_ancestor(mine, elsewhere)
            if lacking:
                repo.ref_transaction([RefUpdate.force(kept, mine)])
            cleanup(repo, session, keep_branch=False)
            raise AgentgitError(
                f"session {session.id} has already ended: another clone resumed it and "
                f"landed it on {remote}"
                + (f"; what this clone added is kept at {kept}" if lacking else "")
            )
    # A resume with another model goes on as that model: its prices, its trailer.
    if model.name != session.meta.model:
        session.meta.model = model.name
        session.meta.model_spec = settings.model or model.name
    judged = judged_result(repo, session)
    if judged is not None:
        with lock(repo, number):
            return land(repo, session, judged, settings, progress)
    state = transcript.state_from_dict(data)
    judgement = session.meta.judgement
    if judgement and session.meta.status == "judged":
        with lock(repo, number):
            return finish(repo, session, judgement, state, settings, progress)
    return run(repo, session, model, settings, progress, state=state)
