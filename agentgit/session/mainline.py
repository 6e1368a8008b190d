"""Main, as the lifecycle and review both move it.

Below both (neither imports this module's callers): finding a session's landing on main,
building a log-only commit, bringing the local main forward after the remote's moved,
and the one loop that lands a commit on main, by compare-and-swap on the local ref or by
a push that fails rather than overwrites on the remote, built again each time main moved.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from agentgit.core.errors import AgentgitError
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN
from agentgit.core.scrub import one_line
from agentgit.corpus import history
from agentgit.git import CheckoutBlocked, RefMoved, Repository
from agentgit.session import coordinator
from agentgit.session.messages import landing_trailers, message

if TYPE_CHECKING:
    from agentgit.session.workspace import Result, Session


class MainRefused(AgentgitError):
    """The remote will not take main's new commit (a protected branch, a hook)."""


class MainKeptMoving(AgentgitError):
    """Main moved under every attempt to land on it."""


def main_base(repo: Repository, remote: str | None) -> str:
    """The main a landing builds on: the remote's as just fetched, else the local one."""
    if remote:
        fetched = coordinator.fetch_main(repo, remote)
        if fetched:
            return fetched
    old = repo.rev_parse(MAIN)
    assert old is not None
    return old


def bring_local_main(repo: Repository, commit: str) -> None:
    """After the remote's main took `commit`, bring the local main forward where that is
    a fast-forward the user's checkout allows; otherwise leave it for a `git pull`."""
    old = repo.rev_parse(MAIN)
    if old is None or old == commit or not repo.is_ancestor(old, commit):
        return
    with suppress(RefMoved, CheckoutBlocked):
        repo.advance_branch(MAIN, commit, old)


def land_on_main(
    repo: Repository, remote: str | None, build: Callable[[str], str], attempts: int
) -> str:
    """Land `build(main)` (a commit whose first parent is the main it was given) and
    return it. Main that moved meanwhile is read again and the commit built again, up to
    `attempts` times; then MainKeptMoving. With a remote, its main moves by a push that
    fails rather than overwrites (a refusal raises MainRefused) and the local main follows
    where it can; without one, the local ref moves by compare-and-swap and the user's
    checkout comes forward (CheckoutBlocked where it cannot: nothing moved)."""
    for _ in range(attempts):
        old = main_base(repo, remote)
        commit = build(old)
        if remote:
            pushed, why = coordinator.push_main(repo, remote, commit)
            if pushed is coordinator.Pushed.MOVED:
                continue
            if pushed is coordinator.Pushed.REFUSED:
                raise MainRefused(f"{remote} refused the push to {MAIN}: {why}")
            bring_local_main(repo, commit)
            return commit
        try:
            repo.advance_branch(MAIN, commit, old)
        except RefMoved:
            continue
        return commit
    raise MainKeptMoving(f"{MAIN} kept moving")


def log_commit(repo: Repository, session: Session, result: Result, old: str) -> str:
    """A commit on `old` that adds only the session's log entry, as on its head."""
    head = result.head
    assert head is not None
    text = repo.read_blob(head, f"corpus/{session.log_rel}")
    assert text is not None
    verbs: dict[str, str] = {Outcome.ABANDONED: "Abandon", Outcome.NEEDS_REVIEW: "Needs review:"}
    verb = verbs.get(result.outcome, "Log")
    what = result.reason or result.title
    tree = repo.tree_with_file(old, f"corpus/{session.log_rel}", text)
    subject = f"{verb} session {session.id}: {one_line(what)}"
    return repo.commit_tree(
        tree, [old], message(subject, result.summary, landing_trailers(repo, head))
    )


def find_landing(
    repo: Repository, number: int, remote: str | None = None, depth: int = history.RECENT
) -> str | None:
    """Main's commit for this session, if it already landed (resume after a kill, a review
    decided); with a remote, the remote's main is asked first. Only main's last `depth`
    first-parent commits are read: a landing is looked for soon after the session."""
    mains = [MAIN]
    if remote and coordinator.fetch_main(repo, remote):
        mains.insert(0, coordinator.tracking(remote))
    for main in mains:
        found = history.landings(repo, main, limit=1, session=number, depth=depth)
        if found:
            return found[0].sha
    return None
