"""The fake Messages API refuses, with 400 as the service does, what the service refuses
(DESIGN §9 "Every request is valid"): a fake that accepts more hides exactly the bugs
it is there to find. Through the real SDK for the HTTP answer; the rules one by one."""

from __future__ import annotations

import threading
from typing import Any

import anthropic
import pytest
from fakeapi import FAKE_KEY, FakeAPI, conversation_problem, text_turn

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
        assert api._validate({"messages": [answer(*[marked] * 4)]}) is None
        assert "maximum of 4" in (api._validate({"messages": [answer(*[marked] * 5)]}) or "")


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
