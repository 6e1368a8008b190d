"""The workflow `agentgit init --ci github` writes, run as Actions would run it: each
`run:` step, verbatim, under bash in a fresh clone with no git identity, its `env:`
expressions filled in as Actions fills them. Its install step really installs agentgit,
from a wheel of this checkout, into the runner's own Python, and later steps run that
install. Two scheduled nights against one bare remote, the fake Messages API and the
fake GitHub: the first opens a pull request, a person merges it, the second records
that and runs its own session."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from apiturns import draft, drop_it, keep, note
from conftest import agentgit, git
from fakeapi import FAKE_KEY, FakeAPI, error
from fakegithub import REPOSITORY, TOKEN, FakeGitHub
from helpers import clone, merge_on_remote

from agentgit.corpus.workflow import render_workflow

# What pip itself installs as agentgit, or the editable install of this checkout leaves.
OURS = re.compile(r"^(_?_?editable.*agentgit.*|agentgit(-[^/]*\.dist-info)?|_agentgit\.pth)$")


@pytest.fixture(scope="session")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's Python: a fresh venv with no agentgit. It sees this test venv's other
    packages (pip and agentgit's dependencies) through a .pth file, so the workflow's
    install step, run with --no-index, installs only agentgit, offline, in a second."""
    root = tmp_path_factory.mktemp("runner")
    deps = root / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not OURS.match(entry.name):
            (deps / entry.name).symlink_to(entry)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "runner-deps.pth").write_text(f"{deps}\n")
    return python


def expression(expr: str, context: dict[str, str]) -> str:
    """The few GitHub expressions the workflow uses: a name, or `a || 'default'`."""
    left, _, default = (part.strip() for part in expr.partition("||"))
    if left not in context:
        raise AssertionError(f"the workflow uses an expression this test does not know: {expr}")
    return context[left] or default.strip("'")


def run_workflow(
    text: str, workdir: Path, context: dict[str, str], env: dict[str, str]
) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    steps = yaml.safe_load(text)["jobs"]["session"]["steps"]
    done = []
    failed = False
    for step in steps:
        if "run" not in step:
            continue
        # After a failed step Actions runs only the steps whose `if` says to.
        if failed and "!cancelled()" not in str(step.get("if", "")):
            continue
        step_env = {
            k: re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: expression(m.group(1), context), str(v))
            for k, v in (step.get("env") or {}).items()
        }
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=workdir,
            capture_output=True,
            text=True,
            env={**env, **step_env},
            timeout=120,
        )
        done.append((step["name"], proc))
        if proc.returncode != 0 and not step.get("continue-on-error"):
            failed = True
    return done


@pytest.fixture
def actions_env(
    tmp_path: Path, fake_api: FakeAPI, fake_github: FakeGitHub, runner_python: Path
) -> dict[str, str]:
    """What a runner has: no git identity or global config, the variables Actions sets,
    and its own Python first on PATH, where the install step puts agentgit (pip never
    reaches a package index here)."""
    identity = (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    )  # the workflow's own step sets the identity
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "GITHUB_", "VIRTUAL_ENV", "PYTHON", "PIP_"))
        and k not in identity
    }
    bindir = runner_python.parent
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    return {
        **env,
        "PATH": f"{bindir}:{env['PATH']}",
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": fake_github.url,
        "ANTHROPIC_BASE_URL": fake_api.url,
        "AGENTGIT_MAX_RETRIES": "1",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "RUNNER_TEMP": str(runner_temp),
    }


def night(
    remote: Path, path: Path, env: dict[str, str], wheel: Path, **inputs: str
) -> dict[str, subprocess.CompletedProcess[str]]:
    """One run of the workflow on a runner: checkout with full history, then the steps,
    the workflow's install step installing `wheel` (`init --ci github --install WHEEL`).
    A scheduled run has no inputs."""
    git(remote.parent, "clone", "-q", str(remote), str(path))
    context = {
        "secrets.ANTHROPIC_API_KEY": FAKE_KEY,
        "github.token": TOKEN,
        "github.repository": REPOSITORY,
        "steps.map.outputs.artifact-url": ARTIFACT_URL,  # what upload-artifact answers
        **{f"inputs.{k}": v for k, v in inputs.items()},
    }
    for name in ("topic", "review", "resume"):
        context.setdefault(f"inputs.{name}", "")
    return dict(run_workflow(render_workflow(install=str(wheel)), path, context, env))


ARTIFACT_URL = "https://github.com/o/r/actions/runs/1/artifacts/2"


def mapped_sessions(env: dict[str, str]) -> list[tuple[int, str]]:
    """The sessions on the map the workflow's Map step drew, and their outcomes."""
    page = Path(env["RUNNER_TEMP"], "agentgit-map.html").read_text("utf-8")
    data = re.search(r'id="landscape">(.*?)</script>', page, re.S)
    assert data, page[:300]
    return [(s["session"], s["outcome"]) for s in json.loads(data.group(1))["sessions"]]


