"""Novelty before a keep (DESIGN §8): whether a draft is too close to the pieces on main,
and how that is recorded.

    novelty = 1 - similarity to the nearest piece     (agentgit.similarity)

A draft is a near-duplicate when its novelty is below ``novelty_min``: by default as
close as the closest pair already in the corpus, clamped to [FLOOR, CEILING] (at least
FLOOR, so a near-copy is always caught; at most CEILING, so a corpus of a few unrelated
pieces does not refuse every draft that touches one of them). Past SAMPLE pieces the
closest pair is looked for from a fixed random sample of them (those with the smallest
blob ids), so it is an estimate there. Each sampled piece's nearest neighbour is kept
in the index file by blob id, so a keep on 10,000 pieces looks up only what changed
since the last one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from agentgit.core.refs import MAIN
from agentgit.core.trailers import Trailer
from agentgit.corpus.formats import NoveltyRecord
from agentgit.corpus.index import CorpusIndex
from agentgit.corpus.search import searchable
from agentgit.git import Repository
from agentgit.landscape.similarity import VERSION, Match, Pieces, Weights, nearest, text_terms

FLOOR = 0.2  # novelty below this is a near-duplicate whatever the corpus holds
CEILING = 0.5  # ... and at or above this never is
SAMPLE = 64  # pieces whose nearest neighbour calibrates novelty_min on a large corpus
_NEAREST = f"novelty-nearest/{VERSION}"


# --- calibration -----------------------------------------------------------------------


@dataclass
class Threshold:
    value: float  # novelty below this: a near-duplicate
    how: str  # why it is that, in words

    def describe(self) -> str:
        return f"novelty_min {self.value:.3f} ({self.how})"


def closest_pair(pieces: Pieces, weights: Weights) -> tuple[float, str, str] | None:
    """The closest pair of main's pieces, (similarity, path, path), from the nearest
    neighbour of each piece of the sample: all pieces up to SAMPLE, beyond that the
    SAMPLE with the smallest blob ids (a fixed random draw, which a new piece joins only
    if its id is small). Each neighbour is kept by blob id and looked up again only when
    it left main or the corpus grew or shrank by a tenth since it was measured."""
    by_blob: dict[str, list[str]] = {}
    for path, blob in sorted(pieces.files.items()):
        by_blob.setdefault(blob, []).append(path)
    same = [paths for paths in by_blob.values() if len(paths) > 1]
    if same:  # one text under two slugs
        return 1.0, same[0][0], same[0][1]
    if len(by_blob) < 2:
        return None
    sample = sorted(by_blob)[:SAMPLE]
    n = len(pieces.files)
    stored = {b: json.loads(v) for b, v in pieces.index.derived(_NEAREST, sample).items()}
    stale = [
        b
        for b in sample
        if b not in stored or stored[b]["blob"] not in by_blob or abs(stored[b]["n"] - n) * 10 > n
    ]
    if stale:
        known = pieces.terms(stale)
        fresh = {}
        for blob in stale:
            found = nearest(
                pieces, known[blob], weights, exclude=by_blob[blob], limit=1, by_paragraph=False
            )
            if found:
                entry = {"blob": found[0].blob, "similarity": found[0].compared.similarity}
            else:  # it shares no word with any other piece: as far as can be
                entry = {"blob": next(b for b in by_blob if b != blob), "similarity": 0.0}
            fresh[blob] = {**entry, "n": n}
        pieces.index.store_derived(_NEAREST, {b: json.dumps(v) for b, v in fresh.items()})
        stored.update(fresh)
    blob = max(sample, key=lambda b: (stored[b]["similarity"], b))
    entry = stored[blob]
    return float(entry["similarity"]), by_blob[blob][0], by_blob[entry["blob"]][0]


def threshold(pieces: Pieces, weights: Weights, setting: str | float = "auto") -> Threshold:
    if setting != "auto":
        return Threshold(float(setting), "set")
    pair = closest_pair(pieces, weights)
    if pair is None:
        return Threshold(FLOOR, f"the floor: {len(pieces.files)} piece(s), no pair yet")
    sim, a, b = pair
    value = min(max(1 - sim, FLOOR), CEILING)
    return Threshold(
        value,
        f"auto: the closest pair, {_slug(a)} and {_slug(b)}, is at similarity {sim:.3f}; "
        f"held within {FLOOR:g}–{CEILING:g}",
    )


# --- a keep ------------------------------------------------------------------------------


@dataclass
class Novelty:
    """One draft's novelty against main: the record a keep writes, and what a refusal
    says besides."""

    record: NoveltyRecord
    near_duplicate: bool = False
    neighbours: list[Match] = field(default_factory=list)
    threshold: Threshold | None = None


def measure(
    pieces: Pieces, drafts: Mapping[str, str], setting: str | float = "auto"
) -> list[Novelty]:
    """Each draft (slug -> text) against main's pieces; a draft that revises a piece
    (same slug) is compared with the others. The calibration is made only when a draft
    needs it: novelty_min lies within [FLOOR, CEILING], so a draft at CEILING or above is
    novel, and one below FLOOR a near-duplicate, whatever it says (and it is the most
    costly part of a first keep in a fresh clone: 64 pieces' nearest neighbours)."""
    weights = pieces.weights()
    limit: Threshold | None = None
    results = []
    for slug, text in drafts.items():
        found = nearest(pieces, text_terms(text), weights, exclude=[f"pieces/{slug}.md"])
        sim = round(found[0].compared.similarity, 3) if found else 0.0
        score = round(1 - sim, 3)
        near = bool(found) and score < CEILING
        if near or setting != "auto":
            limit = limit or threshold(pieces, weights, setting)
            near = near and score < limit.value
        results.append(
            Novelty(
                NoveltyRecord(slug, score, found[0].slug if found else None, sim),
                near_duplicate=near,
                neighbours=found,
                threshold=limit if near or setting != "auto" else None,
            )
        )
    return results


def safe_measure(
    pieces: Pieces, drafts: Mapping[str, str], setting: str | float = "auto"
) -> list[Novelty]:
    """``measure``, or nothing when the index cannot be read at all (locked for longer
    than its timeout, a disk that refuses writes): novelty informs a keep, it never
    stops one."""
    try:
        return measure(pieces, drafts, setting)
    except (sqlite3.Error, OSError):
        return []


def refusal(found: Novelty, title: str | None = None) -> str:
    """The crystallize error for a near-duplicate: the neighbour, the score, the way on."""
    kept = found.record
    assert kept.nearest is not None and found.threshold is not None
    match = found.neighbours[0]
    where = ""
    c = match.compared
    if c.lines and c.paragraph >= c.whole:
        where = (
            f"; its paragraph at line {c.lines[0]} restates pieces/{kept.nearest}.md "
            f"line {c.lines[1]}"
        )
    named = f" ({title})" if title else ""
    return (
        f"crystallize: drafts/{kept.piece}.md is a near-duplicate of "
        f"pieces/{kept.nearest}.md{named}: similarity {kept.similarity:.3f}, novelty "
        f"{kept.score:.3f} below {found.threshold.describe()}{where}. If it revises that "
        f"piece, write it as drafts/{kept.nearest}.md (a revision of it) and crystallize "
        f"that; if it says something {kept.nearest} does not, call crystallize again "
        f"with overlap: what this draft says that {kept.nearest} does not."
    )


# --- records ---------------------------------------------------------------------------

TRAILER = Trailer.NOVELTY


def trailer_value(record: NoveltyRecord) -> str:
    """``<slug> <score> nearest=<slug>:<similarity>`` (``nearest=-`` on an empty main)."""
    tail = f"{record.nearest}:{record.similarity:.3f}" if record.nearest else "-"
    return f"{record.piece} {record.score:.3f} nearest={tail}"


def describe(record: NoveltyRecord) -> str:
    """One line for people: ``novelty 0.412, nearest tides (similarity 0.588)``."""
    text = f"novelty {record.score:.3f}"
    if record.nearest:
        text += f", nearest {record.nearest} (similarity {record.similarity:.3f})"
    else:
        text += ", no piece to compare with"
    if record.overlap:
        text += f"; overlap: {record.overlap}"
    return text


def _slug(path: str) -> str:
    return path.removeprefix("pieces/").removesuffix(".md")


# --- where main's pieces come from -------------------------------------------------------


def main_pieces(repo: Repository, before: Pieces | None = None, rev: str = MAIN) -> Pieces:
    """Main's pieces as main stands now (another session may have kept one since this
    one started), read with one ls-tree; ``before``'s index is reused. A replay passes
    the session's base instead: main as the recorded session saw it."""
    files = repo.tree_files(rev, "corpus/pieces")
    index = before.index if before else CorpusIndex.of(repo)
    pieces = {p.removeprefix("corpus/"): sha for p, sha in files.items()}
    return Pieces(index, {p: sha for p, sha in pieces.items() if searchable(p)})
