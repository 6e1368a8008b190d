"""A sweep of bad input over the command line (issue 9): bad flags and values, ids,
script files, settings, paths and topics. Each must give no traceback, the exit code of
DESIGN §4 (2 usage, 1 error), one line on stderr, and lose nothing: no ref, file,
transcript or worktree changes.

The cases share one corpus repository (each proves it changed nothing, so the next
starts from the same state) and run `agentgit.cli.main` in this process, argv and all,
which is what `python -m agentgit` runs (test_cli.py runs it as a subprocess): forty
subprocesses would cost twenty seconds. The other cases live in test_cli.py."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXED_DATE, agentgit, git
from scripts import keep_script, write_script

from agentgit.cli import main
from agentgit.corpus.skeleton import init

# Script files, by name: one line each, as a person might get them wrong.
SCRIPTS = {
    "malformed.jsonl": '{"text": "x", "tool": "note"\n',
    "list.jsonl": "[1, 2]\n",
    "content.jsonl": '{"content": "x"}\n',
    "block.jsonl": '{"content": [5]}\n',
    "noinput.jsonl": '{"content": [{"type": "tool_use", "name": "note"}]}\n',
    "strinput.jsonl": '{"tool": "note", "input": "text"}\n',
    "usage.jsonl": '{"tool": "note", "input": {"text": "n"}, "usage": "lots"}\n',
    "tokens.jsonl": '{"tool": "note", "input": {"text": "n"}, "usage": {"input_tokens": "x"}}\n',
    "stop.jsonl": '{"tool": "note", "input": {"text": "n"}, "stop_reason": 5}\n',
    "empty.jsonl": "\n// only a comment\n",
}

CASES = [
    # flags and values
    (["session", "--bogus"], 2, "No such option '--bogus'"),
    (["session", "--topic"], 2, "'--topic' requires an argument"),
    (["session", "--review", "nope"], 2, "'nope' is not one of"),
    (["session", "--max-tokens", "ten"], 2, "must be a whole number, not 'ten'"),
    (["session", "--max-minutes", "-1"], 2, "'--max-minutes'"),
    (["init", "--ci", "gitlab"], 2, "'gitlab' is not 'github'"),
    (["log", "-n", "0"], 2, "0 is not in the range x>=1"),
    (["show"], 2, "Missing argument 'NUMBER'"),
    # ids
    (["show", "abc"], 2, "'abc' is not a valid integer"),
    (["show", "0"], 2, "0 is not in the range x>=1"),
    (["show", "-1"], 2, "No such option '-1'"),
    (["resume", "0"], 2, "0 is not in the range x>=1"),
    (["abandon", "0", "--reason", "x"], 2, "0 is not in the range x>=1"),
    (["replay", "0"], 2, "0 is not in the range x>=1"),
    (["show", "99999"], 1, "no session 99999"),
    (["resume", "99999"], 1, "no open session 99999"),
    (["abandon", "99999", "--reason", "x"], 1, "no open session 99999"),
    (["replay", "99999"], 1, "no recorded session 99999"),
    # script files
    (["session", "--model", "scripted:{tmp}/malformed.jsonl"], 1, "malformed.jsonl:1: Expecting"),
    (["session", "--model", "scripted:{tmp}/list.jsonl"], 1, "a turn must be an object"),
    (["session", "--model", "scripted:{tmp}/content.jsonl"], 1, "content must be a list"),
    (["session", "--model", "scripted:{tmp}/block.jsonl"], 1, "each content block"),
    (["session", "--model", "scripted:{tmp}/noinput.jsonl"], 1, "needs a string name and"),
    (["session", "--model", "scripted:{tmp}/strinput.jsonl"], 1, "input must be an object"),
    (["session", "--model", "scripted:{tmp}/usage.jsonl"], 1, "usage must be an object"),
    (["session", "--model", "scripted:{tmp}/tokens.jsonl"], 1, "usage must map token counts"),
    (["session", "--model", "scripted:{tmp}/stop.jsonl"], 1, "stop_reason must be a string"),
    (["session", "--model", "scripted:{tmp}/empty.jsonl"], 1, "empty.jsonl has no turns"),
    (["session", "--model", "scripted:{tmp}/binary.jsonl"], 1, "binary.jsonl is not UTF-8"),
    (["session", "--model", "scripted:{tmp}"], 1, "Is a directory"),
    # topics
    (
        ["session", "--model", "scripted:{tmp}/keep.jsonl", "--topic", "a" * 4001],
        2,
        "--topic is 4,001 characters; the limit is 4,000",
    ),
    # paths
    (["check", "no-such-piece.md"], 2, "no-such-piece.md: no such file or directory"),
    (["demo", "{tmp}/keep.jsonl"], 1, "is a file; give the demo a new directory"),
    (["init", "/proc/no-such-dir/corpus"], 1, "cannot create a repository there"),
]

SETTINGS = [
    ("agentgit.toml", "max_turns = [\n", 2, "agentgit.toml: "),
    ("agentgit.toml", 'max_turns = "many"\n', 2, "agentgit.toml: max_turns must be"),
    ("agentgit.toml", 'review = "nope"\n', 2, "agentgit.toml: review must be one of"),
    ("agentgit.toml", b"\xff\xfe\n", 2, "agentgit.toml: "),
    ("AGENTGIT_MAX_TURNS", "abc", 2, "AGENTGIT_MAX_TURNS: max_turns must be"),
    ("AGENTGIT_REVIEW", "nope", 2, "AGENTGIT_REVIEW: review must be one of"),
]


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One corpus repository, with one landed session, for every case of this module."""
    home = tmp_path_factory.mktemp("home")
    env = {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.invalid",
        "GIT_COMMITTER_NAME": "C",
        "GIT_COMMITTER_EMAIL": "c@example.invalid",
        "GIT_AUTHOR_DATE": FIXED_DATE,
        "GIT_COMMITTER_DATE": FIXED_DATE,
    }
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):  # as hermetic_git does, which runs after this fixture
            if key.startswith(("GIT_", "AGENTGIT_", "ANTHROPIC_", "GITHUB_")) or key == "CI":
                mp.delenv(key)
        for key, value in env.items():
            mp.setenv(key, value)
        repo = tmp_path_factory.mktemp("swept") / "corpus"
        init(repo)
        script = write_script(repo.parent / "keep.jsonl", keep_script())
        done = agentgit(repo, "session", "--model", f"scripted:{script}")
        assert done.returncode == 0, done.stderr
        yield repo


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    for name, text in SCRIPTS.items():
        (tmp_path / name).write_text(text, "utf-8")
    (tmp_path / "binary.jsonl").write_bytes(b"\xff\xfe{}\n")
    write_script(tmp_path / "keep.jsonl", keep_script())
    return tmp_path


