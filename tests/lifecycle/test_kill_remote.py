"""A session with a remote SIGKILLed at every point where the remote is involved: after
`resume N`, the remote's main has the session exactly once, its archive ref and notes
are pushed, no branch is left behind, and `git fsck` passes on both repositories. Under
--review pr, the pull request exists exactly once (DESIGN §2 and §5)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import agentgit, git
from fakegithub import REPOSITORY, TOKEN, FakeGitHub
from helpers import (
    KILL_LOG_ENTRY,
    NOTES,
    attached_remote,
    clone,
    files,
    fsck,
    github_env,
    kill_keep_script,
    killed,
    killed_session,
    landings,
    protect_main,
    refs,
    sha,
    trailers,
)
from scripts import abandon, draft, write_script

LOG_ENTRY = KILL_LOG_ENTRY


@pytest.fixture
def remote(tmp_path: Path, corpus_repo: Path) -> Path:
    return attached_remote(tmp_path, corpus_repo)


def keep_model(tmp_path: Path) -> str:
    return f"scripted:{kill_keep_script(tmp_path / 'keep.jsonl')}"


@pytest.mark.parametrize(
    "point", ["claimed", "step:1", "before-main", "merging", "after-main", "pushed"]
)
def test_kill_a_pushing_session_then_resume(
    corpus_repo: Path, remote: Path, tmp_path: Path, point: str
) -> None:
    model = keep_model(tmp_path)
    before = sha(remote, "main")
    killed_session(corpus_repo, model, point)
    fsck(corpus_repo)
    fsck(remote)
    # The id is claimed on the remote from the start; main moved only if the kill came
    # after the push of main.
    assert sha(remote, "refs/agentgit/sessions/0001")
    assert (sha(remote, "main") != before) == (point in ("after-main", "pushed"))

    done = agentgit(corpus_repo, "resume", "1", "--model", model)
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout

    for path in (corpus_repo, remote):
        fsck(path)
        assert len(landings(path)) == 1, path  # exactly once, on both
        assert not refs(path, "refs/heads/session")
    assert sha(corpus_repo, "main") == sha(remote, "main")
    assert git(remote, "rev-parse", "main^1").strip() == before
    t = trailers(remote, "main")
    assert t["Agentgit-Outcome"] == "crystallized"
    head = sha(remote, "refs/agentgit/sessions/0001")
    assert head == sha(corpus_repo, "refs/agentgit/sessions/0001") == t["Agentgit-Head"]
    assert {"corpus/pieces/tides.md", LOG_ENTRY} <= files(remote, "main")
    assert git(remote, "notes", "--ref", NOTES, "show", str(head))
    assert git(corpus_repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("point", ["before-main", "pushed"])
def test_kill_a_session_sent_to_review_then_resume_opens_one_pull_request(
    corpus_repo: Path, remote: Path, tmp_path: Path, fake_github: FakeGitHub, point: str
) -> None:
    model = keep_model(tmp_path)
    env = github_env(fake_github)
    before = sha(remote, "main")
    killed_session(corpus_repo, model, point, "--review", "pr", env=env)
    assert fake_github.pulls == {}  # killed before the pull request

    # resume takes no --review: the session goes to review as it started.
    done = agentgit(corpus_repo, "resume", "1", "--model", model, env=env)
    assert done.returncode == 0, done.stderr
    assert "in review: https://github.example/" in done.stdout
    assert list(fake_github.pulls) == [1]
    assert fake_github.pulls[1]["labels"] == ["agentgit", "crystallized"]
    assert sha(remote, "main") == before  # review decides, not the resumed session
    head = sha(remote, "refs/agentgit/sessions/0001")
    assert head and sha(remote, "refs/heads/session/0001-kill-test") == head
    assert sha(remote, "refs/agentgit/review/0001") == head
    for path in (corpus_repo, remote):
        fsck(path)

    # Resumed again (by a retry in CI, say) it is refused: the session waits on review.
    again = agentgit(corpus_repo, "resume", "1", "--model", model, env=env)
    assert again.returncode == 1 and "waiting on review" in again.stderr
    assert list(fake_github.pulls) == [1]


@pytest.mark.parametrize("point", ["log-pushed", "pushed"])
def test_kill_on_the_way_to_an_agentgit_log_pull_request_then_resume_reuses_it(
    corpus_repo: Path, remote: Path, tmp_path: Path, fake_github: FakeGitHub, point: str
) -> None:
    protect_main(remote)
    script = write_script(
        tmp_path / "abandon.jsonl",
        [
            draft("dead-end", "Dead end", "Nowhere.\n"),
            abandon("went nowhere", summary="Tried a draft."),
        ],
    )
    env = github_env(fake_github)
    before = sha(remote, "main")
    killed_session(corpus_repo, f"scripted:{script}", point, "--review", "pr", env=env)
    log_branch = sha(remote, "refs/heads/agentgit/log/0001")
    assert log_branch
    # Killed after the log branch was pushed: before its pull request, or after it.
    assert len(fake_github.pulls) == (1 if point == "pushed" else 0)

    done = agentgit(corpus_repo, "resume", "1", "--model", f"scripted:{script}", env=env)
    assert done.returncode == 0, done.stderr
    assert "log entry by pull request" in done.stdout
    assert sha(remote, "refs/heads/agentgit/log/0001") == log_branch  # reused, not rebuilt
    assert list(fake_github.pulls) == [1]  # one pull request: the existing one updated
    assert fake_github.pulls[1]["labels"] == ["agentgit:log"]
    if point == "pushed":
        assert ("PATCH", f"/repos/{REPOSITORY}/pulls/1") in fake_github.requests
    assert sha(remote, "main") == before  # never forced
    assert git(remote, "diff", "--name-only", before, log_branch).split() == [LOG_ENTRY]
    assert not refs(remote, "refs/heads/session")
    assert sha(remote, "refs/agentgit/sessions/0001") == sha(
        corpus_repo, "refs/agentgit/sessions/0001"
    )
    fsck(corpus_repo)
    fsck(remote)


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_github_down_at_the_end_leaves_the_judged_session_resumable(
    corpus_repo: Path, remote: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    model = keep_model(tmp_path)
    down = {**github_env(fake_github), "GITHUB_API_URL": f"http://127.0.0.1:{closed_port()}"}
    proc = agentgit(
        corpus_repo, "session", "--topic", "kill test", "--model", model, "--review", "pr", env=down
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "agentgit: session 0001 judged crystallized but did not finish landing: GitHub POST"
    )
    assert last.endswith("`agentgit resume 1` lands it here or in any clone of origin")
    assert TOKEN not in proc.stderr + proc.stdout
    # Nothing lost: the branch is on the remote and the session is still open here.
    head = sha(remote, "refs/agentgit/sessions/0001")
    assert head and sha(remote, "refs/heads/session/0001-kill-test") == head

    done = agentgit(corpus_repo, "resume", "1", env=github_env(fake_github))
    assert done.returncode == 0, done.stderr
    assert list(fake_github.pulls) == [1] and "in review" in done.stdout
    assert sha(remote, "refs/heads/session/0001-kill-test") == head  # nothing rebuilt


def test_a_connection_dropped_at_the_end_leaves_the_judged_session_resumable(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    model = keep_model(tmp_path)
    before = sha(remote, "main")
    # The remote's receive-pack dies when main's update arrives: the network dropped.
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        '  [ "$ref" = refs/heads/main ] && kill -9 $PPID\ndone\nexit 0\n'
    )
    hook.chmod(0o755)
    proc = agentgit(corpus_repo, "session", "--topic", "kill test", "--model", model)
    assert proc.returncode == 3, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "agentgit: session 0001 judged crystallized but did not finish "
        "landing: push to origin: cannot reach the remote ("
    )
    assert last.endswith("`agentgit resume 1` lands it here or in any clone of origin")
    assert sha(remote, "main") == before
    assert "needs-review" not in proc.stdout + proc.stderr  # an outage is not a refusal

    hook.unlink()
    done = agentgit(corpus_repo, "resume", "1")
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout
    assert len(landings(remote)) == 1 and sha(corpus_repo, "main") == sha(remote, "main")
    fsck(remote)
    fsck(corpus_repo)


@pytest.mark.parametrize("merged", [True, False])
def test_sync_killed_after_recording_finishes_when_run_again(
    corpus_repo: Path, remote: Path, tmp_path: Path, merged: bool
) -> None:
    model = keep_model(tmp_path)
    sent = agentgit(
        corpus_repo, "session", "--topic", "kill test", "--model", model, "--review", "branch"
    )
    assert sent.returncode == 0, sent.stderr
    branch = "refs/heads/session/0001-kill-test"
    if merged:
        work = clone(remote, tmp_path / "person")
        git(work, "merge", "-q", "--no-ff", "-m", "Merge", "origin/session/0001-kill-test")
        git(work, "push", "-q", "origin", "main")
    else:
        git(remote, "update-ref", "-d", branch)
    killed(corpus_repo, "sync", point="recorded")
    recorded = sha(remote, "main")
    assert len(landings(remote)) == 1  # recorded, but not yet archived and cleaned
    assert sha(remote, "refs/agentgit/review/0001")

    again = agentgit(corpus_repo, "sync")
    assert again.returncode == 0, again.stderr
    assert ("crystallized" if merged else "abandoned") in again.stdout
    assert sha(remote, "main") == recorded and len(landings(remote)) == 1  # not twice
    assert not refs(remote, "refs/agentgit/review") and not refs(remote, "refs/heads/session")
    assert agentgit(corpus_repo, "sync").stdout == ""
    fsck(remote)
