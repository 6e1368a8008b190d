"""Regions and positions of main's pieces (DESIGN §8, "the terrain").

A region is a group of similar pieces, named by its most telling words. A piece is
placed once, when it first appears, against the pieces placed before it (in the order
sessions kept them): it joins the region of its nearest neighbours when the nearest is
at least JOIN alike, and founds a region otherwise. Its place in 2-D is set the same
way, near those neighbours, and never moves again: a new keep moves no earlier piece,
and no global layout is ever re-run. A revision keeps its piece's region and place; a
pure rename (the same blob under a new slug) keeps them too.

The measure is the one novelty uses (agentgit.landscape.similarity): the tf-idf cosine
over the search index's words, with main's document frequencies, here of the whole
text, each piece reduced to its SIGNATURE heaviest words (the ones that tell it from the
rest; a signature keeps the comparison of 10,000 pieces to a few seconds). It is lexical:
two pieces on one subject in different words are far apart. Anything that gives each
piece a unit vector can stand in for it (`Measure`: an embedding's dimensions as keys).

What was placed is kept under ``.git/agentgit/terrain/``, keyed by slug and blob id.
Deleting it loses nothing: the pieces are placed again from git objects, in the same
order by the same rules (a piece placed long ago, against the frequencies of that time,
may then fall the other side of JOIN: the cache is what keeps earlier pieces where they
were).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agentgit.landscape.similarity import Pieces, Vector

SIGNATURE = 48  # a piece's heaviest words, by which it is compared
JOIN = 0.12  # the nearest earlier piece at least this alike: joined, not founded
NEIGHBOURS = 3  # the nearest pieces that vote on the region and the place
# A new piece asks for candidates by its ASKING heaviest words, each held by at most
# CROWDED of the pieces placed so far (at least CROWDED_FLOOR): a word most pieces have
# tells none apart, and its long list would be most of the cost. The CANDIDATES that
# share the most of that are then compared whole.
ASKING = 8
CROWDED, CROWDED_FLOOR = 0.05, 20
CANDIDATES = 10
WORDS = 3  # the words that name a region
NEAR = 0.03  # a founder this alike to some piece is placed beside it; below, alone
VERSION = 1


class Measure(Protocol):
    """What regions are made of: a unit vector for each piece (by blob id), compared
    by their dot product. ``name`` keys what is cached: another measure, other regions."""

    name: str

    def vectors(self, blobs: Iterable[str]) -> dict[str, Vector]: ...


class Lexical:
    """The measure novelty uses: tf-idf over main's pieces, whole texts."""

    name = f"lexical-{SIGNATURE}"

    def __init__(self, pieces: Pieces) -> None:
        self.pieces = pieces
        self._weights = pieces.weights() if pieces.files else None

    def vectors(self, blobs: Iterable[str]) -> dict[str, Vector]:
        wanted = list(blobs)
        if self._weights is None or not wanted:
            return {b: {} for b in wanted}
        terms = self.pieces.terms(wanted)
        return {b: signature(self._weights.vector(terms[b].doc)) for b in wanted}


def signature(vec: Mapping[str, float], size: int = SIGNATURE) -> Vector:
    """A vector's ``size`` heaviest words (ties by word), at unit length again."""
    top = sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    norm = math.sqrt(sum(w * w for _, w in top))
    return {t: round(w / norm, 4) for t, w in top} if norm else {}


@dataclass
class Placed:
    """One piece's place: its blob, region, position in [0, 1]², signature."""

    blob: str
    region: int
    x: float
    y: float
    sig: Vector


@dataclass
class Layout:
    """Every piece of main placed (slug -> Placed), and each region's founder."""

    pieces: dict[str, Placed]
    founders: dict[int, str]  # region -> the slug that founded it
    next_region: int = 1
    alone: int = 0  # founders placed alone so far (their spiral's next slot)

    def members(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for slug in sorted(self.pieces):
            out.setdefault(self.pieces[slug].region, []).append(slug)
        return out

    def words(self, region: list[str]) -> list[str]:
        """A region's most telling words: heaviest summed over its pieces' signatures."""
        total: dict[str, float] = {}
        for slug in region:
            for t, w in self.pieces[slug].sig.items():
                total[t] = total.get(t, 0.0) + w
        return [t for t, _ in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:WORDS]]


def layout(
    files: Mapping[str, str], arrival: Mapping[str, int], measure: Measure, cache: Path | None
) -> Layout:
    """Main's pieces (slug -> blob) placed: those the cache holds where they were, the
    rest in order of ``arrival`` (slug -> the session that first kept it; 0 for none),
    then slug."""
    before = _load(cache, measure.name)
    kept: dict[str, Placed] = {}
    by_blob = {p.blob: p for s, p in before.pieces.items() if s not in files}
    for slug, blob in files.items():
        old = before.pieces.get(slug) or by_blob.get(blob)
        if old is not None:
            kept[slug] = Placed(blob, old.region, old.x, old.y, old.sig)
    revised = [s for s in kept if kept[s].blob != before.pieces.get(s, kept[s]).blob]
    new = sorted((s for s in files if s not in kept), key=lambda s: (arrival.get(s, 0), s))
    vectors = measure.vectors({files[s] for s in [*new, *revised]})
    for slug in revised:  # its words may have changed; its region and place have not
        kept[slug].sig = vectors[files[slug]]
    placed = Layout(kept, dict(before.founders), before.next_region, before.alone)
    postings = _Postings(placed.pieces)
    for slug in new:
        _place(placed, postings, slug, files[slug], vectors[files[slug]])
    live = {p.region for p in placed.pieces.values()}
    placed.founders = {r: s for r, s in placed.founders.items() if r in live}
    if cache is not None and (new or revised or set(before.pieces) != set(placed.pieces)):
        _save(cache, measure.name, placed)
    return placed


