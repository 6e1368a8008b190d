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
piece a unit vector can stand in for it (`Measure`, of vectors of its own kind, with
thresholds of its own; agentgit.landscape.embedded's are rows of float32). Regions are
named by words whatever the measure: the lexical signatures.

What was placed is kept under ``.git/agentgit/terrain/``, keyed by slug and blob id,
with each region's words; each blob's signature is kept in the index file (its derived
table), so a survey after a keep reads the signatures of a few dozen candidates, not
ten thousand. Deleting either loses nothing: the pieces are placed again from git
objects, in the same order by the same rules (a piece placed long ago, against the
frequencies of that time, may then fall the other side of JOIN: the cache is what keeps
earlier pieces where they were).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import ge, itemgetter, mul, truediv
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from agentgit.landscape.similarity import Pieces, Vector, Weights

SIGNATURE = 48  # a piece's heaviest words, by which it is compared
JOIN = 0.12  # the nearest earlier piece at least this alike: joined, not founded
NEIGHBOURS = 3  # the nearest pieces that vote on the region and the place
# A new piece asks for candidates by its ASKING heaviest words, each held by at most
# CROWDED of the pieces placed so far (at least CROWDED_FLOOR): a word most pieces have
# tells none apart, and its long list would be most of the cost. The CANDIDATES that
# share the most of that are then compared whole.
ASKING = 8
CROWDED, CROWDED_FLOOR = 0.02, 20
CANDIDATES = 10
# Up to FEW new pieces ask the index for candidates, one query each (a keep adds one or
# two); more (a first survey, a big import) are compared through word lists in memory.
FEW = 50
CANDIDATE_PASSAGES = 40
WORDS = 3  # the words that name a region
NEAR = 0.03  # a founder this alike to some piece is placed beside it; below, alone
VERSION = 1
# How a signature is kept in the index: 2, its words, a tab, their weights (as Python
# writes floats back exactly); 1 was JSON pairs, five times the work to write 10,000.
STORED = 2


V = TypeVar("V")  # a measure's vectors: the lexical signatures, or embedded float32 rows
V_in = TypeVar("V_in", contravariant=True)


class Nearest(Protocol[V_in]):
    """The placed pieces nearest a new one, (similarity, slug) best first; ``add`` places
    one more among them."""

    def nearest(self, sig: V_in, limit: int) -> list[tuple[float, str]]: ...
    def add(self, slug: str, sig: V_in) -> None: ...


class Unplaced(Exception):
    """More pieces to place than the caller allowed (``most_new``): a first survey of a
    big corpus, which the caller would rather not wait for."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} pieces are not placed yet")
        self.count = count


class Measure(Protocol[V]):
    """What regions are made of: a unit vector for each piece (by blob id), compared
    by their dot product (``alike``), and a quick way to the pieces likely nearest a
    vector (the blobs, best first). ``name`` keys what is cached: another measure, other
    regions. ``join`` and ``near`` are its thresholds (JOIN and NEAR for the lexical
    one): its similarities have a scale of their own. ``among`` finds the nearest in
    memory when many pieces are placed at once; ``words`` gives what names a region."""

    name: str
    join: float
    near: float

    def vectors(self, blobs: Iterable[str]) -> dict[str, V]: ...
    def candidates(self, vec: V, limit: int) -> list[str]: ...
    def alike(self, a: V, b: V) -> float: ...
    def among(self, vecs: Mapping[str, V]) -> Nearest[V]: ...
    def words(self, blobs: Iterable[str]) -> dict[str, Vector]: ...


class Lexical:
    """The measure novelty uses: tf-idf over main's pieces, whole texts."""

    name = f"lexical-{SIGNATURE}"
    join = JOIN
    near = NEAR

    def __init__(self, pieces: Pieces) -> None:
        self.pieces = pieces
        self._weights: Weights | None = None  # worked out on the first vector asked for
        # The signatures this survey has read or made: naming the regions asks again for
        # every piece's, which a first survey has just made.
        self._known: dict[str, Vector] = {}

    def vectors(self, blobs: Iterable[str]) -> dict[str, Vector]:
        """Signatures kept in the index file by blob id (made with the frequencies of
        the day they were first asked for), the missing ones made now."""
        known = self._known
        wanted = set(blobs)
        found = {b: known[b] for b in wanted & known.keys()}
        unread = sorted(wanted - found.keys())
        if not unread:
            return found
        index = self.pieces.index
        read: dict[str, Vector] = {}
        for blob, text in index.derived(self._kind, unread).items():
            with suppress(ValueError, TypeError):  # damaged: made again below, replaced
                read[blob] = unstored(text)
        known.update(read)
        found.update(read)
        missing = [b for b in unread if b not in read]
        if missing:
            docs = self.pieces.docs(missing)
            if self._weights is None:  # a first survey: every piece's counts, made once
                self._weights = self.pieces.weights(docs)
            weights = self._weights
            made = {b: signature(weights.vector(d)) for b, d in docs.items()}
            index.store_derived(self._kind, {b: stored(v) for b, v in made.items()})
            known.update(made)
            found.update(made)
        return found

    def among(self, vecs: Mapping[str, Vector]) -> Nearest[Vector]:
        return _Postings(vecs)

    def alike(self, a: Vector, b: Vector) -> float:
        return _dot(a, b)

    def words(self, blobs: Iterable[str]) -> dict[str, Vector]:
        return self.vectors(blobs)

    def candidates(self, vec: Vector, limit: int) -> list[str]:
        """The pieces of the passages that best match the vector's heaviest words (BM25
        in the index, as novelty's candidates are found)."""
        words = [t for t, _ in heaviest(vec)[:ASKING]]
        out: list[str] = []
        for _path, blob, _line, _score in self.pieces.index.nearest_passages(
            self.pieces.files, words, CANDIDATE_PASSAGES
        ):
            if blob not in out:
                out.append(blob)
                if len(out) == limit:
                    break
        return out

    @property
    def _kind(self) -> str:
        return f"terrain-{self.name}/{STORED}"


def stored(sig: Vector) -> str:
    """A signature as the index keeps it: "word word…<tab>weight weight…" ({}: "")."""
    return f"{' '.join(sig)}\t{' '.join(map(repr, sig.values()))}" if sig else ""


def unstored(text: str) -> Vector:
    """A signature as `stored` kept it, its weights shared with the signatures made.
    ValueError for text `stored` does not write: a weight that is no finite number, or
    more or fewer weights than words."""
    if not text:
        return {}
    words, _, weights = text.partition("\t")
    values = list(map(float, weights.split(" ")))
    if not all(map(math.isfinite, values)):
        raise ValueError("a weight is no finite number")
    return dict(zip(words.split(" "), map(_ONE.setdefault, values, values), strict=True))


def heaviest(vec: Mapping[str, float]) -> list[tuple[str, float]]:
    """(word, weight), heaviest first, ties by word: the order of a key of (-weight,
    word), got by two sorts that run in C (a stable sort by weight, reversed, keeps the
    words' order among equals); a first survey sorts ten thousand vectors."""
    return sorted(sorted(vec.items()), key=_WEIGHT, reverse=True)


_WEIGHT = itemgetter(1)


def signature(vec: Mapping[str, float], size: int = SIGNATURE) -> Vector:
    """A vector's ``size`` heaviest words (ties by word), at unit length again, to 4
    places, in the order of the words (as the index keeps it, so that a signature made
    and one read back are the same dict, sums over them included). Only the words as
    heavy as the ``size``-th are sorted by word, and each step runs in C: a first survey
    signs ten thousand pieces."""
    pairs: Iterable[tuple[str, float]] = vec.items()
    if len(vec) > size:
        weights = list(vec.values())
        cut = sorted(weights, reverse=True)[size - 1]
        pairs = compress(pairs, map(ge, weights, repeat(cut)))
    top = sorted(sorted(pairs), key=_WEIGHT, reverse=True)[:size]  # heaviest()'s order
    kept = list(map(_WEIGHT, top))
    norm = math.sqrt(sum(map(mul, kept, kept)))
    if not norm:
        return {}
    rounded = list(map(round, map(truediv, kept, repeat(norm)), repeat(4)))
    shared = map(_ONE.setdefault, rounded, rounded)
    return dict(sorted(zip(map(_WORD, top), shared, strict=True)))


_WORD = itemgetter(0)
# Each weight, rounded to 4 places, as one float object: the few thousand values ten
# thousand signatures share stay in the processor's cache while a first survey sums
# them over and over (a float object apiece lay scattered over the heap: a fifth slower).
_ONE: dict[float, float] = {}


@dataclass
class Placed:
    """One piece's place: its blob, region, position in [0, 1]²."""

    blob: str
    region: int
    x: float
    y: float


@dataclass
class Layout:
    """Every piece of main placed (slug -> Placed), each region's founder and words."""

    pieces: dict[str, Placed]
    founders: dict[int, str]  # region -> the slug that founded it
    next_region: int = 1
    alone: int = 0  # founders placed alone so far (their spiral's next slot)
    words: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # region -> (its members' digest, its words): worked out again only when it changed
    named: dict[int, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def members(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for slug in sorted(self.pieces):
            out.setdefault(self.pieces[slug].region, []).append(slug)
        return out


def telling(sigs: Iterable[Vector]) -> tuple[str, ...]:
    """A region's most telling words: the heaviest summed over its pieces' signatures."""
    total: dict[str, float] = {}
    get = total.get
    for sig in sigs:
        for t, w in sig.items():
            total[t] = get(t, 0.0) + w
    return tuple(t for t, _ in heaviest(total)[:WORDS])


def layout(
    files: Mapping[str, str],
    arrival: Mapping[str, int],
    measure: Measure[Any],
    cache: Path | None,
    most_new: int | None = None,
    before: Layout | None = None,
) -> Layout:
    """Main's pieces (slug -> blob) placed: those the cache holds where they were, the
    rest in order of ``arrival`` (slug -> the session that first kept it; 0 for none),
    then slug. The signatures are read (or measured) only when something changed.
    Raises Unplaced, having measured nothing, when more than ``most_new`` are new.
    ``before``: the cache, when the caller loaded it (``load``)."""
    if before is None:
        before = load(cache, measure.name)
    kept = _kept(files, before)
    new = sorted((s for s in files if s not in kept), key=lambda s: (arrival.get(s, 0), s))
    if most_new is not None and len(new) > most_new:
        raise Unplaced(len(new))
    placed = Layout(kept, dict(before.founders), before.next_region, before.alone)
    if new:
        fresh = measure.vectors(files[s] for s in new)
        near: Nearest[Any]
        if len(new) > FEW:
            had = measure.vectors(p.blob for p in kept.values())
            near = measure.among({s: had[p.blob] for s, p in sorted(kept.items())})
        else:
            near = _Asking(measure, files, placed)
        for slug in new:
            _place(placed, near, slug, files[slug], fresh[files[slug]], measure)
    live = {p.region for p in placed.pieces.values()}
    placed.founders = {r: s for r, s in placed.founders.items() if r in live}
    for region, slugs in placed.members().items():
        digest = hashlib.sha1(" ".join(f"{s}:{files[s]}" for s in slugs).encode()).hexdigest()
        named = before.named.get(region)
        if named is None or named[0] != digest:
            vecs = measure.words(files[s] for s in slugs)
            named = (digest, telling(vecs[files[s]] for s in slugs))
        placed.named[region] = named
        placed.words[region] = named[1]
    changed = new or placed.pieces != before.pieces or placed.named != before.named
    if cache is not None and changed:
        _save(cache, measure.name, placed)
    return placed


def unplaced(files: Mapping[str, str], before: Layout) -> int:
    """How many of ``files`` (slug -> blob) ``layout`` would place anew, ``before``
    being the cache (``load``): what its ``most_new`` is held to, known before anything
    else is read (main's log, which only placing needs, is in a fresh clone a walk of
    every session)."""
    kept = _kept(files, before)
    return sum(1 for s in files if s not in kept)


def _kept(files: Mapping[str, str], before: Layout) -> dict[str, Placed]:
    """The pieces the cache placed already: by slug, or by blob (a pure rename)."""
    kept: dict[str, Placed] = {}
    by_blob = {p.blob: p for s, p in before.pieces.items() if s not in files}
    for slug, blob in files.items():
        old = before.pieces.get(slug) or by_blob.get(blob)
        if old is not None:
            kept[slug] = Placed(blob, old.region, old.x, old.y)
    return kept


class _Asking(Generic[V]):
    """The nearest placed pieces to a new one, from the candidates the measure finds
    (the index, for the lexical one), compared whole."""

    def __init__(self, measure: Measure[V], files: Mapping[str, str], placed: Layout) -> None:
        self.measure, self.placed = measure, placed
        self.slugs: dict[str, list[str]] = {}
        for slug, blob in sorted(files.items()):
            self.slugs.setdefault(blob, []).append(slug)

    def nearest(self, sig: V, limit: int) -> list[tuple[float, str]]:
        blobs = self.measure.candidates(sig, CANDIDATES)
        vecs = self.measure.vectors(blobs)
        exact = [
            (self.measure.alike(sig, vecs[b]), slug)
            for b in blobs
            for slug in self.slugs.get(b, ())
            if slug in self.placed.pieces
        ]
        best = sorted(exact, key=lambda e: (-e[0], e[1]))[:limit]
        return [(round(s, 4), slug) for s, slug in best]

    def add(self, slug: str, sig: V) -> None:
        pass  # the index holds every piece of main already


class _Postings:
    """word -> the slugs and weights of the placed pieces' signatures that have it: the
    nearest to a new piece are found by summing over its own words only."""

    def __init__(self, sigs: Mapping[str, Vector]) -> None:
        self.lists: dict[str, tuple[list[str], list[float]]] = {}
        self.sigs: dict[str, Vector] = {}
        self.count = 0
        for slug in sorted(sigs):
            self.add(slug, sigs[slug])

    def add(self, slug: str, sig: Vector) -> None:
        self.count += 1
        self.sigs[slug] = sig
        lists = self.lists
        for t, w in sig.items():
            found = lists.get(t)
            if found is None:
                lists[t] = ([slug], [w])
            else:
                found[0].append(slug)
                found[1].append(w)

    def nearest(self, sig: Vector, limit: int) -> list[tuple[float, str]]:
        crowded = max(CROWDED_FLOOR, self.count * CROWDED)
        score: dict[str, float] = {}
        get = score.get
        asked = 0
        for t, w in heaviest(sig):
            found = self.lists.get(t)
            if found is None or len(found[0]) > crowded:
                continue
            # A plain loop over two parallel lists: their slugs and weights lie in two
            # arrays where (slug, weight) tuples lay scattered over the heap; a first
            # survey sums millions, and the cache misses were most of their cost. (Map
            # and zip over operator functions into dict.update measured slower.)
            for slug, v in zip(*found, strict=True):
                score[slug] = get(slug, 0.0) + w * v
            asked += 1
            if asked == ASKING:
                break
        # heapq.nlargest(CANDIDATES, score, key=score.__getitem__), as its documentation
        # defines it, sorted in C: the heap's loop is Python's, over every scored piece.
        picked = sorted(score, key=score.__getitem__, reverse=True)[:CANDIDATES]
        exact = [(_dot(sig, self.sigs[slug]), slug) for slug in picked]
        best = sorted(exact, key=lambda e: (-e[0], e[1]))[:limit]
        return [(round(s, 4), slug) for s, slug in best]


def _dot(a: Vector, b: Vector) -> float:
    """The dot product, summed in the order the two share (signatures keep their words
    in word order), each step in C. b's words are walked and looked up in a, the new
    piece's, which a placement compares with ten candidates: its table stays in the
    cache, where probing each candidate's missed. Adding the 0.0 of a word a lacks
    leaves the sum as it was. (A set of the shared words would sum in the order of the
    strings' hashes, which changes from process to process: enough to move a piece.)"""
    return sum(map(mul, map(a.get, b, repeat(0.0)), b.values()))


def _place(
    layout: Layout, postings: Nearest[V], slug: str, blob: str, sig: V, measure: Measure[V]
) -> None:
    near = postings.nearest(sig, NEIGHBOURS)
    voters = [(s, n) for s, n in near if s >= measure.join]
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
        x, y = _beside(cx, cy, slug, 0.01 + 0.03 * (1 - min(1.0, mine[0][0])))
    else:
        region = layout.next_region
        layout.next_region += 1
        layout.founders[region] = slug
        if near and near[0][0] >= measure.near:  # something is close: a region beside it
            other = layout.pieces[near[0][1]]
            x, y = _beside(other.x, other.y, slug, 0.08 + 0.1 * (1 - max(0.0, near[0][0])))
        else:  # nothing is: the next slot of a spiral that fills the map outward
            k = layout.alone
            layout.alone += 1
            r = 0.45 * math.sqrt(k / (k + 12))
            x, y = 0.5 + r * math.cos(k * _GOLDEN), 0.5 + r * math.sin(k * _GOLDEN)
    layout.pieces[slug] = Placed(blob, region, round(x, 4), round(y, 4))
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


def load(path: Path | None, measure: str) -> Layout:
    """What the cache placed (empty when there is none, or it is not ours)."""
    empty = Layout({}, {})
    if path is None:
        return empty
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("version") != VERSION or data.get("measure") != measure:
            return empty
        pieces = {
            str(slug): Placed(str(b), int(r), float(x), float(y))
            for slug, (b, r, x, y) in data["pieces"].items()
        }
        founders = {int(r): str(s) for r, s in data["founders"].items()}
        named = {int(r): (str(d), tuple(map(str, w))) for r, (d, w) in data["named"].items()}
        return Layout(pieces, founders, int(data["next_region"]), int(data["alone"]), named=named)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return empty  # missing or not ours: placed again


def _save(path: Path, measure: str, layout: Layout) -> None:
    _write(
        path,
        {
            "version": VERSION,
            "measure": measure,
            "next_region": layout.next_region,
            "alone": layout.alone,
            "founders": {str(r): s for r, s in layout.founders.items()},
            "named": {str(r): [d, list(w)] for r, (d, w) in layout.named.items()},
            "pieces": {
                slug: [p.blob, p.region, p.x, p.y] for slug, p in sorted(layout.pieces.items())
            },
        },
    )


def _write(path: Path, data: object) -> None:
    """Written whole and renamed: a concurrent reader sees the old file or the new."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a cache: the next survey places them again
