"""The terrain's other measure (DESIGN §8): word embeddings, from the optional extra
`pip install 'agentgit[embeddings]'`, chosen with ``terrain_measure = "embeddings"``.

wordllama's static token embeddings: its 16 MB model ships inside its wheel, and it is
loaded from the package's own folder with downloads disabled, so it never reaches the
network. Without the extra nothing of it is imported, and the default stays lexical.
A piece's vector is the mean of its tokens' embeddings, at unit length (two pieces on
one subject in different words come out near, where tf-idf keeps them apart); regions
are still named by their words (the lexical signatures). Vectors are kept in the index
file by blob id as float32 bytes, the ones fused search keeps (one embedding serves
both), so a survey after a keep embeds only the new pieces, and with nothing new the
model is not even loaded. In memory a vector is a float32 row (a dict of 256 keys per
piece, read from JSON, cost 10,000 pieces seconds).
"""

from __future__ import annotations

import base64
import importlib.util
from collections.abc import Iterable, Mapping
from contextlib import suppress
from operator import mul
from pathlib import Path
from typing import Any

from agentgit.core.errors import UsageError
from agentgit.landscape.regions import CANDIDATES, Lexical, Nearest
from agentgit.landscape.similarity import Pieces, Vector

MODEL, DIM = "l2_supercat", 256
# Pieces of one kind of ground are 0.6-0.9 alike in this measure and pieces of unrelated
# ground -0.1-0.2 (tests/grounds.py's three), where tf-idf spans 0-0.5: its own scale.
JOIN = 0.4
NEAR = 0.2
EXTRA = "pip install 'agentgit[embeddings]'"
# Where a blob's vector is kept in the index (by blob id), as float32 bytes in base64:
# the terrain and fused search (agentgit.landscape.fused) read and write the same ones.
# (The name is from when fused search alone kept them so; the terrain's JSON numbers,
# "terrain-wordllama-l2_supercat-256/1", are no longer read: embedded again if asked.)
KIND = f"search-wordllama-{MODEL}-{DIM}/f32/1"
Row = Any  # a numpy float32 array of DIM values (numpy comes with the extra)


def available() -> bool:
    return importlib.util.find_spec("wordllama") is not None


class Embedded:
    """Regions by embedding: each piece the unit mean of its tokens' vectors."""

    name = f"wordllama-{MODEL}-{DIM}"
    join = JOIN
    near = NEAR

    def __init__(self, pieces: Pieces) -> None:
        if not available():
            raise UsageError(f'terrain_measure = "embeddings" needs the extra: {EXTRA}')
        self.pieces = pieces
        self.lexical = Lexical(pieces)
        self._all: tuple[list[str], Any] | None = None  # main's blobs and their matrix

    def vectors(self, blobs: Iterable[str]) -> dict[str, Row]:
        """Each blob's row, as kept in the index, the missing ones embedded now (a blob
        without text: zeros, near nothing)."""
        wanted = sorted(set(blobs))
        index = self.pieces.index
        found = {b: _kept(r) for b, r in readable(index.derived(KIND, wanted)).items()}
        missing = [b for b in wanted if b not in found]  # a damaged one is made again
        if missing:
            made = {b: stored(v) for b, v in self._embed(missing).items()}
            index.store_derived(KIND, made)
            found.update({b: _kept(r) for b, r in readable(made).items()})
        return found

    def candidates(self, vec: Row, limit: int) -> list[str]:
        """Main's pieces nearest the vector, every one compared (a matrix product: a few
        milliseconds at 10,000 pieces once their vectors are read)."""
        if self._all is None:
            blobs = sorted(set(self.pieces.files.values()))
            vecs = self.vectors(blobs)
            self._all = (blobs, _matrix([vecs[b] for b in blobs]))
        blobs, matrix = self._all
        if not blobs:
            return []
        scores = _scores(matrix, vec)
        order = sorted(range(len(blobs)), key=lambda i: (-scores[i], blobs[i]))
        return [blobs[i] for i in order[:limit]]

    def alike(self, a: Row, b: Row) -> float:
        """The dot product in float64, dimension by dimension, of the kept values (each
        a float32: exact in both)."""
        return sum(map(mul, a.tolist(), b.tolist()))

    def among(self, vecs: Mapping[str, Row]) -> Nearest[Row]:
        return _Dense(vecs)

    def words(self, blobs: Iterable[str]) -> dict[str, Vector]:
        return self.lexical.vectors(blobs)

    def _embed(self, blobs: list[str]) -> dict[str, list[float]]:
        # Main's text, as the index splits it.
        passages = self.pieces.index.passages_of(blobs, self.pieces.files)
        texts = {b: "\n".join(t for _, t in passages.get(b, [])).strip() for b in blobs}
        return embed(texts)


_MODEL: list[Any] = []  # the model, once loaded: one per process


def model() -> Any:
    """wordllama's model, from inside its wheel with downloads disabled (0.16 s)."""
    if not _MODEL:
        import wordllama

        _MODEL.append(
            wordllama.WordLlama.load(
                config=MODEL,
                cache_dir=Path(wordllama.__file__).parent,
                dim=DIM,
                disable_download=True,
            )
        )
    return _MODEL[0]


