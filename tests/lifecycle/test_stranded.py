"""`abandon N` ends a session whatever state it was left in, and `resume N` continues it
whenever a transcript exists; otherwise one line says what to do (DESIGN §9, issue 9
item 4). Each state is made as a user meets it: an outage on a later session's first
turn, a worktree path already taken, a corrupt transcript (local, or parked as a note),
a deleted branch, nothing but the claim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import agentgit, git
from fakeapi import FAKE_KEY
from helpers import attached_remote, clone
from scripts import crystallize, draft, note, write_script

from agentgit.core import faults
from agentgit.core.errors import Interrupted
from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import resume, run, start
from agentgit.models import make_model
from agentgit.models.scripted import ScriptedModel

TURNS = [
    draft("tides", "Tides", "The moon pulls the sea.\n"),
    note("Drafted tides."),
    crystallize(["tides"], summary="Wrote tides."),
]
DOWN = "http://127.0.0.1:9"  # nothing listens there: connection refused


class Killed(BaseException):
    pass


def _raise() -> None:
    raise Killed


@pytest.fixture
def script(tmp_path: Path) -> Path:
    return write_script(tmp_path / "keep.jsonl", TURNS)


def scripted_session(path: Path, script: Path) -> None:
    repo = Repository.discover(path)
    settings = Settings(model=f"scripted:{script}")
    run(
        repo,
        start(repo, settings, topic="tides", model_name="scripted"),
        ScriptedModel.from_file(script),
        settings,
    )


def outage_session(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`agentgit session` while the API is down: interrupted on its first turn."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    repo = Repository.discover(path)
    settings = Settings(max_retries=0)
    model = make_model(settings.model, {"base_url": DOWN, "max_retries": 0})
    with pytest.raises(Interrupted):
        run(repo, start(repo, settings, topic=None, model_name=model.name), model, settings)


def killed_after_a_step(path: Path, script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faults, "kill", _raise)
    monkeypatch.setattr(faults, "counts", {})
    monkeypatch.setenv("AGENTGIT_TEST_KILL_AT", "step:1")
    with pytest.raises(Killed):
        scripted_session(path, script)
    monkeypatch.delenv("AGENTGIT_TEST_KILL_AT")


def state_dir(path: Path) -> Path:
    return path / ".git" / "agentgit"


def assert_abandoned(path: Path, number: int) -> None:
    """`abandon N` worked: an abandoned log entry on main, nothing of it left open."""
    log = [json.loads(x) for x in agentgit(path, "log", "--json").stdout.splitlines()]
    mine = [x for x in log if x["session"] == number]
    assert len(mine) == 1 and mine[0]["outcome"] == "abandoned", log
    assert not git(path, "for-each-ref", "refs/heads/session")
    assert not (state_dir(path) / "transcripts" / f"{number:04d}.json").exists()


def abandon_cli(path: Path, number: int) -> None:
    done = agentgit(path, "abandon", str(number), "--reason", "stranded")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert f"Session {number:04d} abandoned" in done.stdout
    assert_abandoned(path, number)


def resume_in_process(path: Path, number: int, script: Path) -> None:
    repo = Repository.discover(path)
    settings = Settings(model=f"scripted:{script}")
    result = resume(repo, number, ScriptedModel.from_file(script), settings)
    assert result.outcome == "crystallized"
    assert "The moon pulls the sea." in git(path, "show", "main:corpus/pieces/tides.md")


def end(path: Path, action: str, script: Path) -> None:
    """Session 1 ended by `action`: resumed to its landing, or abandoned."""
    if action == "resume":
        resume_in_process(path, 1, script)
    else:
        abandon_cli(path, 1)


# -- an outage on the first turn of a later session --------------------------------------


def test_an_outage_on_a_later_sessions_first_turn_can_be_abandoned(
    corpus_repo: Path, script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted_session(corpus_repo, script)
    outage_session(corpus_repo, monkeypatch)
    abandon_cli(corpus_repo, 2)
    assert len([x for x in agentgit(corpus_repo, "log", "--json").stdout.splitlines()]) == 2


def test_an_outage_on_a_later_sessions_first_turn_can_be_resumed(
    corpus_repo: Path, script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted_session(
        corpus_repo,
        write_script(
            corpus_repo.parent / "other.jsonl",
            [draft("waves", "Waves", "Wind makes waves.\n"), crystallize(["waves"])],
        ),
    )
    outage_session(corpus_repo, monkeypatch)
    resume_in_process(corpus_repo, 2, script)


# -- a worktree path that is taken ------------------------------------------------------


def test_a_taken_worktree_path_is_moved_aside_not_fatal(corpus_repo: Path, script: Path) -> None:
    junk = state_dir(corpus_repo) / "worktrees" / "0001"
    (junk / "corpus").mkdir(parents=True)
    (junk / "corpus" / "mine.txt").write_text("keep me\n")
    scripted_session(corpus_repo, script)
    assert "corpus/pieces/tides.md" in git(corpus_repo, "ls-tree", "-r", "--name-only", "main")
    kept = junk.with_name("0001.stale-1") / "corpus" / "mine.txt"
    assert kept.read_text() == "keep me\n"


@pytest.mark.parametrize("action", ["resume", "abandon"])
def test_a_worktree_replaced_after_a_stop_is_moved_aside(
    corpus_repo: Path, script: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    killed_after_a_step(corpus_repo, script, monkeypatch)
    worktree = state_dir(corpus_repo) / "worktrees" / "0001"
    git(corpus_repo, "worktree", "remove", "--force", str(worktree))
    (worktree / "corpus").mkdir(parents=True)  # something else took the path
    end(corpus_repo, action, script)
    assert worktree.with_name("0001.stale-1").is_dir()


# -- a transcript that cannot be read -----------------------------------------------------

BAD = {
    "not JSON": "{bad",
    "not a transcript": '{"version": 1}',
    "a wrong field": '{"version": 1, "session": 1, "slug": "tides", "started": "soon", '
    '"messages": []}',
}


@pytest.mark.parametrize("kind", BAD)
def test_a_corrupt_local_transcript_is_one_line_for_resume_and_abandon_ends_it(
    corpus_repo: Path, script: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    killed_after_a_step(corpus_repo, script, monkeypatch)
    path = state_dir(corpus_repo) / "transcripts" / "0001.json"
    path.write_text(BAD[kind])
    refused = agentgit(corpus_repo, "resume", "1", "--model", f"scripted:{script}")
    assert refused.returncode == 1
    assert refused.stderr.startswith("agentgit: session 0001 cannot be resumed: ")
    assert refused.stderr.count("\n") == 1 and "`agentgit abandon 1" in refused.stderr
    abandon_cli(corpus_repo, 1)
    assert (path.with_name("0001.unreadable-1.json")).read_text() == BAD[kind]  # kept


def test_a_corrupt_parked_transcript_is_abandoned_from_another_clone(
    corpus_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    outage_session(corpus_repo, monkeypatch)  # parked on the remote
    head = git(remote, "rev-parse", "refs/heads/session/0001-explore").strip()
    git(remote, "notes", "--ref", "refs/notes/agentgit", "add", "-f", "-m", "{bad", head)
    runner = clone(remote, tmp_path / "runner")
    refused = agentgit(runner, "resume", "1", "--model", "claude-sonnet-5-5")
    assert refused.returncode == 1
    assert refused.stderr.startswith("agentgit: session 0001 cannot be resumed: "), refused.stderr
    abandon_cli(runner, 1)
    assert "outcome: abandoned" in git(remote, "show", "main:corpus/log/0001-explore.md")


def test_show_of_a_corrupt_transcript_note_is_one_line(corpus_repo: Path, script: Path) -> None:
    scripted_session(corpus_repo, script)
    head = git(corpus_repo, "rev-parse", "refs/agentgit/sessions/0001").strip()
    git(corpus_repo, "notes", "--ref", "refs/notes/agentgit", "add", "-f", "-m", "{bad", head)
    shown = agentgit(corpus_repo, "show", "1", "--transcript")
    assert shown.returncode == 1
    assert shown.stderr.startswith("agentgit: the transcript is not valid JSON")
    assert "Traceback" not in shown.stderr and shown.stderr.count("\n") == 1


# -- a branch or worktree that is gone -----------------------------------------------------


@pytest.mark.parametrize("action", ["resume", "abandon"])
def test_a_deleted_branch_is_made_again(
    corpus_repo: Path, script: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    killed_after_a_step(corpus_repo, script, monkeypatch)
    worktree = state_dir(corpus_repo) / "worktrees" / "0001"
    git(corpus_repo, "worktree", "remove", "--force", str(worktree))
    git(corpus_repo, "branch", "-D", "session/0001-tides")
    end(corpus_repo, action, script)


def test_nothing_but_the_claim_is_abandoned(
    corpus_repo: Path, script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed_after_a_step(corpus_repo, script, monkeypatch)
    worktree = state_dir(corpus_repo) / "worktrees" / "0001"
    git(corpus_repo, "worktree", "remove", "--force", str(worktree))
    (state_dir(corpus_repo) / "transcripts" / "0001.json").unlink()
    abandon_cli(corpus_repo, 1)


def test_an_ended_session_is_one_line(corpus_repo: Path, script: Path) -> None:
    scripted_session(corpus_repo, script)
    for args in (["resume", "1"], ["abandon", "1", "--reason", "x"]):
        proc = agentgit(corpus_repo, *args)
        assert proc.returncode == 1
        assert proc.stderr == "agentgit: session 0001 has already ended\n"
