"""Questions as records (DESIGN §8): what each one's history on main says about it now.

Each log entry's frontmatter holds `questions`, one record per question the session
acted on, with the status it left it in. A question's state is read from main's log
entries; what follows from that history is derived here and never stored:

- possibly-dead: still open, and pursued in `dead_after` sessions since it was
  (last) opened, none of which kept a piece that answers it. Live questions pull;
  dead ones get carried.
- worth-reopening: dropped or possibly-dead, and a piece kept since then is among
  the question's nearest neighbours in the corpus. A discard is a decision about now.

A session's orientation and `agentgit questions` read main's tree (and the search
index) alone, so they see the same thing; the `question` tool checks a step against the
log in the session's worktree, main's as the session began.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentgit.core.errors import CorpusError
from agentgit.core.outcome import Outcome
from agentgit.corpus import formats, loading
from agentgit.corpus.formats import LOG_NAME_RE, LogEntry
from agentgit.corpus.search import query_terms, tokens

if TYPE_CHECKING:  # the tools use the rest of this module, and know no git
    from agentgit.corpus.index import CorpusIndex
    from agentgit.git import Repository

LIVE = ("open", "pursued")
# "Nearest" means: the pieces holding the best BM25-ranked passages (agentgit.index)
# for the question's own words, the first NEAREST distinct ones, each sharing at least
# two of those words (one, for a question of one word) so that a lone common word does
# not make a neighbour. A lexical neighbourhood: it sees shared vocabulary, not meaning.
NEAREST = 3
PASSAGES = 12  # passages ranked to find the NEAREST pieces among them
MIN_SHARED = 2
# Flat questions looked up per read (one search each), the most recently carried first:
# on 10,000 pieces a search takes about 30 ms.
MAX_SEARCHED = 12
# A cheap test before parsing: only entries that name questions or kept pieces matter.
_HAS_QUESTIONS = re.compile(rb"^questions:", re.M)
_CRYSTALLIZED = re.compile(rb"^outcome:\s*['\"]?" + re.escape(Outcome.CRYSTALLIZED.encode()), re.M)

Nearest = Callable[[str], list[str]]
# One log entry's (question records, pieces it kept); None: not read yet (EntryCache).
Summary = tuple[list[dict[str, Any]], list[str] | None]
Summaries = dict[str, Summary]


@dataclass
class Question:
    id: str
    text: str
    status: str  # the latest record's, except an answer whose pieces never landed
    opened: int  # the session that (last) opened it
    sessions: list[int] = field(default_factory=list)  # that carried it since, oldest first
    pursued: int = 0  # sessions after the opening one that pursued it without an answer
    why: str | None = None
    pieces: list[str] = field(default_factory=list)
    possibly_dead: bool = False
    reopen: str | None = None  # worth-reopening: the piece kept since, near it

    @property
    def live(self) -> bool:
        return self.status in LIVE

    @property
    def last(self) -> int:
        return self.sessions[-1] if self.sessions else self.opened

    @property
    def flat(self) -> bool:
        """Dropped, or carried without progress: what a new piece may make worth a look."""
        return self.status == "dropped" or self.possibly_dead

    def describe(self) -> str:
        """The question as `agentgit questions` lists it: a line of state, its text."""
        state = self.status
        if self.status == "answered":
            state += f" by {', '.join(self.pieces)}"
        if self.possibly_dead:
            state += ", possibly-dead"
        if self.reopen:
            state += f", worth-reopening ({self.reopen} kept since is near it)"
        carried = len(self.sessions)
        span = f"{self.opened:04d}" + (f"–{self.last:04d}" if self.last != self.opened else "")
        line = f"{self.id}  {state}  carried by {carried} session{'s' * (carried != 1)} ({span})"
        line += f"\n    {self.text}"
        if self.status == "dropped" and self.why:
            line += f"\n    dropped: {self.why}"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "status": self.status,
            "opened": self.opened,
            "sessions": list(self.sessions),
            "carried": len(self.sessions),
            "pursued": self.pursued,
            "why": self.why,
            "pieces": list(self.pieces),
            "possibly_dead": self.possibly_dead,
            "worth_reopening": self.reopen is not None,
            "reopen_piece": self.reopen,
        }


# -- deriving ---------------------------------------------------------------------------


def derive(
    entries: Iterable[LogEntry], dead_after: int, on_main: set[str] | None = None
) -> dict[str, Question]:
    """Each question's state after the given log entries (any order; read by session).

    An answer counts when one of the pieces it names is on main (``on_main``; None:
    every answer counts): an answer with a draft that was never kept is a pursuit.
    """
    found: dict[str, Question] = {}
    for entry in sorted(entries, key=lambda e: e.session):
        for record in entry.questions:
            _step(found, entry.session, record, on_main)
    for q in found.values():
        q.possibly_dead = q.live and q.pursued >= dead_after
    return found


def _step(
    found: dict[str, Question], session: int, record: dict[str, Any], on_main: set[str] | None
) -> None:
    qid, status = record["id"], record["status"]
    q = found.get(qid)
    text = record.get("text") or (q.text if q else "")
    answered = status == "answered" and (
        on_main is None or any(p in on_main for p in record.get("pieces", []))
    )
    if status == "answered" and not answered:
        status = "pursued"
    if q is None or status == "open" or (not q.live and status == "pursued"):
        # Opened (or reopened): the sessions carrying it are counted from here.
        found[qid] = q = Question(qid, text, status, opened=session, sessions=[session])
    elif session != q.last:
        q.sessions.append(session)
    q.text = text
    q.status = status
    if status == "pursued" and session != q.opened:
        q.pursued += 1
    if status == "answered":
        q.pieces = [p for p in record["pieces"] if on_main is None or p in on_main]
    if status == "dropped":
        q.why = record.get("why")


def mark_worth_reopening(
    questions: dict[str, Question], kept: dict[str, int], nearest: Nearest
) -> None:
    """Mark the flat questions that a piece kept after them sits near. ``kept``: piece
    slug -> the latest session that kept it."""
    flat = sorted((q for q in questions.values() if q.flat), key=lambda q: -q.last)
    searched = 0
    for q in flat:
        newer = {slug for slug, session in kept.items() if session > q.last}
        if not newer:
            continue
        if searched == MAX_SEARCHED:
            break
        searched += 1
        q.reopen = next((slug for slug in nearest(q.text) if slug in newer), None)


def nearest_pieces(index: CorpusIndex, pieces: dict[str, str]) -> Nearest:
    """A question's nearest pieces (see NEAREST) among ``pieces`` (path relative to
    corpus/ -> blob id)."""

    def nearest(text: str) -> list[str]:
        terms = query_terms(text)
        need = min(MIN_SHARED, len(terms))
        out: list[str] = []
        for passage in index.search(pieces, text, PASSAGES):
            slug = formats.slug_of(passage.path)
            if slug in out or len(set(terms) & set(tokens(passage.text))) < need:
                continue
            out.append(slug)
            if len(out) == NEAREST:
                break
        return out

    return nearest


# -- reading main -----------------------------------------------------------------------


def read(
    repo: Repository,
    dead_after: int,
    rev: str | None = None,
    files: dict[str, str] | None = None,
) -> list[Question]:
    """Every question on ``rev``'s log (main's by default), the most recently carried
    first, with what its history says about it now. ``files``: the regular files of
    that commit (path -> blob), when the caller has them already."""
    from agentgit.core.refs import MAIN
    from agentgit.corpus.index import CorpusIndex

    if files is None:
        files = repo.tree_files(rev or MAIN, "corpus/log", "corpus/pieces")
    logs = {
        path: sha
        for path, sha in files.items()
        if path.startswith("corpus/log/") and LOG_NAME_RE.match(path.rsplit("/", 1)[-1])
    }
    pieces = {
        path.removeprefix("corpus/"): sha
        for path, sha in files.items()
        if path.startswith("corpus/pieces/") and formats.SLUG_RE.match(formats.slug_of(path))
    }
    cache = EntryCache(repo.state_dir / "questions" / "entries.json")
    on_main = {formats.slug_of(p) for p in pieces}
    found = derive(cache.entries(logs, repo), dead_after, on_main)
    if any(q.flat for q in found.values()):
        entries = cache.entries(logs, repo, kept=True)
        index = CorpusIndex.of(repo)
        try:
            mark_worth_reopening(found, _kept(entries, on_main), nearest_pieces(index, pieces))
        finally:
            index.close()
    return sorted(found.values(), key=lambda q: (-q.last, q.id))


class EntryCache:
    """What this module needs of each log entry (its session, questions and, when it
    kept pieces, their slugs), keyed by blob id under ``.git/agentgit/``: an entry is
    read and parsed once, ever (5,000 entries parse in about two seconds). An entry that
    kept pieces but names no question is parsed only when its pieces are asked for
    (``kept``): only a flat question needs them, and a fresh clone's first session
    parsed 3,500 of them for none. Deleting the file, or a file that is not one, loses
    nothing: it is rebuilt from git."""

    VERSION = 2  # 2: an entry's kept pieces may be not read yet (None)

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: Summaries | None = None

    def entries(self, logs: dict[str, str], repo: Repository, kept: bool = False) -> list[LogEntry]:
        known = self._known if self._known is not None else self._load()
        self._known = known
        wanted = dict.fromkeys(logs.values())
        missing = [sha for sha in wanted if sha not in known]
        unread = [sha for sha in wanted if sha in known and known[sha][1] is None] if kept else []
        if missing or unread:
            todo = {*missing, *unread}
            # From the checkout where it holds them (a fresh clone's 5,000 entries), else git.
            blobs = repo.read_checkout({p: sha for p, sha in logs.items() if sha in todo})
            blobs.update(repo.read_blobs([sha for sha in todo if sha not in blobs]))
            known.update({sha: _summary(blobs.get(sha, b""), kept) for sha in [*missing, *unread]})
            self._save({sha: known[sha] for sha in wanted})
        out = []
        for path, sha in logs.items():
            records, pieces = known[sha]
            if records or pieces:
                outcome = Outcome.CRYSTALLIZED if pieces else None
                entry = LogEntry(_session_of(path), "", "", outcome=outcome, pieces=pieces or [])
                entry.questions = records
                out.append(entry)
        return out

    def _load(self) -> Summaries:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if data.get("version") != self.VERSION:
                return {}
            return {sha: _cached(q, k) for sha, (q, k) in data["entries"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError, CorpusError):
            return {}  # missing or not ours: rebuilt

    def _save(self, entries: Summaries) -> None:
        """Written whole to a temporary file and renamed: a concurrent reader sees the
        old file or the new one, and two writers each leave a correct one."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": self.VERSION, "entries": entries}), "utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache: the next read parses again


