"""The map's terrain end to end (DESIGN §8, §10): a corpus whose ground is known and some
experiment runs, all in git; `agentgit map` run as a command; the page opened in headless
Chromium, and what it shows read back: every session's verdict and reason (the ones
`agentgit landscape --json` derives from the same git), the runs chart, and a session
picked on the canvas showing its reason. test_terrain_page.py draws the panels from
records; this goes through gather and survey from git."""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser
import pytest
from conftest import agentgit, git, seal
from grounds import WALKED_VERDICTS, piece_text, walked
from test_map import body_of
from test_terrain_page import RUN_DETAILS, TERRAIN_DETAILS, unescape, verdict_rows

from agentgit.corpus.skeleton import init

# (session, experiment, loss, status, hypothesis): lower is better, best 4.0 then 1.0.
RUNS = [
    (2, 1, "4.0", "keep", "X halfway to seven"),
    (2, 2, "9.0", "discard", "X back to four"),
    (3, 1, "none", "crash", "a typo in train.py"),
    (3, 2, "1.0", "keep", "X one short of seven"),
]


def add_runs(path: Path) -> None:
    """Each run a commit with a run's trailers, kept under refs/agentgit/runs/ as a
    session leaves the runs it did not land."""
    tree = git(path, "rev-parse", "main^{tree}").strip()
    parent = git(path, "rev-parse", "main").strip()
    for session, n, value, status, hypothesis in RUNS:
        message = (
            f"Experiment {n}: {hypothesis}\n\n"
            f"Agentgit-Session: {session:04d}\nAgentgit-Experiment: {n}\n"
            f"Agentgit-Metric: loss={value}\nAgentgit-Status: {status}\nAgentgit-Seconds: 2.5\n"
        )
        made = subprocess.run(
            ["git", "commit-tree", tree, "-p", parent, "-m", message],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
        )
        git(path, "update-ref", f"refs/agentgit/runs/{session:04d}/{n}", made.stdout.strip())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("terrain-map")
    with pytest.MonkeyPatch.context() as mp:
        seal(mp, base / "home")
        path = base / "corpus"
        init(path)
        walked(path)
        add_runs(path)
        yield path


