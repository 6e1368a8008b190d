"""Each status and each refusal of the judge, on the toy (DESIGN §10)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import git
from helpers import session_run
from scripts import abandon
from toy import answers, keep, metric, run, toy_repo, write

from agentgit.core.errors import AgentgitError
from agentgit.core.refs import NOTES, archive
from agentgit.core.settings import Settings
from agentgit.experiment.results import runs
from agentgit.git import Repository
from agentgit.lifecycle.claim import start
from agentgit.lifecycle.experiment import lab_for


def statuses(path: Path) -> list[tuple[int, str, float | None]]:
    return [(r.experiment, r.status, r.value) for r in runs(Repository.discover(path))]


def transcript(path: Path, session: int = 1) -> str:
    return git(path, "notes", "--ref", NOTES, "show", archive(session))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")  # a zombie is dead, though listed until reaped
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


# train.py starts a grandchild that ignores SIGTERM (only the group's SIGKILL ends it),
# writes both pids, and sleeps past the bound.
SLOW = """import os, signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"])
open({pids!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
time.sleep(60)
X = 6
"""


def test_a_run_past_its_bound_is_a_timeout_that_kills_the_grandchild_and_goes_back(
    corpus_repo: Path, tmp_path: Path
) -> None:
    toy_repo(corpus_repo)
    pidfile = tmp_path / "pids"
    turns = [
        write("train.py", SLOW.format(pids=str(pidfile))),
        run("a slow idea"),
        abandon("too slow"),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric(run_minutes=0.03))
    assert result.outcome == "abandoned"
    assert statuses(corpus_repo) == [(0, "baseline", 16.0), (1, "timeout", None)]
    head = git(corpus_repo, "rev-parse", archive(1)).strip()
    assert git(corpus_repo, "show", f"{head}:train.py") == "X = 3\n"
    started = [int(p) for p in pidfile.read_text().split()]
    assert len(started) == 2
    deadline = time.monotonic() + 5
    while any(alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in started), "a process of the run outlived it"
    told = [text for tool, text, _ in answers(corpus_repo) if tool == "run_experiment"]
    assert told[0].startswith("experiment 1: timeout (killed after 0.03 minutes); loss=none")


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
    """...and ends it abandoned with why: nothing is left open for a person to clear, and
    the next session starts as if none had failed."""
    toy_repo(corpus_repo)
    with pytest.raises(AgentgitError, match=said) as failed:
        session_run(corpus_repo, [abandon("x")], topic="toy", metric=metric(**changes))
    assert str(failed.value).endswith("; session 0001 was abandoned for it")
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    assert git(corpus_repo, "rev-parse", "refs/agentgit/sessions/0001").strip()
    entry = git(corpus_repo, "show", "main:corpus/log/0001-toy.md")
    assert "outcome: abandoned" in entry and said in entry
    assert git(corpus_repo, "status", "--porcelain") == ""
    again = session_run(corpus_repo, [abandon("x")], topic="toy", metric=metric())
    assert again.session == 2


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


def test_a_gain_under_min_gain_is_a_discard(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [
        write("train.py", "X = 5\n"),
        run("two nearer"),  # 16 to 4: better by 12, more than 5
        write("train.py", "X = 6\n"),
        run("one nearer"),  # 4 to 1: better by 3, not by 5
        keep(),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric(min_gain=5.0))
    assert result.outcome == "crystallized"
    assert statuses(corpus_repo)[1:] == [(1, "keep", 4.0), (2, "discard", 1.0)]
    assert git(corpus_repo, "show", "main:train.py") == "X = 5\n"


def test_no_run_starts_that_could_not_finish_inside_max_minutes(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [write("train.py", "X = 6\n"), run("nearer 7"), abandon("no time")]
    # Two minutes a run may take, one the session has: the run is refused, not started.
    config = metric(run_minutes=2.0)
    result = session_run(corpus_repo, turns, topic="toy", metric=config, max_minutes=1)
    assert result.outcome == "abandoned"
    assert statuses(corpus_repo) == [(0, "baseline", 16.0)]
    (refused,) = [(t, e) for tool, t, e in answers(corpus_repo) if tool == "run_experiment"]
    assert refused[1] and "no run starts that could not finish" in refused[0], refused
    assert "may take 2" in refused[0]
    # A run that fits does start.
    again = session_run(corpus_repo, turns, topic="toy", metric=metric(), max_minutes=1)
    assert again.outcome == "abandoned"
    assert [(r.session, r.status) for r in runs(Repository.discover(corpus_repo))][-1] == (
        2,
        "keep",
    )


def test_a_tree_that_differs_from_the_base_outside_editable_is_refused(
    corpus_repo: Path,
) -> None:
    toy_repo(corpus_repo)
    repo = Repository.discover(corpus_repo)
    config = Settings(model="scripted", metric=metric())
    session = start(repo, config, topic="toy", model_name="scripted")
    lab = lab_for(repo, session, config, None)
    lab.measure_baseline()
    # A commit on the session's branch that the tools would never make: the evaluator.
    (session.worktree / "evaluate.py").write_text("print('loss: 0')\n", "utf-8")
    git(session.worktree, "commit", "-q", "--no-verify", "-am", "A change by hand")
    before = lab.head()
    answer = lab.run("a cheat")
    assert answer.is_error and answer.status is None
    assert answer.text == (
        "run_experiment: refused: evaluate.py differ(s) from the base, and only train.py may change"
    )
    assert lab.head() == before and [r.experiment for r in lab.runs()] == [0]
