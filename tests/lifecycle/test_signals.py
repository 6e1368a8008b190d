"""A session stopped by a real signal (SIGINT, SIGTERM, SIGHUP: what CI runners and closed
terminals send) says so in one line, exits 3, is parked on the remote, and resumes from
another clone against the strict fake Messages API (DESIGN §9), mid-turn or mid-tool.

The session runs as a subprocess on the real SDK. Mid-turn: the fake server holds its
answer ("delay") and the signal comes once the request has arrived. Mid-tool: the
process waits at a named point (AGENTGIT_TEST_PAUSE_AT) and says so on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from apiturns import FAST, MODEL, USAGE, cli, draft, keep, note
from conftest import git
from fakeapi import FakeAPI, conversation_problem, message_turn
from helpers import attached_remote, clone, step_tools

BRANCH = "refs/heads/session/0001-tides"
NOTES = "refs/notes/agentgit"
WAIT = 60.0  # a bound on waiting for the child, so a broken test fails, never hangs


def spawn(corpus: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentgit", "session", "--topic", "tides", "--model", MODEL],
        cwd=corpus,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **FAST, **(env or {})},
        # A suite run in the background inherits SIGINT ignored, and agentgit keeps an
        # ignored signal ignored (as under nohup); a CI job's process does not ignore it.
        preexec_fn=_default_signals,
    )


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def wait_for_request(proc: subprocess.Popen[str], api: FakeAPI, n: int) -> None:
    """Until the fake has received its n-th request (the child is then waiting on it)."""
    deadline = time.monotonic() + WAIT
    while len(api.requests) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the session never sent its request"
        time.sleep(0.02)


def wait_for_pause(proc: subprocess.Popen[str], name: str) -> list[str]:
    """Read the child's stderr until it says it is waiting at `name`."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.strip() == f"agentgit-test: paused at {name}":
            return seen
    raise AssertionError(f"never paused at {name}: {''.join(seen)}")


def finish(proc: subprocess.Popen[str], before: list[str] | None = None) -> tuple[int, str]:
    _, err = proc.communicate(timeout=WAIT)
    return proc.returncode, "".join(before or []) + err


