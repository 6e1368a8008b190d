"""Stopping signals and the hold (agentgit/core/stops.py): a hold is the main thread's."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from agentgit.core import stops


@pytest.fixture
def handled() -> Iterator[None]:
    before = {sig: signal.getsignal(sig) for sig in stops.SIGNALS}
    for sig in stops.SIGNALS:
        signal.signal(sig, signal.SIG_DFL)  # install() keeps an ignored signal ignored
    stops.install()
    yield
    stops._stopping = False
    for sig, handler in before.items():
        signal.signal(sig, handler)


def test_a_workers_hold_neither_holds_nor_ends_the_main_threads(handled: None) -> None:
    """A worker thread inside `held` (the map's git walk runs in one): a signal still
    stops the main thread at once, and the main thread's own hold still holds until its
    block ends, whatever the worker does meanwhile."""
    inside, leave = threading.Event(), threading.Event()

    def worker() -> None:
        with stops.held():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(10)
    try:
        with pytest.raises(stops.Stop):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100):  # the handler runs between bytecodes, soon
                threading.Event().wait(0.01)
        stops._stopping = False
        with pytest.raises(stops.Stop), stops.held():
            leave.set()
            thread.join(10)  # the worker's hold ends inside the main thread's
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(20):
                threading.Event().wait(0.01)
            assert stops.held_signals() == ["SIGTERM"]  # held, not raised
    finally:
        leave.set()
        thread.join(10)
