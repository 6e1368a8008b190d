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
from typing import Any, cast

from agentgit.agent.loop import thinking_blocks
from agentgit.agent.state import AgentState
from agentgit.core.errors import AgentgitError
from agentgit.core.scrub import Scrubber, secrets_from_env
from agentgit.models.base import Usage
from agentgit.session.meta import SessionMeta

VERSION = 1


_scrubbers: dict[tuple[str, ...], Scrubber] = {}


def _scrub(data: dict[str, Any]) -> dict[str, Any]:
    secrets = tuple(secrets_from_env())
    if secrets not in _scrubbers:
        _scrubbers.clear()  # the environment changed (a test): start again
        _scrubbers[secrets] = Scrubber(list(secrets))
    return cast(dict[str, Any], _scrubbers[secrets](data))


def scrubbed(data: dict[str, Any]) -> dict[str, Any]:
    """`data` as a transcript would hold it: secrets scrubbed."""
    return _scrub(data)


def transcript_path(state_dir: Path, session: int) -> Path:
    return state_dir / "transcripts" / f"{session:04d}.json"


def save(path: Path, meta: SessionMeta | dict[str, Any], state: AgentState) -> None:
    """`meta` is the record, or the keys as a transcript holds them."""
    fields = meta.to_dict() if isinstance(meta, SessionMeta) else meta
    data = {"version": VERSION, **fields, **state_to_dict(state)}
    scrubbed = _scrub(data)
    # Where scrubbing changed the conversation, the thinking blocks from there on are
    # bound to a conversation the saved copy no longer holds: a resume must not send them.
    scrubbed["scrubbed_from"] = next(
        (
            i
            for i, (a, b) in enumerate(zip(data["messages"], scrubbed["messages"], strict=True))
            if a != b
        ),
        None,
    )
    if scrubbed["scrubbed_from"] is None and data.get("pending") != scrubbed.get("pending"):
        scrubbed["scrubbed_from"] = len(data["messages"])  # the pending answer, next in line
    # Compact: json's fast encoder writes no indentation, and this file is written twice
    # a turn. The note a person reads is indented (`note_text`).
    text = json.dumps(scrubbed, ensure_ascii=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


def note_text(path: Path) -> str:
    """The saved transcript as the note on the session's commit holds it: indented, for
    `git notes show`."""
    text = path.read_text("utf-8")
    try:
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"
    except json.JSONDecodeError:
        return text  # as it is: `show --transcript` says what is wrong with it


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
    if not isinstance(data, dict) or data.get("version") != VERSION or _malformed(data):
        raise AgentgitError("the transcript has an unknown format")
    return data


def session_meta(data: dict[str, Any]) -> SessionMeta:
    """The session's record in a parsed transcript: every key but the agent's state."""
    try:
        return SessionMeta.from_dict({k: v for k, v in data.items() if k not in STATE_KEYS})
    except ValueError:
        raise AgentgitError("the transcript has an unknown format") from None


# What `save` writes beside the session's record: the agent's state and the format.
STATE_KEYS = frozenset(
    {
        "version",
        "messages",
        "turn",
        "usage",
        "cost_usd",
        "nudges",
        "elapsed",
        "turns",
        "final_turn",
        "thinking_model",
        "cutoffs",
        "turn_tokens",
        "unsent",
        "scrubbed_from",
        "pending",
    }
)


# The agent's state; the session's record checks its own (SessionMeta.from_dict).
_SHAPE: dict[str, type | tuple[type, ...]] = {
    "messages": list,
    "turns": list,
    "usage": (dict, type(None)),
    "pending": (dict, type(None)),
    "turn": int,
    "nudges": int,
    "elapsed": (int, float),
    "cost_usd": (int, float, type(None)),
    "final_turn": bool,
    "thinking_model": str,
    "cutoffs": int,
    "turn_tokens": int,
    "unsent": list,
    "scrubbed_from": (int, type(None)),
}


def _malformed(data: dict[str, Any]) -> bool:
    """Whether what resuming reads is missing or of the wrong kind (a hand-edited or
    truncated-then-mended file): better one line now than a traceback mid-session."""
    if "messages" not in data:
        return True
    if any(key in data and not isinstance(data[key], kind) for key, kind in _SHAPE.items()):
        return True
    try:
        session_meta(data)  # the session's record (its id, slug, clock, ...) too
    except AgentgitError:
        return True
    if not all(
        isinstance(r, list) and len(r) == 2 and all(isinstance(n, int) for n in r)
        for r in data.get("unsent") or []
    ):
        return True
    return not all(
        isinstance(m, dict) and m.get("role") in ("user", "assistant") for m in data["messages"]
    )


def state_to_dict(state: AgentState) -> dict[str, Any]:
    messages, pending = state.messages, state.pending
    if pending is None and messages and _calls_tools(messages[-1]):
        # Stopped between the model's answer and running its calls: the answer is saved
        # as pending, so the saved messages never end in an unanswered tool_use.
        messages, pending = messages[:-1], {"turn": state.turn, "message": messages[-1]}
    return {
        "messages": messages,
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
        "unsent": state.unsent,
        "pending": pending,
    }


def _calls_tools(message: dict[str, Any]) -> bool:
    content = message.get("content")
    return (
        message.get("role") == "assistant"
        and isinstance(content, list)
        and any(isinstance(b, dict) and b.get("type") == "tool_use" for b in content)
    )


def state_from_dict(data: dict[str, Any]) -> AgentState:
    messages = data["messages"]
    unsent = [list(r) for r in data.get("unsent") or []]
    notices = []
    scrubbed = data.get("scrubbed_from")
    if isinstance(scrubbed, int):
        held = [scrubbed, len(messages) + 1]  # + 1: a pending answer joins them next
        count = thinking_blocks(messages, [held])
        if count:
            unsent.append(held)
            notices.append(
                f"not sending {count} thinking block(s) that follow scrubbed "
                "content: the API binds them to the conversation as it was"
            )
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
        unsent=unsent,
        notices=notices,
        pending=data.get("pending") if isinstance(data.get("pending"), dict) else None,
    )


