"""The noise gate (DESIGN §10): a seeded noisy toy where a change inside the noise is a
discard, one beyond it a keep; without the gate the first would have been kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import session_run
from toy import keep, metric, run, toy_repo, write

from agentgit.experiment.results import runs
from agentgit.git import Repository


@pytest.mark.parametrize(("factor", "first"), [(2.0, "discard"), (0.0, "keep")])
def test_a_change_inside_the_noise_is_a_discard(
    corpus_repo: Path, factor: float, first: str
) -> None:
    toy_repo(corpus_repo, noise=1.0)
    turns = [
        write("train.py", "X = 3.127\n"),  # 15.0 at heart: 0.48 better, noise MAD 0.21
        run("a nudge"),
        write("train.py", "X = 5\n"),  # 4 at heart: far beyond the noise
        run("a real change"),
        keep(),
    ]
    config = metric(baseline_runs=5, noise_factor=factor)
    assert session_run(corpus_repo, turns, topic="noisy", metric=config).outcome == "crystallized"
    found = runs(Repository.discover(corpus_repo))
    baseline, nudge, real = found
    assert baseline.value is not None and nudge.value is not None
    assert nudge.value < baseline.value  # measured better ...
    assert nudge.status == first  # ... but only beyond the gain is a keep
    assert real.status == "keep"
