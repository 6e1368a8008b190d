"""An experiment session's stages (DESIGN §10): its judge made from the session, the part
of the orientation that shows the metric, and the judgement the metric has the last word
on (at the end of a budget it decides; main's commit carries its figures)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from agentgit.agent.ending import BudgetSpent, Judgement
from agentgit.agent.state import AgentState
from agentgit.core.errors import AgentgitError
from agentgit.core.metric import Metric
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN_REF
from agentgit.core.settings import Settings
from agentgit.core.trailers import Trailer
from agentgit.experiment import results
from agentgit.experiment.lab import Lab, seconds_left_from
from agentgit.experiment.results import format_value
from agentgit.experiment.runner import parse_value, run_command
from agentgit.git import Repository
from agentgit.landscape.questions import Question
from agentgit.session.workspace import Session

RECENT_RUNS = 15  # runs the orientation lists, newest last, so old dead ends are seen
FORECLOSED = 12  # dropped questions it lists, newest first
RUN_LINE = 300  # characters of one listed run or question
ORIENT_CHARS = 8_000  # the whole experiment part, whatever the history


def lab_for(
    repo: Repository, session: Session, settings: Settings, state: AgentState | None
) -> Lab:
    assert settings.metric is not None
    spent = state.elapsed if state is not None else 0.0
    deadline = time.monotonic() + settings.max_minutes * 60 - spent
    return Lab(
        repo,
        session.worktree,
        session.session,
        settings.metric,
        session.meta.base or repo.main_commit(),
        f"corpus/{session.log_rel}",
        seconds_left_from(deadline),
    )


def main_best(repo: Repository) -> str | None:
    """Main's latest kept `Agentgit-Metric` figures. An abandoned session's log commit
    carries its figures too, but its code never reached main: it is not main's best."""
    found = repo.log(
        ["--first-parent", MAIN_REF, f"--grep=^{Trailer.METRIC}: "], max_count=50, body=False
    )
    kept = (c for c in found if c.trailers.get(Trailer.OUTCOME) == Outcome.CRYSTALLIZED)
    return next((c.trailers.get(Trailer.METRIC) for c in kept), None)


def orientation(lab: Lab, asked: Sequence[Question] = ()) -> str:
    """What the model needs to judge well: the metric, the baseline and the gain, main's
    best, the recent runs with their hypotheses, and the ideas earlier sessions dropped
    with why (`asked`: main's questions), so what failed is not tried again. Within
    ORIENT_CHARS whatever the number of runs and questions."""
    metric = lab.metric
    baseline = lab.baseline()
    lines = [
        "## Experiment",
        "",
        _clip(
            f"The metric is {metric.name} ({metric.direction} is better), printed by "
            f"`{metric.command}`; each run may take {metric.run_minutes:g} minutes and this "
            f"session at most {metric.max_runs} runs. Editable: {', '.join(metric.editable)} "
            "(everything else is read-only).",
            RUN_LINE * 3,
        ),
    ]
    if baseline is not None:
        lines.append(
            f"Baseline: {format_value(baseline.value)} (noise {format_value(baseline.noise)} "
            f"over {baseline.runs} run(s)); a run is kept only when it beats the best by "
            f"more than {format_value(lab.gain(baseline))}."
        )
    best = main_best(lab.repo)
    lines.append(f"Main's best: {best}." if best else "Main has no kept experiment yet.")
    done = [r for r in results.runs(lab.repo) if r.experiment > 0]
    if done:
        recent = done[-RECENT_RUNS:]
        lines += [
            "",
            f"Recent runs ({len(recent)} of {len(done):,}, newest last; session/experiment, "
            "status, value: hypothesis). Do not run again what failed unless you can say "
            "what is different now:",
        ]
        lines += [
            _clip(
                f"- {r.session:04d}/{r.experiment} {r.status} "
                f"{'none' if r.value is None else format_value(r.value)}: {r.hypothesis}",
                RUN_LINE,
            )
            for r in recent
        ]
    lines += _foreclosed(asked)
    return _clip("\n".join(lines), ORIENT_CHARS)


