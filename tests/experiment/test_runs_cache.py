"""The runs read back from git are kept between calls (.git/agentgit/runs.json): a call
after new runs walks only those, and a ref gone, a cache damaged or a cache from
elsewhere gives the same runs as no cache at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git
from helpers import session_run
from toy import keep, metric, run, toy_repo, write

from agentgit.experiment import results
from agentgit.git import Repository


def uncached(repo: Repository) -> list[results.Run]:
    (repo.state_dir / results.CACHE).unlink(missing_ok=True)
    return results.runs(repo)


def night(path: Path, xs: list[int], topic: str) -> None:
    turns = []
    for x in xs:
        turns += [write("train.py", f"X = {x}\n"), run(f"X = {x}")]
    session_run(path, [*turns, keep()], topic=topic, metric=metric())


def test_new_runs_and_a_ref_gone_read_the_same_as_no_cache(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    repo = Repository.discover(corpus_repo)
    night(corpus_repo, [6, 9], "first")
    first = results.runs(repo)
    assert [(r.session, r.experiment, r.status) for r in first] == [
        (1, 0, "baseline"),
        (1, 1, "keep"),
        (1, 2, "discard"),
    ]
    assert (repo.state_dir / results.CACHE).is_file()
    assert results.runs(repo) == first  # the tips did not move: the cache answers
    night(corpus_repo, [8, 2], "second")  # main moved, new archives and run refs
    later = results.runs(repo)
    assert later == uncached(repo) and len(later) == 6
    # A run only one ref holds: listed, then gone with its ref.
    message = (
        "Experiment 7: by hand\n\nAgentgit-Session: 0009\nAgentgit-Experiment: 7\n"
        "Agentgit-Metric: loss=1.0\nAgentgit-Status: discard\n"
    )
    tree = git(corpus_repo, "rev-parse", "main^{tree}").strip()
    lone = git(corpus_repo, "commit-tree", tree, "-m", message).strip()
    git(corpus_repo, "update-ref", "refs/agentgit/runs/0009/7", lone)
    assert (9, 7) in {(r.session, r.experiment) for r in results.runs(repo)}
    git(corpus_repo, "update-ref", "-d", "refs/agentgit/runs/0009/7")
    gone = results.runs(repo)
    assert (9, 7) not in {(r.session, r.experiment) for r in gone}
    assert gone == uncached(repo)
    assert results.runs(repo, 2) == [r for r in gone if r.session == 2]


@pytest.mark.parametrize(
    "damage",
    [
        "not json",
        '{"version": 1}',
        '{"version": 1, "tips": [], "runs": [{"bogus": 1}]}',
        '{"version": 99, "tips": [], "runs": []}',
        "[]",
    ],
)
def test_a_damaged_cache_is_rebuilt(corpus_repo: Path, damage: str) -> None:
    toy_repo(corpus_repo)
    repo = Repository.discover(corpus_repo)
    night(corpus_repo, [6], "one")
    right = uncached(repo)
    (repo.state_dir / results.CACHE).write_text(damage, "utf-8")
    assert results.runs(repo) == right
    assert results.runs(repo) == right  # and written anew
