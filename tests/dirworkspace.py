"""A Workspace that is a plain directory, with no git anywhere: what the agent and its
tools need from a session, and nothing more. Each step that changes a file is kept as
a "step" in memory (its tool, turn, call and the files it changed), where a session
makes a commit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from agentgit.corpus import formats
from agentgit.corpus.index import CorpusIndex, search_directory
from agentgit.corpus.search import AREAS, Passage, searchable
from agentgit.corpus.view import DirView
from agentgit.landscape.similarity import Pieces


@dataclass
class Step:
    tool: str
    turn: int
    call: str
    subject: str
    reasoning: str


class DirWorkspace:
    def __init__(self, root: Path, session: int = 1, today: date = date(2026, 1, 2)) -> None:
        self.root = root
        self.session = session
        self.today = today
        self.steps: list[Step] = []
        self._seen = self._written()

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    derived_store = None  # nothing kept between sessions: every listing parses

    @property
    def view(self) -> DirView:
        return DirView(self.corpus_dir)

    def journal_path(self) -> Path:
        return self.corpus_dir / "log" / f"{self.session:04d}-dir.md"

    def start_journal(self) -> None:
        path = self.journal_path()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            entry = formats.LogEntry(self.session, "A plain directory", "2026-01-02T00:00:00Z")
            entry.body = "## Journal\n"
            path.write_text(formats.render_log_entry(entry), "utf-8")

    def _written(self) -> dict[str, bytes]:
        """What the tools may write: the drafts and this session's journal."""
        paths = [*sorted((self.corpus_dir / "drafts").glob("*.md")), self.journal_path()]
        return {
            p.relative_to(self.corpus_dir).as_posix(): p.read_bytes()
            for p in paths
            if p.is_file() and not p.is_symlink()
        }

    def commit_step(self, tool: str, reasoning: str, turn: int, call: str = "") -> str | None:
        now, before = self._written(), self._seen
        changed = sorted(p for p in now.keys() | before.keys() if now.get(p) != before.get(p))
        self._seen = now
        if not changed:
            return None
        subject = f"Change {', '.join(changed)}"
        self.steps.append(Step(tool, turn, call, subject, reasoning))
        return subject

    def step_commit(self, turn: int, call: str) -> str | None:
        return next((s.subject for s in self.steps if (s.turn, s.call) == (turn, call)), None)

    def search(self, query: str, limit: int) -> list[Passage]:
        return search_directory(self.corpus_dir, query, limit)

    def search_files(self) -> dict[str, str]:
        """The directory's searchable files, each by the id git would give it."""
        found = {}
        for area in AREAS:
            for path in sorted((self.corpus_dir / area).glob("*.md")):
                rel = f"{area}/{path.name}"
                if searchable(rel) and path.is_file() and not path.is_symlink():
                    data = path.read_bytes()
                    found[rel] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        return found

    def main_pieces(self) -> Pieces:
        """The directory's pieces, for novelty, in an index kept in memory."""
        blobs = {
            f"pieces/{p.name}": p.read_bytes()
            for p in sorted((self.corpus_dir / "pieces").glob("*.md"))
            if p.is_file() and not p.is_symlink()
        }
        by_sha = {hashlib.sha1(data).hexdigest(): data for data in blobs.values()}
        index = CorpusIndex(None, lambda shas: {s: by_sha[s] for s in shas if s in by_sha})
        return Pieces(index, {rel: hashlib.sha1(data).hexdigest() for rel, data in blobs.items()})

    def history(self, path: str) -> str:
        return ""  # a plain directory keeps no history
