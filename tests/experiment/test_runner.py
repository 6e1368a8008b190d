"""The runner (DESIGN §10): the command in its own process group, bounded in time with no
grandchild surviving, no credentials in its environment, a bounded tail of any output."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

from agentgit.experiment.runner import parse_value, run_command

SCRIPTS = Path(__file__).parent / "scripts"
PY = sys.executable


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but still listed until its parent reaps it.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def gone(pids: list[int], within: float = 3.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()]


@pytest.mark.parametrize("ignore", ["", "ignore"])
def test_a_timeout_kills_the_grandchild_too(tmp_path: Path, ignore: str) -> None:
    pidfile = tmp_path / "pids"
    out = run_command(
        f"{PY} {SCRIPTS / 'grandchild.py'} {pidfile} {ignore}", tmp_path, 1.0, grace=0.5
    )
    assert out.timed_out and out.returncode is None
    assert 1.0 <= out.seconds < 5
    assert "started" in out.text
    assert gone(pids(pidfile))


def test_a_command_that_ends_leaving_a_child_is_not_waited_for(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    out = run_command(f"{PY} {SCRIPTS / 'leaves_child.py'} {pidfile}", tmp_path, 60)
    assert not out.timed_out and out.returncode == 0
    assert out.seconds < 10, "the grandchild's open pipe must not hold the run"
    assert "loss: 1.5" in out.text
    assert gone(pids(pidfile))


def test_the_environment_holds_no_credentials(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "ANTHROPIC_API_KEY": "sk-ant-secret",
        "ANTHROPIC_BASE_URL": "http://x",
        "GITHUB_TOKEN": "ghp_secret",
        "GH_TOKEN": "gho_secret",
        "AGENTGIT_MAX_TURNS": "3",
        "KEEP_ME": "yes",
    }
    out = run_command(f"{PY} {SCRIPTS / 'env.py'}", tmp_path, 30, env=env)
    names = set(out.text.split())
    assert "KEEP_ME" in names and "PATH" in names
    assert not {n for n in names if n.startswith(("ANTHROPIC_", "AGENTGIT_", "GITHUB_", "GH_"))}


@pytest.mark.parametrize("kind", ["text", "bytes"])
def test_fifty_megabytes_of_output_keep_only_the_tail(tmp_path: Path, kind: str) -> None:
    out = run_command(f"{PY} {SCRIPTS / 'noisy.py'} 50 {kind}", tmp_path, 60, tail_bytes=4096)
    assert out.returncode == 0
    assert out.total_bytes > 50 * 1024 * 1024
    assert len(out.tail) == 4096 and out.cut
    assert out.text.rstrip().endswith("loss: 0.25")
    assert parse_value(re.compile(r"^loss: (\S+)", re.M), out.text) == 0.25


def test_a_command_that_does_not_exist_is_a_failure_not_an_error(tmp_path: Path) -> None:
    out = run_command("no-such-command-agentgit", tmp_path, 30)
    assert out.returncode == 127 and not out.timed_out
    assert "not found" in out.text


def test_a_failing_command_keeps_its_exit_status(tmp_path: Path) -> None:
    out = run_command(f"{PY} -c 'import sys; print(\"boom\"); sys.exit(3)'", tmp_path, 30)
    assert out.returncode == 3 and out.text == "boom\n"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("loss: 3\nloss: 2.5\n", 2.5),  # the last match
        ("loss: 1e-3\n", 0.001),
        ("no value here\n", None),
        ("loss: nan\n", None),
        ("loss: abc\n", None),
        ("  loss: 4\n", None),  # the pattern is anchored at a line's start
    ],
)
def test_the_value_is_the_first_group_of_the_last_match(text: str, value: float | None) -> None:
    assert parse_value(re.compile(r"^loss: (\S+)", re.M), text) == value
