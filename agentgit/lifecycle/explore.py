"""Running a session (DESIGN §3): the standing instructions, the orientation, and the
agent loop in the session's worktree, saved after every turn. A stop (a signal, an API
that stays down) parks the session and exits resumable; a judgement goes on to judge.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import suppress

from agentgit.agent.ending import Judgement
from agentgit.agent.experiment_tools import ExperimentToolbox
from agentgit.agent.loop import Agent
from agentgit.agent.state import AgentState
from agentgit.agent.tools import Toolbox
from agentgit.core import stops
from agentgit.core.errors import AgentgitError, Interrupted
from agentgit.core.outcome import Outcome
from agentgit.core.settings import Settings
from agentgit.corpus import formats
from agentgit.experiment.lab import BaselineFailed
from agentgit.git import Repository
from agentgit.landscape import questions
from agentgit.lifecycle import experiment
from agentgit.lifecycle.judge import finish
from agentgit.lifecycle.land import parked
from agentgit.models.base import Model, ProgressFn, Usage
from agentgit.session import transcript
from agentgit.session.workspace import Result, Session, lock, now_iso, transcript_path


def system_prompt(session: Session) -> str:
    """corpus/PROGRAM.md of the session's tree (links followed while in the corpus)."""
    from agentgit.corpus.view import LeadsOut, read_text

    with suppress(LeadsOut, OSError):
        return read_text(session.view, "PROGRAM.md")
    from agentgit.corpus.skeleton import default_program

    return default_program()


def program_warning(repo: Repository) -> str | None:
    """One line when the standing instructions in the user's work tree are not the ones
    a session runs: it reads corpus/PROGRAM.md from main, never from the work tree."""
    from agentgit.corpus.skeleton import PROGRAM, program_state

    state = program_state(repo)
    commit = "commit it to main to use it"
    return {
        "modified": f"{PROGRAM} in your working copy differs from main's; this session "
        f"runs main's ({commit})",
        "untracked": f"{PROGRAM} in your working copy is not on main; this session runs "
        f"agentgit's default program ({commit})",
        "missing": f"{PROGRAM} is deleted in your working copy; this session runs main's",
    }.get(state)


def orientation(
    session: Session,
    settings: Settings,
    asked: list[questions.Question] | None = None,
    terrain_line: str | None = None,
) -> tuple[str, list[formats.Problem]]:
    """The first user turn; `asked`: main's questions, when the caller read them;
    `terrain_line`: the terrain's line, when the caller has it (a replay: the recorded)."""
    from agentgit.agent.orient import build_orientation

    return build_orientation(
        session.view,
        topic=session.meta.topic,
        budget=f"Budget: {settings.budget_line()}.",
        max_chars=settings.orient_max_chars,
        recent_log=settings.orient_recent_log,
        today=session.today,
        questions=main_questions(session, settings) if asked is None else asked,
        terrain=recent_terrain(session, settings) if terrain_line is None else terrain_line,
    )


def recent_terrain(session: Session, settings: Settings) -> str:
    """Where the recent sessions stood (DESIGN §8), as one line; nothing when the index
    cannot be read: the terrain informs a session, it never stops one."""
    from agentgit.landscape import regions, terrain

    try:  # main as the session started, the tree its questions and view read already
        found = terrain.survey(
            session.repo, settings, files=session.base_files(), most_new=terrain.ORIENT_MOST_NEW
        )
    except regions.Unplaced as exc:
        return terrain.unsurveyed_line(exc.count)
    except (sqlite3.Error, OSError):
        return ""
    return terrain.orientation_line(found)


def main_questions(session: Session, settings: Settings) -> list[questions.Question]:
    """The questions main's log left when the session started. A new session's head is
    its base: the tree its view read already."""
    return questions.read(session.repo, settings.dead_after, files=session.base_files())


def run(
    repo: Repository,
    session: Session,
    model: Model,
    settings: Settings,
    progress: ProgressFn | None = None,
    state: AgentState | None = None,
    cost: Callable[[Usage], float | None] | None = None,
) -> Result:
    """Run the agent loop in the session's worktree, then judge and land."""
    progress = progress or (lambda event, data: None)
    path = transcript_path(repo, session.session)
    with lock(repo, session.session):
        asked = None
        lab = None
        if settings.metric is not None:
            lab = experiment.lab_for(repo, session, settings, state)
            try:  # measured once per session: a resume reads it from the branch
                lab.measure_baseline()
            except KeyboardInterrupt as exc:
                with stops.held(drop=True):
                    raise parked(repo, session, settings, exc) from None
            except BaselineFailed as exc:  # not git's failing: that leaves it resumable
                raise _unmeasured(repo, session, settings, state, exc, progress) from None
        if state is None or not state.messages:  # a fresh start, or killed before turn 1
            asked = main_questions(session, settings)
            text, problems = orientation(session, settings, asked)
            if lab is not None:
                text = f"{text}\n\n{experiment.orientation(lab, asked)}"
            for problem in problems:
                progress("warning", {"message": f"skipped {problem}"})
            state = AgentState(
                messages=[{"role": "user", "content": [{"type": "text", "text": text}]}]
            )
        session.meta.system = system_prompt(session)
        session.meta.status = "running"
        cost = cost or _cost_fn(session.meta.model, settings)

        def save(current: AgentState) -> None:
            transcript.save(path, session.meta, current)

        toolbox = (
            Toolbox.for_settings(session, settings)
            if lab is None
            else ExperimentToolbox.for_lab(session, settings, lab)
        )
        if asked is not None:  # the question tool starts from what the orientation showed
            toolbox.asked = {q.id: q for q in asked}
        agent = Agent(
            model,
            toolbox,
            session.meta.system,
            settings,
            cost=cost,
            save=save,
            progress=progress,
        )
        save(state)
        try:
            judgement = agent.run(state)
            if lab is not None:
                judgement = experiment.decided(lab, judgement)
        except (Interrupted, KeyboardInterrupt) as exc:
            with stops.held(drop=True):  # a second signal cannot cut the clean-up short
                session.meta.status = Outcome.INTERRUPTED
                save(state)
                raise parked(repo, session, settings, exc) from None
        session.meta.status, session.meta.ended = "judged", now_iso()
        session.meta.judgement = judgement
        save(state)
        return finish(repo, session, judgement, state, settings, progress)


def _unmeasured(
    repo: Repository,
    session: Session,
    settings: Settings,
    state: AgentState | None,
    exc: BaselineFailed,
    progress: ProgressFn,
) -> AgentgitError:
    """A base tree that cannot be measured leaves nothing to explore: the session ends
    abandoned with the reason (its log entry on main, its branch archived), not open
    until someone abandons it, and the error still says what failed."""
    reason = f"no baseline: {exc}"
    judgement = Judgement(Outcome.ABANDONED, f"Abandoned: {reason}", reason=reason)
    session.meta.status, session.meta.ended = "judged", now_iso()
    session.meta.judgement = judgement
    state = state or AgentState(messages=[])
    transcript.save(transcript_path(repo, session.session), session.meta, state)
    finish(repo, session, judgement, state, settings, progress)
    return AgentgitError(f"{exc}; session {session.session:04d} was abandoned for it")


def _cost_fn(model_name: str, settings: Settings) -> Callable[[Usage], float | None]:
    from agentgit.models.pricing import cost_usd

    return lambda usage: cost_usd(model_name, usage, settings.pricing)
