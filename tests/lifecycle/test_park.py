"""An interrupted session is left on the remote (its branch and its transcript as a note)
so that another clone (the next CI run on a fresh runner) can resume it; the clone it
started on then knows it has ended. Real SDK against the fake Messages API, bare remote."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from apiturns import MODEL, assert_interrupted, cli, cli_session, draft, keep, note
from conftest import git
from fakeapi import FakeAPI, error
from helpers import NOTES, attached_remote, clone, landings, sha

BRANCH = "refs/heads/session/0001-tides"


def resume_here_and_keep(corpus: Path, remote: Path, fake_api: FakeAPI, turn: int) -> None:
    """`agentgit resume 1` in `corpus` keeps the piece; the remote has it once."""
    fake_api.push(keep(turn))
    done = cli(corpus, "resume", "1", "--model", MODEL)
    assert done.returncode == 0, done.stderr
    assert len(landings(remote)) == 1


def test_an_interrupted_session_is_resumed_from_another_clone(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(draft(1), note(2, "Half way."), error(500, "boom"), error(500, "boom"))
    down = cli_session(corpus_repo, "--topic", "tides")
    line = assert_interrupted(down, 1)
    assert line.endswith("`agentgit resume 1` continues it here or in any clone of origin")

    # Parked: the branch as far as it got, the transcript as a note on its head.
    head = sha(corpus_repo, BRANCH)
    assert sha(remote, BRANCH) == head
    parked = json.loads(git(remote, "notes", "--ref", NOTES, "show", head))
    assert parked["session"] == 1 and parked["status"] == "interrupted"
    assert parked["turn"] == 2

    # A fresh clone (the next CI run) resumes it: the conversation goes on where it was.
    runner = clone(remote, tmp_path / "runner")
    fake_api.push(keep(3))
    sent = len(fake_api.requests)
    resumed = cli(runner, "resume", "1")  # the model is the one the session started with
    assert resumed.returncode == 0, resumed.stderr
    assert "Session 0001 crystallized" in resumed.stdout
    assert fake_api.requests[sent]["messages"] == fake_api.requests[sent - 1]["messages"]
    assert len(landings(remote)) == 1
    final = sha(remote, "refs/agentgit/sessions/0001")
    assert git(remote, "merge-base", "--is-ancestor", head, final) == ""  # built on it
    assert "corpus/pieces/tides.md" in git(remote, "ls-tree", "-r", "--name-only", "main")
    assert not git(remote, "for-each-ref", "refs/heads/session")
    assert json.loads(git(remote, "notes", "--ref", NOTES, "show", final))["turn"] == 3

    # The first clone, asked to resume it too, finds it ended and spends nothing.
    sent = len(fake_api.requests)
    again = cli(corpus_repo, "resume", "1", "--model", MODEL)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "agentgit: session 0001 has already ended: another clone resumed it and landed it on origin"
    )
    assert len(fake_api.requests) == sent
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    assert "(open)" not in cli(corpus_repo, "log").stdout


def test_a_session_killed_elsewhere_is_not_taken_over(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(draft(1), note(2))
    # Killed (or still running): nothing was parked, so no other clone may take it.
    killed = cli_session(corpus_repo, "--topic", "tides", env={"AGENTGIT_TEST_KILL_AT": "step:1"})
    assert killed.returncode == -signal.SIGKILL
    runner = clone(remote, tmp_path / "runner")
    proc = cli(runner, "resume", "1", "--model", MODEL)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "agentgit: session 0001 is open on another machine: origin has its branch but no "
        "transcript left to resume it (it may still be running there)"
    )
    assert not git(runner, "for-each-ref", "refs/heads/session", "refs/agentgit/unpark")
    # Where it started, it resumes as ever.
    resume_here_and_keep(corpus_repo, remote, fake_api, turn=3)


def test_parking_that_fails_keeps_the_session_resumable_here(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    hook = remote / "hooks" / "pre-receive"
    # The remote lets a session branch be created (the id claim), never moved (parking).
    zero = "0" * 40
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        '  case "$ref" in refs/heads/session/*)\n'
        f'    [ "$old" != {zero} ] && {{ echo frozen >&2; exit 1; }} ;;\n'
        "  esac\ndone\nexit 0\n"
    )
    hook.chmod(0o755)
    fake_api.push(draft(1), error(500, "boom"), error(500, "boom"))
    down = cli_session(corpus_repo, "--topic", "tides")
    line = assert_interrupted(down, 1)
    assert "continues it here (it could not be left on origin: origin refused " in line
    hook.unlink()
    resume_here_and_keep(corpus_repo, remote, fake_api, turn=2)


def test_work_a_clone_added_after_parking_is_kept_when_another_clone_landed_it(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(draft(1), error(500, "boom"), error(500, "boom"))
    assert_interrupted(cli_session(corpus_repo, "--topic", "tides"), 1)
    parked = sha(remote, BRANCH)
    # This clone goes on by itself and is killed after one more step: not parked.
    fake_api.push(note(2, "Only here."))
    killed = cli(
        corpus_repo, "resume", "1", "--model", MODEL, env={"AGENTGIT_TEST_KILL_AT": "step:1"}
    )
    assert killed.returncode == -signal.SIGKILL
    mine = sha(corpus_repo, BRANCH)
    assert mine != parked and sha(remote, BRANCH) == parked
    # Another clone resumes what was parked and lands it.
    runner = clone(remote, tmp_path / "runner")
    fake_api.push(keep(2))
    assert cli(runner, "resume", "1").returncode == 0
    again = cli(corpus_repo, "resume", "1", "--model", MODEL)
    assert again.returncode == 1
    assert again.stderr.strip().endswith(
        "landed it on origin; what this clone added is kept at refs/agentgit/unlanded/0001"
    )
    assert sha(corpus_repo, "refs/agentgit/unlanded/0001") == mine
    assert "Only here." in git(corpus_repo, "show", mine)
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    assert len(landings(remote)) == 1


def test_resume_here_goes_on_while_the_remote_is_down(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(draft(1), error(500, "boom"), error(500, "boom"))
    assert_interrupted(cli_session(corpus_repo, "--topic", "tides"), 1)
    away = tmp_path / "away.git"
    remote.rename(away)  # the network is down
    fake_api.push(keep(2))
    down = cli(corpus_repo, "resume", "1", "--model", MODEL)
    # The model ran (the turn was spent here); only the landing waits for the remote.
    assert fake_api.remaining == 0
    line = assert_interrupted(down, 1)
    assert "judged crystallized but did not finish landing" in line
    away.rename(remote)
    done = cli(corpus_repo, "resume", "1", "--model", MODEL)
    assert done.returncode == 0, done.stderr
    assert len(landings(remote)) == 1


def test_a_session_killed_inside_its_claim_resumes_here_and_lands(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    """Killed with the id claimed here and not yet on the remote: this clone resumes it,
    claiming it on the remote as it lands; the remote never saw the id, so nothing
    strands there."""
    remote = attached_remote(tmp_path, corpus_repo)
    killed = cli_session(corpus_repo, "--topic", "tides", env={"AGENTGIT_TEST_KILL_AT": "claiming"})
    assert killed.returncode == -signal.SIGKILL
    assert not git(remote, "for-each-ref", "refs/heads/session")
    fake_api.push(draft(1))
    resume_here_and_keep(corpus_repo, remote, fake_api, turn=2)
    assert git(remote, "rev-parse", "refs/agentgit/sessions/0001").strip()
