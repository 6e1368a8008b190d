"""Each status and each refusal of the judge, on the toy (DESIGN §10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git
from helpers import session_run
from scripts import abandon
from toy import keep, metric, run, toy_repo, write

from agentgit.core.errors import AgentgitError
from agentgit.core.refs import NOTES, archive
from agentgit.experiment.results import runs
from agentgit.git import Repository


def statuses(path: Path) -> list[tuple[int, str, float | None]]:
    return [(r.experiment, r.status, r.value) for r in runs(Repository.discover(path))]


def transcript(path: Path, session: int = 1) -> str:
    return git(path, "notes", "--ref", NOTES, "show", archive(session))


def test_a_run_past_its_bound_is_a_timeout_and_the_code_goes_back(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [
        write("train.py", "import time\ntime.sleep(60)\nX = 6\n"),
        run("a slow idea"),
        abandon("too slow"),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric(run_minutes=0.03))
    assert result.outcome == "abandoned"
    assert statuses(corpus_repo) == [(0, "baseline", 16.0), (1, "timeout", None)]
    head = git(corpus_repo, "rev-parse", archive(1)).strip()
    assert git(corpus_repo, "show", f"{head}:train.py") == "X = 3\n"


def test_higher_is_better_when_the_direction_says_so(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [
        write("train.py", "X = 6\n"),
        run("nearer 7"),  # 1 < 16: worse when higher is better
        write("train.py", "X = 1\n"),
        run("further from 7"),  # 36: better
        keep(),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric(direction="higher"))
    assert result.outcome == "crystallized"
    assert statuses(corpus_repo)[1:] == [(1, "discard", 1.0), (2, "keep", 36.0)]
    assert git(corpus_repo, "show", "main:train.py") == "X = 1\n"


def test_output_without_a_match_is_a_crash(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [write("train.py", "import os\nos._exit(0)\n"), run("exit early"), abandon("no")]
    session_run(corpus_repo, turns, topic="toy", metric=metric())
    assert statuses(corpus_repo)[1:] == [(1, "crash", None)]
    assert "printed no value matching the pattern" in transcript(corpus_repo)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"pattern": r"^accuracy: (\S+)"}, "printed no value matching the pattern"),
        ({"command": "no-such-command-agentgit"}, "the command was not found"),
    ],
)
def test_a_baseline_that_yields_no_value_stops_the_session_with_why(
    corpus_repo: Path, changes: dict[str, str], said: str
) -> None:
    toy_repo(corpus_repo)
    with pytest.raises(AgentgitError, match=said):
        session_run(corpus_repo, [abandon("x")], topic="toy", metric=metric(**changes))


def test_code_measured_before_is_answered_not_run_again(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [
        write("train.py", "X = 9\n"),
        run("past 7"),  # 4: keep
        write("train.py", "X = 10\n"),
        run("further past"),  # 9: discard, back to X = 9
        write("train.py", "X = 10\n"),
        run("the same again"),  # measured before: not run
        abandon("enough"),
    ]
    session_run(corpus_repo, turns, topic="toy", metric=metric())
    assert [s for _, s, _ in statuses(corpus_repo)] == ["baseline", "keep", "discard"]
    assert "this code was measured before (experiment 2 of session 0001" in transcript(corpus_repo)
    # Another session meets it too: the repository remembers, not the session.
    again = [write("train.py", "X = 10\n"), run("an old idea"), abandon("seen")]
    session_run(corpus_repo, again, topic="toy again", metric=metric())
    assert "this code was measured before (experiment 2 of session 0001" in transcript(
        corpus_repo, 2
    )
    assert [r.session for r in runs(Repository.discover(corpus_repo))] == [1, 1, 1, 2]


def test_max_runs_bounds_a_session(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [
        write("train.py", "X = 5\n"),
        run("one"),
        write("train.py", "X = 6\n"),
        run("two"),
        keep(),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric(max_runs=1))
    assert result.outcome == "crystallized"
    assert len(statuses(corpus_repo)) == 2
    assert "max_runs (1) reached" in transcript(corpus_repo)


def test_a_run_that_changes_the_evaluator_is_put_back_and_refused(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    cheat = "open('evaluate.py', 'w').write('print(\"loss: 0\")')\nX = 5\n"
    turns = [
        write("train.py", cheat),
        run("rewrite the judge"),  # measured honestly, but leaves evaluate.py changed
        write("train.py", "X = 6\n"),
        run("next"),  # refused: evaluate.py put back first
        run("next, again"),
        keep(),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric())
    assert result.outcome == "crystallized"
    text = transcript(corpus_repo)
    assert "evaluate.py had been changed outside the tools" in text
    assert [(s, v) for _, s, v in statuses(corpus_repo)] == [
        ("baseline", 16.0),
        ("keep", 4.0),
        ("keep", 1.0),
    ]
    assert "loss: 0" not in git(corpus_repo, "show", "main:evaluate.py")