def test_two_scheduled_nights_open_a_pull_request_then_record_its_merge(
    corpus_repo: Path,
    remote: Path,
    tmp_path: Path,
    actions_env: dict[str, str],
    fake_api: FakeAPI,
    fake_github: FakeGitHub,
    agentgit_wheel: Path,
    runner_python: Path,
) -> None:
    summary = Path(actions_env["GITHUB_STEP_SUMMARY"])

    fake_api.push(draft(1), note(2), keep(3))
    first = night(remote, tmp_path / "runner-1", actions_env, agentgit_wheel)
    assert list(first) == [
        "Install agentgit",
        "Git identity of the agent",
        "Record review decisions",
        "Session",
        "Map",
        "Link the map",
    ]
    assert all(proc.returncode == 0 for proc in first.values()), {
        name: proc.stderr for name, proc in first.items()
    }
    # The steps ran the agentgit the install step put in the runner's Python.
    where = subprocess.run(
        [
            "bash",
            "-c",
            'head -1 "$(command -v agentgit)"; python -c '
            "'import agentgit; print(agentgit.__file__)'",
        ],
        cwd=tmp_path,
        env=actions_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.splitlines() == [f"#!{runner_python}", where.splitlines()[1]], where
    assert where.splitlines()[1].startswith(str(runner_python.parents[1])), where
    assert first["Record review decisions"].stdout == ""
    assert list(fake_github.pulls) == [1]
    assert fake_github.pulls[1]["labels"] == ["agentgit", "crystallized"]
    assert "pull/1" in summary.read_text("utf-8")
    assert f"[The map of the sessions]({ARTIFACT_URL})" in summary.read_text("utf-8")
    assert mapped_sessions(actions_env) == [(1, "in-review")]
    author = git(remote, "log", "-1", "--format=%an <%ae>", "refs/agentgit/sessions/0001")
    assert author.strip() == "agentgit <agentgit@users.noreply.github.com>"

    merge_on_remote(remote, "session/0001-explore", tmp_path)
    fake_github.close(1, merged=True)

    fake_api.push(note(4, "Nothing here."), drop_it(5))
    second = night(remote, tmp_path / "runner-2", actions_env, agentgit_wheel)
    assert all(proc.returncode == 0 for proc in second.values()), {
        name: proc.stderr for name, proc in second.items()
    }
    assert second["Record review decisions"].stdout == (
        "Session 0001 crystallized in review: pull request #1 merged\n"
    )
    assert list(fake_github.pulls) == [1]  # an abandoned session opens none
    assert mapped_sessions(actions_env) == [(1, "crystallized"), (2, "abandoned")]

    reader = clone(remote, tmp_path / "reader")
    logged = [line.split()[:3] for line in agentgit(reader, "log").stdout.splitlines()]
    assert [(n, outcome) for n, _, outcome in logged] == [
        ("0002", "abandoned"),
        ("0001", "crystallized"),
    ]
    assert not git(remote, "for-each-ref", "refs/heads/session", "refs/agentgit/review")


def test_a_dispatch_resumes_a_session_a_scheduled_run_left_interrupted(
    corpus_repo: Path,
    remote: Path,
    tmp_path: Path,
    actions_env: dict[str, str],
    fake_api: FakeAPI,
    fake_github: FakeGitHub,
    agentgit_wheel: Path,
) -> None:
    fake_api.push(draft(1), error(500, "boom"), error(500, "boom"))
    first = night(remote, tmp_path / "runner-1", actions_env, agentgit_wheel, review="merge")
    assert first["Session"].returncode == 3, first["Session"].stderr
    assert "in any clone of origin" in first["Session"].stderr

    # The map is drawn after a failed session too (`if: !cancelled()`).
    assert first["Map"].returncode == 0, first["Map"].stderr
    assert mapped_sessions(actions_env) == [(1, "open")]
    fake_api.push(keep(2))
    again = night(remote, tmp_path / "runner-2", actions_env, agentgit_wheel, resume="1")
    assert again["Session"].returncode == 0, again["Session"].stderr
    result = json.loads(again["Session"].stdout.splitlines()[-1])  # CI: JSON lines
    assert (result["session"], result["outcome"]) == (1, "crystallized")
    assert "corpus/pieces/tides.md" in git(remote, "ls-tree", "-r", "--name-only", "main")
    assert fake_github.pulls == {}  # it started with review merge, and resumed so


def test_init_in_an_agentgit_installed_from_a_wheel_file_says_to_pass_install(
    tmp_path: Path, actions_env: dict[str, str], agentgit_wheel: Path, runner_python: Path
) -> None:
    # pip records the wheel file's path in direct_url.json (PEP 610): no runner reaches it.
    subprocess.run(
        [str(runner_python), "-m", "pip", "install", "-q", str(agentgit_wheel)],
        cwd=tmp_path,
        env=actions_env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.run(
        ["agentgit", "init", "corpus", "--ci", "github"],
        cwd=tmp_path,
        env=actions_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(
        "warning: The workflow installs agentgit==0.1.0 from the "
        "package index, but this agentgit came from a local file "
        f"(file://{agentgit_wheel})"
    ), proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    text = (tmp_path / "corpus/.github/workflows/agentgit.yml").read_text("utf-8")
    assert "python -m pip install 'agentgit==0.1.0'" in text
