"""Judging (DESIGN §2): the branch's last commit holds the judgement. To keep, the chosen
drafts move into pieces/ and the other drafts leave the tree; either way the log entry
is finalised with the usage and cost. Then the session lands.
"""

from __future__ import annotations

from agentgit.agent.ending import Judgement
from agentgit.agent.state import AgentState
from agentgit.core import faults, figures
from agentgit.core.outcome import Outcome
from agentgit.core.scrub import clean_line
from agentgit.core.settings import Settings
from agentgit.core.trailers import Trailer
from agentgit.corpus import formats
from agentgit.git import Repository
from agentgit.landscape import ground, questions
from agentgit.lifecycle.land import land, parked
from agentgit.models.base import ProgressFn
from agentgit.session.messages import diff_subject, first_line, message, summary_trailers
from agentgit.session.meta import TITLE_CHARS
from agentgit.session.workspace import Result, Session, now_iso


def finish(
    repo: Repository,
    session: Session,
    judgement: Judgement,
    state: AgentState,
    settings: Settings,
    progress: ProgressFn,
) -> Result:
    try:
        result = final_commit(repo, session, judgement, state)
        faults.point("judged")
        progress("judged", {"outcome": result.outcome, "head": result.head})
    except KeyboardInterrupt as exc:  # a signal: the judgement is saved, resume makes it
        raise parked(repo, session, settings, exc, judgement.outcome) from None
    return land(repo, session, result, settings, progress)


def final_commit(
    repo: Repository, session: Session, judgement: Judgement, state: AgentState
) -> Result:
    """The branch's last commit: pieces moved into place, drafts dropped, log finalised."""
    corpus_dir = session.corpus_dir
    pieces: list[str] = []
    titles: list[str] = []
    if judgement.outcome == Outcome.CRYSTALLIZED:
        kept: dict[str, str] = {}
        for slug in judgement.slugs:
            draft = corpus_dir / "drafts" / f"{slug}.md"
            text = draft.read_text("utf-8")
            titles.append(formats.parse_piece(text, f"drafts/{slug}.md").title)
            kept[f"corpus/pieces/{slug}.md"] = text
            pieces.append(slug)
        # Into the index, not onto disk: the sparse worktree has no pieces/ to write in.
        repo.stage_files(session.worktree, kept)
        drafts = corpus_dir / "drafts"
        if drafts.is_dir():
            for leftover in drafts.glob("*.md"):
                leftover.unlink()
    topic = session.meta.topic
    title = clean_line(
        (topic or "")[:TITLE_CHARS]
        or (
            "; ".join(titles)
            if titles
            else first_line(judgement.summary) or judgement.reason or session.meta.title
        )
    )
    head_before = repo.head(session.worktree)
    usage = state.usage
    body = (
        session.journal_body().rstrip()
        + "\n\n## Summary\n\n"
        + (judgement.summary.strip() or "(none)")
        + "\n"
    )
    if session.commits or state.turns:
        steps = [s.get("commit") for t in state.turns for s in t.get("steps", [])]
        steps = [s for s in steps if s]
        if steps:
            body += "\n## Steps\n\n" + "".join(f"- {s}\n" for s in steps)
    ended = session.meta.ended or now_iso()
    entry = session._entry(
        judgement.outcome,
        body,
        title=title,
        ended=ended,
        pieces=pieces,
        reason=judgement.reason,
        turns=state.turn,
        usage=formats.usage_record(usage),
        cost_usd=_rounded(figures.writable_cost(state.cost_usd)),
        head=head_before,
        novelty=judgement.novelty,
    )
    # The records the question tool kept in the journal's frontmatter (DESIGN §8).
    entry.questions = questions.journal_questions(session.journal_path(), session.log_rel)
    # Where it stood (DESIGN §8): the pieces its conversation read, and those it kept.
    entry.ground = ground.Ground(tuple(ground.read_in(state.messages)), tuple(pieces)).record()
    path = session.journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(formats.render_log_entry(entry), "utf-8")
    diff = repo.stage(session.worktree)
    subject = diff_subject(diff) or "Judge"
    verb = "Crystallize" if judgement.outcome == Outcome.CRYSTALLIZED else "Abandon"
    trailers = summary_trailers(
        session.id,
        session.meta.model,
        judgement.outcome,
        title,
        pieces,
        state.turn,
        state.cost_usd,
        state.usage,
    )
    trailers[Trailer.ENDED] = ended  # when the money was spent: the ledger reads it
    if judgement.metric:  # an experiment's figures: main's commit repeats them
        trailers[Trailer.METRIC] = judgement.metric
    text = message(
        f"{verb} session {session.id}: {subject[0].lower()}{subject[1:]}",
        judgement.summary,
        trailers,
    )
    head = repo.commit_staged(session.worktree, text)
    return Result(
        session=session.session,
        outcome=judgement.outcome,
        title=title,
        summary=judgement.summary,
        pieces=pieces,
        reason=judgement.reason,
        head=head,
        branch=session.branch,
        turns=state.turn,
        usage=usage,
        cost_usd=state.cost_usd,
    )


def _rounded(cost: float | None) -> float | None:
    return None if cost is None else round(cost, 6)
