"""Landing a judged session (DESIGN §2): archive its head, attach the transcript, move
main (a --no-ff merge to keep, a log-only commit to discard, never a forced one: a
conflict or a refused push makes the outcome needs-review), publish to the remote, clean
up. Idempotent: a landing cut short is finished by `resume`.
"""

from __future__ import annotations

from agentgit.core import faults, refs, stops
from agentgit.core.errors import AgentgitError, Interrupted
from agentgit.core.outcome import Outcome
from agentgit.core.settings import Settings
from agentgit.core.trailers import Trailer
from agentgit.corpus import formats
from agentgit.git import CheckoutBlocked, RefUpdate, Repository
from agentgit.lifecycle.experiment import MergeLoses, main_gate
from agentgit.models.base import ProgressFn
from agentgit.review.send import submit as review_submit
from agentgit.review.send import submit_log as review_submit_log
from agentgit.session import coordinator, transcript
from agentgit.session.mainline import (
    MainKeptMoving,
    MainRefused,
    bring_local_main,
    find_landing,
    land_on_main,
    log_commit,
)
from agentgit.session.messages import (
    crystallize_subject,
    kept_novelty,
    landing_trailers,
    message,
    novelty_trailers,
)
from agentgit.session.workspace import Result, Session, cleanup, transcript_path


class MergeConflict(Exception):
    """The session's tree and main's cannot merge without a person."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


def land(
    repo: Repository, session: Session, result: Result, settings: Settings, progress: ProgressFn
) -> Result:
    """Archive the head, attach the transcript, move main, clean up. Idempotent, so any
    failure here (a remote or GitHub that is down, a main that kept moving) leaves the
    judged session for `resume` to land: it is reported as interrupted (exit 3)."""
    judged = result.outcome
    # One network bound for the landing and the park after it, not one for each call.
    with repo.network_deadline():
        try:
            return _land(repo, session, result, settings, progress)
        except Interrupted:
            raise
        except (AgentgitError, KeyboardInterrupt) as exc:
            raise parked(repo, session, settings, exc, judged) from None


def parked(
    repo: Repository,
    session: Session,
    settings: Settings,
    exc: BaseException,
    judged: str | None = None,
) -> Interrupted:
    """A stopped session parked (a second signal cannot cut that short), and the one
    line it ends with: what stopped it, and what `resume` does next (lands a `judged`
    session, continues any other)."""
    with stops.held(drop=True), repo.network_deadline():
        where = park(repo, session, settings)
    what, then = (
        (f"judged {judged} but did not finish landing", "lands it")
        if judged
        else (Outcome.INTERRUPTED, "continues it")
    )
    return Interrupted(
        f"session {session.id} {what}: {stop_reason(exc)}; "
        f"`agentgit resume {session.session}` {then}{where}",
        session=session.session,
    )


def stop_reason(exc: BaseException) -> str:
    """What stopped a run, for its one line."""
    if isinstance(exc, AgentgitError):
        return exc.message
    return exc.message if isinstance(exc, stops.Stop) else "stopped by the user"


def park(repo: Repository, session: Session, settings: Settings) -> str:
    """Leave an interrupted session on the remote, so that a clone elsewhere (the next
    CI run) can resume it; what became of that, for the message. Best effort: the
    session is resumable here whatever happens."""
    remote = coordinator.active(repo, settings)
    path = transcript_path(repo, session.session)
    if remote is None or not path.exists():
        return ""
    faults.point("parking")
    try:
        # Stopped before its worktree was made, the session is where its branch is.
        head = repo.worktree_head(session.worktree) or repo.rev_parse(refs.head(session.branch))
        assert head is not None, session.branch  # claimed, so the branch exists
        coordinator.park(repo, remote, session.branch, head, transcript.note_text(path))
    except AgentgitError as exc:
        return f" here (it could not be left on {remote}: {exc.message})"
    return f" here or in any clone of {remote}"


def _land(
    repo: Repository, session: Session, result: Result, settings: Settings, progress: ProgressFn
) -> Result:
    head = result.head
    assert head is not None
    repo.ref_transaction([RefUpdate.force(refs.archive(session.session), head)])
    path = transcript_path(repo, session.session)
    if path.exists():
        repo.add_note(head, transcript.note_text(path))
    faults.point("before-main")
    remote = coordinator.active(repo, settings)
    if remote and settings.review != "merge" and result.outcome == Outcome.CRYSTALLIZED:
        result = review_submit(repo, session, result, settings, remote)
        progress("landed", {"outcome": result.outcome, "review": result.review_url})
        cleanup(repo, session, keep_branch=True)
        return result
    landed = find_landing(repo, session.session, remote)
    if landed is None:
        if result.outcome == Outcome.CRYSTALLIZED:
            result = merge(repo, session, result, settings, remote)
        else:
            result.main_commit = log_only(repo, session, result, settings, remote)
    else:
        result.main_commit = landed
        if remote:
            bring_local_main(repo, landed)
    faults.point("after-main")
    logged_by_pull = False
    if (
        remote
        and result.main_commit is None
        and settings.review == "pr"
        and result.outcome == Outcome.ABANDONED
    ):
        # A protected main refused the log entry: it goes by a small pull request.
        result.review_url = review_submit_log(repo, session, result, remote)
        logged_by_pull = True
    # A session whose log entry could not reach main (the remote refused it) keeps its
    # branch too, unless a pull request carries the entry: nothing is lost either way.
    keep_branch = result.outcome == Outcome.NEEDS_REVIEW or (
        result.main_commit is None and not logged_by_pull
    )
    if remote:
        # A needs-review branch waits on a person like a --review one: sync records it.
        coordinator.publish(
            repo,
            remote,
            session.id,
            session.branch,
            keep_branch,
            in_review=result.outcome == Outcome.NEEDS_REVIEW,
        )
        faults.point("pushed")
    progress(
        "landed",
        {
            "outcome": result.outcome,
            "main": result.main_commit,
            **({"review": result.review_url} if logged_by_pull else {}),
        },
    )
    cleanup(repo, session, keep_branch=keep_branch)
    return result


def merge(
    repo: Repository,
    session: Session,
    result: Result,
    settings: Settings,
    remote: str | None = None,
) -> Result:
    """Keep: main gets a --no-ff merge of the session's head."""
    head = result.head
    assert head is not None
    kept = novelty_trailers(kept_novelty(repo, head, f"corpus/{session.log_rel}"))
    subject = crystallize_subject(repo, session.session, head, result.pieces, result.title)
    gate = None
    if settings.metric is not None:  # an experiment's keep must still win (DESIGN §10)
        gate = main_gate(repo, session, settings, head)

    def build(old: str) -> str:
        if gate is not None:
            gate(old)
        merged = repo.merge_tree(old, head)
        if merged.tree is None:
            raise MergeConflict(merged.conflicts)
        text = message(subject, result.summary, landing_trailers(repo, head), kept)
        commit = repo.commit_tree(merged.tree, [old, head], text)
        faults.point("merging")
        return commit

    try:
        result.main_commit = land_on_main(repo, remote, build, settings.merge_retries)
        return result
    except MergeConflict as exc:
        why, conflicts = f"conflict with main in {', '.join(exc.paths)}", exc.paths
    except (MainRefused, MainKeptMoving, CheckoutBlocked, MergeLoses) as exc:
        why, conflicts = exc.message, []
    return needs_review(repo, session, result, settings, why, conflicts, remote)


