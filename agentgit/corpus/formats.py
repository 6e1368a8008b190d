"""Pieces and log entries (DESIGN §1): their names, their records, and their text read
and written, with the questions a log entry carries (§8). The frontmatter's mechanics
are `fields`; `check` holds the rules on top, `loading` reads many from a view.

This module knows nothing about git: callers hand it text. It never prints; malformed
input raises `CorpusError` (one line, ``path:line: reason``) or comes back as a `Problem`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from agentgit.core.errors import CorpusError
from agentgit.core.outcome import Outcome
from agentgit.corpus import fields
from agentgit.corpus.fields import FrontmatterError
from agentgit.models.base import Usage

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
LOG_NAME_RE = re.compile(r"^(\d{4,})-([a-z0-9][a-z0-9-]{0,63})\.md$")
# What a log entry may record (in-review and skipped are never written as an entry).
OUTCOMES = (Outcome.CRYSTALLIZED, Outcome.ABANDONED, Outcome.NEEDS_REVIEW, Outcome.INTERRUPTED)
PIECE_KEYS = ("title", "summary", "tags", "created", "updated", "sessions")
LOG_KEYS = (
    "session", "title", "started", "ended", "outcome", "pieces", "reason",
    "model", "turns", "usage", "cost_usd", "head", "novelty", "ground", "review",
)  # fmt: skip
# A log entry's usage keys, and the Usage fields they record.
_USAGE_FIELDS = (
    ("input", "input_tokens"),
    ("output", "output_tokens"),
    ("cache_read", "cache_read_input_tokens"),
    ("cache_write", "cache_creation_input_tokens"),
)
USAGE_KEYS = tuple(key for key, _ in _USAGE_FIELDS)
# A log entry's `questions` (DESIGN §8): one record per question this session acted on.
QUESTION_STATUSES = ("open", "pursued", "answered", "dropped")
QUESTION_KEYS = ("id", "text", "status", "why", "pieces")
MAX_QUESTION = 500  # a question's text or a drop's why: one line, a sentence or two
MAX_TITLE = 200
MAX_SUMMARY = 300


@dataclass
class Problem:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class Piece:
    slug: str
    title: str
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    created: date | None = None
    updated: date | None = None
    sessions: list[int] = field(default_factory=list)
    body: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def meta(self) -> dict[str, Any]:
        """The frontmatter as `render_piece` wants it (None dates left out)."""
        meta: dict[str, Any] = {"title": self.title, "summary": self.summary, "tags": self.tags}
        if self.created is not None:
            meta["created"] = self.created
        if self.updated is not None:
            meta["updated"] = self.updated
        meta["sessions"] = self.sessions
        return {**meta, **self.extra}


NOVELTY_KEYS = ("piece", "score", "nearest", "similarity", "overlap")


@dataclass(frozen=True)
class NoveltyRecord:
    """One kept piece's novelty against main at the keep (DESIGN §8): what the keep
    measured (agentgit.landscape.novelty), the log entry holds, and `show`, the pull
    request, main's trailer and the map read. Written by `record`, read by `parse`."""

    piece: str
    score: float  # 1 - similarity, 0 to 1
    nearest: str | None  # the nearest piece on main; None when main had none
    similarity: float
    overlap: str | None = None  # what a near-duplicate says that its nearest does not

    def record(self) -> dict[str, Any]:
        """The mapping the log entry's frontmatter holds (overlap only when given)."""
        out: dict[str, Any] = {
            "piece": self.piece,
            "score": self.score,
            "nearest": self.nearest,
            "similarity": self.similarity,
        }
        if self.overlap:
            out["overlap"] = self.overlap
        return out

    @classmethod
    def parse(cls, raw: object, where: str = "novelty") -> NoveltyRecord:
        """A record from its mapping; `CorpusError` saying what is wrong with it."""
        try:
            return _novelty_record(raw, where)
        except fields.Bad as exc:
            raise CorpusError(str(exc)) from None


def novelty_records(raw: object) -> list[NoveltyRecord]:
    """A `novelty` list as far as it can be read: an item `NoveltyRecord.parse` refuses
    is left out (`agentgit check` says what is wrong with it), for readers that must not
    stop on a file a person broke."""
    if not isinstance(raw, list):
        return []
    found = []
    for item in raw:
        with suppress(fields.Bad):
            found.append(_novelty_record(item, "novelty"))
    return found


