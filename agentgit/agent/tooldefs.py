"""What the model is told the tools are (DESIGN §3): their names, their JSON schemas
and descriptions, which of them write and which judge.

These definitions are sent with every request, so they are data that changes only on
purpose: running the tools is `agentgit.tools`, checking what the model passes in is
`agentgit.toolinput`.
"""

from __future__ import annotations

from typing import Any

from agentgit.landscape import questions

JUDGE_TOOLS = ("crystallize", "abandon")


def _schema(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required}


_S = {"type": "string"}
# Pieces a list_pieces call shows: a page fits in a tool result, and only that page is
# parsed (on 10,000 pieces, parsing them all took 0.75 s to show a result cut to 80).
LIST_PAGE = 50
TOOL_DEFINITIONS: list[dict[str, Any]] = [
    {
        "name": "list_pieces",
        "description": f"The index of crystallized pieces, {LIST_PAGE} at a time, by slug: "
        "slug, title, summary, tags.",
        "input_schema": _schema(
            {
                "tag": {**_S, "description": "only pieces with this tag"},
                "offset": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "skip this many (the next page)",
                },
            },
            [],
        ),
    },
    {
        "name": "read",
        "description": "Read a file of the corpus: a piece (pieces/<slug>.md), a log entry "
        "(log/<NNNN>-<slug>.md), a draft (drafts/<slug>.md) or PROGRAM.md.",
        "input_schema": _schema({"path": {**_S, "description": "relative to corpus/"}}, ["path"]),
    },
    {
        "name": "search",
        "description": "Ranked passages from pieces, log entries and drafts matching a query.",
        "input_schema": _schema(
            {"query": _S, "limit": {"type": "integer", "minimum": 1, "maximum": 50}}, ["query"]
        ),
    },
    {
        "name": "history",
        "description": "How a corpus file evolved on main and in past sessions, as diffs.",
        "input_schema": _schema({"path": {**_S, "description": "relative to corpus/"}}, ["path"]),
    },
    {
        "name": "write_draft",
        "description": "Create or replace the draft drafts/<slug>.md (committed). A slug that "
        "names an existing piece makes the draft a revision of it.",
        "input_schema": _schema(
            {
                "slug": {**_S, "description": "lowercase a-z, 0-9 and '-', at most 64"},
                "title": _S,
                "body": {**_S, "description": "markdown, without frontmatter"},
                "summary": {**_S, "description": "one line for the index"},
                "tags": {"type": "array", "items": _S},
            },
            ["slug", "title", "body"],
        ),
    },
    {
        "name": "edit_draft",
        "description": "Replace one exact occurrence of `old` with `new` in a draft (committed).",
        "input_schema": _schema({"slug": _S, "old": _S, "new": _S}, ["slug", "old", "new"]),
    },
    {
        "name": "note",
        "description": "Append to this session's journal, its log entry (committed): what you "
        "tried, what pulled, what did not, open questions.",
        "input_schema": _schema({"text": _S}, ["text"]),
    },
    {
        "name": "question",
        "description": "Record a step on a question in this session's journal (committed). "
        "open: a question that is really open (id and text). pursue: you worked on it "
        "(text: what you tried, optional). answer: the pieces (kept or drafted now) that "
        "answer it. drop: it is dead or no longer worth asking (why). Open a dropped or "
        "possibly-dead one again when what made it flat has changed.",
        "input_schema": _schema(
            {
                "action": {"type": "string", "enum": list(questions.ACTIONS)},
                "id": {**_S, "description": "a slug naming the question, e.g. why-sessions-drift"},
                "text": {**_S, "description": "open: the question; otherwise a remark"},
                "why": {**_S, "description": "drop: why"},
                "pieces": {"type": "array", "items": _S, "description": "answer: piece slugs"},
            },
            ["action", "id"],
        ),
    },
    {
        "name": "crystallize",
        "description": "End the session and keep it: the named drafts become pieces and the "
        "session merges to main. Only when a piece has really crystallized.",
        "input_schema": _schema(
            {
                "slugs": {"type": "array", "items": _S, "minItems": 1},
                "summary": _S,
                "overlap": {**_S, "description": "what a near-duplicate adds to its neighbour"},
            },
            ["slugs", "summary"],
        ),
    },
    {
        "name": "abandon",
        "description": "End the session without keeping a piece. The log entry (what was "
        "explored, what did not pull, open questions) still lands on main; drafts are archived.",
        "input_schema": _schema({"reason": _S, "summary": _S}, ["reason", "summary"]),
    },
]
TOOL_NAMES = tuple(t["name"] for t in TOOL_DEFINITIONS)
WRITING_TOOLS = ("write_draft", "edit_draft", "note", "question")  # each change is one commit
