"""How close a text is to main's pieces: the lexical measure novelty is made of (DESIGN §8).

The measure is lexical and explainable: a tf-idf cosine over the words the search index
ranks by (``agentgit.search.tokens``, stopwords left out), the idf taken from main's
pieces. Two texts are compared whole and paragraph by paragraph, and their similarity is
the larger of the two, so a claim restated inside a longer piece still counts:

    weight(t) = (1 + ln tf) * ln(1 + (N + 1) / (df + 1))     N pieces, df of them have t
    similarity = max(cos(whole, whole), max cos(paragraph, paragraph))

Paragraphs shorter than ``MIN_PARAGRAPH_TERMS`` words are not compared on their own (a
heading or a one-line remark matches too easily). The candidates come from the index
(BM25 over the draft's most telling words, whole and per paragraph); the similarity is
then computed exactly for each. Main's document frequencies are kept in the index file,
updated by the blobs that came and went. What counts as too close, and what a keep
records, is agentgit.novelty.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import filterfalse, repeat
from operator import mul, truediv

from agentgit.corpus.index import CorpusIndex, word_documents
from agentgit.corpus.search import STOPWORDS, split_passages, tokens

MIN_PARAGRAPH_TERMS = 12
QUERY_TERMS = 12  # the draft's most telling words that ask the index for candidates
PARAGRAPH_QUERY_TERMS = 10
CANDIDATE_PASSAGES = 40
COMMON_SHARE, COMMON_FLOOR = 0.05, 20  # a word in more pieces than this does not ask
CANDIDATE_PIECES = 16  # of which the pieces of the best passages are compared exactly
PARAGRAPH_CANDIDATES = 6
NEIGHBOURS = 3
TERMS_KEPT = 2_000  # blobs' terms kept in memory between calls
# Derived data is keyed by this too: a change to tokenising or splitting makes it stale.
VERSION = "1"
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
    found = dict(Counter(words))  # counted in C: this runs over every piece once
    for word in STOPWORDS & found.keys():
        del found[word]  # a dict's, in C (a Counter's own __delitem__ is Python's)
    return found


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


def doc_counts(passages: Iterable[tuple[int, str]]) -> Counts:
    """``passage_terms(passages).doc``, in one pass over each passage: what a corpus-wide
    pass (document frequencies, the terrain's signatures) needs of each piece."""
    every: list[str] = []
    for _, text in passages:  # each alone: most are ASCII, which tokens splits quickest
        every += tokens(text)
    return counts(every)


def doc_words(passages: Iterable[tuple[int, str]]) -> set[str]:
    """The keys of ``doc_counts(passages)``, without counting them."""
    words: set[str] = set()
    for _, text in passages:
        words.update(tokens(text))
    words -= STOPWORDS
    return words


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
        """The unit vector of (1 + ln tf) * idf. Each step maps an operator function
        in C (a first survey weighs ten thousand pieces; a loop per word was a second)."""
        idf = self._idf
        for term in filterfalse(idf.__contains__, found):  # seen first here: worked out once
            self.idf(term)
        if found and min(found.values()) <= 0:
            found = {t: c for t, c in found.items() if c > 0}
        raw = list(map(mul, map(_TF.__getitem__, found.values()), map(idf.__getitem__, found)))
        norm = math.sqrt(sum(map(mul, raw, raw)))
        return dict(zip(found, map(truediv, raw, repeat(norm)), strict=True)) if norm else {}


class _Tf(dict[int, float]):
    """count -> 1 + ln count, each worked out once (counts are small and repeat)."""

    def __missing__(self, count: int) -> float:
        found = self[count] = 1 + math.log(count)
        return found


_TF = _Tf()


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
            passages = self.index.passages_of(missing, self.files)
            for blob in missing:
                self._terms[blob] = passage_terms(passages.get(blob, []))
        if len(self._terms) > TERMS_KEPT:  # a calibration pass read the whole corpus
            self._terms = {b: self._terms[b] for b in wanted}
        return {b: self._terms[b] for b in wanted}

    def docs(self, blobs: Iterable[str]) -> dict[str, Counts]:
        """Each blob's whole-text word counts (``Terms.doc``), without its paragraphs."""
        wanted = set(blobs)
        found = {b: self._terms[b].doc for b in wanted & self._terms.keys()}
        missing = wanted - found.keys()
        if missing:
            passages = self.index.passages_of(missing, self.files)
            for blob in missing:
                found[blob] = doc_counts(passages.get(blob, []))
        return found

    def weights(self, docs: Mapping[str, Counts] | None = None) -> Weights:
        """Document frequencies over main's pieces: the last ones computed, brought up to
        date by the blobs that came or went since (exact: they are counts). ``docs``:
        whole-text counts the caller has made already (a first survey's, of every piece),
        whose words are then not split again."""
        docs = docs or {}
        blobs = Counter(self.files.values())
        memo = _counted(self.index.memo(_DF))
        df: Counter[str] = Counter()
        if memo is not None:
            before, df = memo
            added, removed = blobs - before, before - blobs
            if sum(added.values()) + sum(removed.values()) >= len(self.files):
                memo = None  # mostly new: counting afresh is cheaper
        if memo is None:
            added = Counter({b: times for b, times in blobs.items() if b in docs})
            df, removed = _count_afresh(self.index, blobs - added, self.files), Counter()
        if added or removed or memo is None:
            passages = self.index.passages_of(
                (added.keys() | removed.keys()) - docs.keys(), self.files
            )

            def words(blob: str) -> Iterable[str]:
                found = docs.get(blob)
                return doc_words(passages.get(blob, [])) if found is None else found.keys()

            for blob, times in added.items():
                have = words(blob)
                for _ in range(times):
                    df.update(have)  # an iterable of words, counted in C
            for blob, times in removed.items():
                have = words(blob)
                for _ in range(times):
                    df.subtract(have)
            df = +df  # drop the zeros
            listed = sorted(blobs.elements())
            self.index.store_memo(_DF, json.dumps({"blobs": listed, "df": dict(df)}))
        return Weights(df, len(self.files))


# What FTS5 and agentgit.search split alike: ASCII, and the punctuation prose uses beyond
# it (no-break space, dashes, curly quotes, bullets, the ellipsis), which both take for
# separators. A text with any other character is counted here, in Python.
def _counted(memo: str | None) -> tuple[Counter[str], Counter[str]] | None:
    """The blobs and document frequencies ``weights`` kept, or None: none kept, or a
    memo it did not write (not JSON, a count that is no whole number above 0), which
    is then counted afresh and replaced."""
    if memo is None:
        return None
    try:
        data = json.loads(memo)
        blobs, df = data["blobs"], data["df"]
        if not (isinstance(blobs, list) and all(isinstance(b, str) for b in blobs)):
            return None
        if not all(type(n) is int and n > 0 for n in df.values()):
            return None
        return Counter(blobs), Counter({str(w): n for w, n in df.items()})
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


_BEYOND_FTS = re.compile("[^\x00-\x7f\u00a0\u2010-\u2027]")


def _split_alike(text: str) -> bool:
    """No character beyond ``_BEYOND_FTS``'s: asked of ASCII first, with the dash the
    headers' passages are joined by set aside (in C, a quarter of the pattern's 0.1 s
    over 10,000 pieces), the pattern only when that is not enough."""
    return text.isascii() or text.replace("\u2014", "").isascii() or not _BEYOND_FTS.search(text)


def _count_afresh(
    index: CorpusIndex, blobs: Counter[str], files: dict[str, str] | None = None
) -> Counter[str]:
    """Document frequencies over ``blobs`` (blob id -> paths holding it): the texts FTS5
    splits as agentgit.search does counted by it, in C, the rest here."""
    passages = index.passages_of(blobs, files)
    joined = {b: "\n".join(text for _, text in passages.get(b, [])) for b in blobs}
    plain = [b for b, text in joined.items() if blobs[b] == 1 and _split_alike(text)]
    df = Counter(word_documents(joined[b] for b in plain))
    for word in STOPWORDS & df.keys():
        del df[word]
    for blob in blobs.keys() - set(plain):
        words = doc_words(passages.get(blob, []))
        for _ in range(blobs[blob]):
            df.update(words)
    return df


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
