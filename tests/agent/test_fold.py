"""Folding old runs out of what an experiment session sends (DESIGN §10): bounded however
many runs, the saved conversation untouched, and the sent prefix stable between two fold
points so the API's cache holds."""

from __future__ import annotations

import copy
import json
from typing import Any

from agentgit.agent.fold import fold

Message = dict[str, Any]


def night(runs: int) -> list[Message]:
    """A conversation of `runs` rounds of write_file then run_experiment."""
    messages: list[Message] = [{"role": "user", "content": [{"type": "text", "text": "orient"}]}]
    for n in range(1, runs + 1):
        messages += [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": f"idea {n}"},
                    {
                        "type": "tool_use",
                        "id": f"w{n}",
                        "name": "write_file",
                        "input": {"path": "train.py", "content": "x = 1\n" * 2000},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": f"w{n}", "content": "wrote train.py"}
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": f"r{n}",
                        "name": "run_experiment",
                        "input": {"hypothesis": f"idea {n}"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": f"r{n}",
                        "content": f"experiment {n}: discard; loss=2.0 in 1.0 s\n"
                        + "output\n" * 300,
                    }
                ],
            },
        ]
    return messages  # fmt: skip


def size(messages: list[Message]) -> int:
    return len(json.dumps(messages))


def test_under_the_first_fold_point_nothing_changes() -> None:
    messages = night(9)
    assert fold(messages, every=10) is messages


def test_a_hundred_runs_stay_bounded_and_the_transcript_whole() -> None:
    messages = night(100)
    saved = copy.deepcopy(messages)
    sent = fold(messages, every=10)
    assert messages == saved
    assert size(sent) < size(messages) / 20
    assert sent[0] == messages[0]  # the orientation stays
    summary = [
        b["content"]
        for m in sent
        for b in m["content"]
        if b.get("type") == "tool_result" and "The first 100 runs, folded" in str(b["content"])
    ]
    assert len(summary) == 1
    assert "experiment 57: discard; loss=2.0 in 1.0 s | idea 57" in summary[0]
    assert "... 40 earlier runs" in summary[0]  # sixty lines, then a count
    assert summary[0].endswith("output\n" * 300)  # the last run's answer, whole
    assert_valid(sent)


def test_what_is_sent_stops_growing_however_many_runs() -> None:
    """Only the orientation, a summary of at most SUMMARY_LINES lines and the runs since
    the last fold point are sent: the thousandth run sends what the hundredth did."""
    at = {runs: size(fold(night(runs), every=10)) for runs in (100, 105, 1000, 1005)}
    assert at[1000] - at[100] < 200  # only the counts' digits grow
    assert at[1005] - at[105] < 200
    assert at[105] > at[100]  # five runs since the fold point are sent whole


def test_a_long_hypothesis_is_cut_in_its_line() -> None:
    messages = night(10)
    messages[-2]["content"][0]["input"]["hypothesis"] = "why " * 500
    text = fold(messages, every=10)[2]["content"][0]["content"]
    line = next(x for x in text.splitlines() if x.startswith("experiment 10:"))
    assert len(line) < 200 and line.endswith("…")


def test_a_refused_run_is_not_counted() -> None:
    """An answer to run_experiment that is not a run's (a refusal) is no run."""
    messages = night(10)
    messages[-1]["content"][0]["content"] = "refused: the tree differs outside editable"
    assert fold(messages, every=10) is messages


def test_between_two_fold_points_the_sent_prefix_does_not_change() -> None:
    at_20 = fold(night(20), every=10)
    for runs in range(21, 30):
        later = fold(night(runs), every=10)
        assert later[: len(at_20)] == at_20
    assert fold(night(30), every=10)[: len(at_20)] != at_20  # the next fold point


def test_the_folded_turns_go_and_the_later_ones_keep_their_thinking() -> None:
    """A thinking block is bound to the conversation before it: the folded turns go with
    theirs; a turn answered after the fold point was answered to the folded prefix, and
    keeps its block."""
    messages = night(12)
    for message in messages:
        if message["role"] == "assistant":
            message["content"].insert(0, {"type": "thinking", "thinking": "t", "signature": "s"})
    saved = copy.deepcopy(messages)
    sent = fold(messages, every=10)
    assert messages == saved
    edge = 1 + 4 * 10  # the orientation, then four messages a run
    assert sent[3:] == messages[edge:]
    # The tenth run's call stays, without its thinking, answered by the summary.
    assert [b["type"] for b in sent[1]["content"]] == ["tool_use"]
    assert sent[1]["content"][0]["id"] == "r10"


def assert_valid(sent: list[Message]) -> None:
    """Roles alternate from a user message, and every tool_use is answered next."""
    assert [m["role"] for m in sent] == ["user", "assistant"] * (len(sent) // 2) + ["user"] * (
        len(sent) % 2
    )
    for message, after in zip(sent, sent[1:], strict=False):
        uses = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
        answers = [b["tool_use_id"] for b in after["content"] if b.get("type") == "tool_result"]
        assert uses == answers