def error_line(stderr: str) -> str:
    lines = [x for x in stderr.splitlines() if x.startswith("agentgit:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def assert_parked(corpus: Path, remote: Path, status: str = "interrupted") -> dict[str, Any]:
    head = git(corpus, "rev-parse", BRANCH).strip()
    assert git(remote, "rev-parse", BRANCH).strip() == head
    parked = json.loads(git(remote, "notes", "--ref", NOTES, "show", head))
    assert parked["status"] == status
    assert conversation_problem(parked["messages"]) is None
    return parked


def resume_elsewhere(remote: Path, tmp_path: Path, api: FakeAPI, *turns: dict[str, Any]) -> Path:
    """A fresh clone resumes session 1 with `turns`; every request passed the strict fake."""
    runner = clone(remote, tmp_path / "runner")
    api.push(*turns)
    done = cli(runner, "resume", "1")
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout
    assert api.rejections == []
    return runner


def steps(remote: Path) -> list[str]:
    return step_tools(remote, "refs/agentgit/sessions/0001")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_turn_parks_the_session_and_another_clone_resumes_it(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path, sig: signal.Signals
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(draft(1), {**note(2), "delay": WAIT})
    proc = spawn(corpus_repo)
    wait_for_request(proc, fake_api, 2)
    proc.send_signal(sig)
    code, stderr = finish(proc)
    assert code == 3, stderr
    why = "stopped by the user" if sig == signal.SIGINT else "stopped by SIGTERM"
    assert error_line(stderr) == (
        f"agentgit: session 0001 interrupted: {why}; `agentgit resume 1` continues it "
        "here or in any clone of origin"
    )
    assert assert_parked(corpus_repo, remote)["turn"] == 1
    resume_elsewhere(remote, tmp_path, fake_api, note(2), keep(3))
    assert steps(remote) == ["note", "write_draft"]
    assert "corpus/pieces/tides.md" in git(remote, "ls-tree", "-r", "--name-only", "main")


def two_calls(n: int) -> dict[str, Any]:
    """One turn that drafts and notes: a stop after the first leaves the second unrun."""
    return message_turn(
        [
            {"type": "text", "text": "Draft, then note."},
            {
                "type": "tool_use",
                "id": f"toolu_{n:04d}_a",
                "name": "write_draft",
                "input": {"slug": "tides", "title": "Tides", "body": "The moon pulls the sea.\n"},
            },
            {
                "type": "tool_use",
                "id": f"toolu_{n:04d}_b",
                "name": "note",
                "input": {"text": "Drafted tides."},
            },
        ],
        "tool_use",
        dict(USAGE),
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_mid_tool_leaves_every_call_answered_and_runs_each_once(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path, sig: signal.Signals
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(two_calls(1))
    proc = spawn(corpus_repo, {"AGENTGIT_TEST_PAUSE_AT": "step:1"})
    seen = wait_for_pause(proc, "step")  # write_draft has committed; note has not run
    proc.send_signal(sig)
    code, stderr = finish(proc, seen)
    assert code == 3, stderr
    assert error_line(stderr).startswith("agentgit: session 0001 interrupted: stopped by ")
    saved = json.loads((corpus_repo / ".git/agentgit/transcripts/0001.json").read_text())
    # Every tool_use in the saved messages is answered; the cut turn waits as pending.
    assert conversation_problem(saved["messages"]) is None
    assert saved["messages"][-1]["role"] == "user"
    assert saved["pending"]["message"]["content"][1]["id"] == "toolu_0001_a"
    assert_parked(corpus_repo, remote)

    resume_elsewhere(remote, tmp_path, fake_api, keep(2))
    assert steps(remote) == ["note", "write_draft"]  # each call made its commit once
    sent = fake_api.requests[-1]["messages"]
    answered = [b["tool_use_id"] for b in sent[-1]["content"] if b["type"] == "tool_result"]
    assert answered == ["toolu_0001_a", "toolu_0001_b"]


def test_a_second_signal_during_the_clean_up_corrupts_nothing(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(draft(1), {**note(2), "delay": WAIT})
    proc = spawn(corpus_repo, {"AGENTGIT_TEST_PAUSE_AT": "parking"})
    wait_for_request(proc, fake_api, 2)
    proc.send_signal(signal.SIGINT)
    seen = wait_for_pause(proc, "parking")  # saved, about to park
    proc.send_signal(signal.SIGTERM)
    code, stderr = finish(proc, seen)
    assert code == 3, stderr
    assert error_line(stderr).endswith("continues it here or in any clone of origin")
    assert_parked(corpus_repo, remote)  # the branch and its transcript, both
    resume_elsewhere(remote, tmp_path, fake_api, note(2), keep(3))


@pytest.mark.parametrize("point", ["judged", "before-main"])
def test_a_signal_while_landing_parks_the_judged_session(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path, point: str
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(draft(1), keep(2))
    proc = spawn(corpus_repo, {"AGENTGIT_TEST_PAUSE_AT": point})
    seen = wait_for_pause(proc, point)
    proc.send_signal(signal.SIGTERM)
    code, stderr = finish(proc, seen)
    assert code == 3, stderr
    assert error_line(stderr) == (
        "agentgit: session 0001 judged crystallized but did not finish landing: stopped by "
        "SIGTERM; `agentgit resume 1` lands it here or in any clone of origin"
    )
    assert "corpus/pieces/tides.md" not in git(remote, "ls-tree", "-r", "--name-only", "main")
    assert_parked(corpus_repo, remote, "judged")
    runner = clone(remote, tmp_path / "runner")
    sent = len(fake_api.requests)
    done = cli(runner, "resume", "1")
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout
    assert len(fake_api.requests) == sent  # judged already: nothing asked again
    assert steps(remote) == ["write_draft"]
    assert "corpus/pieces/tides.md" in git(remote, "ls-tree", "-r", "--name-only", "main")


@pytest.mark.parametrize(
    ("point", "sig", "then"),
    [
        ("claiming", signal.SIGTERM, "resume"),
        ("claiming", signal.SIGINT, "abandon"),
        ("claimed", signal.SIGTERM, "resume"),
        ("claimed", signal.SIGINT, "abandon"),
        ("started", signal.SIGINT, "resume"),
        ("started", signal.SIGTERM, "abandon"),
    ],
)
def test_a_signal_just_after_the_claim_parks_the_session_for_any_clone(
    corpus_repo: Path,
    fake_api: FakeAPI,
    tmp_path: Path,
    point: str,
    sig: signal.Signals,
    then: str,
) -> None:
    """Stopped between the id claim and the first turn, the remote holds the branch and
    its (empty) transcript, so another clone can resume or abandon it. Stopped inside
    the claim ("claiming": this clone has the id, the remote not yet), the claim is
    finished on the remote first."""
    remote = attached_remote(tmp_path, corpus_repo)
    proc = spawn(corpus_repo, {"AGENTGIT_TEST_PAUSE_AT": point})
    seen = wait_for_pause(proc, point)
    proc.send_signal(sig)
    code, stderr = finish(proc, seen)
    assert code == 3, stderr
    assert error_line(stderr).endswith(
        "; `agentgit resume 1` continues it here or in any clone of origin"
    )
    assert assert_parked(corpus_repo, remote)["messages"] == []
    assert fake_api.requests == []
    if then == "resume":
        resume_elsewhere(remote, tmp_path, fake_api, draft(1), keep(2))
        assert steps(remote) == ["write_draft"]
        return
    runner = clone(remote, tmp_path / "runner")
    done = cli(runner, "abandon", "1", "--reason", "stopped early")
    assert done.returncode == 0, done.stderr
    assert "Session 0001 abandoned" in done.stdout
    assert not git(remote, "for-each-ref", "refs/heads/session")


@pytest.mark.parametrize("point", ["claimed", "mid-turn"])
def test_a_second_signal_soon_after_the_first_still_exits_3(
    corpus_repo: Path, fake_api: FakeAPI, tmp_path: Path, point: str
) -> None:
    """CI cancels with SIGINT and then SIGTERM; the second may come while the first is
    still being handled, before any clean-up has begun."""
    remote = attached_remote(tmp_path, corpus_repo)
    if point == "mid-turn":
        fake_api.push(draft(1), {**note(2), "delay": WAIT})
        proc = spawn(corpus_repo)
        wait_for_request(proc, fake_api, 2)
        seen: list[str] = []
    else:
        proc = spawn(corpus_repo, {"AGENTGIT_TEST_PAUSE_AT": point})
        seen = wait_for_pause(proc, point)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.015)
    proc.send_signal(signal.SIGTERM)
    code, stderr = finish(proc, seen)
    assert code == 3, stderr
    assert error_line(stderr).endswith("continues it here or in any clone of origin")
    assert_parked(corpus_repo, remote)
