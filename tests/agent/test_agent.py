"""The agent loop (DESIGN §3) on a real session worktree, driven by in-test models.

The models here implement our own `complete(request, progress)` protocol; no SDK.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import git

from agentgit.agent.ending import Judgement
from agentgit.agent.loop import EMPTY_REPLY, NUDGE, Agent, AgentState
from agentgit.agent.tools import Toolbox
from agentgit.core.errors import OutOfTime
from agentgit.core.settings import Settings
from agentgit.git import Repository
from agentgit.lifecycle import Session, run, start
from agentgit.models.base import ModelRequest, ModelResponse, Usage
from agentgit.models.scripted import ScriptedModel

JUDGES = ["crystallize", "abandon"]
Reply = Callable[[ModelRequest, int], ModelResponse]


class FakeModel:
    """Answers with `reply(request, n)` (n counts from 1) and keeps a copy of each request."""

    name = "fake"

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest, progress: Any = None) -> ModelResponse:
        self.requests.append(copy.deepcopy(request))
        return self.reply(request, len(self.requests))


def tool(
    name: str,
    tool_input: Any,
    tool_id: str = "",
    text: str = "",
    usage: Usage | None = None,
    stop: str = "tool_use",
) -> ModelResponse:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content.append(
        {"type": "tool_use", "id": tool_id or f"toolu_{name}", "name": name, "input": tool_input}
    )
    return ModelResponse(content, stop, usage or Usage(), "fake")


def text(words: str, stop: str = "end_turn", usage: Usage | None = None) -> ModelResponse:
    return ModelResponse([{"type": "text", "text": words}], stop, usage or Usage(), "fake")


def abandon(reason: str = "nothing pulled") -> ModelResponse:
    return tool("abandon", {"reason": reason, "summary": "Tried."}, "toolu_abandon")


def user_texts(message: dict[str, Any]) -> list[str]:
    assert message["role"] == "user"
    return [b["text"] for b in message["content"] if b.get("type") == "text"]


def said(message: dict[str, Any]) -> list[str]:
    """Everything the user message tells the model: texts and tool results."""
    return user_texts(message) + [str(r["content"]) for r in tool_results(message)]


def tool_results(message: dict[str, Any]) -> list[dict[str, Any]]:
    assert message["role"] == "user"
    return [b for b in message["content"] if b.get("type") == "tool_result"]


@pytest.fixture
def session(corpus_repo: Path) -> Session:
    return start(Repository.discover(corpus_repo), Settings(), topic="Tides", model_name="scripted")


class Harness:
    """An Agent on a real session, counting saves."""

    def __init__(
        self,
        session: Session,
        model: Any,
        settings: Settings,
        cost: Callable[[Usage], float | None] = lambda usage: 0.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.session = session
        self.model = model
        self.saves: list[tuple[int, int]] = []  # (turn, len(messages)) at each save
        self.toolbox = Toolbox(session, max_body_chars=settings.max_body_chars)
        extra = {"clock": clock} if clock else {}
        self.agent = Agent(
            model,
            self.toolbox,
            "SYSTEM",
            settings,
            cost=cost,
            save=lambda s: self.saves.append((s.turn, len(s.messages))),
            **extra,
        )
        self.state = AgentState(
            messages=[{"role": "user", "content": [{"type": "text", "text": "ORIENT"}]}]
        )

    def run(self) -> Judgement:
        return self.agent.run(self.state)

    def commits(self) -> int:
        return int(git(self.session.worktree, "rev-list", "--count", "HEAD").strip())


# -- nudges ----------------------------------------------------------------------------


def test_a_model_that_never_calls_tools_is_nudged_then_abandoned(session: Session) -> None:
    model = FakeModel(lambda req, n: text(f"Musing {n}."))
    h = Harness(session, model, Settings(max_nudges=2, max_turns=30))
    judgement = h.run()
    assert judgement.outcome == "abandoned"
    assert judgement.reason == "the model stopped calling tools"
    assert len(model.requests) == 3  # two nudges, then the third silence ends it
    for later in model.requests[1:]:
        assert NUDGE in user_texts(later.messages[-1])
    assert all(NUDGE not in t for t in user_texts(model.requests[0].messages[-1]))


def test_a_tool_call_resets_the_nudges(session: Session) -> None:
    script = [text("a"), text("b"), tool("list_pieces", {}), text("c"), text("d"), text("e")]
    model = FakeModel(lambda req, n: script[n - 1])
    judgement = Harness(session, model, Settings(max_nudges=2)).run()
    assert judgement.reason == "the model stopped calling tools"
    assert len(model.requests) == 6


# -- budgets ---------------------------------------------------------------------------


def _never_judges(req: ModelRequest, n: int) -> ModelResponse:
    return tool("note", {"text": f"still going {n}"}, f"toolu_{n}", usage=Usage(input_tokens=100))


def _check_last_turn(model: FakeModel, spent: str) -> None:
    *before, last = model.requests
    assert last.allowed_tools == JUDGES
    assert all(r.allowed_tools is None for r in before)
    texts = said(last.messages[-1])
    assert any(
        "budget is spent" in t and spent in t and "crystallize or abandon" in t for t in texts
    ), texts


def test_turn_budget_gives_one_last_judging_turn_then_abandons(session: Session) -> None:
    model = FakeModel(_never_judges)
    h = Harness(session, model, Settings(max_turns=4))
    judgement = h.run()
    assert judgement.outcome == "abandoned"
    assert judgement.reason == "budget exhausted"
    assert len(model.requests) == 4
    _check_last_turn(model, "turn 4 of 4")
    # The note asked for on the last turn was refused, not run.
    last_results = tool_results(h.state.messages[-1])
    assert last_results[0]["is_error"] is True
    assert "not available now" in last_results[0]["content"]
    assert h.state.turns[-1]["final"] is True
    assert h.commits() == 1 + 3  # main's commit and three notes


@pytest.mark.parametrize("judge", ["abandon", "crystallize"])
def test_a_judgement_on_the_last_turn_is_honoured(session: Session, judge: str) -> None:
    def reply(req: ModelRequest, n: int) -> ModelResponse:
        if n == 1:
            return tool("write_draft", {"slug": "tides", "title": "Tides", "body": "Pull."})
        if req.allowed_tools == JUDGES:
            if judge == "abandon":
                return abandon("out of turns, nothing held")
            return tool("crystallize", {"slugs": ["tides"], "summary": "It held."})
        return _never_judges(req, n)

    model = FakeModel(reply)
    judgement = Harness(session, model, Settings(max_turns=3)).run()
    assert len(model.requests) == 3
    _check_last_turn(model, "turn 3 of 3")
    if judge == "abandon":
        assert judgement == Judgement("abandoned", "Tried.", reason="out of turns, nothing held")
    else:
        assert judgement == Judgement("crystallized", "It held.", slugs=["tides"])


def test_token_budget(session: Session) -> None:
    model = FakeModel(_never_judges)  # 100 tokens a turn
    h = Harness(session, model, Settings(max_tokens=1_000))
    judgement = h.run()
    assert judgement.reason == "budget exhausted"
    _check_last_turn(model, "of 1,000 tokens")
    # Room was left for the last turn: the budget is never overrun.
    assert h.state.usage.total <= 1_000
    # Each turn also adds ~110 tokens of conversation that the next ones resend (this
    # fake's usage leaves them out): 500 + 2 x 100 + 3 x ~110 passes 1,000 after turn 5.
    assert len(model.requests) == 6


@pytest.mark.parametrize("requests", [0, 1, 8])
def test_a_cost_cap_is_kept_from_the_first_turn(session: Session, requests: int) -> None:
    # At $3 a million tokens written to the cache and $0.30 read back, the first
    # request here (system, orientation and tool definitions: ~4,000 characters, taken
    # as 3 a token) costs ~$0.004 and the next a tenth of that more. A cap under one
    # turn ends the session with nothing sent; one under two turns leaves a single
    # judging turn; a cap that fits leaves the session alone, here to its 8 turns.
    # The caps follow the real tool definitions, which grow with the tools.
    orient = [{"role": "user", "content": [{"type": "text", "text": "ORIENT"}]}]  # Harness's
    prompt = len(json.dumps(["SYSTEM", orient, Toolbox(session).definitions()])) // 3
    first, later = prompt * 3 / 1e6, prompt * 0.3 / 1e6
    cap = {0: first * 0.9, 1: first + later / 2, 8: 1.0}[requests]
    model = FakeModel(_never_judges)

    def cost(usage: Usage) -> float:
        return (
            usage.cache_creation_input_tokens * 3
            + usage.cache_read_input_tokens * 0.3
            + usage.input_tokens * 3
        ) / 1e6

    h = Harness(session, model, Settings(max_cost=cap, max_turns=8), cost=cost)
    judgement = h.run()
    assert len(model.requests) == requests
    assert judgement.reason == "budget exhausted"  # of money, or (at 8) of turns
    if requests == 1:
        assert model.requests[0].allowed_tools == ["crystallize", "abandon"]
    if requests == 8:
        assert model.requests[0].allowed_tools is None
        _check_last_turn(model, "turn 8 of 8")


def test_cost_budget(session: Session) -> None:
    model = FakeModel(_never_judges)
    h = Harness(session, model, Settings(max_cost=0.5), cost=lambda usage: 0.1)
    judgement = h.run()
    assert judgement.reason == "budget exhausted"
    _check_last_turn(model, "of $0.50")
    assert h.state.cost_usd is not None and h.state.cost_usd <= 0.5
    assert len(model.requests) == 4
    assert h.state.cost_usd == pytest.approx(0.4)


def _slow(now: list[float], seconds: float, reply: Reply) -> Reply:
    """Each turn takes `seconds` on the clock `now`, unless the request's timeout cuts it
    first, as the provider does (OutOfTime)."""

    def answer(req: ModelRequest, n: int) -> ModelResponse:
        if req.timeout is not None and req.timeout < seconds:
            now[0] += req.timeout
            raise OutOfTime("cut")
        now[0] += seconds
        return reply(req, n)

    return answer


def test_minutes_budget(session: Session) -> None:
    now = [0.0]
    model = FakeModel(_slow(now, 300, _never_judges))  # each turn takes five minutes
    judgement = Harness(session, model, Settings(max_minutes=12), clock=lambda: now[0]).run()
    assert judgement.reason == "budget exhausted"
    _check_last_turn(model, "of 12 minutes")
    # No request may outlive the budget: the third is cut at 12 minutes, and the judging
    # turn gets one minute more.
    assert [r.timeout for r in model.requests] == [720, 420, 120, 60]
    assert now[0] == 13 * 60


def test_a_turn_cut_at_the_deadline_is_followed_by_a_judgement(session: Session) -> None:
    now = [0.0]
    model = FakeModel(
        lambda req, n: (
            _slow(now, 600, _never_judges)(req, n)
            if n == 1
            else _slow(now, 5, lambda r, m: abandon("out of time"))(req, n)
        )
    )
    h = Harness(session, model, Settings(max_minutes=2), clock=lambda: now[0])
    judgement = h.run()
    assert judgement.reason == "out of time"
    _check_last_turn(model, "2.0 of 2 minutes")
    assert [r.timeout for r in model.requests] == [120, 60]
    assert h.state.turn == 1  # the cut turn left nothing in the conversation
    assert now[0] == 125


def test_a_session_never_waits_past_max_minutes_and_a_minute(session: Session) -> None:
    now = [0.0]
    model = FakeModel(_slow(now, 3600, _never_judges))  # a model that hangs for an hour
    h = Harness(session, model, Settings(max_minutes=1), clock=lambda: now[0])
    judgement = h.run()
    assert judgement.reason == "budget exhausted"
    assert [r.timeout for r in model.requests] == [60, 60]
    assert now[0] == 120
    assert h.state.elapsed == 120 and h.state.final_turn


def test_a_resumed_session_past_its_minutes_gets_only_the_judging_turn(
    session: Session,
) -> None:
    now = [0.0]
    model = FakeModel(_slow(now, 5, lambda req, n: abandon("late")))
    h = Harness(session, model, Settings(max_minutes=10), clock=lambda: now[0])
    h.state.elapsed = 10 * 60 + 30  # spent by the processes before this one
    assert h.run().reason == "late"
    assert [r.timeout for r in model.requests] == [30]
    h.state.elapsed, h.state.final_turn = 10 * 60 + 59.5, False
    assert h.run().reason == "budget exhausted"  # half a second left: no turn at all
    assert len(model.requests) == 1


def test_a_budget_spent_before_the_first_turn_still_offers_a_judgement(
    session: Session,
) -> None:
    model = FakeModel(lambda req, n: abandon("no budget"))
    judgement = Harness(session, model, Settings(max_turns=1)).run()
    assert judgement.reason == "no budget"
    assert [r.allowed_tools for r in model.requests] == [JUDGES]


# -- stop reasons ----------------------------------------------------------------------


def test_refusal_abandons_without_running_tools(session: Session) -> None:
    model = FakeModel(lambda req, n: tool("note", {"text": "x"}, stop="refusal"))
    h = Harness(session, model, Settings())
    judgement = h.run()
    assert judgement.outcome == "abandoned"
    assert judgement.reason == "the model refused to continue"
    assert len(model.requests) == 1
    assert h.commits() == 1
    assert not session.journal_path().exists()


def test_max_tokens_cuts_off_a_half_tool_call(session: Session) -> None:
    half = tool(
        "write_draft",
        {"slug": "tides", "title": "Tides"},
        "toolu_half",
        text="Here is the long draft",
        stop="max_tokens",
    )
    script = [half, abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    h = Harness(session, model, Settings(turn_max_tokens=512))
    judgement = h.run()
    assert judgement.outcome == "abandoned" and judgement.reason == "nothing pulled"
    assert len(model.requests) == 2  # the loop went on
    assert not (session.corpus_dir / "drafts").exists()
    assert h.commits() == 1
    answer = model.requests[1].messages[-1]
    results = tool_results(answer)
    assert len(results) == 1
    assert results[0]["tool_use_id"] == "toolu_half"
    assert results[0]["is_error"] is True
    assert "cut off" in results[0]["content"] and "512" in results[0]["content"]
    assert h.state.nudges == 0


def test_max_tokens_without_a_tool_call_asks_again(session: Session) -> None:
    script = [text("A very long thought", stop="max_tokens"), abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    judgement = Harness(session, model, Settings()).run()
    assert judgement.reason == "nothing pulled"
    assert any("cut off" in t for t in user_texts(model.requests[1].messages[-1]))


def test_a_full_context_window_ends_the_session(session: Session) -> None:
    full = tool("note", {"text": "x"}, stop="model_context_window_exceeded")
    model = FakeModel(lambda req, n: full)
    h = Harness(session, model, Settings())
    judgement = h.run()
    assert judgement.outcome == "abandoned"
    assert judgement.reason == "the context window is full"
    assert len(model.requests) == 1  # a longer conversation cannot be sent again
    assert h.commits() == 1


def test_an_empty_reply_is_never_sent_back_empty(session: Session) -> None:
    silent = ModelResponse([], "end_turn", Usage(output_tokens=2), "fake")
    script = [tool("list_pieces", {}), silent, abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    judgement = Harness(session, model, Settings()).run()
    assert judgement.reason == "nothing pulled"
    third = model.requests[2].messages
    # The Messages API refuses an empty assistant message anywhere but last.
    assert all(m["content"] for m in third)
    assert third[-2] == {"role": "assistant", "content": [{"type": "text", "text": EMPTY_REPLY}]}
    assert NUDGE in user_texts(third[-1])


def test_pause_turn_resends_the_conversation_without_a_user_message(session: Session) -> None:
    paused = ModelResponse(
        [{"type": "text", "text": "Searching the web…"}], "pause_turn", Usage(), "fake"
    )
    script = [paused, abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    judgement = Harness(session, model, Settings()).run()
    assert judgement.reason == "nothing pulled"
    first, second = model.requests
    assert second.messages[:-1] == first.messages
    assert second.messages[-1] == {"role": "assistant", "content": paused.content}


# -- several tools in one turn -----------------------------------------------------------


def test_every_tool_use_of_a_turn_is_answered_in_order(session: Session) -> None:
    blocks = [
        {"type": "text", "text": "Three steps at once."},
        {
            "type": "tool_use",
            "id": "toolu_a",
            "name": "write_draft",
            "input": {"slug": "tides", "title": "Tides", "body": "The moon pulls."},
        },
        {"type": "tool_use", "id": "toolu_b", "name": "read", "input": {"path": "../x"}},
        {"type": "tool_use", "id": "toolu_c", "name": "read", "input": {"path": "drafts/tides.md"}},
        {"type": "tool_use", "id": "toolu_d", "name": "note", "input": {"text": "Noted."}},
    ]
    script = [ModelResponse(blocks, "tool_use", Usage(), "fake"), abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    h = Harness(session, model, Settings())
    h.run()
    answer = model.requests[1].messages[-1]
    results = tool_results(answer)
    assert [r["tool_use_id"] for r in results] == ["toolu_a", "toolu_b", "toolu_c", "toolu_d"]
    assert [bool(r.get("is_error")) for r in results] == [False, True, False, False]
    assert "The moon pulls." in results[2]["content"]
    # The answer holds only tool results; the budget note rides in the last one, since
    # text after tool results invites empty replies.
    assert answer["content"] == results
    assert "budget left" in results[-1]["content"]
    assert all("budget left" not in r["content"] for r in results[:-1])
    assert [s["tool"] for s in h.state.turns[0]["steps"]] == ["write_draft", "read", "read", "note"]
    assert h.commits() == 1 + 2
    # The turn's text is the reasoning of each commit it made.
    body = git(session.worktree, "log", "-1", "--format=%b")
    assert body.startswith("Three steps at once.")


def test_a_tool_use_after_crystallize_is_not_run(session: Session) -> None:
    blocks = [
        {
            "type": "tool_use",
            "id": "toolu_a",
            "name": "write_draft",
            "input": {"slug": "tides", "title": "Tides", "body": "The moon pulls."},
        },
        {
            "type": "tool_use",
            "id": "toolu_b",
            "name": "crystallize",
            "input": {"slugs": ["tides"], "summary": "It held."},
        },
        {"type": "tool_use", "id": "toolu_c", "name": "note", "input": {"text": "After."}},
        {
            "type": "tool_use",
            "id": "toolu_d",
            "name": "write_draft",
            "input": {"slug": "more", "title": "More", "body": "x"},
        },
    ]
    model = FakeModel(lambda req, n: ModelResponse(blocks, "tool_use", Usage(), "fake"))
    h = Harness(session, model, Settings())
    judgement = h.run()
    assert judgement == Judgement("crystallized", "It held.", slugs=["tides"])
    assert len(model.requests) == 1
    assert not session.journal_path().exists()
    assert not (session.corpus_dir / "drafts" / "more.md").exists()
    assert h.commits() == 1 + 1
    results = tool_results(h.state.messages[-1])
    assert [r["tool_use_id"] for r in results] == ["toolu_a", "toolu_b", "toolu_c", "toolu_d"]
    assert all("not run" in r["content"] and r["is_error"] for r in results[2:])


def test_a_failed_judgement_does_not_end_the_session(session: Session) -> None:
    script = [tool("crystallize", {"slugs": ["ghost"], "summary": "s"}), abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    judgement = Harness(session, model, Settings()).run()
    assert judgement.reason == "nothing pulled"
    result = tool_results(model.requests[1].messages[-1])[0]
    assert result["is_error"] and "no draft ghost" in result["content"]


def test_a_malformed_tool_use_is_an_error_result(session: Session) -> None:
    blocks = [
        {"type": "tool_use", "id": "toolu_x", "name": "note"},  # no input at all
        {"type": "tool_use", "id": "toolu_y", "name": "note", "input": "text"},
    ]
    script = [ModelResponse(blocks, "tool_use", Usage(), "fake"), abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    Harness(session, model, Settings()).run()
    results = tool_results(model.requests[1].messages[-1])
    assert [r["tool_use_id"] for r in results] == ["toolu_x", "toolu_y"]
    assert all(r["is_error"] and "JSON object" in r["content"] for r in results)


# -- state, usage and cost ----------------------------------------------------------------


def test_state_is_saved_after_every_turn(session: Session) -> None:
    script = [tool("list_pieces", {}), text("hm"), tool("note", {"text": "n"}), abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    h = Harness(session, model, Settings())
    h.run()
    # Each turn is saved once answered; one that calls tools also before they run (the
    # model is never asked twice for one answer). The judging turn is saved by the
    # caller, with its judgement.
    assert [turn for turn, _ in h.saves] == [1, 1, 2, 3, 3, 4]
    # Before its tools run, the answer waits outside the messages (pending).
    assert h.saves[0][1] == len(model.requests[0].messages)
    assert h.saves[1][1] == len(model.requests[1].messages)
    assert h.saves[4][1] == len(model.requests[3].messages)


def test_usage_and_cost_accumulate(session: Session) -> None:
    usages = [Usage(100, 10, 0, 50), Usage(20, 30, 150, 0, 1), Usage(5, 5, 200, 0)]
    script = [
        tool("list_pieces", {}, usage=usages[0]),
        tool("note", {"text": "n"}, usage=usages[1]),
        tool("abandon", {"reason": "r", "summary": "s"}, usage=usages[2]),
    ]
    model = FakeModel(lambda req, n: script[n - 1])
    h = Harness(
        session, model, Settings(), cost=lambda u: u.input_tokens * 0.001 + u.output_tokens * 0.01
    )
    h.run()
    assert h.state.usage == Usage(125, 45, 350, 50, 1)
    assert h.state.turn == 3
    assert [t["cost_usd"] for t in h.state.turns] == pytest.approx([0.2, 0.32, 0.055])
    assert h.state.cost_usd == pytest.approx(0.575)
    assert [t["usage"]["cache_read_input_tokens"] for t in h.state.turns] == [0, 150, 200]


def test_unknown_cost_stays_unknown(session: Session) -> None:
    costs = iter([None, 0.25, 0.25, 0.25])
    script = [tool("list_pieces", {}), tool("list_pieces", {}), abandon()]
    model = FakeModel(lambda req, n: script[n - 1])
    # The turns' usage here is all zero; the agent's own estimates (the first turn's
    # cache tokens, the price of a turn's output room) are priced at nothing, so the
    # turns take the costs in order.
    h = Harness(
        session,
        model,
        Settings(max_cost=0.3),
        cost=lambda u: (
            0.0
            if u.cache_creation_input_tokens + u.cache_read_input_tokens or u.output_tokens
            else next(costs)
        ),
    )
    judgement = h.run()
    assert h.state.cost_usd is None
    # An unknown cost cannot spend the cost budget: no last turn was forced.
    assert judgement.reason == "nothing pulled"
    assert all(r.allowed_tools is None for r in model.requests)
    assert not any("$" in t for t in user_texts(model.requests[1].messages[-1]))


# -- the scripted model through a whole session ----------------------------------------------


def test_scripted_model_drives_a_session(session: Session, corpus_repo: Path) -> None:
    model = ScriptedModel(
        [
            {
                "text": "Start a draft.",
                "tool": "write_draft",
                "input": {"slug": "tides", "title": "Tides", "body": "The moon pulls."},
                "usage": {"input_tokens": 1000, "output_tokens": 50},
            },
            {
                "content": [
                    {"type": "text", "text": "Keep it, then one more thing."},
                    {
                        "type": "tool_use",
                        "name": "crystallize",
                        "input": {"slugs": ["tides"], "summary": "Tides held."},
                    },
                    {"type": "tool_use", "name": "note", "input": {"text": "never written"}},
                ],
                "usage": {
                    "input_tokens": 1200,
                    "output_tokens": 40,
                    "cache_read_input_tokens": 900,
                },
            },
        ]
    )
    repo = Repository.discover(corpus_repo)
    result = run(repo, session, model, Settings(), cost=lambda u: u.total_input * 1e-6)
    assert result.outcome == "crystallized"
    assert result.pieces == ["tides"]
    assert result.turns == 2
    assert result.usage == Usage(2200, 90, 900, 0)
    assert result.cost_usd == pytest.approx(3.1e-3)
    assert "The moon pulls." in git(corpus_repo, "show", "main:corpus/pieces/tides.md")
    log = git(corpus_repo, "show", f"main:corpus/{session.log_rel}")
    assert "never written" not in log
