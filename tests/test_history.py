"""Reading sessions back from main: `history.log`, `log_json` and the cache behind them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import agentgit, git

from agentgit import history
from agentgit.repo import Repository


def land(repo: Path, number: int, outcome: str, title: str) -> str:
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
    first = land(corpus_repo, 1, "abandoned", "One")
    land(corpus_repo, 2, "crystallized", "Two")
    assert titles(history.log_json(repo)) == [(2, "Two"), (1, "One")]
    assert (repo.state_dir / history.LOG_CACHE).exists()

    # Forward: a new session, and session 1 landed again (its newest record wins).
    land(corpus_repo, 3, "crystallized", "Three")
    land(corpus_repo, 1, "crystallized", "One again")
    moved = history.log_json(repo)
    assert titles(moved) == [(1, "One again"), (3, "Three"), (2, "Two")]
    assert moved == fresh(repo)

    # Back: main reset to an older commit is read as it now is.
    git(corpus_repo, "reset", "--quiet", "--hard", first)
    assert titles(history.log_json(repo)) == [(1, "One")]

    # Rewritten: the cached tip is no longer on main's first-parent line.
    git(corpus_repo, "commit", "--quiet", "--amend", "--allow-empty", "-m", "Not a landing")
    land(corpus_repo, 4, "abandoned", "Four")
    assert titles(history.log_json(repo)) == [(4, "Four")]
    assert history.log_json(repo, limit=1) == fresh(repo)[:1]


def test_a_damaged_cache_is_never_believed(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    land(corpus_repo, 1, "crystallized", "Tides")
    truth = history.log_json(repo)
    cache = repo.state_dir / history.LOG_CACHE
    cache.write_text(cache.read_text("utf-8").replace("Tides", "Lies"), "utf-8")
    assert history.log_json(repo) == truth
    cache.write_text("not json\n", "utf-8")
    assert history.log_json(repo) == truth
    assert [x.title for x in history.log(repo)] == ["Tides"]


def test_log_json_prints_the_lines_log_reads(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    land(corpus_repo, 1, "crystallized", "Tides")
    land(corpus_repo, 2, "abandoned", "Shoals")
    proc = agentgit(corpus_repo, "log", "--json")
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.splitlines()
    assert printed == [json.dumps(x.to_dict()) for x in history.log(repo)]
    assert [json.loads(x)["pieces"] for x in printed] == [["shoals"], ["tides"]]


def test_landings_leave_the_bodies_out(corpus_repo: Path) -> None:
    repo = Repository.discover(corpus_repo)
    land(corpus_repo, 1, "crystallized", "Tides")
    (found,) = history.landings(repo)
    assert found.body == "" and found.trailers["Agentgit-Title"] == "Tides"
    assert "A body git need not send." in repo.log(["main"], max_count=1)[0].body


def test_a_state_directory_that_cannot_be_written_only_costs_the_cache(
    corpus_repo: Path,
) -> None:
    repo = Repository.discover(corpus_repo)
    land(corpus_repo, 1, "crystallized", "Tides")
    repo.state_dir.mkdir(parents=True, exist_ok=True)
    (repo.state_dir / history.LOG_CACHE).mkdir()  # where the file would go
    assert titles(history.log_json(repo)) == [(1, "Tides")]


def test_a_log_entrys_history_is_its_sessions_and_mains_not_the_whole_walk(
    corpus_repo: Path,
) -> None:
    from scripts import abandon_script, keep_script

    from agentgit.lifecycle import run, start
    from agentgit.models.scripted import ScriptedModel
    from agentgit.settings import Settings

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
    reader = start(repo, settings, topic=None, model_name="scripted")
    for entry in entries:
        if not entry.endswith(".md"):
            continue
        rel = entry.removeprefix("corpus/")
        # The whole walk, as git answers it: the same commits, the same patches.
        walk = git(
            corpus_repo,
            *("log", "-p", "--no-color", "--no-ext-diff", "-n20", "--format=commit %h %cs %s"),
            *("main", "--glob=refs/agentgit/sessions/*", "--", entry),
        )
        assert reader.history(rel) == walk
        assert history._session_base(repo, rel)  # the bounded walk was the one taken
    shown = reader.history(abandoned.removeprefix("corpus/"))
    assert "Note on session 2" in shown and "Tried a draft; it went nowhere." in shown
    assert history._session_base(repo, "log/0009-none.md") == []
    assert history._session_base(repo, "pieces/one.md") == []
