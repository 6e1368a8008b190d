"""`agentgit replay N`: re-run a recorded session from its transcript and compare trees.

The recorded model turns become a scripted model; the session runs in a scratch
worktree detached at the session's base, with the recorded clock, and nothing it does
touches a branch, main or the archive. The log entry's `head` field names a commit
sha, which differs by construction, so it is left out of the comparison.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from typing import Any

from agentgit.agent.loop import Agent
from agentgit.agent.state import AgentState
from agentgit.agent.tools import Toolbox
from agentgit.core import refs
from agentgit.core.errors import AgentgitError
from agentgit.core.settings import Settings, coerce
from agentgit.git import Repository
from agentgit.landscape import terrain
from agentgit.lifecycle.explore import orientation, system_prompt
from agentgit.lifecycle.judge import final_commit
from agentgit.models.scripted import ScriptedModel
from agentgit.session import transcript
from agentgit.session.meta import BUDGET_SETTINGS, SessionMeta
from agentgit.session.workspace import Session

_HEAD_LINE = re.compile(r"^head: .*$", re.M)


@dataclass
class ReplayReport:
    identical: bool
    message: str


def replay(repo: Repository, number: int) -> ReplayReport:
    recorded_head = _recorded_head(repo, number)
    note = repo.read_note(recorded_head)
    if note is None:
        raise AgentgitError(f"session {number:04d} has no transcript note to replay")
    data = transcript.parse(note)
    if not data.get("messages"):
        raise AgentgitError(f"session {number:04d} ended before its first turn: nothing to replay")
    # What the recorded session began with; what it came to (its status, judgement, system
    # prompt) the replay makes again.
    began = transcript.session_meta(data)
    meta = SessionMeta(
        began.session,
        began.slug,
        began.started,
        base=began.base,
        topic=began.topic,
        model=began.model,
        budget=began.budget,
        title=began.title,
        ended=began.ended,
    )
    base = meta.base
    if base is None:
        raise AgentgitError(f"session {number:04d}'s transcript names no base to replay from")
    budget = _recorded_budget(number, meta.budget)
    recorded_settings = Settings(**budget)
    # Wall time is not part of what a replay reproduces.
    settings = Settings(**{**budget, "max_minutes": 1e9})
    worktree = repo.state_dir / "replay" / f"{number:04d}"
    if worktree.exists():
        repo.remove_worktree(worktree)
        shutil.rmtree(worktree, ignore_errors=True)
    session = Session(repo, meta, worktree)
    repo.add_detached_worktree(worktree, base, sparse=session.sparse_patterns())
    try:
        session.novelty_rev = base  # main as the recorded session saw it
        model = ScriptedModel(transcript.assistant_turns(data), name=meta.model)
        state = AgentState(messages=[data["messages"][0]])
        recorded = data["messages"][0]["content"][0].get("text")
        # The terrain is a retrospect of main now, not of what the session saw: the
        # recorded line is taken as it was.
        line = terrain.recorded_line(recorded if isinstance(recorded, str) else "")
        text, _ = orientation(session, recorded_settings, terrain_line=line)
        if recorded != text:
            return ReplayReport(
                False, f"session {number:04d}: the orientation differs from the recorded one"
            )
        costs = iter(t.get("cost_usd") for t in data.get("turns", []))
        toolbox = Toolbox.for_settings(session, settings)
        agent = Agent(
            model,
            toolbox,
            system_prompt(session),
            settings,
            cost=lambda usage: next(costs, 0.0),
            save=lambda s: None,
        )
        judgement = agent.run(state)
        final_commit(repo, session, judgement, state)
        return _compare(repo, number, recorded_head, repo.head(worktree))
    finally:
        repo.remove_worktree(worktree)


def _recorded_head(repo: Repository, number: int) -> str:
    head = repo.rev_parse(refs.archive(number))
    if head is None:
        raise AgentgitError(f"no recorded session {number:04d}")
    # A session left for review has one more commit than its judgement: replay that.
    commits = repo.log([head], max_count=2)
    if commits[0].subject.startswith("Needs review:") and len(commits) > 1:
        return commits[1].sha
    return head


def _compare(repo: Repository, number: int, recorded: str, replayed: str) -> ReplayReport:
    paths = repo.changed_paths(recorded, replayed)
    for path in paths:
        old = repo.read_blob(recorded, path) or ""
        new = repo.read_blob(replayed, path) or ""
        if _HEAD_LINE.sub("", old) == _HEAD_LINE.sub("", new):
            continue
        for i, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False), 1):
            if a != b:
                return ReplayReport(
                    False,
                    f"session {number:04d}: differs at {path}:{i}: recorded {a!r}, replayed {b!r}",
                )
        return ReplayReport(False, f"session {number:04d}: differs in {path} (length)")
    return ReplayReport(True, f"session {number:04d}: replay produced identical trees")


def _recorded_budget(number: int, budget: dict[str, Any]) -> dict[str, Any]:
    """The budget the transcript recorded, checked by the settings' own rules: a key of
    another version is left out, a value of the wrong kind is one line, not a traceback."""
    try:
        return {
            k: coerce(k, v) for k, v in budget.items() if k in BUDGET_SETTINGS and v is not None
        }
    except ValueError as exc:
        raise AgentgitError(f"session {number:04d}'s transcript has a bad budget: {exc}") from None
