"""Exploring or wandering: the terrain of an inquiry (DESIGN §8).

`survey` places main's pieces in regions and in 2-D (agentgit.landscape.regions), reads
each session's ground (agentgit.landscape.ground), and derives, never stores, a verdict
per session with its reason in one sentence. The rules, in the order they are tried:

- unknown: where it stood is not known (no ground in its log entry, no transcript), or
  it read only pieces no longer on main and kept nothing.
- exploring: it kept a new piece (one kept without an `overlap`: it passed the novelty
  gate) whose nearest earlier piece, as novelty measured it at the keep, it had read,
  or whose region it had read in; or it revised a piece (a revision stands on the piece
  it revises).
- leaping: it kept a new piece, and had read neither its nearest piece nor its region.
- wandering: it kept nothing new, and at least half of the pieces it read lie in regions
  the `dead_after` sessions before it had read; or it read nothing at all.
- surveying: it kept nothing new, and most of what it read lies in regions those
  sessions had not read.

`dead_after` or more wandering sessions in a row whose reading lay mostly in one region
are circling there. Coverage, session by session: the regions touched so far (read or
written), the regions first touched by that session, and the share of the pieces kept so
far that founded a region. A retrospect: nothing here keeps or discards anything.
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agentgit.core.errors import CorpusError
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN, NOTES
from agentgit.core.settings import Settings
from agentgit.corpus import formats, history
from agentgit.corpus.formats import LOG_NAME_RE
from agentgit.corpus.index import CorpusIndex
from agentgit.corpus.search import searchable
from agentgit.git import Repository
from agentgit.landscape import embedded, regions
from agentgit.landscape import ground as ground_of
from agentgit.landscape.ground import Ground
from agentgit.landscape.similarity import Pieces

VERDICTS = ("exploring", "leaping", "surveying", "wandering", "unknown")
MOSTLY = 0.5  # the share of its reading in recently read regions that makes it wandering
_WORTH_PARSING = re.compile(rb"^(ground|novelty):", re.M)
_VERSION = 1


@dataclass(frozen=True)
class PiecePlace:
    slug: str
    region: int
    x: float
    y: float


@dataclass(frozen=True)
class Region:
    id: int
    words: tuple[str, ...]
    pieces: tuple[str, ...]
    circling: tuple[int, ...] = ()  # the sessions circling there

    def name(self) -> str:
        return f"region {self.id} ({', '.join(self.words) or 'no words'})"


@dataclass(frozen=True)
class SessionStand:
    session: int
    verdict: str
    why: str
    read: tuple[str, ...] | None  # None: unknown
    wrote: tuple[str, ...]
    regions: tuple[int, ...]
    circling: bool = False


@dataclass(frozen=True)
class Coverage:
    session: int
    regions_touched: int
    new_regions: int
    founded_share: float  # of the pieces kept so far, those that founded a region (0: none)


@dataclass(frozen=True)
class Terrain:
    pieces: tuple[PiecePlace, ...]
    regions: tuple[Region, ...]
    sessions: tuple[SessionStand, ...]  # oldest first
    coverage: tuple[Coverage, ...]  # one per session, oldest first
    dead_after: int = 3

    def last(self, n: int | None) -> Terrain:
        """The same terrain with only the last ``n`` sessions (and their coverage)."""
        if n is None:
            return self
        keep = {s.session for s in self.sessions[-n:]} if n > 0 else set()
        return replace(
            self,
            sessions=tuple(s for s in self.sessions if s.session in keep),
            coverage=tuple(c for c in self.coverage if c.session in keep),
        )

    def records(self) -> list[dict[str, Any]]:
        """The JSON-safe records of `agentgit landscape --json` (DESIGN §8)."""
        out: list[dict[str, Any]] = []
        out += [
            {"type": "piece", "slug": p.slug, "region": p.region, "x": p.x, "y": p.y}
            for p in self.pieces
        ]
        out += [
            {
                "type": "region",
                "id": r.id,
                "words": list(r.words),
                "pieces": list(r.pieces),
                "circling": list(r.circling),
            }
            for r in self.regions
        ]
        out += [
            {
                "type": "session",
                "session": s.session,
                "verdict": s.verdict,
                "why": s.why,
                "read": None if s.read is None else list(s.read),
                "wrote": list(s.wrote),
                "regions": list(s.regions),
                "circling": s.circling,
            }
            for s in self.sessions
        ]
        out += [
            {
                "type": "coverage",
                "session": c.session,
                "regions_touched": c.regions_touched,
                "new_regions": c.new_regions,
                "founded_share": c.founded_share,
            }
            for c in self.coverage
        ]
        return out


def view(found: Terrain) -> list[str]:
    """The terrain as `agentgit landscape` shows it on a terminal, line by line."""
    out = [
        f"{len(found.pieces)} piece{'s' * (len(found.pieces) != 1)} in "
        f"{len(found.regions)} region{'s' * (len(found.regions) != 1)}; "
        f"{len(found.sessions)} session{'s' * (len(found.sessions) != 1)} shown "
        f"(circling means {found.dead_after} wandering in a row in one region)"
    ]
    if found.regions:
        out += ["", "Regions"]
        for r in found.regions:
            mark = ""
            if r.circling:
                mark = "  circling: " + ", ".join(f"{s:04d}" for s in r.circling)
            words = ", ".join(r.words) or "(no words)"
            count = f"{len(r.pieces)} piece{'s' * (len(r.pieces) != 1)}"
            out.append(f"  {r.id:>4}  {words:<36} {count:>12}{mark}")
    if found.sessions:
        out += ["", "Sessions"]
        for s in found.sessions:
            verdict = s.verdict + ("*" if s.circling else "")
            out.append(f"  {s.session:04d}  {verdict:<11} {s.why}")
        if any(s.circling for s in found.sessions):
            out.append("  (* circling)")
        out += ["", "Coverage (regions touched so far, new this session, keeps that founded one)"]
        for c in found.coverage:
            out.append(
                f"  {c.session:04d}  {c.regions_touched:>5} region{'s' * (c.regions_touched != 1)}"
                f"{' ' * (c.regions_touched == 1)}  +{c.new_regions:<4} "
                f"founded {c.founded_share:.0%}"
            )
    return out


# -- the orientation's line ---------------------------------------------------------------

ORIENT_SESSIONS = 5  # the recent sessions the orientation's line names
ORIENT_CHARS = 500
# A session's orientation places at most this many new pieces (a few keeps' worth, about a
# tenth of a second); more, as in a fresh clone of a big corpus, wait for a survey of
# their own, so that a session's start does not pay seconds for one line.
ORIENT_MOST_NEW = 500
LINE_START = "Terrain (a retrospect):"  # whichever measure placed the regions
# The line as older sessions had it, when the terrain was lexical only: a replay reads it.
_RECORDED = (LINE_START, "Terrain (a retrospect, lexical):")


def recorded_line(orientation: str) -> str:
    """The terrain's line in an orientation as it was recorded ("" if it had none)."""
    return next((x for x in orientation.splitlines() if x.startswith(_RECORDED)), "")