@pytest.fixture(scope="module")
def page(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("page") / "map.html"
    done = agentgit(corpus, "map", "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert str(target) in done.stdout
    return target


def landscape_sessions(corpus: Path) -> list[dict[str, Any]]:
    done = agentgit(corpus, "landscape", "--json")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    return [r for r in records if r["type"] == "session"]


def test_the_page_shows_every_verdict_and_reason_landscape_derives(
    corpus: Path, page: Path, tmp_path: Path
) -> None:
    derived = landscape_sessions(corpus)
    assert {s["session"]: s["verdict"] for s in derived} == WALKED_VERDICTS
    dom = browser.dom(page, tmp_path / "profile")
    status = body_of(dom)
    assert status.get("data-status") == "drawn", status
    assert (status["data-terrain-pieces"], status["data-terrain-sessions"]) == ("11", "7")
    assert status["data-runs"] == str(len(RUNS))
    rows = [(int(a), b, unescape(c)) for a, b, c in verdict_rows(dom)]
    assert rows == [(s["session"], s["verdict"], s["why"]) for s in derived]
    assert all(why for _, _, why in rows)  # every verdict has its reason in words
    note = re.search(r'<p class="counts" id="terrain-note">(.*?)</p>', dom)
    assert note, "no terrain note"
    assert "11 pieces in 3 regions" in note.group(1)
    assert "1 exploring, 1 leaping, 2 surveying, 3 wandering" in note.group(1)
    assert "(sessions 0004, 0005, 0006)" in note.group(1)  # circling, in its region's words


def test_a_session_picked_on_the_canvas_shows_its_reason(
    corpus: Path, page: Path, tmp_path: Path
) -> None:
    why = {s["session"]: s["why"] for s in landscape_sessions(corpus)}
    tools = browser.DevTools(tmp_path / "profile")
    try:
        tools.open(page)
        for number, verdict in ((2, "leaping"), (1, "exploring"), (5, "wandering")):
            spot = tools.js(f"agentgitTerrain.at({number})")
            assert spot, f"session {number} is not drawn"
            tools.click(*spot)
            shown = tools.js(TERRAIN_DETAILS)
            picked = tools.js("document.querySelector('#verdicts tr.picked').dataset.session")
            # Sessions 4-6 read the same ground: a click there picks one of the three.
            if number == 5:
                assert shown.startswith("Session 000"), shown
                assert " · wandering" in shown and why[int(picked)] in shown
                continue
            assert shown.startswith(f"Session {number:04d} · {verdict}"), shown
            assert why[number] in shown and picked == str(number)
        assert tools.js("document.body.dataset.status") == "drawn"
    finally:
        tools.close()


def test_the_runs_chart_shows_the_runs_from_git_and_the_running_best(
    page: Path, tmp_path: Path
) -> None:
    tools = browser.DevTools(tmp_path / "profile")
    try:
        tools.open(page)
        assert tools.js("document.getElementById('runs-panel').dataset.best") == "1"
        note = tools.js("document.getElementById('runs-note').textContent")
        assert note.startswith("4 runs in 2 sessions: 2 keep, 1 discard, 1 crash"), note
        tools.mouse("mouseMoved", *tools.js("agentgitRuns.at(3, 2)"))
        shown = tools.js(RUN_DETAILS)
        assert shown.startswith("Session 0003 · experiment 2 · keep"), shown
        assert "X one short of seven" in shown
        tools.mouse("mouseMoved", *tools.js("agentgitRuns.at(3, 1)"))
        assert tools.js(RUN_DETAILS).startswith("Session 0003 · experiment 1 · crash")
    finally:
        tools.close()


def drawn(path: Path, profile: Path) -> tuple[dict[str, list[float]], float]:
    """Where `agentgit map` draws each of main's pieces (canvas pixels), and the side of
    the plane they are drawn on."""
    target = profile.parent / f"{profile.name}.html"
    done = agentgit(path, "map", "-o", str(target))
    assert done.returncode == 0, done.stderr
    slugs = [p.stem for p in (path / "corpus" / "pieces").glob("*.md")]
    tools = browser.DevTools(profile)
    try:
        tools.open(target)
        places = tools.js(f"{json.dumps(slugs)}.map(s => [s, agentgitTerrain.place(s)])")
        return dict(places), float(tools.js("agentgitTerrain.side"))
    finally:
        tools.close()


def test_a_new_keep_moves_no_piece_already_drawn(corpus_repo: Path, tmp_path: Path) -> None:
    """On the page, as in the landscape's records: a keep that founds a region far from
    the rest, and one beside bread-3, move no earlier piece by a tenth of the map."""
    walks = walked(corpus_repo)
    before, side = drawn(corpus_repo, tmp_path / "before")
    lone = "---\ntitle: Lone\n---\n\nQuasars zebra ukulele marzipan.\n"
    walks.session(["bread-3"], {"lone": lone, "bread-4": piece_text("bread", 4)})
    after, again = drawn(corpus_repo, tmp_path / "after")
    assert again == side and set(after) == set(before) | {"lone", "bread-4"}
    moved = {slug: math.dist(at, after[slug]) / side for slug, at in before.items()}
    assert max(moved.values()) <= 0.1, moved
    assert math.dist(after["bread-4"], after["bread-3"]) / side < 0.1


def test_each_region_is_labelled_with_its_words_where_its_pieces_lie(
    corpus: Path, page: Path, tmp_path: Path
) -> None:
    done = agentgit(corpus, "landscape", "--json")
    records = [json.loads(line) for line in done.stdout.splitlines()]
    regions = {r["id"]: r for r in records if r["type"] == "region"}
    tools = browser.DevTools(tmp_path / "profile")
    try:
        tools.open(page)
        labels = {label["region"]: label for label in tools.js("agentgitTerrain.labels")}
        assert set(labels) == set(regions)
        for number, region in regions.items():
            text = " ".join(region["words"]) + (" ↻" if region["circling"] else "")
            assert labels[number]["text"] == text
            places = [tools.js(f"agentgitTerrain.place({json.dumps(s)})") for s in region["pieces"]]
            # Just above the middle of its pieces.
            middle = [sum(p[k] for p in places) / len(places) for k in (0, 1)]
            at = (labels[number]["x"], labels[number]["y"])
            assert math.dist(at, middle) < 20
        assert labels[regions_circled(regions)]["text"].endswith(" ↻")
    finally:
        tools.close()


def regions_circled(regions: dict[int, dict[str, Any]]) -> int:
    (circled,) = [n for n, r in regions.items() if r["circling"]]
    return circled


def test_each_sessions_path_is_drawn_in_its_verdicts_colour(page: Path, tmp_path: Path) -> None:
    """The canvas's pixel at the end of a session's path (its dot) is its verdict's
    colour: in the picture as drawn, where nothing else ends (session 1's keep), and for
    every session once picked (drawn on top of the rest)."""
    script = (Path(browser.__file__).parents[1] / "agentgit/map/assets/terrain.js").read_text()
    colours = dict(re.findall(r'(\w+): "(#[0-9a-f]{6})"', script.split("var COLOURS", 1)[1][:300]))
    pixel = """(n => {
      const c = document.getElementById('terrain'), [x, y] = agentgitTerrain.at(n);
      const box = c.getBoundingClientRect(), r = window.devicePixelRatio || 1;
      const d = c.getContext('2d').getImageData(Math.round((x - box.left) * r),
        Math.round((y - box.top) * r), 1, 1).data;
      return '#' + [d[0], d[1], d[2]].map(v => v.toString(16).padStart(2, '0')).join('');
    })"""
    tools = browser.DevTools(tmp_path / "profile")
    try:
        tools.open(page)
        drawn = tools.js(f"{pixel}(1)")
        picked = {}
        for n in WALKED_VERDICTS:
            tools.js(f"agentgitTerrain.pick({n})")
            picked[n] = tools.js(f"{pixel}({n})")
    finally:
        tools.close()
    assert drawn == colours["exploring"]
    assert picked == {n: colours[v] for n, v in WALKED_VERDICTS.items()}, picked