def state(repo: Path) -> tuple[str, str, list[str]]:
    """Everything a bad command could lose or leave behind: refs, the work tree, and
    agentgit's own transcripts, worktrees and locks in the git dir."""
    kept = repo / ".git" / "agentgit"
    files = sorted(
        str(p.relative_to(kept))
        for p in kept.rglob("*")
        if p.is_file() and p.parts[len(kept.parts)] in ("transcripts", "worktrees")
    )
    return (
        git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        files,
    )


def cli(
    cwd: Path, *args: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`agentgit ARGS` in `cwd`, in this process."""
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["agentgit", *args])
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def one_line(proc: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("agentgit: "), proc.stderr
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("args, code, fragment", CASES, ids=[" ".join(a)[:60] for a, _, _ in CASES])
def test_bad_input_is_one_line_with_its_exit_code_and_loses_nothing(
    swept: Path,
    scripts: Path,
    args: list[str],
    code: int,
    fragment: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = state(swept)
    args = [a.replace("{tmp}", str(scripts)) for a in args]
    one_line(cli(swept, *args, monkeypatch=monkeypatch), code, fragment)
    assert state(swept) == before


@pytest.mark.parametrize(
    "where, value, code, fragment", SETTINGS, ids=[f"{w}={v!r}"[:60] for w, v, _, _ in SETTINGS]
)
def test_bad_settings_are_one_line_with_its_exit_code_and_lose_nothing(
    swept: Path,
    scripts: Path,
    where: str,
    value: str | bytes,
    code: int,
    fragment: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    toml = swept / "agentgit.toml"
    original = toml.read_bytes()
    env = {}
    if where == "agentgit.toml":
        toml.write_bytes(value if isinstance(value, bytes) else value.encode())
    else:
        env[where] = str(value)
    try:
        before = state(swept)
        proc = cli(
            swept,
            "session",
            "--model",
            f"scripted:{scripts}/keep.jsonl",
            env=env,
            monkeypatch=monkeypatch,
        )
        one_line(proc, code, fragment)
        assert state(swept) == before
    finally:
        toml.write_bytes(original)


def test_a_topic_of_control_characters_alone_is_no_topic(
    corpus_repo: Path, scripts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = cli(
        corpus_repo,
        "session",
        "--model",
        f"scripted:{scripts}/keep.jsonl",
        "--topic",
        "\x1b]0;\x07\x1b[2J",
        monkeypatch=monkeypatch,
    )
    assert proc.returncode == 0, proc.stderr
    assert "corpus/log/0001-explore.md" in git(corpus_repo, "ls-tree", "-r", "--name-only", "main")