def unsurveyed_line(count: int) -> str:
    """The orientation's line when this clone has not placed main's pieces yet: said,
    not guessed (a later survey, by `agentgit landscape` or `map`, places them)."""
    return f"{LINE_START} not surveyed in this clone yet ({count:,} pieces unplaced)."


def orientation_line(found: Terrain, recent: int = ORIENT_SESSIONS) -> str:
    """One bounded line for a session's orientation: where the last sessions stood, and
    any circling among them. Information, not an instruction ("" with no sessions)."""
    last = found.sessions[-recent:]
    if not last:
        return ""
    stood = ", ".join(f"{s.session:04d} {s.verdict}" for s in last)
    line = f"{LINE_START} the last sessions were {stood}."
    shown = {s.session for s in last}
    for r in found.regions:
        if shown & set(r.circling):
            line += (
                f" Sessions {', '.join(f'{n:04d}' for n in r.circling[-recent:])} circled "
                f"{r.name()}: they read there and kept nothing new."
            )
    if len(line) > ORIENT_CHARS:
        line = line[: ORIENT_CHARS - 1].rstrip() + "…"
    return line


# -- surveying ----------------------------------------------------------------------------


@dataclass
class _Session:
    session: int
    kept: list[str]
    ground: Ground | None
    overlap: set[str]  # pieces kept only with an overlap: not new
    nearest: dict[str, str]  # kept piece -> its nearest piece when it was kept
    revised: set[str] = field(default_factory=set)  # kept pieces that were on main before


