"""An experiment session's stages (DESIGN §10): its judge made from the session, the part
of the orientation that shows the metric, and the judgement the metric has the last word
on (at the end of a budget it decides; main's commit carries its figures)."""

from __future__ import annotations

import time

from agentgit.agent.ending import BudgetSpent, Judgement
from agentgit.agent.state import AgentState
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN_REF
from agentgit.core.settings import Settings
from agentgit.core.trailers import Trailer
from agentgit.experiment import results
from agentgit.experiment.lab import Lab, seconds_left_from
from agentgit.experiment.results import format_value
from agentgit.git import Repository
from agentgit.session.workspace import Session

RECENT_RUNS = 15  # runs the orientation lists, newest last, so old dead ends are seen


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
        session.meta.get("base") or repo.main_commit(),
        f"corpus/{session.log_rel}",
        seconds_left_from(deadline),
    )


def main_best(repo: Repository) -> str | None:
    """Main's latest `Agentgit-Metric` figures (a kept experiment session's), if any."""
    found = repo.log(
        ["--first-parent", MAIN_REF, f"--grep=^{Trailer.METRIC}: "], max_count=1, body=False
    )
    return found[0].trailers.get(Trailer.METRIC) if found else None


def orientation(lab: Lab) -> str:
    """What the model needs to judge well: the metric, the baseline and the gain, main's
    best, and the recent runs (with their hypotheses) so failed ideas are not tried again."""
    metric = lab.metric
    baseline = lab.baseline()
    lines = [
        "## Experiment",
        "",
        f"The metric is {metric.name} ({metric.direction} is better), printed by "
        f"`{metric.command}`; each run may take {metric.run_minutes:g} minutes and this "
        f"session at most {metric.max_runs} runs. Editable: {', '.join(metric.editable)} "
        "(everything else is read-only).",
    ]
    if baseline is not None:
        lines.append(
            f"Baseline: {format_value(baseline.value)} (noise {format_value(baseline.noise)} "
            f"over {baseline.runs} run(s)); a run is kept only when it beats the best by "
            f"more than {format_value(lab.gain(baseline))}."
        )
    best = main_best(lab.repo)
    lines.append(f"Main's best: {best}." if best else "Main has no kept experiment yet.")
    recent = [r for r in results.runs(lab.repo) if r.experiment > 0][-RECENT_RUNS:]
    if recent:
        lines += ["", "Recent runs (session/experiment, status, value: hypothesis):"]
        lines += [
            f"- {r.session:04d}/{r.experiment} {r.status} "
            f"{'none' if r.value is None else format_value(r.value)}: {r.hypothesis}"
            for r in recent
        ]
    return "\n".join(lines)


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
