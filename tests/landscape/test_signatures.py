"""The terrain's signatures, made in bulk, are the ones a piece at a time would make: the
same words, the same floats, in the same order (the placement depends on all three)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from agentgit.landscape.regions import SIGNATURE, signature, signatures
from agentgit.landscape.similarity import Weights

# Few distinct counts and frequencies, so that equal weights (ties broken by word) and
# a cut that falls among equals are common.
_WORDS = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
_DOC = st.dictionaries(_WORDS, st.integers(1, 4), max_size=3 * SIGNATURE)


@examples(max_examples=300, deadline=None)
@given(
    docs=st.lists(_DOC, max_size=6),
    df=st.dictionaries(_WORDS, st.integers(1, 5)),
    n=st.integers(0, 50),
)
def test_signatures_in_bulk_equal_one_at_a_time(
    docs: list[dict[str, int]], df: dict[str, int], n: int
) -> None:
    weights = Weights(df, n)
    named = {f"blob{i}": doc for i, doc in enumerate(docs)}
    made = signatures(named, weights)
    for blob, doc in named.items():
        assert list(made[blob].items()) == list(signature(weights.vector(doc)).items())


def test_a_cut_among_equal_weights_keeps_the_first_words() -> None:
    doc = {f"w{i:03d}": 1 for i in range(SIGNATURE + 20)}  # every weight alike
    made = signatures({"b": doc}, Weights({}, 10))["b"]
    assert list(made) == sorted(doc)[:SIGNATURE]
    assert list(made.items()) == list(signature(Weights({}, 10).vector(doc)).items())


def test_an_empty_doc_and_a_zero_count_are_signed_as_one_at_a_time() -> None:
    weights = Weights({"a": 2}, 5)
    docs = {"empty": {}, "zero": {"a": 0, "b": 3}}
    made = signatures(docs, weights)
    assert made["empty"] == {}
    assert made["zero"] == signature(weights.vector(docs["zero"]))
    assert list(made["zero"]) == ["b"]
