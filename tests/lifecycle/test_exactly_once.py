"""Every stop resumes exactly once (DESIGN §9): a deterministic session killed at every
kill point, at every time that point is reached, then resumed, ends with the same trees
as the run that was never interrupted. No step lost, none applied twice.

The kills run in-process: `faults.kill` raises instead of sending SIGKILL, so nothing
after the point runs (no `except` here catches a BaseException); the lock goes with the
handle as it goes with a dead process. test_kill.py does the same with real SIGKILLs at
fixed points.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import agentgit, git, seal
from scripts import crystallize, search, write_script

from agentgit.core import faults
from agentgit.core.settings import Settings
from agentgit.corpus.skeleton import init
from agentgit.git import Repository
from agentgit.lifecycle import resume, run, start
from agentgit.models.scripted import ScriptedModel

OLD = "The moon pulls the sea."
# The edit is not idempotent: applied twice, the inserted sentence appears twice.
NEW = "The payoff comes later. " + OLD
TURNS = [
    search("tides", text="Nothing on tides yet?"),
    # Two commits in one turn: a kill can fall between them.
    {
        "content": [
            {"type": "text", "text": "Draft, then note it."},
            {
                "type": "tool_use",
                "name": "write_draft",
                "input": {"slug": "tides", "title": "Tides", "body": OLD + "\n"},
            },
            {"type": "tool_use", "name": "note", "input": {"text": "Drafted tides."}},
        ]
    },
    {
        "text": "Sharpen it.",
        "tool": "edit_draft",
        "input": {"slug": "tides", "old": OLD, "new": NEW},
    },
    crystallize(["tides"], summary="Wrote tides."),
]
POINTS = [
    "claimed",
    "started",
    "answered",
    "step",
    "saved",
    "judged",
    "before-main",
    "merging",
    "after-main",
]
# The log entry names times and a head sha, which differ between any two runs.
_VOLATILE = re.compile(r"^(started|ended|head): .*$", re.M)


class Killed(BaseException):
    """The simulated SIGKILL."""


def _raise() -> None:
    raise Killed


def trees(path: Path) -> dict[str, str]:
    """Main's files and their text, the log entry's volatile lines left out."""
    out = {}
    for name in git(path, "ls-tree", "-r", "--name-only", "main").split():
        out[name] = _VOLATILE.sub("", git(path, "show", f"main:{name}"))
    return out


def session(path: Path, script: Path) -> None:
    repo = Repository.discover(path)
    settings = Settings(model=f"scripted:{script}")
    current = start(repo, settings, topic="tides", model_name="scripted")
    run(repo, current, ScriptedModel.from_file(script), settings)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict, dict]]:
    """The uninterrupted run: its script, main's trees, and how often each kill point
    was reached (every place there is to kill)."""
    with pytest.MonkeyPatch.context() as mp:
        base = tmp_path_factory.mktemp("reference")
        seal(mp, base / "home")
        script = write_script(base / "script.jsonl", TURNS)
        init(base / "repo")
        mp.setenv("AGENTGIT_TEST_KILL_AT", "nowhere")
        mp.setattr(faults, "counts", {})
        session(base / "repo", script)
        yield script, trees(base / "repo"), dict(faults.counts)


@pytest.mark.parametrize("name", POINTS)
def test_killed_anywhere_then_resumed_gives_the_uninterrupted_trees(
    reference: tuple[Path, dict, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    script, expected, counts = reference
    assert counts.get(name), f"the session never reaches {name}"
    assert expected["corpus/pieces/tides.md"].count("The payoff comes later.") == 1
    monkeypatch.setattr(faults, "kill", _raise)
    for nth in range(1, counts[name] + 1):
        path = tmp_path / f"{name}-{nth}"
        init(path)
        monkeypatch.setenv("AGENTGIT_TEST_KILL_AT", f"{name}:{nth}")
        monkeypatch.setattr(faults, "counts", {})
        with pytest.raises(Killed):
            session(path, script)
        monkeypatch.delenv("AGENTGIT_TEST_KILL_AT")
        repo = Repository.discover(path)
        settings = Settings(model=f"scripted:{script}")
        resume(repo, 1, ScriptedModel.from_file(script), settings)
        assert trees(path) == expected, f"killed at {name}:{nth}"
        # One landing on main, on the commit it started from.
        assert len(git(path, "rev-list", "--first-parent", "main").split()) == 2


def test_the_reported_case_applies_the_edit_once(tmp_path: Path) -> None:
    """Issue 9, item 1, as reported: the bundled script killed after its second step."""
    keep = Path(__file__).resolve().parents[2] / "agentgit" / "lifecycle" / "scripts" / "keep.jsonl"
    init(tmp_path / "repo")
    killed = agentgit(
        tmp_path / "repo",
        "session",
        "--model",
        f"scripted:{keep}",
        env={"AGENTGIT_TEST_KILL_AT": "step:2"},
    )
    assert killed.returncode == -9, killed.stderr
    done = agentgit(tmp_path / "repo", "resume", "1")
    assert done.returncode == 0, done.stderr
    piece = git(tmp_path / "repo", "show", "main:corpus/pieces/keep-what-you-discard.md")
    assert piece.count("The payoff comes later") == 1
    calls = git(
        tmp_path / "repo",
        "log",
        "--format=%(trailers:key=Agentgit-Call,valueonly)",
        "refs/agentgit/sessions/0001",
    ).split()
    # each call made its commit once: write, edit, note and question (the demo script)
    assert len(calls) == len(set(calls)) == 4
