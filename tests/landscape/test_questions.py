"""Questions as records (DESIGN §8): the log entry's `questions`, the `question` tool,
what main's history says about each question (possibly-dead, worth-reopening), the
`agentgit questions` command and the orientation's Questions part."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import agentgit, git
from scripts import Turn, abandon, crystallize, draft, note, turn

from agentgit.agent.orient import questions_section
from agentgit.agent.tools import Toolbox, ToolResult
from agentgit.core.settings import Settings
from agentgit.corpus import check, formats
from agentgit.corpus.formats import LogEntry
from agentgit.corpus.index import CorpusIndex
from agentgit.git import Repository
from agentgit.landscape import questions
from agentgit.lifecycle import Result, explore, run, start
from agentgit.models.scripted import ScriptedModel

DRIFT = "Why do sessions drift away from the topic they were given?"


def entry(
    session: int,
    *records: dict[str, Any],
    outcome: str = "abandoned",
    pieces: list[str] | None = None,
) -> LogEntry:
    return LogEntry(
        session=session,
        title=f"Session {session}",
        started="2026-01-02T03:04:05Z",
        outcome=outcome,
        pieces=pieces or [],
        questions=[dict(r) for r in records],
    )


def q(qid: str, status: str, **fields: Any) -> dict[str, Any]:
    return {"id": qid, "status": status, **fields}


OPEN = q("drift", "open", text=DRIFT)
PURSUED = q("drift", "pursued", text=DRIFT)


# -- deriving a question's state ------------------------------------------------------------


@pytest.mark.parametrize(("pursuits", "dead"), [(0, False), (2, False), (3, True), (5, True)])
def test_possibly_dead_after_dead_after_sessions_of_pursuit(pursuits: int, dead: bool) -> None:
    entries = [entry(1, OPEN), *(entry(n, PURSUED) for n in range(2, 2 + pursuits))]
    (found,) = questions.derive(entries, dead_after=3).values()
    assert found.status == ("pursued" if pursuits else "open")
    assert found.pursued == pursuits
    assert found.sessions == list(range(1, 2 + pursuits))  # carried by each of them
    assert found.possibly_dead is dead


def test_entries_are_read_by_session_whatever_their_order() -> None:
    entries = [entry(4, PURSUED), entry(2, PURSUED), entry(1, OPEN), entry(3, PURSUED)]
    (found,) = questions.derive(entries, dead_after=3).values()
    assert (found.opened, found.sessions, found.possibly_dead) == (1, [1, 2, 3, 4], True)


def test_a_dead_after_setting_moves_the_line() -> None:
    entries = [entry(1, OPEN), entry(2, PURSUED), entry(3, PURSUED)]
    assert questions.derive(entries, dead_after=2)["drift"].possibly_dead
    assert not questions.derive(entries, dead_after=3)["drift"].possibly_dead


def test_the_opening_session_pursuing_it_does_not_count() -> None:
    # Opened and worked on in session 1 (its record says pursued): no pursuit "since".
    (found,) = questions.derive([entry(1, PURSUED)], dead_after=1).values()
    assert (found.opened, found.pursued, found.possibly_dead) == (1, 0, False)


def test_an_answer_counts_only_with_a_piece_on_main() -> None:
    answer = q("drift", "answered", text=DRIFT, pieces=["topic-drift"])
    entries = [entry(1, OPEN), entry(2, PURSUED), entry(3, PURSUED), entry(4, answer)]
    kept = questions.derive(entries, dead_after=3, on_main={"topic-drift"})["drift"]
    assert (kept.status, kept.pieces, kept.possibly_dead) == ("answered", ["topic-drift"], False)
    # The answering draft was never kept: that session pursued it, and it is now dead.
    lost = questions.derive(entries, dead_after=3, on_main={"other"})["drift"]
    assert (lost.status, lost.pieces, lost.pursued, lost.possibly_dead) == ("pursued", [], 3, True)


def test_dropped_then_reopened_starts_the_count_again() -> None:
    drop = q("drift", "dropped", text=DRIFT, why="a matter of taste")
    entries = [entry(1, OPEN), entry(2, PURSUED), entry(3, drop)]
    dropped = questions.derive(entries, dead_after=1)["drift"]
    assert (dropped.status, dropped.why, dropped.flat, dropped.live) == (
        "dropped",
        "a matter of taste",
        True,
        False,
    )
    reopened = questions.derive([*entries, entry(5, OPEN), entry(6, PURSUED)], dead_after=2)
    again = reopened["drift"]
    assert (again.opened, again.sessions, again.pursued, again.possibly_dead) == (
        5,
        [5, 6],
        1,
        False,
    )


def test_a_possibly_dead_question_opened_again_is_alive() -> None:
    entries = [entry(1, OPEN), *(entry(n, PURSUED) for n in (2, 3, 4))]
    assert questions.derive(entries, dead_after=3)["drift"].possibly_dead
    again = questions.derive([*entries, entry(5, OPEN)], dead_after=3)["drift"]
    assert (again.possibly_dead, again.opened, len(again.sessions)) == (False, 5, 1)


def test_worth_reopening_needs_a_piece_kept_since_that_is_near() -> None:
    drop = q("drift", "dropped", text=DRIFT, why="nothing to go on")
    found = questions.derive([entry(1, OPEN), entry(3, drop)], dead_after=3)
    near = {DRIFT: ["topic-drift", "older"]}

    def nearest(text: str) -> list[str]:
        return near.get(text, [])

    questions.mark_worth_reopening(found, {"older": 2, "elsewhere": 4}, nearest)
    assert found["drift"].reopen is None  # near, but kept before the drop; new, but far
    questions.mark_worth_reopening(found, {"older": 2, "topic-drift": 4}, nearest)
    assert found["drift"].reopen == "topic-drift"


def test_live_questions_are_not_looked_up_for_reopening() -> None:
    found = questions.derive([entry(1, OPEN), entry(2, PURSUED)], dead_after=3)
    asked: list[str] = []
    questions.mark_worth_reopening(found, {"p": 9}, lambda text: asked.append(text) or ["p"])
    assert asked == [] and found["drift"].reopen is None


def test_nearest_pieces_share_the_questions_words() -> None:
    texts = {
        "a": "---\ntitle: Topic drift\n---\n\nSessions drift away from the topic given.\n",
        "b": "---\ntitle: Tides\n---\n\nThe moon pulls the sea; sessions of tides.\n",
        "c": "---\ntitle: Bread\n---\n\nFlour, water, salt.\n",
    }
    blobs = {slug: text.encode() for slug, text in texts.items()}
    index = CorpusIndex(None, lambda shas: {s: blobs[s] for s in shas})
    try:
        nearest = questions.nearest_pieces(index, {f"pieces/{s}.md": s for s in texts})
        # "b" shares one word of the question ("sessions"): not a neighbour.
        assert nearest(DRIFT) == ["a"]
        assert nearest("bread") == ["c"]
    finally:
        index.close()


# -- the record in the log entry ------------------------------------------------------------


def test_log_entry_questions_round_trip_and_are_left_out_when_none() -> None:
    plain = entry(1)
    assert "questions" not in formats.render_log_entry(plain)
    rich = entry(
        2,
        {"status": "open", "text": "  Why\n  now? ", "id": "why-now"},
        q("old", "answered", pieces=["a", "a", "b"]),
        q("gone", "dropped", why="dead"),
    )
    text = formats.render_log_entry(rich)
    back = formats.parse_log_entry(text, "log/0002-s.md")
    assert back.questions == [
        {"id": "why-now", "text": "Why now?", "status": "open"},
        {"id": "old", "status": "answered", "pieces": ["a", "b"]},
        {"id": "gone", "status": "dropped", "why": "dead"},
    ]
    assert formats.render_log_entry(back) == text


def _log(questions_yaml: str) -> str:
    return f"---\nsession: 7\ntitle: T\nstarted: '2026-01-01T00:00:00Z'\n{questions_yaml}---\n\nb\n"


@pytest.mark.parametrize(
    ("questions_yaml", "reason"),
    [
        ("questions: oops\n", "questions must be a list"),
        ("questions:\n- just text\n", "questions[0] must be a mapping"),
        ("questions:\n- {id: Bad Id, status: open, text: t}\n", "id must be a slug"),
        ("questions:\n- {id: a, status: closed, text: t}\n", "status must be one of open"),
        ("questions:\n- {id: a, status: open}\n", "questions[0] (a): an open question needs"),
        ("questions:\n- {id: a, status: answered}\n", "names the pieces that answer it"),
        ("questions:\n- {id: a, status: answered, pieces: [X]}\n", "pieces must be a list"),
        ("questions:\n- {id: a, status: dropped}\n", "a dropped question needs why"),
        ("questions:\n- {id: a, status: pursued, colour: red}\n", "unknown key 'colour'"),
        ("questions:\n- {id: a, status: pursued}\n- {id: a, status: pursued}\n", "listed twice"),
        (f"questions:\n- {{id: a, status: open, text: {'w' * 501}}}\n", "text too long"),
    ],
)
def test_check_reports_a_bad_question_with_file_line_and_reason(
    questions_yaml: str, reason: str
) -> None:
    problems = check.check_text("corpus/log/0007-t.md", _log("pieces: []\n" + questions_yaml))
    assert [(p.path, p.line) for p in problems] == [("corpus/log/0007-t.md", 6)]
    assert reason in problems[0].reason


def test_check_accepts_good_questions() -> None:
    good = "questions:\n- {id: a, status: open, text: Why?}\n- {id: b, status: pursued}\n"
    assert check.check_text("corpus/log/0007-t.md", _log(good)) == []


# -- the orientation's part ----------------------------------------------------------------


def _question(n: int, **fields: Any) -> questions.Question:
    base: dict[str, Any] = {"status": "pursued", "opened": n, "sessions": [n, n + 1]}
    return questions.Question(f"q{n}", f"Question number {n} about things?", **{**base, **fields})


def test_the_questions_part_orders_marks_and_stays_bounded() -> None:
    many = [_question(n) for n in range(1, 3001)]
    many[10].possibly_dead, many[10].pursued = True, 3
    many[20].reopen = "new-piece"
    dropped = _question(5000, status="dropped", why="flat", reopen="fresh")
    for room in (300, 2000, 4000):
        text = questions_section([*many, dropped], room)
        assert len(text) <= room
        assert text.startswith("## Questions (3,000 open)")
        assert "more not shown" in text
    small = questions_section([many[0], many[10], many[20], dropped], 4000)
    lines = small.splitlines()
    ids = [line.split(" — ")[0][2:] for line in lines if line.startswith("- q")]
    assert ids == ["q21", "q11", "q1", "q5000"]  # most recently carried first
    assert "carried by 2 sessions" in small
    assert "q11 — Question number 11 about things? — opened in 0011" in small
    assert "POSSIBLY DEAD: pursued in 3 sessions" in lines[[i for i in ids].index("q11") + 2]
    assert "worth reopening: new-piece was kept since" in small
    assert "Dropped, and worth reopening now:\n- q5000" in small and "fresh was kept since" in small


def test_the_questions_part_invites_a_first_question() -> None:
    assert "`question` tool" in questions_section([], 1000)
    assert len(questions_section([], 20)) <= 20


# -- the tool ----------------------------------------------------------------------------


@pytest.fixture
def toolbox(corpus_repo: Path) -> Toolbox:
    repo = Repository.discover(corpus_repo)
    return Toolbox(start(repo, Settings(), topic="Drift", model_name="scripted"))


def _ok(toolbox: Toolbox, **tool_input: Any) -> ToolResult:
    result = toolbox.call("question", tool_input, "Why this step.")
    assert not result.is_error, result.text
    assert result.commit
    return result


def _journal(toolbox: Toolbox) -> LogEntry:
    path = toolbox.workspace.journal_path()
    return formats.parse_log_entry(path.read_text("utf-8"), "log/x.md")


def _commits(toolbox: Toolbox) -> int:
    worktree = toolbox.workspace.worktree  # type: ignore[attr-defined]
    return int(git(worktree, "rev-list", "--count", "HEAD").strip())


def test_each_step_updates_the_journal_and_commits(toolbox: Toolbox) -> None:
    before = _commits(toolbox)
    _ok(toolbox, action="open", id="drift", text=f"  {DRIFT}\n")
    _ok(toolbox, action="pursue", id="drift", text="read three log entries")
    assert _commits(toolbox) == before + 2
    journal = _journal(toolbox)
    # Opened and worked on in one session: the record says it was opened here.
    assert journal.questions == [{"id": "drift", "text": DRIFT, "status": "open"}]
    assert f"Question `drift` opened: {DRIFT}" in journal.body
    assert "Question `drift` pursued: read three log entries" in journal.body

    toolbox.call("write_draft", {"slug": "topic-drift", "title": "Drift", "body": "Why.\n"})
    result = _ok(toolbox, action="answer", id="drift", pieces=["topic-drift"])
    assert "question drift: answered; committed: Edit log/" in result.text
    assert _journal(toolbox).questions == [
        {"id": "drift", "text": DRIFT, "status": "answered", "pieces": ["topic-drift"]}
    ]
    _ok(toolbox, action="open", id="other", text="What else?")
    _ok(toolbox, action="drop", id="other", why="not a real question")
    assert [r["status"] for r in _journal(toolbox).questions] == ["answered", "dropped"]
    worktree = toolbox.workspace.worktree  # type: ignore[attr-defined]
    trailers = git(worktree, "log", "-1", "--format=%(trailers:key=Agentgit-Tool,valueonly)")
    assert trailers.strip() == "question"


BAD_STEPS: list[tuple[dict[str, Any], str]] = [
    ({"id": "drift"}, "missing required field 'action'"),
    ({"action": "open"}, "missing required field 'id'"),
    ({"action": "close", "id": "drift"}, "action must be one of open, pursue, answer, drop"),
    ({"action": "open", "id": "Not A Slug", "text": "t"}, "bad slug"),
    ({"action": "open", "id": "new"}, "open needs text"),
    ({"action": "open", "id": "new", "text": "   "}, "open needs text"),
    ({"action": "open", "id": "new", "text": 5}, "field 'text' must be a string"),
    ({"action": "open", "id": "new", "text": "w" * 501}, "text too long"),
    ({"action": "pursue", "id": "never"}, "question 'never' was never opened"),
    ({"action": "drop", "id": "never", "why": "w"}, "was never opened"),
    ({"action": "answer", "id": "seen"}, "answer needs pieces"),
    ({"action": "answer", "id": "seen", "pieces": []}, "answer needs pieces"),
    ({"action": "answer", "id": "seen", "pieces": ["ghost"]}, "no piece or draft ghost"),
    ({"action": "answer", "id": "seen", "pieces": ["../x"]}, "bad slug"),
    ({"action": "answer", "id": "seen", "pieces": [3]}, "bad slug"),
    ({"action": "drop", "id": "seen"}, "drop says why"),
    ({"action": "open", "id": "seen", "text": "again"}, "already open in this session"),
]


@pytest.mark.parametrize(("tool_input", "message"), BAD_STEPS)
def test_bad_input_is_an_error_and_changes_nothing(
    toolbox: Toolbox, tool_input: dict[str, Any], message: str
) -> None:
    _ok(toolbox, action="open", id="seen", text="A question already open.")
    journal = toolbox.workspace.journal_path().read_text("utf-8")
    before = _commits(toolbox)
    result = toolbox.call("question", tool_input, "Trying.")
    assert result.is_error and result.commit is None
    assert message in result.text and result.text.startswith(("question: ", "missing", "field"))
    assert _commits(toolbox) == before
    assert toolbox.workspace.journal_path().read_text("utf-8") == journal


def test_a_bad_first_step_writes_no_journal(toolbox: Toolbox) -> None:
    result = toolbox.call("question", {"action": "pursue", "id": "never"})
    assert result.is_error and not toolbox.workspace.journal_path().exists()


def test_a_step_that_committed_before_a_stop_is_not_run_twice(toolbox: Toolbox) -> None:
    step = {"action": "open", "id": "drift", "text": DRIFT}
    toolbox.turn = 1
    first = toolbox.call("question", step, "Opening it.", call_id="toolu_q1")
    assert not first.is_error
    journal = toolbox.workspace.journal_path().read_text("utf-8")
    toolbox.recovering = True  # resumed: the transcript never saw the result
    again = toolbox.call("question", step, "Opening it.", call_id="toolu_q1")
    assert not again.is_error and "done before an interruption" in again.text
    assert toolbox.workspace.journal_path().read_text("utf-8") == journal


def _scripted(turns: list[Turn]) -> ScriptedModel:
    return ScriptedModel(json.loads(json.dumps(turns)))


def _session(repo: Repository, turns: list[Turn], settings: Settings) -> Result:
    current = start(repo, settings, topic=None, model_name="scripted")
    return run(repo, current, _scripted(turns), settings)


def test_the_tool_refuses_what_main_says_is_not_so(corpus_repo: Path) -> None:
    repo, settings = Repository.discover(corpus_repo), Settings(model="scripted")
    opened = turn("question", {"action": "open", "id": "drift", "text": DRIFT})
    dropped = turn("question", {"action": "open", "id": "gone", "text": "Gone?"})
    drop = turn("question", {"action": "drop", "id": "gone", "why": "flat"})
    _session(repo, [opened, dropped, drop, abandon("asked")], settings)
    toolbox = Toolbox(start(repo, settings, topic="Next", model_name="scripted"))
    again = toolbox.call("question", {"action": "open", "id": "drift", "text": DRIFT})
    assert again.is_error and "already open (since session 0001, carried by 1)" in again.text
    late = toolbox.call("question", {"action": "pursue", "id": "gone"})
    assert late.is_error and "was dropped in session 0001; open it again" in late.text
    assert not toolbox.call("question", {"action": "open", "id": "gone", "text": "Gone?"}).is_error
    assert "opened (reopened): Gone?" in _journal(toolbox).body


def test_the_tool_starts_from_the_questions_the_orientation_read(corpus_repo: Path) -> None:
    """A session's question tool is given the questions the orientation read from main
    (one read of the log, cached), where a toolbox on its own reads the log again: the
    two agree on everything the tool asks of a question."""
    repo, settings = Repository.discover(corpus_repo), Settings(model="scripted")
    opened = turn("question", {"action": "open", "id": "drift", "text": DRIFT})
    dropped = turn("question", {"action": "open", "id": "gone", "text": "Gone?"})
    drop = turn("question", {"action": "drop", "id": "gone", "why": "flat"})
    _session(repo, [opened, dropped, drop, abandon("asked")], settings)
    pursue = turn("question", {"action": "pursue", "id": "drift"})
    _session(repo, [pursue, abandon("pursued")], settings)
    session = start(repo, settings, topic="Next", model_name="scripted")
    read = {q.id: q for q in explore.main_questions(session, settings)}
    alone = questions.before_session(session.view, session.session, settings.dead_after)

    def used(q: questions.Question) -> tuple[object, ...]:
        return (q.status, q.text, q.opened, q.sessions, q.pursued, q.possibly_dead, q.pieces)

    assert set(read) == set(alone) == {"drift", "gone"}
    assert {k: used(q) for k, q in read.items()} == {k: used(q) for k, q in alone.items()}


# -- a question's whole life, across real sessions -----------------------------------------


def _orientation(repo: Path, number: int) -> str:
    note_text = git(
        repo, "notes", "--ref", "agentgit", "show", f"refs/agentgit/sessions/{number:04d}"
    )
    return str(json.loads(note_text)["messages"][0]["content"][0]["text"])


def _listed(repo: Path, *args: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    proc = agentgit(repo, "questions", "--json", *args, env=env)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def _read(repo: Repository, live: bool = True) -> list[dict[str, Any]]:
    """What `agentgit questions --json` lists, read in-process (a subprocess costs more
    than a session)."""
    return [q.to_dict() for q in questions.read(repo, 3) if q.live or not live]


def test_a_question_opened_carried_named_possibly_dead_then_worth_reopening(
    corpus_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, settings = Repository.discover(corpus_repo), Settings(model="scripted")
    pursue = turn("question", {"action": "pursue", "id": "drift", "text": "looked again"})
    first = _session(
        repo,
        [
            turn("question", {"action": "open", "id": "drift", "text": DRIFT}),
            note("Could not settle it."),
            abandon("nothing settled"),
        ],
        settings,
    )
    assert first.outcome == "abandoned"
    landed = git(corpus_repo, "show", "main:corpus/log/0001-explore.md")
    assert formats.parse_log_entry(landed, "log/0001-explore.md").questions == [
        {"id": "drift", "text": DRIFT, "status": "open"}
    ]

    for _ in (2, 3):
        _session(repo, [pursue, abandon("still flat")], settings)
    assert "## Questions (1 open)" in _orientation(corpus_repo, 2)
    (drift,) = _read(repo)
    assert (drift["carried"], drift["pursued"], drift["possibly_dead"]) == (3, 2, False)
    # The line is a setting: at two pursuits it is already possibly dead.
    assert _listed(corpus_repo, env={"AGENTGIT_DEAD_AFTER": "2"})[0]["possibly_dead"]

    _session(repo, [pursue, abandon("flat again")], settings)
    (drift,) = _read(repo)
    assert (drift["carried"], drift["possibly_dead"], drift["worth_reopening"]) == (4, True, False)
    shown = agentgit(corpus_repo, "questions")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(
        "drift  pursued, possibly-dead  carried by 4 sessions (0001–0004)"
    )

    # Session 5 is told so, and keeps a piece on the question's ground without a word on it.
    kept = _session(
        repo,
        [
            draft(
                "topic-drift",
                "Sessions drift from their topic",
                "Sessions drift away from the topic they were given when nothing pulls.\n",
                summary="Why sessions drift away from a given topic.",
            ),
            crystallize(["topic-drift"]),
        ],
        settings,
    )
    assert kept.outcome == "crystallized"
    fifth = _orientation(corpus_repo, 5)
    assert "- drift — " + DRIFT in fifth
    assert "carried by 4 sessions" in fifth and "POSSIBLY DEAD: pursued in 3 sessions" in fifth
    assert "worth reopening" not in fifth

    (drift,) = _read(repo)
    assert (drift["possibly_dead"], drift["reopen_piece"]) == (True, "topic-drift")
    assert (
        "worth-reopening (topic-drift kept since is near it)"
        in agentgit(corpus_repo, "questions").stdout
    )

    # Session 6 reopens it, as the program asks: its count starts again.
    reopen = turn("question", {"action": "open", "id": "drift", "text": DRIFT})
    _session(repo, [reopen, abandon("reopened: the new piece bears on it")], settings)
    sixth = _orientation(corpus_repo, 6)
    assert "POSSIBLY DEAD" in sixth and "worth reopening: topic-drift was kept since" in sixth
    (drift,) = _read(repo)
    assert (drift["opened"], drift["carried"], drift["possibly_dead"]) == (6, 1, False)
    assert drift["reopen_piece"] is None

    # Session 7 answers it with the piece: it leaves the open list.
    answer = turn("question", {"action": "answer", "id": "drift", "pieces": ["topic-drift"]})
    _session(repo, [answer, abandon("answered by the piece kept before")], settings)
    assert _read(repo) == []
    (drift,) = _listed(corpus_repo, "--all")
    assert (drift["status"], drift["pieces"], drift["sessions"]) == (
        "answered",
        ["topic-drift"],
        [6, 7],
    )
    assert agentgit(corpus_repo, "questions").stdout == "No open questions.\n"
    assert agentgit(corpus_repo, "check").returncode == 0
    _the_cache_loses_nothing(repo, monkeypatch)


def _the_cache_loses_nothing(repo: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each log entry is parsed once, ever; a cache deleted or broken is rebuilt."""
    everything = _read(repo, live=False)
    parsed: list[str] = []
    real = formats.parse_log_entry
    monkeypatch.setattr(formats, "parse_log_entry", lambda t, p: parsed.append(p) or real(t, p))
    assert _read(repo, live=False) == everything and parsed == []
    cache = repo.state_dir / "questions" / "entries.json"
    for damage in ("{not json", '{"version": 1, "entries": {"x": 5}}', None):
        if damage is None:
            cache.unlink()
        else:
            cache.write_text(damage, "utf-8")
        assert _read(repo, live=False) == everything
    # Six entries name questions, each parsed each time; the seventh kept pieces and names
    # none, and no flat question here asks for its pieces: it is not parsed at all.
    assert len(parsed) == 3 * 6
    kept_only = [k for _, k in json.loads(cache.read_text("utf-8"))["entries"].values()]
    assert None in kept_only
    # JSON of the right shape whose records are not question records: rebuilt as well,
    # not a KeyError in derive.
    data = json.loads(cache.read_text("utf-8"))
    data["entries"] = {sha: [[{"x": 1}], []] for sha in data["entries"]}
    cache.write_text(json.dumps(data), "utf-8")
    before = len(parsed)
    assert _read(repo, live=False) == everything
    assert len(parsed) - before == 6


# -- the command ---------------------------------------------------------------------------


def test_questions_on_a_fresh_corpus_and_without_the_sdk(corpus_repo: Path) -> None:
    assert agentgit(corpus_repo, "questions").stdout == "No questions yet.\n"
    assert agentgit(corpus_repo, "questions", "--json").stdout.strip() == ""
    code = (
        "import sys; from agentgit.cli import cli; "
        "cli.main(['questions', '--all'], standalone_mode=False); "
        "print('anthropic' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=corpus_repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "False"


def test_questions_outside_a_repository_is_one_line(tmp_path: Path) -> None:
    proc = agentgit(tmp_path, "questions")
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("agentgit: ")
