"""`agentgit map` (DESIGN §8): one self-contained HTML page of the landscape, read from
main's history in a handful of git calls, drawn by its own script in a real browser
(headless Chromium, see tests/browser.py), with every user-written text kept as text."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser
import pytest
import yaml
from conftest import agentgit, git, seal
from helpers import attach
from scripts import abandon, crystallize, draft, keep_script, note
from synthetic import Made, build

from agentgit.core.outcome import OPEN, Outcome
from agentgit.core.settings import Settings
from agentgit.corpus import check, formats, history
from agentgit.corpus.skeleton import init
from agentgit.git import Repository
from agentgit.git import run as gitrun
from agentgit.lifecycle import run, start
from agentgit.map import drawing, gather
from agentgit.models.scripted import ScriptedModel

EVIL_TITLE = "</script><img src=x onerror=\"document.body.dataset.pwned='yes'\">"
EVIL_SUMMARY = "<b>bold</b> & <script>document.body.dataset.pwned='yes'</script>"
OUTCOMES = {
    1: "crystallized",
    2: "abandoned",
    3: "needs-review",
    4: "crystallized",
    5: "in-review",
    6: "open",
}
# What the questions and novelty work writes into log entries (DESIGN §8), added here by
# hand to main's entries: the map reads whatever frontmatter it finds.
LANDSCAPE = {
    1: {
        "novelty": [{"piece": "tides", "score": 0.8, "nearest": None, "similarity": 0.2}],
        "questions": [
            {"id": "moon-pull", "text": "Is it only the moon?", "status": "open"},
            {"id": "archive-growth", "text": "Does the archive grow too fast?", "status": "open"},
        ],
    },
    2: {
        "questions": [
            {"id": "archive-growth", "status": "pursued"},
            {"id": "ferry", "text": "Do ferries care?", "status": "open"},
        ]
    },
    3: {
        "questions": [
            {"id": "archive-growth", "status": "pursued"},
            {"id": "ferry", "status": "dropped", "why": "nothing pulled"},
        ]
    },
    4: {
        "novelty": [
            {"piece": "tides", "score": 0.25, "nearest": "tides", "similarity": 0.75},
            "not a mapping",
            {"score": 0.5},
        ],
        "questions": [
            {"id": "archive-growth", "status": "pursued"},
            {"id": "moon-pull", "status": "answered", "pieces": ["tides"]},
            {"id": "bad", "status": "wondering"},
        ],
    },
}


def _run(repo: Repository, settings: Settings, topic: str | None, turns: list[Any]) -> None:
    current = start(repo, settings, topic=topic, model_name="scripted")
    run(repo, current, ScriptedModel(turns), settings)


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Six real sessions (scripted model), one of each outcome the map tells apart:
    kept, abandoned (with a title and summary out to inject), needs-review (two sessions
    revised one piece at once), kept again, in review (--review branch), still open."""
    base = tmp_path_factory.mktemp("mapped")
    with pytest.MonkeyPatch.context() as mp:
        seal(mp, base / "home")
        path = base / "corpus"
        init(path)
        repo = Repository.discover(path)
        local = Settings(model="scripted")
        _run(repo, local, "tides", keep_script("tides", "Tides"))
        _run(repo, local, EVIL_TITLE, [note("Nothing here."), abandon("flat", EVIL_SUMMARY)])
        a = start(repo, local, topic="revise a", model_name="scripted")
        b = start(repo, local, topic="revise b", model_name="scripted")
        for current, body in ((b, "B: gravity.\n"), (a, "A: the moon.\n")):
            turns = [draft("tides", "Tides", body), crystallize(["tides"], f"Revised: {body}")]
            run(repo, current, ScriptedModel(turns), local)
        _add_landscape(path)
        bare = base / "remote.git"
        git(base, "init", "-q", "--bare", "-b", "main", str(bare))
        attach(path, bare)
        _run(repo, Settings(model="scripted", review="branch"), "moon", keep_script("moon"))
        start(repo, local, topic="still going", model_name="scripted")
        yield path


def _add_landscape(path: Path) -> None:
    """Main's log entries gain the `novelty` and `questions` frontmatter, as a person's
    commit (sessions will write them themselves)."""
    for name in sorted((path / "corpus" / "log").glob("*.md")):
        number = int(name.name[:4])
        if number not in LANDSCAPE:
            continue
        text = name.read_text("utf-8")
        head, _, body = text[4:].partition("\n---\n")
        extra = yaml.safe_dump(LANDSCAPE[number], sort_keys=False)
        name.write_text(f"---\n{head}\n{extra}---\n{body}", "utf-8")
    git(path, "commit", "-qam", "Record novelty and questions", "--no-verify")


