"""`agentgit init --ci github --parallel N` (DESIGN §10, many machines): the workflow's
matrix runs N sessions per trigger, each on a runner of its own, which coordinate through
the remote as sessions on several machines do; a resume is one session, run once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import agentgit, git

from agentgit.corpus.workflow import WORKFLOW_PATH, render_workflow


def job(text: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(text)["jobs"]["session"]
    return found


def step(text: str, name: str) -> dict[str, Any]:
    (found,) = [s for s in job(text)["steps"] if s.get("name") == name]
    return found


def test_init_writes_a_matrix_of_n_sessions_that_github_accepts(tmp_path: Path) -> None:
    repo = tmp_path / "corpus"
    proc = agentgit(tmp_path, "init", str(repo), "--ci", "github", "--parallel", "3")
    assert proc.returncode == 0, proc.stderr
    text = (repo / WORKFLOW_PATH).read_text("utf-8")
    assert git(repo, "show", f"main:{WORKFLOW_PATH}") == text  # committed
    checked = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(repo / WORKFLOW_PATH),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    strategy = job(text)["strategy"]
    assert strategy == {"fail-fast": False, "matrix": {"slot": [1, 2, 3]}}
    # Each job a runner of its own, and its own cache entry and map artifact: two jobs
    # saving one key, or uploading one artifact name, would fail one of them.
    assert job(text)["runs-on"] == "ubuntu-latest"
    cache = step(text, "Restore agentgit's caches")["with"]
    assert cache["key"] == "agentgit-caches-${{ github.run_id }}-${{ matrix.slot }}"
    assert step(text, "Upload the map")["with"]["name"] == "agentgit-map-${{ matrix.slot }}"
    # The whole run queues behind the last one; its N jobs run at once.
    assert yaml.safe_load(text)["concurrency"]["cancel-in-progress"] is False
    for s in job(text)["steps"]:
        assert "${{" not in s.get("run", ""), s


def test_without_parallel_the_workflow_has_no_matrix() -> None:
    text = render_workflow()
    assert "strategy" not in job(text) and "matrix" not in text
    assert "runs-on: [self-hosted, gpu]" in text  # the comment says where experiments run


def session_step(tmp_path: Path, slot: str, resume: str) -> list[str]:
    """The Session step's script, run by bash as Actions runs it, with an `agentgit` on
    PATH that records its arguments: the commands the job would run."""
    script = step(render_workflow(parallel=2), "Session")["run"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / f"calls-{slot}-{resume or 'none'}"
    fake = bin_dir / "agentgit"
    fake.write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\n')
    fake.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "SLOT": slot,
        "RESUME": resume,
        "REVIEW": "pr",
        "TOPIC": "",
    }
    subprocess.run(["bash", "-e", "-c", script], env=env, check=True, capture_output=True)
    return calls.read_text().splitlines() if calls.exists() else []


def test_every_slot_runs_a_session_and_only_the_first_resumes(tmp_path: Path) -> None:
    assert session_step(tmp_path, "1", "") == ["session --review pr --topic "]
    assert session_step(tmp_path, "2", "") == ["session --review pr --topic "]
    assert session_step(tmp_path, "1", "7") == ["resume 7"]
    assert session_step(tmp_path, "2", "7") == []  # one session, resumed once


@pytest.mark.parametrize(
    "args, says",
    [
        (["--ci", "github", "--parallel", "0"], "--parallel: 0 is not a number of sessions"),
        (["--ci", "github", "--parallel", "-2"], "--parallel: -2 is not a number of sessions"),
        (["--ci", "github", "--parallel", "257"], "from 1 to 256"),
        (["--ci", "github", "--parallel", "two"], "'two' is not a valid integer"),
        (["--parallel", "2"], "--parallel goes with --ci github"),
    ],
)
def test_a_bad_parallel_is_usage_and_writes_nothing(
    tmp_path: Path, args: list[str], says: str
) -> None:
    proc = agentgit(tmp_path, "init", "corpus", *args)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and says in proc.stderr, proc.stderr
    assert not (tmp_path / "corpus").exists()