def survey(
    repo: Repository,
    settings: Settings,
    rev: str = MAIN,
    files: dict[str, str] | None = None,
    lines: list[history.LogLine] | None = None,
    most_new: int | None = None,
) -> Terrain:
    """The terrain of main: its pieces placed, its sessions judged. ``rev`` names another
    tree of pieces and log entries (the sessions are main's log's); ``files``: that
    tree's corpus/pieces and corpus/log (path -> blob), and ``lines``: main's log, when
    the caller has them (the map does: each is a git call saved). ``most_new``: raise
    regions.Unplaced rather than place more new pieces than that (the orientation's
    bound: a first survey of 10,000 pieces takes many seconds)."""
    if files is None:
        files = repo.tree_files(rev, "corpus/log", "corpus/pieces")
    index = CorpusIndex.of(repo)
    in_pieces = {
        path.removeprefix("corpus/"): blob
        for path, blob in files.items()
        if path.startswith("corpus/pieces/") and searchable(path.removeprefix("corpus/"))
    }
    pieces = Pieces(index, in_pieces)
    slugs = {formats.slug_of(p): b for p, b in pieces.files.items()}
    with _no_collector():
        try:
            measure: regions.Measure[Any] = (
                embedded.Embedded(pieces)
                if settings.terrain_measure == "embeddings"
                else regions.Lexical(pieces)
            )
            cache = regions.cache_path(repo.state_dir)
            before = regions.load(cache, measure.name)
            if most_new is not None and (count := regions.unplaced(slugs, before)) > most_new:
                raise regions.Unplaced(count)  # before main's log is walked for nothing
            lines = sorted(history.log(repo) if lines is None else lines, key=lambda ln: ln.session)
            arrival: dict[str, int] = {}
            for line in lines:
                if line.outcome == Outcome.CRYSTALLIZED:
                    for slug in line.pieces:
                        arrival.setdefault(slug, line.session)
            placed = regions.layout(slugs, arrival, measure, cache, most_new, before)
        finally:
            index.close()
        logs = {p: b for p, b in files.items() if p.startswith("corpus/log/")}
        sessions = _sessions(repo, logs, lines)
        return judge(placed, sessions, arrival, settings.dead_after)


