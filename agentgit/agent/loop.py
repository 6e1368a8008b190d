"""The loop of a session (DESIGN §3). It knows no concrete model and no git.

Each turn: ask the model, run the tools it calls, answer with their results, save
the state. Every way the loop ends is a SessionEnd (agentgit/ending.py) carrying the
judgement, caught in one place, `run`: a judging tool raises Keep or Discard; when a
budget runs out the model gets one last turn offering only those two tools, then
BudgetSpent; a refusal, a full context, a model that stops calling tools or whose
replies keep being cut off end it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from agentgit.agent.budget import Budget, CostFn
from agentgit.agent.ending import (
    BudgetSpent,
    ContextFull,
    Judgement,
    KeptCuttingOff,
    Refused,
    SessionEnd,
    StoppedCallingTools,
)
from agentgit.agent.state import AgentState
from agentgit.agent.tooldefs import JUDGE_TOOLS
from agentgit.agent.tools import Toolbox
from agentgit.core import faults
from agentgit.core.errors import OutOfTime
from agentgit.core.scrub import scrub_text, secrets_from_env
from agentgit.core.settings import Settings
from agentgit.models.base import Model, ModelRequest, ModelResponse, ProgressFn, Usage

NUDGE = (
    "You replied without calling a tool. Keep exploring with the tools, or end the "
    "session with crystallize (a piece is ready) or abandon (nothing crystallized)."
)

EMPTY_REPLY = "(no reply)"
DEFAULT_TURN_TOKENS = 8192  # a model that does not say how much room a turn needs
MIN_TURN_TOKENS = 1024  # enough for a judging call, whatever the cap has left
MTOK = 1_000_000
MIN_JUDGE_SECONDS = 1.0  # less left than this for the judging turn: no turn


SaveFn = Callable[[AgentState], None]


class Agent:
    def __init__(
        self,
        model: Model,
        toolbox: Toolbox,
        system: str,
        settings: Settings,
        *,
        cost: CostFn,
        save: SaveFn,
        progress: ProgressFn | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self.toolbox = toolbox
        self.system = system
        self.settings = settings
        self.cost = cost
        self.save = save
        self.progress = progress or (lambda event, data: None)
        self.clock = clock

    def run(self, state: AgentState) -> Judgement:
        """Run turns until the session ends; its judgement. Not saved here: the caller
        saves the state with the judgement, so no saved state ever has a judging turn
        answered but its judgement lost."""
        self._adopt_thinking(state)
        try:
            self._loop(state)
        except SessionEnd as end:
            judgement = end.judgement()
        # The summary and reason go into commit messages and trailers: scrubbed.
        judgement.summary = _clean(judgement.summary)
        if judgement.reason:
            judgement.reason = _clean(judgement.reason)
        return judgement

    def _loop(self, state: AgentState) -> None:
        started = self.clock()
        if state.pending is not None:  # resumed inside a turn: its tools come first
            self._resume_pending(state)
            self.save(state)
        budget = Budget(self.settings, self.cost, lambda: [self.system, self.toolbox.definitions()])
        while True:
            exhausted = budget.exhausted(state, state.elapsed + self.clock() - started)
            if exhausted and not state.final_turn:
                if budget.over(state, ahead=1):  # not even room to judge: end now
                    raise BudgetSpent()
                state.final_turn = True
                _add_user_text(
                    state.messages,
                    f"The budget is spent ({exhausted}). This is "
                    "your last turn: judge now with crystallize or abandon.",
                )
            elif state.final_turn and state.turns and state.turns[-1].get("final"):
                raise BudgetSpent()
            state.elapsed += self.clock() - started
            started = self.clock()
            timeout = budget.time_left(state)
            if state.final_turn and timeout < MIN_JUDGE_SECONDS:
                raise BudgetSpent()
            try:
                self._turn(state, timeout)
            except OutOfTime:
                # The request was cut at the end of the wall-clock budget: that budget is
                # spent (whatever the clock says), and a cut judging turn ends the session.
                state.elapsed = max(
                    state.elapsed + self.clock() - started, self.settings.max_minutes * 60
                )
                started = self.clock()
                self.save(state)
                self.progress(
                    "warning",
                    {"message": "the model's turn was cut at the end of the wall-clock budget"},
                )
                if state.final_turn:
                    raise BudgetSpent() from None
                continue
            state.elapsed += self.clock() - started
            started = self.clock()
            self.save(state)
            faults.point("saved")

    def _adopt_thinking(self, state: AgentState) -> None:
        name = self.model.name
        if state.thinking_model and state.thinking_model != name:
            count = thinking_blocks(state.messages, [[0, len(state.messages)]])
            state.unsent.append([0, len(state.messages)])
            state.turn_tokens = 0  # room raised for the other model: size it anew
            if count:
                state.notices.append(
                    f"not sending {count} thinking block(s) written by {state.thinking_model}: "
                    f"{name} cannot read them (the reasoning stays in the commits)"
                )
        state.thinking_model = name
        for notice in state.notices:
            self.progress("warning", {"message": notice})
        state.notices = []

    def _turn_tokens(self, state: AgentState) -> int:
        room = (
            self.settings.turn_max_tokens
            or state.turn_tokens
            or int(getattr(self.model, "turn_tokens", 0) or DEFAULT_TURN_TOKENS)
        )
        ceiling = getattr(self.model, "max_output_tokens", None)
        if ceiling:
            room = min(room, int(ceiling))
        # Thinking is billed as output: a turn may not be given room to spend more than
        # the cost cap has left.
        per_token = self.cost(Usage(output_tokens=MTOK))
        if per_token and state.cost_usd is not None:
            left = max(self.settings.max_cost - state.cost_usd, 0.0)
            room = min(room, max(MIN_TURN_TOKENS, int(left / per_token * MTOK)))
        return room

    # -- one turn ------------------------------------------------------------------

    def _turn(self, state: AgentState, timeout: float | None = None) -> None:
        allowed = list(JUDGE_TOOLS) if state.final_turn else None
        self.toolbox.allowed = tuple(allowed) if allowed else self.toolbox.names
        request = ModelRequest(
            system=self.system,
            messages=self.toolbox.fold(sendable(state.messages, state.unsent)),
            tools=self.toolbox.definitions(),
            max_tokens=self._turn_tokens(state),
            allowed_tools=allowed,
            timeout=timeout,
        )
        self.progress("turn", {"turn": state.turn + 1, "final": state.final_turn})
        response = self.model.complete(request, self.progress)
        state.turn += 1
        state.usage = state.usage + response.usage
        turn_cost = self.cost(response.usage)
        state.cost_usd = (
            None if turn_cost is None or state.cost_usd is None else (state.cost_usd + turn_cost)
        )
        record: dict[str, Any] = {
            "turn": state.turn,
            "stop_reason": response.stop_reason,
            "usage": response.usage.to_dict(),
            "cost_usd": turn_cost,
            "final": state.final_turn,
            "steps": [],
        }
        state.turns.append(record)
        cost_text = "cost unknown" if state.cost_usd is None else f"${state.cost_usd:.4f}"
        self.progress(
            "usage",
            {
                "turn": state.turn,
                "tokens": state.usage.total,
                "input": state.usage.total_input,
                "cache_read": state.usage.cache_read_input_tokens,
                "cost": cost_text,
            },
        )
        content = _sendable(response.content if isinstance(response.content, list) else [])
        if response.stop_reason == "max_tokens":
            # A thinking block cut before its signature arrived cannot go back (the API
            # verifies every signature): keep only the complete ones.
            content = [b for b in content if not _unsigned_thinking(b)]
        if content and _signed(content[-1]):
            # A reply cut after its thinking: the API refuses an assistant message that
            # ends in a thinking block (400 on every later request), so it says so.
            content.append({"type": "text", "text": EMPTY_REPLY})
        record["max_tokens"] = request.max_tokens
        # Claude sometimes ends a turn with no content at all. The Messages API refuses an
        # empty assistant message anywhere but last (400 on every later request), so the
        # silence is recorded as a text block; the nudge then asks the model to go on.
        state.messages.append(
            {"role": "assistant", "content": content or [{"type": "text", "text": EMPTY_REPLY}]}
        )
        self._answer(state, response, content, record)

    def _answer(
        self,
        state: AgentState,
        response: ModelResponse,
        content: list[dict[str, Any]],
        record: dict[str, Any],
    ) -> None:
        stop = response.stop_reason
        if stop == "refusal":
            raise Refused()
        if stop == "model_context_window_exceeded":
            raise ContextFull()
        if stop == "pause_turn":
            # A server tool paused a long turn: send the conversation back as it is.
            return
        tool_uses = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        if stop == "max_tokens":
            self._cut_off(state, tool_uses, content, record["max_tokens"])
            return
        state.cutoffs = 0
        if not tool_uses:
            self._nudge(state)
            return
        state.nudges = 0
        state.pending = {"turn": state.turn, "message": state.messages.pop()}
        self.save(state)  # write-ahead: from here a resume runs these calls, never re-asks
        faults.point("answered")
        self._run_pending(state)

    def _resume_pending(self, state: AgentState) -> None:
        """Finish the turn a stop cut short. An answer whose calls are not to be run (cut
        off at max_tokens, say) is answered as it would have been."""
        assert state.pending is not None
        turn, message = int(state.pending["turn"]), state.pending["message"]
        record = next((t for t in state.turns if t.get("turn") == turn), {})
        stop = str(record.get("stop_reason") or "tool_use")
        record.setdefault("max_tokens", self._turn_tokens(state))
        if stop in ("max_tokens", "refusal", "model_context_window_exceeded", "pause_turn"):
            state.messages.append(message)
            state.pending = None
            content = message["content"]
            self._answer(
                state, ModelResponse(content, stop, Usage(), self.model.name), content, record
            )
            return
        self._run_pending(state, recovering=True)

    def _run_pending(self, state: AgentState, recovering: bool = False) -> None:
        """Run the pending turn's tool calls and answer them all in one user message.
        Recovering (a resume), a step whose commit is already on the branch is not run
        again: the toolbox answers it from that commit."""
        assert state.pending is not None
        turn, assistant = int(state.pending["turn"]), state.pending["message"]
        content = assistant["content"]
        tool_uses = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        record = next((t for t in state.turns if t.get("turn") == turn), None)
        if record is None:
            record = {"turn": turn, "final": state.final_turn, "steps": []}
            state.turns.append(record)
        record["steps"] = []  # an interrupted run may have saved some: they are redone
        self.toolbox.turn, self.toolbox.recovering = turn, recovering
        if recovering:
            self.toolbox.allowed = tuple(JUDGE_TOOLS) if state.final_turn else self.toolbox.names
        results: list[dict[str, Any]] = []
        ending: SessionEnd | None = None
        for block in tool_uses:
            name, tool_id = str(block.get("name", "")), str(block.get("id", ""))
            if ending is not None:
                results.append(_result(tool_id, "not run: the session already ended", True))
                continue
            self.progress("tool", {"turn": turn, "tool": name})
            reasoning = reasoning_before(content, block, self.settings.reasoning_chars)
            try:
                outcome = self.toolbox.call(name, block.get("input"), reasoning, call_id=tool_id)
            except SessionEnd as end:
                ending = end
                results.append(_result(tool_id, "session ending", False))
                continue
            record["steps"].append(
                {"tool": name, "error": outcome.is_error, "commit": outcome.commit}
            )
            results.append(_result(tool_id, outcome.text, outcome.is_error))
        self.toolbox.recovering = False
        state.messages += [assistant, {"role": "user", "content": results}]
        state.pending = None
        if ending is not None:  # every call answered: the conversation stays valid
            raise ending
        _add_user_text(state.messages, Budget.note(self.settings, state))

    def _cut_off(
        self,
        state: AgentState,
        tool_uses: list[dict[str, Any]],
        content: list[dict[str, Any]],
        limit: int,
    ) -> None:
        """A reply cut at max_tokens may hold a half-written tool call: run none of it and
        tell the model, so the step is redone rather than silently lost. Thinking counts
        toward the limit, so a long think can fill it before the call is written: where
        the limit is ours to size, it doubles (up to the model's ceiling), and replies cut
        again and again end the session rather than loop."""
        state.cutoffs += 1
        if state.cutoffs > self.settings.max_nudges:
            raise KeptCuttingOff()
        ceiling = getattr(self.model, "max_output_tokens", None)
        raised = ""
        if not self.settings.turn_max_tokens and ceiling and limit < ceiling:
            state.turn_tokens = min(limit * 2, int(ceiling))
            raised = f" The limit is now {state.turn_tokens} tokens."
        thought = any(isinstance(b, dict) and b.get("type") == "thinking" for b in content)
        message = (
            "Your reply was cut off at the output limit "
            f"({limit} tokens){' after thinking' if thought else ''} and was not run."
            f"{raised} Redo the step more briefly"
            f"{', with less thinking before the call' if thought else ''}, or split a "
            "long draft across edits."
        )
        results = [_result(str(b.get("id", "")), message, True) for b in tool_uses]
        state.messages.append(
            {"role": "user", "content": results or [{"type": "text", "text": message}]}
        )

    def _nudge(self, state: AgentState) -> None:
        state.nudges += 1
        if state.nudges > self.settings.max_nudges:
            raise StoppedCallingTools()
        _add_user_text(state.messages, NUDGE)


def _clean(text: str) -> str:
    return scrub_text(text, secrets_from_env())


def _written(block: Any) -> str:
    """What a block says in words: a text block's text, a thinking block's (summarized)
    thinking; nothing for tool calls and redacted thinking."""
    if not isinstance(block, dict):
        return ""
    key = {"text": "text", "thinking": "thinking"}.get(str(block.get("type")))
    return str(block.get(key) or "").strip() if key else ""


def reasoning_before(content: list[dict[str, Any]], call: dict[str, Any], limit: int) -> str:
    """The model's reasoning for one tool call: what it wrote (in text or thinking blocks
    alike, in order) since the call before it, or, for a call made together with the
    one before it, what that one was given. Bounded by ``limit`` characters."""
    end = next((i for i, b in enumerate(content) if b is call), len(content))
    parts: list[str] = []
    while end > 0 and not parts:
        since = max(
            (
                i
                for i, b in enumerate(content[:end])
                if isinstance(b, dict) and b.get("type") == "tool_use"
            ),
            default=-1,
        )
        parts = [w for w in map(_written, content[since + 1 : end]) if w]
        end = since
    text = "\n\n".join(parts)
    if len(text) > limit:
        text = text[:limit].rstrip() + " […]"
    return text


def _sendable(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reply without blank text blocks: the Messages API refuses one in any earlier
    message (400 on every later request), and it says nothing."""
    return [
        b
        for b in content
        if not (
            isinstance(b, dict) and b.get("type") == "text" and not str(b.get("text") or "").strip()
        )
    ]


