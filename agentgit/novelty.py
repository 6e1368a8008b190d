"""Novelty before a keep (DESIGN §8): how close a draft is to the pieces on main.

The measure is lexical and explainable: a tf-idf cosine over the words the search index
ranks by (``agentgit.search.tokens``, stopwords left out), the idf taken from main's
pieces. Two texts are compared whole and paragraph by paragraph, and their similarity is
the larger of the two, so a claim restated inside a longer piece still counts:

    weight(t) = (1 + ln tf) * ln(1 + (N + 1) / (df + 1))     N pieces, df of them have t
    similarity = max(cos(whole, whole), max cos(paragraph, paragraph))
    novelty = 1 - similarity to the nearest piece

Paragraphs shorter than ``MIN_PARAGRAPH_TERMS`` words are not compared on their own (a
heading or a one-line remark matches too easily). The candidates come from the index
(BM25 over the draft's most telling words, whole and per paragraph); the similarity is
then computed exactly for each.

A draft is a near-duplicate when its novelty is below ``novelty_min``: by default as
close as the closest pair already in the corpus, clamped to [FLOOR, CEILING] (at least
FLOOR, so a near-copy is always caught; at most CEILING, so a corpus of a few unrelated
pieces does not refuse every draft that touches one of them). Past SAMPLE pieces the
closest pair is looked for from a fixed random sample of them (those with the smallest
blob ids), so it is an estimate there. What calibration needs is kept in the index file:
main's document frequencies (updated by the blobs that came and went) and each sampled
piece's nearest neighbour by blob id, so a keep on 10,000 pieces looks up only what
changed since the last one.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentgit.index import CorpusIndex, index_path
from agentgit.refs import MAIN
from agentgit.repo import Repository
from agentgit.search import STOPWORDS, searchable, split_passages, tokens

MIN_PARAGRAPH_TERMS = 12
FLOOR = 0.2  # novelty below this is a near-duplicate whatever the corpus holds
CEILING = 0.5  # ... and at or above this never is
QUERY_TERMS = 12  # the draft's most telling words that ask the index for candidates
PARAGRAPH_QUERY_TERMS = 10
CANDIDATE_PASSAGES = 40
COMMON_SHARE, COMMON_FLOOR = 0.05, 20  # a word in more pieces than this does not ask
CANDIDATE_PIECES = 16  # of which the pieces of the best passages are compared exactly
PARAGRAPH_CANDIDATES = 6
NEIGHBOURS = 3
TERMS_KEPT = 2_000  # blobs' terms kept in memory between calls
SAMPLE = 64  # pieces whose nearest neighbour calibrates novelty_min on a large corpus
# Derived data is keyed by this too: a change to tokenising or splitting makes it stale.
VERSION = "1"
_NEAREST = f"novelty-nearest/{VERSION}"
_DF = f"novelty-df/{VERSION}"

Counts = dict[str, int]
Vector = dict[str, float]


# --- texts as terms --------------------------------------------------------------------


@dataclass
class Terms:
    """A text's word counts, whole, and of each paragraph long enough to compare."""

    doc: Counts
    paras: list[tuple[int, Counts]] = field(default_factory=list)  # (line, counts)


def counts(words: list[str]) -> Counts:
    found = Counter(words)  # counted in C: this runs over every piece once
    for word in STOPWORDS & found.keys():
        del found[word]
    return dict(found)


def passage_terms(passages: Iterable[tuple[int, str]]) -> Terms:
    """Terms from a file's passages (agentgit.search.split_passages): the header
    (title, summary, tags; the passage at line 1) counts in the whole, not as a paragraph."""
    every: list[str] = []
    paras = []
    for line, text in passages:
        words = tokens(text)
        every += words
        if line > 1 and len(words) >= MIN_PARAGRAPH_TERMS:
            found = counts(words)
            if sum(found.values()) >= MIN_PARAGRAPH_TERMS:
                paras.append((line, found))
    return Terms(counts(every), paras)


def text_terms(text: str) -> Terms:
    return passage_terms(split_passages(text))


# --- weights and similarity ------------------------------------------------------------


