"""Hostile input to a session's lifecycle, as the issue 17 sweep tried it: each test does
what the sweep did."""

from __future__ import annotations

from pathlib import Path

from conftest import agentgit, git
from helpers import session_run
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
