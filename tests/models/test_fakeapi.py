"""The fake Messages API refuses, with 400 as the service does, what the service refuses
(DESIGN §9 "Every request is valid"): a fake that accepts more hides exactly the bugs
it is there to find. Through the real SDK for the HTTP answer; the rules one by one."""

from __future__ import annotations

import threading
from typing import Any

import anthropic
import pytest
from fakeapi import FAKE_KEY, FakeAPI, conversation_problem, text_turn, thinking_block

ASK = {"role": "user", "content": [{"type": "text", "text": "Go on."}]}


def use(*ids: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Calling."},
            *({"type": "tool_use", "id": i, "name": "read", "input": {}} for i in ids),
        ],
    }


def result(tool_id: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": "ok"}


def answer(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


TEXT = {"type": "text", "text": "More."}

VALID = {
    "answered": [ASK, use("a", "b"), answer(result("a"), result("b"))],
    "answered then text": [ASK, use("a"), answer(result("a"), TEXT)],
    "string content": [{"role": "user", "content": "Hello."}],
    "final assistant prefill": [
        ASK,
        {"role": "assistant", "content": [{"type": "text", "text": "The answer is"}]},
    ],
    "empty final assistant": [ASK, {"role": "assistant", "content": []}],
}
INVALID = {
    "unanswered": ([ASK, use("a"), ASK], "without `tool_result`"),
    "half answered": ([ASK, use("a", "b"), answer(result("a"))], "['b']"),
    "answered after text": ([ASK, use("a"), answer(TEXT, result("a"))], "immediately after"),
    "answered a message late": (
        [ASK, use("a"), ASK, use("b"), answer(result("a"), result("b"))],
        "without `tool_result`",
    ),
    "tool_use last": ([ASK, use("a")], "without `tool_result`"),
    "stray result": ([ASK, use("a"), answer(result("a"), result("z"))], "unexpected"),
    "result with no tool_use": ([answer(result("a"))], "unexpected"),
    "empty content list": ([ASK, {"role": "assistant", "content": []}, ASK], "non-empty"),
    "empty user message": ([{"role": "user", "content": []}], "non-empty"),
    "empty string content": ([{"role": "user", "content": ""}], "non-whitespace"),
    "empty text block": (
        [
            ASK,
            {
                "role": "assistant",
                "content": [{"type": "text", "text": ""}, {"type": "text", "text": "x"}],
            },
            ASK,
        ],
        "non-whitespace",
    ),
    "blank text in a user message": ([answer({"type": "text", "text": " \n"})], "non-whitespace"),
    "an id used twice": (
        [ASK, use("a"), answer(result("a")), use("a"), answer(result("a"))],
        "ids must be unique",
    ),
    "answered twice": ([ASK, use("a"), answer(result("a"), result("a"))], "ids must be unique"),
    "thinking in a user message": (
        [answer(thinking_block("mine"))],
        "only appear in `assistant` messages",
    ),
    "thinking after text": (
        [ASK, {"role": "assistant", "content": [TEXT, thinking_block("late")]}, ASK],
        "the first block must be thinking or redacted_thinking. Found text",
    ),
    "thinking last": (
        [ASK, {"role": "assistant", "content": [thinking_block("only")]}, ASK],
        "final block in an assistant message cannot be `thinking`",
    ),
}


@pytest.mark.parametrize("name", VALID)
def test_what_the_service_accepts_passes(name: str) -> None:
    assert conversation_problem(VALID[name]) is None


@pytest.mark.parametrize("name", INVALID)
def test_what_the_service_refuses_is_named(name: str) -> None:
    messages, words = INVALID[name]
    problem = conversation_problem(messages)
    assert problem is not None and words in problem, problem


def test_the_sdk_gets_a_400_and_the_next_valid_request_is_answered() -> None:
    with FakeAPI([text_turn("Hello.")]) as api:
        client = anthropic.Anthropic(api_key=FAKE_KEY, base_url=api.url, max_retries=0)
        with pytest.raises(anthropic.BadRequestError) as caught:
            client.messages.create(
                model="claude-sonnet-5-5", max_tokens=10, messages=[ASK, use("a"), ASK]
            )  # type: ignore[list-item]
        assert "tool_result" in str(caught.value)
        assert api.rejections and api.remaining == 1  # nothing was consumed
        reply = client.messages.create(model="claude-sonnet-5-5", max_tokens=10, messages=[ASK])  # type: ignore[list-item]
        assert reply.content[0].text == "Hello."  # type: ignore[union-attr]


def test_more_than_four_cache_breakpoints_get_a_400() -> None:
    marked = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    with FakeAPI() as api:
        base = {"model": "claude-sonnet-5-5", "max_tokens": 10}
        assert api._validate({**base, "messages": [answer(*[marked] * 4)]}) is None
        assert "maximum of 4" in (
            api._validate({**base, "messages": [answer(*[marked] * 5)]}) or ""
        )
        # top-level (automatic) caching takes one of the four places
        five = {**base, "messages": [answer(*[marked] * 4)], "cache_control": marked}
        assert "maximum of 4" in (api._validate(five) or "")


OLD_MODEL = "claude-sonnet-4-5"
REFUSED_REQUESTS = {
    "an unknown field": ({"temprature": 0.5}, "Extra inputs are not permitted"),
    "an unknown field on a message": (
        {"messages": [{"role": "user", "content": "go", "name": "me"}]},
        "messages.0.name: Extra inputs",
    ),
    "no max_tokens": ({"max_tokens": None}, "max_tokens"),
    "max_tokens zero": ({"max_tokens": 0}, "max_tokens"),
    "max_tokens over the model's ceiling": (
        {"max_tokens": 64_001},
        "maximum allowed number of output tokens for claude-sonnet-4-5",
    ),
    "a role that is neither": ({"messages": [{"role": "system", "content": "go"}]}, "role"),
    "a budget not below max_tokens": (
        {"thinking": {"type": "enabled", "budget_tokens": 2048}, "max_tokens": 2048},
        "greater than `thinking.budget_tokens`",
    ),
    "a budget under 1024": (
        {"thinking": {"type": "enabled", "budget_tokens": 512}, "max_tokens": 4096},
        "1024",
    ),
    "temperature with thinking": (
        {"thinking": {"type": "enabled", "budget_tokens": 1024}, "temperature": 0.2},
        "temperature",
    ),
    "a thinking block in a user message": (
        {"messages": [{"role": "user", "content": [thinking_block("mine")]}]},
        "only appear in `assistant` messages",
    ),
    "an unknown field in a content block": (
        {"messages": [answer({**TEXT, "id": "t1"})]},
        "messages.0.content.0.text.id: Extra inputs are not permitted",
    ),
    "an unknown field in a tool result's content": (
        {
            "messages": [
                ASK,
                use("a"),
                answer({**result("a"), "content": [{**TEXT, "role": "tool"}]}),
            ]
        },
        "messages.2.content.0.tool_result.content.0.text.role: Extra inputs",
    ),
    "an unknown field in a system block": (
        {"system": [{**TEXT, "name": "rules"}]},
        "system.0.text.name: Extra inputs",
    ),
    "an unknown field on a tool": (
        {"tools": [{"name": "read", "input_schema": {"type": "object"}, "title": "Read"}]},
        "tools.0.custom.title: Extra inputs",
    ),
    "a tool name outside the pattern": (
        {"tools": [{"name": "corpus.read", "input_schema": {"type": "object"}}]},
        "tools.0.custom.name: String should match pattern",
    ),
    "a tool name used twice": (
        {"tools": [{"name": "read", "input_schema": {"type": "object"}}] * 2},
        "Tool names must be unique",
    ),
    "a tool without an object schema": (
        {"tools": [{"name": "read", "input_schema": {"type": "string"}}]},
        "tools.0.custom.input_schema.type: Input should be 'object'",
    ),
    "a tool name too long": (
        {"tools": [{"name": "r" * 129, "input_schema": {"type": "object"}}]},
        "tools.0.custom.name: String should match pattern",
    ),
}


@pytest.mark.parametrize("name", REFUSED_REQUESTS)
def test_the_fake_refuses_malformed_requests_as_the_service_does(name: str) -> None:
    change, words = REFUSED_REQUESTS[name]
    params = {"model": OLD_MODEL, "max_tokens": 4096, "messages": [ASK], **change}
    if params["max_tokens"] is None:
        del params["max_tokens"]
    with FakeAPI([text_turn("never")]) as api:
        client = anthropic.Anthropic(api_key=FAKE_KEY, base_url=api.url, max_retries=0)
        with pytest.raises(anthropic.BadRequestError) as refused:
            client.post("/v1/messages", body=params, cast_to=object)
        assert refused.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
        assert words in str(refused.value)
        assert api.remaining == 1


def test_forced_tool_choice_is_refused_with_thinking_even_where_forcing_is_allowed() -> None:
    tool = {"name": "t", "input_schema": {"type": "object"}}
    forced = {"type": "tool", "name": "t"}
    with FakeAPI([text_turn("ok")], reject_forced_tool_choice=False) as api:
        client = anthropic.Anthropic(api_key=FAKE_KEY, base_url=api.url, max_retries=0)
        with pytest.raises(anthropic.BadRequestError, match="forced tool use"):
            client.messages.create(
                model=OLD_MODEL,
                max_tokens=4096,
                messages=[ASK],  # type: ignore[list-item]
                tools=[tool],  # type: ignore[list-item]
                tool_choice=forced,  # type: ignore[typeddict-item]
                thinking={"type": "enabled", "budget_tokens": 1024},
            )
        reply = client.messages.create(
            model=OLD_MODEL,
            max_tokens=4096,
            messages=[ASK],  # type: ignore[list-item]
            tools=[tool],  # type: ignore[list-item]
            tool_choice=forced,  # type: ignore[typeddict-item]
        )
        assert reply.content[0].text == "ok"  # type: ignore[union-attr]


def test_a_delayed_answer_ends_when_the_fake_stops() -> None:
    api = FakeAPI([{**text_turn("late"), "delay": 600}]).start()
    client = anthropic.Anthropic(api_key=FAKE_KEY, base_url=api.url, max_retries=0, timeout=600)
    failures: list[BaseException] = []

    def call() -> None:
        try:
            client.messages.create(model="claude-sonnet-5-5", max_tokens=10, messages=[ASK])  # type: ignore[list-item]
        except BaseException as exc:  # noqa: BLE001 - whatever ends the call is fine
            failures.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while not api.requests:
        caller.join(0.01)
    api.stop()
    caller.join(60)  # returns: the held answer did not outlive the server
    assert not caller.is_alive()
