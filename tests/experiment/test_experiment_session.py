"""An experiment session end to end (DESIGN §10): a scripted model edits train.py, runs
it, and the metric judges; every status, the evaluator refused, the way back to the best
tree, the archive of what was not kept, main's figures."""

from __future__ import annotations

from pathlib import Path

from conftest import git
from helpers import fsck, session_run
from scripts import abandon, note, read
from toy import answers, edit_file, keep, metric, run, toy_repo, write

from agentgit.core.refs import RUN_NOTES
from agentgit.experiment.results import runs
from agentgit.git import Repository


def test_a_keep_a_discard_a_crash_and_a_refused_evaluator(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [
        read("PROGRAM.md"),
        write("evaluate.py", "print('loss: 0')\n"),  # refused: the evaluator
        write("train.py", "X = 6\n"),
        run("X nearer 7 lowers the loss"),  # 1.0 < 16: keep
        write("train.py", "X = 9\n"),
        run("past 7 is worse"),  # 4.0: discard, back to X = 6
        write("train.py", "X = (\n"),
        run("a syntax error crashes"),  # crash
        keep(),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric())
    assert result.outcome == "crystallized", result
    found = [(r.experiment, r.status, r.value) for r in runs(Repository.discover(corpus_repo))]
    assert found == [
        (0, "baseline", 16.0),
        (1, "keep", 1.0),
        (2, "discard", 4.0),
        (3, "crash", None),
    ]
    # Main holds the kept code, the evaluator untouched, and the figures.
    assert git(corpus_repo, "show", "main:train.py") == "X = 6\n"
    assert "loss: 0" not in git(corpus_repo, "show", "main:evaluate.py")
    subject = git(corpus_repo, "log", "-1", "--format=%B", "main")
    assert "Agentgit-Metric: loss=1.0 baseline=16.0 noise=0.0 runs=3 kept=1" in subject
    # What was not kept stays reachable, with its output as a note.
    archived = git(corpus_repo, "for-each-ref", "--format=%(refname)", "refs/agentgit/runs/")
    assert archived.split() == ["refs/agentgit/runs/0001/2", "refs/agentgit/runs/0001/3"]
    crash = git(corpus_repo, "rev-parse", "refs/agentgit/runs/0001/3").strip()
    assert "SyntaxError" in git(corpus_repo, "notes", "--ref", RUN_NOTES, "show", crash)
    assert git(corpus_repo, "show", f"{crash}:train.py") == "X = (\n"
    # The evaluator's write was an error naming the globs; each run's answer has the
    # value, the status, the best so far, the gain to beat and the output's tail.
    told = answers(corpus_repo)
    assert told[1] == (
        "write_file",
        "write_file: 'evaluate.py' is not editable; only train.py may change (the "
        "evaluator and the rest are read-only)",
        True,
    )
    ran = [text for tool, text, _ in told if tool == "run_experiment"]
    assert ran[0] == (
        "experiment 1: keep; loss=1.0 in " + ran[0].split(" in ", 1)[1].split("\n")[0] + "\n"
        "best so far 1.0; gain to beat 0.0 (lower is better)\n"
        "output:\ntraining...\nloss: 1.0\n"
    )
    assert ran[1].startswith("experiment 2: discard; loss=4.0 in ")
    assert "best so far 1.0; gain to beat 0.0" in ran[1]
    assert "the worktree is back on the best code\noutput:\ntraining...\nloss: 4.0" in ran[1]
    assert ran[2].startswith("experiment 3: crash (exit 1); loss=none in ")
    assert "SyntaxError" in ran[2]


def test_what_was_not_kept_survives_gc_with_its_output(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [write("train.py", "X = 9\n"), run("past 7"), abandon("no better")]  # 4: keep
    turns[2:2] = [write("train.py", "X = 12\n"), run("further past")]  # 25: discard
    session_run(corpus_repo, turns, topic="toy", metric=metric())
    discarded = git(corpus_repo, "rev-parse", "refs/agentgit/runs/0001/2").strip()
    git(corpus_repo, "reflog", "expire", "--expire=now", "--all")
    git(corpus_repo, "gc", "-q", "--prune=now")
    assert git(corpus_repo, "show", f"{discarded}:train.py") == "X = 12\n"
    assert "loss: 25.0" in git(corpus_repo, "notes", "--ref", RUN_NOTES, "show", discarded)
    fsck(corpus_repo)


def test_crystallize_without_an_improvement_is_refused_and_the_budget_decides(
    corpus_repo: Path,
) -> None:
    toy_repo(corpus_repo)
    turns = [
        edit_file("train.py", "X = 3", "X = 2"),
        run("further from 7"),  # 25: discard
        keep(),  # refused: no improvement
        abandon("no idea helped"),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric())
    assert result.outcome == "abandoned"
    body = git(corpus_repo, "log", "-1", "--format=%B", "main")
    assert "Agentgit-Metric: loss=16.0 baseline=16.0" in body
    assert git(corpus_repo, "show", "main:train.py") == "X = 3\n"
    refused = [(text, error) for tool, text, error in answers(corpus_repo) if tool == "crystallize"]
    assert refused == [
        (
            "crystallize: refused: the best does not beat the baseline by more than the gain "
            "(best loss=16.0, baseline 16.0, gain to beat 0.0 (lower is better)); run more "
            "experiments or abandon",
            True,
        )
    ]


def test_at_the_end_of_the_budget_the_metric_keeps_an_improvement(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    # Two turns, then the last (the third), which notes instead of judging: the budget is
    # spent.
    turns = [write("train.py", "X = 6\n"), run("nearer 7"), note("one more idea")]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric(), max_turns=3)
    assert result.outcome == "crystallized", result
    assert git(corpus_repo, "show", "main:train.py") == "X = 6\n"
    body = git(corpus_repo, "log", "-1", "--first-parent", "--format=%B", "main")
    assert "The budget ran out; the metric keeps: best loss=1.0, baseline 16.0" in body
    assert "Agentgit-Metric: loss=1.0 baseline=16.0 noise=0.0 runs=1 kept=1" in body


def test_at_the_end_of_the_budget_no_improvement_abandons(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [write("train.py", "X = 2\n"), run("further from 7"), note("one more idea")]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric(), max_turns=3)
    assert (result.outcome, result.reason) == ("abandoned", "no improvement"), result
    assert git(corpus_repo, "show", "main:train.py") == "X = 3\n"
    body = git(corpus_repo, "log", "-1", "--format=%B", "main")
    assert "Agentgit-Metric: loss=16.0 baseline=16.0 noise=0.0 runs=1 kept=0" in body
