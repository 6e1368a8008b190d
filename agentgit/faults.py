"""Named points where tests kill the process (AGENTGIT_TEST_KILL_AT=name[:N]).

Like git's GIT_TEST_* variables: a seam that lets the test suite SIGKILL a real
session subprocess at an exact step of the lifecycle, to prove that every such
kill leaves a repository that `resume` or `abandon` can finish. `name:N` kills on
the N-th time the point is reached. Unset, it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def point(name: str) -> None:
    wanted = os.environ.get("AGENTGIT_TEST_KILL_AT")
    if not wanted:
        return
    target, _, nth = wanted.partition(":")
    if target != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
