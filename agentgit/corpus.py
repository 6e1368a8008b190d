"""Pieces, log entries and their frontmatter; the rules `agentgit check` enforces.

This module knows the corpus layout (DESIGN §1) and nothing about git: callers hand
it text or a directory. It never prints; malformed input raises `CorpusError`
(one line, ``path:line: reason``) or comes back as a `Problem`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from agentgit.errors import CorpusError

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
LOG_NAME_RE = re.compile(r"^(\d{4,})-([a-z0-9][a-z0-9-]{0,63})\.md$")
OUTCOMES = ("crystallized", "abandoned", "needs-review", "interrupted")
PIECE_KEYS = ("title", "summary", "tags", "created", "updated", "sessions")
LOG_KEYS = (
    "session", "title", "started", "ended", "outcome", "pieces", "reason",
    "model", "turns", "usage", "cost_usd", "head", "novelty",
)  # fmt: skip
USAGE_KEYS = ("input", "output", "cache_read", "cache_write")
# A log entry's `questions` (DESIGN §8): one record per question this session acted on.
QUESTION_STATUSES = ("open", "pursued", "answered", "dropped")
QUESTION_KEYS = ("id", "text", "status", "why", "pieces")
MAX_QUESTION = 500  # a question's text or a drop's why: one line, a sentence or two
MAX_TITLE = 200
MAX_SUMMARY = 300
MAX_TAG = 64

_YAML = YAMLHandler()  # CSafeLoader / CSafeDumper when libyaml is present
_CLOSE_RE = re.compile(r"^-{3,}\s*$")


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Never write anchors: created and updated are often the very same date object."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# Lists of scalars in flow style (tags: [a, b]); no line wrapping of long summaries.
_DUMP: dict[str, Any] = {
    "Dumper": _Dumper,
    "sort_keys": False,
    "default_flow_style": None,
    "width": 1000,
}


class FrontmatterError(CorpusError):
    """A CorpusError that also carries where and why, so `check` can list it."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


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
    # Per kept piece (DESIGN §8): {piece, score, nearest, similarity, overlap?}.
    novelty: list[dict[str, Any]] = field(default_factory=list)
    body: str = ""
    questions: list[dict[str, Any]] = field(default_factory=list)


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


def log_entry_name(session: int, slug: str) -> str:
    return f"log/{session:04d}-{validate_slug(slug)}.md"


# --- frontmatter text ------------------------------------------------------------------


def _split(text: str, path: str) -> tuple[str, str]:
    """Split a document into (yaml, body). The yaml's line 0 is file line 2."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise FrontmatterError(path, 1, "no frontmatter: the file must start with a '---' line")
    for i in range(1, len(lines)):
        if _CLOSE_RE.match(lines[i]):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    raise FrontmatterError(path, 1, "frontmatter is not closed by a '---' line")


def _load_yaml(fm: str, path: str) -> tuple[dict[str, Any], _KeyLines]:
    try:
        data = _YAML.load(fm)
    except yaml.MarkedYAMLError as exc:
        raise FrontmatterError(path, *_yaml_error(exc)) from None
    except yaml.YAMLError as exc:
        raise FrontmatterError(path, 1, f"bad YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontmatterError(path, 2, "frontmatter must be a mapping of keys to values")
    return data, _KeyLines(fm)


def _yaml_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """File line and reason of a YAML error (its marks count from the line after '---')."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 2 if mark is not None else 1
    reason = f"bad YAML: {exc.problem or exc.context}"
    ctx = exc.context_mark
    if exc.problem and exc.context and ctx is not None and ctx.line + 2 != line:
        reason += f" ({exc.context} at line {ctx.line + 2})"
    return line, reason


