"""agentgit/session.py: what a session is (its names, its step commits, its lock, its
worktree and its clean-up), on a real claimed session in a real corpus repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git
from helpers import rev, trailers

from agentgit.core import refs
from agentgit.core.errors import AgentgitError
from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import Result, Session, session_branches, start
from agentgit.session.workspace import cleanup, lock, ready_worktree, transcript_path


@pytest.fixture
def repo(corpus_repo: Path) -> Repository:
    return Repository.discover(corpus_repo)


@pytest.fixture
def session(repo: Repository) -> Session:
    return start(repo, Settings(), topic="Tides", model_name="scripted")


def test_names_follow_the_id_and_slug(session: Session) -> None:
    assert (session.id, session.branch) == ("0001", "session/0001-tides")
    assert session.log_rel == "log/0001-tides.md"
    assert session.journal_path() == session.worktree / "corpus/log/0001-tides.md"


def test_a_step_commits_what_the_tools_wrote_and_is_found_again(
    repo: Repository, session: Session
) -> None:
    assert session.commit_step("note", "Nothing yet.", turn=1, call="toolu_1") is None
    (session.corpus_dir / "drafts").mkdir(parents=True, exist_ok=True)
    (session.corpus_dir / "drafts/tides.md").write_text("---\ntitle: Tides\n---\n\nMoon.\n")
    # The sparse worktree has no pieces/: a stray file there needs its folder made.
    (session.worktree / "corpus/pieces").mkdir(exist_ok=True)
    (session.worktree / "corpus/pieces/stray.md").write_text("not the session's to commit\n")
    subject = session.commit_step("write_draft", "Drafting tides.", turn=2, call="toolu_2")
    assert subject and session.commits == [subject]
    head = repo.head(session.worktree)
    assert trailers(repo.top, head) == {
        "Agentgit-Session": "0001",
        "Agentgit-Turn": "2",
        "Agentgit-Tool": "write_draft",
        "Agentgit-Call": "toolu_2",
    }
    assert git(repo.top, "show", "--name-only", "--format=", head).split() == [
        "corpus/drafts/tides.md"
    ]
    assert session.step_commit(2, "toolu_2") == subject
    assert session.step_commit(2, "toolu_9") is None


def test_one_process_a_session(repo: Repository) -> None:
    busy = "^session 0007 is running in another process$"
    with lock(repo, 7):
        with pytest.raises(AgentgitError, match=busy), lock(repo, 7):
            pass
        with lock(repo, 8):  # another session is free
            pass
    with lock(repo, 7):  # released
        pass


def test_ready_worktree_moves_aside_what_is_in_the_way(repo: Repository, session: Session) -> None:
    (session.worktree / "corpus/drafts").mkdir(parents=True, exist_ok=True)
    (session.worktree / "corpus/drafts/half.md").write_text("half-written by a killed run\n")
    ready_worktree(repo, session)  # its own worktree: reset, not moved
    assert not (session.worktree / "corpus/drafts/half.md").exists()

    repo.remove_worktree(session.worktree)
    session.worktree.mkdir()
    (session.worktree / "mine.txt").write_text("someone's\n")
    ready_worktree(repo, session)
    aside = session.worktree.with_name(f"{session.worktree.name}.stale-1")
    assert (aside / "mine.txt").read_text() == "someone's\n"  # moved, never deleted
    assert repo.worktree_branch(session.worktree) == session.branch


@pytest.mark.parametrize("keep_branch", [False, True])
def test_cleanup_leaves_only_the_archive(
    repo: Repository, session: Session, keep_branch: bool
) -> None:
    path = transcript_path(repo, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    head = rev(repo.top, refs.branch(1, "tides"))
    assert session_branches(repo, 1) == {refs.branch(1, "tides"): head}
    cleanup(repo, session, keep_branch=keep_branch)
    assert not session.worktree.exists() and not path.exists()
    assert session_branches(repo, 1) == ({refs.branch(1, "tides"): head} if keep_branch else {})
    assert repo.rev_parse(refs.archive(1)) == head
    assert session_branches(repo, 2) == {}


def test_a_result_is_a_plain_dict() -> None:
    done = Result(3, "abandoned", "T", "S", reason="flat").to_dict()
    assert done["session"] == 3 and done["outcome"] == "abandoned" and done["reason"] == "flat"
    assert done["usage"]["input_tokens"] == 0 and done["pieces"] == []
