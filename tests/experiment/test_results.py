"""Every run of the repository, read back from git: on main, on session branches and
archives, and archived runs that were not kept (the map's contract)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from conftest import git

from agentgit.experiment.results import Run, format_value, parse_metric, runs
from agentgit.git import Repository


def run_commit(path: Path, session: int, n: int, value: str, status: str, hyp: str) -> str:
    message = (
        f"Experiment {n}: {hyp}\n\n"
        f"Agentgit-Session: {session:04d}\nAgentgit-Experiment: {n}\n"
        f"Agentgit-Metric: loss={value}\nAgentgit-Status: {status}\nAgentgit-Seconds: 1.5\n"
    )
    git(path, "commit", "-q", "--allow-empty", "-m", message)
    return git(path, "rev-parse", "HEAD").strip()


def test_runs_are_found_wherever_they_are_kept(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "base")
    repo = Repository.discover(tmp_path)
    assert runs(repo) == []
    git(tmp_path, "checkout", "-q", "-b", "session/0001-x")
    kept = run_commit(tmp_path, 1, 1, "2.5", "keep", "wider layer")
    crashed = run_commit(tmp_path, 1, 2, "none", "crash", "a typo")
    git(tmp_path, "update-ref", "refs/agentgit/runs/0001/2", crashed)
    git(tmp_path, "reset", "-q", "--hard", kept)
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "a step, no run")
    git(tmp_path, "checkout", "-q", "main")
    git(tmp_path, "merge", "-q", "--no-ff", "-m", "Crystallize", "session/0001-x")
    git(tmp_path, "branch", "-q", "-D", "session/0001-x")
    git(tmp_path, "checkout", "-q", "-b", "session/0002-y")
    other = run_commit(tmp_path, 2, 1, "3", "discard", "no change")
    found = runs(repo)
    assert [(r.session, r.experiment, r.status, r.value) for r in found] == [
        (1, 1, "keep", 2.5),
        (1, 2, "crash", None),
        (2, 1, "discard", 3.0),
    ]
    assert found[0] == Run(1, 1, kept, 2.5, "keep", 1.5, "wider layer", metric="loss")
    assert found[2].commit == other
    assert [r.experiment for r in runs(repo, session=1)] == [1, 2]
    record = found[1].as_record()
    assert json.loads(json.dumps(record)) == record
    assert set(record) >= {"session", "experiment", "commit", "value", "status", "seconds"}


def test_values_read_back_as_they_were_written() -> None:
    for value in (0.1, 2.0, -3.25, 1e-9, 123456.0):
        assert parse_metric(f"x={format_value(value)} baseline=3")[1] == value
    assert parse_metric("x=none") == ("x", None)
    assert parse_metric("x=inf") == ("x", None)


def test_a_runs_fields_are_what_asdict_gives() -> None:
    # fields() copies the instance's dict for speed: it must stay what asdict() gives.
    run = Run(1, 2, "ab" * 20, 1.5, "keep", 3.0, "a hypothesis", "loss", "c0de")
    assert run.fields() == dataclasses.asdict(run)
    assert run.fields() is not run.fields() and json.loads(json.dumps(run.as_record()))
