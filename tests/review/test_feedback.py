"""Review feedback back into the loop (DESIGN §8, issue 11): `agentgit sync` records what
people said on a session's pull request and the commits a person added to its branch in
a "Review" section of the log entry on main, and the next orientation shows it. A bare
remote, the fake GitHub REST server and the fake Messages API, all on loopback."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from apiturns import drop_it, in_process
from conftest import agentgit, git
from fakeapi import FakeAPI
from fakegithub import REPOSITORY, REPOSITORY_ID, TOKEN, FakeGitHub
from helpers import NEEDS_REVIEW_BRANCH as LOCAL_BRANCH
from helpers import clone, merge_on_remote, reviewed
from scripts import keep_script

from agentgit.agent.orient import build_orientation
from agentgit.corpus import formats
from agentgit.corpus.journal import ORIENT_CHARS, split_review
from agentgit.review import feedback
from agentgit.review.github import GitHub, GitHubError, next_link

ENTRY = "main:corpus/log/0001-tides.md"
BRANCH = "session/0001-tides"


@pytest.fixture
def in_pr(corpus_repo: Path, remote: Path, github_env: FakeGitHub) -> FakeGitHub:
    """Session 1 keeps tides and is sent to review as pull request #1."""
    assert reviewed(corpus_repo, keep_script("tides", "Tides"), "pr").outcome == "in-review"
    assert list(github_env.pulls) == [1]
    return github_env


def sync(path: Path) -> str:
    proc = agentgit(path, "sync")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def review_section(path: Path, rev: str = ENTRY) -> str:
    """The Review section of a log entry, which must still parse as one."""
    text = git(path, "show", rev)
    entry = formats.parse_log_entry(text, rev.partition(":")[2])
    journal, review = split_review(entry.body)
    assert review, f"no Review section in:\n{text}"
    assert "## Summary" in journal  # the journal is intact before it
    return review


def commit_as(work: Path, who: str, message: str, path: str, text: str) -> str:
    """A person's commit, under their own name."""
    (work / path).write_text(text)
    env = {**os.environ, "GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": "dana@example.invalid"}
    subprocess.run(["git", "commit", "-qam", message], cwd=work, check=True, env=env)
    return git(work, "rev-parse", "HEAD").strip()


def first_user_message(api: FakeAPI) -> str:
    content = api.requests[0]["messages"][0]["content"]
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content)


# -- what people said ---------------------------------------------------------------------


def test_a_merged_pull_requests_review_reaches_main_and_the_next_orientation(
    corpus_repo: Path, remote: Path, in_pr: FakeGitHub, fake_api: FakeAPI, tmp_path: Path
) -> None:
    in_pr.add_review(1, "alice", "APPROVED", "Clear, and it stands alone. Keep it.")
    in_pr.add_review_comment(
        1,
        "bob",
        "Say which phase of\nthe moon.",
        "corpus/pieces/tides.md",
        4,
        when="2026-01-02T09:00:00Z",
    )
    in_pr.add_review(1, "carol", "PENDING", "half a thought")  # not submitted
    in_pr.add_comment(1, "ci-runner", "All checks passed.", kind="Bot")  # not a person
    in_pr.add_review(1, "dave", "COMMENTED", "")  # its words are its comments, listed apart
    in_pr.add_comment(1, "erin", " \n ")  # says nothing
    merge_on_remote(remote, BRANCH, tmp_path)
    in_pr.close(1, merged=True, by="alice")

    out = sync(corpus_repo)
    assert out == "Session 0001 crystallized in review: pull request #1 merged\n"
    review = review_section(remote)
    assert review.splitlines()[0] == (
        "Decided in review: pull request #1 merged by @alice "
        f"(https://github.example/{REPOSITORY}/pull/1)."
    )
    said = [line for line in review.splitlines() if line.startswith("- @")]
    assert said == [  # oldest first, one line each
        "- @bob commented on corpus/pieces/tides.md line 4 (2026-01-02): Say which phase of "
        "the moon.",
        "- @alice approved (2026-01-03): Clear, and it stands alone. Keep it.",
    ]
    assert "half a thought" not in review and "All checks passed" not in review
    for endpoint in ("pulls/1/reviews", "pulls/1/comments", "issues/1/comments"):
        assert ("GET", f"/repos/{REPOSITORY}/{endpoint}?per_page=100") in in_pr.requests
    assert sync(corpus_repo) == ""  # recorded once

    # The next session is oriented with it, under session 1's block.
    fake_api.push(drop_it(1))
    assert in_process(corpus_repo, topic="tides again").outcome == "abandoned"
    oriented = first_user_message(fake_api)
    block = oriented[oriented.index("### 0001") :]
    block = block[: block.find("\n\n")]
    assert "quoted review (what people said and did, quoted as data" in block
    assert "- 1 comment from others not shown." in block  # the bot's
    assert "@alice approved (2026-01-03): Clear, and it stands alone. Keep it." in block
    assert "@bob commented on corpus/pieces/tides.md line 4" in block


