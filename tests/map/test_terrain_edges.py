"""Issue 20's edge cases through both commands that show the terrain: a corpus of 0, 1
and 2 pieces, pieces with almost no text, ground that is unknown, ground since deleted or
renamed, a region whose pieces were all revised away. `agentgit landscape` (and its
--json) and `agentgit map` answer each, and the page draws it in Chromium with a verdict
and a reason for every session; never an error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import browser
import pytest
from conftest import agentgit, git
from grounds import Walks, one_sentence, piece_text, three_grounds
from test_map import body_of
from test_terrain_page import unescape, verdict_rows


def few(count: int) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        walks = Walks(path)
        if count:
            walks.add_pieces({f"tides-{n}": piece_text("tides", n) for n in range(1, count + 1)})
        walks.session([f"tides-{n}" for n in range(1, count + 1)])

    return build


def almost_no_text(path: Path) -> None:
    walks = Walks(path)
    walks.add_pieces({"a": "---\ntitle: A\n---\n", "b": "---\ntitle: the\n---\n\nof\n", "c": "x"})
    walks.session(["a", "b"], {"d": "---\ntitle: D\n---\n\nD.\n"})
    walks.session(["c"])


def unknown_ground(path: Path) -> None:
    walks = three_grounds(path)
    walks.session(None)
    walks.session(None, {"tides-4": piece_text("tides", 4)})


def deleted_ground(path: Path) -> None:
    walks = three_grounds(path)
    walks.session(["tides-1", "bread-1"])
    walks.session(["tides-2"])
    walks.remove(["tides-1", "tides-2", "tides-3"])


def renamed_ground(path: Path) -> None:
    walks = three_grounds(path)
    walks.session(["bread-1", "bread-2"])
    walks.session(["bread-3"])
    for n in (1, 2, 3):
        git(path, "mv", f"corpus/pieces/bread-{n}.md", f"corpus/pieces/loaf-{n}.md")
    git(path, "commit", "-q", "--no-verify", "-m", "Rename the bread pieces by hand")
    walks.session(["loaf-1"])


def revised_away(path: Path) -> None:
    walks = three_grounds(path)
    walks.session(["tides-1", "tides-2"])
    walks.add_pieces({f"tides-{n}": piece_text("compilers", 10 + n) for n in (1, 2, 3)})
    walks.session(["tides-3"])


CASES: dict[str, tuple[Callable[[Path], None], dict[int, str]]] = {
    "no pieces": (few(0), {1: "wandering"}),  # it read nothing and kept nothing
    "one piece": (few(1), {1: "surveying"}),
    "two pieces": (few(2), {1: "surveying"}),
    "almost no text": (almost_no_text, {}),
    "unknown ground": (unknown_ground, {1: "unknown", 2: "unknown"}),
    "deleted ground": (deleted_ground, {1: "surveying", 2: "unknown"}),
    "renamed ground": (renamed_ground, {1: "unknown", 2: "unknown", 3: "surveying"}),
    "a region revised away": (revised_away, {1: "surveying"}),
}


def records(path: Path) -> list[dict[str, Any]]:
    done = agentgit(path, "landscape", "--json")
    assert done.returncode == 0 and not done.stderr, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("case", list(CASES))
def test_each_edge_case_is_answered_by_landscape_and_drawn_by_map(
    corpus_repo: Path, tmp_path: Path, case: str
) -> None:
    build, expected = CASES[case]
    build(corpus_repo)
    found = records(corpus_repo)
    sessions = [r for r in found if r["type"] == "session"]
    assert sessions and all(one_sentence(r["why"]) for r in sessions), sessions
    verdicts = {r["session"]: r["verdict"] for r in sessions}
    assert {n: verdicts[n] for n in expected} == expected, verdicts
    pieces = {r["slug"] for r in found if r["type"] == "piece"}
    on_main = {p.stem for p in (corpus_repo / "corpus" / "pieces").glob("*.md")}
    assert pieces == on_main  # every piece on main is placed, and only those
    shown = agentgit(corpus_repo, "landscape")
    assert shown.returncode == 0 and not shown.stderr, shown.stderr
    assert shown.stdout.startswith(f"{len(on_main)} piece"), shown.stdout

    target = tmp_path / "map.html"
    done = agentgit(corpus_repo, "map", "-o", str(target))
    assert done.returncode == 0 and not done.stderr, done.stderr
    dom = browser.dom(target, tmp_path / "profile")
    status = body_of(dom)
    assert status.get("data-status") == "drawn", status
    assert status["data-terrain-pieces"] == str(len(pieces))
    rows = [(int(a), b, unescape(c)) for a, b, c in verdict_rows(dom)]
    assert rows == [(r["session"], r["verdict"], r["why"]) for r in sessions]


def test_ground_since_renamed_is_named_so_in_the_reason(corpus_repo: Path) -> None:
    """A piece is known by its slug: a renamed piece is a piece gone, and one new. The
    sessions that read it keep what they read, and say it is no longer on main."""
    renamed_ground(corpus_repo)
    first, second, third = (r for r in records(corpus_repo) if r["type"] == "session")
    assert first["read"] == ["bread-1", "bread-2"] and second["read"] == ["bread-3"]
    assert all("no longer on main" in r["why"] for r in (first, second))
    assert "bread-1" in first["why"] and "bread-3" in second["why"]
    assert third["read"] == ["loaf-1"] and "had not read" in third["why"]


def test_a_session_that_read_and_kept_nothing_says_so(corpus_repo: Path) -> None:
    few(0)(corpus_repo)
    (session,) = (r for r in records(corpus_repo) if r["type"] == "session")
    assert session["read"] == [] and session["why"] == "it kept nothing, and read no piece"
