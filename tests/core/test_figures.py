"""One parse for the figures read back from git (issue 17): what is not finite, in
range or a sha is refused, and a forged value on main never breaks a read command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import agentgit, git
from helpers import session_run
from scripts import keep_script

from agentgit.core import figures
from agentgit.models.base import Usage
from agentgit.models.pricing import cost_usd


@pytest.mark.parametrize("text", ["inf", "nan", "-inf", "1e309", "-0.5", "free", "", "2e6"])
def test_a_cost_that_is_not_finite_or_in_range_is_refused(text: str) -> None:
    with pytest.raises(figures.BadFigure):
        figures.cost(text)


def test_good_figures_read_back() -> None:
    assert figures.cost("0.250000") == 0.25 and figures.cost("unknown") is None
    assert figures.count("12", "turns") == 12
    assert figures.unit(0.5) == 0.5
    assert figures.session("0007") == 7
    assert figures.sha("ab" * 20) == "ab" * 20 and figures.sha("cd" * 32) == "cd" * 32


@pytest.mark.parametrize("text", ["-3", "+3", "3.0", "0", "0000", "9" * 20, " ", "x7"])
def test_a_session_id_is_a_plain_positive_number_of_sane_length(text: str) -> None:
    with pytest.raises(figures.BadFigure):
        figures.session(text)


@pytest.mark.parametrize("text", ["not-a-sha", "ab" * 19, "AB" * 20, "--all", "g" * 40])
def test_a_head_is_a_full_commit_id(text: str) -> None:
    with pytest.raises(figures.BadFigure):
        figures.sha(text)


@pytest.mark.parametrize("value", [math.nan, math.inf, 1.5, -0.1, True, "0.5x"])
def test_a_score_is_finite_and_in_the_unit_interval(value: object) -> None:
    with pytest.raises(figures.BadFigure):
        figures.unit(value)


def test_a_huge_price_is_never_recorded_as_inf() -> None:
    huge = {"big": {"input": 1e308, "output": 1e308}}
    assert cost_usd("big", Usage(input_tokens=10**9, output_tokens=10**9), huge) is None
    dear = {"dear": {"input": 1e9, "output": 0}}
    assert cost_usd("dear", Usage(input_tokens=10**9), dear) == figures.MAX_COST


# -- forged trailers and frontmatter on main, through the CLI --------------------------

FORGED_ENTRY = """---
session: 2
title: Forged
outcome: crystallized
turns: .nan
usage: {input: .inf, output: -5}
cost_usd: .inf
novelty:
- {piece: tides, score: .nan, nearest: tides, similarity: .inf}
questions:
- {id: q1, text: "Why \u202eevil", status: open}
---

## Summary

Forged.
"""


def _forge(corpus: Path, name: str, entry: str, trailers: str) -> None:
    (corpus / "corpus" / "log" / name).write_text(entry, "utf-8")
    git(corpus, "add", "-A")
    git(corpus, "commit", "--quiet", "--no-verify", "-m", f"Forged\n\nBody.\n\n{trailers}")


@pytest.fixture
def forged_main(corpus_repo: Path) -> Path:
    """One real session, then commits on main with inf, nan and garbage figures."""
    session_run(corpus_repo, keep_script())
    head = git(corpus_repo, "rev-parse", "main").strip()
    _forge(
        corpus_repo,
        "0002-forged.md",
        FORGED_ENTRY,
        "Agentgit-Session: 0002\nAgentgit-Outcome: crystallized\n"
        "Agentgit-Title: Inf \u202eevil\nAgentgit-Pieces: tides\nAgentgit-Turns: nan\n"
        f"Agentgit-Cost: inf\nAgentgit-Head: {head}\n"
        "Agentgit-Novelty: tides nan nearest=tides:inf",
    )
    _forge(
        corpus_repo,
        "0003-minus.md",
        "---\nsession: -3\ntitle: x\ncost_usd: -1e308\n---\n",
        "Agentgit-Session: -3\nAgentgit-Cost: nan\nAgentgit-Head: not-a-sha",
    )
    _forge(
        corpus_repo,
        "0004-long.md",
        "---\nsession: 99999999999999999999\nturns: 99999999999999999999999\n---\n",
        f"Agentgit-Session: {'9' * 20}\nAgentgit-Cost: -1e308\n"
        f"Agentgit-Turns: {'9' * 23}\nAgentgit-Head: --output=/tmp/x",
    )
    return corpus_repo


def _strict(text: str) -> list[dict[str, object]]:
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]


@pytest.mark.parametrize(
    "command",
    [["log"], ["log", "--json"], ["show", "1"], ["show", "2"], ["questions", "--all"], ["map"]],
)
def test_every_read_command_survives_forged_figures(forged_main: Path, command: list[str]) -> None:
    proc = agentgit(forged_main, *command)
    assert proc.returncode == 0, proc.stderr
    assert "\u202e" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_log_json_stays_strict_json_and_names_the_forged_commits(forged_main: Path) -> None:
    proc = agentgit(forged_main, "log", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = _strict(proc.stdout)
    assert [x["session"] for x in lines] == [2, 1]  # -3 and twenty nines are not ids
    assert lines[0]["cost_usd"] is None and lines[0]["turns"] == 0
    forged = git(forged_main, "log", "--format=%h", "--abbrev=12", "-3", "main").split()
    assert all(f"commit {sha}" in proc.stderr for sha in forged), proc.stderr
    assert "cost 'inf' is not finite" in proc.stderr
    # The cache keeps the warnings: a second run says the same.
    again = agentgit(forged_main, "log", "--json")
    assert (again.stdout, again.stderr) == (proc.stdout, proc.stderr)


def test_the_map_of_forged_figures_is_strict_json(forged_main: Path) -> None:
    proc = agentgit(forged_main, "map", "-o", "-")
    assert proc.returncode == 0, proc.stderr
    # the page's data is JSON written with allow_nan=False: it was drawn, forged and all
    assert '"session":2' in proc.stdout and '"session":1' in proc.stdout


def test_the_spend_ledger_skips_a_forged_cost(forged_main: Path) -> None:
    from datetime import UTC, datetime

    from agentgit.git import Repository
    from agentgit.session import ledger

    spent = ledger.spent(Repository.discover(forged_main), None, datetime.now(UTC))
    assert spent.cost == {"day": 0.0, "week": 0.0}


@pytest.mark.parametrize("head", ["not-a-sha", "--output=/tmp/x", "HEAD~1"])
def test_show_of_a_session_whose_head_trailer_is_no_sha_is_one_line(
    corpus_repo: Path, head: str
) -> None:
    session_run(corpus_repo, keep_script())
    _forge(
        corpus_repo,
        "0002-forged.md",
        "---\nsession: 2\ntitle: Forged\noutcome: abandoned\n---\n",
        f"Agentgit-Session: 0002\nAgentgit-Outcome: abandoned\nAgentgit-Head: {head}",
    )
    proc = agentgit(corpus_repo, "show", "2")
    assert "usage:" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    if proc.returncode:
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
