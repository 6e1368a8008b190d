"""Abandoning an open session by hand (`agentgit abandon N`): whatever state it was
left in (interrupted, killed halfway, its transcript unreadable, left for review), it
ends as abandoned, its log entry lands on main and its head stays archived.
"""

from __future__ import annotations

from agentgit.agent.ending import Judgement
from agentgit.core import faults, refs
from agentgit.core.errors import AgentgitError, UsageError
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN
from agentgit.core.scrub import clean_line
from agentgit.core.settings import Settings
from agentgit.core.trailers import Trailer
from agentgit.corpus import formats
from agentgit.git import RefUpdate, Repository
from agentgit.lifecycle.judge import finish
from agentgit.lifecycle.land import land, log_only
from agentgit.lifecycle.reopen import judged_result, open_session
from agentgit.models.base import ProgressFn
from agentgit.review.sync import local_decisions, log_entry_name
from agentgit.session import coordinator, transcript
from agentgit.session.mainline import find_landing
from agentgit.session.messages import landing_trailers, message
from agentgit.session.meta import SessionMeta
from agentgit.session.workspace import (
    Result,
    Session,
    cleanup,
    lock,
    now_iso,
    ready_worktree,
    session_branches,
    transcript_path,
    worktree_path,
)


def abandon(
    repo: Repository,
    number: int,
    reason: str,
    settings: Settings,
    progress: ProgressFn | None = None,
) -> Result:
    """End an open session (interrupted, killed, left for review) as abandoned."""
    progress = progress or (lambda event, data: None)
    reason = clean_line(reason)  # it goes into subjects and the log entry, as a topic does
    if not reason:
        raise UsageError("--reason must not be empty")
    with lock(repo, number):
        _reopen_deleted_review(repo, number)
        reviewed = _left_for_review(repo, number)
        if reviewed is not None:
            return _abandon_reviewed(repo, number, reviewed, reason, settings, progress)
        session, data = open_session(repo, number, coordinator.active(repo, settings), salvage=True)
        judged = judged_result(repo, session)
        if judged is not None:
            return land(repo, session, judged, settings, progress)
        state = transcript.state_from_dict(data)
        judgement = Judgement(Outcome.ABANDONED, f"Abandoned by hand: {reason}", reason=reason)
        session.meta.status, session.meta.ended = "judged", now_iso()
        session.meta.judgement = judgement
        transcript.save(transcript_path(repo, number), session.meta, state)
        return finish(repo, session, judgement, state, settings, progress)


def _reopen_deleted_review(repo: Repository, number: int) -> None:
    """A needs-review session whose branch a person merged or deleted here. Merged, it is
    not abandoned (sync records it kept); deleted, its branch comes back from the
    archived head so that abandoning it goes as for any session left for review."""
    for decision in local_decisions(repo, number):
        if decision.merged:
            raise AgentgitError(
                f"session {number:04d} was merged into {MAIN} by hand: `agentgit sync` "
                "records it kept"
            )
        name = _log_entry_of(repo, decision.head, number)
        repo.create_ref(f"{refs.BRANCHES}{name}", decision.head)


def _log_entry_of(repo: Repository, head: str, number: int) -> str:
    """0007-tides for session 7, from its log entry's name on `head`."""
    return log_entry_name(repo, head, number).rsplit("/", 1)[-1].removesuffix(".md")


def _left_for_review(repo: Repository, number: int) -> str | None:
    """The branch of a session whose judgement could not merge and awaits a person (or
    whose abandoning was killed after landing, before the branch went)."""
    branch = next(iter(session_branches(repo, number)), None)
    landing = find_landing(repo, number)
    if branch is None or landing is None:
        return None
    trailers = repo.trailers(landing)
    if trailers.get(Trailer.OUTCOME) == Outcome.NEEDS_REVIEW:
        return branch
    finishing = (
        trailers.get(Trailer.OUTCOME) == Outcome.ABANDONED
        and trailers.get(Trailer.HEAD) == repo.rev_parse(branch)
        and not transcript_path(repo, number).exists()
    )
    return branch if finishing else None


def _abandon_reviewed(
    repo: Repository,
    number: int,
    branch: str,
    reason: str,
    settings: Settings,
    progress: ProgressFn,
) -> Result:
    """Give up on a session left for review: its log entry on the branch and on main
    says abandoned, the head is archived, the branch goes."""
    old_head = repo.rev_parse(branch)
    assert old_head is not None
    parsed = refs.parse_branch(branch)
    assert parsed is not None, branch
    slug = parsed[1]
    log_rel = formats.log_entry_name(number, slug)
    entry = formats.parse_log_entry(repo.read_blob(old_head, f"corpus/{log_rel}") or "", log_rel)
    meta = SessionMeta(number, slug, entry.started, title=entry.title, model=entry.model)
    session = Session(repo, meta, worktree_path(repo, number))
    ready_worktree(repo, session)
    # A previous `abandon` killed halfway left its commit: it is not made twice.
    if repo.trailers(old_head).get(Trailer.OUTCOME) != Outcome.ABANDONED:
        entry.outcome, entry.reason, entry.pieces = Outcome.ABANDONED, reason, []
        entry.body = entry.body.rstrip() + f"\n\n## Abandoned in review\n\n{reason}\n"
        session.journal_path().write_text(formats.render_log_entry(entry), "utf-8")
        repo.stage(session.worktree)
        trailers = landing_trailers(repo, old_head)
        trailers.update({Trailer.OUTCOME: Outcome.ABANDONED, Trailer.PIECES: ""})
        repo.commit_staged(
            session.worktree,
            message(
                f"Abandon session {session.id}: {reason}",
                f"Abandoned in review: {reason}",
                trailers,
            ),
        )
    head = repo.head(session.worktree)
    repo.ref_transaction([RefUpdate.force(refs.archive(number), head)])
    note = repo.read_note(old_head)
    if note is not None:
        repo.add_note(head, note)
    result = Result(
        session=number,
        outcome=Outcome.ABANDONED,
        title=entry.title,
        summary=f"Abandoned in review: {reason}",
        pieces=[],
        reason=reason,
        head=head,
        branch=session.branch,
        turns=entry.turns,
        usage=formats.usage_of(entry.usage),
        cost_usd=entry.cost_usd,
    )
    remote = coordinator.active(repo, settings)
    landed = find_landing(repo, number, remote)
    if landed and repo.trailers(landed).get(Trailer.HEAD) == head:
        result.main_commit = landed  # landed before a kill
    else:
        result.main_commit = log_only(repo, session, result, settings, remote)
    faults.point("after-main")
    if remote:  # the branch and its review ref go on the remote too, unless main refused
        coordinator.publish(
            repo, remote, session.id, session.branch, keep_branch=result.main_commit is None
        )
    progress("landed", {"outcome": result.outcome, "main": result.main_commit})
    cleanup(repo, session, keep_branch=result.main_commit is None)
    return result


# -- messages ----------------------------------------------------------------------
