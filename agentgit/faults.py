"""Named points where tests kill the process (AGENTGIT_TEST_KILL_AT=name[:N]).

Like git's GIT_TEST_* variables: a seam that lets the test suite SIGKILL a real
session subprocess at an exact step of the lifecycle, to prove that every such
kill leaves a repository that `resume` or `abandon` can finish. `name:N` kills on
the N-th time the point is reached. Unset, it costs one dictionary lookup.

While the variable is set, every point reached is counted in `counts` (so a test can
learn, from one uninterrupted run, every place there is to kill), and `kill` is what
is called at the chosen one: in-process tests replace it with something that raises.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

counts: dict[str, int] = {}


def _sigkill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


kill: Callable[[], None] = _sigkill


def point(name: str) -> None:
    wanted = os.environ.get("AGENTGIT_TEST_KILL_AT")
    if not wanted:
        return
    target, _, nth = wanted.partition(":")
    counts[name] = counts.get(name, 0) + 1
    if target == name and counts[name] >= int(nth or 1):
        kill()