class _Postings:
    """word -> (slug, weight) of the placed pieces' signatures: the nearest to a new
    piece are found by summing over its own words only."""

    def __init__(self, pieces: Mapping[str, Placed]) -> None:
        self.lists: dict[str, list[tuple[str, float]]] = {}
        self.count = 0
        for slug in sorted(pieces):
            self.add(slug, pieces[slug].sig)

    def add(self, slug: str, sig: Vector) -> None:
        self.count += 1
        for t, w in sig.items():
            self.lists.setdefault(t, []).append((slug, w))

    def nearest(
        self, sig: Vector, limit: int, placed: Mapping[str, Placed]
    ) -> list[tuple[float, str]]:
        crowded = max(CROWDED_FLOOR, self.count * CROWDED)
        score: dict[str, float] = {}
        asked = 0
        for t, w in sorted(sig.items(), key=lambda kv: (-kv[1], kv[0])):
            found = self.lists.get(t)
            if found is None or len(found) > crowded:
                continue
            for slug, v in found:
                score[slug] = score.get(slug, 0.0) + w * v
            asked += 1
            if asked == ASKING:
                break
        picked = heapq.nsmallest(CANDIDATES, score.items(), key=lambda kv: (-kv[1], kv[0]))
        exact = [(_dot(sig, placed[slug].sig), slug) for slug, _ in picked]
        return [
            (round(s, 4), slug) for s, slug in sorted(exact, key=lambda e: (-e[0], e[1]))[:limit]
        ]


def _dot(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)


def _place(layout: Layout, postings: _Postings, slug: str, blob: str, sig: Vector) -> None:
    near = postings.nearest(sig, NEIGHBOURS, layout.pieces)
    voters = [(s, n) for s, n in near if s >= JOIN]
    if voters:
        votes: dict[int, float] = {}
        for s, n in voters:
            region = layout.pieces[n].region
            votes[region] = votes.get(region, 0.0) + s
        region = min(votes, key=lambda r: (-votes[r], r))
        mine = [(s, n) for s, n in voters if layout.pieces[n].region == region]
        total = sum(s for s, _ in mine)
        cx = sum(s * layout.pieces[n].x for s, n in mine) / total
        cy = sum(s * layout.pieces[n].y for s, n in mine) / total
        x, y = _beside(cx, cy, slug, 0.01 + 0.03 * (1 - mine[0][0]))
    else:
        region = layout.next_region
        layout.next_region += 1
        layout.founders[region] = slug
        if near and near[0][0] >= NEAR:  # something is close: a new region beside it
            other = layout.pieces[near[0][1]]
            x, y = _beside(other.x, other.y, slug, 0.08 + 0.1 * (1 - near[0][0]))
        else:  # nothing is: the next slot of a spiral that fills the map outward
            k = layout.alone
            layout.alone += 1
            r = 0.45 * math.sqrt(k / (k + 12))
            x, y = 0.5 + r * math.cos(k * _GOLDEN), 0.5 + r * math.sin(k * _GOLDEN)
    layout.pieces[slug] = Placed(blob, region, round(x, 4), round(y, 4), sig)
    postings.add(slug, sig)


_GOLDEN = math.pi * (3 - math.sqrt(5))


def _beside(x: float, y: float, slug: str, distance: float) -> tuple[float, float]:
    """A point ``distance`` from (x, y) in a direction the slug fixes, kept on the map
    (reflected at its edges)."""
    turn = int.from_bytes(hashlib.sha1(slug.encode()).digest()[:4], "big") / 2**32
    angle = 2 * math.pi * turn
    return _inside(x + distance * math.cos(angle)), _inside(y + distance * math.sin(angle))


def _inside(v: float) -> float:
    lo, hi = 0.02, 0.98
    if v < lo:
        v = 2 * lo - v
    elif v > hi:
        v = 2 * hi - v
    return min(hi, max(lo, v))


# -- the cache ----------------------------------------------------------------------------


def cache_path(state_dir: Path) -> Path:
    return state_dir / "terrain" / "regions.json"


def _load(path: Path | None, measure: str) -> Layout:
    empty = Layout({}, {})
    if path is None:
        return empty
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("version") != VERSION or data.get("measure") != measure:
            return empty
        pieces = {
            str(slug): Placed(str(b), int(r), float(x), float(y), {str(t): float(w) for t, w in s})
            for slug, (b, r, x, y, s) in data["pieces"].items()
        }
        founders = {int(r): str(s) for r, s in data["founders"].items()}
        return Layout(pieces, founders, int(data["next_region"]), int(data["alone"]))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return empty  # missing or not ours: placed again


def _save(path: Path, measure: str, layout: Layout) -> None:
    """Written whole and renamed: a concurrent reader sees the old file or the new."""
    data = {
        "version": VERSION,
        "measure": measure,
        "next_region": layout.next_region,
        "alone": layout.alone,
        "founders": {str(r): s for r, s in layout.founders.items()},
        "pieces": {
            slug: [p.blob, p.region, p.x, p.y, sorted(p.sig.items())]
            for slug, p in sorted(layout.pieces.items())
        },
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a cache: the next survey places them again
