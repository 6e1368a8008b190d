"""The remote as coordinator (DESIGN §5): when many machines share one remote, ids are
claimed there and main is updated there by a push that fails rather than overwrites.

The policy lives here; the git calls are Repository's. Nothing is ever force-pushed: an id
is claimed with `--force-with-lease=<ref>:` (empty expected value: the ref must not
exist), which only ever creates; main moves by a plain fast-forward push of a commit
built on the remote's main as just fetched.
"""

from __future__ import annotations

from enum import Enum

from agentgit.core import refs
from agentgit.core.errors import AgentgitError, DamagedRef
from agentgit.core.refs import MAIN_REF
from agentgit.core.refs import NOTES as NOTES_REF
from agentgit.core.settings import Settings
from agentgit.corpus import formats
from agentgit.git import RefUpdate, Repository

NOTES_RETRIES = 10


_RACES = (
    "stale info",
    "already exists",
    "fetch first",
    "atomic transaction failed",
    "lock",
    "incorrect old value",
    "failed to update ref",
)


class Pushed(Enum):
    OK = "ok"
    MOVED = "moved"  # the remote's ref moved meanwhile: fetch and build again
    REFUSED = "refused"  # the remote will not take it (a protected branch, a hook)


class PushRefused(AgentgitError):
    """The remote refused a push for a reason other than a race."""


def active(repo: Repository, settings: Settings) -> str | None:
    """The remote sessions push to, or None: `--no-push`, or no such remote configured."""
    repo.network_timeout = settings.network_timeout
    if not settings.push or not settings.remote:
        return None
    return settings.remote if repo.remote_url(settings.remote) else None


tracking = refs.tracking


def fetch_main(repo: Repository, remote: str) -> str | None:
    """The remote's main as of now (also kept in refs/remotes/<remote>/main); None if the
    remote has no main yet."""
    if MAIN_REF not in repo.ls_remote(remote, MAIN_REF):
        return None
    repo.fetch(remote, f"+{MAIN_REF}:{tracking(remote)}")
    return repo.rev_parse(tracking(remote))


def used_ids(repo: Repository, remote: str, with_log: bool = True) -> set[int]:
    """Ids the remote knows: its archive refs, its session branches, its main's log."""
    ids: set[int] = set()
    for ref in repo.ls_remote(remote, f"{refs.ARCHIVE}*", f"{refs.BRANCHES}*"):
        number = refs.number_of(ref)
        if number is not None:
            ids.add(number)
    if with_log and fetch_main(repo, remote):
        names = repo.ls_tree_names(tracking(remote), "corpus/log")
        ids |= {n for n in map(formats.log_session, names) if n}
    return ids


def claim(repo: Repository, remote: str, branch_ref: str, archive_ref: str, base: str) -> bool:
    """Create the session's branch and archive ref on the remote, both or neither, only if
    neither exists there. False: another runner has the id."""
    claimed = (branch_ref, archive_ref)
    result = repo.push(
        remote,
        [f"{base}:{ref}" for ref in claimed],
        atomic=True,
        leases=[f"{ref}:" for ref in claimed],
    )
    if result.ok:
        # git reports a ref that already holds the very value pushed as "up to date"
        # (`=`) without checking the lease: another runner claimed it from the same base.
        # Only refs this push created (`*`) are ours; a half claim is taken back.
        created = [ref for ref in claimed if result.refs.get(ref, ("",))[0] == "*"]
        if len(created) == len(claimed):
            return True
        if created:
            repo.push(
                remote,
                [f":{ref}" for ref in created],
                atomic=True,
                leases=[f"{ref}:{base}" for ref in created],
            )
        return False
    why = " ".join(filter(None, (result.rejected(branch_ref), result.rejected(archive_ref))))
    # Another runner's claim got there first, or holds the remote's ref lock right now.
    if any(word in why for word in _RACES):
        return False
    raise PushRefused(f"{remote} refused the session's id claim: {why or result.message}")


