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

from agentgit.errors import ModelError
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
        turns = []
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                turn = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ModelError(f"scripted model: {path}:{number}: {exc.msg}") from None
            if not isinstance(turn, dict):
                raise ModelError(f"scripted model: {path}:{number}: a turn must be an object")
            turns.append(turn)
        return cls(turns)

    def complete(self, request: ModelRequest, progress: ProgressFn | None = None) -> ModelResponse:
        index = sum(1 for m in request.messages if m.get("role") == "assistant")
        if index >= len(self.turns):
            return ModelResponse([{"type": "text", "text": EXHAUSTED}], "end_turn",
                                 Usage(), self.name)
        turn = self.turns[index]
        return ModelResponse(
            content=json.loads(json.dumps(turn["content"])),  # a fresh copy every time
            stop_reason=turn.get("stop_reason", "tool_use"),
            usage=Usage.from_dict(turn.get("usage")),
            model=self.name,
        )


def _normalise(turn: dict[str, Any], index: int) -> dict[str, Any]:
    if "content" in turn:
        content = turn["content"]
        if not isinstance(content, list):
            raise ModelError(f"scripted model: turn {index + 1}: content must be a list")
    else:
        content = []
        if turn.get("text"):
            content.append({"type": "text", "text": str(turn["text"])})
        if turn.get("tool"):
            content.append({"type": "tool_use", "name": turn["tool"],
                            "input": turn.get("input", {})})
    # Deterministic ids, so a replay produces byte-identical transcripts.
    for n, block in enumerate(content):
        if isinstance(block, dict) and block.get("type") == "tool_use" and not block.get("id"):
            block["id"] = f"toolu_s{index + 1:03d}_{n}"
    has_tool = any(isinstance(b, dict) and b.get("type") == "tool_use" for b in content)
    stop = turn.get("stop_reason") or ("tool_use" if has_tool else "end_turn")
    return {"content": content, "stop_reason": stop, "usage": turn.get("usage")}
