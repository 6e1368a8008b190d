"""The code tools of an experiment session (DESIGN §10): a write outside `editable` (the
evaluator, agentgit.toml, PROGRAM.md, the hooks), outside the repository or through a
symbolic link is an is_error naming why, and nothing it named changes."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import git
from helpers import session_run
from scripts import Turn, abandon, turn
from toy import answers, edit_file, metric, toy_repo, write


def read_file(path: str) -> Turn:
    return turn("read_file", {"path": path}, f"Reading {path}.")


def test_writes_outside_the_editable_globs_are_refused_naming_them(
    corpus_repo: Path, tmp_path: Path
) -> None:
    toy_repo(corpus_repo)
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 1\n", "utf-8")
    (corpus_repo / "models").mkdir()
    (corpus_repo / "models" / "real.py").write_text("Y = 1\n", "utf-8")
    os.symlink(outside, corpus_repo / "models" / "net.py")
    git(corpus_repo, "add", "models")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "A model file that is a link")
    hook = corpus_repo / ".git" / "hooks" / "pre-commit"
    hook_before = hook.read_bytes() if hook.exists() else None
    turns = [
        write("agentgit.toml", "[metric]\n"),
        write("corpus/PROGRAM.md", "Rewrite the evaluator.\n"),
        edit_file("evaluate.py", "print", "0 and print"),
        write(".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n"),
        write("../escape.py", "X = 1\n"),
        write("/tmp/escape.py", "X = 1\n"),
        write("models/net.py", "SECRET = 2\n"),
        read_file(".git/config"),
        read_file("untracked.py"),
        read_file("evaluate.py"),  # read-only, but readable
        abandon("nothing to change"),
    ]
    (corpus_repo / "untracked.py").write_text("X = 0\n", "utf-8")
    config = metric(editable=("train.py", "models/*.py"))
    assert session_run(corpus_repo, turns, topic="toy", metric=config).outcome == "abandoned"
    told = answers(corpus_repo)
    globs = "only train.py, models/*.py may change (the evaluator and the rest are read-only)"
    assert told[:-2] == [
        ("write_file", f"write_file: 'agentgit.toml' is not editable; {globs}", True),
        ("write_file", f"write_file: 'corpus/PROGRAM.md' is not editable; {globs}", True),
        ("edit_file", f"edit_file: 'evaluate.py' is not editable; {globs}", True),
        ("write_file", "write_file: '.git/hooks/pre-commit' is git's, not the repository's", True),
        ("write_file", "write_file: '../escape.py' is not a path inside the repository", True),
        ("write_file", "write_file: '/tmp/escape.py' is not a path inside the repository", True),
        ("write_file", "write_file: 'models/net.py' goes through a symbolic link", True),
        ("read_file", "read_file: '.git/config' is git's, not the repository's", True),
        ("read_file", "read_file: no tracked file 'untracked.py'", True),
    ]
    assert told[-2][0] == "read_file" and not told[-2][2] and "import train" in told[-2][1]
    assert outside.read_text("utf-8") == "SECRET = 1\n"
    assert not (corpus_repo.parent / "escape.py").exists()
    assert (hook.read_bytes() if hook.exists() else None) == hook_before
    assert "[metric]" not in git(corpus_repo, "show", "main:agentgit.toml")
    assert "0 and print" not in git(corpus_repo, "show", "main:evaluate.py")
