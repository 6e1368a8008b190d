"""A session's ground (DESIGN §8): the pieces it read and the pieces it wrote.

Reading is a `read` or `history` call on a piece that answered without an error; a
passage `search` gave counts once the model opened its piece (a `read` of it), never by
being listed. What a session wrote is what it kept. The log entry records the ground
(`ground: {read, wrote}`); for an older entry it is derived from the conversation the
transcript note holds, and where there is neither it is unknown: never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from agentgit.corpus.formats import SLUG_RE

READING_TOOLS = ("read", "history")


@dataclass(frozen=True)
class Ground:
    read: tuple[str, ...]
    wrote: tuple[str, ...]

    def record(self) -> dict[str, list[str]]:
        """As the log entry's frontmatter holds it."""
        return {"read": list(self.read), "wrote": list(self.wrote)}


def piece_slug(path: object) -> str | None:
    """The slug of a piece a tool's path names (``pieces/x.md``, ``corpus/pieces/x.md``,
    ``./pieces/x.md``), or None when it names something else."""
    if not isinstance(path, str) or "\\" in path or "\0" in path:
        return None
    parts = [p for p in PurePosixPath(path.strip()).parts if p != "."]
    if parts[:1] == ["corpus"]:
        parts = parts[1:]
    if len(parts) != 2 or parts[0] != "pieces" or not parts[1].endswith(".md"):
        return None
    slug = parts[1][:-3]
    return slug if SLUG_RE.match(slug) else None


def read_in(messages: Iterable[Mapping[str, Any]]) -> list[str]:
    """The pieces a conversation read, in the order first read: each `read` or `history`
    tool call on a piece whose result was not an error."""
    calls: dict[str, str] = {}  # tool_use id -> slug
    order: list[str] = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use" and block.get("name") in READING_TOOLS:
                tool_input = block.get("input")
                slug = piece_slug(tool_input.get("path") if isinstance(tool_input, dict) else None)
                if slug is not None and isinstance(block.get("id"), str):
                    calls[block["id"]] = slug
            elif block.get("type") == "tool_result" and not block.get("is_error"):
                slug = calls.pop(str(block.get("tool_use_id")), None)
                if slug is not None and slug not in order:
                    order.append(slug)
    return order


def of_transcript(text: str, wrote: Iterable[str]) -> Ground | None:
    """The ground a transcript note shows (None: not a transcript of ours)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list):
        return None
    return Ground(tuple(read_in(messages)), tuple(dict.fromkeys(wrote)))


def of_record(record: object) -> Ground | None:
    """A log entry's `ground` (as agentgit.corpus.formats parsed it), or None."""
    if not isinstance(record, dict):
        return None
    read, wrote = record.get("read"), record.get("wrote")
    if not (isinstance(read, list) and isinstance(wrote, list)):
        return None
    return Ground(
        tuple(s for s in read if isinstance(s, str)), tuple(s for s in wrote if isinstance(s, str))
    )
