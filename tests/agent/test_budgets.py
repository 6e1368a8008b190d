"""Budgets that are hard bounds (DESIGN §9): max_minutes bounds the whole session's
wall time, the model's requests included, against the real SDK and the fake API; and
max_cost_day / max_cost_week bound the spend over days, as main records it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import agentgit, git
from fakeapi import FakeAPI, text_turn, tool_use_turn
from scripts import abandon_script, write_script

from agentgit.core.errors import OutOfTime
from agentgit.git import Repository
from agentgit.models.anthropic import AnthropicModel
from agentgit.models.base import ModelRequest, Usage
from agentgit.models.pricing import cost_usd

MODEL = "claude-sonnet-5-5"
HUNG = 30.0  # seconds a "hung" server waits before answering: far past every bound here


def note(n: int) -> dict[str, Any]:
    return tool_use_turn("note", {"text": f"Noted {n}."}, id=f"toolu_{n:04d}_note")


def give_up(n: int, reason: str = "out of time") -> dict[str, Any]:
    return tool_use_turn(
        "abandon", {"reason": reason, "summary": "Stopped."}, id=f"toolu_{n:04d}_abandon"
    )


def hung(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "delay": HUNG}


def go(timeout: float) -> ModelRequest:
    """A one-message request that must be answered within `timeout` seconds."""
    return ModelRequest(
        system="S",
        messages=[{"role": "user", "content": [{"type": "text", "text": "go"}]}],
        tools=[],
        timeout=timeout,
    )


# -- the provider: no request outlives its timeout ----------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "create"])
def test_a_request_is_cut_at_its_timeout_and_not_retried_past_it(
    fake_api: FakeAPI,
    stream: bool,
) -> None:
    fake_api.push(hung(text_turn("late")), text_turn("never asked"))
    llm = AnthropicModel(MODEL, max_retries=4, stream=stream)
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        llm.complete(go(timeout=0.5))
    assert time.monotonic() - started < HUNG  # cut, not waited out
    assert len(fake_api.requests) == 1  # the SDK's retries stop at the deadline
    assert fake_api.remaining == 1


def test_a_stream_that_runs_past_the_timeout_is_closed(fake_api: FakeAPI) -> None:
    # Every event comes well inside the read timeout, so only the deadline stops it.
    fake_api.push({**text_turn("and on " * 30), "event_delay": 0.4}, text_turn("never"))
    llm = AnthropicModel(MODEL, max_retries=4)
    with pytest.raises(OutOfTime):
        llm.complete(go(timeout=1.0))
    assert len(fake_api.requests) == 1


def test_a_slow_answer_inside_the_timeout_is_waited_for(fake_api: FakeAPI) -> None:
    fake_api.push({**text_turn("slow but fine"), "delay": 0.3})
    llm = AnthropicModel(MODEL, max_retries=0)
    reply = llm.complete(
        ModelRequest(
            system="S",
            messages=[{"role": "user", "content": [{"type": "text", "text": "go"}]}],
            tools=[],
            timeout=20,
        )
    )
    assert reply.content == [{"type": "text", "text": "slow but fine"}]


# -- a whole session ----------------------------------------------------------------------


def session(repo: Path, *args: str) -> tuple[Any, list[dict[str, Any]]]:
    proc = agentgit(
        repo,
        "session",
        "--model",
        MODEL,
        "--json",
        *args,
        env={"AGENTGIT_MAX_RETRIES": "2"},
        timeout=HUNG * 3,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc, events


def test_a_hung_model_is_cut_at_max_minutes_then_judges(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.push(hung(note(1)), give_up(2))
    started = time.monotonic()
    proc, events = session(corpus_repo, "--max-minutes", "0.02")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 0.02 * 60 + 60  # the contract: max_minutes + 1
    result = events[-1]
    assert result["event"] == "result"
    assert (result["outcome"], result["reason"], result["turns"]) == ("abandoned", "out of time", 1)
    # The hung request was cut and never retried; the judging turn came next.
    assert len(fake_api.requests) == 2 and fake_api.remaining == 0
    judging = fake_api.requests[-1]
    assert [t["name"] for t in judging["tools"]] == ["crystallize", "abandon"]
    assert "The budget is spent" in json.dumps(judging["messages"][-1])
    assert any(e["event"] == "warning" and "wall-clock" in e["message"] for e in events)
    # A budget's end, not an interruption: nothing is left open.
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    assert "Abandon session 0001" in git(corpus_repo, "log", "-1", "--format=%s", "main")


# -- spend over days: max_cost_day, max_cost_week -----------------------------------------


def landed(
    repo: Path, number: int, cost: str, ended: datetime | None, env: dict[str, str] | None = None
) -> None:
    """A session's commit on main as a landing records it: what the ledger reads."""
    trailers = [
        f"Agentgit-Session: {number:04d}",
        f"Agentgit-Head: {'0' * 40}",
        "Agentgit-Outcome: abandoned",
        f"Agentgit-Cost: {cost}",
    ]
    if ended is not None:
        trailers.append(f"Agentgit-Ended: {ended.isoformat().replace('+00:00', 'Z')}")
    subprocess.run(
        [
            "git",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            f"Abandon session {number:04d}: test",
            "-m",
            "\n".join(trailers),
        ],
        cwd=repo,
        check=True,
        env={**os.environ, **(env or {})},
    )


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


@pytest.fixture
def spent_repo(corpus_repo: Path) -> Path:
    """Main records $0.30 today, $1.00 three days ago (and $0.20 of it an hour before
    that, from a commit date alone), $5 eight days ago, one unknown cost today."""
    landed(corpus_repo, 101, "5.000000", ago(days=8))
    landed(corpus_repo, 102, "1.000000", ago(days=3))
    landed(
        corpus_repo,
        103,
        "0.200000",
        None,
        env={"GIT_COMMITTER_DATE": ago(days=3, hours=1).isoformat()},
    )
    landed(corpus_repo, 104, "0.100000", None)  # dated 2026-01-02 by the sealed git
    landed(corpus_repo, 105, "0.300000", ago(hours=2))
    landed(corpus_repo, 106, "unknown", ago(hours=1))
    return corpus_repo


