"""agentgit/history.py: sessions read back from git alone (`agentgit log` and `show`):
main's landings, those a person merged by hand, open sessions, and the transcript as
text. Real git; landings built by hand where a whole session adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git
from helpers import commit_files, plain_repo, rev, session_run
from scripts import keep_script

from agentgit import history, refs
from agentgit.errors import AgentgitError, NoMainBranch
from agentgit.messages import message
from agentgit.repo import Repository


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
    view = history.show(repo, 1)
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
    with pytest.raises(AgentgitError, match="^no session 0099$"):
        history.show(repo, 99)


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
    assert history.render_transcript(json.dumps(note)).split("\n\n") == [
        "session 0003 · model scripted · started 2026-01-02T03:04:05Z",
        "[user] Begin.",
        "[assistant thinking] Hmm.",
        '[assistant → note] {"text": "é"}',
        "[result (error)] bad",
        "[user image]",
    ]
    with pytest.raises(AgentgitError, match="not valid JSON"):
        history.render_transcript("a note someone wrote by hand")
