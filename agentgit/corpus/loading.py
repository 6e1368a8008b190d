"""Reading pieces and log entries out of any view of a corpus (a directory on disk, a
session's tree in git objects): which files there are, each one parsed, the broken ones
reported rather than raised, and no symbolic link followed out of the corpus.

`piece_cards` is the cheap reading for listings: a piece's title, summary and tags,
remembered by blob id (in the index's `derived` table), so listing 10,000 pieces by tag
reads only the pieces that changed since the last listing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from agentgit.corpus.fields import FrontmatterError
from agentgit.corpus.formats import (
    LOG_NAME_RE,
    SLUG_RE,
    LogEntry,
    Piece,
    Problem,
    parse_log_entry,
    parse_piece,
)
from agentgit.corpus.view import CorpusView, DirView, LeadsOut, decode, plain_file, resolve

_T = TypeVar("_T")
Source = Path | CorpusView  # a corpus/ directory on disk, or any view of one
CARD = "card/1"  # the `derived` kind cards are kept under (its version in the name)


@dataclass(frozen=True)
class Card:
    """What a listing shows of a piece."""

    slug: str
    title: str
    summary: str
    tags: tuple[str, ...]


class Memo(Protocol):
    """Where what is derived from a blob is kept by its id (CorpusIndex)."""

    def derived(self, kind: str, blobs: Iterable[str]) -> dict[str, str]: ...
    def store_derived(self, kind: str, data: dict[str, str]) -> None: ...


def as_view(source: Source) -> CorpusView:
    return DirView(source) if isinstance(source, Path) else source


def list_piece_slugs(source: Source) -> list[str]:
    return sorted(_md_slugs(as_view(source), "pieces"))


def _md_slugs(view: CorpusView, folder: str) -> list[str]:
    names = [n for n in view.names(folder) if n.endswith(".md")]
    return [n[:-3] for n in names if SLUG_RE.match(n[:-3])]


def _piece_names(slugs: Iterable[str]) -> list[str]:
    # Never let a caller's slug reach outside pieces/.
    return [f"{slug}.md" for slug in slugs if isinstance(slug, str) and SLUG_RE.match(slug)]


def load_pieces(
    source: Source,
    slugs: Iterable[str] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> tuple[list[Piece], list[Problem]]:
    """Parse pieces; broken ones are skipped and reported, missing ones ignored. `keep`
    sees each file's text first: one it turns down is not parsed (nor reported)."""
    view = as_view(source)
    wanted = list_piece_slugs(view) if slugs is None else list(slugs)
    return _load_each(view, "pieces", _piece_names(wanted), parse_piece, keep)


def piece_cards(
    source: Source, slugs: Iterable[str], memo: Memo | None = None, naming: str | None = None
) -> tuple[list[Card], list[Problem]]:
    """The cards of `slugs` (missing ones ignored, broken ones reported), in their order.
    With a memo, a piece read from git objects is parsed once per version, ever. With
    `naming` (lower case), a broken piece is reported only if its text names it, as
    `load_pieces` with a `keep` would."""
    view = as_view(source)
    targets, problems = _targets(view, "pieces", _piece_names(slugs))
    plain = {rel: t for rel, t in targets.items() if isinstance(t, str)}
    ids = view.blob_ids(list(set(plain.values()))) if memo is not None else {}
    known = memo.derived(CARD, set(ids.values())) if memo is not None and ids else {}
    unread = [t for t in set(plain.values()) if ids.get(t) not in known]
    blobs = view.read_many(unread)
    learnt: dict[str, str] = {}
    cards: list[Card] = []
    for rel, target in targets.items():
        where = f"corpus/{rel}"
        if isinstance(target, Exception):
            problems.extend(_problem(where, target))
            continue
        sha = ids.get(target)
        record = known.get(sha) if sha is not None else None
        if record is None:
            if target not in blobs:
                continue  # gone meanwhile
            record = _card_record(blobs[target], where)
            if sha is not None:
                learnt[sha] = record
        data = json.loads(record)
        slug = rel.removeprefix("pieces/").removesuffix(".md")
        if "reason" in data:
            if naming is None or naming in data.get("text", naming):
                problems.append(Problem(where, data["line"], data["reason"]))
        else:
            cards.append(Card(slug, data["title"], data["summary"], tuple(data["tags"])))
    if memo is not None and learnt:
        memo.store_derived(CARD, learnt)
    return cards, problems


