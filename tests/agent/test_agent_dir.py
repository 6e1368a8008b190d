"""The agent and its tools know no git: a whole scripted session against a Workspace
that is a plain directory (tests/dirworkspace.py), with git off the PATH."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from dirworkspace import DirWorkspace
from scripts import crystallize, draft, edit, note, read, search, turn, write_script

from agentgit.agent.loop import Agent, AgentState
from agentgit.agent.tools import Toolbox
from agentgit.core.settings import Settings
from agentgit.corpus import formats
from agentgit.models.scripted import ScriptedModel

TIDES = (
    "---\ntitle: Tides\nsummary: The pull of the moon\ntags: [sea]\ncreated: 2020-05-01\n"
    "updated: 2021-01-01\nsessions: [3]\n---\n\nThe moon pulls the sea twice a day.\n"
)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DirWorkspace:
    root = tmp_path / "plain"
    (root / "corpus" / "pieces").mkdir(parents=True)
    (root / "corpus" / "PROGRAM.md").write_text("Explore the sea.\n", "utf-8")
    (root / "corpus" / "pieces" / "tides.md").write_text(TIDES, "utf-8")
    (tmp_path / "secret.md").write_text("---\ntitle: SECRET\n---\n\nSECRET\n", "utf-8")
    (root / "corpus" / "pieces" / "leak.md").symlink_to(tmp_path / "secret.md")
    # No git to run: any git the agent or its tools tried would fail the session.
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("git") is None
    return DirWorkspace(root)


def results(state: AgentState) -> list[dict[str, Any]]:
    """Every tool_result the model was sent, in order."""
    return [
        block
        for message in state.messages
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


def text_of(block: dict[str, Any]) -> str:
    content = block["content"]
    return content if isinstance(content, str) else "".join(c.get("text", "") for c in content)


def test_a_session_in_a_plain_directory(workspace: DirWorkspace, tmp_path: Path) -> None:
    script = write_script(
        tmp_path / "script.jsonl",
        [
            turn("list_pieces", {}),
            read("pieces/tides.md"),
            read("pieces/leak.md"),
            read("../secret.md"),
            search("moon pulls"),
            draft("tides", "Tides, revised", "The moon pulls, and the sea answers.\n"),
            edit("tides", "answers", "rises"),
            note("The sea rises to the moon."),
            read("drafts/tides.md"),
            crystallize(["tides"], "The tides piece now says what the sea does."),
        ],
    )
    settings = Settings(max_turns=20)
    agent = Agent(
        ScriptedModel.from_file(script),
        Toolbox.for_settings(workspace, settings),
        "SYSTEM",
        settings,
        cost=lambda usage: 0.0,
        save=lambda state: None,
    )
    state = AgentState(messages=[{"role": "user", "content": [{"type": "text", "text": "GO"}]}])
    judgement = agent.run(state)

    assert (judgement.outcome, judgement.slugs) == ("crystallized", ["tides"])
    got = results(state)
    assert [bool(r.get("is_error")) for r in got] == [
        False, False, True, True, False, False, False, False, False, False,
    ]  # fmt: skip
    listed, tides, leak, up, found, wrote, _, _, drafted, _ = map(text_of, got)
    assert "tides — Tides — The pull of the moon [sea]" in listed and "SECRET" not in listed
    assert tides.startswith(TIDES)
    assert "points outside corpus/" in leak and "SECRET" not in leak
    assert "leaves corpus/" in up
    assert "pieces/tides.md" in found
    assert "revision of pieces/tides" in wrote
    # The revision kept the piece's history and added this session; the piece itself
    # is untouched (keeping is the session's business, not the tools').
    revised = formats.parse_piece(drafted, "drafts/tides.md")
    assert (revised.title, str(revised.created), revised.sessions) == (
        "Tides, revised",
        "2020-05-01",
        [1, 3],
    )
    assert "The moon pulls, and the sea rises.\n" in drafted
    assert (workspace.corpus_dir / "pieces" / "tides.md").read_text("utf-8") == TIDES
    # One step for each write, in the order they were made, each naming its file.
    assert [(s.tool, s.subject) for s in workspace.steps] == [
        ("write_draft", "Change drafts/tides.md"),
        ("edit_draft", "Change drafts/tides.md"),
        ("note", "Change log/0001-dir.md"),
    ]
    assert "The sea rises to the moon." in workspace.journal_path().read_text("utf-8")