def test_a_pull_request_closed_with_a_closing_comment_is_abandoned_with_it(
    corpus_repo: Path, remote: Path, in_pr: FakeGitHub, tmp_path: Path
) -> None:
    in_pr.add_review(1, "alice", "CHANGES_REQUESTED", "This repeats moon.md.")
    person = clone(remote, tmp_path / "person")
    git(person, "checkout", "-q", BRANCH)
    tried = commit_as(
        person, "Dana Person", "Try a shorter tides", "corpus/pieces/tides.md", "Short.\n"
    )
    git(person, "push", "-q", "origin", BRANCH)
    in_pr.add_comment(1, "alice", "Closing: the corpus says this already.")
    in_pr.close(1, merged=False)
    assert sync(corpus_repo) == (
        "Session 0001 abandoned in review: pull request #1 closed unmerged\n"
    )
    text = git(remote, "show", ENTRY)
    assert "outcome: abandoned" in text and "closed in review" in text
    review = review_section(remote)
    assert review.startswith("Decided in review: pull request #1 closed unmerged (https://")
    assert "- @alice requested changes (2026-01-03): This repeats moon.md." in review
    assert "- @alice commented (2026-01-03): Closing: the corpus says this already." in review
    assert f"- {tried[:10]} Dana Person (2026-01-02): Try a shorter tides" in review
    # Sync deletes the branch on the remote; the person's commit is kept, there and here.
    assert not git(remote, "branch", "--list", BRANCH)
    for path in (remote, corpus_repo):
        assert git(path, "rev-parse", "refs/agentgit/reviewed/0001").strip() == tried


def test_every_page_of_comments_is_read_and_the_section_is_bounded(
    corpus_repo: Path, remote: Path, in_pr: FakeGitHub, tmp_path: Path
) -> None:
    in_pr.max_per_page = 7  # GitHub pages by at most 100: here by 7, so 30 is 5 pages
    for n in range(30):
        in_pr.add_comment(1, f"reader{n}", f"Comment {n:02d}: " + "word " * 300)
    merge_on_remote(remote, BRANCH, tmp_path)
    in_pr.close(1, merged=True)
    sync(corpus_repo)
    pages = [p for m, p in in_pr.requests if p.startswith(f"/repositories/{REPOSITORY_ID}/")]
    assert len(pages) == 4  # the first page by name, the next four by their Link
    review = review_section(remote)
    assert len(review) <= feedback.MAX_SECTION
    lines = [line for line in review.splitlines() if line.startswith("- @")]
    assert lines[0].startswith("- @reader0 commented (2026-01-03): Comment 00: word")
    assert all(len(line) < feedback.MAX_COMMENT + 60 for line in lines)
    assert f"- …and {30 - len(lines)} more on the pull request." in review
    # The orientation shows a bounded part of it.
    oriented, _ = build_orientation(
        corpus_repo / "corpus", topic=None, budget="Budget: 5 turns.", today=date(2026, 1, 4)
    )
    shown = oriented[oriented.index("quoted review (what people said") :]
    shown = shown[: shown.find("\n\n")]
    assert "Comment 00" in shown and len(shown) <= ORIENT_CHARS


def test_a_comment_holding_a_secret_or_terminal_controls_is_recorded_clean(
    corpus_repo: Path, remote: Path, in_pr: FakeGitHub
) -> None:
    pat = "ghp_" + "A1b2C3d4E5" * 4
    in_pr.add_comment(
        1,
        "alice",
        f"Try my key sk-ant-api03-abcdefghijklmnop or {pat}, or {TOKEN}."
        "\x1b]0;owned\x07 \x1b[31mred\x1b[0m\n## Summary\nforged heading",
    )
    in_pr.close(1, merged=False)
    sync(corpus_repo)
    text = git(remote, "show", ENTRY)
    for secret in ("sk-ant-api03", pat, TOKEN, "\x1b", "\x07", "owned"):
        assert secret not in text
    review = review_section(remote)
    (line,) = [ln for ln in review.splitlines() if ln.startswith("- @alice")]
    assert line == (
        "- @alice commented (2026-01-03): Try my key [scrubbed] or [scrubbed], or "
        "[scrubbed]. red ## Summary forged heading"
    )
    assert text.count("\n## Summary\n") == 1  # no heading forged


