"""The workflow `agentgit init --ci github` writes, run as Actions would run it: each
`run:` step, verbatim, under bash in a fresh clone with no git identity, its `env:`
expressions filled in as Actions fills them. Two scheduled nights against one bare
remote, the fake Messages API and the fake GitHub: the first opens a pull request, a
person merges it, the second records that and runs its own session."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import agentgit, git
from fakeapi import FAKE_KEY, FakeAPI, error
from fakegithub import REPOSITORY, TOKEN, FakeGitHub
from test_remote import attached_remote, clone
from test_review import merge_on_remote
from test_sessions_api import draft, drop_it, keep, note

from agentgit.ci import render_workflow

SKIPPED = {"Install agentgit"}  # the checkout's agentgit is the one on PATH


def expression(expr: str, context: dict[str, str]) -> str:
    """The few GitHub expressions the workflow uses: a name, or `a || 'default'`."""
    left, _, default = (part.strip() for part in expr.partition("||"))
    if left not in context:
        raise AssertionError(f"the workflow uses an expression this test does not know: {expr}")
    return context[left] or default.strip("'")


def run_workflow(text: str, workdir: Path, context: dict[str, str],
                 env: dict[str, str]) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    steps = yaml.safe_load(text)["jobs"]["session"]["steps"]
    done = []
    for step in steps:
        if "run" not in step or step.get("name") in SKIPPED:
            continue
        step_env = {k: re.sub(r"\$\{\{\s*(.+?)\s*\}\}",
                              lambda m: expression(m.group(1), context), str(v))
                    for k, v in (step.get("env") or {}).items()}
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workdir,
                              capture_output=True, text=True, env={**env, **step_env},
                              timeout=120)
        done.append((step["name"], proc))
        if proc.returncode != 0 and not step.get("continue-on-error"):
            break
    return done


@pytest.fixture
def actions_env(tmp_path: Path, fake_api: FakeAPI, fake_github: FakeGitHub) -> dict[str, str]:
    """What a runner has: no git identity or global config, the variables Actions sets,
    and this checkout's agentgit first on PATH (the workflow installs it by version)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "agentgit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m agentgit "$@"\n')
    shim.chmod(0o755)
    identity = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL")  # the workflow's own step sets the identity
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTHROPIC_", "GITHUB_")) and k not in identity}
    return {**env, "PATH": f"{bindir}:{env['PATH']}", "CI": "true", "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": fake_github.url,
            "ANTHROPIC_BASE_URL": fake_api.url, "AGENTGIT_MAX_RETRIES": "1",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def night(remote: Path, path: Path, env: dict[str, str],
          **inputs: str) -> dict[str, subprocess.CompletedProcess[str]]:
    """One run of the workflow on a fresh runner: checkout with full history, then the
    steps. A scheduled run has no inputs."""
    git(remote.parent, "clone", "-q", str(remote), str(path))
    context = {"secrets.ANTHROPIC_API_KEY": FAKE_KEY, "github.token": TOKEN,
               "github.repository": REPOSITORY, **{f"inputs.{k}": v for k, v in inputs.items()}}
    for name in ("topic", "review", "resume"):
        context.setdefault(f"inputs.{name}", "")
    return dict(run_workflow(render_workflow(), path, context, env))


def test_two_scheduled_nights_open_a_pull_request_then_record_its_merge(
        corpus_repo: Path, tmp_path: Path, actions_env: dict[str, str], fake_api: FakeAPI,
        fake_github: FakeGitHub) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    summary = Path(actions_env["GITHUB_STEP_SUMMARY"])

    fake_api.push(draft(1), note(2), keep(3))
    first = night(remote, tmp_path / "runner-1", actions_env)
    assert list(first) == ["Git identity of the agent", "Record review decisions", "Session"]
    assert all(proc.returncode == 0 for proc in first.values()), {
        name: proc.stderr for name, proc in first.items()}
    assert first["Record review decisions"].stdout == ""
    assert list(fake_github.pulls) == [1]
    assert fake_github.pulls[1]["labels"] == ["agentgit", "crystallized"]
    assert "pull/1" in summary.read_text("utf-8")
    author = git(remote, "log", "-1", "--format=%an <%ae>", "refs/agentgit/sessions/0001")
    assert author.strip() == "agentgit <agentgit@users.noreply.github.com>"

    merge_on_remote(remote, "session/0001-explore", tmp_path)
    fake_github.close(1, merged=True)

    fake_api.push(note(4, "Nothing here."), drop_it(5))
    second = night(remote, tmp_path / "runner-2", actions_env)
    assert all(proc.returncode == 0 for proc in second.values()), {
        name: proc.stderr for name, proc in second.items()}
    assert second["Record review decisions"].stdout == (
        "Session 0001 crystallized in review: pull request #1 merged\n")
    assert list(fake_github.pulls) == [1]  # an abandoned session opens none

    reader = clone(remote, tmp_path / "reader")
    logged = [line.split()[:3] for line in agentgit(reader, "log").stdout.splitlines()]
    assert [(n, outcome) for n, _, outcome in logged] == [
        ("0002", "abandoned"), ("0001", "crystallized")]
    assert not git(remote, "for-each-ref", "refs/heads/session", "refs/agentgit/review")


def test_a_dispatch_resumes_a_session_a_scheduled_run_left_interrupted(
        corpus_repo: Path, tmp_path: Path, actions_env: dict[str, str], fake_api: FakeAPI,
        fake_github: FakeGitHub) -> None:
    remote = attached_remote(tmp_path, corpus_repo)
    fake_api.push(draft(1), error(500, "boom"), error(500, "boom"))
    first = night(remote, tmp_path / "runner-1", actions_env, review="merge")
    assert first["Session"].returncode == 3, first["Session"].stderr
    assert "in any clone of origin" in first["Session"].stderr

    fake_api.push(keep(2))
    again = night(remote, tmp_path / "runner-2", actions_env, resume="1")
    assert again["Session"].returncode == 0, again["Session"].stderr
    result = json.loads(again["Session"].stdout.splitlines()[-1])  # CI: JSON lines
    assert (result["session"], result["outcome"]) == (1, "crystallized")
    assert "corpus/pieces/tides.md" in git(remote, "ls-tree", "-r", "--name-only", "main")
    assert fake_github.pulls == {}  # it started with review merge, and resumed so