def test_the_ledger_counts_what_ended_in_each_window(spent_repo: Path) -> None:
    from agentgit.session.ledger import spent

    total = spent(Repository.discover(spent_repo), None, datetime.now(UTC))
    assert total.cost["day"] == pytest.approx(0.3)
    assert total.cost["week"] == pytest.approx(1.5)
    assert total.unknown == {"day": 1, "week": 1}


def scripted(tmp_path: Path) -> str:
    return "scripted:" + str(write_script(tmp_path / "s.jsonl", abandon_script()))


def test_a_reached_day_cap_does_not_start_a_session(spent_repo: Path, tmp_path: Path) -> None:
    before = git(spent_repo, "rev-parse", "main")
    summary = tmp_path / "summary.md"
    proc = agentgit(
        spent_repo,
        "session",
        "--model",
        scripted(tmp_path),
        env={"AGENTGIT_MAX_COST_DAY": "0.25", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert proc.returncode == 0, proc.stderr
    line = (
        "Session not started: $0.30 spent of max_cost_day $0.25 in the last 24 hours; "
        "1 session of unknown cost counted as $0"
    )
    assert proc.stdout.splitlines() == [line]
    assert summary.read_text() == line + "\n"  # what a CI run's page shows
    assert git(spent_repo, "rev-parse", "main") == before
    assert not git(spent_repo, "for-each-ref", "refs/heads/session", "refs/agentgit")


def test_a_session_whose_max_cost_could_pass_the_week_cap_is_skipped(
    spent_repo: Path,
) -> None:
    (spent_repo / "agentgit.toml").write_text("max_cost_week = 2.0\n")
    proc = agentgit(spent_repo, "session", "--model", MODEL, "--json", "--max-cost", "0.6")
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    result = json.loads(line)
    assert (result["event"], result["outcome"]) == ("result", "skipped")
    assert result["reason"] == (
        "not started: $1.50 spent of max_cost_week $2.00 in the last 7 days, and a "
        "session may spend up to $0.60 (max_cost); 1 session of unknown cost counted as $0"
    )
    assert result["spent"] == {"day": pytest.approx(0.3), "week": pytest.approx(1.5)}


def test_spend_on_the_remotes_main_counts(corpus_repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(corpus_repo), str(remote))
    git(corpus_repo, "remote", "add", "origin", str(remote))
    landed(corpus_repo, 101, "0.900000", ago(hours=3))  # landed by another clone:
    git(corpus_repo, "push", "-q", "origin", "main")
    git(corpus_repo, "reset", "-q", "--hard", "HEAD~1")  # this one has not pulled it
    proc = agentgit(
        corpus_repo, "session", "--model", scripted(tmp_path), env={"AGENTGIT_MAX_COST_DAY": "0.5"}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Session not started: $0.90 spent of max_cost_day $0.50")


def test_a_session_within_the_caps_runs_and_its_cost_counts_next_time(
    corpus_repo: Path,
    fake_api: FakeAPI,
) -> None:
    usage = {"input_tokens": 100_000, "output_tokens": 10}
    cost = cost_usd(MODEL, Usage.from_dict(usage))
    assert cost is not None and 0.1 < cost < 0.4  # fits the day's cap, but not twice
    fake_api.push(tool_use_turn("abandon", {"reason": "enough", "summary": "Done."}, usage=usage))
    env = {"AGENTGIT_MAX_COST_DAY": "0.5", "AGENTGIT_MAX_RETRIES": "0"}
    first = agentgit(corpus_repo, "session", "--model", MODEL, "--max-cost", "0.4", env=env)
    assert first.returncode == 0, first.stderr
    assert "Agentgit-Ended: " in git(corpus_repo, "log", "-1", "--format=%B", "main")
    second = agentgit(corpus_repo, "session", "--model", MODEL, "--max-cost", "0.4", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == (
        f"Session not started: ${cost:.2f} spent of max_cost_day $0.50 in the last 24 hours, and "
        "a session may spend up to $0.40 (max_cost)"
    )
    assert len(fake_api.requests) == 1


def test_a_session_of_unknown_cost_starts_and_says_it_counts_as_zero(
    spent_repo: Path,
    fake_api: FakeAPI,
) -> None:
    fake_api.push(give_up(1))  # a local model: no price, so its cost is unknown
    proc = agentgit(
        spent_repo,
        "session",
        "--json",
        "--model",
        "local-llm",
        env={"AGENTGIT_MAX_COST_DAY": "0.35", "AGENTGIT_MAX_RETRIES": "0"},
    )
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert (events[-1]["outcome"], events[-1]["cost_usd"]) == ("abandoned", None)
    assert {
        "event": "warning",
        "message": "this session's cost is unknown and 1 recent "
        "session had an unknown cost: counted as $0 against the spending caps",
    } in events


@pytest.mark.parametrize(
    ("trailer", "cost"),
    [("0.25", 0.25), ("0", 0.0), ("unknown", None), ("nan", None), ("inf", None), ("-5", None)],
)
def test_a_recorded_cost_that_is_not_a_cost_counts_as_unknown(
    trailer: str, cost: float | None
) -> None:
    from agentgit.git import Commit
    from agentgit.session.ledger import _cost

    commit = Commit("0" * 40, [], "2026-01-02T00:00:00Z", "s", "", {"Agentgit-Cost": trailer})
    assert _cost(commit) == cost
