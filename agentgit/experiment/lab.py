"""The judge of an experiment session (DESIGN §10): the baseline, each run's commit, note
and verdict, and the way back to the best tree after a run that was not kept.

Every fact the judge goes by is in git, on the session's branch: the baseline is a
commit (`Agentgit-Baseline`), each run is a commit with its trailers, and the best tree
is the last kept run's (or the base's). So a process killed anywhere resumes from the
branch alone: a baseline recorded is never measured again, a run committed is never run
again, and a discard committed but not yet restored is restored by `settle`.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentgit.core import faults, refs
from agentgit.core.errors import AgentgitError
from agentgit.core.metric import Metric
from agentgit.core.scrub import clean_line, clean_text, scrub_text, secrets_from_env
from agentgit.core.trailers import Trailer
from agentgit.experiment import results
from agentgit.experiment.results import BASELINE, Run, format_value, metric_trailer
from agentgit.experiment.runner import RunOutput, parse_value, run_command
from agentgit.git import RefUpdate, Repository

TOOL = "run_experiment"
ANSWER_TAIL = 2_000  # characters of a run's output the model is shown
NOT_KEPT = ("discard", "crash", "timeout")


class BaselineFailed(AgentgitError):
    """The base tree ran and gave no value: the metric's command is what failed."""


@dataclass(frozen=True)
class Baseline:
    value: float
    noise: float  # the median absolute deviation of the baseline's runs
    runs: int
    commit: str


@dataclass
class Answer:
    """What run_experiment tells the model."""

    text: str
    is_error: bool = False
    subject: str | None = None  # the run's commit, when it made one
    status: str | None = None


def median_and_mad(values: list[float]) -> tuple[float, float]:
    middle = statistics.median(values)
    return middle, statistics.median(abs(v - middle) for v in values)


def message(subject: str, body: str, trailers: dict[str, str]) -> str:
    secrets = secrets_from_env()
    parts = [clean_line(subject, secrets)[:200]]
    if body.strip():
        parts.append(clean_text(body, secrets).strip())
    parts.append("\n".join(f"{k}: {clean_line(str(v), secrets)}" for k, v in trailers.items()))
    return "\n\n".join(parts) + "\n"


