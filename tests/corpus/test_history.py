"""agentgit/history.py: sessions read back from git alone (`agentgit log` and `show`):
main's landings, those a person merged by hand, open sessions, and the transcript as
text. Real git; landings built by hand where a whole session adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import agentgit, git
from helpers import commit_files, plain_repo, rev, session_run
from scripts import keep_script

from agentgit.core import refs
from agentgit.core.errors import AgentgitError, NoMainBranch
from agentgit.corpus import history
from agentgit.git import Repository
from agentgit.session.messages import message
from agentgit.session.show import session_view
from agentgit.session.transcript import render_transcript


@pytest.fixture
def top(tmp_path: Path) -> Path:
    path = plain_repo(tmp_path / "repo")
    commit_files(path, {"README": "corpus\n"}, "Start")
    git(path, "switch", "-q", "--detach")  # main moves by its ref alone here
    return path


@pytest.fixture
def repo(top: Path) -> Repository:
    return Repository.discover(top)


def land(repo: Repository, session: str, outcome: str = "crystallized", **extra: str) -> str:
    """A commit on main recording `session`, as mainline builds one (its head: main)."""
    main = repo.main_commit()
    trailers = {
        "Agentgit-Session": session,
        "Agentgit-Outcome": outcome,
        "Agentgit-Title": f"Session {session}",
        "Agentgit-Pieces": "tides, waves",
        "Agentgit-Turns": "4",
        "Agentgit-Cost": "0.125000",
        "Agentgit-Head": main,
        **extra,
    }
    commit = repo.commit_tree(repo.tree_of(main), [main], message("Land", "", trailers))
    repo.move_ref("refs/heads/main", commit, main)
    return commit


def by_hand(repo: Repository, subject: str, trailers: dict[str, str] | None = None) -> str:
    main = repo.main_commit()
    commit = repo.commit_tree(repo.tree_of(main), [main], message(subject, "", trailers or {}))
    repo.move_ref("refs/heads/main", commit, main)
    return commit


def test_log_lists_each_session_once_newest_first(repo: Repository) -> None:
    first = land(repo, "0001")
    by_hand(repo, "A person's commit")
    by_hand(repo, "Looks like ours", {"Agentgit-Session": "x", "Agentgit-Head": "y"})
    land(repo, "0002", "needs-review", **{"Agentgit-Cost": "unknown", "Agentgit-Pieces": ""})
    latest = land(repo, "0002", "abandoned")  # left for review, then abandoned

    lines = history.log(repo)
    assert [(x.session, x.outcome) for x in lines] == [(2, "abandoned"), (1, "crystallized")]
    assert lines[0].commit == latest and lines[1].commit == first
    one = lines[1]
    assert one.pieces == ["tides", "waves"] and one.turns == 4 and one.cost_usd == 0.125
    assert one.title == "Session 0001" and one.date.startswith("2026-01-02")
    assert one.to_dict()["head"] == one.head
    assert [x.session for x in history.log(repo, limit=1)] == [2]
    unknown = history.landings(repo, session=2)[1]  # the needs-review record
    assert unknown.trailers["Agentgit-Cost"] == "unknown"


def test_landings_see_a_log_merged_by_hand_and_stop_at_the_depth(
    top: Path, repo: Repository
) -> None:
    land(repo, "0001")
    main = repo.main_commit()
    # A person merged the agentgit:log pull request with a merge commit: ours is its
    # second parent, and the merge carries no trailer of ours.
    ours = repo.commit_tree(
        repo.tree_of(main),
        [main],
        message("Log session 0002", "", {"Agentgit-Session": "0002", "Agentgit-Head": main}),
    )
    merge = repo.commit_tree(repo.tree_of(main), [main, ours], "Merge pull request #4\n")
    repo.move_ref("refs/heads/main", merge, main)

    found = history.landings(repo)
    assert [c.trailers["Agentgit-Session"] for c in found] == ["0002", "0001"]
    assert found[0].sha == ours  # in the merge's place
    assert [c.sha for c in history.landings(repo, session=1)] == [main]
    assert history.landings(repo, depth=1)[0].sha == ours
    assert history.landings(repo, session=1, depth=1) == []  # not looked that far back
    assert history.landings(repo, limit=1) == found[:1]


def test_a_repository_without_main_is_named_not_gits_usage(tmp_path: Path) -> None:
    top = plain_repo(tmp_path / "master")
    commit_files(top, {"a": "a\n"})
    git(top, "branch", "-m", "main", "master")
    with pytest.raises(NoMainBranch, match="branch is 'master': rename it"):
        history.log(Repository.discover(top))


def test_open_sessions_and_review(repo: Repository) -> None:
    main = repo.main_commit()
    for ref in (refs.branch(3, "tides"), refs.branch(12, "waves"), "refs/heads/session/x"):
        repo.create_ref(ref, main)
    assert history.open_sessions(repo) == [(12, "session/0012-waves"), (3, "session/0003-tides")]
    assert not history.in_review(repo, 3)
    repo.create_ref(refs.review(3), main)
    assert history.in_review(repo, 3) and not history.in_review(repo, 12)


def test_show_reads_a_whole_session_back(corpus_repo: Path) -> None:
    result = session_run(corpus_repo, keep_script("tides", "Tides"), topic="tides")
    repo = Repository.discover(corpus_repo)
    view = session_view(repo, 1)
    assert view.line and view.line.commit == rev(corpus_repo, "main")
    assert view.head == result.head and view.branch is None
    assert view.log_entry and "outcome: crystallized" in view.log_entry
    tools = [e.tool for e in view.explorations]
    assert tools[:2] == ["write_draft", "note"]
    drafted = view.explorations[0]
    ((path, added, removed),) = drafted.stat
    assert path == "drafts/tides.md" and added > 0 and removed == 0
    assert "Drafting tides." in drafted.reasoning and "Agentgit-" not in drafted.reasoning
    assert view.transcript and json.loads(view.transcript)["session"] == 1
    assert [(k.slug, k.title) for k in view.kept] == [("tides", "Tides")]
    with pytest.raises(AgentgitError, match="^no session 0099$"):
        session_view(repo, 99)


def test_a_transcript_renders_one_block_per_message() -> None:
    note = {
        "version": 1,
        "session": 3,
        "model": "scripted",
        "started": "2026-01-02T03:04:05Z",
        "slug": "tides",
        "messages": [
            {"role": "user", "content": "Begin."},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Hmm.", "signature": "s"},
                    {"type": "tool_use", "name": "note", "input": {"text": "é"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "is_error": True, "content": [{"text": "bad"}]},
                    {"type": "image"},
                ],
            },
        ],
    }
    assert render_transcript(json.dumps(note)).split("\n\n") == [
        "session 0003 · model scripted · started 2026-01-02T03:04:05Z",
        "[user] Begin.",
        "[assistant thinking] Hmm.",
        '[assistant → note] {"text": "é"}',
        "[result (error)] bad",
        "[user image]",
    ]
    with pytest.raises(AgentgitError, match="not valid JSON"):
        render_transcript("a note someone wrote by hand")


# -- the log's cache (agentgit log --json) ----------------------------------------


def land_commit(repo: Path, number: int, outcome: str, title: str) -> str:
    """A commit on main as a landing records a session (its trailers are what count)."""
    trailers = (
        f"Agentgit-Session: {number:04d}\nAgentgit-Outcome: {outcome}\n"
        f"Agentgit-Title: {title}\nAgentgit-Pieces: {title.lower()}\nAgentgit-Turns: 3\n"
        f"Agentgit-Cost: 0.25\nAgentgit-Head: {'ab' * 20}"
    )
    message = f"Land session {number:04d}: {title}\n\nA body git need not send.\n\n{trailers}"
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def fresh(repo: Repository) -> list[str]:
    """What the log says from git alone, with no cache to lean on."""
    (repo.state_dir / history.LOG_CACHE).unlink(missing_ok=True)
    return history.log_json(repo)


def titles(lines: list[str]) -> list[tuple[int, str]]:
    return [(json.loads(x)["session"], json.loads(x)["title"]) for x in lines]


def test_the_log_follows_main_forward_back_and_rewritten(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    first = land_commit(corpus_repo, 1, "abandoned", "One")
    land_commit(corpus_repo, 2, "crystallized", "Two")
    assert titles(history.log_json(repo)) == [(2, "Two"), (1, "One")]
    assert (repo.state_dir / history.LOG_CACHE).exists()

    # Forward: a new session, and session 1 landed again (its newest record wins).
    land_commit(corpus_repo, 3, "crystallized", "Three")
    land_commit(corpus_repo, 1, "crystallized", "One again")
    moved = history.log_json(repo)
    assert titles(moved) == [(1, "One again"), (3, "Three"), (2, "Two")]
    assert moved == fresh(repo)

    # Back: main reset to an older commit is read as it now is.
    git(corpus_repo, "reset", "--quiet", "--hard", first)
    assert titles(history.log_json(repo)) == [(1, "One")]

    # Rewritten: the cached tip is no longer on main's first-parent line.
    git(corpus_repo, "commit", "--quiet", "--amend", "--allow-empty", "-m", "Not a landing")
    land_commit(corpus_repo, 4, "abandoned", "Four")
    assert titles(history.log_json(repo)) == [(4, "Four")]
    assert history.log_json(repo, limit=1) == fresh(repo)[:1]


def test_a_damaged_cache_is_never_believed(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    land_commit(corpus_repo, 1, "crystallized", "Tides")
    truth = history.log_json(repo)
    cache = repo.state_dir / history.LOG_CACHE
    cache.write_text(cache.read_text("utf-8").replace("Tides", "Lies"), "utf-8")
    assert history.log_json(repo) == truth
    cache.write_text("not json\n", "utf-8")
    assert history.log_json(repo) == truth
    assert [x.title for x in history.log(repo)] == ["Tides"]


def test_log_json_prints_the_lines_log_reads(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    land_commit(corpus_repo, 1, "crystallized", "Tides")
    land_commit(corpus_repo, 2, "abandoned", "Shoals")
    proc = agentgit(corpus_repo, "log", "--json")
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.splitlines()
    assert printed == [json.dumps(x.to_dict()) for x in history.log(repo)]
    assert [json.loads(x)["pieces"] for x in printed] == [["shoals"], ["tides"]]


def test_landings_leave_the_bodies_out(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    land_commit(corpus_repo, 1, "crystallized", "Tides")
    (found,) = history.landings(repo)
    assert found.body == "" and found.trailers["Agentgit-Title"] == "Tides"
    assert "A body git need not send." in repo.log(["main"], max_count=1)[0].body


def test_a_state_directory_that_cannot_be_written_only_costs_the_cache(
    corpus_repo: Path,
) -> None:
    repo = Repository.discover(corpus_repo)
    land_commit(corpus_repo, 1, "crystallized", "Tides")
    repo.state_dir.mkdir(parents=True, exist_ok=True)
    (repo.state_dir / history.LOG_CACHE).mkdir()  # where the file would go
    assert titles(history.log_json(repo)) == [(1, "Tides")]


def test_a_log_entrys_history_is_its_sessions_and_mains_not_the_whole_walk(
    corpus_repo: Path,
) -> None:
    from scripts import abandon_script, keep_script

    from agentgit.core.settings import Settings
    from agentgit.lifecycle import run, start
    from agentgit.models.scripted import ScriptedModel

    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted")
    for turns in (keep_script("one", "One"), abandon_script("two"), keep_script("three", "3")):
        current = start(repo, settings, topic=None, model_name="scripted")
        run(repo, current, ScriptedModel(turns), settings)
    entries = git(corpus_repo, "ls-tree", "--name-only", "main", "corpus/log/").split()
    abandoned = next(e for e in entries if "/0002-" in e)
    # A person's edit of the entry on main, after the session: part of its history.
    (corpus_repo / abandoned).write_text(
        (corpus_repo / abandoned).read_text("utf-8") + "\nA reviewer's line.\n", "utf-8"
    )
    git(corpus_repo, "commit", "--quiet", "-am", "Note on session 2")
    # A piece a person edited on main too, and one whose kept version is only in an archive
    # (main moved back past the session's landing, as a rejected review would leave it).
    one = corpus_repo / "corpus/pieces/one.md"
    one.write_text(one.read_text("utf-8") + "\nMore.\n", "utf-8")
    git(corpus_repo, "commit", "--quiet", "-am", "A person's edit of one")
    current = start(repo, settings, topic=None, model_name="scripted")
    run(repo, current, ScriptedModel(keep_script("four", "Four")), settings)
    git(corpus_repo, "reset", "--quiet", "--hard", "HEAD~1")
    reader = start(repo, settings, topic=None, model_name="scripted")
    assert "corpus/pieces/four.md" not in git(corpus_repo, "ls-tree", "-r", "--name-only", "main")
    pieces = ["corpus/pieces/one.md", "corpus/pieces/three.md", "corpus/pieces/four.md"]
    for entry in [*entries, *pieces, "corpus/pieces/never.md"]:
        if not entry.endswith(".md"):
            continue
        rel = entry.removeprefix("corpus/")
        # The whole walk, as git answers it: the same commits, the same patches.
        walk = git(
            corpus_repo,
            *("log", "-p", "--no-color", "--no-ext-diff", "-n20", "--format=commit %h %cs %s"),
            *("main", "--glob=refs/agentgit/sessions/*", "--", entry),
        )
        assert reader.history(rel) == walk, rel
        if rel.startswith("log/"):
            assert history._session_base(repo, rel)  # the bounded walk was the one taken
    shown = reader.history(abandoned.removeprefix("corpus/"))
    assert "Note on session 2" in shown and "Tried a draft; it went nowhere." in shown
    assert "+title: Four" in reader.history("pieces/four.md")  # from the archive alone
    assert "A person's edit of one" in reader.history("pieces/one.md")
    assert history._session_base(repo, "log/0009-none.md") == []
    assert history._session_base(repo, "pieces/one.md") == []


def test_a_cache_of_another_line_shape_is_rebuilt_not_read(corpus_repo: Path) -> None:
    """A cache an older agentgit wrote, whole and with a good digest, whose lines have
    fields LogLine no longer has: read back, it would fail in LogLine(**line)."""
    repo = Repository.discover(corpus_repo)
    land_commit(corpus_repo, 1, "crystallized", "Tides")
    truth = history.log_json(repo)
    cache = repo.state_dir / history.LOG_CACHE
    head, _, rest = cache.read_text("utf-8").partition("\n")
    old = json.dumps({**json.loads(rest), "minutes": 3})
    meta = {**json.loads(head), "format": 1, "digest": history._digest(old)}
    cache.write_text(f"{json.dumps(meta)}\n{old}", "utf-8")
    assert [x.title for x in history.log(repo)] == ["Tides"]
    assert history.log_json(repo) == truth


def test_show_names_one_head_the_sessions(corpus_repo: Path) -> None:
    """The log entry's `head:` is the last exploration (the entry cannot name the commit
    that holds it); show prints the session's head once, with the ref that keeps it."""
    result = session_run(corpus_repo, keep_script("tides", "Tides"), topic="tides")
    out = agentgit(corpus_repo, "show", "1").stdout
    assert f"  head {result.head[:12]} ({refs.archive(1)})" in out
    assert "\nhead: " not in out and "outcome: crystallized" in out
