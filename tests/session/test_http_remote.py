"""Network git over a real smart-HTTP remote (`git http-backend`, tests/httpremote.py)
that stalls, refuses with 401, or applies a push and drops the connection (issue 9,
item 13). Nothing waits on a person, nothing waits past its bound, and what the remote
really has is what gets reported."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import agentgit, git
from httpremote import HttpRemote
from scripts import keep_script, write_script

from agentgit.core.errors import Interrupted
from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import run, start
from agentgit.models.scripted import ScriptedModel

NOTES = "refs/notes/agentgit"


@pytest.fixture
def served(corpus_repo: Path, http_remote: HttpRemote) -> Path:
    """corpus_repo with the HTTP remote as origin, holding its main."""
    git(corpus_repo, "remote", "add", "origin", http_remote.url)
    git(corpus_repo, "push", "-q", "origin", "main")
    return corpus_repo


@pytest.fixture
def keep(tmp_path: Path) -> str:
    return "scripted:" + str(write_script(tmp_path / "keep.jsonl", keep_script()))


def remote_refs(remote: HttpRemote, *patterns: str) -> dict[str, str]:
    out = git(remote.bare, "for-each-ref", "--format=%(refname) %(objectname)", *patterns)
    return dict(line.split() for line in out.splitlines())


def last_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr
    return proc.stderr.strip().splitlines()[-1]


def started(path: Path, **settings: object) -> tuple[Repository, Settings, object]:
    repo = Repository.discover(path)
    config = Settings(model="scripted", **settings)  # type: ignore[arg-type]
    return repo, config, start(repo, config, topic="tides", model_name="scripted")


def test_in_ci_no_password_program_runs_and_a_401_at_the_claim_names_authentication(
    served: Path, http_remote: HttpRemote, keep: str, tmp_path: Path
) -> None:
    asked = tmp_path / "asked"
    askpass = tmp_path / "askpass.sh"
    askpass.write_text(f"#!/bin/sh\necho asked >> {asked}\necho secret\n")
    askpass.chmod(0o755)
    git(served, "config", "core.askPass", str(askpass))
    http_remote.mode = "auth-push"
    proc = agentgit(
        served,
        "session",
        "--model",
        keep,
        env={"CI": "true", "GIT_ASKPASS": str(askpass), "SSH_ASKPASS": str(askpass)},
    )
    assert proc.returncode == 1, proc.stderr
    line = last_line(proc)
    assert line.startswith("agentgit: push to origin: authentication failed (")
    assert "credential helper" in line and "token" in line
    assert not asked.exists()  # no password program was run, so none could hang
    assert not git(served, "for-each-ref", "refs/heads/session", "refs/agentgit")


def test_a_401_during_the_landing_names_authentication_and_resume_lands_later(
    served: Path, http_remote: HttpRemote, keep: str
) -> None:
    repo, config, session = started(served)
    before = git(http_remote.bare, "rev-parse", "main")
    http_remote.mode = "auth-push"
    with pytest.raises(Interrupted) as stopped:
        run(repo, session, ScriptedModel(keep_script()), config)  # type: ignore[arg-type]
    message = stopped.value.message
    assert message.startswith(
        "session 0001 judged crystallized but did not finish landing: "
        "push to origin: authentication failed ("
    )
    assert "credential helper" in message
    assert git(http_remote.bare, "rev-parse", "main") == before

    http_remote.mode = "ok"
    done = agentgit(served, "resume", "1", "--model", keep)
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout
    assert git(served, "rev-parse", "main") == git(http_remote.bare, "rev-parse", "main")


def test_a_stalled_remote_costs_one_bound_for_the_landing_and_its_park(
    served: Path, http_remote: HttpRemote, keep: str
) -> None:
    repo, config, session = started(served, network_timeout=2.0)
    http_remote.mode = "stall"
    with pytest.raises(Interrupted) as stopped:
        run(repo, session, ScriptedModel(keep_script()), config)  # type: ignore[arg-type]
    message = stopped.value.message
    # The first call said it was a timeout, in curl's words too; the park that follows
    # found the bound spent and did not wait a second time.
    assert "did not finish landing: reading origin: timed out (" in message
    assert "Operation too slow" in message
    assert (
        "could not be left on origin: push to origin: timed out (no time left of the "
        "2 s network bound)" in message
    )
    assert http_remote.seen("stall") == 1

    http_remote.released.set()
    http_remote.mode = "ok"
    done = agentgit(served, "resume", "1", "--model", keep)
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout


def test_a_push_applied_but_never_acknowledged_is_confirmed_from_the_remote(
    served: Path, http_remote: HttpRemote, keep: str, tmp_path: Path
) -> None:
    http_remote.mode = "drop-main"
    proc = agentgit(served, "session", "--model", keep)
    assert proc.returncode == 0, proc.stderr
    assert "Session 0001 crystallized" in proc.stdout
    assert http_remote.seen("drop-main")
    main = git(http_remote.bare, "rev-parse", "main").strip()
    assert git(served, "rev-parse", "main").strip() == main
    assert "corpus/pieces/tides.md" in git(http_remote.bare, "ls-tree", "-r", "--name-only", main)
    # The transcript went too: any clone can read the session back.
    assert NOTES in remote_refs(http_remote, NOTES)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", http_remote.url, str(other))
    git(other, "fetch", "-q", "origin", f"{NOTES}:{NOTES}", "refs/agentgit/*:refs/agentgit/*")
    shown = agentgit(other, "show", "1", "--transcript")
    assert shown.returncode == 0 and "no transcript note" not in shown.stdout, shown.stderr


def test_a_session_decided_by_another_clones_sync_is_not_listed_in_review_after_pull(
    served: Path, http_remote: HttpRemote, keep: str, tmp_path: Path
) -> None:
    proc = agentgit(served, "session", "--model", keep, "--review", "branch")
    assert proc.returncode == 0, proc.stderr
    assert "(in-review)" in agentgit(served, "log").stdout
    person = tmp_path / "person"
    git(tmp_path, "clone", "-q", http_remote.url, str(person))
    branch = next(ref for ref in remote_refs(http_remote, "refs/heads/session")).removeprefix(
        "refs/heads/"
    )
    git(person, "merge", "-q", "--no-ff", "-m", "Merge by hand", f"origin/{branch}")
    git(person, "push", "-q", "origin", "main")
    synced = agentgit(person, "sync")
    assert synced.stdout == "Session 0001 crystallized in review: merged into main\n"

    git(served, "pull", "-q", "--ff-only", "origin", "main")
    log = agentgit(served, "log").stdout
    assert "in-review" not in log
    assert [ln for ln in log.splitlines() if ln.startswith("0001")] == [
        next(ln for ln in log.splitlines() if " crystallized " in ln)
    ]
    resumed = agentgit(served, "resume", "1")
    assert resumed.returncode == 1
    assert resumed.stderr == "agentgit: session 0001 has already ended\n"
