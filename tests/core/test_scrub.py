"""Secrets never reach a transcript."""

from __future__ import annotations

import pytest

from agentgit.core.scrub import REPLACEMENT, scrub, scrub_text, secrets_from_env

ENV = {
    "ANTHROPIC_API_KEY": "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
    "ANTHROPIC_AUTH_TOKEN": "oauth-token-value-123",
    "GITHUB_TOKEN": "ghp_" + "a" * 36,
    "MY_SERVICE_PASSWORD": "hunter2hunter2",
    "DB_CREDENTIALS": "user:pass@host",
    "aws_secret_access_key": "AKIAxxxxSECRETyyyy",
    "SHORT_TOKEN": "abc",
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/someone",
}


def test_secrets_from_env_picks_credentials_by_name() -> None:
    found = secrets_from_env(ENV)
    assert set(found) == {
        ENV[k]
        for k in (
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "GITHUB_TOKEN",
            "MY_SERVICE_PASSWORD",
            "DB_CREDENTIALS",
            "aws_secret_access_key",
        )
    }
    assert found == sorted(found, key=len, reverse=True)  # longest first


def test_scrub_nested_data_is_a_deep_copy() -> None:
    secrets = secrets_from_env(ENV)
    data = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "content": f"the key is {ENV['ANTHROPIC_API_KEY']}!"},
                    {"type": "text", "text": "nothing here", "n": 3, "ok": True, "none": None},
                ],
            }
        ],
        ENV["MY_SERVICE_PASSWORD"]: ("tuple", ENV["DB_CREDENTIALS"]),
        "headers": {"authorization": "Bearer oauth-token-value-123"},
    }
    clean = scrub(data, secrets)
    text = repr(clean)
    for secret in secrets:
        assert secret not in text
    assert clean["messages"][0]["content"][0]["content"] == f"the key is {REPLACEMENT}!"
    assert clean["messages"][0]["content"][1] == data["messages"][0]["content"][1]
    assert clean[REPLACEMENT] == ("tuple", REPLACEMENT)
    assert ENV["ANTHROPIC_API_KEY"] in repr(data)  # the original is untouched


def test_patterns_catch_credentials_that_are_not_in_the_environment() -> None:
    samples = {
        "key sk-ant-api03-XyZ_123-abc in text": f"key {REPLACEMENT} in text",
        "token ghp_0123456789abcdefghijABCDEFGHIJ0123 here": f"token {REPLACEMENT} here",
        "gho_0123456789abcdefghijKLMN": REPLACEMENT,
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop": REPLACEMENT,
        "Authorization: Bearer abc.def-ghi_jkl": f"Authorization: Bearer {REPLACEMENT}",
        "x-api-key: secretvalue123": f"x-api-key: {REPLACEMENT}",
        '{"X-Api-Key": "secretvalue123"}': f'{{"X-Api-Key": "{REPLACEMENT}"}}',
    }
    for raw, expected in samples.items():
        assert scrub_text(raw) == expected


def test_ordinary_text_is_left_alone() -> None:
    text = "A bearer of news; the key idea is a token economy. ghp_short."
    assert scrub({"t": text}, []) == {"t": text}


def test_signed_thinking_blocks_are_scrubbed_but_keep_their_signatures() -> None:
    """The text of a thinking block is the model's visible reasoning: scrubbed like any
    text (a resume then leaves the altered block unsent: see test_thinking.py); the
    signature and redacted data are opaque and go back as they were."""
    secret = "env-secret-value-123456"
    thinking = {
        "type": "thinking",
        "thinking": "Bearer abcdefgh12345 expires",
        "signature": "Bearer abcdefgh12345",
    }
    leaky = {"type": "thinking", "thinking": f"the key is {secret}", "signature": "s"}
    redacted = {"type": "redacted_thinking", "data": "x-api-key: abcdefgh12345"}
    text = {"type": "text", "text": "Bearer abcdefgh12345 expires"}
    out = scrub([thinking, leaky, redacted, text], [secret])
    assert out[0] == {**thinking, "thinking": "Bearer [scrubbed] expires"}
    assert secret not in out[1]["thinking"] and "[scrubbed]" in out[1]["thinking"]
    assert out[2] == redacted
    assert out[3]["text"] == "Bearer [scrubbed] expires"


def test_a_scrubber_remembers_what_it_scrubbed_within_a_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agentgit.core.scrub import Scrubber

    scrubber = Scrubber(["sk-secret-value", ""])
    monkeypatch.setattr(Scrubber, "REMEMBERED", 3)
    for i in range(10):
        data = {"messages": [f"turn {i} says sk-secret-value", "same text"]}
        assert scrubber(data) == {"messages": [f"turn {i} says [scrubbed]", "same text"]}
        assert len(scrubber._done) <= 3 + 4  # cleared once past the bound, then refilled
