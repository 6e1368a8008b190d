"""Signals that stop a run: SIGINT, SIGTERM and SIGHUP (DESIGN §9).

CI runners cancel a job with SIGINT, then SIGTERM; a closed terminal sends SIGHUP. Each
becomes `Stop`, a KeyboardInterrupt, so one path saves the session, parks it on the
remote and exits 3, whichever signal came.

A signal that arrives while a git command runs is held until it returns: raising
inside `subprocess.run` would SIGKILL git and could leave a lock file or half a push.
The clean-up after a stop holds (and then drops) any second signal, so it finishes
what it writes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stop(KeyboardInterrupt):
    """A stopping signal arrived."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    @property
    def message(self) -> str:
        return "stopped by the user" if self.name == "SIGINT" else f"stopped by {self.name}"


_held: list[str] | None = None  # signals that came while held; None: not holding
_stopping = False  # a Stop was raised: the run is ending, and one stop is enough


def _handler(signum: int, frame: FrameType | None) -> None:
    global _stopping
    name = signal.Signals(signum).name
    if _held is not None:
        _held.append(name)
        return
    if _stopping:  # CI sends SIGINT, then SIGTERM: the second must not cut the first short
        return
    _stopping = True
    raise Stop(name)


def stopping() -> bool:
    """Whether a stopping signal has been raised in this process."""
    return _stopping


def quiet() -> None:
    """Ignore the stopping signals from here to the exit: Python restores their default
    action while it shuts down, and a late SIGTERM would then kill the process and
    replace its exit code."""
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def held_signals() -> list[str]:
    """The signals held so far by the current `held` block."""
    return list(_held or [])


def install() -> None:
    """Handle the stopping signals, except one the parent chose to ignore (nohup)."""
    for sig in SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _handler)


@contextmanager
def held(drop: bool = False) -> Iterator[None]:
    """Hold stopping signals for the block; then raise the first that came, or, with
    `drop`, forget them (the clean-up of a stop, which exits 3 anyway)."""
    global _held
    if _held is not None or threading.current_thread() is not threading.main_thread():
        # Nested, the outer block decides. Off the main thread there is nothing to hold:
        # Python runs signal handlers on the main thread only, and one shared hold taken
        # by a worker would hold the main thread's signals, or end its hold, at the
        # worker's whim.
        yield
        return
    _held = []
    try:
        yield
    finally:
        came, _held = _held, None
        if came and not drop:
            raise Stop(came[0])