def push_main(repo: Repository, remote: str, commit: str) -> tuple[Pushed, str]:
    """Fast-forward the remote's main to `commit` (built on the main just fetched)."""
    ref = MAIN_REF
    result = repo.push(remote, [f"{commit}:{ref}"])
    why = result.rejected(ref)
    if why is None:
        repo.ref_transaction([RefUpdate.force(tracking(remote), commit)])
        return Pushed.OK, ""
    if any(word in why for word in ("non-fast-forward", *_RACES)):
        return Pushed.MOVED, why
    return Pushed.REFUSED, why


def publish(
    repo: Repository,
    remote: str,
    number: str,
    branch: str,
    keep_branch: bool,
    in_review: bool = False,
) -> None:
    """Push the session's archive ref and the transcript notes, and the branch when it is
    kept (for review) or its deletion when it is not. `in_review` also pushes the review
    ref that tells `agentgit sync`, on any machine, that this session awaits a person."""
    archive = refs.archive(int(number))
    head = repo.rev_parse(archive)
    assert head is not None
    branch_ref = refs.head(branch)
    review_ref = refs.review(int(number))
    specs = [f"{head}:{archive}"]
    if in_review:
        specs.append(f"{head}:{review_ref}")
    if keep_branch:
        specs.append(f"{head}:{branch_ref}")
    else:  # done with: its branch and any review ref go
        specs += [f":{ref}" for ref in repo.ls_remote(remote, branch_ref, review_ref)]
    result = repo.push(remote, specs, atomic=True)
    if not result.ok:
        raise PushRefused(
            f"could not push session {number} to {remote}: "
            f"{result.rejected(archive) or result.message}"
        )
    # The local review ref mirrors the remote's: set only once the remote has it.
    if in_review:
        repo.ref_transaction([RefUpdate.force(review_ref, head)])
    elif not keep_branch and repo.rev_parse(review_ref):
        repo.ref_transaction([RefUpdate.force_delete(review_ref)])
    push_notes(repo, remote)


def park(repo: Repository, remote: str, branch: str, head: str, transcript: str) -> None:
    """Leave an interrupted session on the remote for any clone to resume (a CI runner is
    gone once its job ends): the branch as far as it got, the transcript as a note on
    that head. The branch only moves forward, so the push is never forced."""
    repo.add_note(head, transcript)
    ref = refs.head(branch)
    result = repo.push(remote, [f"{head}:{ref}"])
    if not result.ok:
        raise PushRefused(f"{remote} refused {branch}: {result.rejected(ref) or result.message}")
    push_notes(repo, remote)


def fetch_notes(repo: Repository, remote: str) -> None:
    """Merge the remote's transcript notes into ours; DamagedRef, naming the remote, if
    its notes ref is no commit (no merge or push could ever move it)."""
    if NOTES_REF in repo.ls_remote(remote, NOTES_REF):
        fetched = refs.remote_notes(remote)
        repo.fetch(remote, f"+{NOTES_REF}:{fetched}")
        try:
            repo.notes_commit(fetched)
        except DamagedRef as exc:
            repo.ref_transaction([RefUpdate.force_delete(fetched)])  # not kept as notes
            raise DamagedRef(NOTES_REF, exc.kind, remote) from None
        repo.merge_notes(fetched)


def push_notes(repo: Repository, remote: str) -> None:
    """The notes ref is shared by every runner: merge the remote's into ours, then push,
    never forced; retried when another runner pushed notes meanwhile."""
    for _ in range(NOTES_RETRIES):
        fetch_notes(repo, remote)
        if repo.rev_parse(NOTES_REF) is None:
            return
        result = repo.push(remote, [f"{NOTES_REF}:{NOTES_REF}"])
        why = result.rejected(NOTES_REF)
        if why is None:
            return
        if not any(word in why for word in ("non-fast-forward", *_RACES)):
            raise PushRefused(f"{remote} refused the transcript notes: {why}")
    raise PushRefused(f"could not push the transcript notes to {remote}: they kept moving")