def _card_record(data: bytes, where: str) -> str:
    """A card, or the problem that kept it from being one, as JSON: what is kept. A
    problem keeps the file's text (lower case) too, for `naming`: broken pieces are few."""
    record: dict[str, object]
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return json.dumps({"line": 1, "reason": "not UTF-8 text"})  # reported whatever it names
    try:
        piece = parse_piece(text, where)
        record = {"title": piece.title, "summary": piece.summary, "tags": piece.tags}
    except FrontmatterError as exc:
        record = {"line": exc.line, "reason": exc.reason, "text": text.lower()}
    return json.dumps(record, ensure_ascii=False)


def _targets(
    view: CorpusView, folder: str, names: Iterable[str]
) -> tuple[dict[str, str | Exception], list[Problem]]:
    """Each `folder/name` resolved to the plain file it is (or why it is not one). A
    symbolic link is followed only while it stays in the corpus: a person's link in
    pieces/ may point at ~/.ssh, and what is read here goes to the model."""
    try:
        resolve(view, folder)
    except LeadsOut:
        return {}, [Problem(f"corpus/{folder}", 1, "a symbolic link out of the corpus; not read")]
    except OSError:
        pass  # a loop: each file below says so
    # A plain file in a plain folder is its own target: one question for each of 10,000
    # pieces, where resolving asks three.
    plain_folder = view.kind(folder) == "dir"
    targets: dict[str, str | Exception] = {}
    for rel in (f"{folder}/{name}" for name in names):
        if plain_folder and view.kind(rel) == "file":
            targets[rel] = rel
            continue
        try:
            targets[rel] = plain_file(view, rel)
        except (LeadsOut, OSError) as exc:
            targets[rel] = exc
    return targets, []


def _problem(where: str, exc: Exception) -> list[Problem]:
    """What a file that cannot be read is reported as (a missing one: nothing)."""
    if isinstance(exc, FileNotFoundError):
        return []
    if isinstance(exc, LeadsOut):
        return [Problem(where, 1, "a symbolic link out of the corpus; not read")]
    if isinstance(exc, UnicodeDecodeError):
        return [Problem(where, 1, "not UTF-8 text")]
    if isinstance(exc, OSError):  # a directory named x.md, no permission, a loop of links
        return [Problem(where, 1, f"cannot be read: {exc.strerror}")]
    if isinstance(exc, FrontmatterError):
        return [Problem(exc.path, exc.line, exc.reason)]
    raise exc


def _load_each(
    view: CorpusView,
    folder: str,
    names: Iterable[str],
    parse: Callable[[str, str], _T],
    keep: Callable[[str], bool] | None = None,
) -> tuple[list[_T], list[Problem]]:
    """Parse each file; a broken one is reported as a problem, a missing one ignored."""
    targets, problems = _targets(view, folder, names)
    parsed: list[_T] = []
    # One read for them all: from git objects, that is one `cat-file --batch`.
    blobs = view.read_many(list({t for t in targets.values() if isinstance(t, str)}))
    for rel, target in targets.items():
        where = f"corpus/{rel}"
        try:
            if isinstance(target, Exception):
                raise target
            if target not in blobs:
                continue  # gone meanwhile
            text = decode(blobs[target])
            if keep is None or keep(text):
                parsed.append(parse(text, where))
        except (OSError, LeadsOut, UnicodeDecodeError, FrontmatterError) as exc:
            problems.extend(_problem(where, exc))
    return parsed, problems


def log_files(source: Source) -> list[tuple[int, str]]:
    """(session, file name) of every well-named log entry, newest first."""
    names = as_view(source).names("log")
    found = [(int(m.group(1)), n) for n in names if (m := LOG_NAME_RE.match(n))]
    return sorted(found, key=lambda t: (-t[0], t[1]))


def load_log_entries(
    source: Source, newest: int | None = None, keep: Callable[[str], bool] | None = None
) -> tuple[list[LogEntry], list[Problem], int]:
    """The newest log entries; `keep`, as for load_pieces, skips a file before parsing."""
    view = as_view(source)
    files = log_files(view)
    chosen = files if newest is None else files[: max(newest, 0)]
    names = (name for _, name in chosen)
    entries, problems = _load_each(view, "log", names, parse_log_entry, keep)
    return entries, problems, len(files)
