"""One session read back from git alone: `agentgit show` (its log entry, its exploration
commits with their reasoning and diffstat, the pieces it kept, its transcript note)."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from agentgit.core import refs
from agentgit.core.errors import AgentgitError, CorpusError
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN
from agentgit.core.trailers import PREFIX, Trailer
from agentgit.corpus import formats
from agentgit.corpus.history import LogLine, log, open_sessions
from agentgit.git import Repository


@dataclass
class Exploration:
    sha: str
    subject: str
    reasoning: str
    tool: str | None
    stat: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class KeptPiece:
    slug: str
    title: str
    novelty: formats.NoveltyRecord | None  # the log entry's record, if any


@dataclass
class SessionView:
    session: int
    line: LogLine | None
    branch: str | None
    head: str
    log_entry: str | None
    explorations: list[Exploration]
    transcript: str | None
    kept: list[KeptPiece] = field(default_factory=list)


def session_view(repo: Repository, number: int) -> SessionView:
    """Session `number` as `agentgit show` prints it."""
    line = next((x for x in log(repo) if x.session == number), None)
    branch = next((b for n, b in open_sessions(repo) if n == number), None)
    archived = repo.rev_parse(refs.archive(number))
    head = line.head if line else (repo.rev_parse(refs.head(branch)) if branch else archived)
    if head is None:
        raise AgentgitError(f"no session {number:04d}")
    # The session's own commits: reachable from its head, not from main as it stood
    # before the session landed (or as it stands now, for an open session).
    boundary = f"{line.commit}^1" if line else MAIN
    explorations = _explorations(repo, head, boundary)
    log_entry = None
    names = [
        n
        for n in repo.ls_tree_names(head, "corpus/log")
        if n.rsplit("/", 1)[-1].startswith(f"{number:04d}-")
    ]
    if names:
        log_entry = repo.read_blob(head, names[0])
    view = SessionView(number, line, branch, head, log_entry, explorations, repo.read_note(head))
    if line and line.outcome == Outcome.CRYSTALLIZED:
        view.kept = _kept(repo, head, line.pieces, log_entry, names[0] if names else "")
    return view


def _kept(
    repo: Repository, head: str, slugs: list[str], log_entry: str | None, name: str
) -> list[KeptPiece]:
    """The pieces a session kept, by title, with the novelty its log entry recorded."""
    records: dict[str, formats.NoveltyRecord] = {}
    with suppress(CorpusError):
        if log_entry:
            records = {r.piece: r for r in formats.parse_log_entry(log_entry, name).novelty}
    texts = repo.read_files(head, (f"corpus/pieces/{slug}.md" for slug in slugs))
    kept = []
    for slug in slugs:
        title = slug
        text = texts.get(f"corpus/pieces/{slug}.md")
        with suppress(CorpusError):
            title = formats.parse_piece(text, f"pieces/{slug}.md").title if text else slug
        kept.append(KeptPiece(slug, title, records.get(slug)))
    return kept


def _explorations(repo: Repository, head: str, boundary: str) -> list[Exploration]:
    result = []
    for commit, numstat in repo.log_numstat(head, boundary):
        stat = [(path.removeprefix("corpus/"), added, removed) for path, added, removed in numstat]
        reasoning = "\n".join(
            ln for ln in commit.body.strip().splitlines() if not ln.startswith(PREFIX)
        ).strip()
        tool = commit.trailers.get(Trailer.TOOL)
        result.append(Exploration(commit.sha, commit.subject, reasoning, tool or None, stat))
    return result


def entry_for_show(text: str) -> str:
    """The log entry as `show` prints it: without its `head:` field, the session's last
    exploration, so that the one head `show` names is the session's (its archive ref)."""
    if not text.startswith("---\n") or (end := text.find("\n---\n", 3)) < 0:
        return text
    meta = [line for line in text[4:end].split("\n") if not line.startswith("head: ")]
    return "---\n" + "\n".join(meta) + text[end:]
