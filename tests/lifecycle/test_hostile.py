"""Hostile input to a session's lifecycle, as the issue 17 sweep tried it: each test does
what the sweep did."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import agentgit, git
from helpers import attached_remote, kill_keep_script, killed_session, session_run
from scripts import crystallize, draft, write_script


def test_a_three_megabyte_summary_is_bounded_on_main(corpus_repo: Path) -> None:
    huge = "The tide turns. " * 200_000  # 3.2 MB
    session_run(
        corpus_repo,
        [draft("tides", "Tides", "The moon pulls the sea.\n"), crystallize(["tides"], huge)],
    )
    message = git(corpus_repo, "log", "-1", "--format=%B", "main")
    assert len(message) < 6_000
    assert "The tide turns." in message and "(cut: " in message
    (entry,) = (corpus_repo / "corpus" / "log").glob("0001-*.md")
    assert entry.stat().st_size < 10_000


def test_dot_git_agentgit_being_a_file_is_one_line(corpus_repo: Path, tmp_path: Path) -> None:
    (corpus_repo / ".git" / "agentgit").write_text("not a folder\n")
    script = write_script(tmp_path / "s.jsonl", [draft("tides", "Tides", "Body.\n")])
    for args in (["session", "--model", f"scripted:{script}"], ["log"], ["map"]):
        proc = agentgit(corpus_repo, *args)
        assert proc.returncode in (1, 2), (args, proc.stderr)
        assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert ".git/agentgit" in proc.stderr


@pytest.mark.parametrize("kind", ["tree", "blob"])
def test_a_notes_ref_that_is_no_commit_is_named_not_retried(
    corpus_repo: Path, tmp_path: Path, kind: str
) -> None:
    """refs/notes/agentgit at a tree or a blob: session, resume and abandon each say in
    one line which ref is damaged (not "the notes ref kept moving"), and change nothing;
    put back, the session resumes."""
    session_run(corpus_repo, [draft("tides", "Tides", "Body.\n"), crystallize(["tides"])])
    model = f"scripted:{kill_keep_script(tmp_path / 'keep.jsonl')}"
    killed_session(corpus_repo, model, "step:1")
    notes = git(corpus_repo, "rev-parse", "refs/notes/agentgit").strip()
    if kind == "tree":
        bad = git(corpus_repo, "rev-parse", "main^{tree}").strip()
    else:
        (tmp_path / "blob").write_text("not notes\n")
        bad = git(corpus_repo, "hash-object", "-w", str(tmp_path / "blob")).strip()
    git(corpus_repo, "update-ref", "refs/notes/agentgit", bad)
    before = git(corpus_repo, "for-each-ref")
    for args in (
        ["session", "--model", model],
        ["resume", "2"],
        ["abandon", "2", "--reason", "x"],
    ):
        proc = agentgit(corpus_repo, *args)
        assert proc.returncode == 1, (args, proc.stderr)
        assert proc.stderr.splitlines() == [
            f"agentgit: refs/notes/agentgit points at a {kind}, not a commit: it is damaged; "
            "`git reflog refs/notes/agentgit` shows where it was, and "
            "`git update-ref refs/notes/agentgit COMMIT` puts it back"
        ], args
        assert git(corpus_repo, "for-each-ref") == before
    git(corpus_repo, "update-ref", "refs/notes/agentgit", notes)
    done = agentgit(corpus_repo, "resume", "2")
    assert done.returncode == 0, done.stderr
    assert "Session 0002 crystallized" in done.stdout


def test_a_remote_notes_ref_that_is_no_commit_is_named_before_a_claim(
    corpus_repo: Path, tmp_path: Path
) -> None:
    """origin's refs/notes/agentgit at a tree: a session says so in one line, naming the
    remote, before it claims an id (here or there); put back, the session runs."""
    remote = attached_remote(tmp_path, corpus_repo)
    session_run(corpus_repo, [draft("tides", "Tides", "Body.\n"), crystallize(["tides"])])
    notes = git(remote, "rev-parse", "refs/notes/agentgit").strip()
    git(
        remote, "update-ref", "refs/notes/agentgit", git(remote, "rev-parse", "main^{tree}").strip()
    )
    before = git(corpus_repo, "for-each-ref"), git(remote, "for-each-ref")
    script = write_script(
        tmp_path / "s.jsonl", [draft("ebb", "Ebb", "Body.\n"), crystallize(["ebb"])]
    )
    proc = agentgit(corpus_repo, "session", "--model", f"scripted:{script}")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        "agentgit: origin's refs/notes/agentgit points at a tree, not a commit: it is "
        "damaged; push a whole one back to it (`git push --force origin "
        "COMMIT:refs/notes/agentgit`)"
    ]
    assert (git(corpus_repo, "for-each-ref"), git(remote, "for-each-ref")) == before
    git(remote, "update-ref", "refs/notes/agentgit", notes)
    done = agentgit(corpus_repo, "session", "--model", f"scripted:{script}")
    assert done.returncode == 0, done.stderr
