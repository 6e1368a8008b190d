"""Turns for the fake Messages API (tests/fakeapi.py) and whole sessions run against it,
in-process or through the command line: what the tests of a session on the real SDK share."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import agentgit, git
from fakeapi import (
    FakeAPI,
    tool_use_turn,
)
from helpers import rev

from agentgit.core.settings import Settings
from agentgit.corpus import formats
from agentgit.git import Repository
from agentgit.lifecycle import Result, run, start
from agentgit.models import make_model
from agentgit.models.base import Usage
from agentgit.models.pricing import cost_usd

MODEL = "claude-sonnet-5-5"


OLD_MODEL = "claude-sonnet-4-6"  # before the current generation: reasoning in text blocks


NOTES = "refs/notes/agentgit"


# Fixed usage per turn, so costs are exact: see test_kept_and_abandoned_sessions.
USAGE = {
    "input_tokens": 1000,
    "output_tokens": 200,
    "cache_read_input_tokens": 5000,
    "cache_creation_input_tokens": 300,
}


# Retries stay fast: every scripted error carries retry-after-ms: 1, and one retry is
# enough to show that the SDK's retries are switched on.
FAST = {"AGENTGIT_MAX_RETRIES": "1"}


def call(
    name: str,
    tool_input: Any,
    *,
    n: int,
    text: str | None = None,
    usage: dict[str, Any] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """One tool call with a distinct id (n) and, by default, the fixed usage."""
    return tool_use_turn(
        name,
        tool_input,
        id=f"toolu_{n:04d}_{name}",
        text=text or f"Step {n}.",
        usage=dict(USAGE) if usage is None else usage,
        **kw,
    )


def draft(
    n: int, slug: str = "tides", body: str = "The moon pulls the sea.\n", **kw: Any
) -> dict[str, Any]:
    return call(
        "write_draft",
        {
            "slug": slug,
            "title": slug.title(),
            "body": body,
            "summary": f"On {slug}.",
            "tags": ["test"],
        },
        n=n,
        **kw,
    )


def note(n: int, words: str = "Noted.", **kw: Any) -> dict[str, Any]:
    return call("note", {"text": words}, n=n, **kw)


def keep(n: int, slugs: tuple[str, ...] = ("tides",), **kw: Any) -> dict[str, Any]:
    return call("crystallize", {"slugs": list(slugs), "summary": "Wrote it."}, n=n, **kw)


def drop_it(n: int, reason: str = "nothing pulled", **kw: Any) -> dict[str, Any]:
    return call("abandon", {"reason": reason, "summary": "It went nowhere."}, n=n, **kw)


def cli(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return agentgit(repo, *args, env={**FAST, **(env or {})}, timeout=60)


def cli_session(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return cli(repo, "session", "--model", MODEL, *args, env=env)


def in_process(
    repo: Path, settings: Settings | None = None, topic: str | None = None, stream: bool = True
) -> Result:
    """What `agentgit session` does, without the subprocess."""
    settings = settings or Settings(model=MODEL, max_retries=1)
    r = Repository.discover(repo)
    model = make_model(settings.model, {**settings.__dict__, "stream": stream})
    current = start(r, settings, topic=topic, model_name=model.name)
    return run(r, current, model, settings)


def log_entry(repo: Path, number: int, rev: str = "main") -> formats.LogEntry:
    names = git(repo, "ls-tree", "-r", "--name-only", rev, "corpus/log").split()
    (name,) = [n for n in names if n.rsplit("/", 1)[-1].startswith(f"{number:04d}-")]
    return formats.parse_log_entry(git(repo, "show", f"{rev}:{name}"), name)


def transcript_note(repo: Path, number: int) -> dict[str, Any]:
    head = rev(repo, f"refs/agentgit/sessions/{number:04d}")
    return json.loads(git(repo, "notes", "--ref", NOTES, "show", head))


def transcript_file(repo: Path, number: int) -> Path:
    return repo / ".git" / "agentgit" / "transcripts" / f"{number:04d}.json"


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of the last user message of a request."""
    last = body["messages"][-1]
    assert last["role"] == "user", last
    return [b for b in last["content"] if b.get("type") == "tool_result"]


def result_for(api: FakeAPI, tool_id: str) -> dict[str, Any]:
    for body in api.requests:
        for message in body["messages"]:
            for block in message["content"]:
                if block.get("type") == "tool_result" and block["tool_use_id"] == tool_id:
                    return block
    raise AssertionError(f"no tool_result for {tool_id}")


def result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content)
    return str(content)


def turn_cost(usage: dict[str, Any], model: str = MODEL) -> float:
    cost = cost_usd(model, Usage.from_dict(usage))
    assert cost is not None
    return cost


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    return lines[-1]


def assert_interrupted(proc: subprocess.CompletedProcess[str], number: int) -> str:
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    # Progress lines go to stderr too; the error is one line, the last.
    line = one_line(proc.stderr)
    assert line.startswith("agentgit: session "), proc.stderr
    assert [x for x in proc.stderr.splitlines() if x.startswith("agentgit:")] == [line]
    assert f"agentgit resume {number}" in line
    return line


def branch_of(repo: Path, number: int) -> str:
    out = git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/session/")
    (ref,) = [r for r in out.split() if r.startswith(f"refs/heads/session/{number:04d}-")]
    return ref
