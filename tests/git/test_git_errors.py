"""git's own failures, met as a new user meets them (issue 9, items 8 and 11): a lock file
left behind, a `master` branch, an empty repository, an unreachable remote, a repository
git cannot write to. Each is one line saying what to do, and nothing of the user's
checkout is staged or unstaged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import agentgit, git
from scripts import keep_script, write_script


def one_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("agentgit: ")
    return last


@pytest.fixture
def keep(tmp_path: Path) -> str:
    return "scripted:" + str(write_script(tmp_path / "keep.jsonl", keep_script()))


@pytest.mark.parametrize("lock", [".git/index.lock", ".git/refs/heads/main.lock"])
def test_a_lock_left_behind_is_named_and_the_checkout_is_untouched(
    corpus_repo: Path, keep: str, lock: str
) -> None:
    before = git(corpus_repo, "rev-parse", "main").strip()
    (corpus_repo / lock).touch()
    proc = agentgit(corpus_repo, "session", "--model", keep)
    last = one_line(proc, 3)
    assert f"remove {corpus_repo / lock} if no git process is running" in last
    assert "kept moving" not in last and "needs-review" not in proc.stdout
    assert git(corpus_repo, "rev-parse", "main").strip() == before
    assert git(corpus_repo, "status", "--porcelain") == ""

    (corpus_repo / lock).unlink()
    done = agentgit(corpus_repo, "resume", "1")
    assert done.returncode == 0, done.stderr
    assert "Session 0001 crystallized" in done.stdout
    assert git(corpus_repo, "status", "--porcelain") == ""
    assert (corpus_repo / "corpus/pieces/tides.md").is_file()


def test_a_master_branch_gets_one_answer_from_every_command(tmp_path: Path, keep: str) -> None:
    repo = tmp_path / "mine"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    git(repo, "commit", "-q", "--allow-empty", "-m", "mine")
    lines = {
        one_line(agentgit(repo, *args), 1)
        for args in (["log"], ["session", "--model", keep], ["init"], ["show", "1"])
    }
    assert lines == {
        f"agentgit: {repo}: agentgit keeps its history on a branch named "
        "'main', and this repository's branch is 'master': rename it "
        "(`git branch -m master main`), then run `agentgit init`"
    }
    git(repo, "branch", "-m", "master", "main")
    assert agentgit(repo, "init").returncode == 0
    assert agentgit(repo, "session", "--model", keep).returncode == 0
    assert "crystallized" in agentgit(repo, "log").stdout


def test_an_empty_repository_is_told_to_run_init_and_init_sets_it_up(
    tmp_path: Path, keep: str
) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    for args in (["log"], ["session", "--model", keep]):
        assert one_line(agentgit(repo, *args), 1) == (
            f"agentgit: {repo}: has no commits yet; run `agentgit init` to set it up"
        )
    assert agentgit(repo, "init").returncode == 0
    assert agentgit(repo, "session", "--model", keep).returncode == 0


def test_an_unreachable_remote_says_so_and_claims_nothing(
    corpus_repo: Path, keep: str, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.git"
    git(corpus_repo, "remote", "add", "origin", str(missing))
    last = one_line(agentgit(corpus_repo, "session", "--model", keep), 1)
    assert last.startswith(
        "agentgit: reading origin: cannot reach the remote ("
        f"'{missing}' does not appear to be a git repository"
    )
    assert "and the repository exists" not in last
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session", "refs/agentgit")


@pytest.fixture
def read_only_repo(tmp_path: Path) -> Iterator[tuple[Path, list[str], dict[str, str]]]:
    """A corpus repository this process cannot write to: mode a-w and, when the tests run
    as root (who may write anyway), owned by and run as `nobody`."""
    from agentgit.corpus.skeleton import init

    root = Path(tempfile.mkdtemp(prefix="agentgit-ro-"))
    root.chmod(0o755)
    repo = root / "corpus"
    init(repo)
    write_script(root / "keep.jsonl", keep_script())  # where `nobody` can read it
    prefix: list[str] = []
    env = {"HOME": str(root), "XDG_CONFIG_HOME": str(root)}
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "65534:65534", str(repo)], check=True)
        prefix = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    subprocess.run(["chmod", "-R", "a-w", str(repo)], check=True)
    yield repo, prefix, env
    subprocess.run(["chmod", "-R", "u+w", str(repo)], check=True)
    shutil.rmtree(root)


def test_a_read_only_repository_says_it_cannot_be_written(
    read_only_repo: tuple[Path, list[str], dict[str, str]],
) -> None:
    repo, prefix, env = read_only_repo
    keep = f"scripted:{repo.parent / 'keep.jsonl'}"
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "agentgit", "session", "--model", keep],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    last = one_line(proc, 1)
    assert last.startswith("agentgit: cannot write to this repository (")
    assert last.endswith("it needs write access to the .git directory")
    assert "could not claim a session id" not in last


def test_a_checkout_that_cannot_come_forward_never_has_main_moved_under_it(
    corpus_repo: Path, keep: str
) -> None:
    before = git(corpus_repo, "rev-parse", "main").strip()
    mine = corpus_repo / "corpus/log/0001-explore.md"
    mine.write_text("the user's own file, untracked\n")
    proc = agentgit(corpus_repo, "session", "--model", keep)
    assert "did not finish landing: uncommitted changes in " in one_line(proc, 3)
    assert git(corpus_repo, "rev-parse", "main").strip() == before
    assert git(corpus_repo, "status", "--porcelain") == "?? corpus/log/0001-explore.md\n"
    assert mine.read_text() == "the user's own file, untracked\n"
