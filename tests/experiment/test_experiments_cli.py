"""`agentgit experiments [N] [--json] [--tsv]` (DESIGN §10): every run, read from git."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import agentgit
from helpers import session_run
from scripts import abandon
from toy import metric, run, toy_repo, write


def test_the_runs_as_a_table_json_lines_and_autoresearch_tsv(corpus_repo: Path) -> None:
    toy_repo(corpus_repo)
    turns = [
        write("train.py", "X = 6\n"),
        run("nearer\tseven"),
        write("train.py", "X = ("),
        run("typo"),
        abandon("x"),
    ]
    session_run(corpus_repo, turns, topic="toy", metric=metric())
    table = agentgit(corpus_repo, "experiments")
    assert table.returncode == 0, table.stderr
    assert len(table.stdout.splitlines()) == 3 and "keep" in table.stdout
    records = [
        json.loads(x) for x in agentgit(corpus_repo, "experiments", "--json").stdout.splitlines()
    ]
    assert [(r["experiment"], r["status"], r["value"]) for r in records] == [
        (0, "baseline", 16.0),
        (1, "keep", 1.0),
        (2, "crash", None),
    ]
    tsv = agentgit(corpus_repo, "experiments", "1", "--tsv").stdout.splitlines()
    assert tsv[0].split("\t")[:5] == ["commit", "loss", "memory_gb", "status", "description"]
    row = tsv[2].split("\t")
    assert (len(row[0]), row[1], row[3], row[4]) == (7, "1.000000", "keep", "nearer seven")
    assert tsv[3].split("\t")[1:4] == ["0.000000", "0.0", "crash"]
    assert (
        agentgit(corpus_repo, "experiments", "2").stdout
        == "no experiment runs in session 0002 yet\n"
    )
    both = agentgit(corpus_repo, "experiments", "--json", "--tsv")
    assert both.returncode == 2
