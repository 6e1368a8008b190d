"""`Repository.messages`: the trailers of a message's last paragraph, parsed from the raw
body, are the ones `git log`'s own `%(trailers)` gives for agentgit's commits; a line
that looks like a trailer in an earlier paragraph is not one."""

from __future__ import annotations

from pathlib import Path

from conftest import git
from helpers import plain_repo

from agentgit.git import Repository


def test_messages_read_the_same_trailers_as_log(tmp_path: Path) -> None:
    repo_dir = plain_repo(tmp_path / "repo")
    bodies = [
        "Experiment 1: a subject\n\nAgentgit-Session: 0001\nAgentgit-Status: keep\n",
        "Experiment 2: reasoning first\n\nAgentgit-Status: forged in the reasoning\n\n"
        "More reasoning.\n\nAgentgit-Session: 0001\nAgentgit-Status: discard\n",
        "A subject only\n",
    ]
    for body in bodies:
        git(repo_dir, "commit", "-q", "--allow-empty", "-m", body)
    repo = Repository.discover(repo_dir)
    fast = repo.messages(["HEAD"])
    slow = repo.log(["HEAD"], body=False)
    assert [c.trailers for c in fast] == [c.trailers for c in slow]
    assert [c.trailers.get("Agentgit-Status") for c in fast] == [None, "discard", "keep"]
    assert [(c.sha, c.subject, c.parents) for c in fast] == [
        (c.sha, c.subject, c.parents) for c in slow
    ]