def payload(page: str) -> dict[str, Any]:
    """The data a page carries, as its script reads it."""
    found = re.search(r'<script type="application/json" id="landscape">(.*?)</script>', page, re.S)
    assert found, "no landscape data in the page"
    return json.loads(found.group(1))


def body_of(dom: str) -> dict[str, str]:
    """The attributes of <body> in a dumped DOM: what the page's script reported."""
    tag = re.search(r"<body([^>]*)>", dom)
    assert tag, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))


@pytest.fixture(scope="module")
def page(mapped: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("page") / "map.html"
    proc = agentgit(mapped, "map", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    return target


# -- what the map reads --------------------------------------------------------------------


def test_every_session_is_there_with_its_outcome_summary_and_commits(mapped: Path) -> None:
    seen = gather.gather(Repository.discover(mapped))
    assert {s.session: s.outcome for s in seen.sessions} == OUTCOMES
    by = {s.session: s for s in seen.sessions}
    kept = by[1]
    assert (kept.title, kept.pieces, kept.summary) == ("tides", ["tides"], "Wrote tides.")
    line = next(x for x in history.log(Repository.discover(mapped)) if x.session == 1)
    assert (kept.cost_usd, kept.turns, kept.commit, kept.head) == (
        line.cost_usd,
        line.turns,
        line.commit,
        line.head,
    )
    # The steps are the subjects of the session's own exploration commits.
    subjects = git(mapped, "log", "--format=%s", "refs/agentgit/sessions/0001").splitlines()
    assert kept.steps and all(step in subjects for step in kept.steps)
    assert any(step.startswith("Add drafts/tides.md") for step in kept.steps)
    assert (by[2].title, by[2].summary, by[2].reason) == (EVIL_TITLE, EVIL_SUMMARY, "flat")
    assert by[3].branch == "session/0003-revise-a"  # needs-review: its branch waits
    assert (by[5].title, by[5].pieces) == ("moon", ["moon"])  # read from its branch
    assert by[6].title == "still going" and by[6].branch == "session/0006-still-going"


def test_every_state_the_map_draws_is_named_in_core(mapped: Path) -> None:
    """The page colours a session by its state, an outcome or OPEN (none yet), and the
    gatherer writes it: each is a name in core, so neither spells one by hand."""
    import agentgit.map

    script = (Path(agentgit.map.__file__).parent / "assets" / "map.js").read_text("utf-8")
    found = re.search(r"var OUTCOMES = (\[[^\]]*\]);", script)
    assert found is not None
    drawn = json.loads(found.group(1))
    assert OPEN in drawn and set(drawn) <= {*Outcome, OPEN}
    states = {s.session: s.outcome for s in gather.gather(Repository.discover(mapped)).sessions}
    assert states[6] == OPEN and set(states.values()) <= set(drawn)


def test_novelty_and_questions_are_read_tolerantly_from_the_frontmatter(mapped: Path) -> None:
    seen = gather.gather(Repository.discover(mapped))
    by = {s.session: s for s in seen.sessions}
    assert [(n.piece, n.score, n.nearest) for n in by[1].novelty] == [("tides", 0.8, None)]
    # Items that are not novelty records are left out, not fatal.
    assert [(n.piece, n.score, n.similarity) for n in by[4].novelty] == [("tides", 0.25, 0.75)]
    assert by[2].novelty == []  # abandoned: nothing kept, nothing measured
    # The sessions themselves measured the rest at crystallize: the needs-review revision
    # (compared with the other pieces: none) and the piece sent to review.
    assert [(n.piece, n.score, n.nearest) for n in by[3].novelty] == [("tides", 1.0, None)]
    assert [n.piece for n in by[5].novelty] == ["moon"]
    lines = {q.id: q for q in seen.questions}
    assert set(lines) == {"moon-pull", "archive-growth", "ferry"}  # "bad" has no status
    growth = lines["archive-growth"]
    assert [(e.session, e.status) for e in growth.events] == [
        (1, "open"),
        (2, "pursued"),
        (3, "pursued"),
        (4, "pursued"),
    ]
    assert growth.state == "possibly-dead"  # pursued in three sessions, never answered
    assert (lines["moon-pull"].state, lines["moon-pull"].pieces) == ("answered", ["tides"])
    assert (lines["ferry"].state, lines["ferry"].why) == ("dropped", "nothing pulled")
    assert lines["ferry"].text == "Do ferries care?"  # kept from the step that said it
    later = gather.gather(Repository.discover(mapped), dead_after=4)
    assert {q.id: q.state for q in later.questions}["archive-growth"] == "pursued"


def test_an_unreadable_entry_still_shows_its_session() -> None:
    assert gather.parse_entry("no frontmatter at all").meta == {}
    assert gather.parse_entry("---\ntitle: [unclosed\n---\nbody\n").meta == {}
    assert gather.parse_entry("---\n- a list\n---\n").meta == {}
    entry = gather.parse_entry("---\nreason: r\nmodel: m\nusage: {input: 1}\n---\n\nText\n")
    assert entry.meta == {"reason": "r", "model": "m", "usage": {"input": 1}}
    assert gather.parse_entry(
        "---\nreason: r\nmodel: m\nnovelty:\n- piece: x\n  score: 2\n---\n", ("novelty",)
    ).meta == {"novelty": [{"piece": "x", "score": 2}]}
    assert gather.novelty_of("nonsense") == []
    # Out of range, not a number: not a record `check` reads, so not one the map shows.
    assert gather.novelty_of([{"piece": "x", "score": 2, "similarity": True}]) == []


GOOD = {"piece": "tides", "score": 0.25, "nearest": "moon", "similarity": 0.75, "overlap": "x"}


@pytest.mark.parametrize(
    "item",
    [
        GOOD,
        {**GOOD, "overlap": None, "nearest": None},
        {**GOOD, "piece": "Not A Slug"},
        {**GOOD, "nearest": "moon!"},
        {**GOOD, "score": 2},
        {**GOOD, "similarity": True},
        {**GOOD, "score": ".nan"},
        {**GOOD, "why": "an unknown key"},
        {"piece": "tides"},
        "not a mapping",
    ],
)
def test_the_map_shows_the_novelty_records_check_reads(item: object) -> None:
    """One record (DESIGN §8): the map shows an item exactly when `agentgit check` reads
    it, and as the log entry parses it; what check refuses, the map leaves out."""
    text = "---\n" + yaml.safe_dump({"session": 1, "title": "T", "started": "x"})
    text += yaml.safe_dump({"novelty": [item]}) + "---\n\nBody.\n"
    shown = gather.novelty_of(gather.parse_entry(text).meta.get("novelty"))
    if check.check_text("corpus/log/0001-t.md", text):
        assert shown == []
    else:
        assert shown == formats.parse_log_entry(text, "log/0001-t.md").novelty
        assert shown and isinstance(shown[0], formats.NoveltyRecord)


def test_a_question_s_state_on_the_map_is_the_one_agentgit_questions_derives() -> None:
    """One rule for possibly-dead, in agentgit.questions: pursuits are counted since the
    question was last opened, and an answer whose pieces never reached main is a pursuit."""

    def entry(*records: object) -> gather._Entry:
        return gather._Entry({"questions": list(records)}, "")

    reopened = [
        (1, entry({"id": "drift", "text": "Does it drift?", "status": "open"})),
        (2, entry({"id": "drift", "status": "pursued"})),
        (3, entry({"id": "drift", "status": "pursued"})),
        (4, entry({"id": "drift", "status": "dropped", "why": "flat"})),
        (5, entry({"id": "drift", "text": "Does it drift now?", "status": "open"})),
        (6, entry({"id": "drift", "status": "pursued"})),
    ]
    (line,) = gather.question_lines(reopened, dead_after=3)
    assert line.state == "pursued"  # once since it was reopened, not three times
    assert [e.status for e in line.events] == [
        "open", "pursued", "pursued", "dropped", "open", "pursued"
    ]  # fmt: skip
    unkept = [
        (1, entry({"id": "tide", "text": "Why tides?", "status": "open"})),
        (2, entry({"id": "tide", "status": "pursued"})),
        (3, entry({"id": "tide", "status": "pursued"})),
        (4, entry({"id": "tide", "status": "answered", "pieces": ["tides"]})),
    ]
    (lost,) = gather.question_lines(unkept, dead_after=3, on_main=set())
    assert (lost.state, lost.pieces) == ("possibly-dead", [])  # the answer never landed
    (kept,) = gather.question_lines(unkept, dead_after=3, on_main={"tides"})
    assert (kept.state, kept.pieces) == ("answered", ["tides"])
    # A record that is not one is left out, as `agentgit check` reports it.
    bad = [(1, entry({"id": "Not A Slug", "status": "open", "text": "?"}, "nonsense"))]
    assert gather.question_lines(bad) == []


# -- the command ---------------------------------------------------------------------------


def test_map_writes_into_the_git_dir_by_default_and_says_where(mapped: Path) -> None:
    proc = agentgit(mapped, "map")
    assert proc.returncode == 0, proc.stderr
    target = mapped / ".git" / "agentgit" / "map.html"
    assert proc.stdout == (
        "Wrote the map of 6 sessions (1 abandoned, 2 crystallized, 1 in-review, "
        f"1 needs-review, 1 open) to {target}\n"
    )
    assert payload(target.read_text("utf-8"))["name"] == "corpus"
    assert "map.html" not in git(mapped, "status", "--porcelain", "--ignored")


def test_map_o_writes_where_it_is_told_and_dash_is_stdout(mapped: Path, tmp_path: Path) -> None:
    proc = agentgit(mapped, "map", "-o", str(tmp_path / "here.html"))
    assert proc.returncode == 0 and str(tmp_path / "here.html") in proc.stdout
    printed = agentgit(mapped, "map", "-o", "-")
    assert printed.returncode == 0 and printed.stdout.startswith("<!DOCTYPE html>")
    assert [s["session"] for s in payload(printed.stdout)["sessions"]] == list(OUTCOMES)


@pytest.mark.parametrize("where", ["missing/map.html", "."])
def test_a_target_that_cannot_be_written_is_one_line(mapped: Path, where: str) -> None:
    proc = agentgit(mapped, "map", "-o", where)
    assert proc.returncode in (1, 2), proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (mapped / "missing").exists()


def test_map_outside_a_repository_is_one_line(tmp_path: Path) -> None:
    proc = agentgit(tmp_path, "map")
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "not a git repository" in proc.stderr


# -- the page ------------------------------------------------------------------------------


def test_the_page_is_self_contained(page: Path) -> None:
    text = page.read_text("utf-8")
    # Nothing to fetch: no src or href outside the data, and the only URL is the name of
    # SVG's namespace.
    markup = re.sub(r'(id="landscape">).*?(</script>)', r"\1\2", text, flags=re.S)
    assert len(markup) < len(text) and not re.search(r"\b(src|href)\s*=", markup)
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) == {"http://www.w3.org/2000/svg"}
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert policy and "default-src 'none'" in policy.group(1)
    assert "script-src 'sha256-" in policy.group(1)  # only its own script runs


def test_user_text_cannot_close_the_script_or_become_markup(page: Path) -> None:
    text = page.read_text("utf-8")
    # The page's own two scripts close; the title's `</script>` and tags stay escaped.
    assert text.count("</script") == 2 and "<img" not in text and "<b>" not in text
    data = payload(text)
    assert data["sessions"][1]["title"] == EVIL_TITLE
    assert data["sessions"][1]["summary"] == EVIL_SUMMARY


def test_the_repository_name_is_escaped_in_the_markup_too() -> None:
    name = "</title><script>alert(1)</script>"
    text = drawing.render(gather.Landscape(name, "2026-01-02T03:04:05Z", 3, [], []))
    assert "<script>alert" not in text and "&lt;/title&gt;&lt;script&gt;alert(1)" in text
    assert payload(text)["name"] == name


def test_a_browser_draws_every_mark_and_shows_a_session(page: Path, tmp_path: Path) -> None:
    dom = browser.dom(page, tmp_path / "profile")
    status = body_of(dom)
    assert status.get("data-status") == "drawn", status
    assert (status["data-sessions"], status["data-pieces"], status["data-questions"]) == (
        "6",
        "4",  # sessions 1 and 4 (their records rewritten by hand), 3 and 5 (their own)
        "3",
    )
    assert 'class="q q-possibly-dead"' in dom and 'class="q q-answered"' in dom
    # The latest session is shown until another is hovered or clicked.
    assert "Session 0006 · " in dom and "still going" in dom
    shot = browser.read_png(browser.screenshot(page, tmp_path / "profile2", tmp_path / "m.png"))
    assert (shot.width, shot.height) == (1200, 800)
    for outcome, colour in MARK_COLOURS.items():
        assert shot.count(colour) > 100, f"no {outcome} mark drawn"
    assert shot.count("#ffffff") < shot.width * shot.height  # not blank


MARK_COLOURS = {  # agentgit/map_assets/map.css
    "crystallized": "#2f9e44",
    "abandoned": "#adb5bd",
    "needs-review": "#e8590c",
    "in-review": "#1c7ed6",
    "open": "#ae3ec9",
}


def test_in_the_browser_a_hostile_title_is_only_text(page: Path, tmp_path: Path) -> None:
    dom = browser.dom(page, tmp_path / "profile", fragment="#session=2")
    status = body_of(dom)
    assert status.get("data-status") == "drawn" and "data-pwned" not in status, status
    assert "<img" not in dom and "<b>" not in dom
    assert "&lt;/script&gt;&lt;img src=x onerror=" in dom  # shown, as text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in dom


DETAILS = "document.getElementById('details').textContent"


def test_hover_click_and_arrow_keys_show_sessions_and_questions(page: Path, tmp_path: Path) -> None:
    """As a person uses it: the mouse over a session's mark, a click, the arrow keys, a
    question's lifeline (DevTools input events in the real browser)."""
    tools = browser.DevTools(tmp_path / "profile")
    try:
        tools.open(page)
        tools.mouse("mouseMoved", *tools.centre("path.o-abandoned"))  # one abandoned session
        shown = tools.js(DETAILS)
        assert shown.startswith("Session 0002 · abandoned"), shown
        assert EVIL_TITLE in shown and EVIL_SUMMARY in shown  # as text, not markup
        assert tools.js("document.querySelectorAll('#details *:is(img, script, b)').length") == 0
        assert tools.js("document.body.dataset.pwned") is None

        tools.click(*tools.centre("path.o-needs-review"))
        assert tools.js("location.hash") == "#session=3"
        tools.mouse("mouseMoved", *tools.centre("path.o-in-review"))
        assert tools.js(DETAILS).startswith("Session 0005 · in-review")
        tools.mouse("mouseMoved", 2, 2)  # off the chart: back to the session clicked
        assert tools.js(DETAILS).startswith("Session 0003 · needs-review")

        for _ in range(2):
            tools.call("Input.dispatchKeyEvent", type="keyDown", key="ArrowLeft")
        shown = tools.js(DETAILS)
        assert shown.startswith("Session 0001 · crystallized"), shown
        assert "tides — novelty 0.800" in shown and "Add drafts/tides.md" in shown

        tools.mouse("mouseMoved", *tools.centre("line.q-possibly-dead"))
        shown = tools.js(DETAILS)
        assert shown.startswith("Question · possibly-dead"), shown
        assert "Does the archive grow too fast?" in shown
        assert tools.js("document.body.dataset.status") == "drawn"
    finally:
        tools.close()


def test_an_empty_history_draws_an_empty_map(corpus_repo: Path, tmp_path: Path) -> None:
    proc = agentgit(corpus_repo, "map", "-o", str(tmp_path / "empty.html"))
    assert proc.returncode == 0 and "0 sessions (none yet)" in proc.stdout, proc.stderr
    dom = browser.dom(tmp_path / "empty.html", tmp_path / "profile")
    assert body_of(dom).get("data-status") == "drawn" and "No sessions yet" in dom


# -- scale ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Made]]:
    base = tmp_path_factory.mktemp("large")
    with pytest.MonkeyPatch.context() as mp:
        seal(mp, base / "home")
        yield base / "corpus", build(base / "corpus", 5000, seed=3)


def test_five_thousand_sessions_take_a_handful_of_git_calls_and_a_few_mb(
    large: tuple[Path, Made], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, made = large
    repo = Repository.discover(path)
    calls: list[list[str]] = []
    real = subprocess.run

    def counted(args: Any, *a: Any, **kw: Any) -> Any:
        calls.append(list(args))
        return real(args, *a, **kw)

    monkeypatch.setattr(gitrun.subprocess, "run", counted)
    seen = gather.gather(repo)
    monkeypatch.undo()
    assert len(calls) <= 9, [c[:3] for c in calls]
    assert len(seen.sessions) == 5001
    assert {s.session: s.outcome for s in seen.sessions} == made.outcomes
    assert {s.session: s.cost_usd for s in seen.sessions if s.session in made.costs} == {
        n: pytest.approx(c) for n, c in made.costs.items()
    }
    assert sum(len(s.novelty) for s in seen.sessions) == made.pieces
    assert {q.id: q.events[-1].status for q in seen.questions} == made.questions

    assert len(seen.terrain.sessions) == 5000  # main's, each judged (the open one is not)
    target = drawing.write(drawing.render(seen), tmp_path / "large.html")
    # A verdict and its reason per session bring it past 4 MB; bench/ holds the map to
    # §8's 10 MB at 10,000 pieces.
    assert target.stat().st_size < 6_000_000
    status = body_of(browser.dom(target, tmp_path / "profile"))
    assert status.get("data-status") == "drawn", status
    assert (status["data-sessions"], status["data-pieces"], status["data-questions"]) == (
        "5001",
        str(made.pieces),
        str(len(made.questions)),
    )
