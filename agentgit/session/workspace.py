"""What a session is (DESIGN §2): its id, branch, worktree and transcript paths, the
Workspace the tools act on, its lock, and its clean-up. The stages that act on it are
modules of their own, in the order a session meets them:

claim (the id and the worktree) -> explore (the agent loop) -> judge (the branch's last
commit) -> land (main moves; with mainline below it) -> reopen / abandon (a session
that stopped before it ended).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from agentgit.core import faults, refs
from agentgit.core.errors import AgentgitError
from agentgit.core.refs import MAIN
from agentgit.core.trailers import Trailer
from agentgit.corpus import formats, history
from agentgit.corpus.index import CorpusIndex
from agentgit.corpus.search import AREAS, Passage
from agentgit.corpus.view import DirView, OverlayView, TreeView
from agentgit.git import Repository
from agentgit.landscape import novelty, similarity
from agentgit.models.base import Usage
from agentgit.session import transcript
from agentgit.session.messages import diff_subject, message
from agentgit.session.meta import SessionMeta


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Result:
    session: int
    outcome: str
    title: str
    summary: str
    pieces: list[str] = field(default_factory=list)
    reason: str | None = None
    head: str | None = None
    main_commit: str | None = None
    branch: str | None = None
    turns: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    conflicts: list[str] = field(default_factory=list)
    review_url: str | None = None  # where a session sent to review is (--review pr|branch)

    def to_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "outcome": self.outcome,
            "title": self.title,
            "summary": self.summary,
            "pieces": self.pieces,
            "reason": self.reason,
            "head": self.head,
            "main_commit": self.main_commit,
            "branch": self.branch,
            "turns": self.turns,
            "usage": self.usage.to_dict(),
            "cost_usd": self.cost_usd,
            "conflicts": self.conflicts,
            "review_url": self.review_url,
        }


class Session:
    """One session's worktree and metadata; the Workspace the tools act on."""

    def __init__(self, repo: Repository, meta: SessionMeta, worktree: Path) -> None:
        self.repo = repo
        self.meta = meta
        self.worktree = worktree
        self.session: int = meta.session  # the Workspace's; an id never changes
        self.today: date = date.fromisoformat(meta.started[:10])
        self._log_rel = ("", "")
        self.commits: list[str] = []
        # The session's tree under corpus/ (path -> mode, id), and the commits it is true
        # of: a step changes only what the worktree checks out, never the rest.
        self._tree: TreeView | None = None
        self._tree_heads: set[str] = set()
        # What search reads of that tree: every searchable file but the checked-out ones
        # (those come from the last commit), worked out once per tree, not per call.
        self._tree_files: dict[str, str] | None = None
        self._written: tuple[str, dict[str, str]] | None = None  # (head, its drafts, journal)
        # The branch's head as the session's own steps left it: nothing else commits in
        # its worktree while the tools run, so one rev-parse serves the whole loop.
        self._head: str | None = None
        self._index: CorpusIndex | None = None
        self._main: similarity.Pieces | None = None
        self.novelty_rev = MAIN  # what novelty compares drafts with (replay: the base)

    # -- names -----------------------------------------------------------------------

    @property
    def slug(self) -> str:
        return self.meta.slug  # reopen corrects it to the branch's

    @property
    def id(self) -> str:
        return refs.session_id(self.session)

    @property
    def branch(self) -> str:
        return refs.branch_name(self.session, self.slug)

    @property
    def corpus_dir(self) -> Path:
        return self.worktree / "corpus"

    @property
    def log_rel(self) -> str:
        if self._log_rel[0] != self.slug:  # asked per path the tools look at
            self._log_rel = (self.slug, formats.log_entry_name(self.session, self.slug))
        return self._log_rel[1]

    def journal_path(self) -> Path:
        return self.corpus_dir / self.log_rel

    def sparse_patterns(self) -> list[str]:
        """What the worktree checks out: what a session writes, drafts and its journal.
        The rest of the corpus is read from git objects (`view`). An experiment session
        (DESIGN §10) checks out the whole tree: its command runs there."""
        if self.meta.experiment:
            return []
        return ["/corpus/drafts/", f"/corpus/{self.log_rel}"]

    def checked_out(self, rel: str) -> bool:
        """Whether corpus/<rel> is one the worktree checks out (`sparse_patterns`)."""
        return rel == "drafts" or rel.startswith("drafts/") or rel == self.log_rel

    @property
    def view(self) -> OverlayView:
        """The corpus as the session sees it: its last commit's tree, under the drafts
        and journal its worktree holds."""
        return OverlayView(DirView(self.corpus_dir), self._tree_view(), self.checked_out)

    def head(self) -> str:
        """The session branch's last commit."""
        if self._head is None:
            self._head = self.repo.head(self.worktree)
        return self._head

    def _tree_view(self, head: str | None = None) -> TreeView:
        head = head or self.head()
        if self._tree is None or head not in self._tree_heads:
            self._tree = TreeView(self.repo.tree_entries(head, "corpus"), self.repo.read_blobs)
            self._tree_heads = {head}
            self._tree_files = None
        return self._tree

    def base_files(self) -> dict[str, str]:
        """The regular files (path under the repository -> blob) of the commit the
        session started from, read from its tree before any step."""
        base = self.meta.base or self.head()
        tree = self._tree_view(base)
        return {
            f"corpus/{path}": sha
            for path, (mode, sha) in tree.entries.items()
            if mode in ("100644", "100755")
        }

    # -- the Workspace protocol ----------------------------------------------------

    def start_journal(self) -> None:
        path = self.journal_path()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(formats.render_log_entry(self._entry(None, "## Journal\n")), "utf-8")

    def commit_step(
        self, tool: str, reasoning: str, turn: int, call: str = "", paths: tuple[str, ...] = ()
    ) -> str | None:
        # The tools write only drafts and this session's journal (an experiment's also
        # the editable files it names in `paths`). Staging just those spares git a scan
        # of the whole corpus for untracked files at every step (on 10,000 pieces that
        # scan made a step cost 1.6x a plain `git add` + `git commit`).
        paths = tuple(
            p
            for p in (*paths, "corpus/drafts", f"corpus/{self.log_rel}")
            if (self.worktree / p).exists()
        )
        if not paths:
            return None
        parent = self.head()
        diff = self.repo.stage(self.worktree, *paths)
        subject = diff_subject(diff)
        if subject is None:
            return None
        trailers: dict[str, str] = {
            Trailer.SESSION: self.id,
            Trailer.TURN: str(turn),
            Trailer.TOOL: tool,
        }
        if call:  # which tool_use made it: a resume never runs that call again
            trailers[Trailer.CALL] = call
        self._head = None  # a stop inside the commit leaves the head unknown
        self._head = self.repo.commit_staged(self.worktree, message(subject, reasoning, trailers))
        if parent in self._tree_heads:  # only drafts and the journal changed
            self._tree_heads.add(self._head)
        faults.point("step")
        self.commits.append(subject)
        return subject

    def step_commit(self, turn: int, call: str) -> str | None:
        """The subject of the commit tool call `call` of turn `turn` made, if any."""
        head = self.head()
        base = self.meta.base
        for commit in self.repo.log([head, *([f"^{base}"] if base else [])]):
            t = commit.trailers
            if t.get(Trailer.TURN) == str(turn) and t.get(Trailer.CALL) == call:
                return commit.subject
        return None

    def search(self, query: str, limit: int) -> list[Passage]:
        """Ranked passages of the session's own tree (its last commit: every step that
        writes commits), from the index of the corpus's blobs."""
        return self.index.search(self.search_files(), query, limit)

    def search_files(self) -> dict[str, str]:
        """What search ranks: the files of the session's own tree under corpus/ (path
        relative to it -> blob id)."""
        head = self.head()
        tree = self._tree_view(head)
        if self._tree_files is None:
            self._tree_files = {
                path: sha
                for path, (mode, sha) in tree.entries.items()
                if mode in ("100644", "100755")
                and path.split("/", 1)[0] in AREAS
                and not self.checked_out(path)
            }
        # What the steps changed, from the last commit (the tree above may be older).
        if self._written is None or self._written[0] != head:
            written = self.repo.tree_files(head, "corpus/drafts", f"corpus/{self.log_rel}")
            self._written = (head, {p.removeprefix("corpus/"): s for p, s in written.items()})
        return {**self._tree_files, **self._written[1]}

    @property
    def index(self) -> CorpusIndex:
        """The repository's index: the passages search ranks, the cards list_pieces shows."""
        if self._index is None:
            self._index = CorpusIndex.of(self.repo)
        return self._index

    derived_store = index  # the Workspace's name for it: where the cards are kept

    def main_pieces(self) -> similarity.Pieces:
        self._main = novelty.main_pieces(self.repo, self._main, self.novelty_rev)
        return self._main

    def history(self, path: str) -> str:
        return history.path_history(self.repo, path)

    # -- the log entry ---------------------------------------------------------------

    def _entry(self, outcome: str | None, body: str, **fields: Any) -> formats.LogEntry:
        return formats.LogEntry(
            session=self.session,
            title=fields.get("title") or self.meta.title,
            started=self.meta.started,
            ended=fields.get("ended"),
            outcome=outcome,
            pieces=fields.get("pieces", []),
            reason=fields.get("reason"),
            model=self.meta.model,
            turns=fields.get("turns", 0),
            usage=fields.get("usage", {"input": 0, "output": 0, "cache_read": 0, "cache_write": 0}),
            cost_usd=fields.get("cost_usd"),
            head=fields.get("head"),
            novelty=fields.get("novelty", []),
            body=body,
        )

    def journal_body(self) -> str:
        path = self.journal_path()
        if not path.exists():
            return "## Journal\n\n(no notes)\n"
        return formats.parse_log_entry(path.read_text("utf-8"), self.log_rel).body


