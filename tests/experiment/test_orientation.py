"""The orientation of an experiment session (DESIGN §10), as the real SDK sends it to the
fake Messages API: the baseline, main's best, the recent runs with their hypotheses, and
the ideas earlier sessions dropped with why, within bounds whatever the history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apiturns import MODEL, call, drop_it, in_process
from conftest import git
from fakeapi import FakeAPI
from helpers import commit_files, log_doc
from toy import answers, metric, toy_repo

from agentgit.core.settings import Settings
from agentgit.lifecycle.experiment import ORIENT_CHARS, RECENT_RUNS


def first_message(fake_api: FakeAPI, request: int) -> str:
    """The text of the first user message of the `request`th request."""
    content = fake_api.requests[request]["messages"][0]["content"]
    return "\n".join(block["text"] for block in content if block.get("type") == "text")


def experiment_part(text: str) -> str:
    assert "## Experiment" in text, text
    return text[text.index("## Experiment") :]


def settings() -> Settings:
    return Settings(model=MODEL, max_retries=1, max_turns=100, metric=metric())


def ask(n: int, action: str, qid: str, **fields: Any) -> dict[str, Any]:
    return call("question", {"action": action, "id": qid, **fields}, n=n)


def test_a_later_session_sees_the_runs_main_s_best_and_what_was_ruled_out(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    toy_repo(corpus_repo)  # X = 3: loss 16
    fake_api.push(
        call("write_file", {"path": "train.py", "content": "X = 6\n"}, n=1),
        call("run_experiment", {"hypothesis": "X nearer 7 lowers the loss"}, n=2),  # keep
        call("write_file", {"path": "train.py", "content": "X = 2\n"}, n=3),
        call("run_experiment", {"hypothesis": "a smaller X helps"}, n=4),  # 25: discard
        ask(5, "open", "smaller-x", text="Does a smaller X lower the loss?"),
        ask(6, "drop", "smaller-x", why="X = 2 measured 25.0 against 1.0: smaller is worse"),
        call("crystallize", {"summary": "X = 6 is nearer 7."}, n=7),
    )
    first = in_process(corpus_repo, settings(), topic="toy")
    assert first.outcome == "crystallized", first
    assert git(corpus_repo, "show", "main:train.py") == "X = 6\n"
    asked = len(fake_api.requests)
    part = experiment_part(first_message(fake_api, 0))
    assert "Baseline: 16.0" in part and "Main has no kept experiment yet." in part
    assert "Foreclosed: none yet." in part

    fake_api.push(drop_it(1, "nothing more to try"))
    second = in_process(corpus_repo, settings(), topic="toy again")
    assert second.outcome == "abandoned"
    assert fake_api.remaining == 0 and not fake_api.rejections
    part = experiment_part(first_message(fake_api, asked))
    # The second session's base is main's kept code: its baseline is the first one's best.
    assert "Baseline: 1.0 (noise 0.0 over 1 run(s))" in part
    assert "Main's best: loss=1.0 baseline=16.0 noise=0.0 runs=2 kept=1." in part
    assert "- 0001/1 keep 1.0: X nearer 7 lowers the loss" in part
    assert "- 0001/2 discard 25.0: a smaller X helps" in part
    assert part.index("0001/1 keep") < part.index("0001/2 discard")  # newest last
    assert "Foreclosed (1 ideas dropped with why, newest first):" in part
    assert (
        "- smaller-x — Does a smaller X lower the loss? — dropped in 0001: "
        "X = 2 measured 25.0 against 1.0: smaller is worse"
    ) in part


def test_an_abandoned_sessions_figures_are_not_main_s_best(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    toy_repo(corpus_repo)
    fake_api.push(
        call("edit_file", {"path": "train.py", "old": "X = 3", "new": "X = 4"}, n=1),
        call("run_experiment", {"hypothesis": "one step nearer"}, n=2),  # 9: keep
        drop_it(3, "a person decides"),
    )
    assert in_process(corpus_repo, settings(), topic="toy").outcome == "abandoned"
    assert "Agentgit-Metric: loss=9.0" in git(corpus_repo, "log", "-1", "--format=%B", "main")
    fake_api.push(drop_it(1))
    asked = len(fake_api.requests)
    in_process(corpus_repo, settings(), topic="toy again")
    part = experiment_part(first_message(fake_api, asked))
    assert "Main has no kept experiment yet." in part  # its code never reached main
    assert "- 0001/1 keep 9.0: one step nearer" in part  # but the run is remembered


def test_the_part_is_bounded_however_many_runs_and_dropped_questions(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    toy_repo(corpus_repo)
    # Twenty more runs than are listed, with long hypotheses, and 300 dropped questions
    # with long reasons in an earlier session's log entry.
    turns = []
    for i in range(RECENT_RUNS + 5):
        content = f"X = {3 + (i + 1) / 100}\n"
        turns.append(call("write_file", {"path": "train.py", "content": content}, n=2 * i + 1))
        hypothesis = f"step {i}: " + "a long hypothesis " * 20
        turns.append(call("run_experiment", {"hypothesis": hypothesis}, n=2 * i + 2))
    fake_api.push(*turns, drop_it(99))
    assert in_process(corpus_repo, settings(), topic="toy").outcome == "abandoned"
    assert fake_api.remaining == 0 and not fake_api.rejections  # past a fold point
    # What the last request sent was folded: the orientation, and one summary answering
    # the last folded run's call (no other old run); the transcript keeps every run's
    # call and answer whole.
    last = fake_api.requests[-1]["messages"]
    sent = json.dumps(last)
    assert f"The first {RECENT_RUNS + 5} runs, folded" in sent
    assert sent.count('"name": "run_experiment"') == 1 and "## Experiment" in sent
    ran = [text for tool, text, _ in answers(corpus_repo) if tool == "run_experiment"]
    assert [text.split(":")[0] for text in ran] == [
        f"experiment {n}" for n in range(1, RECENT_RUNS + 6)
    ]
    dropped = [
        {"id": f"idea-{i:03d}", "text": f"Idea {i}?", "status": "dropped", "why": "no " * 150}
        for i in range(300)
    ]
    commit_files(corpus_repo, {"corpus/log/0007-ideas.md": log_doc(7, questions=dropped)}, "Ideas")
    fake_api.push(drop_it(1))
    asked = len(fake_api.requests)
    in_process(corpus_repo, settings(), topic="toy again")
    part = experiment_part(first_message(fake_api, asked))
    assert len(part) <= ORIENT_CHARS
    total = RECENT_RUNS + 5
    assert f"Recent runs ({RECENT_RUNS} of {total}, newest last" in part
    assert f"0001/{total} " in part and "0001/5 " not in part  # the newest are shown
    assert "Foreclosed (300 ideas dropped with why, newest first):" in part
    assert "more dropped questions not shown." in part
