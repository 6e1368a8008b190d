"""`resume` and `abandon` report what the session used, like `session` does, when they
only land a session that had already judged (issue 9, item 13: it said "0 tokens")."""

from __future__ import annotations

from pathlib import Path

from conftest import agentgit
from fakeapi import FakeAPI, tool_use_turn

from agentgit.models.base import Usage
from agentgit.models.pricing import cost_usd

MODEL = "claude-sonnet-5-5"
USAGE = {
    "input_tokens": 1000,
    "output_tokens": 200,
    "cache_read_input_tokens": 5000,
    "cache_creation_input_tokens": 300,
}


def test_resume_of_a_judged_session_reports_its_tokens_and_cost(
    corpus_repo: Path,
    fake_api: FakeAPI,
) -> None:
    fake_api.push(
        tool_use_turn("note", {"text": "Looked."}, id="toolu_1", usage=USAGE),
        tool_use_turn(
            "abandon", {"reason": "nothing", "summary": "No."}, id="toolu_2", usage=USAGE
        ),
    )
    env = {"AGENTGIT_MAX_RETRIES": "0"}
    killed = agentgit(
        corpus_repo, "session", "--model", MODEL, env={**env, "AGENTGIT_TEST_KILL_AT": "judged"}
    )
    assert killed.returncode == -9, killed.stderr
    resumed = agentgit(corpus_repo, "resume", "1", env=env)
    assert resumed.returncode == 0, resumed.stderr
    usage = Usage.from_dict(USAGE) + Usage.from_dict(USAGE)
    cost = cost_usd(MODEL, Usage.from_dict(USAGE))
    assert cost is not None
    assert f"  2 turns · {usage.total:,} tokens · ${2 * cost:.4f}" in resumed.stdout.splitlines()
    assert len(fake_api.requests) == 2  # landed from the judged commit: no model asked
