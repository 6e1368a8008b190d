"""A text's token ids as wordllama's tokenizer gives them, worked out word by word.

The tokenizer (a sentencepiece-style BPE: spaces become "▁", one is put in front, no
pre-tokenizer) runs its merges over each text whole, so its cache of words never
helps: tokenising the bench corpus's 15,000 files took 10-40 s. No token of its
vocabulary holds "▁" after another character, so no merge joins across the start of a
run of "▁"s: cut there, a text's tokens are its words' tokens end to end. Each
distinct word goes through the BPE model once and is kept. `Words.of` checks that the
tokenizer is of that shape, and a text holding a special token's spelling (which the
tokenizer would take for that token) goes through the tokenizer whole;
tests/landscape/test_embedded.py holds the ids to the tokenizer's own.
"""

from __future__ import annotations

import json
import re
from typing import Any

SPACE = "▁"
_WORD = re.compile(f"{SPACE}*[^{SPACE}]*")
# Spaces become "▁" and one is put in front: sentencepiece's, as wordllama ships it.
_NORMALIZER = {
    "type": "Sequence",
    "normalizers": [
        {"type": "Prepend", "prepend": SPACE},
        {"type": "Replace", "pattern": {"String": " "}, "content": SPACE},
    ],
}


class Words:
    """Token ids by word, for one tokenizer (or None where it is not of the shape)."""

    def __init__(self, tokenizer: Any) -> None:
        import numpy

        self._np = numpy
        self._tokenizer = tokenizer
        self._model = tokenizer.model
        self._specials = [t.content for t in tokenizer.get_added_tokens_decoder().values()]
        # A word's number, by the word as cut (starting with "▁") or, for a text cut at
        # single spaces, by what follows its one "▁" (which holds none).
        self._index: dict[str, int] = {}
        self._starts = numpy.zeros(1024, numpy.int64)  # a word's first token in _ids
        self._counts = numpy.zeros(1024, numpy.int64)  # and how many it has
        self._ids = numpy.zeros(8192, numpy.int64)
        self._held = 0  # tokens in _ids

    @classmethod
    def of(cls, tokenizer: Any) -> Words | None:
        """Words for this tokenizer, or None when cutting at "▁" could change its ids:
        the normalizer, pre-tokenizer and model must be as above, and no token may hold
        "▁" after another character (every merge's result is a token of the vocabulary,
        so then no merge joins across a cut). Asked of the live objects, 30 ms: the
        tokenizer's JSON took 0.2 s to write and parse."""
        from tokenizers.models import BPE

        normalizer = tokenizer.normalizer
        model = tokenizer.model
        shape = (
            normalizer is not None
            and json.loads(normalizer.__getstate__()) == _NORMALIZER
            and tokenizer.pre_tokenizer is None
            and isinstance(model, BPE)
            and not model.dropout
            and not getattr(model, "ignore_merges", False)
            and not model.continuing_subword_prefix
            and not model.end_of_word_suffix
        )
        if not shape:
            return None
        if any(SPACE in token.lstrip(SPACE) for token in tokenizer.get_vocab()):
            return None
        return cls(tokenizer)

    def ids(self, texts: list[str]) -> list[Any]:
        """Each text's token ids (int64), as the tokenizer gives them without special
        tokens added."""
        return [self._text(text) for text in texts]

    def _text(self, text: str) -> Any:
        numpy = self._np
        if not text:
            return numpy.zeros(0, numpy.int64)  # nothing is put in front of nothing
        if any(special in text for special in self._specials):
            encoded = self._tokenizer.encode(text, add_special_tokens=False)
            return numpy.asarray(encoded.ids, numpy.int64)
        words = text.split(" ") if SPACE not in text else [""]
        if "" in words:  # runs of spaces, or "▁" in the text itself: cut as the text is
            words = _WORD.findall(SPACE + text.replace(" ", SPACE))[:-1]  # the last is ""
        try:
            which = numpy.fromiter(map(self._index.get, words), numpy.int64, len(words))
        except TypeError:  # a word not seen yet (None)
            # set.difference(dict) walks these words; set - keys() would walk all known.
            self._learn(set(words).difference(self._index))
            which = numpy.fromiter(map(self._index.get, words), numpy.int64, len(words))
        count = self._counts[which]
        # Each word's tokens in turn: from its first, one on per token.
        ends = numpy.cumsum(count)
        steps = numpy.arange(int(ends[-1])) - numpy.repeat(ends - count, count)
        return self._ids[numpy.repeat(self._starts[which], count) + steps]

    def _learn(self, words: set[str]) -> None:
        numpy = self._np
        for word in sorted(words):
            cut = word if word.startswith(SPACE) else SPACE + word
            tokens = [t.id for t in self._model.tokenize(cut)]
            number = len(self._index)
            if number == len(self._starts):
                self._starts = numpy.concatenate([self._starts, numpy.zeros_like(self._starts)])
                self._counts = numpy.concatenate([self._counts, numpy.zeros_like(self._counts)])
            while self._held + len(tokens) > len(self._ids):
                self._ids = numpy.concatenate([self._ids, numpy.zeros_like(self._ids)])
            self._starts[number], self._counts[number] = self._held, len(tokens)
            self._ids[self._held : self._held + len(tokens)] = tokens
            self._held += len(tokens)
            self._index[word] = number