@dataclass
class LogEntry:
    session: int
    title: str
    started: str
    ended: str | None = None
    outcome: str | None = None
    pieces: list[str] = field(default_factory=list)
    reason: str | None = None
    model: str = ""
    turns: int = 0
    usage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(USAGE_KEYS, 0))
    cost_usd: float | None = None
    head: str | None = None
    # Per kept piece (DESIGN §8): how novel it was against main at the keep.
    novelty: list[NoveltyRecord] = field(default_factory=list)
    # What the session stood on (DESIGN §8): {read: [slugs], wrote: [slugs]}; None when
    # not recorded (an older entry), which is unknown, not empty.
    ground: dict[str, list[str]] | None = None
    body: str = ""
    questions: list[dict[str, Any]] = field(default_factory=list)
    # Written by `agentgit sync` alone (DESIGN §11): {quoted, others} when it put a Review
    # section at the end of the journal; without it no section is read back as review.
    review: dict[str, int] = field(default_factory=dict)


# --- slugs and names -------------------------------------------------------------------


def validate_slug(slug: object) -> str:
    if isinstance(slug, str) and SLUG_RE.match(slug):
        return slug
    raise CorpusError(
        f"bad slug {str(slug)[:80]!r}: use 1-64 of a-z, 0-9 and '-', "
        "starting with a letter or digit"
    )


def slugify(text: str, fallback: str = "session") -> str:
    return _slug_part(text) or _slug_part(fallback) or "session"


def _slug_part(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].rstrip("-")


def slug_of(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-3] if name.endswith(".md") else name


_LEADING_ID = re.compile(r"(\d+)-")


