"""The terrain's signatures and novelty's vectors, made by operator functions mapped in C,
are the plain formulas of DESIGN §8 word for word: the same words, the same floats, in
the same order (the placement depends on all three)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from agentgit.landscape import regions
from agentgit.landscape.regions import SIGNATURE, signature
from agentgit.landscape.similarity import Vector, Weights

# Few distinct counts and frequencies, so that equal weights (ties broken by word) and
# a cut that falls among equals are common.
_WORDS = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
_DOC = st.dictionaries(_WORDS, st.integers(0, 4), max_size=3 * SIGNATURE)


def plain_vector(doc: dict[str, int], df: dict[str, int], n: int) -> Vector:
    """weight(t) = (1 + ln tf) * ln(1 + (N + 1) / (df + 1)), at unit length."""
    vec = {
        t: (1 + math.log(c)) * math.log(1 + (n + 1) / (df.get(t, 0) + 1))
        for t, c in doc.items()
        if c > 0
    }
    norm = math.sqrt(sum(w * w for w in vec.values()))
    return {t: w / norm for t, w in vec.items()} if norm else {}


def plain_signature(vec: Vector, size: int = SIGNATURE) -> Vector:
    """The ``size`` heaviest words, ties by word, at unit length again, to 4 places, in
    the words' order."""
    top = sorted(vec.items(), key=lambda tw: (-tw[1], tw[0]))[:size]
    norm = math.sqrt(sum(w * w for _, w in top))
    return {t: round(w / norm, 4) for t, w in sorted(top)} if norm else {}


@examples(max_examples=300, deadline=None)
@given(
    docs=st.lists(_DOC, max_size=6),
    df=st.dictionaries(_WORDS, st.integers(1, 5)),
    n=st.integers(0, 50),
)
def test_vectors_and_signatures_are_the_plain_formulas(
    docs: list[dict[str, int]], df: dict[str, int], n: int
) -> None:
    weights = Weights(df, n)
    for doc in docs:
        vec = weights.vector(doc)
        assert list(vec.items()) == list(plain_vector(doc, df, n).items())
        sig = signature(vec)
        assert list(sig.items()) == list(plain_signature(vec).items())
        assert list(regions.unstored(regions.stored(sig)).items()) == list(sig.items())


def test_a_cut_among_equal_weights_keeps_the_first_words() -> None:
    doc = {f"w{i:03d}": 1 for i in range(SIGNATURE + 20)}  # every weight alike
    made = signature(Weights({}, 10).vector(doc))
    assert list(made) == sorted(doc)[:SIGNATURE]  # the first words, in order
    assert list(made.items()) == list(plain_signature(Weights({}, 10).vector(doc)).items())


def test_an_empty_doc_and_a_zero_count_have_the_plain_vectors() -> None:
    weights = Weights({"a": 2}, 5)
    assert weights.vector({}) == {} and signature({}) == {}
    zero = weights.vector({"a": 0, "b": 3})
    assert list(zero) == ["b"] and zero == plain_vector({"a": 0, "b": 3}, {"a": 2}, 5)
    assert weights.vector({"a": 0}) == {}


_WEIGHTS = st.dictionaries(_WORDS, st.floats(0, 1, allow_nan=False), max_size=SIGNATURE).map(
    lambda vec: dict(sorted(vec.items()))  # in word order, as signatures are
)


@examples(max_examples=200, deadline=None)
@given(a=_WEIGHTS, b=_WEIGHTS)
def test_a_placement_dot_product_is_the_plain_sum_over_the_shared_words(
    a: dict[str, float], b: dict[str, float]
) -> None:
    """In the order the words come, not in a set's, which follows the strings' hashes:
    those change from process to process, and another order of the sum can move a
    piece by its last bit (it moved one of 10,000 by 0.0001 in one process of two)."""
    plain = 0
    for t, w in a.items():
        if t in b:
            plain += w * b[t]
    assert regions._dot(a, b) == plain


def test_signatures_made_and_read_back_are_in_word_order() -> None:
    doc = {"zeta": 3, "alpha": 1, "mid": 2}
    made = signature(Weights({"alpha": 1}, 9).vector(doc))
    assert list(made) == ["alpha", "mid", "zeta"]
    back = regions.unstored(regions.stored(made))
    assert list(back.items()) == list(made.items()) and regions.unstored(regions.stored({})) == {}
