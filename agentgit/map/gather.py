"""`agentgit map`, its first half: the landscape of a corpus's sessions, gathered.

`gather` reads main's history into plain data (a `Landscape`), with a handful of git
calls whatever the number of sessions. The other half, which knows nothing of how the
data was found, draws it as one page: agentgit.map.drawing.
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import yaml

from agentgit.core import figures, refs
from agentgit.core.errors import CorpusError
from agentgit.core.outcome import OPEN, Outcome
from agentgit.core.refs import MAIN
from agentgit.core.settings import DEAD_AFTER, Settings
from agentgit.corpus import fields, formats, history
from agentgit.corpus.formats import LOG_NAME_RE, LogEntry, NoveltyRecord, novelty_records
from agentgit.git import Repository
from agentgit.landscape import questions
from agentgit.map import panels
from agentgit.map.panels import Terrain

# Bounds on what one session carries into the page, so 5,000 sessions stay a few MB.
MAX_TITLE = 200
MAX_SUMMARY = 600
MAX_STEPS = 12
MAX_STEP = 160

_SECTION = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


@dataclass
class SessionMark:
    session: int
    outcome: str  # an Outcome (crystallized, abandoned, ...), or OPEN: none yet
    title: str
    date: str
    summary: str = ""
    reason: str | None = None
    pieces: list[str] = field(default_factory=list)
    novelty: list[NoveltyRecord] = field(default_factory=list)
    cost_usd: float | None = None
    turns: int = 0
    commit: str | None = None  # main's commit recording it
    head: str | None = None  # the session's last commit (archived)
    branch: str | None = None  # a branch still open
    steps: list[str] = field(default_factory=list)  # its exploration commits' subjects
    more_steps: int = 0


@dataclass
class QuestionEvent:
    session: int
    status: str


@dataclass
class QuestionLine:
    id: str
    text: str
    state: str  # open · pursued · answered · dropped · possibly-dead
    events: list[QuestionEvent]
    why: str | None = None
    pieces: list[str] = field(default_factory=list)


@dataclass
class Landscape:
    name: str
    generated: str
    dead_after: int
    sessions: list[SessionMark]  # oldest first
    questions: list[QuestionLine]  # by the session that opened them
    terrain: Terrain = field(default_factory=Terrain)  # where sessions stood (§8)
    runs: list[dict[str, Any]] = field(default_factory=list)  # experiment runs (§10)
    metric: dict[str, str] | None = None  # the runs' name and direction

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.sessions:
            counts[s.outcome] = counts.get(s.outcome, 0) + 1
        return counts


# -- gathering ---------------------------------------------------------------------------


def gather(
    repo: Repository, dead_after: int = DEAD_AFTER, settings: Settings | None = None
) -> Landscape:
    """Every session main records, and every one still open, with what its log entry
    says, and the terrain and the experiment runs (agentgit.map.panels). Git calls of
    its own: the first-parent log, one ls-tree and one cat-file for all of main's log
    entries, one for-each-ref each for open branches and review refs, and an ls-tree and
    a cat-file per open session (there are few)."""
    settings = settings or Settings(dead_after=dead_after)
    with ThreadPoolExecutor(max_workers=1) as beside:
        # The experiment runs are a git walk of every branch (0.2-0.3 s at 32,000
        # commits), which git makes while this thread surveys the terrain.
        runs = beside.submit(panels.runs, repo)
        return _gathered(repo, dead_after, settings, runs)


def _gathered(
    repo: Repository, dead_after: int, settings: Settings, runs: Future[list[dict[str, Any]]]
) -> Landscape:
    lines = history.log(repo)
    files = repo.tree_files(MAIN, "corpus/log", "corpus/pieces")
    entries = _log_entries(repo, MAIN, files=files)
    slugs = (formats.slug_of(path) for path in files if path.startswith("corpus/pieces/"))
    on_main = {slug for slug in slugs if formats.SLUG_RE.match(slug)}
    marks = {line.session: _from_line(line, entries.get(line.session)) for line in lines}
    waiting = set(_review_numbers(repo))
    for number, branch in history.open_sessions(repo):
        if number in marks:
            if marks[number].outcome == Outcome.NEEDS_REVIEW:
                marks[number].branch = branch
            continue
        entry = _log_entries(repo, refs.head(branch), number, OPEN_KEYS).get(number)
        marks[number] = _open_mark(number, branch, number in waiting, entry)
    sessions = [marks[n] for n in sorted(marks)]
    return Landscape(
        name=repo.top.name,
        generated=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        dead_after=dead_after,
        sessions=sessions,
        questions=question_lines(
            ((s.session, entries.get(s.session)) for s in sessions), dead_after, on_main
        ),
        terrain=panels.terrain(repo, settings, files=files, lines=lines),
        runs=runs.result(),
        metric=panels.metric(settings),
    )


@dataclass
class _Entry:
    meta: dict[str, Any]
    body: str


def _log_entries(
    repo: Repository,
    rev: str,
    only: int | None = None,
    keys: tuple[str, ...] = (),
    files: dict[str, str] | None = None,
) -> dict[int, _Entry]:
    """Session number -> its log entry at `rev` (only session `only`'s, if given), read
    in two git calls (one, given `rev`'s `files`). Of the frontmatter, only `keys` and
    those the map always wants are parsed: on 5,000 entries, parsing all of it would
    take most of the time."""
    if files is None:
        files = repo.tree_files(rev, "corpus/log")
    numbered: dict[str, int] = {}
    for path, sha in files.items():
        match = LOG_NAME_RE.match(path.rsplit("/", 1)[-1])
        if not (match and path.startswith("corpus/log/")):
            continue
        if only is None or int(match.group(1)) == only:
            numbered[sha] = int(match.group(1))
    wanted = ENTRY_KEYS + keys
    entries = {}
    for sha, blob in repo.read_blobs(numbered).items():
        entries[numbered[sha]] = parse_entry(blob.decode("utf-8", errors="replace"), wanted)
    return entries


ENTRY_KEYS = ("ended", "started", "reason", "novelty", "questions")
OPEN_KEYS = ("title", "cost_usd", "pieces", "turns")
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.MULTILINE)


def parse_entry(text: str, keys: tuple[str, ...] | None = None) -> _Entry:
    """A log entry's frontmatter as a raw mapping (of `keys` only, if given) and its
    body. Tolerant: a file a person broke still shows its session (from main's commit)
    with what can be read."""
    text = text.removeprefix("\ufeff")
    if not text.startswith("---"):
        return _Entry({}, text)
    head, sep, body = text[3:].partition("\n---")
    if not sep:
        return _Entry({}, text)
    if keys is not None:
        head = _only_keys(head, keys)
    try:
        meta = yaml.load(head, Loader=fields.LOADER)
    except yaml.YAMLError:
        meta = None
    return _Entry(meta if isinstance(meta, dict) else {}, body.partition("\n")[2])


def _only_keys(head: str, keys: tuple[str, ...]) -> str:
    """The top-level blocks of YAML text `head` whose key is in `keys` (a block runs
    from its key's line to the next line that starts in column 0)."""
    starts = [(m.start(), m.group(1)) for m in _TOP_KEY.finditer(head)]
    kept = []
    for (start, key), (end, _) in zip(starts, [*starts[1:], (len(head), "")], strict=True):
        if key in keys:
            kept.append(head[start:end].rstrip("\n"))
    return "\n".join(kept)


def _sections(body: str) -> dict[str, str]:
    found = {}
    parts = _SECTION.split(body)
    for name, text in zip(parts[1::2], parts[2::2], strict=True):
        found[name.strip().lower()] = text.strip()
    return found


def _from_line(line: history.LogLine, entry: _Entry | None) -> SessionMark:
    mark = SessionMark(
        session=line.session,
        outcome=line.outcome,
        title=line.title,
        date=line.date,
        pieces=list(line.pieces),
        cost_usd=line.cost_usd,
        turns=line.turns,
        commit=line.commit,
        head=line.head,
    )
    if entry is not None:
        _fill(mark, entry)
    return _bounded(mark)


def _open_mark(number: int, branch: str, waiting: bool, entry: _Entry | None) -> SessionMark:
    """A session main does not record: open, or in review, whatever its entry says (one
    killed after it judged has not landed)."""
    mark = SessionMark(
        session=number,
        outcome=Outcome.IN_REVIEW if waiting else OPEN,
        title=(refs.parse_branch(branch) or (number, branch))[1].replace("-", " "),  # its slug
        date="",
        branch=branch,
    )
    if entry is not None:
        meta = entry.meta
        mark.title = _text(meta.get("title")) or mark.title
        mark.date = _text(meta.get("ended") or meta.get("started"))
        mark.cost_usd = _number(meta.get("cost_usd"))
        mark.pieces = _slugs(meta.get("pieces"))
        with suppress(figures.BadFigure):
            mark.turns = figures.count(meta.get("turns"), "turns")
        _fill(mark, entry)
    return _bounded(mark)


def _fill(mark: SessionMark, entry: _Entry) -> None:
    """What only the log entry says: the summary, the steps, the novelty, the reason."""
    meta = entry.meta
    sections = _sections(entry.body)
    mark.summary = sections.get("summary", "")
    mark.steps = [
        ln[2:].strip() for ln in sections.get("steps", "").splitlines() if ln.startswith("- ")
    ]
    mark.reason = _text(meta.get("reason")) or None
    ended = meta.get("ended") or meta.get("started")
    if ended and isinstance(ended, str | datetime):
        mark.date = ended if isinstance(ended, str) else ended.isoformat()
    mark.novelty = novelty_of(meta.get("novelty"))


def _bounded(mark: SessionMark) -> SessionMark:
    mark.title = _clip(mark.title, MAX_TITLE)
    mark.summary = _clip(mark.summary, MAX_SUMMARY)
    mark.more_steps = max(0, len(mark.steps) - MAX_STEPS)
    mark.steps = [_clip(s, MAX_STEP) for s in mark.steps[:MAX_STEPS]]
    return mark


def novelty_of(raw: object) -> list[NoveltyRecord]:
    """The `novelty` frontmatter (one record per kept piece) as `agentgit check` reads it,
    item by item: an entry written before novelty was measured has none, and an item it
    refuses is left out rather than stopping the map. Bounded for the page as the rest."""
    return [
        replace(
            r,
            score=round(r.score, 3),
            similarity=round(r.similarity, 3),
            overlap=_clip(r.overlap or "", MAX_SUMMARY) or None,
        )
        for r in novelty_records(raw)
    ]


def question_lines(
    entries: Any,  # Iterable[tuple[int, _Entry | None]], oldest session first
    dead_after: int = DEAD_AFTER,
    on_main: set[str] | None = None,
) -> list[QuestionLine]:
    """Each question's lifeline from the `questions` frontmatter of the log entries (a
    list of {id, text, status, why?, pieces?} per session): its steps in session order,
    and its state now as agentgit.questions derives it for `agentgit questions` and the
    orientation (`possibly-dead` by its rule; an answer counts when one of its pieces is
    in ``on_main``, None: every answer counts). A record that is not one is left out."""
    lines: dict[str, QuestionLine] = {}
    read: list[LogEntry] = []
    for session, entry in entries:
        raw = entry.meta.get("questions") if entry is not None else None
        if not isinstance(raw, list):
            continue
        records = []
        for item in raw:
            try:
                record = formats.normalise_question(item)
            except CorpusError:
                continue  # `agentgit check` says what is wrong with it
            records.append(record)
            qid, status = record["id"], record["status"]
            line = lines.setdefault(qid, QuestionLine(qid, "", status, []))
            line.text = _clip(record.get("text", ""), MAX_TITLE) or line.text
            line.events.append(QuestionEvent(session, status))
        read.append(LogEntry(session, "", "", questions=records))
    for qid, q in questions.derive(read, dead_after, on_main).items():
        line = lines[qid]
        line.state = "possibly-dead" if q.possibly_dead else q.status
        line.why = _clip(q.why or "", MAX_SUMMARY) or None
        line.pieces = _slugs(q.pieces)
        line.text = line.text or line.id
    return sorted(lines.values(), key=lambda q: (q.events[0].session, q.id))


def _review_numbers(repo: Repository) -> list[int]:
    """Sessions waiting on review: every review ref, in one for-each-ref."""
    found = (refs.number_of(ref) for ref in repo.list_refs(refs.REVIEW.rstrip("/")))
    return [n for n in found if n is not None]


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return value.strip() if isinstance(value, str) else ""


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _number(value: object) -> float | None:
    """A cost from frontmatter; None when it is not one core.figures accepts (the map is
    JSON: an `inf` written by hand must not break it)."""
    try:
        return figures.cost(value) if isinstance(value, int | float) else None
    except figures.BadFigure:
        return None


def _slugs(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v][:50]
