"""Standing instructions (issue 9, item 9): sessions run main's corpus/PROGRAM.md, and
say so when the user's work tree has another; init says what it did with one it found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import agentgit, git
from scripts import keep_script, write_script

PROGRAM = "corpus/PROGRAM.md"
MINE = "My own standing instructions.\n"


def _session(repo: Path, tmp_path: Path, *args: str) -> tuple[str, str]:
    """Run a short session; its stderr and the system prompt its transcript recorded."""
    script = write_script(tmp_path / "s.jsonl", keep_script())
    proc = agentgit(repo, "session", "--model", f"scripted:{script}", *args)
    assert proc.returncode == 0, proc.stderr
    note = git(repo, "notes", "--ref", "agentgit", "show", "refs/agentgit/sessions/0001")
    return proc.stderr + proc.stdout, json.loads(note)["system"]


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if "PROGRAM.md" in line]


@pytest.mark.parametrize(
    "change, said",
    [
        (
            "edit",
            "warning: corpus/PROGRAM.md in your working copy differs from main's; this "
            "session runs main's (commit it to main to use it)",
        ),
        (
            "delete",
            "warning: corpus/PROGRAM.md is deleted in your working copy; this session runs main's",
        ),
    ],
)
def test_a_session_says_when_the_working_copy_program_is_not_mains(
    corpus_repo: Path, tmp_path: Path, change: str, said: str
) -> None:
    mains = git(corpus_repo, "show", f"main:{PROGRAM}")
    path = corpus_repo / PROGRAM
    if change == "edit":
        path.write_text(MINE, "utf-8")
    else:
        path.unlink()
    output, system = _session(corpus_repo, tmp_path)
    assert _warnings(output) == [said]
    assert system == mains  # main's, as it said
    # The user's uncommitted change is theirs: untouched, still uncommitted.
    assert (path.read_text("utf-8") if path.exists() else None) == (
        MINE if change == "edit" else None
    )
    assert git(corpus_repo, "show", f"main:{PROGRAM}") == mains


def test_a_session_is_quiet_when_the_program_is_mains_and_warns_in_json(
    corpus_repo: Path, tmp_path: Path
) -> None:
    output, _ = _session(corpus_repo, tmp_path)
    assert _warnings(output) == []

    (corpus_repo / PROGRAM).write_text(MINE, "utf-8")
    script = write_script(tmp_path / "s2.jsonl", keep_script("moons", "Moons"))
    proc = agentgit(corpus_repo, "session", "--json", "--model", f"scripted:{script}")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[0]["event"] == "warning" and "differs from main's" in events[0]["message"]


def _mine_repo(tmp_path: Path, *, commit: bool) -> Path:
    repo = tmp_path / "mine"
    (repo / "corpus").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("readme\n")
    (repo / PROGRAM).write_text(MINE, "utf-8")
    git(repo, "add", "README.md", *([PROGRAM] if commit else []))
    git(repo, "commit", "-q", "-m", "mine")
    return repo


def test_init_commits_an_untracked_program_it_adopts_and_sessions_run_it(tmp_path: Path) -> None:
    repo = _mine_repo(tmp_path, commit=False)
    proc = agentgit(tmp_path, "init", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert (
        "Adopted your corpus/PROGRAM.md: committed it with the skeleton, so sessions run it"
    ) in proc.stdout.splitlines()
    assert git(repo, "show", f"main:{PROGRAM}") == MINE
    assert PROGRAM in git(repo, "show", "--name-only", "--format=", "main").split()
    assert git(repo, "status", "--porcelain", "--", PROGRAM) == ""
    output, system = _session(repo, tmp_path)
    assert system == MINE and _warnings(output) == []


def test_init_keeps_a_committed_program_and_says_so(tmp_path: Path) -> None:
    repo = _mine_repo(tmp_path, commit=True)
    proc = agentgit(tmp_path, "init", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert "Kept your corpus/PROGRAM.md as committed on main: sessions run it" in proc.stdout

    (repo / PROGRAM).write_text(MINE + "An uncommitted line.\n", "utf-8")
    again = agentgit(repo, "init")
    assert again.returncode == 0, again.stderr
    assert (
        "Kept corpus/PROGRAM.md as committed on main; sessions run that one, not your "
        "uncommitted changes to it, until you commit them"
    ) in again.stdout
    assert git(repo, "show", f"main:{PROGRAM}") == MINE
    assert (repo / PROGRAM).read_text("utf-8") == MINE + "An uncommitted line.\n"

    # agentgit's own program, from an earlier init, is nothing to report.
    fresh = agentgit(tmp_path, "init", "fresh")
    again = agentgit(tmp_path / "fresh", "init")
    assert fresh.returncode == again.returncode == 0
    assert "Kept" not in fresh.stdout + again.stdout
