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
    summary = [
        b["content"]
        for m in sent
        for b in m["content"]
        if b.get("type") == "tool_result" and "The first 100 runs, folded" in str(b["content"])
    ]
    assert len(summary) == 1 and "experiment 57: discard" in summary[0]
    # The tools' pairing is intact: every tool_use is still answered.
    uses = [b["id"] for m in sent for b in m["content"] if b.get("type") == "tool_use"]
    answers = [
        b["tool_use_id"] for m in sent for b in m["content"] if b.get("type") == "tool_result"
    ]
    assert uses == answers


def test_between_two_fold_points_the_sent_prefix_does_not_change() -> None:
    at_20 = fold(night(20), every=10)
    for runs in range(21, 30):
        later = fold(night(runs), every=10)
        assert later[: len(at_20)] == at_20
    assert fold(night(30), every=10)[: len(at_20)] != at_20  # the next fold point


def test_the_folded_turns_lose_their_thinking_and_the_later_ones_keep_it() -> None:
    """A thinking block is bound to the conversation before it: the folded turns' blocks
    would be refused once their prefix changed, so they go; a turn answered after the
    fold point was answered to the folded prefix, and keeps its block."""
    messages = night(12)
    for message in messages:
        if message["role"] == "assistant":
            message["content"].insert(0, {"type": "thinking", "thinking": "t", "signature": "s"})
    saved = copy.deepcopy(messages)
    sent = fold(messages, every=10)
    assert messages == saved
    edge = 1 + 4 * 10  # the orientation, then four messages a run
    kinds = [[b["type"] for b in m["content"]] for m in sent if m["role"] == "assistant"]
    assert all("thinking" not in k for k in kinds[:20]), kinds[:20]
    assert all(k[0] == "thinking" for k in kinds[20:]), kinds[20:]
    assert sent[edge:] == messages[edge:]
