"""`agentgit sync` (DESIGN §5, §8): record on main what review decided for the sessions
sent to it: merged, kept; closed unmerged (or the branch deleted), abandoned, "closed in
review"; with what people said and did (agentgit/feedback.py) in the log entry. With a
remote its review refs say which sessions wait; without one, the needs-review sessions a
person merged or deleted here. A main that refuses the push gets the record by an
`agentgit:log` pull request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from agentgit.core import faults, refs
from agentgit.core.errors import AgentgitError
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN
from agentgit.core.settings import Settings
from agentgit.core.trailers import Trailer
from agentgit.corpus import formats, history
from agentgit.git import RefUpdate, Repository
from agentgit.review import feedback
from agentgit.review.github import GitHub, GitHubError
from agentgit.review.send import CLOSED_REASON, LOG_LABEL, log_pull
from agentgit.session import coordinator, transcript
from agentgit.session.mainline import MainKeptMoving, MainRefused, find_landing, land_on_main
from agentgit.session.messages import (
    crystallize_subject,
    landing_trailers,
    message,
    novelty_trailers,
)
from agentgit.session.workspace import session_branches


@dataclass
class Synced:
    session: int
    outcome: str
    pull: int | None  # the pull request that decided, if any
    main_commit: str | None
    note: str  # what review did, in words


@dataclass
class _Decision:
    number: int
    head: str  # the session's judged head, as sent to review
    branch: str | None  # its branch on the remote, if a person has not deleted it
    merged: bool
    pull: int | None
    how: str  # what review did, in words
    review: feedback.Feedback | None = None  # what people said and did in review


def sync(repo: Repository, settings: Settings) -> list[Synced]:
    """For every session waiting on review (a review ref on the remote), find what a person
    decided; record it on main, archive the head, delete the branch and the review ref.
    Running it again changes nothing."""
    remote = coordinator.active(repo, settings)
    if remote is None:
        return sync_local(repo, settings)
    github = _github(repo, remote)
    try:
        return _sync_remote(repo, settings, remote, github)
    except GitHubError as exc:  # nothing half-done: a session is recorded whole or waits
        raise AgentgitError(
            f"{exc.message}; the sessions not recorded yet wait in review: "
            "run `agentgit sync` again when GitHub answers"
        ) from None


def _sync_remote(
    repo: Repository, settings: Settings, remote: str, github: GitHub | None
) -> list[Synced]:
    done: list[Synced] = []
    for decision in _decisions(repo, remote, github):
        number = f"{decision.number:04d}"
        commit, note = _record(repo, remote, decision, settings, github)
        note = feedback.with_warning(note, decision.review)
        faults.point("recorded")
        archive, review_ref = refs.archive(decision.number), refs.review(decision.number)
        repo.ref_transaction([RefUpdate.force(archive, decision.head)])
        specs = [f"{decision.head}:{archive}", f":{review_ref}", *feedback.refspecs(decision)]
        leases = [f"{review_ref}:{decision.head}"]
        if decision.branch:
            specs.append(f":{refs.head(decision.branch)}")
        pushed = repo.push(remote, specs, atomic=True, leases=leases)
        if not pushed.ok:
            raise AgentgitError(f"could not archive session {number} on {remote}: {pushed.message}")
        _forget_local(repo, decision.number, decision.head)
        done.append(
            Synced(
                decision.number,
                Outcome.CRYSTALLIZED if decision.merged else Outcome.ABANDONED,
                decision.pull,
                commit,
                note,
            )
        )
    _prune_decided_elsewhere(repo, remote)
    if github is not None:
        done += _sync_log_pulls(repo, remote, github)
    return done


def _forget_local(repo: Repository, number: int, head: str) -> None:
    """Drop this clone's review ref of a decided session, and its branch where the
    archived `head` holds all of it: a person's own commits on the branch here, or the
    branch checked out, keep it."""
    for ref, sha in session_branches(repo, number).items():
        if repo.is_ancestor(sha, head) and ref not in repo.worktrees():
            repo.ref_transaction([RefUpdate.delete(ref, sha)])
    review_ref = refs.review(number)
    if repo.rev_parse(review_ref):
        repo.ref_transaction([RefUpdate.force_delete(review_ref)])


def _prune_decided_elsewhere(repo: Repository, remote: str) -> None:
    """Sessions this clone sent to review that a sync on another machine recorded: their
    review ref is gone from the remote, so this clone's copies go too."""
    mine = repo.list_refs(refs.REVIEW.rstrip("/"))
    if not mine:
        return
    waiting = repo.ls_remote(remote, f"{refs.REVIEW}*")
    for ref, head in mine.items():
        number = refs.number_of(ref)
        if ref in waiting or number is None:
            continue
        if not transcript.transcript_path(repo.state_dir, number).exists():  # not landing
            _forget_local(repo, number, head)