def assistant_turns(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's turns as a script, for `agentgit replay`."""
    records = data.get("turns", [])
    turns = []
    for i, message in enumerate(m for m in data["messages"] if m["role"] == "assistant"):
        record = records[i] if i < len(records) else {}
        turns.append(
            {
                "content": message["content"],
                "stop_reason": record.get("stop_reason", "tool_use"),
                "usage": record.get("usage"),
            }
        )
    return turns


def render_transcript(text: str) -> str:
    """A transcript note as readable text: one block per message."""
    data = parse(text)  # a note that is not a transcript is one line, not a traceback
    meta = session_meta(data)
    out = [f"session {meta.session:04d} · model {meta.model} · started {meta.started}"]
    for message in data.get("messages", []):
        role = message["role"]
        content = message["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        for block in content:
            kind = block.get("type")
            if kind == "text":
                out.append(f"[{role}] {block['text']}")
            elif kind == "tool_use":
                args = json.dumps(block.get("input"), ensure_ascii=False)
                out.append(f"[{role} → {block.get('name')}] {args[:2000]}")
            elif kind == "tool_result":
                body = block.get("content")
                if isinstance(body, list):
                    body = " ".join(b.get("text", "") for b in body if isinstance(b, dict))
                flag = " (error)" if block.get("is_error") else ""
                out.append(f"[result{flag}] {str(body)[:2000]}")
            elif kind in ("thinking", "redacted_thinking"):
                out.append(f"[{role} thinking] {str(block.get('thinking', '…'))[:2000]}")
            else:
                out.append(f"[{role} {kind}]")
    return "\n\n".join(out)
