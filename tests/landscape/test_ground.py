"""A session's ground (DESIGN §8): what the log entry records it read and wrote, and what
an older session's transcript shows it read."""

from __future__ import annotations

import json
from pathlib import Path

from grounds import three_grounds
from helpers import session_run
from scripts import crystallize, draft, read, search, turn

from agentgit.corpus import formats
from agentgit.git import Repository
from agentgit.landscape import ground
from agentgit.landscape.ground import Ground


def test_the_log_entry_records_what_the_session_read_and_kept(corpus_repo: Path) -> None:
    three_grounds(corpus_repo)
    result = session_run(
        corpus_repo,
        [
            search("moon tide"),  # listed passages are not read
            read("pieces/tides-1.md"),
            read("corpus/pieces/tides-2.md"),
            read("pieces/nowhere.md"),  # an error: not read
            read("log/README.md"),  # not a piece
            turn("history", {"path": "pieces/bread-1.md"}),
            read("pieces/tides-1.md"),  # twice: once
            draft("tides-4", "Tides 4", "Tide gauges record sea level every minute.\n"),
            crystallize(["tides-4"]),
        ],
    )
    repo = Repository.discover(corpus_repo)
    (path,) = [p for p in repo.tree_files("main", "corpus/log") if "/0001-" in p]
    entry = formats.parse_log_entry(repo.read_blob("main", path) or "", path)
    assert result.pieces == ["tides-4"]
    assert entry.ground == {"read": ["tides-1", "tides-2", "bread-1"], "wrote": ["tides-4"]}


def test_the_ground_survives_a_round_trip_and_is_left_out_when_unknown() -> None:
    entry = formats.LogEntry(1, "T", "2026-01-02T03:04:05Z")
    assert "ground" not in formats.render_log_entry(entry)
    entry.ground = {"read": ["a"], "wrote": []}
    again = formats.parse_log_entry(formats.render_log_entry(entry), "log/0001-t.md")
    assert again.ground == {"read": ["a"], "wrote": []}


def test_a_transcript_shows_the_pieces_read() -> None:
    messages = [
        {"role": "user", "content": "Begin."},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Reading."},
                {"type": "tool_use", "id": "a", "name": "read", "input": {"path": "pieces/x.md"}},
                {"type": "tool_use", "id": "b", "name": "read", "input": {"path": "pieces/y.md"}},
                {"type": "tool_use", "id": "c", "name": "search", "input": {"query": "z"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "a", "content": "x"},
                {"type": "tool_result", "tool_use_id": "b", "content": "no", "is_error": True},
                {"type": "tool_result", "tool_use_id": "c", "content": "pieces/z.md:3"},
            ],
        },
    ]
    found = ground.of_transcript(json.dumps({"messages": messages}), ["w"])
    assert found == Ground(("x",), ("w",))
    assert ground.of_transcript("not json", []) is None
    assert ground.of_transcript(json.dumps({"messages": "?"}), []) is None


def test_paths_name_pieces_or_nothing() -> None:
    assert ground.piece_slug("./pieces/a-b.md") == "a-b"
    assert ground.piece_slug("corpus/pieces/a.md") == "a"
    for other in ("drafts/a.md", "pieces/a.txt", "pieces/x/a.md", "pieces/A.md", 3, None, ""):
        assert ground.piece_slug(other) is None