def _github(repo: Repository, remote: str) -> GitHub | None:
    """The GitHub client when GITHUB_TOKEN is set; without it sync reads git alone."""
    if not os.environ.get("GITHUB_TOKEN"):
        return None
    return GitHub.from_env(repo.remote_url(remote))


def _decisions(repo: Repository, remote: str, github: GitHub | None) -> Iterator[_Decision]:
    """What review decided for each session waiting on it; undecided ones are skipped.

    Merged: the session's log entry reached the remote's main, by whatever kind of merge
    (a merge commit, a squash, a rebase, a fast-forward, on GitHub or by hand), or its
    pull request says merged. Closed: its pull request was closed unmerged, or its branch
    was deleted from the remote without the entry reaching main.
    """
    # The refs first, main second: a branch that disappears between the two reads was
    # merged and deleted, and main, read later, already has its entry.
    waiting = repo.ls_remote(remote, f"{refs.REVIEW}*")
    if not waiting:
        return
    branches = repo.ls_remote(remote, f"{refs.BRANCHES}*")
    repo.fetch(remote, f"+{refs.REVIEW}*:{refs.REVIEW}*")
    main = coordinator.fetch_main(repo, remote)
    on_main = set(repo.ls_tree_names(main, "corpus/log")) if main else set()
    # Sessions a sync already recorded (one killed before it cleaned up): their record
    # says what was decided. Its own abandoned entry on main must not read as a merge.
    # (A needs-review session's own landing, which only logged that, decides nothing.)
    recorded: dict[str, dict[str, str]] = {}
    for commit in history.landings(repo, main, depth=history.RECENT) if main else []:
        recorded.setdefault(commit.trailers.get(Trailer.SESSION, ""), commit.trailers)
    for ref, head in sorted(waiting.items()):
        found = refs.number_of(ref)
        if found is None:
            continue
        number, tail = found, refs.session_id(found)
        branch = next(
            (refs.short(b) for b in branches if (refs.parse_branch(b) or (None,))[0] == number),
            None,
        )
        record = recorded.get(tail, {})
        if record.get(Trailer.OUTCOME) not in (None, Outcome.NEEDS_REVIEW):
            yield _Decision(
                number,
                head,
                branch,
                record[Trailer.OUTCOME] == Outcome.CRYSTALLIZED,
                None,
                record.get(Trailer.REVIEW, "recorded"),
            )
            continue
        entry = log_entry_name(repo, head, number)
        pull = github.find_pull(branch or _branch_of(entry)) if github else None
        pull_number = pull["number"] if pull else None
        decided_pull = pull is not None and pull.get("state") == "closed"
        merged_pull = decided_pull and _merged(pull or {})
        if _outcome(repo, head) == Outcome.NEEDS_REVIEW:
            # Its entry went to main when it could not merge: only its head reaching main
            # says a person merged it (a squash is seen through its pull request).
            merged = main is not None and repo.is_ancestor(head, main)
        else:
            merged = entry in on_main
        if merged or merged_pull:
            how = f"pull request #{pull_number} merged" if merged_pull else "merged into main"
            yield _Decision(number, head, branch, True, pull_number, how)
        elif decided_pull:
            yield _Decision(
                number,
                head,
                branch,
                False,
                pull_number,
                f"pull request #{pull_number} closed unmerged",
            )
        elif branch is None:
            yield _Decision(
                number, head, None, False, pull_number, "branch deleted without merging"
            )


def _outcome(repo: Repository, commit: str) -> str | None:
    return repo.trailers(commit).get(Trailer.OUTCOME)


def log_entry_name(repo: Repository, head: str, number: int) -> str:
    name = next(
        (
            n
            for n in repo.ls_tree_names(head, "corpus/log")
            if n.rsplit("/", 1)[-1].startswith(f"{number:04d}-")
        ),
        None,
    )
    if name is None:
        raise AgentgitError(
            f"{refs.review(number)} names {head[:10]}, which has no "
            "log entry of that session: delete that ref on the remote if "
            "agentgit did not write it"
        )
    return name


def _branch_of(entry_name: str) -> str:
    """corpus/log/0007-tides.md → session/0007-tides."""
    return "session/" + entry_name.rsplit("/", 1)[-1].removesuffix(".md")


