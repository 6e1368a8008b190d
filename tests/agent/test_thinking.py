"""The reasoning reaches the commits on the current models (DESIGN §3), whose text
between tool calls comes back in thinking blocks: against the fake Messages API
answering as those models do (empty thinking unless a display returns it, signed
blocks, the settings they refuse)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import agentgit, git
from fakeapi import (
    FAKE_KEY,
    FakeAPI,
    message_turn,
    sign_thinking,
    text_turn,
    thinking_block,
    tool_use_turn,
)
from fakeapi import max_output as fake_max_output
from fakegithub import REPOSITORY, TOKEN, FakeGitHub
from helpers import attached_remote

from agentgit.agent.loop import reasoning_before
from agentgit.core.errors import Interrupted, UsageError
from agentgit.core.settings import Settings, load
from agentgit.git import Repository
from agentgit.lifecycle import Result, run, start
from agentgit.models import DEFAULT_MODEL, make_model
from agentgit.models.anthropic import AnthropicModel
from agentgit.models.base import ModelRequest
from agentgit.models.capabilities import _TABLE, request_shape

FAST = {"AGENTGIT_MAX_RETRIES": "1"}
REASONS = [
    "Orienting: tides is missing from the index.",
    "The draft needs the sun's part too.",
    "It stands on its own now; keep it.",
]


def turns(reasons: list[str] = REASONS) -> list[dict[str, Any]]:
    """Draft, edit, keep: each step preceded by its reasoning (written as text; the fake
    turns it into a thinking block on the current models)."""
    body = "The moon pulls the sea.\n"
    return [
        tool_use_turn(
            "write_draft",
            {"slug": "tides", "title": "Tides", "body": body, "summary": "On tides."},
            text=reasons[0],
            id="toolu_1",
        ),
        tool_use_turn(
            "edit_draft",
            {"slug": "tides", "old": "the sea.", "new": "the sea, and the sun helps."},
            text=reasons[1],
            id="toolu_2",
        ),
        tool_use_turn(
            "crystallize",
            {"slugs": ["tides"], "summary": "Wrote tides."},
            text=reasons[2],
            id="toolu_3",
        ),
    ]


def bodies(repo: Path, rev: str) -> list[str]:
    """The commit messages, past the subject, of the session's explorations (the
    commits of a tool step), oldest first."""
    out = git(repo, "log", "--reverse", "--first-parent", "--format=%B%x00", rev)
    return [b.strip().split("\n\n", 1)[-1] for b in out.split("\x00") if "Agentgit-Tool:" in b]


def in_process(repo: Path, settings: Settings) -> Result:
    r = Repository.discover(repo)
    model = make_model(settings.model, settings)
    current = start(r, settings, topic=None, model_name=model.name)
    return run(r, current, model, settings)


# -- the fake answers as the current models do ----------------------------------------


def test_the_default_display_returns_empty_thinking(fake_api: FakeAPI) -> None:
    """Why agentgit asks for a display: without one the reasoning is gone."""
    fake_api.push(turns()[0])
    llm = AnthropicModel(
        DEFAULT_MODEL, thinking="adaptive", thinking_display="omitted", max_retries=0
    )
    response = llm.complete(ModelRequest("sys", [{"role": "user", "content": "go"}], []))
    thinking = [b for b in response.content if b["type"] == "thinking"]
    assert thinking and thinking[0]["thinking"] == "" and thinking[0]["signature"]
    assert not [b for b in response.content if b["type"] == "text"]
    assert reasoning_before(response.content, response.content[-1], 4000) == ""


@pytest.mark.parametrize(
    "body,why",
    [
        ({"tool_choice": {"type": "any"}}, "forced tool use"),
        ({"tool_choice": {"type": "tool", "name": "read"}}, "forced tool use"),
        ({"extra_body": {"temperature": 0.5}}, "sampling"),  # this SDK no longer takes them
        ({"extra_body": {"top_k": 5}}, "sampling"),
        ({"thinking": {"type": "disabled"}}, "between_tools"),
        ({"thinking": {"type": "enabled", "budget_tokens": 2048}}, "budgets"),
        ({"thinking": {"type": "between_tools"}, "output_config": {"effort": "max"}}, "effort"),
        ({"thinking": {"type": "adaptive", "display": "updates"}}, "display"),
        ({"max_tokens": 128_001}, "maximum allowed"),
        (
            {
                "messages": [
                    {"role": "user", "content": "go"},
                    {"role": "assistant", "content": [{"type": "text", "text": "Sure"}]},
                ]
            },
            "prefill",
        ),
    ],
)
def test_the_fake_refuses_what_the_current_models_refuse(
    fake_api: FakeAPI, body: dict[str, Any], why: str
) -> None:
    import anthropic

    # an explicit timeout: else the SDK refuses a large max_tokens without streaming
    client = anthropic.Anthropic(base_url=fake_api.url, api_key=FAKE_KEY, max_retries=0, timeout=30)
    params: dict[str, Any] = {
        "model": DEFAULT_MODEL,
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "go"}],
        **body,
    }
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.messages.create(**params)
    assert why in str(refused.value)


def test_between_tools_is_refused_where_the_model_does_not_take_it(fake_api: FakeAPI) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=fake_api.url, api_key=FAKE_KEY, max_retries=0)
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(
            model="claude-opus-5-5",
            max_tokens=100,
            thinking={"type": "between_tools"},
            messages=[{"role": "user", "content": "go"}],
        )


def conversation_with(block: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": [{"type": "text", "text": "go"}]},
        {
            "role": "assistant",
            "content": [block, {"type": "tool_use", "id": "t1", "name": "read", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}],
        },
    ]


@pytest.mark.parametrize(
    "change,why",
    [
        ("text", "unmodified"),
        ("signature", "Invalid `signature`"),
        ("model", "written by"),
        ("conversation", "different conversation"),
    ],
)
def test_the_fake_checks_every_thinking_block_sent_back(
    fake_api: FakeAPI, change: str, why: str
) -> None:
    import anthropic

    prefix = [{"role": "user", "content": [{"type": "text", "text": "go"}]}]
    author = "claude-opus-5-5" if change == "model" else DEFAULT_MODEL
    block = {
        "type": "thinking",
        "thinking": "Plan.",
        "signature": sign_thinking(author, "Plan.", "Plan.", prefix),
    }
    messages = conversation_with(block)
    good = json.loads(json.dumps(messages))
    if change == "text":
        block["thinking"] = "Plan!"
    elif change == "signature":
        block["signature"] = block["signature"][:-2] + "00"
    elif change == "conversation":
        messages[0]["content"][0]["text"] = "go on"
    client = anthropic.Anthropic(base_url=fake_api.url, api_key=FAKE_KEY, max_retries=0)
    fake_api.push(text_turn("fine"))
    client.messages.create(model=author, max_tokens=100, messages=good)  # as issued
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.messages.create(model=DEFAULT_MODEL, max_tokens=100, messages=messages)
    assert why in str(refused.value)


# -- what agentgit sends ---------------------------------------------------------------


@pytest.mark.parametrize("model", [prefix.rstrip("-") for prefix, _ in _TABLE])
@pytest.mark.parametrize("thinking", ["adaptive", "between_tools"])
def test_no_model_is_sent_what_it_refuses(model: str, thinking: str, fake_api: FakeAPI) -> None:
    """Per the capability table: no budget, no "disabled", no sampling parameters, no
    forced choice, between_tools only where taken, and effort only where it exists."""
    llm = AnthropicModel(
        model, thinking=thinking, thinking_display="summarized", effort="medium", max_retries=0
    )
    params = llm.build_params(
        ModelRequest(
            "sys",
            [{"role": "user", "content": "go"}],
            [],
            max_tokens=llm.turn_tokens,
            allowed_tools=["abandon"],
        )
    )
    assert not {"temperature", "top_p", "top_k"} & set(params)
    assert params.get("tool_choice", {"type": "auto"}) == {"type": "auto"}
    sent = params.get("thinking")
    if sent is not None:
        assert sent["type"] in ("adaptive", "between_tools") and "budget_tokens" not in sent
    if sent and sent["type"] == "between_tools":
        assert model == "claude-sonnet-5-5"
    if model.startswith(
        ("claude-sonnet-5-5", "claude-opus-5-5", "claude-fable-5", "claude-haiku-5-5")
    ):
        assert sent is not None  # the reasoning is asked for
        assert sent["type"] == "between_tools" or sent["display"] == "summarized"
    assert params["max_tokens"] == llm.turn_tokens


def test_an_unknown_model_gets_no_thinking_parameters() -> None:
    shape = request_shape("llama-3.3-70b", "adaptive", "summarized", "high")
    assert (shape.thinking, shape.output_config, shape.max_output) == (None, None, None)


def test_the_turn_has_room_for_the_thinking_its_effort_brings() -> None:
    rooms = [
        request_shape(DEFAULT_MODEL, "adaptive", "summarized", e).turn_tokens
        for e in ("low", "medium", "high", "max")
    ]
    assert rooms == sorted(rooms) and rooms[0] > 8192 and rooms[-1] <= 128_000


def test_settings_for_thinking_are_checked(tmp_path: Path) -> None:
    assert load(None, env={}).thinking == "adaptive"
    with pytest.raises(UsageError, match="thinking_display must be one of"):
        load(None, env={"AGENTGIT_THINKING_DISPLAY": "full"})
    with pytest.raises(UsageError, match="effort must be one of"):
        load(None, {"effort": "extreme"}, env={})
    with pytest.raises(UsageError, match="between_tools works at effort"):
        load(None, {"thinking": "between_tools", "effort": "max"}, env={})


def test_reasoning_is_what_preceded_each_call() -> None:
    content = [
        {"type": "thinking", "thinking": "First I read.", "signature": "s"},
        {"type": "tool_use", "id": "a", "name": "read", "input": {}},
        {"type": "redacted_thinking", "data": "x"},
        {"type": "text", "text": "Then I note."},
        {"type": "thinking", "thinking": "And why.", "signature": "s"},
        {"type": "tool_use", "id": "b", "name": "note", "input": {}},
        {"type": "tool_use", "id": "c", "name": "note", "input": {}},
    ]
    assert reasoning_before(content, content[1], 100) == "First I read."
    assert reasoning_before(content, content[5], 100) == "Then I note.\n\nAnd why."
    # a call made together with the one before it: what that one was given
    assert reasoning_before(content, content[6], 100) == "Then I note.\n\nAnd why."
    assert reasoning_before(content[:2] + content[6:], content[6], 100) == "First I read."
    assert reasoning_before(content, content[5], 8) == "Then I n […]"


# -- whole sessions --------------------------------------------------------------------


@pytest.mark.parametrize("thinking", ["adaptive", "between_tools"])
def test_every_exploration_commit_carries_the_reasoning(
    corpus_repo: Path, fake_api: FakeAPI, thinking: str
) -> None:
    fake_api.push(*turns())
    done = agentgit(corpus_repo, "session", env={**FAST, "AGENTGIT_THINKING": thinking})
    assert done.returncode == 0, done.stderr
    assert not fake_api.rejections
    sent = fake_api.requests[0]
    assert sent["model"] == DEFAULT_MODEL
    if thinking == "adaptive":
        assert sent["thinking"] == {"type": "adaptive", "display": "summarized"}
    else:
        assert sent["thinking"] == {"type": "between_tools"}
    assert sent["output_config"] == {"effort": "medium"}
    # the reasoning came as thinking, not text
    served = fake_api.responses[0]["content"]
    assert [b["type"] for b in served] == ["thinking", "tool_use"]
    explorations = bodies(corpus_repo, "refs/agentgit/sessions/0001")
    assert len(explorations) == 2
    for body, reason in zip(explorations, REASONS, strict=False):
        assert body.startswith(reason)
    shown = agentgit(corpus_repo, "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert REASONS[0] in shown.stdout and REASONS[1] in shown.stdout


@pytest.mark.parametrize("thinking", ["adaptive", "between_tools"])
def test_the_pull_request_body_carries_the_reasoning(
    corpus_repo: Path,
    fake_api: FakeAPI,
    fake_github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    thinking: str,
) -> None:
    attached_remote(tmp_path, corpus_repo)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    fake_api.push(*turns())
    result = in_process(corpus_repo, Settings(max_retries=1, review="pr", thinking=thinking))
    assert result.outcome == "in-review"
    body = fake_github.pulls[1]["body"]
    assert REASONS[0] in body and REASONS[1] in body


def test_a_session_killed_after_a_step_resumes_with_its_signed_blocks(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    script = turns()
    # the turn that follows what the conversation holds, however the resume rebuilds it
    fake_api.responder = lambda body: script[
        min(2, sum(m["role"] == "assistant" for m in body["messages"]))
    ]
    killed = agentgit(corpus_repo, "session", env={**FAST, "AGENTGIT_TEST_KILL_AT": "step:2"})
    assert killed.returncode == -9
    done = agentgit(corpus_repo, "resume", "1", env=FAST)
    assert done.returncode == 0, done.stderr
    assert not fake_api.rejections  # every signature checked, every one intact
    resent = [m for m in fake_api.requests[-1]["messages"] if m["role"] == "assistant"]
    assert resent[0]["content"][0] == fake_api.responses[0]["content"][0]
    assert "corpus/pieces/tides.md" in git(corpus_repo, "ls-tree", "-r", "--name-only", "main")


def test_a_resume_with_another_model_does_not_send_the_first_ones_thinking(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    from fakeapi import error

    fake_api.push(turns()[0], error(500), error(500))
    with pytest.raises(Interrupted):
        in_process(corpus_repo, Settings(max_retries=1))
    fake_api.push(*turns()[1:])
    done = agentgit(corpus_repo, "resume", "1", "--model", "claude-opus-5-5", env=FAST)
    assert done.returncode == 0, done.stderr
    assert "not sending 1 thinking block(s) written by claude-sonnet-5-5" in done.stderr
    assert not fake_api.rejections  # the fake refuses another model's blocks
    later = fake_api.requests[-1]
    assert later["model"] == "claude-opus-5-5"
    first_turn = [m for m in later["messages"] if m["role"] == "assistant"][0]["content"]
    assert [b["type"] for b in first_turn] == ["tool_use"]
    # the reasoning of the step before the switch stays in its commit, the block in the
    # transcript, and the session goes on as the new model
    assert bodies(corpus_repo, "refs/agentgit/sessions/0001")[0].startswith(REASONS[0])
    note = json.loads(
        git(
            corpus_repo,
            "notes",
            "--ref",
            "refs/notes/agentgit",
            "show",
            "refs/agentgit/sessions/0001",
        )
    )
    kept = [m for m in note["messages"] if m["role"] == "assistant"][0]["content"]
    assert kept[0] == fake_api.responses[0]["content"][0]
    assert "Agentgit-Model: claude-opus-5-5" in git(corpus_repo, "log", "-1", "main")


def test_room_raised_for_one_model_is_not_sent_to_another(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    from fakeapi import error

    cut = message_turn(
        [
            thinking_block("Long."),
            {"type": "tool_use", "id": "toolu_c", "name": "note", "input": {}},
        ],
        "max_tokens",
    )
    fake_api.push(cut, error(500), error(500))
    with pytest.raises(Interrupted):
        in_process(corpus_repo, Settings(max_retries=1))
    raised = fake_api.requests[-1]["max_tokens"]
    assert raised == 2 * fake_api.requests[0]["max_tokens"]
    fake_api.push(*turns())
    done = agentgit(corpus_repo, "resume", "1", "--model", "claude-sonnet-4-5", env=FAST)
    assert done.returncode == 0, done.stderr
    after = [r for r in fake_api.requests if r["model"] == "claude-sonnet-4-5"]
    assert after and all(r["max_tokens"] == 8192 for r in after)  # its own, no thinking
    assert all("thinking" not in r for r in after)


def test_a_thinking_block_cut_before_its_signature_is_not_sent_back(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    unsigned = {
        **message_turn(
            [{"type": "thinking", "thinking": "Half a tho", "signature": ""}], "max_tokens"
        ),
        "as_is": True,
    }
    fake_api.push(unsigned, *turns())
    result = in_process(corpus_repo, Settings(max_retries=1))
    assert result.outcome == "crystallized"
    assert not fake_api.rejections  # the fake refuses a block without a valid signature
    cut_turn = [m for m in fake_api.requests[1]["messages"] if m["role"] == "assistant"][0]
    assert [b["type"] for b in cut_turn["content"]] == ["text"]


def test_the_room_of_a_turn_fits_what_the_cost_cap_has_left(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.push(*turns())
    in_process(corpus_repo, Settings(max_retries=1, max_cost=0.05))
    # $10 per million output tokens on the default model: $0.05 buys 5,000
    assert fake_api.requests[0]["max_tokens"] <= 5000


def test_a_reply_cut_after_thinking_gets_more_room_not_an_endless_redo(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    long_think = thinking_block("I weigh every angle of the tides at length.")
    cut = message_turn(
        [
            long_think,
            {
                "type": "tool_use",
                "id": "toolu_cut",
                "name": "write_draft",
                "input": {"slug": "tides"},
            },
        ],
        "max_tokens",
    )
    fake_api.push(cut, *turns())
    result = in_process(corpus_repo, Settings(max_retries=1))
    assert result.outcome == "crystallized"
    assert not fake_api.rejections
    first, second = fake_api.requests[0]["max_tokens"], fake_api.requests[1]["max_tokens"]
    assert second == 2 * first
    told = json.dumps(fake_api.requests[1]["messages"][-1])
    assert "cut off" in told and "after thinking" in told and str(second) in told


def test_replies_cut_again_and_again_end_the_session(corpus_repo: Path, fake_api: FakeAPI) -> None:
    cut = message_turn([thinking_block("Still thinking.")], "max_tokens")
    fake_api.push(cut, cut, cut, cut)
    result = in_process(corpus_repo, Settings(max_retries=1, max_nudges=2))
    assert result.outcome == "abandoned"
    assert result.reason == "replies kept running past the output limit"
    assert len(fake_api.requests) == 3
    assert not fake_api.rejections  # a message that ends in thinking is refused
    rooms = [r["max_tokens"] for r in fake_api.requests]
    assert rooms == sorted(rooms) and rooms[-1] <= 128_000
    assert not fake_api.rejections


def test_a_scrubbed_secret_in_thinking_leaves_the_resume_valid(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    secret = "tok-0123456789-very-secret"
    thought = f"The service token is {secret}; I will not use it."
    fake_api.push(
        tool_use_turn("note", {"text": "a note"}, text=thought, id="toolu_n"),
        {"status": 500, "body": {}, "headers": {"retry-after-ms": "1"}},
        {"status": 500, "body": {}, "headers": {"retry-after-ms": "1"}},
    )
    env = {**FAST, "MY_SERVICE_TOKEN": secret}
    down = agentgit(corpus_repo, "session", env=env)
    assert down.returncode == 3, down.stderr
    saved = (corpus_repo / ".git/agentgit/transcripts/0001.json").read_text("utf-8")
    assert secret not in saved
    fake_api.push(*turns())
    done = agentgit(corpus_repo, "resume", "1", env=env)
    assert done.returncode == 0, done.stderr
    assert "not sending 1 thinking block(s) that follow scrubbed content" in done.stderr
    assert not fake_api.rejections  # the altered block was not sent back
    everything = git(corpus_repo, "log", "--all", "-p", "--format=%B")  # notes included
    assert secret not in everything and "[scrubbed]" in everything


def test_every_current_sdk_model_has_its_traits() -> None:
    """The table covers what this SDK offers, so no current model is sent nothing (and
    its reasoning lost) for want of a row."""
    import typing

    from anthropic._data import DEPRECATED_MODELS
    from anthropic.types.model_param import ModelParam

    from agentgit.models.capabilities import traits_for

    listed = typing.get_args(typing.get_args(ModelParam)[0])
    missing = [m for m in listed if m not in DEPRECATED_MODELS and traits_for(m) is None]
    assert missing == []


def test_scrubbed_looking_text_in_the_corpus_does_not_unbind_thinking(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    """Only where the scrubber changed the conversation are blocks held back: a piece
    that merely says "[scrubbed]" changes nothing."""
    from fakeapi import error

    (corpus_repo / "corpus/pieces/quoted.md").write_text(
        "---\ntitle: Quoted\n---\n\nThe log said [scrubbed] there.\n"
    )
    git(corpus_repo, "add", "corpus/pieces")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "A piece")
    read = tool_use_turn("read", {"path": "pieces/quoted.md"}, text="Reading it.", id="toolu_r")
    fake_api.push(read, error(500), error(500))
    with pytest.raises(Interrupted):
        in_process(corpus_repo, Settings(max_retries=1))
    fake_api.push(*turns())
    done = agentgit(corpus_repo, "resume", "1", env=FAST)
    assert done.returncode == 0, done.stderr
    assert "not sending" not in done.stderr and not fake_api.rejections
    resent = [m for m in fake_api.requests[-1]["messages"] if m["role"] == "assistant"]
    assert resent[0]["content"][0] == fake_api.responses[0]["content"][0]


def test_a_resume_thinks_as_the_session_began(corpus_repo: Path, fake_api: FakeAPI) -> None:
    from fakeapi import error

    fake_api.push(turns()[0], error(500), error(500))
    down = agentgit(
        corpus_repo,
        "session",
        env={**FAST, "AGENTGIT_EFFORT": "high", "AGENTGIT_THINKING": "between_tools"},
    )
    assert down.returncode == 3, down.stderr
    fake_api.push(*turns()[1:])
    done = agentgit(corpus_repo, "resume", "1", env=FAST)
    assert done.returncode == 0, done.stderr
    last = fake_api.requests[-1]
    assert last["output_config"] == {"effort": "high"}
    assert last["thinking"] == {"type": "between_tools"}


@pytest.mark.parametrize(
    ("model", "ceiling"),
    [
        ("claude-opus-4-8", 128_000),
        ("claude-opus-4-7", 128_000),
        ("claude-opus-4-6", 128_000),
        ("claude-sonnet-4-6", 128_000),
        ("claude-opus-4-5", 64_000),
        ("claude-sonnet-4-5-20250929", 64_000),
        ("claude-haiku-4-5", 64_000),
        ("claude-sonnet-5-5", 128_000),
    ],
)
def test_the_output_ceiling_is_the_models_and_the_fake_holds_it(model: str, ceiling: int) -> None:
    # The models overview: Opus 4.6-4.8 and Sonnet 4.6 write up to 128K, the 4.5 models 64K.
    assert request_shape(model, "adaptive", "summarized", "medium").max_output == ceiling
    assert fake_max_output(model) == ceiling
