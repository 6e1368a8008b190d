"""`agentgit init --metric` (DESIGN §10): a commented [metric] table that loads, budgets
for a night, an experiment program; appended to an agentgit.toml that has none."""

from __future__ import annotations

from pathlib import Path

from conftest import agentgit, git

from agentgit.core.settings import load


def test_init_metric_writes_a_table_that_loads_and_an_experiment_program(tmp_path: Path) -> None:
    path = tmp_path / "exp"
    done = agentgit(tmp_path, "init", "--metric", str(path))
    assert done.returncode == 0, done.stderr
    settings = load(path, env={})
    assert settings.metric is not None and settings.metric.editable == ("train.py",)
    assert settings.max_turns == 400 and settings.max_minutes == 600
    program = git(path, "show", "main:corpus/PROGRAM.md")
    # The program asks, in its own words, for what issue 19 names.
    for asked in (
        "One hypothesis per run.",
        "Read the result.",
        "Note what it taught.",
        "Never touch the evaluator",
        "At an equal metric, prefer the simpler code.",
    ):
        assert asked in program, asked
    table = (path / "agentgit.toml").read_text()
    assert "# what the number is called" in table and "SIGTERM, then SIGKILL" in table
    # No train.py yet: a session says which glob matches nothing, before it claims an id.
    script = tmp_path / "s.jsonl"
    script.write_text(
        '{"text": "x", "tool": "abandon", "input": {"reason": "r", "summary": "s"}}\n'
    )
    session = agentgit(path, "session", "--model", f"scripted:{script}")
    assert session.returncode == 2
    assert "editable 'train.py' matches no tracked file" in session.stderr
    assert git(path, "for-each-ref", "refs/heads/session/") == ""


def test_init_metric_adds_the_table_to_an_existing_repository_once(tmp_path: Path) -> None:
    path = tmp_path / "corpus"
    assert agentgit(tmp_path, "init", str(path)).returncode == 0
    assert load(path, env={}).metric is None
    assert agentgit(tmp_path, "init", "--metric", str(path)).returncode == 0
    assert agentgit(tmp_path, "init", "--metric", str(path)).returncode == 0
    text = (path / "agentgit.toml").read_text()
    assert text.count("[metric]") == 1 and text.count("[session]") == 1
    assert load(path, env={}).metric is not None
    assert "[metric]" in git(path, "show", "main:agentgit.toml")
