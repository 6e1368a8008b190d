"""Ranked passage search: BM25 over paragraphs of pieces, log entries and drafts."""

from __future__ import annotations

import re
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentgit.corpus import formats
from agentgit.corpus import search as search_module
from agentgit.corpus.index import search_directory as search
from agentgit.corpus.search import MAX_PASSAGE, Passage, query_terms, split_passages


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    files = {
        "pieces/caching.md": (
            "---\ntitle: Prompt caching\nsummary: Why a stable prefix pays\ntags: [cost]\n---\n\n"
            "Models read the whole context on every turn.\n\n"
            "A stable prefix can be cached, so the cache makes repeated context cheap.\n"
            "Cache hits cost a tenth of the price.\n\n"
            "Unrelated closing remark about gardens.\n"
        ),
        "pieces/gardens.md": (
            "---\ntitle: Gardens\nsummary: On weeds\ntags: [outdoors]\n---\n\n"
            "Weeds grow where nothing else will.\n\nA garden is a slow argument.\n"
        ),
        "log/0003-cache.md": (
            "---\nsession: 3\ntitle: Looked at caching\nstarted: x\noutcome: abandoned\n"
            "reason: nothing new about the cache\n---\n\n## Journal\n\nRead caching.\n"
        ),
        "drafts/weeds.md": "---\ntitle: Weeds again\n---\n\nWeeds, weeds, weeds everywhere.\n",
        "pieces/notes.txt": "cache cache cache cache\n",
        "elsewhere.md": "cache cache cache cache\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "pieces" / "binary.md").write_bytes(b"\xff\xfe cache")
    return tmp_path


def test_relevant_paragraph_ranks_first(corpus_dir: Path) -> None:
    hits = search(corpus_dir, "stable prefix cache")
    assert hits[0].path == "pieces/caching.md"
    assert hits[0].line == 9
    assert hits[0].text.startswith("A stable prefix can be cached")
    assert all(h.path in ("pieces/caching.md", "log/0003-cache.md") for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_frontmatter_is_a_passage(corpus_dir: Path) -> None:
    hits = search(corpus_dir, "weeds")
    assert {(h.path, h.line) for h in hits} >= {("drafts/weeds.md", 1), ("pieces/gardens.md", 7)}
    meta = next(h for h in hits if h.path == "pieces/gardens.md" and h.line == 1)
    assert meta.text == "Gardens — On weeds [outdoors]"
    log = search(corpus_dir, "nothing new")[0]
    assert (log.path, log.line) == ("log/0003-cache.md", 1)
    assert "nothing new about the cache" in log.text


def test_only_corpus_markdown_is_searched(corpus_dir: Path) -> None:
    paths = {h.path for h in search(corpus_dir, "cache", limit=50)}
    assert paths == {"pieces/caching.md", "log/0003-cache.md"}


def test_candidates_and_limit(corpus_dir: Path) -> None:
    hits = search(corpus_dir, "cache weeds", candidates=["pieces/gardens.md"])
    assert {h.path for h in hits} == {"pieces/gardens.md"}
    unsafe = ["../elsewhere.md", "/etc/passwd", "pieces/../elsewhere.md", "pieces/missing.md"]
    assert search(corpus_dir, "cache", candidates=unsafe) == []
    assert len(search(corpus_dir, "cache weeds garden", limit=2)) == 2
    assert search(corpus_dir, "cache", limit=0) == []


def test_empty_query(corpus_dir: Path) -> None:
    assert search(corpus_dir, "") == []
    assert search(corpus_dir, "   \n") == []
    assert search(corpus_dir, "zebra") == []
    assert search(corpus_dir / "nowhere", "cache") == []


def test_order_is_deterministic_on_ties(tmp_path: Path) -> None:
    (tmp_path / "pieces").mkdir()
    for name in ("b", "a", "c"):
        (tmp_path / "pieces" / f"{name}.md").write_text("---\ntitle: T\n---\n\nsame words\n")
    hits = search(tmp_path, "same")
    assert [(h.path, h.line) for h in hits] == [
        ("pieces/a.md", 5),
        ("pieces/b.md", 5),
        ("pieces/c.md", 5),
    ]


def test_long_paragraph_is_trimmed_around_the_match(tmp_path: Path) -> None:
    (tmp_path / "pieces").mkdir()
    filler = "\n".join("filler words here" for _ in range(100))
    (tmp_path / "pieces" / "long.md").write_text(f"---\ntitle: T\n---\n\n{filler}\nneedle here\n")
    [hit] = search(tmp_path, "needle")
    assert isinstance(hit, Passage)
    assert len(hit.text) <= MAX_PASSAGE
    assert "needle here" in hit.text
    assert hit.line > 5  # the line where the shown window starts


def test_stopwords_do_not_rank_or_widen_the_search(corpus_dir: Path) -> None:
    # "the" and "of" are in every file; they must neither make every file a candidate
    # (the grep prefilter uses these terms) nor outweigh the words that matter.
    assert query_terms("The cost of a stable prefix?") == ["cost", "stable", "prefix"]
    assert query_terms("what is it") == ["what", "is", "it"]  # nothing else left: keep all
    assert search(corpus_dir, "the cost of the cache") == search(corpus_dir, "cost cache")


def test_a_header_in_flow_style_is_a_passage(tmp_path: Path) -> None:
    """The dumper writes a header whose values are all scalars in flow style: what
    render_piece gives a piece with no tags and an empty body. Its words are found."""
    lone = formats.render_piece({"title": "Tidewater"}, "")
    assert lone.startswith("---\n{title: Tidewater}\n---")
    (tmp_path / "pieces").mkdir()
    (tmp_path / "pieces" / "lone.md").write_text(lone)
    (tmp_path / "pieces" / "more.md").write_text(
        "---\n{title: 'Salt, marsh', summary: Where the tide\n  spreads, tags: [flats, mud]}\n"
        "---\n\nBody.\n"
    )
    [hit] = search(tmp_path, "tidewater")
    assert (hit.path, hit.line, hit.text) == ("pieces/lone.md", 1, "Tidewater")
    [meta] = [h for h in search(tmp_path, "spreads") if h.line == 1]
    assert meta.text == "Salt, marsh — Where the tide spreads [flats, mud]"
    assert list(split_passages("---\n{title: [broken\n---\n\nBody.\n")) == [(5, "Body.")]


_HEADER_WORDS = st.sampled_from(
    ["title", "summary", "tags", "reason", "titles", "Title", " title", "created", "- a", " b"]
)
_HEADER_CHARS = " \t\r\x0b\x85\u2028\u00a0ab,'\"[]-:"
_HEADER_TAILS = st.text(alphabet=st.sampled_from(_HEADER_CHARS), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_HEADER_WORDS, st.sampled_from([":", ": ", ":\t", ""]), _HEADER_TAILS)))
def test_a_header_passage_reads_values_as_the_lazy_pattern_did(
    lines: list[tuple[str, str, str]],
) -> None:
    """The header's values are the rest of their line, trailing whitespace (any that
    `\\s` matches) stripped: as `[ \\t]*(.*?)\\s*$` took them, without its cost."""
    fm = [key + sep + tail for key, sep, tail in lines]
    lazy = re.compile(r"^(title|summary|tags|reason):[ \t]*(.*?)\s*$")
    with patch.object(search_module, "_META_LINE", lazy):
        expected = search_module._meta_text(fm)
    assert search_module._meta_text(fm) == expected


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127)),  # the byte table's way
        st.text(),  # the regular expression's
    )
)
def test_tokens_are_the_words_of_the_regular_expression_case_folded(text: str) -> None:
    """ASCII text is split by a byte table and str.split, the rest by \\w+: the same
    words either way (control characters, which str.split takes for spaces, included)."""
    assert search_module.tokens(text) == re.findall(r"\w+", text.lower())