# -- where a session lives ---------------------------------------------------------


def ready_worktree(repo: Repository, session: Session) -> None:
    """The session's worktree, checked out on its branch and clean. Whatever else is at
    its path (a directory left by hand or by another tool) is moved aside, not deleted."""
    path = session.worktree
    if path.exists() and repo.worktree_branch(path) == session.branch:
        repo.reset_worktree(path)
        return
    if path.exists() or path.is_symlink():
        n = 1
        while path.with_name(f"{path.name}.stale-{n}").exists():
            n += 1
        path.rename(path.with_name(f"{path.name}.stale-{n}"))
    repo.prune_worktrees()
    repo.add_worktree(path, session.branch, sparse=session.sparse_patterns())


def worktree_path(repo: Repository, number: int) -> Path:
    return repo.state_dir / "worktrees" / f"{number:04d}"


def transcript_path(repo: Repository, number: int) -> Path:
    return transcript.transcript_path(repo.state_dir, number)


@contextmanager
def lock(repo: Repository, number: int) -> Iterator[None]:
    """One process per session; the kernel drops the lock when the process dies."""
    path = repo.state_dir / "locks" / f"{number:04d}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AgentgitError(f"session {number:04d} is running in another process") from None
        yield
    finally:
        handle.close()


def cleanup(repo: Repository, session: Session, keep_branch: bool) -> None:
    """After a landing: the worktree, the branch (unless kept for a person) and the
    transcript (now a note) go; the archive ref holds every commit."""
    repo.remove_worktree(session.worktree)
    repo.write_commit_graph(only_if_present=True)  # the session's commits get filters
    repo.maintain()  # the steps' commits did not ask for it one by one
    if not keep_branch:
        ref = refs.branch(session.session, session.slug)
        sha = repo.rev_parse(ref)
        if sha:
            repo.delete_ref(ref, sha)
    path = transcript_path(repo, session.session)
    if path.exists():
        path.unlink()


def session_branches(repo: Repository, number: int) -> dict[str, str]:
    """Session N's branch (ref: sha) in this clone; one, or none."""
    return {
        r: sha
        for r, sha in repo.list_refs(refs.BRANCHES.rstrip("/")).items()
        if (refs.parse_branch(r) or (None,))[0] == number
    }
