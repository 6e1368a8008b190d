"""Budgets that are hard bounds (DESIGN §9): max_minutes bounds the whole session's
wall time, the model's requests included, against the real SDK and the fake API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import agentgit, git
from fakeapi import FakeAPI, text_turn, tool_use_turn

from agentgit.errors import OutOfTime
from agentgit.models.anthropic import AnthropicModel
from agentgit.models.base import ModelRequest

MODEL = "claude-sonnet-5-5"
HUNG = 30.0  # seconds a "hung" server waits before answering: far past every bound here


def note(n: int) -> dict[str, Any]:
    return tool_use_turn("note", {"text": f"Noted {n}."}, id=f"toolu_{n:04d}_note")


def give_up(n: int, reason: str = "out of time") -> dict[str, Any]:
    return tool_use_turn("abandon", {"reason": reason, "summary": "Stopped."},
                         id=f"toolu_{n:04d}_abandon")


def hung(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "delay": HUNG}


# -- the provider: no request outlives its timeout ----------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "create"])
def test_a_request_is_cut_at_its_timeout_and_not_retried_past_it(
    fake_api: FakeAPI, stream: bool,
) -> None:
    fake_api.push(hung(text_turn("late")), text_turn("never asked"))
    llm = AnthropicModel(MODEL, max_retries=4, stream=stream)
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        llm.complete(ModelRequest(system="S", messages=[
            {"role": "user", "content": [{"type": "text", "text": "go"}]}], tools=[],
            timeout=0.5))
    assert time.monotonic() - started < HUNG  # cut, not waited out
    assert len(fake_api.requests) == 1  # the SDK's retries stop at the deadline
    assert fake_api.remaining == 1


def test_without_a_timeout_a_slow_answer_is_waited_for(fake_api: FakeAPI) -> None:
    fake_api.push({**text_turn("slow but fine"), "delay": 0.3})
    llm = AnthropicModel(MODEL, max_retries=0)
    reply = llm.complete(ModelRequest(system="S", messages=[
        {"role": "user", "content": [{"type": "text", "text": "go"}]}], tools=[],
        timeout=20))
    assert reply.content == [{"type": "text", "text": "slow but fine"}]


# -- a whole session ----------------------------------------------------------------------


def session(repo: Path, *args: str) -> tuple[Any, list[dict[str, Any]]]:
    proc = agentgit(repo, "session", "--model", MODEL, "--json", *args,
                    env={"AGENTGIT_MAX_RETRIES": "2"}, timeout=HUNG * 3)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc, events


def test_a_hung_model_is_cut_at_max_minutes_then_judges(corpus_repo: Path,
                                                        fake_api: FakeAPI) -> None:
    fake_api.push(hung(note(1)), give_up(2))
    started = time.monotonic()
    proc, events = session(corpus_repo, "--max-minutes", "0.02")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 0.02 * 60 + 60  # the contract: max_minutes + 1
    result = events[-1]
    assert result["event"] == "result"
    assert (result["outcome"], result["reason"], result["turns"]) == (
        "abandoned", "out of time", 1)
    # The hung request was cut and never retried; the judging turn came next.
    assert len(fake_api.requests) == 2 and fake_api.remaining == 0
    judging = fake_api.requests[-1]
    assert [t["name"] for t in judging["tools"]] == ["crystallize", "abandon"]
    assert "The budget is spent" in json.dumps(judging["messages"][-1])
    assert any(e["event"] == "warning" and "wall-clock" in e["message"] for e in events)
    # A budget's end, not an interruption: nothing is left open.
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    assert "Abandon session 0001" in git(corpus_repo, "log", "-1", "--format=%s", "main")
