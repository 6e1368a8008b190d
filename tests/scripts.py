"""Tiny helpers to write scripted-model sessions (JSONL, one assistant turn a line).

Each helper returns one turn in the scripted model's shorthand,
{"text": ..., "tool": ..., "input": {...}}; `write_script` writes a list of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Turn = dict[str, Any]


def turn(tool: str, tool_input: dict[str, Any], text: str = "") -> Turn:
    return {"text": text or f"Calling {tool}.", "tool": tool, "input": tool_input}


def draft(
    slug: str,
    title: str,
    body: str,
    *,
    summary: str | None = None,
    tags: list[str] | None = None,
    text: str = "",
) -> Turn:
    args: dict[str, Any] = {"slug": slug, "title": title, "body": body}
    if summary is not None:
        args["summary"] = summary
    if tags is not None:
        args["tags"] = tags
    return turn("write_draft", args, text or f"Drafting {slug}.")


def edit(slug: str, old: str, new: str, text: str = "") -> Turn:
    return turn("edit_draft", {"slug": slug, "old": old, "new": new}, text or f"Editing {slug}.")


def note(words: str, text: str = "") -> Turn:
    return turn("note", {"text": words}, text or "Noting what happened.")


def read(path: str, text: str = "") -> Turn:
    return turn("read", {"path": path}, text or f"Reading {path}.")


def search(query: str, text: str = "") -> Turn:
    return turn("search", {"query": query}, text or f"Searching for {query}.")


def crystallize(slugs: list[str], summary: str = "It crystallized.", text: str = "") -> Turn:
    return turn(
        "crystallize", {"slugs": slugs, "summary": summary}, text or "The piece stands on its own."
    )


def abandon(reason: str, summary: str = "Nothing crystallized.", text: str = "") -> Turn:
    return turn(
        "abandon", {"reason": reason, "summary": summary}, text or "Nothing pulled; abandoning."
    )


def write_script(path: Path, turns: list[Turn]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(t) + "\n" for t in turns), encoding="utf-8")
    return path


def keep_script(
    slug: str = "tides", title: str = "Tides", body: str = "The moon pulls the sea.\n"
) -> list[Turn]:
    """A short session that drafts one piece, notes, and keeps it."""
    return [
        draft(slug, title, body, summary=f"On {title.lower()}.", tags=["test"]),
        note(f"Drafted {slug}."),
        crystallize([slug], summary=f"Wrote {slug}."),
    ]


def abandon_script(slug: str = "dead-end", reason: str = "nothing pulled") -> list[Turn]:
    """A short session that drafts, then abandons."""
    return [
        draft(slug, "A dead end", "This went nowhere.\n"),
        note("Tried a draft; it went nowhere."),
        abandon(reason, summary="Tried a draft; it did not hold up."),
    ]
