"""Sessions run at once as separate processes: distinct ids, and every one of them lands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import agentgit, git
from helpers import sessions_at_once
from scripts import abandon_script, keep_script, write_script


def run_at_once(repo: Path, scripts: list[Path], checkout: bool) -> list[dict]:
    """Start one `agentgit session` per script, all before any of them ends."""
    if not checkout:
        # main not checked out anywhere: sessions move the ref alone.
        git(repo, "switch", "-q", "--detach")
    return sessions_at_once([(repo, script) for script in scripts])


@pytest.mark.parametrize("checkout", [True, False], ids=["main-checked-out", "detached"])
def test_three_sessions_at_once_all_land(corpus_repo: Path, tmp_path: Path, checkout: bool) -> None:
    base = git(corpus_repo, "rev-parse", "main").strip()
    scripts = [
        write_script(tmp_path / "a.jsonl", keep_script("alpha", "Alpha")),
        write_script(tmp_path / "b.jsonl", keep_script("beta", "Beta")),
        write_script(tmp_path / "c.jsonl", abandon_script("gamma", reason="flat")),
    ]
    results = run_at_once(corpus_repo, scripts, checkout)

    assert sorted(r["session"] for r in results) == [1, 2, 3]
    assert [r["outcome"] for r in results] == ["crystallized", "crystallized", "abandoned"]
    tree = set(git(corpus_repo, "ls-tree", "-r", "--name-only", "main").split())
    assert {"corpus/pieces/alpha.md", "corpus/pieces/beta.md"} <= tree
    assert "corpus/pieces/gamma.md" not in tree
    for r, i in zip(results, range(3), strict=True):
        assert f"corpus/log/{r['session']:04d}-topic-{i}.md" in tree
        archived = git(corpus_repo, "rev-parse", f"refs/agentgit/sessions/{r['session']:04d}")
        assert archived.strip() == r["head"]
        assert git(corpus_repo, "notes", "--ref", "refs/notes/agentgit", "show", r["head"])
    first_parent = git(
        corpus_repo, "log", "--first-parent", "--format=%s", f"{base}..main"
    ).splitlines()
    assert len(first_parent) == 3
    assert not git(corpus_repo, "for-each-ref", "refs/heads/session")
    assert git(corpus_repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    git(corpus_repo, "fsck", "--full", "--no-progress", "--strict")
    if checkout:
        assert git(corpus_repo, "status", "--porcelain") == ""
        assert (corpus_repo / "corpus/pieces/alpha.md").is_file()
    log = agentgit(corpus_repo, "log", "--json")
    assert sorted(json.loads(x)["session"] for x in log.stdout.splitlines()) == [1, 2, 3]
