"""agentgit/transcript.py: a session's transcript saved atomically and scrubbed, read back
into the agent's state, and one line (never a traceback) for a file that is not one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentgit.agent.loop import AgentState
from agentgit.core.errors import AgentgitError
from agentgit.models.base import Usage
from agentgit.session import transcript

SECRET = "hunter2-correct-horse-battery"
META = {"session": 7, "slug": "tides", "started": "2026-01-02T03:04:05Z", "model": "scripted"}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def assistant(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


def text(words: str) -> dict[str, Any]:
    return {"type": "text", "text": words}


def thinking(words: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": words, "signature": "sig-" + words[:4]}


def call(name: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{name}", "name": name, "input": {}}


def result(name: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{name}"}]}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return transcript.transcript_path(tmp_path / "state", 7)


def test_a_saved_transcript_reads_back_as_the_same_state(path: Path) -> None:
    state = AgentState(
        messages=[user("Begin."), assistant(thinking("ponder"), call("note")), result("note")],
        turn=2,
        usage=Usage(input_tokens=10, output_tokens=3),
        cost_usd=0.25,
        nudges=1,
        elapsed=1.5,
        turns=[{"stop_reason": "tool_use"}],
        thinking_model="claude-sonnet-5-5",
        cutoffs=1,
        turn_tokens=4096,
    )
    transcript.save(path, META, state)
    assert path == path.parent / "0007.json"
    assert [p.name for p in path.parent.iterdir()] == ["0007.json"]  # no temporary left

    data = transcript.load(path)
    assert data["version"] == transcript.VERSION and data["slug"] == "tides"
    assert data["scrubbed_from"] is None and data["pending"] is None
    back = transcript.state_from_dict(data)
    assert back.messages == state.messages
    assert (back.turn, back.nudges, back.elapsed, back.cutoffs) == (2, 1, 1.5, 1)
    assert back.usage == state.usage and back.cost_usd == 0.25
    assert back.thinking_model == "claude-sonnet-5-5" and back.turn_tokens == 4096
    assert back.unsent == [] and back.notices == []


def test_an_answer_whose_calls_have_not_run_is_saved_as_pending(path: Path) -> None:
    asked = assistant(text("I will note."), call("note"))
    transcript.save(path, META, AgentState(messages=[user("Begin."), asked], turn=1))
    data = transcript.load(path)
    assert data["messages"] == [user("Begin.")]  # never an unanswered tool_use
    assert data["pending"] == {"turn": 1, "message": asked}
    assert transcript.state_from_dict(data).pending == data["pending"]


def test_secrets_are_scrubbed_and_thinking_after_them_is_held_back(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", SECRET)
    state = AgentState(
        messages=[
            user("Begin."),
            assistant(thinking("fine"), call("read")),
            {"role": "user", "content": [{"type": "text", "text": f"the key is {SECRET}"}]},
            assistant(thinking("later"), text("ok")),
        ]
    )
    transcript.save(path, META, state)
    saved = path.read_text(encoding="utf-8")
    assert SECRET not in saved and "the key is [scrubbed]" in saved
    assert state.messages[2]["content"][0]["text"].endswith(SECRET)  # the live state kept
    data = transcript.load(path)
    assert data["scrubbed_from"] == 2
    back = transcript.state_from_dict(data)
    # The block after the scrubbed message is bound to text the saved copy lacks.
    assert back.unsent == [[2, 5]]
    assert back.notices and "not sending 1 thinking block(s)" in back.notices[0]


def test_a_secret_only_in_the_pending_answer_marks_it_scrubbed(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", SECRET)
    asked = assistant(thinking("mm"), text(f"use {SECRET}"), call("note"))
    transcript.save(path, META, AgentState(messages=[user("Begin."), asked]))
    data = transcript.load(path)
    assert SECRET not in json.dumps(data)
    assert data["scrubbed_from"] == 1  # the pending answer, next in line


def test_scrubbed_gives_what_a_transcript_would_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    assert transcript.scrubbed({"topic": f"k={SECRET}", "n": 3}) == {
        "topic": "k=[scrubbed]",
        "n": 3,
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"version": 1, "session": 7, "slug": "ti', "the transcript is not valid JSON: "),
        ("", "the transcript is not valid JSON: "),
        ("[1, 2]", "the transcript has an unknown format"),
        (json.dumps({**META, "version": 99, "messages": []}), "unknown format"),
        (json.dumps({**META, "version": 1}), "unknown format"),  # no messages
        (json.dumps({**META, "version": 1, "messages": [], "turn": "2"}), "unknown format"),
        (json.dumps({**META, "version": 1, "messages": [{"role": "x"}]}), "unknown format"),
        (json.dumps({**META, "version": 1, "messages": [], "started": "soon"}), "unknown format"),
    ],
    ids=["truncated", "empty", "a-list", "version", "missing", "wrong-type", "role", "date"],
)
def test_a_truncated_or_corrupt_transcript_is_one_line(
    path: Path, content: str, message: str
) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AgentgitError) as caught:
        transcript.load(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "field",
    [
        {"cutoffs": "x"},
        {"turn_tokens": "many"},
        {"nudges": None},
        {"elapsed": "long"},
        {"cost_usd": "free"},
        {"final_turn": "yes"},
        {"thinking_model": 5},
        {"unsent": [[0]]},
        {"unsent": 3},
        {"unsent": [["a", 2]]},
        {"scrubbed_from": "0"},
    ],
    ids=lambda field: next(iter(field)),
)
def test_a_resumed_field_of_the_wrong_kind_is_one_line(
    path: Path, field: dict[str, object]
) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**META, "version": 1, "messages": [], **field}), "utf-8")
    with pytest.raises(AgentgitError, match="unknown format"):
        transcript.state_from_dict(transcript.load(path))


def test_no_transcript_is_one_line(path: Path) -> None:
    with pytest.raises(AgentgitError, match=r"^no transcript at .*0007\.json$"):
        transcript.load(path)


def test_assistant_turns_become_a_replay_script() -> None:
    data = {
        "messages": [
            user("Begin."),
            assistant(call("note")),
            result("note"),
            assistant(text("done")),
        ],
        "turns": [{"stop_reason": "tool_use", "usage": {"input_tokens": 5}}],
    }
    assert transcript.assistant_turns(data) == [
        {"content": [call("note")], "stop_reason": "tool_use", "usage": {"input_tokens": 5}},
        {"content": [text("done")], "stop_reason": "tool_use", "usage": None},
    ]