class _KeyLines:
    """File line of each top-level key, computed only when an error needs it."""

    def __init__(self, fm: str) -> None:
        self._fm = fm
        self._lines: dict[str, int] | None = None

    def __call__(self, key: str) -> int:
        if self._lines is None:
            node = yaml.compose(self._fm, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            pairs = node.value if isinstance(node, yaml.MappingNode) else []
            self._lines = {str(k.value): k.start_mark.line + 2 for k, _ in pairs}
        return self._lines.get(key, 1)


def _body(rest: str) -> str:
    """The body without the blank lines that separate it from the frontmatter."""
    return rest.lstrip("\n").rstrip()


def _dump(meta: dict[str, Any], body: str) -> str:
    fm = _YAML.export(meta, **_DUMP) if meta else ""
    body = body.strip("\n").rstrip()
    head = f"---\n{fm}\n---\n" if fm else "---\n---\n"
    return f"{head}\n{body}\n" if body else head


# --- field coercion --------------------------------------------------------------------


class _Bad(Exception):
    """A field that cannot be used; the caller adds path and line."""


def _one_line(value: object, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Bad(f"{what} must be text")
    return " ".join(str(value).split())


def _as_date(value: object, what: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for parse in (date.fromisoformat, lambda s: datetime.fromisoformat(s).date()):
            try:
                return parse(value.strip())
            except ValueError:
                continue
    raise _Bad(f"{what} must be an ISO date (YYYY-MM-DD)")


def _as_int(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise _Bad(f"{what} must be a non-negative integer")


def _as_sessions(value: object, *, lenient: bool) -> list[int]:
    if value is None:
        return []
    if lenient and not isinstance(value, list):
        value = [value]
    if not isinstance(value, list):
        raise _Bad("sessions must be a list of session numbers")
    out = []
    for item in value:
        if lenient and isinstance(item, str) and item.strip().isdigit():
            item = int(item.strip())
        out.append(_as_int(item, "sessions"))
    return sorted(set(out))


def _as_tags(value: object, *, lenient: bool) -> list[str]:
    if value is None:
        return []
    if lenient and isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise _Bad("tags must be a list of strings")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) and not (lenient and isinstance(item, int | float)):
            raise _Bad("tags must be a list of strings")
        tag = " ".join(str(item).split()).lower() if lenient else str(item).strip()
        if len(tag) > MAX_TAG:
            raise _Bad(f"tag too long ({len(tag)} chars, max {MAX_TAG}): {tag[:40]!r}...")
        if tag and tag not in out:
            out.append(tag)
    return out


def _check_plain(value: object, where: str) -> None:
    """Extras must survive a YAML round trip unchanged, so only plain data."""
    if value is None or isinstance(value, bool | int | str | date):
        if isinstance(value, datetime):
            raise _Bad(f"{where}: use a date or a string, not a timestamp")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad(f"{where}: numbers must be finite")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Bad(f"{where}: keys must be strings")
            _check_plain(item, f"{where}.{key}")
        return
    raise _Bad(f"{where}: unsupported value of type {type(value).__name__}")


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
    except _Bad as exc:
        raise CorpusError(str(exc)) from None


def _normalise(
    meta: dict[str, Any], today: date, session: int | None, existing: Piece | None
) -> dict[str, Any]:
    title = _one_line(meta.get("title") or "", "title")
    if not title:
        raise _Bad("title is required")
    if len(title) > MAX_TITLE:
        raise _Bad(f"title too long ({len(title)} chars, max {MAX_TITLE}): shorten it")
    summary = _one_line(meta.get("summary") or "", "summary")
    if len(summary) > MAX_SUMMARY:
        # The summary only feeds the index, so trimming it beats refusing the draft.
        summary = summary[: MAX_SUMMARY - 1].rsplit(" ", 1)[0].rstrip() + "…"
    given_created = _as_date(meta.get("created"), "created")
    _as_date(meta.get("updated"), "updated")  # validated, then replaced by today
    sessions = set(_as_sessions(meta.get("sessions"), lenient=True))
    if existing is not None:
        sessions.update(existing.sessions)
    if session is not None:
        sessions.add(_as_int(session, "session"))
    out: dict[str, Any] = {
        "title": title,
        "summary": summary,
        "tags": _as_tags(meta.get("tags"), lenient=True),
        "created": (existing.created if existing else None) or given_created or today,
        "updated": today,
        "sessions": sorted(sessions),
    }
    for key, value in meta.items():
        if key in PIECE_KEYS:
            continue
        if not isinstance(key, str) or not key.strip():
            raise _Bad("frontmatter keys must be non-empty strings")
        _check_plain(value, key)
        out[key] = value
    if not _survives_yaml(out):
        raise _Bad("frontmatter holds a value that YAML cannot store faithfully")
    return out


def _survives_yaml(meta: dict[str, Any]) -> bool:
    """True when dumping and loading gives the same data back (no merge keys, no oddities)."""
    try:
        return bool(_YAML.load(_YAML.export(meta, **_DUMP)) == meta)
    except (yaml.YAMLError, UnicodeError, ValueError):
        return False


def render_piece(meta: dict[str, Any], body: str) -> str:
    ordered = {k: meta[k] for k in PIECE_KEYS if k in meta}
    ordered.update({k: v for k, v in meta.items() if k not in PIECE_KEYS})
    return _dump(ordered, body)


def parse_piece(text: str, path: str) -> Piece:
    fm, rest = _split(text, path)
    data, key_line = _load_yaml(fm, path)
    if "title" not in data:
        raise FrontmatterError(path, 1, "missing title")
    fields: dict[str, Any] = {}
    for key, coerce in _PIECE_FIELDS.items():
        try:
            fields[key] = coerce(data.get(key))
        except _Bad as exc:
            raise FrontmatterError(path, key_line(key), str(exc)) from None
    if not fields["title"]:
        raise FrontmatterError(path, key_line("title"), "title is empty")
    extra = {k: v for k, v in data.items() if k not in PIECE_KEYS}
    return Piece(slug=slug_of(path), body=_body(rest), extra=extra, **fields)


_PIECE_FIELDS = {
    "title": lambda v: _one_line(v if v is not None else "", "title"),
    "summary": lambda v: _one_line(v if v is not None else "", "summary"),
    "tags": lambda v: _as_tags(v, lenient=False),
    "created": lambda v: _as_date(v, "created"),
    "updated": lambda v: _as_date(v, "updated"),
    "sessions": lambda v: _as_sessions(v, lenient=False),
}


# --- log entries -----------------------------------------------------------------------


def render_log_entry(entry: LogEntry) -> str:
    meta: dict[str, Any] = {}
    for key in LOG_KEYS:
        value = getattr(entry, key)
        if (key == "reason" and value is None) or (key == "novelty" and not value):
            continue
        if key == "novelty":
            value = [dict(record) for record in value]
        if key == "outcome" and value is not None:
            value = str(value)  # an Outcome: YAML knows no enums
        meta[key] = dict(value) if key == "usage" else list(value) if key == "pieces" else value
    if entry.questions:  # left out when empty: entries without questions read as before
        meta["questions"] = [normalise_question(q) for q in entry.questions]
    return _dump(meta, entry.body)


def parse_log_entry(text: str, path: str) -> LogEntry:
    fm, rest = _split(text, path)
    data, key_line = _load_yaml(fm, path)
    for key in ("session", "title", "started"):
        if data.get(key) in (None, ""):
            raise FrontmatterError(path, key_line(key), f"missing {key}")
    fields: dict[str, Any] = {}
    for key, coerce in _LOG_FIELDS.items():
        try:
            fields[key] = coerce(data.get(key))
        except _Bad as exc:
            raise FrontmatterError(path, key_line(key), str(exc)) from None
    return LogEntry(body=_body(rest), **fields)


def _timestamp(value: object, what: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, datetime | date):
        # An unquoted timestamp in hand-written YAML loads as datetime; keep it as text.
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        return value
    raise _Bad(f"{what} must be a timestamp")


def _optional_text(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Bad(f"{what} must be text")


def _outcome(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in OUTCOMES:
        return value
    raise _Bad(f"outcome must be one of {', '.join(OUTCOMES)} (got {str(value)[:40]!r})")


def _slugs(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(s, str) and SLUG_RE.match(s) for s in value
    ):
        raise _Bad("pieces must be a list of slugs")
    return list(value)


def _usage(value: object) -> dict[str, int]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _Bad(f"usage must be a mapping of {', '.join(USAGE_KEYS)} to token counts")
    usage = dict.fromkeys(USAGE_KEYS, 0)
    for key, count in value.items():
        usage[str(key)] = _as_int(count, f"usage.{key}")
    return usage


def _cost(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise _Bad("cost_usd must be a non-negative number")


NOVELTY_KEYS = ("piece", "score", "nearest", "similarity", "overlap")


def _novelty(value: object) -> list[dict[str, Any]]:
    """The log entry's `novelty`: one record per kept piece, as agentgit.novelty makes."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad("novelty must be a list of {piece, score, nearest, similarity}")
    return [_novelty_record(record, i) for i, record in enumerate(value)]


def _novelty_record(record: object, i: int) -> dict[str, Any]:
    where = f"novelty[{i}]"
    if not isinstance(record, dict):
        raise _Bad(f"{where} must be a mapping of piece, score, nearest, similarity")
    unknown = [str(k) for k in record if k not in NOVELTY_KEYS]
    if unknown:
        raise _Bad(f"{where} has unknown key {unknown[0]!r}")
    piece, nearest = record.get("piece"), record.get("nearest")
    if not (isinstance(piece, str) and SLUG_RE.match(piece)):
        raise _Bad(f"{where}.piece must be a slug")
    if nearest is not None and not (isinstance(nearest, str) and SLUG_RE.match(nearest)):
        raise _Bad(f"{where}.nearest must be a slug or null")
    out: dict[str, Any] = {"piece": piece}
    for key in ("score", "similarity"):
        number = record.get(key)
        if isinstance(number, bool) or not isinstance(number, int | float) or not 0 <= number <= 1:
            raise _Bad(f"{where}.{key} must be a number from 0 to 1")
        out[key] = float(number)
    out = {
        "piece": piece,
        "score": out["score"],
        "nearest": nearest,
        "similarity": out["similarity"],
    }
    overlap = record.get("overlap")
    if overlap is not None:
        if not isinstance(overlap, str):
            raise _Bad(f"{where}.overlap must be text")
        out["overlap"] = overlap
    return out


_LOG_FIELDS = {
    "session": lambda v: _as_int(v, "session"),
    "title": lambda v: _one_line(v, "title"),
    "started": lambda v: _timestamp(v, "started", required=True),
    "ended": lambda v: _timestamp(v, "ended"),
    "outcome": _outcome,
    "pieces": _slugs,
    "reason": lambda v: _optional_text(v, "reason"),
    "model": lambda v: _optional_text(v, "model") or "",
    "turns": lambda v: _as_int(v if v is not None else 0, "turns"),
    "usage": _usage,
    "cost_usd": _cost,
    "head": lambda v: _optional_text(v, "head"),
    "novelty": _novelty,
    "questions": lambda v: _questions(v),
}


# --- questions -------------------------------------------------------------------------


def normalise_question(record: object) -> dict[str, Any]:
    """One question record as it is stored: keys in order, text on one line, `open`
    with its text, `answered` with the pieces that answer it, `dropped` with why."""
    try:
        return _question(record, "question")
    except _Bad as exc:
        raise CorpusError(str(exc)) from None


def _questions(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad("questions must be a list of {id, text, status, why?, pieces?}")
    out = [_question(item, f"questions[{i}]") for i, item in enumerate(value)]
    ids = [q["id"] for q in out]
    twice = next((i for i in ids if ids.count(i) > 1), None)
    if twice is not None:
        raise _Bad(f"questions: {twice!r} is listed twice; one record per question")
    return out


def _question(item: object, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _Bad(f"{where} must be a mapping of id, text, status, why?, pieces?")
    unknown = [str(k) for k in item if k not in QUESTION_KEYS]
    if unknown:
        raise _Bad(f"{where}: unknown key {unknown[0][:40]!r} (keys: {', '.join(QUESTION_KEYS)})")
    qid = item.get("id")
    if not isinstance(qid, str) or not SLUG_RE.match(qid):
        raise _Bad(f"{where}: id must be a slug (1-64 of a-z, 0-9 and '-'), got {str(qid)[:40]!r}")
    where = f"{where} ({qid})"
    status = item.get("status")
    if status not in QUESTION_STATUSES:
        raise _Bad(f"{where}: status must be one of {', '.join(QUESTION_STATUSES)}")
    out: dict[str, Any] = {"id": qid}
    text = _bounded_line(item.get("text"), f"{where}: text")
    if status == "open" and not text:
        raise _Bad(f"{where}: an open question needs its text")
    if text:
        out["text"] = text
    out["status"] = status
    why = _bounded_line(item.get("why"), f"{where}: why")
    if status == "dropped" and not why:
        raise _Bad(f"{where}: a dropped question needs why")
    if why:
        out["why"] = why
    pieces = item.get("pieces")
    if pieces is not None or status == "answered":
        try:
            slugs = list(dict.fromkeys(_slugs(pieces)))
        except _Bad:
            raise _Bad(f"{where}: pieces must be a list of slugs") from None
        if status == "answered" and not slugs:
            raise _Bad(f"{where}: an answered question names the pieces that answer it")
        if slugs:
            out["pieces"] = slugs
    return out


def _bounded_line(value: object, what: str) -> str:
    text = "" if value is None else _one_line(value, what)
    if len(text) > MAX_QUESTION:
        raise _Bad(f"{what} too long ({len(text)} chars, max {MAX_QUESTION})")
    return text


# --- check -----------------------------------------------------------------------------


def check_text(path: str, text: str | bytes) -> list[Problem]:
    """Problems of one repo-relative file (e.g. ``corpus/pieces/foo.md``)."""
    parts = path.replace("\\", "/").split("/")
    if parts[0] != "corpus" or len(parts) < 2 or parts[-1] == ".gitkeep":
        return []
    if not parts[-1].endswith(".md"):
        return [Problem(path, 1, "not a markdown file")]
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return [Problem(path, line, "not UTF-8 text")]
    area = parts[1] if len(parts) > 2 else None
    if area in ("pieces", "drafts", "log") and len(parts) != 3:
        return [Problem(path, 1, f"files in corpus/{area}/ must sit directly in it")]
    try:
        if area in ("pieces", "drafts"):
            _check_piece(path, parts[-1], text)
        elif area == "log":
            _check_log(path, parts[-1], text)
        elif parts[1:] == ["PROGRAM.md"] and not text.strip():
            return [Problem(path, 1, "PROGRAM.md is empty: it holds the agent's instructions")]
    except FrontmatterError as exc:
        return [Problem(exc.path, exc.line, exc.reason)]
    return []


def _check_piece(path: str, name: str, text: str) -> None:
    if not SLUG_RE.match(name[:-3]):
        raise FrontmatterError(
            path, 1, "bad file name: use <slug>.md, slug of 1-64 of a-z, 0-9 and '-'"
        )
    parse_piece(text, path)


def _check_log(path: str, name: str, text: str) -> None:
    match = LOG_NAME_RE.match(name)
    if not match:
        raise FrontmatterError(path, 1, "bad file name: use NNNN-<slug>.md, e.g. 0007-topic.md")
    entry = parse_log_entry(text, path)
    if entry.session != int(match.group(1)):
        raise FrontmatterError(
            path, 2, f"session {entry.session} does not match the file name ({match.group(1)})"
        )


def check_tree(root: Path, paths: Iterable[str] | None = None) -> list[Problem]:
    if paths is None:
        base = root / "corpus"
        found = (p for p in base.rglob("*") if p.is_file()) if base.is_dir() else iter(())
        paths = (p.relative_to(root).as_posix() for p in found)
    problems: list[Problem] = []
    for given in paths:
        rel = _repo_relative(root, given)
        if not rel.startswith("corpus/"):
            continue  # not ours to judge; don't even read it
        try:
            data = (root / rel).read_bytes()
        except FileNotFoundError:
            continue  # deleted or staged for deletion: nothing to check
        except OSError as exc:
            problems.append(Problem(rel, 1, f"cannot read: {exc.strerror}"))
            continue
        problems.extend(check_text(rel, data))
    return sorted(problems, key=lambda p: (p.path, p.line, p.reason))


def _repo_relative(root: Path, path: str) -> str:
    given = Path(path)
    if given.is_absolute():
        try:
            given = given.relative_to(root)
        except ValueError:
            return given.as_posix()
    return given.as_posix()