def log_session(name: str) -> int | None:
    """The session a file in corpus/log/ names by its leading number, however the rest
    of its name is spelled: the id a badly named entry holds is still taken."""
    match = _LEADING_ID.match(name.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else None


def log_entry_name(session: int, slug: str) -> str:
    return f"log/{session:04d}-{validate_slug(slug)}.md"


# --- pieces ----------------------------------------------------------------------------


def normalise_piece_meta(
    meta: dict[str, Any],
    *,
    today: date,
    session: int | None = None,
    existing: Piece | None = None,
) -> dict[str, Any]:
    if not isinstance(meta, dict):
        raise CorpusError("frontmatter must be a mapping of keys to values")
    try:
        return _normalise(meta, today, session, existing)
    except fields.Bad as exc:
        raise CorpusError(str(exc)) from None


def _normalise(
    meta: dict[str, Any], today: date, session: int | None, existing: Piece | None
) -> dict[str, Any]:
    title = fields.as_line(meta.get("title") or "", "title")
    if not title:
        raise fields.Bad("title is required")
    if len(title) > MAX_TITLE:
        raise fields.Bad(f"title too long ({len(title)} chars, max {MAX_TITLE}): shorten it")
    summary = fields.as_line(meta.get("summary") or "", "summary")
    if len(summary) > MAX_SUMMARY:
        # The summary only feeds the index, so trimming it beats refusing the draft.
        summary = summary[: MAX_SUMMARY - 1].rsplit(" ", 1)[0].rstrip() + "…"
    given_created = fields.as_date(meta.get("created"), "created")
    fields.as_date(meta.get("updated"), "updated")  # validated, then replaced by today
    sessions = set(fields.as_sessions(meta.get("sessions"), lenient=True))
    if existing is not None:
        sessions.update(existing.sessions)
    if session is not None:
        sessions.add(fields.as_int(session, "session"))
    out: dict[str, Any] = {
        "title": title,
        "summary": summary,
        "tags": fields.as_tags(meta.get("tags"), lenient=True),
        "created": (existing.created if existing else None) or given_created or today,
        "updated": today,
        "sessions": sorted(sessions),
    }
    for key, value in meta.items():
        if key in PIECE_KEYS:
            continue
        if not isinstance(key, str) or not key.strip():
            raise fields.Bad("frontmatter keys must be non-empty strings")
        fields.check_plain(value, key)
        out[key] = value
    if not fields.survives_yaml(out):
        raise fields.Bad("frontmatter holds a value that YAML cannot store faithfully")
    return out


def render_piece(meta: dict[str, Any], body: str) -> str:
    ordered = {k: meta[k] for k in PIECE_KEYS if k in meta}
    ordered.update({k: v for k, v in meta.items() if k not in PIECE_KEYS})
    return fields.dump(ordered, body)


def parse_piece(text: str, path: str) -> Piece:
    fm, rest = fields.split(text, path)
    data, key_line = fields.load_yaml(fm, path)
    if "title" not in data:
        raise FrontmatterError(path, 1, "missing title")
    values: dict[str, Any] = {}
    for key, coerce in _PIECE_FIELDS.items():
        try:
            values[key] = coerce(data.get(key))
        except fields.Bad as exc:
            raise FrontmatterError(path, key_line(key), str(exc)) from None
    if not values["title"]:
        raise FrontmatterError(path, key_line("title"), "title is empty")
    if len(values["title"]) > MAX_TITLE:  # what write_draft refuses, check refuses too
        raise FrontmatterError(
            path,
            key_line("title"),
            f"title too long ({len(values['title'])} chars, max {MAX_TITLE})",
        )
    extra = {k: v for k, v in data.items() if k not in PIECE_KEYS}
    return Piece(slug=slug_of(path), body=fields.body_of(rest), extra=extra, **values)


_PIECE_FIELDS = {
    "title": lambda v: fields.as_line(v if v is not None else "", "title"),
    "summary": lambda v: fields.as_line(v if v is not None else "", "summary"),
    "tags": lambda v: fields.as_tags(v, lenient=False),
    "created": lambda v: fields.as_date(v, "created"),
    "updated": lambda v: fields.as_date(v, "updated"),
    "sessions": lambda v: fields.as_sessions(v, lenient=False),
}


# --- log entries -----------------------------------------------------------------------


def render_log_entry(entry: LogEntry) -> str:
    meta: dict[str, Any] = {}
    for key in LOG_KEYS:
        value = getattr(entry, key)
        if (key == "reason" and value is None) or (key in ("novelty", "review") and not value):
            continue
        if key == "ground":
            if value is not None:
                meta[key] = {"read": list(value["read"]), "wrote": list(value["wrote"])}
            continue
        if key == "novelty":
            value = [record.record() for record in value]
        if key == "outcome" and value is not None:
            value = str(value)  # an Outcome: YAML knows no enums
        meta[key] = (
            dict(value) if key in ("usage", "review") else list(value) if key == "pieces" else value
        )
    if entry.questions:  # left out when empty: entries without questions read as before
        meta["questions"] = [normalise_question(q) for q in entry.questions]
    return fields.dump(meta, entry.body)


def parse_log_entry(text: str, path: str) -> LogEntry:
    fm, rest = fields.split(text, path)
    data, key_line = fields.load_yaml(fm, path)
    for key in ("session", "title", "started"):
        if data.get(key) in (None, ""):
            raise FrontmatterError(path, key_line(key), f"missing {key}")
    values: dict[str, Any] = {}
    for key, coerce in _LOG_FIELDS.items():
        try:
            values[key] = coerce(data.get(key))
        except fields.Bad as exc:
            raise FrontmatterError(path, key_line(key), str(exc)) from None
    return LogEntry(body=fields.body_of(rest), **values)


def _timestamp(value: object, what: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, datetime | date):
        # An unquoted timestamp in hand-written YAML loads as datetime; keep it as text.
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        return value
    raise fields.Bad(f"{what} must be a timestamp")


def _optional_text(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise fields.Bad(f"{what} must be text")


def _outcome(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in OUTCOMES:
        return value
    raise fields.Bad(f"outcome must be one of {', '.join(OUTCOMES)} (got {str(value)[:40]!r})")


def _slugs(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(s, str) and SLUG_RE.match(s) for s in value
    ):
        raise fields.Bad("pieces must be a list of slugs")
    return list(value)


def _usage(value: object) -> dict[str, int]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise fields.Bad(f"usage must be a mapping of {', '.join(USAGE_KEYS)} to token counts")
    usage = dict.fromkeys(USAGE_KEYS, 0)
    for key, count in value.items():
        usage[str(key)] = fields.as_int(count, f"usage.{key}")
    return usage


def usage_record(usage: Usage) -> dict[str, int]:
    """A session's tokens as its log entry records them."""
    return {key: getattr(usage, name) for key, name in _USAGE_FIELDS}


def usage_of(record: dict[str, int]) -> Usage:
    """The tokens a log entry records (a session landed from its judged commit)."""
    return Usage(**{name: record.get(key, 0) for key, name in _USAGE_FIELDS})


def _review(value: object) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fields.Bad("review must be a mapping of quoted and others to counts")
    return {str(key): fields.as_int(count, f"review.{key}") for key, count in value.items()}


def _cost(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < math.inf:
        return float(value)
    raise fields.Bad("cost_usd must be a non-negative number")


def _novelty(value: object) -> list[NoveltyRecord]:
    """The log entry's `novelty`: one record per kept piece."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise fields.Bad("novelty must be a list of {piece, score, nearest, similarity}")
    return [_novelty_record(record, f"novelty[{i}]") for i, record in enumerate(value)]


def _fraction(number: object, what: str) -> float:
    if isinstance(number, bool) or not isinstance(number, int | float) or not 0 <= number <= 1:
        raise fields.Bad(f"{what} must be a number from 0 to 1")
    return float(number)


def _novelty_record(record: object, where: str) -> NoveltyRecord:
    if not isinstance(record, dict):
        raise fields.Bad(f"{where} must be a mapping of piece, score, nearest, similarity")
    unknown = [str(k) for k in record if k not in NOVELTY_KEYS]
    if unknown:
        raise fields.Bad(f"{where} has unknown key {unknown[0]!r}")
    piece, nearest, overlap = record.get("piece"), record.get("nearest"), record.get("overlap")
    if not (isinstance(piece, str) and SLUG_RE.match(piece)):
        raise fields.Bad(f"{where}.piece must be a slug")
    if nearest is not None and not (isinstance(nearest, str) and SLUG_RE.match(nearest)):
        raise fields.Bad(f"{where}.nearest must be a slug or null")
    if overlap is not None and not isinstance(overlap, str):
        raise fields.Bad(f"{where}.overlap must be text")
    return NoveltyRecord(
        piece,
        _fraction(record.get("score"), f"{where}.score"),
        nearest,
        _fraction(record.get("similarity"), f"{where}.similarity"),
        overlap or None,
    )


GROUND_KEYS = ("read", "wrote")


def _ground(value: object) -> dict[str, list[str]] | None:
    """The log entry's `ground`: the pieces the session read and wrote, slugs each."""
    if value is None:
        return None
    if not isinstance(value, dict) or any(k not in GROUND_KEYS for k in value):
        raise fields.Bad("ground must be a mapping of read and wrote to lists of slugs")
    out = {}
    for key in GROUND_KEYS:
        try:
            out[key] = list(dict.fromkeys(_slugs(value.get(key))))
        except fields.Bad:
            raise fields.Bad(f"ground.{key} must be a list of slugs") from None
    return out


_LOG_FIELDS = {
    "session": lambda v: fields.as_int(v, "session"),
    "title": lambda v: fields.as_line(v, "title"),
    "started": lambda v: _timestamp(v, "started", required=True),
    "ended": lambda v: _timestamp(v, "ended"),
    "outcome": _outcome,
    "pieces": _slugs,
    "reason": lambda v: _optional_text(v, "reason"),
    "model": lambda v: _optional_text(v, "model") or "",
    "turns": lambda v: fields.as_int(v if v is not None else 0, "turns"),
    "usage": _usage,
    "cost_usd": _cost,
    "head": lambda v: _optional_text(v, "head"),
    "novelty": _novelty,
    "ground": _ground,
    "review": lambda v: _review(v),
    "questions": lambda v: _questions(v),  # defined below, with the questions
}


# --- questions -------------------------------------------------------------------------


def normalise_question(record: object) -> dict[str, Any]:
    """One question record as it is stored: keys in order, text on one line, `open`
    with its text, `answered` with the pieces that answer it, `dropped` with why."""
    try:
        return _question(record, "question")
    except fields.Bad as exc:
        raise CorpusError(str(exc)) from None


def _questions(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fields.Bad("questions must be a list of {id, text, status, why?, pieces?}")
    out = [_question(item, f"questions[{i}]") for i, item in enumerate(value)]
    ids = [q["id"] for q in out]
    twice = next((i for i in ids if ids.count(i) > 1), None)
    if twice is not None:
        raise fields.Bad(f"questions: {twice!r} is listed twice; one record per question")
    return out


def _question(item: object, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise fields.Bad(f"{where} must be a mapping of id, text, status, why?, pieces?")
    unknown = [str(k) for k in item if k not in QUESTION_KEYS]
    if unknown:
        raise fields.Bad(
            f"{where}: unknown key {unknown[0][:40]!r} (keys: {', '.join(QUESTION_KEYS)})"
        )
    qid = item.get("id")
    if not isinstance(qid, str) or not SLUG_RE.match(qid):
        raise fields.Bad(
            f"{where}: id must be a slug (1-64 of a-z, 0-9 and '-'), got {str(qid)[:40]!r}"
        )
    where = f"{where} ({qid})"
    status = item.get("status")
    if status not in QUESTION_STATUSES:
        raise fields.Bad(f"{where}: status must be one of {', '.join(QUESTION_STATUSES)}")
    out: dict[str, Any] = {"id": qid}
    text = _bounded_line(item.get("text"), f"{where}: text")
    if status == "open" and not text:
        raise fields.Bad(f"{where}: an open question needs its text")
    if text:
        out["text"] = text
    out["status"] = status
    why = _bounded_line(item.get("why"), f"{where}: why")
    if status == "dropped" and not why:
        raise fields.Bad(f"{where}: a dropped question needs why")
    if why:
        out["why"] = why
    pieces = item.get("pieces")
    if pieces is not None or status == "answered":
        try:
            slugs = list(dict.fromkeys(_slugs(pieces)))
        except fields.Bad:
            raise fields.Bad(f"{where}: pieces must be a list of slugs") from None
        if status == "answered" and not slugs:
            raise fields.Bad(f"{where}: an answered question names the pieces that answer it")
        if slugs:
            out["pieces"] = slugs
    return out


def _bounded_line(value: object, what: str) -> str:
    text = "" if value is None else fields.as_line(value, what)
    if len(text) > MAX_QUESTION:
        raise fields.Bad(f"{what} too long ({len(text)} chars, max {MAX_QUESTION})")
    return text
