"""agentgit/mainline.py: the one loop that lands a commit on main, by compare-and-swap on
the local ref or by a push that fails rather than overwrites, built again whenever main
moved; and the local main brought forward after the remote's moved. Real git, and a
real bare remote for the remote cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git
from helpers import attached_remote, clone, commit_files, plain_repo, protect_main, rev

from agentgit.git import Repository
from agentgit.session.mainline import MainKeptMoving, MainRefused, bring_local_main, land_on_main


@pytest.fixture
def top(tmp_path: Path) -> Path:
    path = plain_repo(tmp_path / "repo")
    commit_files(path, {"a.txt": "a\n"}, "Start")
    return path


@pytest.fixture
def repo(top: Path) -> Repository:
    return Repository.discover(top)


def on(repo: Repository, base: str, path: str, text: str = "x\n") -> str:
    """A commit on `base` adding `path`, made without a worktree."""
    return repo.commit_tree(repo.tree_with_file(base, path, text), [base], f"Add {path}\n")


def builder(repo: Repository, seen: list[str], meanwhile: Callable[[str], None]) -> Callable:
    """A `build` for land_on_main that records the main it was given, builds on it, and
    then lets `meanwhile(main)` move main before the landing's update."""

    def build(main: str) -> str:
        seen.append(main)
        commit = on(repo, main, f"log/{len(seen)}.md")
        meanwhile(main)
        return commit

    return build


def test_main_that_moved_between_build_and_update_is_built_on_again(
    top: Path, repo: Repository
) -> None:
    start = rev(top, "main")
    seen: list[str] = []
    theirs: list[str] = []

    def another_session_lands_once(main: str) -> None:
        if not theirs:
            theirs.append(on(repo, main, "theirs.md"))
            repo.advance_branch("main", theirs[0], main)

    landed = land_on_main(repo, None, builder(repo, seen, another_session_lands_once), 3)
    assert seen == [start, theirs[0]]  # built again on the main that moved
    assert rev(top, "main") == landed
    assert git(top, "rev-list", "--parents", "-n1", landed).split()[1:] == [theirs[0]]
    assert (top / "theirs.md").is_file() and (top / "log/2.md").is_file()  # checkout came
    assert git(top, "status", "--porcelain") == ""


def test_main_that_keeps_moving_gives_up_after_the_attempts(top: Path, repo: Repository) -> None:
    seen: list[str] = []
    moved: list[str] = []

    def another_session_lands_every_time(main: str) -> None:
        moved.append(on(repo, main, f"theirs-{len(moved)}.md"))
        repo.advance_branch("main", moved[-1], main)

    with pytest.raises(MainKeptMoving, match="^main kept moving$"):
        land_on_main(repo, None, builder(repo, seen, another_session_lands_every_time), 3)
    assert len(seen) == 3 and seen[1:] == moved[:2]
    assert rev(top, "main") == moved[-1]  # theirs, never overwritten


def test_a_remote_main_that_moved_is_fetched_built_on_and_followed_locally(
    tmp_path: Path, top: Path, repo: Repository
) -> None:
    bare = attached_remote(tmp_path, top)
    other = clone(bare, tmp_path / "other")
    start = rev(top, "main")
    seen: list[str] = []
    pushed: list[str] = []

    def another_machine_pushes_once(main: str) -> None:
        if not pushed:
            pushed.append(commit_files(other, {"other.md": "o\n"}, "Other machine"))
            git(other, "push", "-q", "origin", "main")

    landed = land_on_main(repo, "origin", builder(repo, seen, another_machine_pushes_once), 3)
    assert seen == [start, pushed[0]]
    assert rev(bare, "main") == landed
    assert rev(top, "refs/remotes/origin/main") == landed
    assert rev(top, "main") == landed and (top / "other.md").is_file()  # brought forward


def test_a_remote_that_refuses_raises_main_refused_and_moves_nothing(
    tmp_path: Path, top: Path, repo: Repository
) -> None:
    bare = attached_remote(tmp_path, top)
    protect_main(bare)
    start = rev(top, "main")
    seen: list[str] = []
    with pytest.raises(MainRefused, match="^origin refused the push to main: .*"):
        land_on_main(repo, "origin", builder(repo, seen, lambda main: None), 3)
    assert seen == [start]  # a refusal is not retried
    assert rev(bare, "main") == start and rev(top, "main") == start


def test_bring_local_main_fast_forwards_only_where_the_checkout_allows(
    top: Path, repo: Repository
) -> None:
    start = rev(top, "main")
    ahead = on(repo, start, "a.txt", "theirs\n")
    (top / "a.txt").write_text("mine\n")  # the user's uncommitted work on that very file
    bring_local_main(repo, ahead)  # blocked: left for a `git pull`, silently
    assert rev(top, "main") == start and (top / "a.txt").read_text() == "mine\n"

    git(top, "checkout", "-q", "--", "a.txt")
    bring_local_main(repo, ahead)
    assert rev(top, "main") == ahead and (top / "a.txt").read_text() == "theirs\n"

    aside = on(repo, start, "b.txt")  # not a descendant of main: no fast-forward
    bring_local_main(repo, aside)
    assert rev(top, "main") == ahead
    bring_local_main(repo, ahead)  # already there
    assert rev(top, "main") == ahead