class Lab:
    """One experiment session's judge, over its worktree and branch."""

    def __init__(
        self,
        repo: Repository,
        worktree: Path,
        session: int,
        metric: Metric,
        base: str,
        journal: str,
        seconds_left: Callable[[], float] = lambda: float("inf"),
    ) -> None:
        self.repo, self.worktree, self.session, self.metric = repo, worktree, session, metric
        self.base, self.journal = base, journal  # journal: its path from the root
        self.seconds_left = seconds_left
        self.id = refs.session_id(session)

    # -- what the branch says ------------------------------------------------------

    def head(self) -> str:
        return self.repo.head(self.worktree)

    def runs(self) -> list[Run]:
        """This session's runs on its branch, the baseline (experiment 0) included."""
        found = []
        for commit in self.repo.log([self.head(), f"^{self.base}"], body=False):
            run = results.from_commit(commit)
            if run is not None and run.session == self.session:
                found.append(run)
        return sorted(found, key=lambda r: r.experiment)

    def baseline(self, runs: list[Run] | None = None) -> Baseline | None:
        for commit in self.repo.log([self.head(), f"^{self.base}"], body=False):
            raw = commit.trailers.get(Trailer.BASELINE)
            if raw and commit.trailers.get(Trailer.SESSION) == self.id:
                figures = dict(p.partition("=")[::2] for p in raw.split()[1:])
                return Baseline(
                    float(raw.split()[0]),
                    float(figures.get("noise", 0)),
                    int(figures.get("runs", 1)),
                    commit.sha,
                )
        return None

    def gain(self, baseline: Baseline) -> float:
        return max(self.metric.min_gain, self.metric.noise_factor * baseline.noise)

    def best(self, runs: list[Run], baseline: Baseline) -> tuple[float, str]:
        """The best value so far and the commit whose tree holds it."""
        for run in reversed(runs):
            if run.status == "keep" and run.value is not None:
                return run.value, run.commit
        return baseline.value, baseline.commit

    def figures(self) -> str | None:
        """Main's `Agentgit-Metric`: the best, the baseline, the noise, the runs, the keeps."""
        baseline = self.baseline()
        if baseline is None:
            return None
        runs = [r for r in self.runs() if r.experiment > 0]
        best, _ = self.best(runs, baseline)
        kept = sum(r.status == "keep" for r in runs)
        return (
            f"{metric_trailer(self.metric.name, best)} baseline={format_value(baseline.value)} "
            f"noise={format_value(baseline.noise)} runs={len(runs)} kept={kept}"
        )

    def improved(self) -> bool:
        """Whether the best beats the baseline by more than the gain: the keep's test."""
        baseline = self.baseline()
        if baseline is None:
            return False
        best, _ = self.best(self.runs(), baseline)
        return self.metric.better(best, baseline.value, self.gain(baseline))

    def verdict_line(self) -> str:
        baseline = self.baseline()
        if baseline is None:
            return "no baseline was measured"
        best, _ = self.best(self.runs(), baseline)
        return (
            f"best {self.metric.name}={format_value(best)}, baseline "
            f"{format_value(baseline.value)}, gain to beat {format_value(self.gain(baseline))} "
            f"({self.metric.direction} is better)"
        )

    # -- the baseline --------------------------------------------------------------

    def measure_baseline(self) -> Baseline:
        """The base tree run `baseline_runs` times, recorded as one commit; a baseline
        already recorded (a resume) is read, never measured again."""
        found = self.baseline()
        if found is not None:
            return found
        values, outputs, seconds = [], [], 0.0
        for i in range(self.metric.baseline_runs):
            out = self._run()
            value = parse_value(self.metric.regex, out.text)
            seconds += out.seconds
            outputs.append(f"== baseline run {i + 1} ==\n{out.text}")
            if out.timed_out or out.returncode != 0 or value is None:
                raise BaselineFailed(
                    f"the baseline run of {self.metric.command!r} {_failure(out, value)}: "
                    f"{_last_line(out.text)}"
                )
            values.append(value)
        middle, mad = median_and_mad(values)
        trailers: dict[str, str] = {
            Trailer.SESSION: self.id,
            Trailer.TOOL: TOOL,
            Trailer.EXPERIMENT: "0",
            Trailer.METRIC: metric_trailer(self.metric.name, middle),
            Trailer.STATUS: BASELINE,
            Trailer.SECONDS: f"{seconds:.2f}",
            Trailer.CODE: self.code(self.head()),
            Trailer.BASELINE: (
                f"{format_value(middle)} noise={format_value(mad)} runs={len(values)}"
            ),
        }
        subject = f"Experiment 0: baseline, {len(values)} run(s) of the base tree"
        body = "values: " + ", ".join(format_value(v) for v in values)
        sha = self.repo.commit_staged(self.worktree, message(subject, body, trailers))
        self._note(sha, "\n".join(outputs))
        return Baseline(middle, mad, len(values), sha)

    # -- a run ---------------------------------------------------------------------

    def code(self, rev: str) -> str:
        """A digest of the editable files at `rev`: equal digests, the same code."""
        files = self.repo.tree_files(rev)
        lines = sorted(f"{p} {s}" for p, s in files.items() if self.metric.is_editable(p))
        return hashlib.sha1("\n".join(lines).encode()).hexdigest()[:16]

    def recovered(self, turn: int, call: str) -> Answer | None:
        """A run that made its commit before the process stopped: answered from the
        commit (and the restore after it made now), never run again."""
        if not call:
            return None
        for commit in self.repo.log([self.head(), f"^{self.base}"], body=False):
            t = commit.trailers
            if t.get(Trailer.CALL) == call and t.get(Trailer.TURN) == str(turn):
                run = results.from_commit(commit)
                if run is None:
                    continue
                self.settle()
                return Answer(
                    f"experiment {run.experiment} ran before an interruption: "
                    f"{self.metric.name}={_shown(run.value)}, {run.status}",
                    subject=commit.subject,
                    status=run.status,
                )
        return None

    def settle(self) -> None:
        """A run not kept whose restore was cut short: archived and restored now."""
        head = self.head()
        run = results.from_commit(self.repo.log([head], max_count=1, body=False)[0])
        if run is None or run.status not in NOT_KEPT:
            return
        self._restore(run)

    def run(self, hypothesis: str, reasoning: str = "", turn: int = 0, call: str = "") -> Answer:
        self.settle()
        baseline = self.baseline()
        if baseline is None:
            raise AgentgitError("the baseline was never measured")
        runs = self.runs()
        done = [r for r in runs if r.experiment > 0]
        if len(done) >= self.metric.max_runs:
            return Answer(
                f"run_experiment: max_runs ({self.metric.max_runs}) reached; judge now: "
                f"crystallize or abandon ({self.verdict_line()})",
                is_error=True,
            )
        bound = self.metric.run_minutes * 60
        if self.seconds_left() < bound:
            return Answer(
                f"run_experiment: {self.seconds_left() / 60:.1f} minutes are left, and a run "
                f"may take {self.metric.run_minutes:g}: no run starts that could not finish; "
                "judge now",
                is_error=True,
            )
        head = self.head()
        refused = self._check_tree(head)
        if refused:
            return Answer(refused, is_error=True)
        code = self.code(head)
        earlier = self.measured(code)
        best, _ = self.best(runs, baseline)
        gain = self.gain(baseline)
        if earlier is not None:
            return Answer(
                f"this code was measured before (experiment {earlier.experiment} of session "
                f"{refs.session_id(earlier.session)}, commit {earlier.commit[:12]}): "
                f"{self.metric.name}={_shown(earlier.value)}, {earlier.status}; not run again. "
                f"Best so far {format_value(best)}; gain to beat {format_value(gain)}.",
                status=earlier.status,
            )
        n = max((r.experiment for r in runs), default=0) + 1
        out = self._run()
        value = parse_value(self.metric.regex, out.text)
        if out.timed_out:
            status = "timeout"
        elif out.returncode != 0 or value is None:
            status = "crash"
        elif self.metric.better(value, best, gain):
            status = "keep"
        else:
            status = "discard"
        faults.point("experiment-ran")  # a kill here: resume runs it again, once
        hypothesis = " ".join(hypothesis.split())[:150]
        trailers: dict[str, str] = {
            Trailer.SESSION: self.id,
            Trailer.TURN: str(turn),
            Trailer.TOOL: TOOL,
            **({Trailer.CALL: call} if call else {}),
            Trailer.EXPERIMENT: str(n),
            Trailer.METRIC: metric_trailer(self.metric.name, value),
            Trailer.STATUS: status,
            Trailer.SECONDS: f"{out.seconds:.2f}",
            Trailer.CODE: code,
        }
        subject = f"Experiment {n}: {hypothesis}"
        sha = self.repo.commit_staged(self.worktree, message(subject, reasoning, trailers))
        self._note(sha, out.text)
        run = Run(self.session, n, sha, value, status, out.seconds, hypothesis, self.metric.name)
        if status in NOT_KEPT:
            faults.point("experiment-committed")  # a kill here: settle restores on resume
            self._restore(run)
        return Answer(
            self._told(run, out, value if status == "keep" and value is not None else best, gain),
            subject=subject,
            status=status,
        )

    def measured(self, code: str) -> Run | None:
        """The latest run of this code in any session of the repository."""
        # The session's own branch is among the refs runs() reads.
        found = [r for r in results.runs(self.repo, code=code) if r.code == code]
        return found[-1] if found else None

    # -- helpers -------------------------------------------------------------------

    def _run(self) -> RunOutput:
        return run_command(self.metric.command, self.worktree, self.metric.run_minutes * 60)

    def _check_tree(self, head: str) -> str | None:
        """Before a run: the tree may differ from the base only in editable paths (and
        the journal). Tracked files a run changed behind the tools' back go back to the
        last commit first."""
        dirty = self.repo.worktree_changes(self.worktree, head)
        outside = [p for p in dirty if not self.metric.is_editable(p) and p != self.journal]
        if dirty:
            self.repo.restore_paths(self.worktree, head, dirty)
        changed = self.repo.changed_paths(self.base, head)
        wrong = [p for p in changed if not self.metric.is_editable(p) and p != self.journal]
        if wrong:
            return (
                f"run_experiment: refused: {', '.join(wrong[:5])} differ(s) from the base, "
                f"and only {', '.join(self.metric.editable)} may change"
            )
        if outside:
            return (
                f"run_experiment: refused: {', '.join(outside[:5])} had been changed outside "
                f"the tools (only {', '.join(self.metric.editable)} may change) and was put "
                "back; run again"
            )
        return None

    def _restore(self, run: Run) -> None:
        """The branch and worktree back on the best tree; the run kept on an archive ref."""
        archive = refs.run_archive(self.session, run.experiment)
        if self.repo.rev_parse(archive) is None:
            self.repo.ref_transaction([RefUpdate.force(archive, run.commit)])
        baseline = self.baseline()
        assert baseline is not None
        runs = [r for r in self.runs() if r.experiment != run.experiment]
        best, best_commit = self.best(runs, baseline)
        head = self.head()
        paths = sorted(
            p
            for p in {*self.repo.tree_files(best_commit), *self.repo.tree_files(head)}
            if self.metric.is_editable(p)
        )
        self.repo.restore_paths(self.worktree, best_commit, paths)
        if not self.repo.worktree_changes(self.worktree, head):
            return  # the run changed no code since the best: nothing to put back
        trailers: dict[str, str] = {Trailer.SESSION: self.id, Trailer.TOOL: TOOL}
        subject = (
            f"Restore the best code ({self.metric.name}={format_value(best)}) "
            f"after experiment {run.experiment} ({run.status})"
        )
        self.repo.commit_staged(self.worktree, message(subject, "", trailers))

    def _note(self, sha: str, text: str) -> None:
        text = scrub_text(text.replace("\0", "\ufffd"), secrets_from_env())
        self.repo.add_note(sha, text or "(no output)\n", ref=refs.RUN_NOTES)

    def _told(self, run: Run, out: RunOutput, best: float, gain: float) -> str:
        head = f"experiment {run.experiment}: {run.status}"
        if run.status == "timeout":
            head += f" (killed after {self.metric.run_minutes:g} minutes)"
        elif run.status == "crash":
            head += f" ({_failure(out, run.value)})"
        lines = [
            f"{head}; {self.metric.name}={_shown(run.value)} in {run.seconds:.1f} s",
            f"best so far {format_value(best)}; gain to beat {format_value(gain)} "
            f"({self.metric.direction} is better)",
        ]
        if run.status != "keep":
            lines.append("the worktree is back on the best code")
        tail = out.text[-ANSWER_TAIL:]
        cut = " (its tail)" if out.cut or len(out.text) > ANSWER_TAIL else ""
        lines.append(f"output{cut}:\n{tail}")
        return "\n".join(lines)


def _shown(value: float | None) -> str:
    return "none" if value is None else format_value(value)


def _failure(out: RunOutput, value: float | None) -> str:
    if out.timed_out:
        return "timed out"
    if out.returncode == 127:
        return "exit 127: the command was not found"
    if out.returncode != 0:
        return f"exit {out.returncode}"
    return "printed no value matching the pattern" if value is None else "ran"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return clean_line(lines[-1])[:200] if lines else "(no output)"


def seconds_left_from(deadline: float) -> Callable[[], float]:
    """Seconds until a time.monotonic() deadline."""
    return lambda: deadline - time.monotonic()