@contextmanager
def _no_collector() -> Iterator[None]:
    """Python's cycle collector paused: a first survey builds millions of small dicts and
    tuples (ten thousand pieces' terms and signatures, their word lists), none of them in
    a cycle, and the collector walked them over and over, a sixth of its time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def judge(
    placed: regions.Layout, sessions: list[_Session], arrival: dict[str, int], dead_after: int
) -> Terrain:
    region_of = {slug: p.region for slug, p in placed.pieces.items()}
    members = placed.members()
    words = placed.words
    stands: list[SessionStand] = []
    read_regions: list[set[int] | None] = []  # per session so far
    for s in sessions:
        s.revised = {p for p in s.kept if arrival.get(p, 0) < s.session}
        recent: set[int] = set()
        for earlier in read_regions[-dead_after:] if dead_after > 0 else []:
            recent |= earlier or set()
        stand, mine = _verdict(s, region_of, words, recent, dead_after)
        stands.append(stand)
        read_regions.append(mine)
    stands, circling = _circling(stands, region_of, dead_after)
    terrain_regions = tuple(
        Region(r, words[r], tuple(slugs), tuple(circling.get(r, ())))
        for r, slugs in sorted(members.items())
    )
    return Terrain(
        tuple(PiecePlace(slug, p.region, p.x, p.y) for slug, p in sorted(placed.pieces.items())),
        terrain_regions,
        tuple(stands),
        _coverage(stands, sessions, placed, region_of, arrival),
        dead_after,
    )


def _name(region: int, words: dict[int, tuple[str, ...]]) -> str:
    return f"region {region} ({', '.join(words.get(region, ())) or 'no words'})"


def _listing(slugs: Iterable[str], most: int = 3) -> str:
    slugs = list(slugs)
    shown = ", ".join(slugs[:most])
    return shown + (f" and {len(slugs) - most} more" if len(slugs) > most else "")


def _verdict(
    s: _Session,
    region_of: dict[str, int],
    words: dict[int, tuple[str, ...]],
    recent: set[int],
    dead_after: int,
) -> tuple[SessionStand, set[int] | None]:
    wrote = tuple(s.kept)
    wrote_regions = {region_of[p] for p in wrote if p in region_of}
    if s.ground is None:
        why = (
            "no ground is recorded for it (its log entry predates ground, and no "
            "transcript shows what it read)"
        )
        return (
            SessionStand(s.session, "unknown", why, None, wrote, tuple(sorted(wrote_regions))),
            None,
        )
    read = s.ground.read
    on_main = [p for p in read if p in region_of]
    gone = [p for p in read if p not in region_of]
    mine = {region_of[p] for p in on_main}
    touched = tuple(sorted(mine | wrote_regions))
    new = [p for p in s.kept if p not in s.overlap]

    def stand(verdict: str, why: str) -> tuple[SessionStand, set[int]]:
        return SessionStand(s.session, verdict, why, read, wrote, touched), mine

    if new:
        for p in new:
            if p in s.revised:
                where = f" in {_name(region_of[p], words)}" if p in region_of else ""
                return stand(
                    "exploring",
                    f"it revised {p}{where}, and the revision passed the novelty gate "
                    "(a revision stands on the piece it revises)",
                )
        for p in new:
            near = s.nearest.get(p)
            region = region_of.get(p)
            if near is not None and near in read:
                return stand("exploring", f"it kept {p}, new, beside {near}, which it had read")
            if region is not None and region in mine:
                return stand(
                    "exploring",
                    f"it kept {p}, new, in {_name(region, words)}, where it had read "
                    + _listing(q for q in on_main if region_of[q] == region),
                )
        p = new[0]
        where = f" in {_name(region_of[p], words)}" if p in region_of else ""
        stood = f"it had read {_listing(read)}" if read else "it had read no piece"
        return stand("leaping", f"it kept {p}, new,{where} in ground it never read: {stood}")
    kept_nothing = (
        "it kept nothing" if not s.kept else f"it kept only {_listing(s.kept)} with an overlap"
    )
    if not read:
        return stand("wandering", f"{kept_nothing}, and read no piece")
    if not on_main:
        why = f"{kept_nothing}, and read only pieces no longer on main ({_listing(gone)})"
        return SessionStand(s.session, "unknown", why, read, wrote, touched), mine
    seen = [p for p in on_main if region_of[p] in recent]
    share = len(seen) / len(on_main)
    span = f"the {dead_after} session{'s' * (dead_after != 1)} before it"
    main = _main_region(on_main, region_of)
    if share >= MOSTLY:
        return stand(
            "wandering",
            f"{kept_nothing}, and {len(seen)} of the {len(on_main)} pieces it read lie in "
            f"ground {span} had read, mostly {_name(main, words)}",
        )
    return stand(
        "surveying",
        f"{kept_nothing}, and {len(on_main) - len(seen)} of the {len(on_main)} pieces it "
        f"read lie in ground {span} had not read, mostly {_name(main, words)}",
    )


def _main_region(on_main: list[str], region_of: dict[str, int]) -> int:
    counts = Counter(region_of[p] for p in on_main)
    return min(counts, key=lambda r: (-counts[r], r))


def _circling(
    stands: list[SessionStand], region_of: dict[str, int], dead_after: int
) -> tuple[list[SessionStand], dict[int, list[int]]]:
    """Runs of ``dead_after`` or more wandering sessions whose reading lay mostly in one
    region: circling there."""
    circling: dict[int, list[int]] = {}
    out = list(stands)
    run: list[int] = []  # indexes into stands
    run_region: int | None = None

    def close() -> None:
        if run_region is not None and dead_after > 0 and len(run) >= dead_after:
            for i in run:
                out[i] = replace(out[i], circling=True)
            circling.setdefault(run_region, []).extend(stands[i].session for i in run)

    for i, s in enumerate(stands):
        on_main = [p for p in (s.read or ()) if p in region_of]
        region = _main_region(on_main, region_of) if on_main else None
        if s.verdict == "wandering" and region is not None and region == run_region:
            run.append(i)
            continue
        close()
        run, run_region = ([i], region) if s.verdict == "wandering" and region else ([], None)
    close()
    return out, circling


def _coverage(
    stands: list[SessionStand],
    sessions: list[_Session],
    placed: regions.Layout,
    region_of: dict[str, int],
    arrival: dict[str, int],
) -> tuple[Coverage, ...]:
    touched: set[int] = set()
    kept = founded = 0
    out = []
    for stand, s in zip(stands, sessions, strict=True):
        mine = set(stand.regions)
        new = mine - touched
        touched |= mine
        for p in s.kept:
            kept += 1
            region = region_of.get(p)
            if region is not None and placed.founders.get(region) == p:
                founded += arrival.get(p) == s.session
        share = round(founded / kept, 4) if kept else 0.0
        out.append(Coverage(s.session, len(touched), len(new), share))
    return tuple(out)


# -- what each session read and kept ------------------------------------------------------


def _sessions(
    repo: Repository, files: dict[str, str], lines: list[history.LogLine]
) -> list[_Session]:
    """Each session main records, oldest first, with its ground: from its log entry
    (``files``: corpus/log's, path -> blob), or the transcript note on its head, or
    unknown."""
    logs: dict[int, str] = {}
    for path, blob in sorted(files.items()):
        match = LOG_NAME_RE.match(path.rsplit("/", 1)[-1])
        if match:
            logs.setdefault(int(match.group(1)), blob)
    cache = _EntryCache(repo.state_dir / "terrain" / "entries.json")
    summaries = cache.entries(repo, set(logs.values()))
    out = []
    missing: dict[int, str] = {}  # session -> its head, whose note may show its ground
    for line in lines:
        kept = list(line.pieces) if line.outcome == Outcome.CRYSTALLIZED else []
        summary = summaries.get(logs.get(line.session, ""), {})
        record = summary.get("ground")
        found = ground_of.of_record(record)
        if found is None:
            missing[line.session] = line.head
        out.append(
            _Session(
                line.session,
                kept,
                found,
                set(summary.get("overlap", [])),
                dict(summary.get("nearest", {})),
            )
        )
    if missing:
        read = cache.noted(repo, missing)
        for s in out:
            if s.session in read and read[s.session] is not None:
                s.ground = Ground(tuple(read[s.session] or ()), tuple(s.kept))
    cache.save()
    return out


class _EntryCache:
    """What the terrain needs of each log entry (its ground, the novelty of its keeps)
    and of each transcript note (the pieces it read), keyed by blob id under
    ``.git/agentgit/terrain/``: each is read and parsed once. Deleting the file loses
    nothing: it is rebuilt from git."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("version") != _VERSION:
                raise ValueError("another version")
            self.logs: dict[str, dict[str, Any]] = dict(data["logs"])
            self.notes: dict[str, list[str] | None] = dict(data["notes"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.logs, self.notes = {}, {}

    def entries(self, repo: Repository, blobs: set[str]) -> dict[str, dict[str, Any]]:
        missing = sorted(blobs - self.logs.keys())
        if missing:
            self.changed = True
            for blob, data in repo.read_blobs(missing).items():
                self.logs[blob] = _summary(data)
            for blob in missing:
                self.logs.setdefault(blob, {})
        return {b: self.logs[b] for b in blobs}

    def noted(self, repo: Repository, heads: dict[int, str]) -> dict[int, list[str] | None]:
        """The pieces each head's transcript note shows read (None: no note of ours)."""
        if repo.rev_parse(NOTES) is None:
            return {}
        notes = {path.replace("/", ""): blob for path, blob in repo.tree_files(NOTES).items()}
        wanted = {n: notes[h] for n, h in heads.items() if h in notes}
        missing = sorted(set(wanted.values()) - self.notes.keys())
        if missing:
            self.changed = True
            for blob, data in repo.read_blobs(missing).items():
                found = ground_of.of_transcript(data.decode("utf-8", "replace"), ())
                self.notes[blob] = None if found is None else list(found.read)
        return {n: self.notes.get(b) for n, b in wanted.items()}

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            data = {"version": _VERSION, "logs": self.logs, "notes": self.notes}
            tmp.write_text(json.dumps(data, separators=(",", ":")), "utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache: read again next time


def _summary(data: bytes) -> dict[str, Any]:
    """A log entry's ground and its keeps' novelty ({} for an entry without either, or
    one that does not parse: `agentgit check` reports that)."""
    if not _WORTH_PARSING.search(data):
        return {}
    try:
        entry = formats.parse_log_entry(data.decode("utf-8"), "log entry")
    except (CorpusError, UnicodeDecodeError):
        return {}
    out: dict[str, Any] = {}
    if entry.ground is not None:
        out["ground"] = entry.ground
    overlap = [r.piece for r in entry.novelty if r.overlap]
    nearest = {r.piece: r.nearest for r in entry.novelty if r.nearest}
    if overlap:
        out["overlap"] = overlap
    if nearest:
        out["nearest"] = nearest
    return out
