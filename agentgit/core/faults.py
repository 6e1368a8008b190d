"""Named points where tests kill the process (AGENTGIT_TEST_KILL_AT=name[:N]).

Like git's GIT_TEST_* variables: a seam that lets the test suite SIGKILL a real
session subprocess at an exact step of the lifecycle, to prove that every such
kill leaves a repository that `resume` or `abandon` can finish. `name:N` kills on
the N-th time the point is reached. Unset, it costs one dictionary lookup.

While the variable is set, every point reached is counted in `counts` (so a test can
learn, from one uninterrupted run, every place there is to kill), and `kill` is what
is called at the chosen one: in-process tests replace it with something that raises.
AGENTGIT_TEST_PAUSE_AT=name[:N] waits there instead, for the test to send a signal.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable

counts: dict[str, int] = {}


def _sigkill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


kill: Callable[[], None] = _sigkill


def point(name: str) -> None:
    kill_at = os.environ.get("AGENTGIT_TEST_KILL_AT")
    pause_at = os.environ.get("AGENTGIT_TEST_PAUSE_AT")
    if not (kill_at or pause_at):
        return
    counts[name] = counts.get(name, 0) + 1
    if _reached(kill_at, name):
        kill()
    if _reached(pause_at, name):
        _pause(name)


def _reached(wanted: str | None, name: str) -> bool:
    target, _, nth = (wanted or "").partition(":")
    return target == name and counts[name] >= int(nth or 1)


def _pause(name: str) -> None:
    """Wait here (AGENTGIT_TEST_PAUSE_AT) for a test to send a real signal: it raises out
    of the sleep, or, where signals are held, ends the wait. Gives up after a minute."""
    from agentgit.core import stops

    sys.stderr.write(f"agentgit-test: paused at {name}\n")
    sys.stderr.flush()
    for _ in range(1200):
        if stops.held_signals():
            return
        time.sleep(0.05)
