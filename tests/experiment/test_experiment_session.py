"""An experiment session end to end (DESIGN §10): a scripted model edits train.py, runs
it, and the metric judges; every status, the evaluator refused, the way back to the best
tree, the archive of what was not kept, main's figures."""

from __future__ import annotations

from pathlib import Path

from conftest import git
from helpers import session_run
from scripts import abandon, read
from toy import edit_file, keep, metric, run, toy_repo, write

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