def _unsigned_thinking(block: Any) -> bool:
    return (
        isinstance(block, dict) and block.get("type") == "thinking" and not block.get("signature")
    )


def _signed(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") in ("thinking", "redacted_thinking")


def _in(index: int, ranges: list[list[int]]) -> bool:
    return any(start <= index < end for start, end in ranges)


def thinking_blocks(messages: list[dict[str, Any]], ranges: list[list[int]]) -> int:
    """How many thinking blocks the assistant messages in ``ranges`` hold."""
    return sum(
        sum(map(_signed, m.get("content") or []))
        for i, m in enumerate(messages)
        if m.get("role") == "assistant" and isinstance(m.get("content"), list) and _in(i, ranges)
    )


def sendable(messages: list[dict[str, Any]], unsent: list[list[int]]) -> list[dict[str, Any]]:
    """The conversation as it is sent: the thinking blocks in ``unsent`` left out (the
    saved conversation keeps them), and a message left with nothing saying so, as the
    API refuses empty content."""
    if not unsent:
        return messages
    out = []
    for i, message in enumerate(messages):
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, list) and _in(i, unsent):
            kept = [b for b in content if not _signed(b)]
            message = {**message, "content": kept or [{"type": "text", "text": EMPTY_REPLY}]}
        out.append(message)
    return out


def _result(tool_id: str, text: str, is_error: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id, "content": text}
    if is_error:
        block["is_error"] = True
    return block


def _add_user_text(messages: list[dict[str, Any]], text: str) -> None:
    """Tell the model something in the trailing user message, or start one.

    After tool results the text goes inside the last result rather than after it:
    text blocks that follow tool results are a known cause of empty replies.
    """
    if messages and messages[-1]["role"] == "user":
        content = messages[-1]["content"]
        if isinstance(content, str):
            content = messages[-1]["content"] = [{"type": "text", "text": content}]
        last = content[-1] if content else None
        if last and last.get("type") == "tool_result" and isinstance(last.get("content"), str):
            last["content"] = f"{last['content']}\n\n{text}"
        else:
            content.append({"type": "text", "text": text})
    else:
        messages.append({"role": "user", "content": [{"type": "text", "text": text}]})