def _foreclosed(asked: Sequence[Question]) -> list[str]:
    """The dropped questions, newest first, with why: the ideas already ruled out."""
    dropped = sorted((q for q in asked if q.status == "dropped"), key=lambda q: (-q.last, q.id))
    if not dropped:
        return [
            "",
            "Foreclosed: none yet. When a run rules an idea out, record it as a `question` "
            "(open it, then drop it with why), so later sessions do not try it again.",
        ]
    shown = dropped[:FORECLOSED]
    lines = ["", f"Foreclosed ({len(dropped):,} ideas dropped with why, newest first):"]
    lines += [
        _clip(
            f"- {q.id} — {q.text} — dropped in {q.last:04d}: {q.why or 'no reason given'}", RUN_LINE
        )
        for q in shown
    ]
    if len(dropped) > len(shown):
        lines.append(f"…and {len(dropped) - len(shown):,} more dropped questions not shown.")
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def decided(lab: Lab, judgement: Judgement) -> Judgement:
    """The metric's word on the judgement: at the end of a budget it keeps if the best
    beats the baseline, else abandons "no improvement"; every judgement carries the
    figures, which main's commit repeats."""
    if judgement.outcome == Outcome.ABANDONED and judgement.reason == BudgetSpent.reason:
        if lab.improved():
            judgement = Judgement(
                Outcome.CRYSTALLIZED,
                f"The budget ran out; the metric keeps: {lab.verdict_line()}.",
            )
        else:
            judgement = Judgement(
                Outcome.ABANDONED,
                f"The budget ran out with no improvement: {lab.verdict_line()}.",
                reason="no improvement",
            )
    judgement.metric = lab.figures() or ""
    return judgement


class MergeLoses(AgentgitError):
    """Main moved since the baseline, and the merged tree does not beat main's own."""


def main_gate(
    repo: Repository, session: Session, settings: Settings, head: str
) -> Callable[[str], None]:
    """What a keep must pass before main moves (DESIGN §10): when main is no longer the
    session's base, its tree and the merged tree are both measured here, and the merge
    lands only if it still wins; else MergeLoses says why, with both figures. Called on
    every attempt, since main may move again between two."""
    metric = settings.metric
    assert metric is not None
    lab = lab_for(repo, session, settings, None)
    base = lab.base

    def gate(old: str) -> None:
        if old == base:
            return
        merged = repo.merge_tree(old, head)
        if merged.tree is None:
            return  # a conflict: the landing makes it needs-review itself
        commit = repo.commit_tree(merged.tree, [old, head], "Measure the merge\n")
        theirs = _measure(repo, session, old, metric)
        ours = _measure(repo, session, commit, metric)
        baseline = lab.baseline()
        gain = lab.gain(baseline) if baseline is not None else metric.min_gain
        if ours is not None and (theirs is None or metric.better(ours, theirs, gain)):
            return
        raise MergeLoses(
            f"main moved since the baseline: the merged tree measures {metric.name}="
            f"{_shown(ours)}, main's own {_shown(theirs)} (gain to beat {format_value(gain)})"
        )

    return gate


def _measure(repo: Repository, session: Session, rev: str, metric: Metric) -> float | None:
    """The metric of `rev`'s tree, run in a scratch worktree of its own."""
    path = repo.state_dir / "worktrees" / f"{session.id}-measure"
    if path.exists():
        repo.remove_worktree(path)
    repo.add_detached_worktree(path, rev)
    try:
        out = run_command(metric.command, path, metric.run_minutes * 60)
    finally:
        repo.remove_worktree(path)
    if out.timed_out or out.returncode != 0:
        return None
    return parse_value(metric.regex, out.text)


def _shown(value: float | None) -> str:
    return "none" if value is None else format_value(value)
