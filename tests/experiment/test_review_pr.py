"""An experiment session sent to review (DESIGN §10, §5): the pull request body holds the
table of its runs, the ones not kept included, and main's figures to be."""

from __future__ import annotations

from pathlib import Path

from fakegithub import FakeGitHub
from helpers import rev, session_run
from toy import keep, metric, run, toy_repo, write

from agentgit.experiment.results import markdown_table, runs
from agentgit.git import Repository


def test_the_pull_request_body_holds_the_table_of_runs(
    corpus_repo: Path, remote: Path, github_env: FakeGitHub
) -> None:
    toy_repo(corpus_repo)
    main_before = rev(remote, "main")
    turns = [
        write("train.py", "X = 6\n"),
        run("X nearer 7 lowers the loss"),  # 1.0: keep
        write("train.py", "X = 9\n"),
        run("past 7 | is worse"),  # 4.0: discard (a pipe, which must not split a cell)
        write("train.py", "X = (\n"),
        run("a syntax error crashes"),
        keep(),
    ]
    result = session_run(corpus_repo, turns, topic="toy", metric=metric(), review="pr")
    assert result.outcome == "in-review", result
    assert rev(remote, "main") == main_before  # review decides
    (pull,) = github_env.pulls.values()
    assert pull["labels"] == ["agentgit", "crystallized"]
    body = pull["body"]
    assert "### Runs" in body
    assert "`loss=1.0 baseline=16.0 noise=0.0 runs=3 kept=1`" in body
    rows = [line for line in body.splitlines() if line.startswith("| ")]
    assert rows[0] == "| # | commit | loss | status | seconds | hypothesis |"
    found = runs(Repository.discover(corpus_repo), 1)
    cells = [[c.strip() for c in row.strip("|").split(" | ")] for row in rows[1:]]
    assert [(c[0], c[1], c[2], c[3]) for c in cells] == [
        (str(r.experiment), f"`{r.commit[:10]}`", v, s)
        for r, v, s in zip(
            found,
            ["16.0", "1.0", "4.0", "—"],
            ["baseline", "keep", "discard", "crash"],
            strict=True,
        )
    ]
    assert cells[2][5] == "past 7 \\| is worse"
    assert cells[3][5] == "a syntax error crashes"


def test_a_long_night_s_table_is_bounded_with_the_baseline_first(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [run("the base again")]  # measured before: answered from the baseline
    for i in range(1, 6):
        turns += [write("train.py", f"X = {3 + i}\n"), run(f"X = {3 + i}")]
    session_run(corpus_repo, [*turns, keep()], topic="toy", metric=metric())
    found = runs(Repository.discover(corpus_repo), 1)
    assert len(found) == 6
    table = markdown_table(found, rows=3)
    assert [line.split(" | ")[0] for line in table[2:5]] == ["| 0", "| 4", "| 5"]
    assert table[-1] == "…and 3 earlier runs: `agentgit experiments 0001` lists them."