def needs_review(
    repo: Repository,
    session: Session,
    result: Result,
    settings: Settings,
    why: str,
    conflicts: list[str],
    remote: str | None = None,
) -> Result:
    """Never force: record the outcome on the branch, land only the log entry, keep the
    branch for a person."""
    path = session.journal_path()
    entry = formats.parse_log_entry(path.read_text("utf-8"), session.log_rel)
    entry.outcome = Outcome.NEEDS_REVIEW
    entry.reason = why
    entry.body = entry.body.rstrip() + (
        f"\n\n## Needs review\n\nThe session kept {', '.join(result.pieces)}, but it could "
        f"not be merged: {why}. The branch `{session.branch}` is left for a person to "
        "merge.\n"
    )
    path.write_text(formats.render_log_entry(entry), "utf-8")
    repo.stage(session.worktree)
    trailers = landing_trailers(repo, result.head or "")
    trailers[Trailer.OUTCOME] = Outcome.NEEDS_REVIEW
    judged = result.head
    result.head = repo.commit_staged(
        session.worktree,
        message(f"Needs review: session {session.id} could not merge", why, trailers),
    )
    assert judged is not None
    # The transcript goes on the new last commit too: it is the head main's log commit
    # names, where `show --transcript` looks.
    transcript_file = transcript_path(repo, session.session)
    if transcript_file.exists():
        repo.add_note(result.head, transcript.note_text(transcript_file))
    # The archive holds the judged head (`_land` set it): moved on from there, not forced.
    repo.ref_transaction([RefUpdate.move(refs.archive(session.session), result.head, judged)])
    faults.point(Outcome.NEEDS_REVIEW)
    result.outcome, result.reason, result.conflicts = Outcome.NEEDS_REVIEW, why, conflicts
    result.main_commit = log_only(repo, session, result, settings, remote)
    return result


def log_only(
    repo: Repository,
    session: Session,
    result: Result,
    settings: Settings,
    remote: str | None = None,
) -> str | None:
    """Main gets one commit that adds only the session's log entry. None: the remote
    refused it (a protected main); the entry stays on the pushed branch. A checkout that
    cannot come forward (CheckoutBlocked) is not gone round by moving the ref alone (the
    user's index would then show the entry as a staged deletion): it stops the landing,
    which `resume` finishes."""
    try:
        return land_on_main(
            repo, remote, lambda old: log_commit(repo, session, result, old), settings.merge_retries
        )
    except MainRefused:
        return None