def embed(texts: Mapping[str, str]) -> dict[str, list[float]]:
    """Each text's vector, at unit length, to 4 places (as kept); no text: none ([])."""
    said = [key for key, text in texts.items() if text]
    out: dict[str, list[float]] = {key: [] for key in texts}  # no text: no direction
    if said:
        import numpy

        rows = _pooled([texts[key] for key in said]).round(4)
        blank = numpy.isnan(rows).any(axis=1)  # NaN: none
        for key, values, nan in zip(said, rows.tolist(), blank.tolist(), strict=True):
            out[key] = [] if nan else values
    return out


_TOKENS: list[Any] = []  # token_ids.Words for the model's tokenizer, once per process


def _pooled(texts: list[str]) -> Any:
    """What ``model().embed(texts, norm=True)`` gives, to the bit (tests/landscape/
    test_embedded.py): each text's mean token vector at unit length. wordllama pads
    each batch of 64 to its longest text and sums the padding too, and tokenises each
    text whole; each text's own tokens, from its words' (token_ids), summed alike,
    take a fraction of that (bench/README.md)."""
    import numpy

    from agentgit.landscape import token_ids

    found = model()
    if not _TOKENS:
        _TOKENS.append(token_ids.Words.of(found.tokenizer) or _Unpadded(found.tokenizer))
    table = found.embedding
    rows = numpy.empty((len(texts), table.shape[1]), numpy.float32)
    for i, ids in enumerate(_TOKENS[0].ids(texts)):
        rows[i] = numpy.sum(table[numpy.clip(ids, 0, table.shape[0] - 1)], axis=0)
        rows[i] /= numpy.float32(max(len(ids), 1))
    rows /= numpy.linalg.norm(rows, axis=1, keepdims=True)
    return rows


class _Unpadded:
    """The model's tokenizer without padding: for a tokenizer token_ids cannot cut."""

    def __init__(self, tokenizer: Any) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_str(tokenizer.to_str())
        self._tokenizer.no_padding()

    def ids(self, texts: list[str]) -> list[Any]:
        import numpy

        encoded = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return [numpy.asarray(e.ids, numpy.int64) for e in encoded]


def stored(values: Iterable[float]) -> str:
    """A vector as kept: its float32 bytes in base64; none (no text): ""."""
    import numpy

    row = numpy.asarray(list(values), "<f4")
    return base64.b64encode(row.tobytes()).decode("ascii") if len(row) == DIM else ""


def row(data: str) -> Row | None:
    """A kept vector's row (None: none kept, a blob without text). ValueError for one
    that is damaged: not base64, not DIM float32s, or not finite."""
    import numpy

    if data == "":
        return None
    found = numpy.frombuffer(base64.b64decode(data, validate=True), "<f4")
    if len(found) != DIM or not numpy.isfinite(found).all():
        raise ValueError(f"not {DIM} finite float32s")
    return found


def readable(kept: Mapping[str, object]) -> dict[str, Row | None]:
    """The vectors read back from the index (blob -> data) that can be read: a damaged
    one is left out, to be embedded again and replaced, never taken for a blob without
    text (zeros) nor read as another length."""
    found: dict[str, Row | None] = {}
    for blob, data in kept.items():
        if isinstance(data, str):
            with suppress(ValueError):  # binascii.Error is one
                found[blob] = row(data)
    return found


def _kept(found: Row | None) -> Row:
    """A kept vector's row, zeros for none: a piece without text is near nothing."""
    if found is None:
        import numpy

        return numpy.zeros(DIM, numpy.float32)
    return found


def _matrix(rows: list[Row]) -> Any:
    import numpy

    if not rows:
        return numpy.zeros((0, DIM), numpy.float32)
    return numpy.stack(rows)


def _scores(matrix: Any, vec: Row) -> Any:
    """Each row's dot product with the vector, to 4 places. einsum, not `@`: a plain loop
    in float32, measured several times quicker than BLAS's threads for one vector once
    the tokenizer's threads are up."""
    import numpy

    return numpy.einsum("ij,j->i", matrix, vec).round(4)


class _Dense:
    """The placed pieces' vectors as rows of a matrix that grows: the nearest to a new
    piece by one matrix product, for a first survey of many pieces."""

    def __init__(self, vecs: Mapping[str, Row]) -> None:
        import numpy

        self._np = numpy
        self.slugs: list[str] = []
        self.rows = numpy.zeros((max(16, len(vecs) * 2), DIM), numpy.float32)
        for slug in sorted(vecs):
            self.add(slug, vecs[slug])

    def add(self, slug: str, sig: Row) -> None:
        if len(self.slugs) == len(self.rows):
            self.rows = self._np.concatenate([self.rows, self._np.zeros_like(self.rows)])
        self.rows[len(self.slugs)] = sig
        self.slugs.append(slug)

    def nearest(self, sig: Row, limit: int) -> list[tuple[float, str]]:
        count = len(self.slugs)
        if not count:
            return []
        scores = _scores(self.rows[:count], sig)
        picked = self._np.argpartition(-scores, min(CANDIDATES, count) - 1)[:CANDIDATES]
        best = sorted(((float(scores[i]), self.slugs[i]) for i in picked), key=_first)
        return best[:limit]


def _first(entry: tuple[float, str]) -> tuple[float, str]:
    return (-entry[0], entry[1])
