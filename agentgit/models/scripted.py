"""A deterministic model that replays assistant turns from a JSONL file, offline.

Each line is one assistant turn: {"content": [blocks], "stop_reason"?, "usage"?}.
A shorthand line {"text": "...", "tool": "name", "input": {...}} is accepted too.
The turn to play is chosen by counting the assistant messages in the request, so a
resumed session picks up exactly where the transcript stopped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentgit.core.errors import ModelError
from agentgit.models.base import ModelRequest, ModelResponse, ProgressFn, Usage

EXHAUSTED = "(The script has no more turns.)"


class ScriptedModel:
    def __init__(self, turns: list[dict[str, Any]], name: str = "scripted") -> None:
        self.turns = [_normalise(turn, i) for i, turn in enumerate(turns)]
        self.name = name

    @classmethod
    def from_file(cls, path: Path) -> ScriptedModel:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ModelError(f"scripted model: cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ModelError(f"scripted model: {path} is not UTF-8 text") from None
        turns = []
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                turn = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ModelError(f"scripted model: {path}:{number}: {exc.msg}") from None
            problem = _problem(turn)
            if problem:
                raise ModelError(f"scripted model: {path}:{number}: {problem}")
            turns.append(turn)
        if not turns:
            # A session of nudges that ends abandoned is all an empty script could make.
            raise ModelError(f"scripted model: {path} has no turns")
        return cls(turns)

    def complete(self, request: ModelRequest, progress: ProgressFn | None = None) -> ModelResponse:
        index = sum(1 for m in request.messages if m.get("role") == "assistant")
        if index >= len(self.turns):
            return ModelResponse(
                [{"type": "text", "text": EXHAUSTED}], "end_turn", Usage(), self.name
            )
        turn = self.turns[index]
        return ModelResponse(
            content=json.loads(json.dumps(turn["content"])),  # a fresh copy every time
            stop_reason=turn.get("stop_reason", "tool_use"),
            usage=Usage.from_dict(turn.get("usage")),
            model=self.name,
        )


def _problem(turn: Any) -> str | None:
    """What makes `turn` unplayable, checked before a session starts (a bad turn found
    midway would stop a session that had already claimed an id), or None."""
    if not isinstance(turn, dict):
        return "a turn must be an object"
    if "content" in turn:
        content = turn["content"]
        if not isinstance(content, list):
            return "content must be a list"
        for block in content:
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                return "each content block must be an object with a string type"
            if block["type"] == "tool_use" and not (
                isinstance(block.get("name"), str) and isinstance(block.get("input"), dict)
            ):
                return "a tool_use block needs a string name and an object input"
    else:
        if "tool" in turn and not isinstance(turn["tool"], str):
            return "tool must be a string"
        if not isinstance(turn.get("input", {}), dict):
            return "input must be an object"
    if not isinstance(turn.get("stop_reason") or "", str):
        return "stop_reason must be a string"
    if not isinstance(turn.get("usage") or {}, dict):
        return "usage must be an object"
    try:
        Usage.from_dict(turn.get("usage"))
    except (TypeError, ValueError, AttributeError):
        return "usage must map token counts to numbers"
    return None


def _normalise(turn: dict[str, Any], index: int) -> dict[str, Any]:
    problem = _problem(turn)
    if problem:
        raise ModelError(f"scripted model: turn {index + 1}: {problem}")
    if "content" in turn:
        content = turn["content"]
    else:
        content = []
        if turn.get("text"):
            content.append({"type": "text", "text": str(turn["text"])})
        if turn.get("tool"):
            content.append(
                {"type": "tool_use", "name": turn["tool"], "input": turn.get("input", {})}
            )
    # Deterministic ids, so a replay produces byte-identical transcripts.
    for n, block in enumerate(content):
        if isinstance(block, dict) and block.get("type") == "tool_use" and not block.get("id"):
            block["id"] = f"toolu_s{index + 1:03d}_{n}"
    has_tool = any(isinstance(b, dict) and b.get("type") == "tool_use" for b in content)
    stop = turn.get("stop_reason") or ("tool_use" if has_tool else "end_turn")
    return {"content": content, "stop_reason": stop, "usage": turn.get("usage")}
