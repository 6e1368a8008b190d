"""Many machines on one remote (DESIGN §5): pushing, ids claimed on the remote, a main
that moved, a protected main. Bare remotes in temporary directories, real git."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import agentgit, git

# test_review.py imports these from here; they live in helpers.py.
from helpers import (
    NOTES,
    attach,
    bare_remote,
    clone,
    files,
    protect_main,
    refs,
    rev,
    session_run,
    sessions_at_once,
)
from helpers import attached_remote as attached_remote
from scripts import abandon_script, keep_script, write_script

from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import run, start
from agentgit.models.scripted import ScriptedModel
from agentgit.session import coordinator


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return bare_remote(tmp_path)


def test_kept_and_abandoned_sessions_push_main_archive_and_notes(
    corpus_repo: Path, remote: Path
) -> None:
    attach(corpus_repo, remote)
    kept = session_run(corpus_repo, keep_script("tides", "Tides"), topic="tides")
    gone = session_run(corpus_repo, abandon_script("dead-end"), topic="dead end")

    assert (kept.outcome, gone.outcome) == ("crystallized", "abandoned")
    assert rev(remote, "main") == rev(corpus_repo, "main") == gone.main_commit
    tree = files(remote, "main")
    assert {
        "corpus/pieces/tides.md",
        "corpus/log/0001-tides.md",
        "corpus/log/0002-dead-end.md",
    } <= tree
    assert refs(remote, "refs/agentgit/sessions") == {
        "refs/agentgit/sessions/0001": kept.head,
        "refs/agentgit/sessions/0002": gone.head,
    }
    assert not refs(remote, "refs/heads/session")  # claimed there, removed once landed
    for result in (kept, gone):
        assert "messages" in git(remote, "notes", "--ref", NOTES, "show", str(result.head))
    assert git(corpus_repo, "status", "--porcelain") == ""
    git(remote, "fsck", "--full", "--no-progress")


def test_no_push_keeps_everything_local(corpus_repo: Path, remote: Path) -> None:
    attach(corpus_repo, remote)
    before = refs(remote, "refs")
    result = session_run(corpus_repo, keep_script(), topic="tides", push=False)
    assert result.outcome == "crystallized"
    assert refs(remote, "refs") == before
    assert "corpus/pieces/tides.md" in files(corpus_repo, "main")


def test_remote_main_moved_during_the_session_is_merged_and_pushed(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    attach(corpus_repo, remote)
    other = clone(remote, tmp_path / "other")
    repo = Repository.discover(corpus_repo)
    settings = Settings(model="scripted")
    mine = start(repo, settings, topic="tides", model_name="scripted")
    assert mine.session == 1
    # Another machine starts and lands while this session is still running.
    theirs = session_run(other, keep_script("waves", "Waves"), topic="waves")
    assert theirs.session == 2 and theirs.outcome == "crystallized"

    result = run(repo, mine, ScriptedModel(keep_script("tides", "Tides")), settings)
    assert result.outcome == "crystallized"
    main = rev(remote, "main")
    assert main == result.main_commit == rev(corpus_repo, "main")
    assert git(remote, "rev-list", "--parents", "-n1", main).split()[1:] == [
        theirs.main_commit,
        result.head,
    ]
    assert {
        "corpus/pieces/tides.md",
        "corpus/pieces/waves.md",
        "corpus/log/0001-tides.md",
        "corpus/log/0002-waves.md",
    } <= files(remote, "main")
    for head in (result.head, theirs.head):  # both machines' notes reached the remote
        assert git(remote, "notes", "--ref", NOTES, "show", str(head))
    # The checkout came forward with the remote's main.
    assert (corpus_repo / "corpus/pieces/waves.md").is_file()
    assert git(corpus_repo, "status", "--porcelain") == ""


def test_an_id_taken_on_the_remote_is_refused_to_the_second_claimant(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    attach(corpus_repo, remote)
    other = Repository.discover(clone(remote, tmp_path / "other"))
    mine = Repository.discover(corpus_repo)
    base = rev(corpus_repo, "main")
    branch, archive = "refs/heads/session/0001-x", "refs/agentgit/sessions/0001"
    assert coordinator.claim(mine, "origin", branch, archive, base) is True
    assert coordinator.claim(other, "origin", "refs/heads/session/0001-y", archive, base) is False
    assert "refs/heads/session/0001-y" not in refs(remote, "refs/heads")  # atomic: neither


def test_two_clones_racing_get_distinct_ids_and_all_land(
    corpus_repo: Path, remote: Path, tmp_path: Path
) -> None:
    attach(corpus_repo, remote)
    clones = [corpus_repo] + [clone(remote, tmp_path / f"clone{i}") for i in range(2)]
    scripts = [
        write_script(tmp_path / "a.jsonl", keep_script("alpha", "Alpha")),
        write_script(tmp_path / "b.jsonl", keep_script("beta", "Beta")),
        write_script(tmp_path / "c.jsonl", abandon_script("gamma")),
    ]
    results = sessions_at_once(list(zip(clones, scripts, strict=True)))
    assert sorted(r["session"] for r in results) == [1, 2, 3]
    assert [r["outcome"] for r in results] == ["crystallized", "crystallized", "abandoned"]
    tree = files(remote, "main")
    assert {"corpus/pieces/alpha.md", "corpus/pieces/beta.md"} <= tree
    for i, r in enumerate(results):
        assert f"corpus/log/{r['session']:04d}-topic-{i}.md" in tree
        assert rev(remote, f"refs/agentgit/sessions/{r['session']:04d}") == r["head"]
        assert git(remote, "notes", "--ref", NOTES, "show", r["head"])
    assert not refs(remote, "refs/heads/session")


def test_a_protected_main_ends_needs_review_with_nothing_lost(
    corpus_repo: Path, remote: Path
) -> None:
    attach(corpus_repo, remote)
    protect_main(remote)
    before = rev(remote, "main")
    local_before = rev(corpus_repo, "main")
    result = session_run(corpus_repo, keep_script("tides", "Tides"), topic="tides")

    assert result.outcome == "needs-review"
    assert "refused the push to main" in (result.reason or "")
    assert rev(remote, "main") == before  # never forced
    assert rev(corpus_repo, "main") == local_before
    # The branch, the archive and the transcript are on the remote, for a person.
    branch = f"refs/heads/{result.branch}"
    assert rev(remote, branch) == result.head == rev(remote, "refs/agentgit/sessions/0001")
    assert rev(corpus_repo, branch) == result.head
    assert "corpus/pieces/tides.md" in files(remote, str(result.head))
    assert "needs-review" in git(remote, "show", f"{result.head}:corpus/log/0001-tides.md")
    assert git(remote, "notes", "--ref", NOTES, "show", str(result.head))


# -- a remote that stalls -----------------------------------------------------------------


@pytest.fixture
def stalling_server() -> Iterator[str]:
    """An HTTP 'remote' that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/corpus.git"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_network_calls_give_up_on_a_stalled_remote_and_settings_win(
    corpus_repo: Path, stalling_server: str, tmp_path: Path
) -> None:
    repo = Repository.discover(corpus_repo)
    env = repo.network_env()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_HTTP_LOW_SPEED_LIMIT"] == "1000" and env["GIT_HTTP_LOW_SPEED_TIME"] == "60"
    assert "ConnectTimeout=30" in env["GIT_SSH_COMMAND"]
    git(corpus_repo, "config", "core.sshCommand", "ssh -i my-key")
    git(corpus_repo, "config", "http.lowSpeedLimit", "10")
    mine = Repository.discover(corpus_repo).network_env()
    assert "GIT_SSH_COMMAND" not in mine and "GIT_HTTP_LOW_SPEED_LIMIT" not in mine

    # A stalled transfer fails the session's start in one line, with nothing claimed.
    git(corpus_repo, "config", "--unset", "http.lowSpeedLimit")
    git(corpus_repo, "remote", "add", "origin", stalling_server)
    script = write_script(tmp_path / "keep.jsonl", keep_script("tides", "Tides"))
    proc = agentgit(
        corpus_repo,
        "session",
        "--model",
        f"scripted:{script}",
        env={"GIT_HTTP_LOW_SPEED_LIMIT": "1000", "GIT_HTTP_LOW_SPEED_TIME": "1"},
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("agentgit: reading origin: timed out (")
    assert "Operation too slow" in proc.stderr
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session", "refs/agentgit")