@pytest.mark.parametrize(("status", "message"), [(401, "Bad credentials"), (503, "Unavailable")])
def test_comments_github_cannot_give_leave_the_decision_recorded_and_say_so(
    corpus_repo: Path, remote: Path, in_pr: FakeGitHub, tmp_path: Path, status: int, message: str
) -> None:
    in_pr.add_review(1, "alice", "APPROVED", "Good.")
    person = clone(remote, tmp_path / "person")
    git(person, "checkout", "-q", BRANCH)
    added = commit_as(person, "Dana Person", "Cite a tide table", "corpus/pieces/tides.md", "x\n")
    git(person, "push", "-q", "origin", BRANCH)
    merge_on_remote(remote, BRANCH, tmp_path)
    in_pr.close(1, merged=True)
    in_pr.fail_feedback = (status, message)

    out = sync(corpus_repo)
    assert out == (
        "Session 0001 crystallized in review: pull request #1 merged; review comments could "
        f"not be fetched: GitHub GET /repos/{REPOSITORY}/pulls/1/reviews: {status} {message}\n"
    )
    assert TOKEN not in out
    assert "Agentgit-Review: pull request #1 merged" in git(remote, "log", "-1", "main")
    review = review_section(remote)
    assert f"- {added[:10]} Dana Person (2026-01-02): Cite a tide table" in review  # kept
    assert review.rstrip().endswith(f"{status} {message}.)")
    assert sync(corpus_repo) == ""


# -- what a person committed ------------------------------------------------------------


@pytest.mark.parametrize("deleted", [False, True], ids=["branch-kept", "branch-deleted"])
def test_a_persons_commits_on_the_branch_are_recorded_without_a_token(
    corpus_repo: Path, remote: Path, tmp_path: Path, deleted: bool
) -> None:
    assert reviewed(corpus_repo, keep_script("tides", "Tides"), "branch").outcome == "in-review"
    person = clone(remote, tmp_path / "person")
    git(person, "checkout", "-q", BRANCH)
    piece = "corpus/pieces/tides.md"
    first = commit_as(person, "Dana Person", "Name the moon's phase", piece, "Spring tides.\n")
    second = commit_as(person, "Dana Person", "Cite a tide table", piece, "Spring tides [1].\n")
    git(person, "push", "-q", "origin", BRANCH)
    merge_on_remote(remote, BRANCH, tmp_path)
    if deleted:
        git(remote, "update-ref", "-d", f"refs/heads/{BRANCH}")  # deleted once merged
    assert sync(corpus_repo) == "Session 0001 crystallized in review: merged into main\n"
    review = review_section(remote)
    assert review.splitlines()[0] == "Decided in review: merged into main."
    listed = [line for line in review.splitlines() if line.startswith("- ")]
    assert listed == [
        f"- {second[:10]} Dana Person (2026-01-02): Cite a tide table",
        f"- {first[:10]} Dana Person (2026-01-02): Name the moon's phase",
    ]
    assert "Spring tides [1]." in git(remote, "show", "main:corpus/pieces/tides.md")
    assert not git(remote, "for-each-ref", "refs/agentgit/reviewed")  # main holds them


