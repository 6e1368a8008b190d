"""Main moved during an experiment session (DESIGN §10): the merged tree and main's own
are both measured before main moves; the keep lands only if the merge still wins, else
the outcome is needs-review with both figures."""

from __future__ import annotations

from pathlib import Path

from conftest import git
from helpers import commit_files
from toy import EVALUATE, keep, metric, run, toy_repo, write

from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle.claim import start
from agentgit.lifecycle.explore import run as run_session
from agentgit.models.scripted import ScriptedModel
from agentgit.session.workspace import Result


def session_with_main_moving(path: Path, change: dict[str, str | bytes]) -> Result:
    repo = Repository.discover(path)
    config = Settings(model="scripted", metric=metric())
    current = start(repo, config, topic="toy", model_name="scripted")
    commit_files(path, change, "A person moves main")  # after the base, before the keep
    turns = [write("train.py", "X = 6\n"), run("nearer 7"), keep()]
    return run_session(repo, current, ScriptedModel(turns), config)


def test_main_moved_and_the_merge_still_wins(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    result = session_with_main_moving(corpus_repo, {"NOTES.md": "unrelated\n"})
    assert result.outcome == "crystallized", result
    assert git(corpus_repo, "show", "main:train.py") == "X = 6\n"
    assert git(corpus_repo, "show", "main:NOTES.md") == "unrelated\n"


def test_main_moved_and_the_merge_no_longer_wins_needs_review(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    moved = EVALUATE.replace("(train.X - 7) ** 2", "(train.X - 3) ** 2")
    result = session_with_main_moving(corpus_repo, {"evaluate.py": moved})
    assert result.outcome == "needs-review", result
    assert result.reason is not None
    assert "the merged tree measures loss=9.0, main's own 0.0" in result.reason
    assert git(corpus_repo, "show", "main:train.py") == "X = 3\n"
    assert git(corpus_repo, "rev-parse", "--verify", "-q", "refs/heads/session/0001-toy")