def _decided_pulls(
    repo: Repository, remote: str, github: GitHub, pattern: str, name_re: str
) -> Iterator[tuple[str, str, str, int, dict[str, Any]]]:
    """(ref, head, branch, session number, pull request) for each remote branch matching
    `pattern` whose pull request review has closed, merged or not."""
    for ref, head in sorted(repo.ls_remote(remote, pattern).items()):
        branch = refs.short(ref)
        match = re.fullmatch(name_re, branch)
        if not match:
            continue
        pull = github.find_pull(branch)
        if pull is not None and pull.get("state") == "closed":
            yield ref, head, branch, int(match.group(1)), pull


def _merged(pull: dict[str, Any]) -> bool:
    return bool(pull.get("merged_at") or pull.get("merged"))


def _sync_log_pulls(repo: Repository, remote: str, github: GitHub) -> list[Synced]:
    """`agentgit:log` pull requests review decided: merged, the entry is on main and only
    the branch is left to delete; closed unmerged, the entry stays archived on the
    session's head. Either way the branch goes, so a second run finds nothing."""
    done: list[Synced] = []
    decided = _decided_pulls(
        repo,
        remote,
        github,
        f"{refs.LOG_BRANCHES}*",
        rf"{re.escape(refs.short(refs.LOG_BRANCHES))}(\d+)",
    )
    for ref, head, branch, number, pull in decided:
        merged = _merged(pull)
        pushed = repo.push(remote, [f":{ref}"], leases=[f"{ref}:{head}"])
        if not pushed.ok and ref in repo.ls_remote(remote, ref):
            raise AgentgitError(f"could not delete {branch} on {remote}: {pushed.message}")
        archive = refs.archive(number)
        note = (
            f"{LOG_LABEL} pull request #{pull['number']} merged: the log entry is on {MAIN}"
            if merged
            else f"{LOG_LABEL} pull request #{pull['number']} closed unmerged: the entry "
            f"stays archived on {archive}"
        )
        done.append(
            Synced(
                number,
                Outcome.ABANDONED,
                pull["number"],
                coordinator.fetch_main(repo, remote) if merged else None,
                note,
            )
        )
    return done


def _record(
    repo: Repository, remote: str, decision: _Decision, settings: Settings, github: GitHub | None
) -> tuple[str | None, str]:
    """Main's commit naming the session, so `agentgit log` lists it: merged, a commit that
    changes nothing but records the keep; closed, one that adds the abandoned log entry.
    Returns it (None if already recorded, or sent by pull request) and a note. A main
    that refuses the push (protected) gets it by an `agentgit:log` pull request."""
    number, merged = decision.number, decision.merged
    landed = find_landing(repo, number, remote)
    if landed is not None and _outcome(repo, landed) != Outcome.NEEDS_REVIEW:
        return None, decision.how  # already recorded
    decision.review = feedback.collect(repo, decision, github, remote, settings.review_trust)
    name, title, build, text = _recording(repo, decision)
    if coordinator.fetch_main(repo, remote) is None:
        raise AgentgitError(f"{remote} has no {MAIN}")

    def record(old: str) -> str:
        return repo.commit_tree(build(old), [old], text)

    try:
        return land_on_main(repo, remote, record, settings.merge_retries), decision.how
    except MainKeptMoving:
        raise AgentgitError(f"{remote}'s {MAIN} kept moving; run `agentgit sync` again") from None
    except MainRefused as exc:
        if github is None:
            raise AgentgitError(
                f"{exc.message} (with GITHUB_TOKEN set, sync sends it by pull request)"
            ) from None
    verdict = "kept" if merged else "closed"
    body = (
        f"Review {decision.how} for **session {number:04d}** ({title}). "
        f"`{remote}` refused the push of the commit that records it to "
        f"`{MAIN}`, so it comes by this pull request"
        + (
            ": it changes no file, and merging it lists the session in `agentgit log`.\n"
            if merged and not (decision.review and decision.review.section)
            else f": it adds the Review section to `{name}`, and merging it lists the "
            "session in `agentgit log`.\n"
            if merged
            else f": it adds the log entry `{name}` saying the session was "
            "abandoned, closed in review.\n"
        )
    )
    url = log_pull(
        repo,
        remote,
        github,
        number,
        record,
        f"agentgit log: session {number:04d} {verdict} in review",
        body,
    )
    return None, f"{decision.how}; recorded by {LOG_LABEL} pull request {url}"


def _kept_subject(repo: Repository, number: int, head: str, entry: formats.LogEntry) -> str:
    return f"{crystallize_subject(repo, number, head, entry.pieces, entry.title)} (kept in review)"


