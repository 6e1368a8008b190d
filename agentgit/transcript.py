"""The session's transcript: the whole exchange with the model plus the state to resume.

It lives in the git dir (never in a tree) and is rewritten atomically after every
turn, so a crash loses at most the turn in flight. At the end it is attached to the
session's last commit as a note under refs/notes/agentgit. Secrets are scrubbed
before anything is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agentgit.agent import AgentState, drop_thinking
from agentgit.errors import AgentgitError
from agentgit.models.base import Usage

VERSION = 1


def _scrub(data: dict[str, Any]) -> dict[str, Any]:
    from agentgit.scrub import scrub, secrets_from_env

    return scrub(data, secrets_from_env())


def transcript_path(state_dir: Path, session: int) -> Path:
    return state_dir / "transcripts" / f"{session:04d}.json"


def save(path: Path, meta: dict[str, Any], state: AgentState) -> None:
    data = {"version": VERSION, **meta, **state_to_dict(state)}
    text = json.dumps(_scrub(data), indent=1, ensure_ascii=False, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


def load(path: Path) -> dict[str, Any]:
    try:
        return parse(path.read_text(encoding="utf-8"))
    except OSError:
        raise AgentgitError(f"no transcript at {path}") from None


def parse(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AgentgitError(f"the transcript is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise AgentgitError("the transcript has an unknown format")
    return data


def state_to_dict(state: AgentState) -> dict[str, Any]:
    return {
        "messages": state.messages,
        "turn": state.turn,
        "usage": state.usage.to_dict(),
        "cost_usd": state.cost_usd,
        "nudges": state.nudges,
        "elapsed": state.elapsed,
        "turns": state.turns,
        "final_turn": state.final_turn,
        "thinking_model": state.thinking_model,
        "cutoffs": state.cutoffs,
        "turn_tokens": state.turn_tokens,
    }


def state_from_dict(data: dict[str, Any]) -> AgentState:
    messages = data["messages"]
    unbind_scrubbed(messages)
    return AgentState(
        messages=messages,
        turn=int(data.get("turn", 0)),
        usage=Usage.from_dict(data.get("usage")),
        cost_usd=data.get("cost_usd"),
        nudges=int(data.get("nudges", 0)),
        elapsed=float(data.get("elapsed", 0.0)),
        turns=list(data.get("turns", [])),
        final_turn=bool(data.get("final_turn", False)),
        thinking_model=str(data.get("thinking_model") or data.get("model") or ""),
        cutoffs=int(data.get("cutoffs", 0)),
        turn_tokens=int(data.get("turn_tokens", 0)),
    )


def unbind_scrubbed(messages: list[dict[str, Any]]) -> int:
    """The API binds each thinking block to the exact conversation before it. Where the
    saved transcript was scrubbed, the conversation read back differs from the one the
    model saw, so the thinking blocks from there on would be refused: they are dropped
    (the model reads its earlier turns without them). How many went."""
    from agentgit.scrub import REPLACEMENT

    first = next((i for i, m in enumerate(messages)
                  if REPLACEMENT in json.dumps(m, ensure_ascii=False)), None)
    return 0 if first is None else drop_thinking(messages, first)


def assistant_turns(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's turns as a script, for `agentgit replay`."""
    records = data.get("turns", [])
    turns = []
    for i, message in enumerate(m for m in data["messages"] if m["role"] == "assistant"):
        record = records[i] if i < len(records) else {}
        turns.append({"content": message["content"],
                      "stop_reason": record.get("stop_reason", "tool_use"),
                      "usage": record.get("usage")})
    return turns
