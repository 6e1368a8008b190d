"""Ref names (agentgit/refs.py) and ref updates that say what they expect (gitrefs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git

from agentgit.core import refs
from agentgit.git import RefMoved, RefUpdate, Repository
from agentgit.git.refs import EMPTY


def test_names_round_trip() -> None:
    assert refs.branch(7, "tides") == "refs/heads/session/0007-tides"
    assert refs.branch_name(7, "tides") == "session/0007-tides"
    assert refs.parse_branch(refs.branch(7, "tides")) == (7, "tides")
    assert refs.parse_branch("session/0012-a-b") == (12, "a-b")
    assert refs.parse_branch("refs/heads/main") is None
    assert refs.parse_branch("refs/heads/session/tides") is None
    for make in (refs.archive, refs.review, refs.unlanded, refs.unpark):
        assert refs.number_of(make(42)) == 42
    assert refs.number_of(f"refs/heads/{refs.log_branch_name(3)}") == 3
    assert refs.number_of("refs/agentgit/sessions/x") is None
    assert refs.session_id(12345) == "12345"  # ids past 9999 keep every digit


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "one")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "two")
    return Repository.discover(tmp_path)


def test_each_update_checks_what_it_says(repo: Repository) -> None:
    one, two = repo.rev_parse("main~1"), repo.rev_parse("main")
    assert one and two
    repo.ref_transaction([RefUpdate.create("refs/x", one)])
    with pytest.raises(RefMoved):  # create: must not exist
        repo.ref_transaction([RefUpdate.create("refs/x", two)])
    with pytest.raises(RefMoved):  # move: from the value last read, not another
        repo.ref_transaction([RefUpdate.move("refs/x", one, two)])
    repo.ref_transaction([RefUpdate.move("refs/x", two, one)])
    with pytest.raises(RefMoved):  # delete: from a known value
        repo.ref_transaction([RefUpdate.delete("refs/x", one)])
    assert repo.rev_parse("refs/x") == two
    repo.ref_transaction([RefUpdate.force("refs/x", one)])  # force: says so
    assert repo.rev_parse("refs/x") == one
    repo.ref_transaction([RefUpdate.force_delete("refs/x"), RefUpdate.force_delete("refs/none")])
    assert repo.rev_parse("refs/x") is None


def test_a_transaction_is_all_or_nothing(repo: Repository) -> None:
    one = repo.rev_parse("main")
    assert one
    repo.create_ref("refs/taken", one)
    with pytest.raises(RefMoved):
        repo.ref_transaction(
            [RefUpdate.create("refs/fresh", one), RefUpdate.create("refs/taken", one)]
        )
    assert repo.rev_parse("refs/fresh") is None


def test_constructors_are_the_only_expectations() -> None:
    assert RefUpdate.create("r", "a").old == EMPTY
    assert RefUpdate.delete("r", "a").new == EMPTY
    assert RefUpdate.force("r", "a").old is None
