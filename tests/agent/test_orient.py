"""The orientation: bounded whatever the history, and cheap to build."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pytest

from agentgit.agent.orient import build_orientation, closing_summary
from agentgit.corpus import formats

TODAY = date(2025, 3, 14)
BUDGET = "Budget: 30 turns, 400000 tokens, $1.00, 30 minutes"
OUTCOME_CYCLE = ("crystallized", "abandoned", "crystallized", "needs-review")


def write_piece(
    corpus_dir: Path, slug: str, title: str, summary: str = "", tags: str = "[]"
) -> None:
    (corpus_dir / "pieces").mkdir(parents=True, exist_ok=True)
    text = f"---\ntitle: {title}\nsummary: {summary!r}\ntags: {tags}\n---\n\nBody of {slug}.\n"
    (corpus_dir / "pieces" / f"{slug}.md").write_text(text)


def write_log(corpus_dir: Path, n: int, pieces: list[str] | None = None, **extra: str) -> None:
    (corpus_dir / "log").mkdir(parents=True, exist_ok=True)
    entry = formats.LogEntry(
        session=n,
        title=extra.get("title", f"Session {n}"),
        started=f"2025-03-{1 + n % 28:02d}T10:00:00Z",
        outcome=extra.get("outcome", OUTCOME_CYCLE[n % 4]),
        pieces=pieces or [],
        reason=extra.get("reason"),
        body=extra.get("body", f"## Journal\n\nTried {n}.\n\n## Summary\n\nClosed {n}."),
    )
    (corpus_dir / "log" / f"{n:04d}-s{n}.md").write_text(formats.render_log_entry(entry))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("big")
    for i in range(3000):
        write_piece(tmp_path, f"p{i:04d}", f"Piece {i}", f"What piece {i} says", "[x, y]")
    for n in range(1, 1501):
        write_log(
            tmp_path, n, pieces=[f"p{(n * 7) % 3000:04d}"], body="## Summary\n\n" + "w " * 500
        )
    return tmp_path


def test_bounded_with_a_big_history(big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = formats.parse_piece
    monkeypatch.setattr(formats, "parse_piece", lambda t, p: parsed.append(p) or real(t, p))
    start = time.perf_counter()
    text, problems = build_orientation(
        big, topic="context", budget=BUDGET, max_chars=24000, recent_log=12, today=TODAY
    )
    elapsed = time.perf_counter() - start
    assert len(text) <= 24000
    assert problems == []
    assert elapsed < 1.0
    assert text.startswith(BUDGET)
    assert "Topic: context" in text
    assert "12 of 1,500" in text
    assert "…and 1,488 earlier sessions not shown" in text
    shown = re.findall(r"^- (p\d{4}) — ", text, re.M)
    assert 20 < len(shown) < 3000
    assert f"…and {3000 - len(shown):,} more pieces: use list_pieces or search." in text
    assert len(parsed) < len(shown) + 40  # parsed about what is shown, not 3,000
    # The pieces the recent sessions touched come first, newest session first.
    assert shown[:3] == [f"p{(n * 7) % 3000:04d}" for n in (1500, 1499, 1498)]
    assert text.rstrip().endswith("before the budget runs out.")


@pytest.mark.parametrize("max_chars", [300, 1000, 4000])
def test_small_bounds_hold(big: Path, max_chars: int) -> None:
    text, _ = build_orientation(
        big,
        topic="t " * 2000,
        budget=BUDGET,
        max_chars=max_chars,
        today=TODAY,
        terrain="Terrain: " + "wandering " * 500,
    )
    assert len(text) <= max_chars
    assert text.startswith(BUDGET)


def test_the_terrain_line_is_one_bounded_line_after_the_log(big: Path) -> None:
    line = "Terrain (a retrospect, lexical): " + "0001 wandering, " * 100
    text, _ = build_orientation(big, topic=None, budget=BUDGET, today=TODAY, terrain=line)
    (shown,) = [x for x in text.splitlines() if x.startswith("Terrain (")]
    assert len(shown) <= 500 and shown.endswith("…")
    assert text.index("## Recent sessions") < text.index(shown) < text.index("## Pieces")


def test_recent_log_entries_newest_first_with_details(tmp_path: Path) -> None:
    write_piece(tmp_path, "alpha", "Alpha", "first")
    write_piece(tmp_path, "beta", "Beta", "second", "[b]")
    write_log(tmp_path, 1, title="Opened alpha", outcome="crystallized", pieces=["alpha"])
    write_log(
        tmp_path,
        2,
        title="Went nowhere",
        outcome="abandoned",
        reason="nothing new",
        body="## Journal\n\nTried x.\n\n## Open questions\n\n- Is beta wrong?",
    )
    text, problems = build_orientation(tmp_path, topic=None, budget=BUDGET, today=TODAY)
    assert problems == []
    assert "No topic was given" in text
    assert text.index("0002 · 2025-03-03 · abandoned · Went nowhere") < text.index(
        "0001 · 2025-03-02 · crystallized · Opened alpha"
    )
    assert "reason: nothing new" in text
    assert "Open questions:\n- Is beta wrong?" in text
    assert "pieces: alpha" in text
    assert "- alpha — Alpha — first\n- beta — Beta — second [b]" in text
    assert "earlier sessions" not in text and "more pieces" not in text


def test_broken_pieces_are_skipped_as_warnings(tmp_path: Path) -> None:
    write_piece(tmp_path, "good", "Good")
    (tmp_path / "pieces" / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    write_log(tmp_path, 1, pieces=["broken", "gone"])
    (tmp_path / "log" / "0002-bad.md").write_text("no frontmatter")
    text, problems = build_orientation(tmp_path, topic=None, budget=BUDGET, today=TODAY)
    assert [p.path for p in problems] == ["corpus/log/0002-bad.md", "corpus/pieces/broken.md"]
    assert "- good — Good" in text
    assert "broken —" not in text
    assert "1 malformed piece skipped" in text


def test_empty_corpus(tmp_path: Path) -> None:
    text, problems = build_orientation(tmp_path, topic="x", budget=BUDGET, today=TODAY)
    assert problems == []
    assert "first session" in text and "corpus is empty" in text
    assert "Today: 2025-03-14." in text


def test_closing_summary_falls_back_to_last_paragraph() -> None:
    assert closing_summary("one\n\ntwo\nlines") == "two\nlines"
    assert closing_summary("") == ""
    assert len(closing_summary("## Summary\n\n" + "x" * 5000)) <= 600
