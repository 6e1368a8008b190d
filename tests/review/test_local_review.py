"""A needs-review session in a repository with no remote (issue 9, item 7): a person's
merge of its branch, or its deletion, is recorded by `agentgit sync` or ended by
`agentgit abandon N`, and `agentgit log` lists every session once."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import agentgit, git
from helpers import NEEDS_REVIEW_BRANCH as BRANCH


def sessions_listed(path: Path) -> list[str]:
    proc = agentgit(path, "log")
    assert proc.returncode == 0, proc.stderr
    return [line.split()[0] for line in proc.stdout.splitlines()]


def entry(path: Path) -> str:
    return git(path, "show", "main:corpus/log/0001-revise-a.md")


def test_an_undecided_needs_review_session_is_listed_once_and_sync_waits(
    needs_review: Path,
) -> None:
    assert sessions_listed(needs_review) == ["0001", "0002"]
    assert "needs-review  revise a" in agentgit(needs_review, "log").stdout
    assert f"branch {BRANCH}" in agentgit(needs_review, "log").stdout
    proc = agentgit(needs_review, "sync")
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr


def test_a_branch_merged_by_hand_is_recorded_kept_by_sync_without_a_remote(
    needs_review: Path,
) -> None:
    git(needs_review, "merge", "-q", "--no-ff", "-X", "theirs", "-m", "Merge A by hand", BRANCH)
    refused = agentgit(needs_review, "abandon", "1", "--reason", "too late")
    assert refused.returncode == 1
    assert "merged into main by hand: `agentgit sync` records it kept" in refused.stderr

    proc = agentgit(needs_review, "sync")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Session 0001 crystallized in review: merged into main\n"
    assert "outcome: crystallized" in entry(needs_review)
    assert not git(needs_review, "branch", "--list", "session/*")
    assert git(needs_review, "status", "--porcelain") == ""
    assert sessions_listed(needs_review) == ["0001", "0002"]
    assert " crystallized  revise a" in agentgit(needs_review, "log").stdout
    assert agentgit(needs_review, "sync").stdout == ""


def test_a_branch_deleted_by_hand_is_recorded_abandoned_by_sync(needs_review: Path) -> None:
    git(needs_review, "branch", "-D", BRANCH)
    resumed = agentgit(needs_review, "resume", "1")
    assert resumed.returncode == 1
    assert resumed.stderr == (
        "agentgit: session 0001 needs review and its branch is gone: "
        "`agentgit sync` records that, or `agentgit abandon 1`\n"
    )
    proc = agentgit(needs_review, "sync")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ("Session 0001 abandoned in review: branch deleted without merging\n")
    assert "outcome: abandoned" in entry(needs_review)
    assert "B: gravity." in git(needs_review, "show", "main:corpus/pieces/tides.md")
    assert sessions_listed(needs_review) == ["0001", "0002"]
    assert agentgit(needs_review, "sync").stdout == ""


def test_abandon_ends_a_needs_review_session_whose_branch_was_deleted(needs_review: Path) -> None:
    head = git(needs_review, "rev-parse", f"refs/heads/{BRANCH}").strip()
    git(needs_review, "branch", "-D", BRANCH)
    proc = agentgit(needs_review, "abandon", "1", "--reason", "B said it better")
    assert proc.returncode == 0, proc.stderr
    assert "Session 0001 abandoned: revise a" in proc.stdout
    text = entry(needs_review)
    assert "outcome: abandoned" in text and "B said it better" in text
    archived = git(needs_review, "rev-parse", "refs/agentgit/sessions/0001").strip()
    assert (
        subprocess.run(
            ["git", "merge-base", "--is-ancestor", head, archived], cwd=needs_review
        ).returncode
        == 0
    )
    assert not git(needs_review, "branch", "--list", "session/*")
    assert sessions_listed(needs_review) == ["0001", "0002"]
    line = next(
        ln for ln in agentgit(needs_review, "log").stdout.splitlines() if ln.startswith("0001")
    )
    assert " abandoned " in line and "[tides]" not in line
    assert agentgit(needs_review, "sync").stdout == ""
    assert agentgit(needs_review, "abandon", "1", "--reason", "again").returncode == 1
