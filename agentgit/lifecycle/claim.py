"""Claiming and starting a session (DESIGN §2): the next id, taken atomically by
creating its branch and archive ref in one ref transaction (and on the remote, with
one), a transcript saved before anything else, then its worktree.
"""

from __future__ import annotations

import json
import random
import time
from contextlib import suppress
from typing import Any

from agentgit.agent.state import AgentState
from agentgit.core import faults, refs, stops
from agentgit.core.errors import AgentgitError, UsageError
from agentgit.core.metric import check_editable
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN
from agentgit.core.scrub import clean_line
from agentgit.core.settings import Settings
from agentgit.corpus import formats
from agentgit.git import RefMoved, RefUpdate, Repository
from agentgit.landscape import fused
from agentgit.lifecycle.land import parked
from agentgit.session import coordinator, transcript
from agentgit.session.meta import BUDGET_SETTINGS, THINKING_SETTINGS, SessionMeta
from agentgit.session.workspace import (
    Session,
    now_iso,
    ready_worktree,
    transcript_path,
    worktree_path,
)

ID_ATTEMPTS = 1000
MAX_TOPIC_CHARS = 4000  # a topic is a direction, not a document; the orientation clips it


def _used_ids(repo: Repository) -> set[int]:
    ids: set[int] = set()
    for prefix in (refs.ARCHIVE, refs.BRANCHES):
        for ref in repo.list_refs(prefix.rstrip("/")):
            number = refs.number_of(ref)
            if number is not None:
                ids.add(number)
    ids |= {n for n in map(formats.log_session, repo.ls_tree_names(MAIN, "corpus/log")) if n}
    return ids


def claim(
    repo: Repository,
    slug: str,
    base: str,
    remote: str | None = None,
    seed: dict[str, Any] | None = None,
) -> int:
    """The next free id, claimed by creating its branch and archive ref in one transaction;
    with a remote, then on the remote too (a runner that loses the race there drops its
    local claim and takes the next id). `seed`, what the session starts with, goes into
    the branch's reflog: killed before its transcript is written, it is not lost."""
    message = CLAIM_PREFIX + json.dumps(transcript.scrubbed(seed)) if seed else None
    used = _used_ids(repo)
    if remote:
        used |= coordinator.used_ids(repo, remote)
    candidate = max(used, default=0) + 1
    for _ in range(ID_ATTEMPTS):
        branch, archive = refs.branch(candidate, slug), refs.archive(candidate)
        claimed = [RefUpdate.create(branch, base), RefUpdate.create(archive, base)]
        dropped = [RefUpdate.delete(branch, base), RefUpdate.delete(archive, base)]
        try:
            repo.ref_transaction(claimed, message)
        except RefMoved:
            candidate += 1
            continue
        if remote is None:
            return candidate
        faults.point("claiming")  # claimed here, not yet on the remote
        try:
            won = coordinator.claim(repo, remote, branch, archive, base)
        except AgentgitError:
            repo.ref_transaction(dropped)
            raise
        if won:
            return candidate
        repo.ref_transaction(dropped)
        # Lost the race, or met another claim holding the remote's lock: learn again what
        # the remote has (the same id once more if it is still free), after a little jitter
        # so two runners do not collide in step.
        time.sleep(random.uniform(0.01, 0.2))
        used |= coordinator.used_ids(repo, remote, with_log=False)
        candidate = max(used, default=0) + 1
    raise AgentgitError("could not claim a session id")


