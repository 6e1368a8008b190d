"""The command line (DESIGN §4): init on every kind of path, check, exit codes, help.

Every error is one line on stderr with no traceback; bad usage exits 2.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import agentgit, git
from scripts import keep_script, write_script

VENV_BIN = Path(sys.executable).parent
COMMANDS = [
    "init", "check", "session", "resume", "abandon", "log", "show", "replay", "demo", "map",
    "questions", "experiments", "landscape",
]  # fmt: skip


def one_line_error(proc: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("agentgit: ")
    return lines[0]


def files(path: Path, rev: str = "main") -> set[str]:
    return set(git(path, "ls-tree", "-r", "--name-only", rev).split())


# -- init ------------------------------------------------------------------------------


def test_init_a_new_directory_given_a_relative_path(tmp_path: Path) -> None:
    proc = agentgit(tmp_path, "init", "fresh")
    assert proc.returncode == 0, proc.stderr
    repo = tmp_path / "fresh"
    assert "Created corpus repository" in proc.stdout
    assert not (repo / "fresh").exists()
    assert {
        "corpus/PROGRAM.md",
        "corpus/pieces/.gitkeep",
        "corpus/log/.gitkeep",
        "hooks/pre-commit",
        "agentgit.toml",
    } <= files(repo)
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(repo, "config", "core.hooksPath").strip() == "hooks"
    assert os.access(repo / "hooks/pre-commit", os.X_OK)
    assert len(git(repo, "log", "--format=%H", "main").split()) == 1
    assert git(repo, "status", "--porcelain") == ""


def test_init_adopts_a_repository_without_overwriting_anything(tmp_path: Path) -> None:
    repo = tmp_path / "mine"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("my readme\n")
    (repo / "corpus").mkdir()
    (repo / "corpus/PROGRAM.md").write_text("My own program.\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "mine")
    (repo / "notes.txt").write_text("untracked\n")
    (repo / "agentgit.toml").write_text("max_turns = 7\n")  # untracked, but the user's
    first = git(repo, "rev-parse", "main").strip()

    proc = agentgit(tmp_path, "init", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert "Adopted" in proc.stdout
    assert (repo / "README.md").read_text() == "my readme\n"
    assert (repo / "corpus/PROGRAM.md").read_text() == "My own program.\n"
    assert (repo / "agentgit.toml").read_text() == "max_turns = 7\n"
    assert (repo / "notes.txt").read_text() == "untracked\n"
    assert git(repo, "rev-parse", "main^").strip() == first
    added = set(git(repo, "diff", "--name-only", first, "main").split())
    assert added == {"corpus/pieces/.gitkeep", "corpus/log/.gitkeep", "hooks/pre-commit"}
    assert git(repo, "config", "core.hooksPath").strip() == "hooks"

    head = git(repo, "rev-parse", "main").strip()
    again = agentgit(repo, "init")
    assert again.returncode == 0, again.stderr
    assert "Nothing to add" in again.stdout
    assert git(repo, "rev-parse", "main").strip() == head
    assert git(repo, "config", "core.hooksPath").strip() == "hooks"


def test_init_refuses_a_bare_repository(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    line = one_line_error(agentgit(tmp_path, "init", str(bare)))
    assert "bare" in line
    assert not (bare / "corpus").exists()


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("not a directory\n")
    line = one_line_error(agentgit(tmp_path, "init", str(target)))
    assert "is a file" in line
    assert target.read_text() == "not a directory\n"


def test_init_refuses_a_repository_in_the_middle_of_a_merge(tmp_path: Path) -> None:
    repo = tmp_path / "merging"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "f.txt").write_text("base\n")
    git(repo, "add", "f.txt")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "switch", "-q", "-c", "other")
    (repo / "f.txt").write_text("other\n")
    git(repo, "commit", "-q", "-am", "other")
    git(repo, "switch", "-q", "main")
    (repo / "f.txt").write_text("main\n")
    git(repo, "commit", "-q", "-am", "main")
    git(repo, "merge", "other", check=False)
    assert (repo / ".git/MERGE_HEAD").exists()

    line = one_line_error(agentgit(repo, "init"))
    assert "merge is in progress" in line
    assert not (repo / "corpus").exists()
    assert (repo / ".git/MERGE_HEAD").exists()


def test_init_refuses_a_repository_whose_branch_is_not_main(tmp_path: Path) -> None:
    repo = tmp_path / "master"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    git(repo, "commit", "-q", "--allow-empty", "-m", "first")
    one_line_error(agentgit(repo, "init"))
    assert not (repo / "corpus").exists()


# -- errors and usage -------------------------------------------------------------------------


def test_commands_outside_a_repository_are_one_line_errors(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    for args in (["log"], ["show", "1"], ["check"], ["resume", "1"], ["replay", "1"]):
        line = one_line_error(agentgit(outside, *args))
        assert "not a git repository" in line


@pytest.mark.parametrize(
    "args",
    [
        ["session", "--max-turns", "0"],
        ["session", "--max-cost", "-1"],
        ["log", "--bogus"],
        ["log", "-n", "zero"],
        ["show", "one"],
        ["abandon", "1"],  # --reason is required
        ["no-such-command"],
    ],
)
def test_bad_usage_exits_2(corpus_repo: Path, args: list[str]) -> None:
    # One line like every other error, naming where the help is.
    line = one_line_error(agentgit(corpus_repo, *args), code=2)
    assert re.search(r"\(see 'agentgit( [a-z]+)? -h'\)$", line), line


def test_abandon_with_an_empty_reason_is_usage(corpus_repo: Path) -> None:
    proc = agentgit(corpus_repo, "abandon", "1", "--reason", "  ")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_resume_and_abandon_of_no_such_session(corpus_repo: Path) -> None:
    # No model is given and no API key is set: the missing session is what is reported.
    assert one_line_error(agentgit(corpus_repo, "resume", "99")) == "agentgit: no open session 0099"
    assert (
        one_line_error(agentgit(corpus_repo, "abandon", "99", "--reason", "x"))
        == "agentgit: no open session 0099"
    )
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session", "refs/agentgit")


def test_session_with_a_missing_script_is_one_line(corpus_repo: Path, tmp_path: Path) -> None:
    before = git(corpus_repo, "rev-parse", "main")
    line = one_line_error(
        agentgit(corpus_repo, "session", "--model", f"scripted:{tmp_path / 'missing.jsonl'}")
    )
    assert "cannot read" in line
    assert git(corpus_repo, "rev-parse", "main") == before
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")


def test_session_in_a_repository_without_main_is_one_line(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    script = write_script(tmp_path / "s.jsonl", keep_script())
    line = one_line_error(agentgit(repo, "session", "--model", f"scripted:{script}"))
    assert "agentgit init" in line


def test_a_broken_piece_on_main_does_not_stop_a_session(corpus_repo: Path, tmp_path: Path) -> None:
    broken = "---\ntitle: [unclosed\n---\nA person wrote this.\n"
    (corpus_repo / "corpus/pieces/broken.md").write_text(broken)
    git(corpus_repo, "add", "corpus/pieces/broken.md")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "A broken piece")
    script = write_script(tmp_path / "s.jsonl", keep_script("tides"))
    proc = agentgit(corpus_repo, "session", "--model", f"scripted:{script}")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert re.search(r"^warning: skipped corpus/pieces/broken\.md:\d+: ", proc.stderr, re.M)
    assert "Session 0001 crystallized" in proc.stdout
    assert git(corpus_repo, "show", "main:corpus/pieces/broken.md") == broken
    assert "corpus/pieces/tides.md" in files(corpus_repo)


# -- check -------------------------------------------------------------------------------------


GOOD = "---\ntitle: Good\nsummary: Fine.\n---\n\nBody.\n"


def test_check_names_file_line_and_reason(corpus_repo: Path) -> None:
    pieces = corpus_repo / "corpus/pieces"
    (pieces / "good.md").write_text(GOOD)
    ok = agentgit(corpus_repo, "check")
    assert ok.returncode == 0 and ok.stdout == "", ok.stdout + ok.stderr

    (pieces / "broken-yaml.md").write_text("---\ntitle: Fine\ntags: [a, b\n---\nBody.\n")
    (pieces / "no-title.md").write_text("---\nsummary: Untitled.\n---\nBody.\n")
    (pieces / "Bad_Slug.md").write_text(GOOD)
    (pieces / "notes.txt").write_text("plain text\n")
    proc = agentgit(corpus_repo, "check")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4, lines
    expect = {
        "broken-yaml.md": r"corpus/pieces/broken-yaml\.md:[34]: bad YAML",
        "no-title.md": r"corpus/pieces/no-title\.md:\d+: missing title",
        "Bad_Slug.md": r"corpus/pieces/Bad_Slug\.md:1: bad file name",
        "notes.txt": r"corpus/pieces/notes\.txt:1: not a markdown file",
    }
    for name, pattern in expect.items():
        assert [ln for ln in lines if re.match(pattern, ln)], (name, lines)

    # Given paths, only those are checked.
    only = agentgit(corpus_repo, "check", "corpus/pieces/good.md")
    assert only.returncode == 0 and only.stdout == ""
    one = agentgit(corpus_repo / "corpus", "check", "pieces/no-title.md")
    assert one.returncode == 1 and len(one.stdout.splitlines()) == 1


def _commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`git commit` with the venv's agentgit on PATH, as the hook expects to find it."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["git", "commit", "-q", *args], cwd=repo, capture_output=True, text=True, env=env
    )


def test_the_pre_commit_hook_refuses_a_broken_piece(corpus_repo: Path) -> None:
    assert git(corpus_repo, "config", "core.hooksPath").strip() == "hooks"
    before = git(corpus_repo, "rev-parse", "main").strip()
    (corpus_repo / "corpus/pieces/broken.md").write_text("---\nsummary: No title.\n---\nx\n")
    git(corpus_repo, "add", "corpus/pieces/broken.md")
    refused = _commit(corpus_repo, "-m", "A broken piece")
    assert refused.returncode != 0
    assert "corpus/pieces/broken.md:" in refused.stdout + refused.stderr
    assert "missing title" in refused.stdout + refused.stderr
    assert git(corpus_repo, "rev-parse", "main").strip() == before

    git(corpus_repo, "rm", "-q", "--cached", "corpus/pieces/broken.md")
    (corpus_repo / "corpus/pieces/good.md").write_text(GOOD)
    git(corpus_repo, "add", "corpus/pieces/good.md")
    accepted = _commit(corpus_repo, "-m", "A good piece")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(corpus_repo, "rev-parse", "main^").strip() == before
    # The broken file is on disk but not staged: --staged checks only what is committed.
    assert (corpus_repo / "corpus/pieces/broken.md").exists()


# -- help ---------------------------------------------------------------------------------------


def test_python_dash_m_and_the_console_script_both_answer_help(tmp_path: Path) -> None:
    by_module = agentgit(tmp_path, "--help")
    assert by_module.returncode == 0 and "Usage:" in by_module.stdout
    script = subprocess.run(
        [str(VENV_BIN / "agentgit"), "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert script.returncode == 0 and script.stdout == by_module.stdout.replace(
        "python -m agentgit", "agentgit"
    )
    for command in COMMANDS:
        assert command in by_module.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(tmp_path: Path, command: str) -> None:
    proc = agentgit(tmp_path, command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert f"agentgit {command}" in proc.stdout and len(proc.stdout.splitlines()) > 3


def test_every_command_is_listed_here() -> None:
    from agentgit.cli import cli

    assert set(cli.commands) <= set(COMMANDS) | {"sync"}