def _recording(repo: Repository, decision: _Decision) -> tuple[str, str, Callable[[str], str], str]:
    """What records a decision on main: the log entry's path, the session's title, the
    tree for a given main, and the commit message."""
    number, head, merged = decision.number, decision.head, decision.merged
    name = log_entry_name(repo, head, number)
    entry = formats.parse_log_entry(repo.read_blob(head, name) or "", name)
    trailers = landing_trailers(repo, head)
    trailers[Trailer.REVIEW] = decision.how
    build: Callable[[str], str]
    if merged and entry.outcome == Outcome.NEEDS_REVIEW:
        # A person merged what the session could not: the entry says so now.
        entry.outcome, entry.reason = Outcome.CRYSTALLIZED, None
        entry.body = entry.body.rstrip() + f"\n\n## Kept in review\n\n{decision.how}.\n"
        feedback.append_to(entry, decision.review)
        kept = formats.render_log_entry(entry)
        trailers[Trailer.OUTCOME] = Outcome.CRYSTALLIZED
        subject = _kept_subject(repo, number, decision.head, entry)
        build = lambda old: repo.tree_with_file(old, name, kept)  # noqa: E731
    elif merged:
        subject = _kept_subject(repo, number, decision.head, entry)
        build = feedback.tree_builder(repo, name, decision.review)
    else:
        entry.outcome, entry.reason, entry.pieces = Outcome.ABANDONED, CLOSED_REASON, []
        entry.novelty = []  # one record per kept piece: none now
        feedback.append_to(entry, decision.review)
        text = formats.render_log_entry(entry)
        trailers.update({Trailer.OUTCOME: Outcome.ABANDONED, Trailer.PIECES: ""})
        subject = f"Abandon session {number:04d}: {CLOSED_REASON}"
        build = lambda old: repo.tree_with_file(old, name, text)  # noqa: E731
    novel = novelty_trailers(entry.novelty) if merged else []
    return name, entry.title, build, message(subject, f"Review: {decision.how}.", trailers, novel)


# -- sync without a remote ---------------------------------------------------------------


def sync_local(repo: Repository, settings: Settings) -> list[Synced]:
    """No remote: the needs-review sessions a person decided here. Merged when the
    session's head reached main (by a merge or a fast-forward); closed when its branch
    was deleted without that. Recorded on main as with a remote; the branch goes."""
    done = []
    for decision in local_decisions(repo):
        commit = record_local(repo, decision, settings)
        done.append(
            Synced(
                decision.number,
                Outcome.CRYSTALLIZED if decision.merged else Outcome.ABANDONED,
                None,
                commit,
                feedback.with_warning(decision.how, decision.review),
            )
        )
    return done


def local_decisions(repo: Repository, number: int | None = None) -> list[_Decision]:
    """What a person decided, in this clone, for sessions whose last record on main is
    needs-review (only session `number`'s, if given); undecided ones are left out."""
    main = repo.main_commit()
    decisions = []
    for line in history.log(repo):
        if line.outcome != Outcome.NEEDS_REVIEW or number not in (None, line.session):
            continue
        ref = next(iter(session_branches(repo, line.session)), None)
        branch = refs.short(ref) if ref else None
        # The needs-review head is the archived one (a person's merge of the branch makes
        # main's latest record the branch's commit, which names the head before it).
        head = repo.rev_parse(refs.archive(line.session)) or line.head
        if repo.is_ancestor(head, main):
            decisions.append(_Decision(line.session, head, branch, True, None, "merged into main"))
        elif branch is None:
            decisions.append(
                _Decision(line.session, head, None, False, None, "branch deleted without merging")
            )
    return decisions


def record_local(repo: Repository, decision: _Decision, settings: Settings) -> str:
    """The decision's commit on the local main (compare-and-swap, the user's checkout
    brought forward), the head archived, the branch deleted where main or the archive
    holds all of it."""
    decision.review = feedback.collect(repo, decision, None, None, settings.review_trust)
    _, _, build, text = _recording(repo, decision)
    try:
        commit = land_on_main(
            repo,
            None,
            lambda old: repo.commit_tree(build(old), [old], text),
            settings.merge_retries,
        )
    except MainKeptMoving:
        raise AgentgitError(f"{MAIN} kept moving; run `agentgit sync` again") from None
    repo.ref_transaction([RefUpdate.force(refs.archive(decision.number), decision.head)])
    if decision.branch:
        ref = refs.head(decision.branch)
        sha = repo.rev_parse(ref)
        if (
            sha
            and ref not in repo.worktrees()
            and (repo.is_ancestor(sha, commit) or repo.is_ancestor(sha, decision.head))
        ):
            repo.ref_transaction([RefUpdate.delete(ref, sha)])
    return commit
