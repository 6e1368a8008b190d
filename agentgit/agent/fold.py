"""Folding an experiment session's old runs out of the conversation it sends (DESIGN
§10): a night of a hundred runs must fit the model's context, yet the transcript keeps
every run whole.

The runs before the last multiple of `every` are folded: each old run's answer becomes
its one line (experiment, status, value), the code the old edits wrote and the files
read before it become a note of their size, the folded turns' thinking goes (it is bound
to the prefix the fold changes), and the last folded run's answer carries a bounded
summary of all the folded runs. Nothing changes between two fold points, so the
prefix the API caches is rebuilt once every `every` runs, not at every turn.
"""

from __future__ import annotations

import copy
from typing import Any

FOLD_EVERY = 10  # runs between two folds
SUMMARY_LINES = 60  # of the folded runs, the most recent shown one a line
CODE_TOOLS = ("write_file", "edit_file")
READ_TOOLS = ("read_file",)
RUN_TOOL = "run_experiment"
THINKING = ("thinking", "redacted_thinking")


def fold(messages: list[dict[str, Any]], every: int = FOLD_EVERY) -> list[dict[str, Any]]:
    """`messages` as sent: the runs before the last fold point folded (a copy; the
    saved conversation is not touched)."""
    names: dict[str, str] = {}
    runs: list[tuple[int, int, str]] = []  # (message index, block index, first line)
    for i, message in enumerate(messages):
        for j, block in enumerate(_blocks(message)):
            if block.get("type") == "tool_use":
                names[str(block.get("id"))] = str(block.get("name"))
            elif (
                block.get("type") == "tool_result"
                and names.get(str(block.get("tool_use_id"))) == RUN_TOOL
            ):
                text = _text(block)
                if text.startswith("experiment "):
                    runs.append((i, j, text.splitlines()[0]))
    folded = (len(runs) // every) * every
    if folded == 0:
        return messages
    edge = runs[folded - 1][0]  # messages up to this one are folded
    out = [copy.deepcopy(m) if i <= edge else m for i, m in enumerate(messages)]
    lines = [line for _, _, line in runs[:folded]]
    for n, (i, j, line) in enumerate(runs[:folded]):
        block = out[i]["content"][j]
        if n == folded - 1:
            shown = lines[-SUMMARY_LINES:]
            more = len(lines) - len(shown)
            block["content"] = (
                f"{line}\n\n[The first {folded} runs, folded (the transcript keeps them "
                "whole; `agentgit experiments` lists them):\n"
                + (f"... {more} earlier runs\n" if more else "")
                + "\n".join(shown)
                + "]"
            )
        else:
            block["content"] = f"{line} [folded]"
    for i in range(edge + 1):
        _drop_thinking(out[i])
        for block in _blocks(out[i]):
            name = names.get(str(block.get("id") or block.get("tool_use_id")))
            if block.get("type") == "tool_use" and name in CODE_TOOLS:
                block["input"] = _folded_input(block.get("input"))
            elif block.get("type") == "tool_result" and name in READ_TOOLS + CODE_TOOLS:
                text = _text(block)
                if len(text) > 200:
                    block["content"] = f"[folded: {len(text):,} characters]"
    return out


def _drop_thinking(message: dict[str, Any]) -> None:
    """A thinking block is bound to the conversation before it, which the fold changes:
    sent back, the API would refuse it. The folded turns go without theirs (the
    transcript keeps them); the turns after the edge were answered to this folded
    prefix, so theirs stay valid until the next fold point."""
    if message.get("role") != "assistant" or not isinstance(message.get("content"), list):
        return
    kept = [b for b in message["content"] if _kind(b) not in THINKING]
    if len(kept) != len(message["content"]):
        message["content"] = kept or [{"type": "text", "text": "[thinking folded]"}]


def _kind(block: Any) -> Any:
    return block.get("type") if isinstance(block, dict) else None


def _folded_input(tool_input: Any) -> Any:
    if not isinstance(tool_input, dict):
        return tool_input
    folded = dict(tool_input)
    for key in ("content", "old", "new"):
        value = folded.get(key)
        if isinstance(value, str) and len(value) > 200:
            folded[key] = f"[folded: {len(value):,} characters]"
    return folded


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""
