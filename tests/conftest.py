"""Hermetic git for every test: no global or system config, fixed identities and dates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXED_DATE = "2026-01-02T03:04:05+00:00"


@pytest.fixture(autouse=True)
def hermetic_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    seal(monkeypatch, tmp_path_factory.mktemp("home"))
    yield


def seal(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The sealed environment: also for module-scoped fixtures, which run before the
    function-scoped autouse one."""
    for key in list(os.environ):
        if key.startswith(("GIT_", "AGENTGIT_", "ANTHROPIC_", "GITHUB_")) or key == "CI":
            monkeypatch.delenv(key, raising=False)
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.invalid",
        "GIT_AUTHOR_DATE": FIXED_DATE,
        "GIT_COMMITTER_DATE": FIXED_DATE,
        "GIT_TERMINAL_PROMPT": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def agentgit(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "agentgit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def agentgit_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout built as a wheel, once per test process (a couple of seconds)."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = dist.glob("agentgit-*.whl")
    return wheel


@pytest.fixture
def corpus_repo(tmp_path: Path) -> Path:
    """A fresh corpus repository made by `agentgit init`."""
    from agentgit.corpus.skeleton import init

    path = tmp_path / "corpus-repo"
    init(path)
    return path


from fakeapi import fake_api  # noqa: E402,F401  (the fake Messages API fixture)
from fakegithub import fake_github  # noqa: E402,F401  (the fake GitHub REST fixture)
from httpremote import http_remote  # noqa: E402,F401  (a smart-HTTP git remote)


@pytest.fixture
def github_env(fake_github, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    """The fake GitHub, and the environment that points agentgit at it."""
    from fakegithub import REPOSITORY, TOKEN

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    return fake_github


@pytest.fixture
def remote(request: pytest.FixtureRequest, tmp_path: Path, corpus_repo: Path) -> Path:
    """A bare remote.git, `origin` of the corpus, holding its main; a test that also has
    the fake GitHub gets one that knows this remote's branches, as GitHub does."""
    from helpers import attached_remote

    bare = attached_remote(tmp_path, corpus_repo)
    if "fake_github" in request.fixturenames:
        request.getfixturevalue("fake_github").remote = bare
    return bare


@pytest.fixture
def needs_review(corpus_repo: Path) -> Path:
    """A corpus whose session 1 ended needs-review, its branch left for a person."""
    from helpers import needs_review_repo

    return needs_review_repo(corpus_repo)