class Weights:
    """tf-idf over main's pieces: ``df`` term -> pieces that have it, ``n`` pieces."""

    def __init__(self, df: Mapping[str, int], n: int) -> None:
        self.df, self.n = df, n
        self._idf: dict[str, float] = {}

    def idf(self, term: str) -> float:
        found = self._idf.get(term)
        if found is None:
            found = self._idf[term] = math.log(1 + (self.n + 1) / (self.df.get(term, 0) + 1))
        return found

    def vector(self, found: Counts) -> Vector:
        vec = {t: (1 + math.log(c)) * self.idf(t) for t, c in found.items() if c > 0}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {t: w / norm for t, w in vec.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return min(1.0, sum(w * b[t] for t, w in a.items() if t in b))


@dataclass
class Compared:
    """How close two texts are: whole, best paragraph pair, and that pair's lines."""

    whole: float
    paragraph: float = 0.0
    lines: tuple[int, int] | None = None  # (line in the first, line in the second)

    @property
    def similarity(self) -> float:
        return max(self.whole, self.paragraph)


class Vectors:
    """Unit vectors of one text's terms under one weighting, made once."""

    def __init__(self, terms: Terms, weights: Weights) -> None:
        self.doc = weights.vector(terms.doc)
        self.paras = [(line, weights.vector(c)) for line, c in terms.paras]


def compare(a: Vectors, b: Vectors) -> Compared:
    result = Compared(cosine(a.doc, b.doc))
    for line_a, va in a.paras:
        for line_b, vb in b.paras:
            sim = cosine(va, vb)
            if sim > result.paragraph:
                result.paragraph, result.lines = sim, (line_a, line_b)
    return result


def similarity(a: str, b: str, weights: Weights | None = None) -> Compared:
    """Two texts compared (without a corpus: every word weighs alike)."""
    weights = weights or Weights({}, 0)
    return compare(Vectors(text_terms(a), weights), Vectors(text_terms(b), weights))


# --- main's pieces, as the index holds them --------------------------------------------


@dataclass
class Pieces:
    """Main's pieces ("pieces/<slug>.md" -> blob id) and the index that reads them."""

    index: CorpusIndex
    files: dict[str, str]
    # Terms of the blobs this process read: computed from the indexed passages (a few
    # milliseconds for a comparison's candidates), so not worth storing.
    _terms: dict[str, Terms] = field(default_factory=dict, repr=False)

    def terms(self, blobs: Iterable[str]) -> dict[str, Terms]:
        wanted = set(blobs)
        missing = wanted - self._terms.keys()
        if missing:
            passages = self.index.passages_of(missing)
            for blob in missing:
                self._terms[blob] = passage_terms(passages.get(blob, []))
        if len(self._terms) > TERMS_KEPT:  # a calibration pass read the whole corpus
            self._terms = {b: self._terms[b] for b in wanted}
        return {b: self._terms[b] for b in wanted}

    def weights(self) -> Weights:
        """Document frequencies over main's pieces: the last ones computed, brought up to
        date by the blobs that came or went since (exact: they are counts)."""
        blobs = Counter(self.files.values())
        self.index.update(self.files)
        memo = self.index.memo(_DF)
        df: Counter[str] = Counter()
        if memo is not None:
            data = json.loads(memo)
            before, df = Counter(data["blobs"]), Counter(data["df"])
            added, removed = blobs - before, before - blobs
            if sum(added.values()) + sum(removed.values()) >= len(self.files):
                memo = None  # mostly new: counting afresh is cheaper
        if memo is None:
            added, removed, df = blobs, Counter(), Counter()
        if added or removed or memo is None:
            terms = self.terms(added.keys() | removed.keys())
            for blob, times in added.items():
                for _ in range(times):
                    df.update(terms[blob].doc.keys())
            for blob, times in removed.items():
                for _ in range(times):
                    df.subtract(terms[blob].doc.keys())
            df = +df  # drop the zeros
            listed = sorted(blobs.elements())
            self.index.store_memo(_DF, json.dumps({"blobs": listed, "df": dict(df)}))
        return Weights(df, len(self.files))


@dataclass
class Match:
    path: str
    blob: str
    compared: Compared

    @property
    def slug(self) -> str:
        return self.path.removeprefix("pieces/").removesuffix(".md")


def nearest(
    pieces: Pieces,
    terms: Terms,
    weights: Weights,
    exclude: Iterable[str] = (),
    limit: int = NEIGHBOURS,
    by_paragraph: bool = True,
) -> list[Match]:
    """The pieces of main closest to a text, closest first (ties by path). Candidates
    come from the index: passages that match the text's most telling words and, with
    ``by_paragraph``, those of each of its paragraphs."""
    left_out = set(exclude)
    if not set(pieces.files) - left_out:
        return []
    mine = Vectors(terms, weights)
    candidates: dict[str, str] = {}
    queries = [(_telling(mine.doc, QUERY_TERMS, weights), CANDIDATE_PASSAGES, CANDIDATE_PIECES)]
    if by_paragraph:
        queries += [
            (
                _telling(v, PARAGRAPH_QUERY_TERMS, weights),
                PARAGRAPH_CANDIDATES,
                PARAGRAPH_CANDIDATES,
            )
            for _, v in mine.paras
        ]
    for words, count, most in queries:
        # The whole tree is asked (the index keeps it selected between calls) and the
        # left-out pieces are dropped from what it answers.
        found = pieces.index.nearest_passages(pieces.files, words, count + 4 * len(left_out))
        taken: set[str] = set()
        for path, blob, _line, _score in found:
            if path not in left_out and (path in taken or len(taken) < most):
                taken.add(path)
                candidates[path] = blob
    known = pieces.terms(candidates.values())
    matches = [
        Match(path, blob, compare(mine, Vectors(known[blob], weights)))
        for path, blob in candidates.items()
    ]
    matches.sort(key=lambda m: (-m.compared.similarity, m.path))
    return matches[:limit]


def _telling(vec: Vector, count: int, weights: Weights) -> list[str]:
    """A text's heaviest words that some piece has, without those most pieces have:
    they would not tell one candidate from another, and their long lists are most of a
    query's cost."""
    common = max(COMMON_FLOOR, weights.n * COMMON_SHARE)
    rare = {t: w for t, w in vec.items() if 0 < weights.df.get(t, 0) <= common} or vec
    return [t for t, _ in sorted(rare.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]


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
    """One draft's novelty against main, as the log entry and main's commit record it."""

    piece: str
    score: float
    nearest: str | None
    similarity: float
    near_duplicate: bool = False
    overlap: str | None = None
    neighbours: list[Match] = field(default_factory=list)
    threshold: Threshold | None = None

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "piece": self.piece,
            "score": self.score,
            "nearest": self.nearest,
            "similarity": self.similarity,
        }
        if self.overlap:
            out["overlap"] = self.overlap
        return out


def measure(
    pieces: Pieces, drafts: Mapping[str, str], setting: str | float = "auto"
) -> list[Novelty]:
    """Each draft (slug -> text) against main's pieces; a draft that revises a piece
    (same slug) is compared with the others."""
    weights = pieces.weights()
    limit = threshold(pieces, weights, setting)
    results = []
    for slug, text in drafts.items():
        found = nearest(pieces, text_terms(text), weights, exclude=[f"pieces/{slug}.md"])
        sim = round(found[0].compared.similarity, 3) if found else 0.0
        score = round(1 - sim, 3)
        results.append(
            Novelty(
                slug,
                score,
                found[0].slug if found else None,
                sim,
                near_duplicate=bool(found) and score < limit.value,
                neighbours=found,
                threshold=limit,
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
    assert found.nearest is not None and found.threshold is not None
    match = found.neighbours[0]
    where = ""
    c = match.compared
    if c.lines and c.paragraph >= c.whole:
        where = (
            f"; its paragraph at line {c.lines[0]} restates pieces/{found.nearest}.md "
            f"line {c.lines[1]}"
        )
    named = f" ({title})" if title else ""
    return (
        f"crystallize: drafts/{found.piece}.md is a near-duplicate of "
        f"pieces/{found.nearest}.md{named}: similarity {found.similarity:.3f}, novelty "
        f"{found.score:.3f} below {found.threshold.describe()}{where}. If it revises that "
        f"piece, write it as drafts/{found.nearest}.md (a revision of it) and crystallize "
        f"that; if it says something {found.nearest} does not, call crystallize again "
        f"with overlap: what this draft says that {found.nearest} does not."
    )


# --- records ---------------------------------------------------------------------------

TRAILER = "Agentgit-Novelty"


def trailer_value(record: Mapping[str, Any]) -> str:
    """``<slug> <score> nearest=<slug>:<similarity>`` (``nearest=-`` on an empty main)."""
    near = record.get("nearest")
    tail = f"{near}:{float(record['similarity']):.3f}" if near else "-"
    return f"{record['piece']} {float(record['score']):.3f} nearest={tail}"


def parse_trailer(value: str) -> dict[str, Any] | None:
    parts = value.split()
    if len(parts) != 3 or not parts[2].startswith("nearest="):
        return None
    try:
        score = float(parts[1])
        near, _, sim = parts[2].removeprefix("nearest=").partition(":")
        return {
            "piece": parts[0],
            "score": score,
            "nearest": None if near == "-" else near,
            "similarity": float(sim) if sim else 0.0,
        }
    except ValueError:
        return None


def describe(record: Mapping[str, Any]) -> str:
    """One line for people: ``novelty 0.412, nearest tides (similarity 0.588)``."""
    text = f"novelty {float(record['score']):.3f}"
    if record.get("nearest"):
        text += f", nearest {record['nearest']} (similarity {float(record['similarity']):.3f})"
    else:
        text += ", no piece to compare with"
    if record.get("overlap"):
        text += f"; overlap: {record['overlap']}"
    return text


def _slug(path: str) -> str:
    return path.removeprefix("pieces/").removesuffix(".md")


# --- where main's pieces come from -------------------------------------------------------


def main_pieces(repo: Repository, before: Pieces | None = None, rev: str = MAIN) -> Pieces:
    """Main's pieces as main stands now (another session may have kept one since this
    one started), read with one ls-tree; ``before``'s index is reused. A replay passes
    the session's base instead: main as the recorded session saw it."""
    files = repo.tree_files(rev, "corpus/pieces")
    index = before.index if before else CorpusIndex(index_path(repo.state_dir), repo.read_blobs)
    pieces = {p.removeprefix("corpus/"): sha for p, sha in files.items()}
    return Pieces(index, {p: sha for p, sha in pieces.items() if searchable(p)})
