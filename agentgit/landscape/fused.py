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
that size), and stay in memory for the session: only a changed file is embedded.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agentgit.core.errors import UsageError
from agentgit.corpus.loading import Memo
from agentgit.corpus.search import Passage, query_terms, searchable, shown, split_passages
from agentgit.landscape import embedded

K = 60  # RRF's constant: the rank at which a candidate's weight has halved
DEPTH = 20  # how far down each ranking is read (at least the limit asked for)
KIND = f"search-wordllama-{embedded.MODEL}-{embedded.DIM}/f32/1"

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
class FusedSearch:
    """One session's fused search. The tree's vectors stay in memory between calls:
    a step changes a draft or the journal, one blob to embed."""

    memo: Memo | None = None  # where vectors are kept by blob id (none: embed each time)
    _vectors: dict[str, Any] = field(default_factory=dict)  # blob -> row (None: no text)
    _tree: tuple[dict[str, str], list[str], Any] | None = None  # (files, paths, rows)

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
        paths, rows = self._rows(files, read)
        # Stable on the paths' order: equal scores rank by path.
        order = numpy.argsort(-numpy.einsum("ij,j->i", rows, target).round(4), kind="stable")
        by_meaning = {paths[i]: rank for rank, i in enumerate(order[:depth].tolist(), 1)}
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
            best = candidate or _nearest_passage(read, path, target, terms)
            if best is not None:  # None: a file gone unreadable since it was listed
                found.append(Passage(best.path, best.line, round(score * (K + 1), 4), best.text))
        return found

    def _rows(self, files: dict[str, str], read: Read) -> tuple[list[str], Any]:
        """The searchable files of the tree in path order, and their vectors as the
        rows of one matrix (a file without text: zeros, near nothing)."""
        if self._tree is not None and self._tree[0] == files:
            return self._tree[1], self._tree[2]
        import numpy

        paths = sorted(rel for rel in files if searchable(rel))
        self._load({files[rel]: rel for rel in paths}, read)
        rows = numpy.zeros((len(paths), embedded.DIM), numpy.float32)
        for i, rel in enumerate(paths):
            vec = self._vectors.get(files[rel])
            if vec is not None:
                rows[i] = vec
        self._tree = (dict(files), paths, rows)
        return paths, rows

    def _load(self, paths: dict[str, str], read: Read) -> None:
        """The vectors of the blobs (-> a path holding each) not yet in memory: as kept
        in the index, else as the terrain kept them, else embedded now; then kept."""
        todo = [blob for blob in paths if blob not in self._vectors]
        if not todo:
            return
        memo = self.memo
        kept = memo.derived(KIND, todo) if memo is not None else {}
        self._vectors.update({blob: _row(data) for blob, data in kept.items()})
        todo = [blob for blob in todo if blob not in kept]
        fresh: dict[str, list[float]] = {}
        if memo is not None and todo:  # the terrain by embeddings: the same vectors
            fresh = {b: json.loads(v) for b, v in memo.derived(embedded.KIND, todo).items()}
            todo = [blob for blob in todo if blob not in fresh]
        if todo:
            contents = read([paths[blob] for blob in todo])
            texts = {}
            for blob in todo:
                data = contents.get(paths[blob])
                # Read by path: only bytes that are that blob are embedded under its id.
                if data is not None and _blob_id(data, blob) == blob:
                    texts[blob] = _text(data)
            fresh.update(embedded.embed(texts))
        if memo is not None and fresh:
            memo.store_derived(KIND, {blob: _stored(values) for blob, values in fresh.items()})
        for blob, values in fresh.items():
            self._vectors[blob] = _row(_stored(values))


def _nearest_passage(read: Read, path: str, target: Any, terms: list[str]) -> Passage | None:
    """The passage of ``path`` whose vector is nearest the query's (ties: the first)."""
    data = read([path]).get(path)
    passages = [(line, part) for line, part in split_passages(_decoded(data or b""))]
    if not passages:
        return None
    made = embedded.embed({str(line): part for line, part in passages})
    near = {
        line: float(target @ made[str(line)]) if made[str(line)] else -2.0 for line, _ in passages
    }
    line, text = max(passages, key=lambda p: (near[p[0]], -p[0]))
    return shown(path, line, 0.0, text, terms)


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return ""  # binary: nothing to embed, as the index indexes nothing of it


def _text(data: bytes) -> str:
    """A file's text as the index and the terrain embed it: its passages, in order."""
    return "\n".join(part for _, part in split_passages(_decoded(data))).strip()


def _blob_id(data: bytes, like: str) -> str:
    """The object id git gives these bytes as a blob, in the hash of ``like`` (an id of
    the same repository: 40 hex digits in SHA-1, 64 in a SHA-256 repository)."""
    algorithm = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return algorithm(b"blob %d\0" % len(data) + data).hexdigest()


def _stored(values: Iterable[float]) -> str:
    """A vector as kept: its float32 bytes in base64; none (no text): ""."""
    import numpy

    row = numpy.asarray(list(values), "<f4")
    return base64.b64encode(row.tobytes()).decode("ascii") if len(row) == embedded.DIM else ""


def _row(data: str) -> Any:
    import numpy

    row = numpy.frombuffer(base64.b64decode(data), "<f4")
    return row if len(row) == embedded.DIM else None