def start(
    repo: Repository,
    settings: Settings,
    *,
    topic: str | None,
    model_name: str,
    model_spec: str | None = None,
) -> Session:
    operation = repo.in_progress_operation()
    if operation:
        raise AgentgitError(f"{repo.top}: a {operation} is in progress; finish it first")
    base = repo.main_commit()
    repo.notes_commit()  # a damaged notes ref is named before an id is claimed
    if settings.metric:  # a glob that matches nothing is a typo: say so before a claim
        check_editable(settings.metric, repo.tree_files(base))
    fused.mode(settings.search)  # "fused" without the extra: said before a claim
    # The topic becomes a branch, a file name, titles and subjects: no credential and
    # no terminal control may travel with it (the transcript alone was scrubbed before).
    topic = clean_line(topic or "") or None
    if topic and len(topic) > MAX_TOPIC_CHARS:
        raise UsageError(f"--topic is {len(topic):,} characters; the limit is {MAX_TOPIC_CHARS:,}")
    slug = formats.slugify(topic or "", fallback="explore")
    remote = coordinator.active(repo, settings)
    seed = {
        "topic": topic,
        "model": model_name,
        # What --model said (scripted:FILE included), so `resume` needs no flags.
        "model_spec": model_spec or model_name,
        "started": now_iso(),
        "budget": {k: getattr(settings, k) for k in BUDGET_SETTINGS},
        # How it thinks: a resume asks the model as the session began.
        "thinking": {k: getattr(settings, k) for k in THINKING_SETTINGS},
        # How it ends: a resumed --review pr session must still go to review, and a
        # --no-push one must stay local.
        "review": settings.review,
        "push": settings.push,
        # A metric makes an experiment session (DESIGN §10): its worktree is whole.
        **({"experiment": True} if settings.metric else {}),
    }
    with repo.network_deadline():  # the claim's network calls share one bound
        if remote:
            # The remote's transcripts first: a damaged notes ref there is named now,
            # not after a whole session, when its transcript could not be pushed.
            coordinator.fetch_notes(repo, remote)
            # A runner whose main is behind the remote's starts from the remote's.
            remote_main = coordinator.fetch_main(repo, remote)
            if remote_main and repo.is_ancestor(base, remote_main):
                base = remote_main
        number, stop = _claim_whole(repo, slug, base, remote, seed)
    meta = _meta(number, slug, base, seed)
    session = Session(repo, meta, worktree_path(repo, number))
    path = transcript_path(repo, number)
    try:
        if stop is not None:
            raise stop
        faults.point("claimed")
        # The transcript exists before the worktree does, so a session killed from here
        # on can always be resumed or abandoned by id.
        transcript.save(path, meta, AgentState(messages=[]))
        ready_worktree(repo, session)
        faults.point("started")
    except KeyboardInterrupt as exc:
        # A signal before the first turn: the claim is on the remote already, so park
        # it with its transcript there too, or no other clone could resume or end it.
        with stops.held(drop=True):
            meta.status = Outcome.INTERRUPTED
            transcript.save(path, meta, AgentState(messages=[]))
            raise parked(repo, session, settings, exc) from None
    return session


CLAIM_PREFIX = "agentgit claim "


def _claim_whole(
    repo: Repository, slug: str, base: str, remote: str | None, seed: dict[str, Any]
) -> tuple[int, KeyboardInterrupt | None]:
    """`claim`, with a stopping signal held until it returns, and the id with the stop
    that came meanwhile. A claim cut between this clone and the remote would be one
    no other clone could resume or abandon; the network calls are bounded, so the wait
    is too."""
    number: int | None = None
    try:
        with stops.held():
            number = claim(repo, slug, base, remote, seed)
    except KeyboardInterrupt as exc:
        if number is None:  # the claim failed (and undid itself): nothing to park
            raise
        return number, exc
    return number, None


def _meta(number: int, slug: str, base: str | None, seed: dict[str, Any]) -> SessionMeta:
    """The record a claim begins: the seed's keys (what `start` put in it, or the reflog
    kept), a running status and a title from the topic (SessionMeta's defaults).
    ValueError if a seed's key is of the wrong kind."""
    fields = {"session": number, "slug": slug, "base": base, **seed}
    fields.pop("title", None)  # a claim's title is the topic's, whatever a seed says
    fields.pop("status", None)
    return SessionMeta.from_dict(fields)


def claimed_meta(repo: Repository, number: int, branch: str) -> SessionMeta:
    """The meta of a session killed between its claim and its first transcript: the seed
    the claim left in the branch's reflog (defaults if the reflog is gone)."""
    parsed = refs.parse_branch(branch)
    assert parsed is not None, branch
    slug = parsed[1]
    seed: Any = {}
    message = repo.first_reflog_message(branch) or ""
    if message.startswith(CLAIM_PREFIX):
        with suppress(ValueError):
            seed = json.loads(message.removeprefix(CLAIM_PREFIX))
    seed = seed if isinstance(seed, dict) else {}
    seed.setdefault("started", now_iso())
    base = repo.rev_parse(branch)
    try:
        return _meta(number, slug, base, seed)
    except ValueError:  # a reflog message edited by hand: the defaults, as for none
        return _meta(number, slug, base, {"started": now_iso()})
