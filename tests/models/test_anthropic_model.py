"""AnthropicModel against the real SDK talking HTTP to the fake Messages API."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from fakeapi import (
    DROP,
    FAKE_KEY,
    FakeAPI,
    error,
    message_turn,
    redacted_thinking_block,
    text_turn,
    thinking_block,
    tool_use_turn,
)

from agentgit.core.errors import ModelError, ModelUnavailable
from agentgit.models import DEFAULT_MODEL, make_model
from agentgit.models.anthropic import (
    LOCAL_PLACEHOLDER_KEY,
    NO_KEY_MESSAGE,
    AnthropicModel,
    place_cache_breakpoints,
)
from agentgit.models.base import ModelRequest

TOOLS = [
    {
        "name": "read",
        "description": "Read a file.",
        "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}},
    },
    {"name": "crystallize", "description": "Keep.", "input_schema": {"type": "object"}},
    {"name": "abandon", "description": "Discard.", "input_schema": {"type": "object"}},
]
ORIENTATION = {"role": "user", "content": [{"type": "text", "text": "Orientation: the index."}]}


def request(messages: list[dict[str, Any]] | None = None, **kw: Any) -> ModelRequest:
    return ModelRequest(
        system="You are the agent.", messages=messages or [ORIENTATION], tools=TOOLS, **kw
    )


# The shape of the models before the current generation: reasoning in text blocks, no
# thinking parameters sent. The current generation's is tested in test_thinking.py.
OLD_MODEL = "claude-haiku-4-5"


def model(stream: bool = True, name: str = OLD_MODEL, **kw: Any) -> AnthropicModel:
    kw.setdefault("max_retries", 2)
    return AnthropicModel(name, stream=stream, **kw)


def marked(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = list(body.get("tools") or []) + list(body.get("system") or [])
    for message in body["messages"]:
        blocks += [b for b in message["content"] if isinstance(b, dict)]
    return [b for b in blocks if "cache_control" in b]


both = pytest.mark.parametrize("stream", [True, False], ids=["stream", "create"])


# --- configuration --------------------------------------------------------------------------


def test_default_model_is_a_current_sonnet() -> None:
    from anthropic._data import DEPRECATED_MODELS
    from anthropic.types.model_param import ModelParam

    listed = typing.get_args(typing.get_args(ModelParam)[0])
    assert DEFAULT_MODEL in listed
    assert DEFAULT_MODEL not in DEPRECATED_MODELS
    assert "sonnet" in DEFAULT_MODEL


def test_the_sdk_is_not_imported_until_a_model_is_built() -> None:
    code = (
        "import sys, agentgit.models, agentgit.models.pricing, agentgit.core.scrub; "
        "print('anthropic' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_no_key_says_how_to_get_going(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in [v for v in os.environ if v.startswith("ANTHROPIC_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))  # no SDK profile on disk either
    with pytest.raises(ModelError) as caught:
        AnthropicModel("claude-sonnet-5-5")
    assert caught.value.message == NO_KEY_MESSAGE
    assert "\n" not in caught.value.message


def test_a_local_server_needs_no_key(fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    fake_api.push(text_turn("hello from llama"))
    response = model().complete(request())
    assert response.content == [{"type": "text", "text": "hello from llama"}]
    # this SDK sends keys as a bearer token
    assert fake_api.headers[0]["authorization"] == f"Bearer {LOCAL_PLACEHOLDER_KEY}"


def test_the_auth_token_is_honoured(fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok-0123456789")
    fake_api.push(text_turn("ok"))
    model().complete(request())
    assert fake_api.headers[0]["authorization"] == "Bearer tok-0123456789"


def test_make_model_reads_settings(fake_api: FakeAPI) -> None:
    built = make_model(
        "claude-opus-5-5",
        {
            "max_retries": 1,
            "web_search": 3,
            "web_fetch": True,
            "thinking": "adaptive",
            "effort": "high",
        },
    )
    assert isinstance(built, AnthropicModel)
    assert built.name == "claude-opus-5-5" and built.max_retries == 1
    assert built.server_tools == [
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
        {"type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 5},
    ]
    assert built.thinking == {"type": "adaptive", "display": "summarized"}
    assert built.output_config == {"effort": "high"}


def test_make_model_accepts_a_settings_object(fake_api: FakeAPI) -> None:
    from agentgit.core.settings import Settings

    built = make_model("claude-haiku-5-5", Settings(max_retries=7, web_search=0))
    assert isinstance(built, AnthropicModel)
    assert built.max_retries == 7 and built.server_tools == []
    # The defaults keep the reasoning visible at a sane cost.
    assert built.thinking == {"type": "adaptive", "display": "summarized"}
    assert built.output_config == {"effort": "medium"}


def test_make_model_scripted(tmp_path: Path) -> None:
    script = tmp_path / "turns.jsonl"
    script.write_text(json.dumps({"text": "hi", "tool": "abandon", "input": {}}) + "\n")
    built = make_model(f"scripted:{script}", {})
    assert type(built).__name__ == "ScriptedModel"
    assert built.complete(request()).stop_reason == "tool_use"


# --- turns -----------------------------------------------------------------------------------


@both
def test_a_text_turn(fake_api: FakeAPI, stream: bool) -> None:
    fake_api.push(text_turn("Hello.", usage={"input_tokens": 12, "output_tokens": 3}))
    response = model(stream).complete(request())
    assert response.content == [{"type": "text", "text": "Hello."}]
    assert response.stop_reason == "end_turn"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (12, 3)
    assert response.model == OLD_MODEL
    assert response.raw is not None and response.raw["id"].startswith("msg_fake_")
    sent = fake_api.requests[0]
    assert sent["model"] == OLD_MODEL and sent["max_tokens"] == 8192
    assert bool(sent.get("stream")) is stream
    assert "thinking" not in sent and "tool_choice" not in sent
    assert fake_api.headers[0]["authorization"] == f"Bearer {FAKE_KEY}"  # from the env


@both
def test_a_tool_use_turn(fake_api: FakeAPI, stream: bool) -> None:
    fake_api.push(
        tool_use_turn(
            "read",
            {"path": "pieces/a.md", "note": None, "n": [1, 2.5]},
            text="Let me read it.",
            id="toolu_01",
        )
    )
    response = model(stream).complete(request())
    assert response.stop_reason == "tool_use"
    assert response.content == [
        {"type": "text", "text": "Let me read it."},
        {
            "type": "tool_use",
            "id": "toolu_01",
            "name": "read",
            "input": {"path": "pieces/a.md", "note": None, "n": [1, 2.5]},
        },
    ]


@both
@pytest.mark.parametrize("stop", ["pause_turn", "refusal", "max_tokens", "stop_sequence"])
def test_stop_reasons_are_returned_as_given(fake_api: FakeAPI, stream: bool, stop: str) -> None:
    fake_api.push(message_turn([{"type": "text", "text": "…"}], stop))
    assert model(stream).complete(request()).stop_reason == stop


@both
def test_thinking_blocks_round_trip_byte_for_byte(fake_api: FakeAPI, stream: bool) -> None:
    sent_blocks = [
        thinking_block("First, the index.\nThen: a search — “quoted” ✓", "EqQBCkYIARgCKkD+/=="),
        redacted_thinking_block("EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr"),
        {"type": "text", "text": "Reading."},
        {"type": "tool_use", "id": "toolu_9", "name": "read", "input": {"path": "x.md"}},
    ]
    fake_api.push(message_turn(copy.deepcopy(sent_blocks), "tool_use"), text_turn("ok"))
    llm = model(stream)
    first = llm.complete(request())
    assert first.content == sent_blocks
    messages = [
        ORIENTATION,
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "text"}],
        },
    ]
    llm.complete(request(messages))
    assert fake_api.rejections == []
    echoed = fake_api.requests[1]["messages"][1]["content"]
    for original, back in zip(sent_blocks[:2], echoed[:2], strict=True):
        assert json.dumps(back, sort_keys=True) == json.dumps(original, sort_keys=True)


@both
def test_server_tool_blocks_and_usage(fake_api: FakeAPI, stream: bool) -> None:
    blocks = [
        {
            "type": "server_tool_use",
            "id": "srvtoolu_1",
            "name": "web_search",
            "input": {"query": "git notes"},
        },
        {
            "type": "web_search_tool_result",
            "tool_use_id": "srvtoolu_1",
            "content": [
                {
                    "type": "web_search_result",
                    "url": "https://git-scm.com/docs/git-notes",
                    "title": "git-notes",
                    "encrypted_content": "Eo8BCioI",
                    "page_age": None,
                }
            ],
        },
        {"type": "text", "text": "Found it."},
    ]
    usage = {
        "input_tokens": 100,
        "output_tokens": 20,
        "cache_read_input_tokens": 5000,
        "cache_creation_input_tokens": 300,
        "server_tool_use": {"web_search_requests": 2, "web_fetch_requests": 1},
    }
    fake_api.push(message_turn(blocks, "end_turn", usage))
    llm = model(
        stream, server_tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]
    )
    response = llm.complete(request())
    assert response.content[0] == blocks[0]
    assert response.content[1]["content"][0]["url"] == "https://git-scm.com/docs/git-notes"
    u = response.usage
    assert (
        u.input_tokens,
        u.output_tokens,
        u.cache_read_input_tokens,
        u.cache_creation_input_tokens,
        u.server_tool_requests,
    ) == (100, 20, 5000, 300, 3)
    assert [t["name"] for t in fake_api.requests[0]["tools"]] == [
        "read",
        "crystallize",
        "abandon",
        "web_search",
    ]


def test_progress_events_while_streaming(fake_api: FakeAPI) -> None:
    fake_api.push(
        tool_use_turn("read", {"path": "a.md"}, text="x" * 300, thinking=[thinking_block("hmm")])
    )
    events: list[tuple[str, dict[str, Any]]] = []
    model().complete(request(), lambda name, data: events.append((name, data)))
    blocks = [data for name, data in events if name == "block"]
    assert [b["type"] for b in blocks] == ["thinking", "text", "tool_use"]
    assert blocks[-1]["name"] == "read"
    assert any(name == "delta" and data["chars"] > 0 for name, data in events)


def test_a_failing_progress_callback_is_not_a_model_error(fake_api: FakeAPI) -> None:
    fake_api.push(text_turn("hi"))

    def broken(name: str, data: dict[str, Any]) -> None:
        raise KeyError("display gone")

    with pytest.raises(KeyError):
        model().complete(request(), broken)


# --- faults ----------------------------------------------------------------------------------


@both
def test_429_and_529_bursts_then_success(fake_api: FakeAPI, stream: bool) -> None:
    fake_api.push(error(429), error(529), error(529), text_turn("made it"))
    response = model(stream, max_retries=3).complete(request())
    assert response.content[0]["text"] == "made it"
    assert len(fake_api.requests) == 4


@both
def test_a_permanent_500_is_unavailable(fake_api: FakeAPI, stream: bool) -> None:
    fake_api.push(*[error(500, "boom")] * 3)
    with pytest.raises(ModelUnavailable) as caught:
        model(stream, max_retries=2).complete(request())
    assert caught.value.message.startswith("model API unavailable after 2 retries: 500")
    assert caught.value.exit_code == 3 and "\n" not in caught.value.message
    assert len(fake_api.requests) == 3


@both
def test_a_dropped_connection_is_retried(fake_api: FakeAPI, stream: bool) -> None:
    fake_api.push(DROP, text_turn("back"))
    assert model(stream).complete(request()).content[0]["text"] == "back"


@both
def test_a_connection_that_stays_dropped_is_unavailable(fake_api: FakeAPI, stream: bool) -> None:
    fake_api.push(DROP, DROP, DROP)
    with pytest.raises(ModelUnavailable) as caught:
        model(stream, max_retries=2).complete(request())
    assert "model API unavailable after 2 retries: cannot reach" in caught.value.message
    assert len(fake_api.requests) == 3


def test_a_stream_cut_mid_way_is_retried(
    fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("agentgit.models.anthropic.MID_STREAM_BACKOFF", 0.001)
    cut = tool_use_turn("read", {"path": "a.md"}, text="partial")
    cut["cut_after"] = 4
    fake_api.push(cut, tool_use_turn("read", {"path": "a.md"}, text="whole"))
    response = model().complete(request())
    assert response.content[0]["text"] == "whole"


def test_a_stream_that_keeps_breaking_is_unavailable(
    fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("agentgit.models.anthropic.MID_STREAM_BACKOFF", 0.001)
    fake_api.push(
        {"stream_error": {"type": "overloaded_error", "message": "Overloaded"}},
        {**text_turn("x"), "cut_after": 3},
        {"stream_error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    with pytest.raises(ModelUnavailable) as caught:
        model(max_retries=2).complete(request())
    assert "the response stream broke off" in caught.value.message


@both
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "the API key was refused"),
        (403, "not allowed"),
        (404, "not found (404)"),
        (400, "the model API rejected the request (400): prompt is too long"),
    ],
)
def test_client_errors_are_model_errors(
    fake_api: FakeAPI, stream: bool, status: int, expected: str
) -> None:
    fake_api.push(error(status, "prompt is too long"))
    with pytest.raises(ModelError) as caught:
        model(stream).complete(request())
    assert not isinstance(caught.value, ModelUnavailable)
    assert expected in caught.value.message
    assert len(fake_api.requests) == 1  # not retried


# --- tools and prompt caching ----------------------------------------------------------------


def conversation(turns: int, tool_calls: int = 1) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [copy.deepcopy(ORIENTATION)]
    for t in range(turns):
        uses = [
            {"type": "tool_use", "id": f"t{t}_{i}", "name": "read", "input": {"path": "a"}}
            for i in range(tool_calls)
        ]
        messages.append({"role": "assistant", "content": [{"type": "text", "text": "go"}, *uses]})
        results = [{"type": "tool_result", "tool_use_id": u["id"], "content": "body"} for u in uses]
        messages.append(
            {"role": "user", "content": [*results, {"type": "text", "text": f"[turn {t}]"}]}
        )
    return messages


def test_breakpoints_on_tools_system_orientation_and_last_message(fake_api: FakeAPI) -> None:
    params = model().build_params(request(conversation(3)))
    assert params["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert all("cache_control" not in t for t in params["tools"][:-1])
    assert params["system"] == [
        {"type": "text", "text": "You are the agent.", "cache_control": {"type": "ephemeral"}}
    ]
    assert "cache_control" in params["messages"][0]["content"][-1]
    assert "cache_control" in params["messages"][-1]["content"][-1]
    assert len(marked(params)) == 4


def test_first_turn_orientation_is_the_moving_breakpoint() -> None:
    params = {
        "system": [{"type": "text", "text": "s"}],
        "tools": [{"name": "a"}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "o"}]}],
    }
    assert place_cache_breakpoints(params) == ["moving", "system", "tools"]


def test_a_long_tail_keeps_an_intermediate_breakpoint() -> None:
    messages = conversation(2, tool_calls=12)  # the last exchange adds 13 + 13 blocks
    params = {
        "system": [{"type": "text", "text": "s"}],
        "tools": [{"name": "a"}],
        "messages": copy.deepcopy(messages),
    }
    placed = place_cache_breakpoints(params)
    assert placed == ["moving", "intermediate", "orientation", "system"]
    assert "cache_control" in params["messages"][-3]["content"][-1]  # where the last request ended
    assert "cache_control" not in params["tools"][-1]
    assert len(marked(params)) == 4


def test_a_short_tail_needs_no_intermediate() -> None:
    params = {
        "system": [{"type": "text", "text": "s"}],
        "tools": [{"name": "a"}],
        "messages": conversation(2, tool_calls=3),
    }
    assert "intermediate" not in place_cache_breakpoints(params)


def test_thinking_and_empty_text_are_never_marked() -> None:
    messages = [
        copy.deepcopy(ORIENTATION),
        {
            "role": "assistant",
            "content": [
                {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}},
                {"type": "text", "text": ""},
                thinking_block("paused mid-thought"),
            ],
        },
    ]
    params = {"messages": messages}
    place_cache_breakpoints(params)
    last = params["messages"][-1]["content"]
    assert "cache_control" in last[0]
    assert "cache_control" not in last[1] and "cache_control" not in last[2]


@both
def test_the_callers_messages_are_not_modified(fake_api: FakeAPI, stream: bool) -> None:
    messages = conversation(2)
    messages[1]["content"][0]["cache_control"] = {"type": "ephemeral"}  # stale, from elsewhere
    messages.append({"role": "user", "content": "a plain string message"})
    tools = copy.deepcopy(TOOLS)
    before = copy.deepcopy((messages, tools))
    fake_api.push(text_turn("ok"))
    model(stream).complete(ModelRequest(system="s", messages=messages, tools=tools))
    assert (messages, tools) == before
    sent = fake_api.requests[0]
    assert len(marked(sent)) == 4
    assert "cache_control" not in sent["messages"][1]["content"][0]  # the stale one is gone
    assert sent["messages"][-1]["content"] == [
        {"type": "text", "text": "a plain string message", "cache_control": {"type": "ephemeral"}}
    ]


def test_allowed_tools_restrict_what_is_sent(fake_api: FakeAPI) -> None:
    fake_api.push(tool_use_turn("abandon", {"reason": "r", "summary": "s"}))
    llm = model(server_tools=[{"type": "web_search_20250305", "name": "web_search"}])
    response = llm.complete(request(conversation(1), allowed_tools=["abandon", "crystallize"]))
    assert response.content[0]["name"] == "abandon"
    sent = fake_api.requests[0]
    assert [t["name"] for t in sent["tools"]] == ["crystallize", "abandon"]  # order kept
    assert sent["tool_choice"] == {"type": "auto"}  # forcing is a 400 on current models
    assert fake_api.rejections == []


# --- prompt-cache accounting (the benchmark's fake) -------------------------------------------


def big_text(n: int) -> dict[str, Any]:
    return {"type": "text", "text": "x" * (4 * n)}  # about n tokens


def bill(accountant: Any, messages: list[dict[str, Any]]) -> dict[str, int]:
    params = {
        "model": "m",
        "system": [big_text(2000)],
        "tools": [{"name": "t"}],
        "messages": copy.deepcopy(messages),
    }
    place_cache_breakpoints(params)
    return accountant(params)


def test_the_accountant_reads_the_previous_prefix_and_writes_the_rest() -> None:
    from fakeapi import CacheAccountant

    acc = CacheAccountant(min_tokens=1024)
    first = [{"role": "user", "content": [big_text(3000)]}]
    u1 = bill(acc, first)
    assert u1["cache_read_input_tokens"] == 0 and u1["input_tokens"] == 0
    second = [
        *first,
        {"role": "assistant", "content": [big_text(100)]},
        {"role": "user", "content": [big_text(200)]},
    ]
    u2 = bill(acc, second)
    assert u2["cache_read_input_tokens"] == u1["cache_creation_input_tokens"]
    assert u2["input_tokens"] == 0 and 300 < u2["cache_creation_input_tokens"] < 340  # + JSON


def test_the_lookback_guard_keeps_long_turns_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    from fakeapi import CacheAccountant

    def reads(guard: int) -> int:
        monkeypatch.setattr("agentgit.models.anthropic.LOOKBACK_SAFE_BLOCKS", guard)
        acc = CacheAccountant(min_tokens=1024)
        history = conversation(2)
        bill(acc, history)
        longer = conversation(3, tool_calls=12)  # one more exchange of 26 blocks
        longer[:5] = history
        return bill(acc, longer)["cache_read_input_tokens"]

    with_guard, without = reads(18), reads(10**9)
    assert with_guard > without  # without it only the orientation prefix is found


def test_the_cache_benchmark_reaches_its_limit(
    fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A whole session (agent loop, tools, git) over the SDK, thinking blocks and all."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import cache_bench

    run = cache_bench.run_session("agentgit", 8, tmp_path)  # sets ANTHROPIC_*: fixture restores
    assert (run.outcome, run.turns) == ("crystallized", 8)
    assert run.limit - run.share <= 0.02
    assert run.cost() < run.uncached_cost()
