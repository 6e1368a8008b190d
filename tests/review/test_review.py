"""--review pr|branch and `agentgit sync` (DESIGN §5) against a bare remote and a fake
GitHub REST server on loopback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import agentgit, git
from fakegithub import REPOSITORY, TOKEN, FakeGitHub
from helpers import clone, files, git_ok, merge_on_remote, protect_main, refs, rev, reviewed
from scripts import abandon_script, crystallize, draft, edit, keep_script, write_script

from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import Result, run, start
from agentgit.models.scripted import ScriptedModel
from agentgit.review.send import MAX_EXPLORATIONS
from agentgit.review.sync import sync


def test_review_pr_opens_a_labelled_pull_request_and_sync_keeps_it_once_merged(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub, tmp_path: Path
) -> None:
    main_before = rev(remote, "main")
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "pr")
    assert result.outcome == "in-review"
    assert result.review_url == f"https://github.example/{REPOSITORY}/pull/1"
    assert rev(remote, "main") == main_before  # review decides
    assert rev(remote, f"refs/heads/{result.branch}") == result.head
    assert rev(remote, "refs/agentgit/sessions/0001") == result.head
    pull = github_env.pulls[1]
    assert pull["head"]["ref"] == result.branch and pull["base"]["ref"] == "main"
    assert pull["labels"] == ["agentgit", "crystallized"]
    body = pull["body"]
    assert "Wrote tides." in body and "corpus/pieces/tides.md" in body
    assert "judgement: **crystallized**" in body and "cost" in body
    assert "Drafting tides." in body  # an exploration's reasoning, first line
    assert git(remote, "notes", "--ref", "refs/notes/agentgit", "show", str(result.head))

    assert sync(Repository.discover(corpus_repo), Settings()) == []  # still open
    merge_on_remote(remote, str(result.branch), tmp_path)
    github_env.close(1, merged=True)
    done = sync(Repository.discover(corpus_repo), Settings())
    assert [(d.session, d.outcome, d.pull) for d in done] == [(1, "crystallized", 1)]
    assert "corpus/pieces/tides.md" in files(remote, "main")
    assert not refs(remote, "refs/heads/session")
    assert rev(remote, "refs/agentgit/sessions/0001") == result.head
    log = agentgit(corpus_repo, "log", "--json")
    assert '"outcome": "crystallized"' in log.stdout and '"session": 1' in log.stdout
    main_after = rev(remote, "main")
    assert sync(Repository.discover(corpus_repo), Settings()) == []  # idempotent
    assert rev(remote, "main") == main_after


def test_a_pull_request_closed_unmerged_is_logged_abandoned_by_sync(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "pr")
    github_env.close(1, merged=False)
    proc = agentgit(corpus_repo, "sync")
    assert proc.returncode == 0, proc.stderr
    assert "Session 0001 abandoned" in proc.stdout
    tree = files(remote, "main")
    assert "corpus/pieces/tides.md" not in tree
    entry = git(remote, "show", "main:corpus/log/0001-tides.md")
    assert "outcome: abandoned" in entry and "closed in review" in entry
    assert not refs(remote, "refs/heads/session")
    assert rev(remote, "refs/agentgit/sessions/0001") == result.head
    main_after = rev(remote, "main")
    again = agentgit(corpus_repo, "sync")
    assert again.returncode == 0 and again.stdout == ""
    assert rev(remote, "main") == main_after


def test_an_existing_pull_request_is_updated_not_duplicated(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    github_env.pulls[1] = {
        "number": 1,
        "state": "open",
        "merged_at": None,
        "title": "old",
        "body": "old",
        "head": {"ref": "session/0001-tides"},
        "base": {"ref": "main"},
        "labels": [],
        "html_url": "u/1",
    }
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "pr")
    assert list(github_env.pulls) == [1]
    assert github_env.pulls[1]["body"] != "old" and "Wrote tides." in github_env.pulls[1]["body"]
    assert ("PATCH", f"/repos/{REPOSITORY}/pulls/1") in github_env.requests
    assert result.review_url == "u/1"


def test_review_branch_pushes_the_branch_and_stops(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    main_before = rev(remote, "main")
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "branch")
    assert result.outcome == "in-review"
    assert result.review_url == f"origin {result.branch}"
    assert rev(remote, f"refs/heads/{result.branch}") == result.head
    assert rev(remote, "main") == main_before
    assert github_env.requests == []


def test_an_abandoned_session_under_review_pr_opens_no_pull_request(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    result = reviewed(corpus_repo, abandon_script("dead-end"), "pr", topic="dead end")
    assert result.outcome == "abandoned"
    assert github_env.requests == []
    assert "corpus/log/0001-dead-end.md" in files(remote, "main")


def test_the_token_is_never_printed_logged_or_stored(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub, tmp_path: Path
) -> None:
    script = write_script(tmp_path / "keep.jsonl", keep_script("tides", "Tides"))
    proc = agentgit(
        corpus_repo,
        "session",
        "--review",
        "pr",
        "--topic",
        "tides",
        "--model",
        f"scripted:{script}",
    )
    assert proc.returncode == 0, proc.stderr
    assert "pull/1" in proc.stdout
    github_env.close(1, merged=False)
    synced = agentgit(corpus_repo, "sync", "--json")
    assert synced.returncode == 0, synced.stderr
    for out in (proc.stdout, proc.stderr, synced.stdout, synced.stderr):
        assert TOKEN not in out
    for path in (corpus_repo, remote):
        objects = subprocess.run(
            ["git", "cat-file", "--batch-all-objects", "--batch"], cwd=path, capture_output=True
        ).stdout
        assert objects and TOKEN.encode() not in objects
    assert TOKEN not in (corpus_repo / ".git" / "config").read_text()
    assert TOKEN not in (remote / "config").read_text()
    for found in (corpus_repo / ".git").rglob("*"):
        if found.is_file():
            assert TOKEN.encode() not in found.read_bytes(), found


def test_a_protected_main_sends_an_abandoned_sessions_log_entry_by_pull_request(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub, tmp_path: Path
) -> None:
    protect_main(remote)
    before = rev(remote, "main")
    result = reviewed(corpus_repo, abandon_script("dead-end"), "pr", topic="dead end")
    assert result.outcome == "abandoned" and result.main_commit is None
    assert result.review_url == f"https://github.example/{REPOSITORY}/pull/1"
    assert rev(remote, "main") == before  # never forced
    pull = github_env.pulls[1]
    assert pull["head"]["ref"] == "agentgit/log/0001" and pull["base"]["ref"] == "main"
    assert pull["labels"] == ["agentgit:log"]
    log_head = rev(remote, "refs/heads/agentgit/log/0001")
    assert git(remote, "rev-parse", f"{log_head}^").strip() == before
    changed = git(remote, "diff", "--name-only", before, log_head).split()
    assert changed == ["corpus/log/0001-dead-end.md"]  # the entry, nothing else
    assert rev(remote, "refs/agentgit/sessions/0001") == result.head
    assert not refs(remote, "refs/heads/session")  # the pull request carries the entry

    repo = Repository.discover(corpus_repo)
    assert sync(repo, Settings()) == []  # still open
    assert len(github_env.pulls) == 1

    # Merged (the protection lets a reviewed merge through): sync only cleans the branch.
    (remote / "hooks" / "pre-receive").unlink()
    merge_on_remote(remote, "agentgit/log/0001", tmp_path)
    github_env.close(1, merged=True)
    merged_main = rev(remote, "main")
    done = sync(repo, Settings())
    assert [(d.session, d.outcome, d.pull) for d in done] == [(1, "abandoned", 1)]
    assert "merged" in done[0].note
    assert not refs(remote, "refs/heads/agentgit")
    assert rev(remote, "main") == merged_main
    assert "corpus/log/0001-dead-end.md" in files(remote, "main")
    assert sync(repo, Settings()) == []  # idempotent

    # The merge button left agentgit's log commit as the merge's second parent; the log
    # still lists the session, once, in its place, and a resume knows it has ended.
    later = reviewed(corpus_repo, keep_script("tides", "Tides"), "merge")
    assert later.outcome == "crystallized"
    listed = [
        json.loads(line) for line in agentgit(corpus_repo, "log", "--json").stdout.splitlines()
    ]
    assert [(x["session"], x["outcome"]) for x in listed] == [(2, "crystallized"), (1, "abandoned")]
    assert listed[1]["head"] == result.head
    resumed = agentgit(corpus_repo, "resume", "1")
    assert resumed.returncode == 1 and "has already ended" in resumed.stderr


def test_a_closed_agentgit_log_pull_request_leaves_the_entry_archived(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    protect_main(remote)
    before = rev(remote, "main")
    result = reviewed(corpus_repo, abandon_script("dead-end"), "pr", topic="dead end")
    github_env.close(1, merged=False)
    proc = agentgit(corpus_repo, "sync")
    assert proc.returncode == 0, proc.stderr
    assert "Session 0001 abandoned" in proc.stdout
    assert "stays archived on refs/agentgit/sessions/0001" in proc.stdout
    assert rev(remote, "main") == before
    assert not refs(remote, "refs/heads/agentgit")
    head = rev(remote, "refs/agentgit/sessions/0001")
    assert head == result.head
    assert "outcome: abandoned" in git(remote, "show", f"{head}:corpus/log/0001-dead-end.md")
    again = agentgit(corpus_repo, "sync")
    assert again.returncode == 0 and again.stdout == ""


# -- sync for --review branch, and merges that are not merge commits ---------------------


def log_lines(path: Path) -> list[str]:
    return [line for line in agentgit(path, "log").stdout.splitlines() if line.strip()]


def test_a_review_branch_merged_by_hand_is_kept_by_sync_without_github(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "branch")
    assert rev(remote, "refs/agentgit/review/0001") == result.head
    repo = Repository.discover(corpus_repo)
    assert sync(repo, Settings()) == []  # waiting: nobody has decided
    assert rev(remote, f"refs/heads/{result.branch}") == result.head

    merge_on_remote(remote, str(result.branch), tmp_path)  # a person, by hand
    merged_main = rev(remote, "main")
    proc = agentgit(corpus_repo, "sync")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Session 0001 crystallized in review: merged into main\n"
    assert git(remote, "rev-parse", "main^").strip() == merged_main  # one record commit
    assert "Agentgit-Review: merged into main" in git(remote, "log", "-1", "main")
    assert not refs(remote, "refs/heads/session") and not refs(remote, "refs/agentgit/review")
    assert not refs(corpus_repo, "refs/heads/session")
    assert not refs(corpus_repo, "refs/agentgit/review")
    assert rev(remote, "refs/agentgit/sessions/0001") == result.head
    lines = log_lines(corpus_repo)
    assert len(lines) == 1 and "crystallized" in lines[0] and "[tides]" in lines[0]
    after = rev(remote, "main")
    again = agentgit(corpus_repo, "sync")
    assert again.returncode == 0 and again.stdout == ""
    assert rev(remote, "main") == after


def test_a_review_branch_deleted_on_the_remote_is_abandoned_closed_in_review(
    corpus_repo: Path, remote: Path
) -> None:
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "branch")
    git(remote, "update-ref", "-d", f"refs/heads/{result.branch}")  # a person said no
    done = sync(Repository.discover(corpus_repo), Settings())
    assert [(d.session, d.outcome, d.pull, d.note) for d in done] == [
        (1, "abandoned", None, "branch deleted without merging")
    ]
    assert "corpus/pieces/tides.md" not in files(remote, "main")
    entry = git(remote, "show", "main:corpus/log/0001-tides.md")
    assert "outcome: abandoned" in entry and "closed in review" in entry
    assert rev(remote, "refs/agentgit/sessions/0001") == result.head  # nothing lost
    assert "corpus/pieces/tides.md" in files(remote, str(result.head))
    assert not refs(remote, "refs/agentgit/review")
    assert sync(Repository.discover(corpus_repo), Settings()) == []


def test_a_squash_merged_pull_request_with_its_branch_deleted_is_kept_once(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub, tmp_path: Path
) -> None:
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "pr")
    work = clone(remote, tmp_path / "squasher")
    git(work, "merge", "-q", "--squash", f"origin/{result.branch}")
    git(work, "commit", "-q", "-m", "Session 0001: Tides (#1)")
    git(work, "push", "-q", "origin", "main", f":{result.branch}")  # auto-delete branch
    github_env.close(1, merged=True)
    assert result.head is not None
    assert not git_ok(remote, "merge-base", "--is-ancestor", result.head, "main")
    done = sync(Repository.discover(corpus_repo), Settings())
    assert [(d.session, d.outcome, d.pull, d.note) for d in done] == [
        (1, "crystallized", 1, "pull request #1 merged")
    ]
    lines = log_lines(corpus_repo)
    assert len(lines) == 1 and "crystallized" in lines[0]
    assert sync(Repository.discover(corpus_repo), Settings()) == []


def test_sync_leaves_a_session_running_on_another_machine_alone(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    other = clone(remote, tmp_path / "other")
    repo = Repository.discover(other)
    running = start(repo, Settings(model="scripted"), topic="tides", model_name="scripted")
    claimed = rev(remote, f"refs/heads/{running.branch}")
    assert sync(Repository.discover(corpus_repo), Settings()) == []
    assert rev(remote, f"refs/heads/{running.branch}") == claimed
    assert "corpus/log/0001-tides.md" not in files(remote, "main")


def test_a_session_waiting_on_review_is_listed_as_such_and_not_resumed(
    corpus_repo: Path, remote: Path
) -> None:
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "branch")
    log = agentgit(corpus_repo, "log")
    assert f"0001  (in-review) in-review     {result.branch}" in log.stdout
    before = refs(corpus_repo, "refs/")
    for args in (("resume", "1"), ("abandon", "1", "--reason", "no")):
        proc = agentgit(corpus_repo, *args)
        assert proc.returncode == 1
        assert proc.stderr.strip() == (
            "agentgit: session 0001 is waiting on review (session/0001-tides): merge it, or "
            "close its pull request or delete its branch, then `agentgit sync`"
        )
    assert refs(corpus_repo, "refs/") == before  # nothing touched


def test_a_session_decided_by_sync_on_another_machine_is_forgotten_here(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "branch")
    other = clone(remote, tmp_path / "ci-runner")
    merge_on_remote(remote, str(result.branch), tmp_path)
    done = sync(Repository.discover(other), Settings())
    assert [(d.session, d.outcome) for d in done] == [(1, "crystallized")]
    assert refs(corpus_repo, "refs/agentgit/review")  # this clone does not know yet
    assert sync(Repository.discover(corpus_repo), Settings()) == []
    assert not refs(corpus_repo, "refs/agentgit/review")
    assert not refs(corpus_repo, "refs/heads/session")
    assert "(in-review)" not in agentgit(corpus_repo, "log").stdout
    assert rev(corpus_repo, "refs/agentgit/sessions/0001") == result.head


@pytest.mark.parametrize("merged", [True, False])
def test_sync_on_a_protected_main_records_by_an_agentgit_log_pull_request(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub, tmp_path: Path, merged: bool
) -> None:
    protect_main(remote)
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "pr")
    hook = remote / "hooks" / "pre-receive"
    if merged:  # a reviewed merge gets past the protection
        hook.rename(tmp_path / "hook")
        merge_on_remote(remote, str(result.branch), tmp_path)
        (tmp_path / "hook").rename(hook)
    github_env.close(1, merged=merged)
    before = rev(remote, "main")

    proc = agentgit(corpus_repo, "sync")
    assert proc.returncode == 0, proc.stderr
    verdict = "crystallized" if merged else "abandoned"
    assert f"Session 0001 {verdict} in review" in proc.stdout
    assert "recorded by agentgit:log pull request https://github.example/" in proc.stdout
    assert rev(remote, "main") == before  # never forced
    assert github_env.pulls[2]["labels"] == ["agentgit:log"]
    log_head = rev(remote, "refs/heads/agentgit/log/0001")
    changed = git(remote, "diff", "--name-only", before, log_head).split()
    assert changed == ([] if merged else ["corpus/log/0001-tides.md"])
    # The session's own review is over: branch and review ref gone, head archived.
    assert not refs(remote, "refs/heads/session") and not refs(remote, "refs/agentgit/review")
    assert rev(remote, "refs/agentgit/sessions/0001") == result.head
    assert agentgit(corpus_repo, "sync").stdout == ""  # waiting on the log pull request

    hook.unlink()
    merge_on_remote(remote, "agentgit/log/0001", tmp_path)
    github_env.close(2, merged=True)
    assert "merged" in agentgit(corpus_repo, "sync").stdout
    assert not refs(remote, "refs/heads/agentgit")
    git(corpus_repo, "pull", "-q", "--ff-only", "origin", "main")
    listed = [
        json.loads(line) for line in agentgit(corpus_repo, "log", "--json").stdout.splitlines()
    ]
    assert [(x["session"], x["outcome"]) for x in listed] == [(1, verdict)]
    assert agentgit(corpus_repo, "sync").stdout == ""


# -- needs-review branches wait on a person too --------------------------------------------


def needs_review_session(corpus: Path, remote: Path) -> tuple[Result, str]:
    """Session 1 keeps a revision of tides that conflicts with session 2's, which landed
    first: session 1 ends needs-review with its branch and a review ref on the remote."""
    piece = corpus / "corpus" / "pieces" / "tides.md"
    piece.write_text("---\ntitle: Tides\nsummary: About tides.\n---\n\nOriginal body.\n")
    git(corpus, "add", str(piece))
    git(corpus, "commit", "--no-verify", "-q", "-m", "Add tides by hand")
    git(corpus, "push", "-q", "origin", "main")
    repo = Repository.discover(corpus)
    settings = Settings(model="scripted")
    a = start(repo, settings, topic="revise a", model_name="scripted")
    b = start(repo, settings, topic="revise b", model_name="scripted")
    assert (
        run(
            repo, b, ScriptedModel(keep_script("tides", "Tides", body="B: gravity.\n")), settings
        ).outcome
        == "crystallized"
    )
    ra = run(repo, a, ScriptedModel(keep_script("tides", "Tides", body="A: the moon.\n")), settings)
    assert ra.outcome == "needs-review"
    assert rev(remote, "refs/agentgit/review/0001") == ra.head
    return ra, str(ra.branch)


def test_a_needs_review_branch_a_person_merged_is_recorded_kept_by_sync(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    result, branch = needs_review_session(corpus_repo, remote)
    assert sync(Repository.discover(corpus_repo), Settings()) == []  # nobody decided yet
    work = clone(remote, tmp_path / "person")
    git(work, "merge", "-q", "--no-ff", "-X", "theirs", "-m", "Merge A by hand", f"origin/{branch}")
    git(work, "push", "-q", "origin", "main")

    proc = agentgit(corpus_repo, "sync")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Session 0001 crystallized in review: merged into main\n"
    entry = git(remote, "show", "main:corpus/log/0001-revise-a.md")
    assert "outcome: crystallized" in entry and "## Kept in review" in entry
    assert "A: the moon." in git(remote, "show", "main:corpus/pieces/tides.md")
    assert not refs(remote, "refs/heads/session") and not refs(remote, "refs/agentgit/review")
    git(corpus_repo, "pull", "-q", "--ff-only", "origin", "main")
    lines = [
        ln for ln in agentgit(corpus_repo, "log").stdout.splitlines() if ln.startswith("0001 ")
    ]
    assert len(lines) == 1 and " crystallized " in lines[0], lines
    assert agentgit(corpus_repo, "sync").stdout == ""


def test_a_needs_review_branch_deleted_is_recorded_abandoned_by_sync(
    corpus_repo: Path, remote: Path
) -> None:
    result, branch = needs_review_session(corpus_repo, remote)
    git(remote, "update-ref", "-d", f"refs/heads/{branch}")
    done = sync(Repository.discover(corpus_repo), Settings())
    assert [(d.session, d.outcome) for d in done] == [(1, "abandoned")]
    entry = git(remote, "show", "main:corpus/log/0001-revise-a.md")
    assert "outcome: abandoned" in entry and "closed in review" in entry
    assert "B: gravity." in git(remote, "show", "main:corpus/pieces/tides.md")
    assert rev(remote, "refs/agentgit/sessions/0001") == result.head


def test_abandoning_a_needs_review_session_also_ends_it_on_the_remote(
    corpus_repo: Path, remote: Path
) -> None:
    result, branch = needs_review_session(corpus_repo, remote)
    proc = agentgit(corpus_repo, "abandon", "1", "--reason", "B said it better")
    assert proc.returncode == 0, proc.stderr
    entry = git(remote, "show", "main:corpus/log/0001-revise-a.md")
    assert "outcome: abandoned" in entry and "B said it better" in entry
    assert rev(remote, "main") == rev(corpus_repo, "main")
    assert not refs(remote, "refs/heads/session") and not refs(remote, "refs/agentgit/review")
    assert not refs(corpus_repo, "refs/agentgit/review")
    assert sync(Repository.discover(corpus_repo), Settings()) == []


def test_a_persons_own_commits_on_the_session_branch_here_are_not_pruned(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    result = reviewed(corpus_repo, keep_script("tides", "Tides"), "branch")
    branch = f"refs/heads/{result.branch}"
    # A person polishes the piece on the branch here and has not pushed yet...
    work = tmp_path / "polish"
    git(corpus_repo, "worktree", "add", "-q", str(work), str(result.branch))
    (work / "corpus" / "pieces" / "tides.md").write_text("Polished by hand.\n")
    git(work, "commit", "-qam", "Polish tides")
    git(corpus_repo, "worktree", "remove", str(work))
    polished = rev(corpus_repo, branch)
    # ...while the review is decided and recorded from another machine.
    merge_on_remote(remote, str(result.branch), tmp_path)
    assert sync(Repository.discover(clone(remote, tmp_path / "ci")), Settings())
    assert sync(Repository.discover(corpus_repo), Settings()) == []
    assert not refs(corpus_repo, "refs/agentgit/review")
    assert rev(corpus_repo, branch) == polished  # kept: it holds work nowhere else


def push_ahead_of_main(corpus_repo: Path, branch: str) -> None:
    """`branch` on the remote, one commit ahead of main (GitHub opens no pull request for
    a head with nothing new)."""
    ahead = git(corpus_repo, "commit-tree", "main^{tree}", "-p", "main", "-m", "More").strip()
    git(corpus_repo, "push", "-q", "origin", f"{ahead}:refs/heads/{branch}")


def test_github_refuses_what_it_refuses_and_says_why_in_one_line(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    """A pull request needs its head and base on the remote, a commit in head that base
    lacks, and one open per head;
    labels and updates need the issue. GitHub's error body names the field (a 422 says
    which only in `errors`), and the one-line error carries it."""
    from agentgit.review.github import GitHub, GitHubError

    client = GitHub(TOKEN, REPOSITORY, github_env.url)
    with pytest.raises(GitHubError) as refused:
        client.open_or_update_pull("session/0009-nowhere", "main", "t", "b")
    assert (refused.value.status, str(refused.value)) == (
        422,
        f"GitHub POST /repos/{REPOSITORY}/pulls: 422 Validation Failed: head invalid",
    )
    git(corpus_repo, "push", "-q", "origin", "main:refs/heads/session/0009-here")
    with pytest.raises(GitHubError, match="No commits between main and session/0009-here"):
        client.open_or_update_pull("session/0009-here", "main", "t", "b")
    push_ahead_of_main(corpus_repo, "session/0009-here")
    with pytest.raises(GitHubError, match="422 Validation Failed: base invalid"):
        client.open_or_update_pull("session/0009-here", "trunk", "t", "b")
    assert github_env.pulls == {}
    opened = client.open_or_update_pull("session/0009-here", "main", "t", "b")
    with pytest.raises(GitHubError, match="A pull request already exists for octo:session/0009"):
        client.request(
            "POST",
            f"/repos/{REPOSITORY}/pulls",
            {"head": "session/0009-here", "base": "main", "title": "t"},
        )
    assert (
        client.open_or_update_pull("session/0009-here", "main", "t2", "b")["number"]
        == (opened["number"])
    )
    with pytest.raises(GitHubError, match="404 Not Found") as missing:
        client.add_labels(99, ["agentgit"])
    assert missing.value.status == 404
    with pytest.raises(GitHubError, match="404 Not Found"):
        client.request("PATCH", f"/repos/{REPOSITORY}/pulls/99", {"title": "x"})
    with pytest.raises(GitHubError, match="401 Bad credentials"):
        GitHub("ghs_wrong", REPOSITORY, github_env.url).pull(opened["number"])


def test_a_pull_request_text_too_long_for_github_is_cut_to_fit(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    """GitHub refuses a body over 65536 characters (and a title over 256), on create
    and on update; the client cuts what it sends to fit, and says where the rest is."""
    from agentgit.review.github import GitHub, GitHubError

    push_ahead_of_main(corpus_repo, "session/0009-here")
    client = GitHub(TOKEN, REPOSITORY, github_env.url)
    pulls = f"/repos/{REPOSITORY}/pulls"
    long = {"head": "session/0009-here", "base": "main", "title": "t", "body": "x" * 65537}
    with pytest.raises(GitHubError, match="body is too long \\(maximum is 65536 characters\\)"):
        client.request("POST", pulls, long)
    with pytest.raises(GitHubError, match="title is too long"):
        client.request("POST", pulls, {**long, "body": "", "title": "t" * 257})
    assert github_env.pulls == {}
    opened = client.open_or_update_pull("session/0009-here", "main", "t", "short")
    with pytest.raises(GitHubError, match="body is too long"):  # the update is refused too
        client.request("PATCH", f"{pulls}/{opened['number']}", {"body": "x" * 65537})
    assert github_env.pulls[opened["number"]]["body"] == "short"

    updated = client.open_or_update_pull("session/0009-here", "main", "T" * 300, "y" * 70000)
    assert updated["number"] == opened["number"]
    assert len(updated["title"]) == 256 and len(updated["body"]) <= 65536
    assert updated["body"].startswith("y" * 60000)
    assert updated["body"].endswith("(cut to the 65536 characters GitHub takes)\n")


def test_a_long_session_lists_its_newest_explorations_and_keeps_the_body_whole(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    # A night of experiments makes hundreds of commits: listing them all ran the body past
    # what GitHub takes, and the cut took the usage and the footer with it.
    edits = MAX_EXPLORATIONS + 9
    turns = [draft("tides", "Tides", "Step 0.\n", summary="On tides.", tags=["test"])]
    turns += [
        edit("tides", f"Step {n}.", f"Step {n + 1}.", f"Edit number {n + 1}.") for n in range(edits)
    ]
    turns.append(crystallize(["tides"], summary="Wrote tides."))
    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted", review="pr", max_turns=len(turns) + 5)
    current = start(repo, settings, topic="tides", model_name="scripted")
    result = run(repo, current, ScriptedModel(turns), settings)
    assert result.outcome == "in-review"
    body = github_env.pulls[1]["body"]
    explorations = body.split("### Explorations", 1)[1].split("### Usage", 1)[0]
    listed = [ln for ln in explorations.splitlines() if ln.startswith("- `")]
    assert len(listed) == MAX_EXPLORATIONS
    assert listed[-1].endswith("Wrote tides.")  # the judgement, newest, last
    assert f"Edit number {edits}." in listed[-2]
    assert "Edit number 1." not in explorations and "Drafting tides." not in explorations
    assert "earlier explorations (`git log " in explorations
    assert "Merging this pull request keeps the session" in body  # the footer is whole
