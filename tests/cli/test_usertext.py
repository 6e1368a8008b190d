"""Text from people and models that travels: a topic, a title, a reason (issue 9, item 10).

A credential-shaped topic is scrubbed wherever it goes (branch, file name, titles,
subjects, log entry, notes), and no terminal control sequence reaches what the CLI
prints, whoever wrote it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import agentgit, git
from fakegithub import REPOSITORY, TOKEN, FakeGitHub
from helpers import all_objects, attached_remote
from scripts import crystallize, draft, note, write_script

# Shapes scrub.py knows, with bodies distinctive enough to look for in any case.
ANTHROPIC = "sk-ant-api03-Qx7Vw9Lm3Rt5Yp8Kz2Nb4Hd6"
GITHUB = "ghp_Jk4Lm8Np2Qr6St0Uv3Wx7Yz1Ab5Cd9Ef"
AWS = "AKIAQX7VW9LM3RT5YP8K"
ENV_SECRET = "Mx3Pq8Zr2Lt6Vw0Yb5"  # a value of a *_TOKEN variable: no known shape
OSC = "\x1b]0;evil\x07"
LEAKS = [
    ANTHROPIC,
    GITHUB,
    AWS,
    ENV_SECRET,
    "Qx7Vw9Lm3Rt5",
    "Jk4Lm8Np2Qr6",
    "QX7VW9LM3RT5",
    "Mx3Pq8Zr2Lt6",
]
TOPIC = f"tides {ANTHROPIC} and {GITHUB} {AWS} {ENV_SECRET} {OSC}\x1b[31mred\x1b[0m\x07 end"
ENV = {"MY_SERVICE_TOKEN": ENV_SECRET}
# What a terminal must never be sent: C0 (but tab and newline), DEL, C1.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _session(
    repo: Path,
    tmp_path: Path,
    topic: str,
    title: str = "Tides",
    *args: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    script = write_script(
        tmp_path / "s.jsonl",
        [
            draft("tides", title, "The moon pulls the sea.\n", summary="On tides."),
            note(f"Drafted. {OSC}Noted\x1b[2J."),
            crystallize(["tides"], summary=f"Wrote tides. {OSC}"),
        ],
    )
    proc = agentgit(
        repo,
        "session",
        "--model",
        f"scripted:{script}",
        "--topic",
        topic,
        *args,
        env={**ENV, **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def _everything_in_git(repo: Path) -> str:
    """Every ref name, and every object in the repository, reachable or not: commits,
    trees (file names), blobs (files, transcript notes)."""
    refs = git(repo, "for-each-ref", "--format=%(refname)")
    objects = all_objects(repo)
    return refs + objects.decode("utf-8", "replace")


def test_a_credential_shaped_topic_is_scrubbed_everywhere_it_travels(
    corpus_repo: Path, tmp_path: Path
) -> None:
    proc = _session(corpus_repo, tmp_path, TOPIC)
    seen = _everything_in_git(corpus_repo)
    files = git(corpus_repo, "ls-tree", "-r", "--name-only", "main")
    printed = (
        proc.stdout
        + proc.stderr
        + agentgit(corpus_repo, "log").stdout
        + agentgit(corpus_repo, "show", "1").stdout
    )
    for leak in LEAKS:
        for text in (seen, files, printed):
            assert leak not in text and leak.lower() not in text.lower(), leak
    # The rest of the topic is kept: the session is still findable by it.
    assert "corpus/log/0001-tides-scrubbed-and-scrubbed" in files
    title = git(
        corpus_repo, "log", "-1", "--format=%(trailers:key=Agentgit-Title,valueonly)", "main"
    ).strip()
    assert title == "tides [scrubbed] and [scrubbed] [scrubbed] [scrubbed] red end"
    subject = git(corpus_repo, "log", "-1", "--format=%s", "main").strip()
    assert subject == "Crystallize session 0001: Tides"  # the piece's title, not the topic


def test_a_credential_shaped_topic_reaches_no_pull_request_and_no_remote(
    corpus_repo: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    github = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": fake_github.url,
    }
    _session(corpus_repo, tmp_path, TOPIC, "Tides", "--review", "pr", env=github)
    (pull,) = fake_github.pulls.values()
    seen = pull["title"] + pull["body"] + pull["head"]["ref"] + _everything_in_git(remote)
    assert "[scrubbed]" in pull["title"]
    for leak in LEAKS:
        assert leak not in seen and leak.lower() not in seen.lower(), leak
    assert not CONTROL.search(pull["title"] + pull["body"])


def test_an_abandon_reason_is_scrubbed_like_a_topic(corpus_repo: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.jsonl", [note("Started.")])
    env = {**ENV, "AGENTGIT_TEST_KILL_AT": "step:1"}
    agentgit(corpus_repo, "session", "--model", f"scripted:{script}", env=env)
    proc = agentgit(corpus_repo, "abandon", "1", "--reason", f"leaked {GITHUB} {OSC}", env=ENV)
    assert proc.returncode == 0, proc.stderr
    seen = _everything_in_git(corpus_repo)
    assert GITHUB not in seen and "Jk4Lm8Np2Qr6" not in seen
    assert "Abandon session 0001: leaked [scrubbed]" in git(
        corpus_repo, "log", "-1", "--format=%s", "main"
    )
    assert not CONTROL.search(git(corpus_repo, "log", "--all", "--format=%B"))


def test_no_control_character_reaches_what_the_cli_prints(
    corpus_repo: Path, tmp_path: Path
) -> None:
    proc = _session(corpus_repo, tmp_path, f"tides {OSC}", title=f"Tides {OSC}\x9b31m")
    # Titles and subjects are cleaned when they are written, not only when printed.
    written = git(corpus_repo, "log", "--all", "--format=%B") + git(
        corpus_repo, "show", "main:corpus/pieces/tides.md"
    )
    assert not CONTROL.search(written) and "]0;evil" not in written, written
    # A commit a person (or an older agentgit) made, with controls in its title: the
    # printing boundary strips them whoever wrote them.
    head = git(corpus_repo, "rev-parse", "refs/agentgit/sessions/0001").strip()
    git(
        corpus_repo,
        "commit",
        "-q",
        "--allow-empty",
        "--no-verify",
        "-m",
        f"By hand {OSC}",
        "-m",
        f"Agentgit-Session: 0002\nAgentgit-Outcome: abandoned\n"
        f"Agentgit-Title: hand \x1b]52;c;ZXZpbA==\x07 made\nAgentgit-Head: {head}",
    )
    outputs = {
        "session": proc.stdout + proc.stderr,
        "log": agentgit(corpus_repo, "log"),
        "show": agentgit(corpus_repo, "show", "1"),
        "show --transcript": agentgit(corpus_repo, "show", "1", "--transcript"),
    }
    for name, out in outputs.items():
        text = out if isinstance(out, str) else out.stdout + out.stderr
        if not isinstance(out, str):
            assert out.returncode == 0, (name, out.stderr)
        assert not CONTROL.search(text), (name, text)
    log = outputs["log"].stdout
    assert "hand  made" in log and "Drafted. Noted." in outputs["show"].stdout
    assert "]0;evil" not in log and "ZXZpbA" not in log


def test_the_cli_prints_only_through_its_printing_boundary() -> None:
    """Every click.echo in the CLI's modules (cli/) is in _echo (which strips
    controls) or writes agentgit's own status-line controls: a new bare click.echo would
    print titles unfiltered."""
    import ast

    import agentgit.cli

    modules = sorted(Path(agentgit.cli.__file__).parent.glob("*.py"))
    where = []
    for fn in (n for m in modules for n in ast.walk(ast.parse(m.read_text("utf-8")))):
        if isinstance(fn, ast.FunctionDef):
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("echo", "secho")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "click"
                ):
                    where.append(fn.name)
    assert sorted(where) == ["_echo", "_report", "_status"], where


def test_printable_strips_whole_sequences_and_keeps_text() -> None:
    from agentgit.core.scrub import printable

    assert printable("a\x1b]0;title\x07b") == "ab"  # OSC ended by BEL
    assert printable("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b") == "alinkb"  # ended by ST
    assert printable("a\x9d0;title\x9cb") == "ab"  # the C1 forms
    assert printable("\x1b[1;31mred\x1b[0m \x9b2J") == "red "
    assert printable("open \x1b]0;never ended\nnext line") == "open \nnext line"
    assert printable("tab\tnew\nline\r\x00\x08\x7f") == "tab\tnew\nline"
    assert printable("ünïcødé — 中文 ✓") == "ünïcødé — 中文 ✓"
    # Lines of plain text, and a no-break space (not "printable" to Python), are kept.
    assert printable("one\ttwo\nthree\n") == "one\ttwo\nthree\n"
    assert printable("no\u00a0break\n\x1b[2Jcleared") == "no\u00a0break\ncleared"