def _cached(records: object, kept: object) -> Summary:
    """One cached summary, held to what corpus checks in a log entry: a file that parses
    as JSON is not therefore ours (CorpusError, TypeError: rebuilt)."""
    if not (isinstance(records, list) and (kept is None or isinstance(kept, list))):
        raise TypeError("not a summary")
    slugs = None if kept is None else [formats.validate_slug(slug) for slug in kept]
    return [formats.normalise_question(record) for record in records], slugs


def _session_of(path: str) -> int:
    match = LOG_NAME_RE.match(path.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else 0


def _summary(data: bytes, kept: bool = True) -> Summary:
    """(question records, pieces kept) of one log entry's text; an entry that does not
    parse counts as neither here, as `agentgit check` reports it. Without ``kept``, an
    entry that kept pieces and names no question is left unparsed: (no records, None)."""
    questions, crystallized = _HAS_QUESTIONS.search(data), _CRYSTALLIZED.search(data)
    if not (questions or crystallized):
        return [], []
    if not (questions or kept):
        return [], None
    try:
        entry = formats.parse_log_entry(data.decode("utf-8"), "log entry")
    except (CorpusError, UnicodeDecodeError):
        return [], []
    return entry.questions, entry.pieces if entry.outcome == Outcome.CRYSTALLIZED else []


def _kept(entries: Iterable[LogEntry], on_main: set[str]) -> dict[str, int]:
    kept: dict[str, int] = {}
    for entry in entries:
        if entry.outcome == Outcome.CRYSTALLIZED:
            for slug in entry.pieces:
                if slug in on_main:
                    kept[slug] = max(kept.get(slug, 0), entry.session)
    return kept


# -- a session's step ---------------------------------------------------------------------

ACTIONS = ("open", "pursue", "answer", "drop")


def before_session(
    corpus_dir: loading.Source, session: int, dead_after: int
) -> dict[str, Question]:
    """The questions as the log in a session's worktree (main's, when it started) left
    them, this session's own journal aside."""
    entries, _, _ = loading.load_log_entries(corpus_dir, keep=lambda t: "\nquestions:" in t)
    on_main = set(loading.list_piece_slugs(corpus_dir))
    return derive((e for e in entries if e.session != session), dead_after, on_main)


@dataclass
class Step:
    """One `question` call, checked: the record the journal keeps and the line it gets."""

    record: dict[str, Any]
    line: str
    hint: str = ""


def step(
    action: str,
    qid: str,
    *,
    text: str,
    why: str,
    pieces: list[str],
    prior: Question | None,
    mine: dict[str, Any] | None,
) -> Step:
    """What ``action`` on question ``qid`` records, given its state before this session
    (``prior``) and this session's record so far (``mine``). CorpusError says why not."""
    if action not in ACTIONS:
        raise CorpusError(f"action must be one of {', '.join(ACTIONS)} (got {action[:40]!r})")
    status = mine["status"] if mine else prior.status if prior else None
    known_text = (mine or {}).get("text") or (prior.text if prior else "")
    if action == "open":
        return _open(qid, text, status, prior, mine)
    if status is None:
        raise CorpusError(f"question {qid!r} was never opened; open it with its text first")
    remark = f": {text}" if text else ""
    if action == "pursue":
        if status not in LIVE:
            where = "in this session" if mine else f"in session {prior.last:04d}" if prior else ""
            raise CorpusError(
                f"question {qid!r} was {status} {where}; open it again (with its text) to reopen it"
            )
        kept = "open" if mine and mine["status"] == "open" else "pursued"
        record = {"id": qid, "text": known_text, "status": kept}
        return Step(record, f"Question `{qid}` pursued{remark}", _dead_hint(prior, mine))
    if action == "answer":
        if not pieces:
            raise CorpusError("answer names the pieces that answer it: pieces is empty")
        record = {"id": qid, "text": known_text, "status": "answered", "pieces": pieces}
        return Step(record, f"Question `{qid}` answered by {', '.join(pieces)}{remark}")
    if not why:
        raise CorpusError("drop says why: why is empty")
    record = {"id": qid, "text": known_text, "status": "dropped", "why": why}
    return Step(record, f"Question `{qid}` dropped: {why}")


def _open(
    qid: str, text: str, status: str | None, prior: Question | None, mine: dict[str, Any] | None
) -> Step:
    if not text:
        raise CorpusError("open needs text: the question itself")
    if mine and status in LIVE:
        raise CorpusError(f"question {qid!r} is already open in this session; pursue it")
    if not mine and prior and prior.live and not prior.possibly_dead:
        raise CorpusError(
            f"question {qid!r} is already open (since session {prior.opened:04d}, carried by "
            f"{len(prior.sessions)}); pursue it, answer it or drop it"
        )
    again = " (reopened)" if prior or mine else ""
    record = {"id": qid, "text": text, "status": "open"}
    return Step(record, f"Question `{qid}` opened{again}: {text}")


def _dead_hint(prior: Question | None, mine: dict[str, Any] | None) -> str:
    if mine or prior is None or not prior.possibly_dead:
        return ""
    return (
        f" It has been pursued in {prior.pursued + 1} sessions since it was opened without a "
        "piece that answers it: possibly dead. Answer it, drop it with why, or say what changed."
    )


# -- a session's own journal ------------------------------------------------------------


def journal_questions(path: Path, rel: str) -> list[dict[str, Any]]:
    """The question records of a session's journal (its log entry in the worktree), so
    the final entry keeps them; none when there is no journal yet."""
    if not path.is_file():
        return []
    try:
        return formats.parse_log_entry(path.read_text("utf-8"), rel).questions
    except (CorpusError, UnicodeDecodeError):
        return []
