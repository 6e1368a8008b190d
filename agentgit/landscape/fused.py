"""Search by words and by meaning, fused (DESIGN §8, issue 20): ``search = "fused"``,
with the optional extra agentgit[embeddings].

BM25 (the index's) ranks passages by the words they share with the query; wordllama
(agentgit.landscape.embedded) ranks files by how near their vector lies to the query's,
so a claim restated in other words is still found. The two rankings are fused by
reciprocal rank fusion (Cormack, Clarke and Büttcher 2009, as hypermnesic does): each
candidate scores the sum, over the rankings it is in, of 1 / (K + rank). A file the
vectors rank stands as one passage: its best BM25 passage when it has one, else the
passage whose own vector is nearest the query. A shown score is that sum times K + 1:
1.00 is first in one ranking, 2.00 first in both.

Every file is compared exactly, by one matrix product over the vectors of the tree
(a few milliseconds at 15,000 files, bench/README.md): sqlite-vec would make the same
brute-force scan, and Python's sqlite3 here cannot load extensions. The vectors are
kept in the index by blob id, as float32 bytes (JSON numbers took seconds to parse at
that size), the ones the terrain by embeddings keeps, and stay in memory for the
session: only a changed file is embedded.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentgit.core.errors import UsageError
from agentgit.corpus.index import tree_delta
from agentgit.corpus.loading import Memo
from agentgit.corpus.search import Passage, query_terms, searchable, shown, split_passages
from agentgit.git import blob_id
from agentgit.landscape import embedded

K = 60  # RRF's constant: the rank at which a candidate's weight has halved
DEPTH = 20  # how far down each ranking is read (at least the limit asked for)
# Files embedded and kept at a time, when a tree's vectors are made: a session stopped
# during the first search of a clone (15,000 files: 5-10 s) keeps what it made.
CHUNK = 2000

Ranked = Callable[[str, int], list[Passage]]  # BM25: (query, limit) -> passages
Read = Callable[[list[str]], dict[str, bytes]]  # paths relative to corpus/ -> bytes


def mode(setting: str) -> str:
    """What ``search = <setting>`` runs: "auto" is fused when the extra is installed and
    BM25 without it; "fused" without the extra is a one-line error naming the install."""
    if setting == "auto":
        return "fused" if embedded.available() else "bm25"
    if setting == "fused" and not embedded.available():
        raise UsageError(f'search = "fused" needs the extra: {embedded.EXTRA}')
    return setting


@dataclass
class _Tree:
    """The searchable files of one tree in path order, and their vectors as the rows of
    one matrix (a file without text: zeros, near nothing)."""

    files: dict[str, str]  # as asked: every path (relative to corpus/) -> blob id
    paths: list[str]
    rows: Any
    unread: set[str]  # paths whose blob could not be read (no vector, zeros for now)


@dataclass
class FusedSearch:
    """One session's fused search. The tree's vectors stay in memory between calls:
    a step changes a draft or the journal, one blob to embed and a row or two of the
    matrix to change (rebuilding it cost 15,000 files 40-140 ms a search)."""

    memo: Memo | None = None  # where vectors are kept by blob id (none: embed each time)
    _vectors: dict[str, Any] = field(default_factory=dict)  # blob -> row (None: no text)
    _tree: _Tree | None = None
    # blob -> its passages and their vectors, for a file found by meaning alone: each
    # search that finds it again would embed them again.
    _passages: dict[str, tuple[list[tuple[int, str]], dict[str, list[float]]]] = field(
        default_factory=dict
    )

    def search(
        self, files: dict[str, str], read: Read, bm25: Ranked, query: str, limit: int
    ) -> list[Passage]:
        depth = max(DEPTH, limit)
        by_words = bm25(query, depth)
        wanted = embedded.embed({"q": query})["q"]
        if not wanted:  # no word of the query the model knows: words alone
            return by_words[:limit]
        import numpy

        target = numpy.asarray(wanted, numpy.float32)
        tree = self._rows(files, read)
        order = _nearest(numpy.einsum("ij,j->i", tree.rows, target).round(4), depth)
        by_meaning = {tree.paths[i]: rank for rank, i in enumerate(order, 1)}
        fused: list[tuple[float, str, int, Passage | None]] = []
        landed: set[str] = set()
        for rank, passage in enumerate(by_words, 1):
            score = 1 / (K + rank)
            if passage.path in by_meaning and passage.path not in landed:
                landed.add(passage.path)  # the file's best passage carries its vector rank
                score += 1 / (K + by_meaning[passage.path])
            fused.append((score, passage.path, passage.line, passage))
        for path, rank in by_meaning.items():
            if path not in landed:  # found by meaning alone: its passage is picked below
                fused.append((1 / (K + rank), path, 0, None))
        fused.sort(key=lambda f: (-f[0], f[1], f[2]))
        terms = query_terms(query)
        found: list[Passage] = []
        for score, path, _, candidate in fused:
            if len(found) == limit:
                break
            best = candidate or self._nearest_passage(read, path, files[path], target, terms)
            if best is not None:  # None: a file gone unreadable since it was listed
                found.append(Passage(best.path, best.line, round(score * (K + 1), 4), best.text))
        return found

    def _rows(self, files: dict[str, str], read: Read) -> _Tree:
        """The tree's searchable files and their vectors: worked out from the last tree
        asked about, whose paths and rows are kept (a step changes a path or two)."""
        last = self._tree
        if last is not None and last.files == files:
            return last
        import numpy

        changed, gone = tree_delta(last.files if last is not None else None, files)
        changed = {rel: blob for rel, blob in changed.items() if searchable(rel)}
        if last is not None:  # files that could not be read last time are tried again
            changed.update({r: files[r] for r in last.unread if r in files and r not in changed})
        self._load({blob: rel for rel, blob in changed.items()}, read)
        if last is None:
            paths = sorted(changed)
            rows = numpy.zeros((len(paths), embedded.DIM), numpy.float32)
        else:
            paths, rows = last.paths, last.rows
            dropped = [i for rel in gone if (i := _position(paths, rel)) is not None]
            if dropped:
                rows = numpy.delete(rows, dropped, axis=0)
                paths = [paths[i] for i in sorted(set(range(len(paths))) - set(dropped))]
            new = sorted(rel for rel in changed if _position(paths, rel) is None)
            if new:  # each before the first path that sorts after it
                at = [bisect.bisect_left(paths, rel) for rel in new]
                rows = numpy.insert(rows, at, 0.0, axis=0)
                paths = sorted([*paths, *new])
        # The last tree is replaced: its rows may change in place.
        unread = set() if last is None else {rel for rel in last.unread if rel in files}
        for rel, blob in changed.items():
            vec = self._vectors.get(blob)
            rows[_position(paths, rel)] = 0.0 if vec is None else vec
            if blob in self._vectors:
                unread.discard(rel)
            else:
                unread.add(rel)
        self._tree = _Tree(dict(files), paths, rows, unread)
        return self._tree

    def _load(self, paths: dict[str, str], read: Read) -> None:
        """The vectors of the blobs (-> a path holding each) not yet in memory: as kept
        in the index, else as the terrain kept them, else embedded now; then kept."""
        todo = [blob for blob in paths if blob not in self._vectors]
        if not todo:
            return
        memo = self.memo
        kept = embedded.readable(memo.derived(embedded.KIND, todo)) if memo is not None else {}
        self._vectors.update(kept)
        todo = [blob for blob in todo if blob not in kept]  # a damaged one is made again
        for at in range(0, len(todo), CHUNK):  # each chunk kept as soon as it is made
            chunk = todo[at : at + CHUNK]
            contents = read([paths[blob] for blob in chunk])
            texts = {}
            for blob in chunk:
                data = contents.get(paths[blob])
                # Read by path: only bytes that are that blob are embedded under its id.
                if data is not None and blob_id(data, blob) == blob:
                    texts[blob] = _text(data)
            self._keep(embedded.embed(texts))

    def _keep(self, fresh: dict[str, list[float]]) -> None:
        """Vectors just made: in the index and in memory."""
        kept = {b: embedded.stored(values) for b, values in fresh.items()}
        if self.memo is not None and kept:
            self.memo.store_derived(embedded.KIND, kept)
        self._vectors.update(embedded.readable(kept))

    def _nearest_passage(
        self, read: Read, path: str, blob: str, target: Any, terms: list[str]
    ) -> Passage | None:
        """The passage of ``path`` whose vector is nearest the query's (ties: the first).
        Its passages and their vectors are kept by blob id for the session: a file found
        by meaning alone is read and embedded once, not at every search that finds it."""
        kept = self._passages.get(blob)
        if kept is None:
            data = read([path]).get(path)
            if data is None:
                return None  # unreadable now: not kept, it may be readable again
            passages = list(split_passages(_decoded(data)))
            kept = self._passages[blob] = (
                passages,
                embedded.embed({str(line): part for line, part in passages}),
            )
        passages, made = kept
        if not passages:
            return None
        near = {
            line: float(target @ made[str(line)]) if made[str(line)] else -2.0
            for line, _ in passages
        }
        line, text = max(passages, key=lambda p: (near[p[0]], -p[0]))
        return shown(path, line, 0.0, text, terms)


def _nearest(scores: Any, depth: int) -> list[int]:
    """The rows of the ``depth`` highest scores, highest first, ties in row order: what
    a stable sort of all of them puts first, sorting only those that can be there."""
    import numpy

    if len(scores) > depth:
        bound = numpy.partition(scores, len(scores) - depth)[len(scores) - depth]
        rows = numpy.flatnonzero(scores >= bound)  # in row order, ties at the bound too
    else:
        rows = numpy.arange(len(scores))
    order = rows[numpy.argsort(-scores[rows], kind="stable")]
    return [int(i) for i in order[:depth]]


def _position(paths: list[str], rel: str) -> int | None:
    """Where ``rel`` is in the sorted ``paths``, or None."""
    i = bisect.bisect_left(paths, rel)
    return i if i < len(paths) and paths[i] == rel else None


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return ""  # binary: nothing to embed, as the index indexes nothing of it


def _text(data: bytes) -> str:
    """A file's text as the index and the terrain embed it: its passages, in order."""
    return "\n".join(part for _, part in split_passages(_decoded(data))).strip()