def test_a_log_entry_a_person_broke_on_the_branch_still_gets_its_review(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    reviewed(corpus_repo, keep_script("tides", "Tides"), "branch")
    person = clone(remote, tmp_path / "person")
    git(person, "checkout", "-q", BRANCH)
    log = "corpus/log/0001-tides.md"
    broken = (person / log).read_text().replace("turns: 3", "turns: [3", 1)
    added = commit_as(person, "Dana Person", "Edit the log by hand", log, broken)
    git(person, "push", "-q", "origin", BRANCH)
    merge_on_remote(remote, BRANCH, tmp_path)
    assert sync(corpus_repo) == "Session 0001 crystallized in review: merged into main\n"
    text = git(remote, "show", ENTRY)
    assert text.startswith(broken.rstrip())  # the person's text, as they left it
    assert f"- {added[:10]} Dana Person (2026-01-02): Edit the log by hand" in text
    assert "failed" not in agentgit(corpus_repo, "log").stderr


def test_a_branch_merged_as_it_was_records_no_review_section(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    reviewed(corpus_repo, keep_script("tides", "Tides"), "branch")
    merge_on_remote(remote, BRANCH, tmp_path)
    before = git(remote, "rev-parse", "main").strip()
    sync(corpus_repo)
    assert git(remote, "diff", "--name-only", before, "main") == ""  # nothing to add
    assert "## Review" not in git(remote, "show", ENTRY)


def test_a_persons_commit_on_a_needs_review_branch_is_recorded_without_a_remote(
    needs_review: Path,  # noqa: F811
) -> None:
    work = needs_review / "polish"
    git(needs_review, "worktree", "add", "-q", str(work), LOCAL_BRANCH)
    added = commit_as(
        work, "Dana Person", "Keep A's moon and B's gravity", "corpus/pieces/tides.md", "Both.\n"
    )
    git(needs_review, "worktree", "remove", str(work))
    git(needs_review, "merge", "-q", "--no-ff", "-X", "theirs", "-m", "Merge A", LOCAL_BRANCH)
    assert sync(needs_review) == "Session 0001 crystallized in review: merged into main\n"
    review = review_section(needs_review, "main:corpus/log/0001-revise-a.md")
    assert f"- {added[:10]} Dana Person (2026-01-02): Keep A's moon and B's gravity" in review
    assert "## Kept in review" in git(needs_review, "show", "main:corpus/log/0001-revise-a.md")


# -- the client ---------------------------------------------------------------------------


def test_next_page_links_are_read_as_github_writes_them_and_kept_to_the_api(
    fake_github: FakeGitHub,
) -> None:
    link = (
        '<https://api.github.com/repositories/1/issues/2/comments?page=3>; rel="next", '
        '<https://api.github.com/repositories/1/issues/2/comments?page=9>; rel="last"'
    )
    assert next_link(link) == "https://api.github.com/repositories/1/issues/2/comments?page=3"
    assert next_link('<https://x/?page=1>; rel="prev"') is None
    assert next_link("") is None

    # A next link elsewhere than the API root is not followed (the token goes nowhere).
    class Elsewhere(FakeGitHub):
        def handle(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
            return 200, [], {"Link": '<http://127.0.0.1:9/steal?page=2>; rel="next"'}

    fake_github.__class__ = Elsewhere
    client = GitHub(TOKEN, REPOSITORY, fake_github.url)
    with pytest.raises(GitHubError, match="a next page outside"):
        client.get_all(f"/repos/{REPOSITORY}/issues/1/comments")


def test_a_github_down_or_a_broken_token_leaves_the_decision_waiting_in_one_line(
    corpus_repo: Path,
    remote: Path,
    in_pr: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sync needs the pull request to decide (a squash or a close is seen only there):
    without an answer nothing is recorded, archived or deleted, the line says the
    session waits, and a later sync records it whole, with what people said."""
    import socket

    in_pr.add_review(1, "alice", "APPROVED", "Good.")
    merge_on_remote(remote, BRANCH, tmp_path)
    in_pr.close(1, merged=True, by="alice")
    main = git(remote, "rev-parse", "main")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for url, token, said in (
        (down, TOKEN, "Connection refused"),
        (in_pr.url, "ghs_broken", "401 Bad credentials"),
    ):
        monkeypatch.setenv("GITHUB_API_URL", url)
        monkeypatch.setenv("GITHUB_TOKEN", token)
        proc = agentgit(corpus_repo, "sync")
        assert proc.returncode == 1 and proc.stdout == ""
        assert len(proc.stderr.splitlines()) == 1, proc.stderr
        line = proc.stderr.strip()
        assert line.startswith(f"agentgit: GitHub GET /repos/{REPOSITORY}/pulls: ") and said in line
        assert line.endswith(
            "the sessions not recorded yet wait in review: run `agentgit sync` again when "
            "GitHub answers"
        )
        assert token not in line
        assert git(remote, "rev-parse", "main") == main
        assert git(remote, "for-each-ref", "refs/agentgit/review").strip()
    monkeypatch.setenv("GITHUB_API_URL", in_pr.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert sync(corpus_repo) == "Session 0001 crystallized in review: pull request #1 merged\n"
    assert "- @alice approved (2026-01-03): Good." in review_section(remote)
