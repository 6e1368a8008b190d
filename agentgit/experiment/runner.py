"""Running the user's command for one experiment (DESIGN §10): the one module outside
agentgit/git/run.py that starts a process (tests/project/test_layout.py allows it).

The command is the agent's code, so it runs:
- in its own session and process group (`start_new_session`), so the whole group can be
  ended at once and a terminal's ^C does not reach it behind agentgit's back;
- bounded in time: past the bound, SIGTERM to the group, a grace, then SIGKILL; and
  whatever the way out (its end, the bound, a stop signal raised in agentgit), the group
  is killed, so no grandchild outlives the run;
- without agentgit's credentials in its environment;
- with its output read as it comes and only a bounded tail kept, so 50 MB of output or
  bytes that are not text cost no more memory than the tail.
"""

from __future__ import annotations

import math
import os
import re
import select
import signal
import subprocess
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

# Variables a run never sees: the model's key and base URL, the forge's tokens, and
# agentgit's own settings and test seams.
STRIPPED_PREFIXES = ("ANTHROPIC_", "AGENTGIT_")
STRIPPED_NAMES = ("GITHUB_TOKEN", "GH_TOKEN")
TAIL_BYTES = 256 * 1024  # of the output, kept as the run's note
GRACE_SECONDS = 2.0  # between SIGTERM and SIGKILL at the bound
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class RunOutput:
    """What one run of the command did."""

    returncode: int | None  # None: it was killed at the bound
    timed_out: bool
    seconds: float
    tail: bytes  # the last TAIL_BYTES of stdout and stderr, interleaved as written
    total_bytes: int  # of output, all of it

    @property
    def text(self) -> str:
        """The tail as text: bytes that are not UTF-8 are replaced, never an error."""
        return self.tail.decode("utf-8", "replace")

    @property
    def cut(self) -> bool:
        return self.total_bytes > len(self.tail)


def run_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (this process's, by default) without agentgit's credentials and settings."""
    source = os.environ if env is None else env
    return {
        key: value
        for key, value in source.items()
        if not key.startswith(STRIPPED_PREFIXES) and key not in STRIPPED_NAMES
    }


def run_command(
    command: str,
    cwd: Path,
    seconds: float,
    tail_bytes: int = TAIL_BYTES,
    env: Mapping[str, str] | None = None,
    grace: float = GRACE_SECONDS,
) -> RunOutput:
    """Run `command` by the shell in `cwd`, at most `seconds`; its output's tail. A
    command that does not exist is the shell's exit 127, a crash like any other."""
    started = time.monotonic()
    deadline = started + seconds
    proc = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=run_environment(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    tail = bytearray()
    total = 0
    timed_out = False
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                _end_group(proc, grace)
                break
            ready, _, _ = select.select([fd], [], [], min(0.25, deadline - now))
            if ready:
                chunk = os.read(fd, _CHUNK)
                if chunk:
                    total += len(chunk)
                    tail += chunk
                    if len(tail) > 2 * tail_bytes:  # trim now and then, not every read
                        del tail[:-tail_bytes]
                    continue
                break  # end of output: every writer closed the pipe
            if proc.poll() is not None:
                # The command is done but something it started may hold the pipe open:
                # what is already written is read below, the group ended after it.
                break
        total += _drain(fd, tail)
    finally:
        # Whatever the way out, a stop raised here included: nothing survives the run.
        _kill_group(proc.pid, signal.SIGKILL)
        proc.stdout.close()
        proc.wait()
    returncode = None if timed_out else proc.returncode
    return RunOutput(
        returncode, timed_out, time.monotonic() - started, bytes(tail[-tail_bytes:]), total
    )


def _drain(fd: int, tail: bytearray) -> int:
    """Read what is already in the pipe, without waiting for more."""
    got = 0
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            break
        got += len(chunk)
        tail += chunk
    return got


def _end_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM to the group, up to `grace` seconds for it to go, then SIGKILL."""
    _kill_group(proc.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _kill_group(proc.pid, signal.SIGKILL)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def parse_value(pattern: re.Pattern[str], text: str) -> float | None:
    """The first group of the last match, as a finite number; None when nothing matches
    or the group is not a number."""
    matches = list(pattern.finditer(text))
    last = matches[-1] if matches else None
    if last is None or last.group(1) is None:
        return None
    try:
        value = float(last.group(1))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
