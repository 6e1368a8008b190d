"""Whatever the model answers, every later request is one the Messages API accepts
(DESIGN §9): run against the strict fake, which refuses what the service refuses."""

from __future__ import annotations

from pathlib import Path

from apiturns import USAGE, draft, in_process, keep
from fakeapi import FakeAPI, message_turn


def test_blank_text_blocks_in_a_reply_are_not_sent_back(
    corpus_repo: Path, fake_api: FakeAPI
) -> None:
    # The model's reply holds an empty text block beside its call, then a blank reply.
    with_blank = draft(1)
    with_blank["content"].insert(0, {"type": "text", "text": ""})
    fake_api.push(
        with_blank,
        message_turn([{"type": "text", "text": " \n"}], "end_turn", dict(USAGE)),
        keep(3),
    )
    result = in_process(corpus_repo, topic="tides")
    assert fake_api.rejections == []
    assert result.outcome == "crystallized"
    assert len(fake_api.requests) == 3
