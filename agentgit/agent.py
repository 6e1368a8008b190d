"""The loop of a session (DESIGN §3). It knows no concrete model and no git.

Each turn: ask the model, run the tools it calls, answer with their results, save
the state. The session ends when a judging tool raises Keep or Discard; when a
budget runs out the model gets one last turn offering only those two tools.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentgit.models.base import Model, ModelRequest, ModelResponse, ProgressFn, Usage
from agentgit.settings import Settings
from agentgit.tools import JUDGE_TOOLS, TOOL_NAMES, Discard, Keep, SessionEnd, Toolbox

NUDGE = (
    "You replied without calling a tool. Keep exploring with the tools, or end the "
    "session with crystallize (a piece is ready) or abandon (nothing crystallized)."
)

EMPTY_REPLY = "(no reply)"
DEFAULT_TURN_TOKENS = 8192  # a model that does not say how much room a turn needs


@dataclass
class Judgement:
    outcome: str  # "crystallized" | "abandoned"
    summary: str
    slugs: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass
class AgentState:
    """Everything needed to continue a session: saved after every turn."""

    messages: list[dict[str, Any]]
    turn: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    nudges: int = 0
    elapsed: float = 0.0  # seconds spent in earlier processes (resume)
    turns: list[dict[str, Any]] = field(default_factory=list)  # per-turn usage, stop, steps
    final_turn: bool = False
    # The model whose thinking blocks the conversation holds: another model cannot read
    # them, so a resume with a different model drops them.
    thinking_model: str = ""
    cutoffs: int = 0  # replies cut at the output limit in a row
    turn_tokens: int = 0  # the output room, once raised after a cut (0: as configured)


CostFn = Callable[[Usage], float | None]
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
        self._adopt_thinking(state)
        started = self.clock()
        while True:
            exhausted = self._exhausted(state, state.elapsed + self.clock() - started)
            if exhausted and not state.final_turn:
                if self._over_budget(state, ahead=1):  # not even room to judge: end now
                    return Judgement("abandoned", "The budget ran out before a judgement.",
                                     reason="budget exhausted")
                state.final_turn = True
                _add_user_text(state.messages, f"The budget is spent ({exhausted}). This is "
                               "your last turn: judge now with crystallize or abandon.")
            elif state.final_turn and state.turns and state.turns[-1].get("final"):
                return Judgement("abandoned", "The budget ran out before a judgement.",
                                 reason="budget exhausted")
            state.elapsed += self.clock() - started
            started = self.clock()
            judgement = self._turn(state)
            state.elapsed += self.clock() - started
            started = self.clock()
            self.save(state)
            if judgement is not None:
                return judgement

    def _adopt_thinking(self, state: AgentState) -> None:
        name = self.model.name
        if state.thinking_model and state.thinking_model != name:
            dropped = drop_thinking(state.messages)
            if dropped:
                self.progress("warning", {"message": (
                    f"dropped {dropped} thinking block(s) written by {state.thinking_model}: "
                    f"{name} cannot read them (the reasoning stays in the commits)")})
        state.thinking_model = name

    def _turn_tokens(self, state: AgentState) -> int:
        return (self.settings.turn_max_tokens or state.turn_tokens
                or int(getattr(self.model, "turn_tokens", 0) or DEFAULT_TURN_TOKENS))

    # -- one turn ------------------------------------------------------------------

    def _turn(self, state: AgentState) -> Judgement | None:
        allowed = list(JUDGE_TOOLS) if state.final_turn else None
        self.toolbox.allowed = tuple(allowed) if allowed else TOOL_NAMES
        request = ModelRequest(
            system=self.system,
            messages=state.messages,
            tools=self.toolbox.definitions(),
            max_tokens=self._turn_tokens(state),
            allowed_tools=allowed,
        )
        self.progress("turn", {"turn": state.turn + 1, "final": state.final_turn})
        response = self.model.complete(request, self.progress)
        state.turn += 1
        state.usage = state.usage + response.usage
        turn_cost = self.cost(response.usage)
        state.cost_usd = None if turn_cost is None or state.cost_usd is None else (
            state.cost_usd + turn_cost
        )
        record: dict[str, Any] = {
            "turn": state.turn, "stop_reason": response.stop_reason,
            "usage": response.usage.to_dict(), "cost_usd": turn_cost,
            "final": state.final_turn, "steps": [],
        }
        state.turns.append(record)
        cost_text = "cost unknown" if state.cost_usd is None else f"${state.cost_usd:.4f}"
        self.progress("usage", {"turn": state.turn, "tokens": state.usage.total,
                                "input": state.usage.total_input,
                                "cache_read": state.usage.cache_read_input_tokens,
                                "cost": cost_text})
        content = response.content if isinstance(response.content, list) else []
        if response.stop_reason == "max_tokens":
            # A thinking block cut before its signature arrived cannot go back (the API
            # verifies every signature): keep only the complete ones.
            content = [b for b in content if not _unsigned_thinking(b)]
        record["max_tokens"] = request.max_tokens
        # Claude sometimes ends a turn with no content at all. The Messages API refuses an
        # empty assistant message anywhere but last (400 on every later request), so the
        # silence is recorded as a text block; the nudge then asks the model to go on.
        state.messages.append({"role": "assistant", "content": content or [
            {"type": "text", "text": EMPTY_REPLY}]})
        return self._answer(state, response, content, record)

    def _answer(self, state: AgentState, response: ModelResponse,
                content: list[dict[str, Any]], record: dict[str, Any]) -> Judgement | None:
        stop = response.stop_reason
        if stop == "refusal":
            return Judgement("abandoned", "The model declined to continue.",
                             reason="the model refused to continue")
        if stop == "model_context_window_exceeded":
            # The conversation fills the context window: another request cannot fit, not
            # even a last judging turn.
            return Judgement("abandoned", "The conversation outgrew the model's context "
                             "window.", reason="the context window is full")
        if stop == "pause_turn":
            # A server tool paused a long turn: send the conversation back as it is.
            return None
        tool_uses = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        if stop == "max_tokens":
            return self._cut_off(state, tool_uses, content, record["max_tokens"])
        state.cutoffs = 0
        if not tool_uses:
            return self._nudge(state)
        state.nudges = 0
        self.toolbox.turn = state.turn
        results: list[dict[str, Any]] = []
        ending: SessionEnd | None = None
        for block in tool_uses:
            name, tool_id = str(block.get("name", "")), str(block.get("id", ""))
            if ending is not None:
                results.append(_result(tool_id, "not run: the session already ended", True))
                continue
            self.progress("tool", {"turn": state.turn, "tool": name})
            reasoning = reasoning_before(content, block, self.settings.reasoning_chars)
            try:
                outcome = self.toolbox.call(name, block.get("input"), reasoning)
            except SessionEnd as end:
                ending = end
                results.append(_result(tool_id, "session ending", False))
                continue
            record["steps"].append({"tool": name, "error": outcome.is_error,
                                    "commit": outcome.commit})
            results.append(_result(tool_id, outcome.text, outcome.is_error))
        state.messages.append({"role": "user", "content": results})
        if isinstance(ending, Keep):
            return Judgement("crystallized", ending.summary, slugs=ending.slugs)
        if isinstance(ending, Discard):
            return Judgement("abandoned", ending.summary, reason=ending.reason)
        _add_user_text(state.messages, self._budget_note(state))
        return None

    def _cut_off(self, state: AgentState, tool_uses: list[dict[str, Any]],
                 content: list[dict[str, Any]], limit: int) -> Judgement | None:
        """A reply cut at max_tokens may hold a half-written tool call: run none of it and
        tell the model, so the step is redone rather than silently lost. Thinking counts
        toward the limit, so a long think can fill it before the call is written: where
        the limit is ours to size, it doubles (up to the model's ceiling), and replies cut
        again and again end the session rather than loop."""
        state.cutoffs += 1
        if state.cutoffs > self.settings.max_nudges:
            return Judgement("abandoned", "The model's replies kept running past the output "
                             "limit.", reason="replies kept running past the output limit")
        ceiling = getattr(self.model, "max_output_tokens", None)
        raised = ""
        if not self.settings.turn_max_tokens and ceiling and limit < ceiling:
            state.turn_tokens = min(limit * 2, int(ceiling))
            raised = f" The limit is now {state.turn_tokens} tokens."
        thought = any(isinstance(b, dict) and b.get("type") == "thinking" for b in content)
        message = ("Your reply was cut off at the output limit "
                   f"({limit} tokens){' after thinking' if thought else ''} and was not run."
                   f"{raised} Redo the step more briefly"
                   f"{', with less thinking before the call' if thought else ''}, or split a "
                   "long draft across edits.")
        results = [_result(str(b.get("id", "")), message, True) for b in tool_uses]
        state.messages.append({"role": "user", "content": results or
                               [{"type": "text", "text": message}]})
        return None

    def _nudge(self, state: AgentState) -> Judgement | None:
        state.nudges += 1
        if state.nudges > self.settings.max_nudges:
            return Judgement("abandoned", "The model stopped calling tools.",
                             reason="the model stopped calling tools")
        _add_user_text(state.messages, NUDGE)
        return None

    # -- budget --------------------------------------------------------------------

    def _exhausted(self, state: AgentState, elapsed: float) -> str | None:
        s = self.settings
        if state.turn + 1 >= s.max_turns:
            return f"turn {state.turn + 1} of {s.max_turns}"
        over = self._over_budget(state, ahead=2)  # the next turn and the judging one
        if over:
            return over
        if elapsed >= s.max_minutes * 60:
            return f"{elapsed / 60:.1f} of {s.max_minutes:g} minutes"
        return None

    def _over_budget(self, state: AgentState, ahead: int) -> str | None:
        """Whether ``ahead`` more turns would pass the token or cost budget. Each turn
        resends the conversation, so each costs more than the one before: by what was
        added since the last request, or by the growth seen between the last two turns
        if larger. ("One more turn like the last" let a cap be overshot.)"""
        s = self.settings
        added = _added_tokens(state.messages)
        totals = [Usage.from_dict(t["usage"]).total for t in state.turns[-2:]]
        if _projected(state.usage.total, totals, added, ahead) >= s.max_tokens:
            return f"{state.usage.total:,} of {s.max_tokens:,} tokens"
        if state.cost_usd is not None and not state.turns:
            return self._first_turns_over(state, ahead)
        if state.cost_usd is not None and state.turns:
            costs = [t.get("cost_usd") or 0.0 for t in state.turns[-2:]]
            last = Usage.from_dict(state.turns[-1]["usage"])
            grown = last + Usage(cache_creation_input_tokens=added)  # written to the cache
            added_cost = max(0.0, (self.cost(grown) or 0.0) - (self.cost(last) or 0.0))
            if _projected(state.cost_usd, costs, added_cost, ahead) >= s.max_cost:
                return f"${state.cost_usd:.2f} of ${s.max_cost:.2f}"
        return None

    def _first_turns_over(self, state: AgentState, ahead: int) -> str | None:
        """Before any turn there is no last turn to project from: price the first request
        as the prompt written to the cache, and each later one as it read back, so a cap
        smaller than one turn ends the session rather than being passed by that turn."""
        s = self.settings
        prompt = len(json.dumps([self.system, state.messages, self.toolbox.definitions()],
                                ensure_ascii=False)) // 3
        first = self.cost(Usage(cache_creation_input_tokens=prompt))
        later = self.cost(Usage(cache_read_input_tokens=prompt))
        if first is None or later is None:
            return None
        if (state.cost_usd or 0.0) + first + (ahead - 1) * later >= s.max_cost:
            return f"${state.cost_usd or 0.0:.2f} of ${s.max_cost:.2f}"
        return None

    def _budget_note(self, state: AgentState) -> str:
        s = self.settings
        left = s.max_turns - state.turn
        cost = "" if state.cost_usd is None else f", ${max(s.max_cost - state.cost_usd, 0):.2f}"
        return f"[budget left: {left} turns{cost}]"


def _added_tokens(messages: list[dict[str, Any]]) -> int:
    """A generous guess (3 characters a token) at the tokens added since the last
    request: its answer and what followed."""
    starts = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    return len(json.dumps(messages[starts[-1]:], ensure_ascii=False)) // 3 if starts else 0


def _projected(spent: float, last_two: list[float], growth: float, ahead: int) -> float:
    """Spent, plus ``ahead`` turns, each more than the one before by ``growth`` (or by
    the growth between the last two turns, if more)."""
    if not last_two:
        return spent
    if len(last_two) == 2:
        growth = max(growth, last_two[1] - last_two[0])
    return spent + ahead * last_two[-1] + ahead * (ahead + 1) // 2 * growth


def _written(block: Any) -> str:
    """What a block says in words: a text block's text, a thinking block's (summarized)
    thinking; nothing for tool calls and redacted thinking."""
    if not isinstance(block, dict):
        return ""
    key = {"text": "text", "thinking": "thinking"}.get(str(block.get("type")))
    return str(block.get(key) or "").strip() if key else ""


def reasoning_before(content: list[dict[str, Any]], call: dict[str, Any], limit: int) -> str:
    """The model's reasoning for one tool call: what it wrote (in text or thinking blocks
    alike, in order) since the call before it, or, for calls made together, everything
    it wrote before them. Bounded by ``limit`` characters."""
    end = next((i for i, b in enumerate(content) if b is call), len(content))
    since = max((i for i, b in enumerate(content[:end])
                 if isinstance(b, dict) and b.get("type") == "tool_use"), default=-1)
    parts = [w for w in map(_written, content[since + 1 : end]) if w]
    if not parts:
        parts = [w for w in map(_written, content[:end]) if w]
    text = "\n\n".join(parts)
    if len(text) > limit:
        text = text[:limit].rstrip() + " […]"
    return text


def _unsigned_thinking(block: Any) -> bool:
    return (isinstance(block, dict) and block.get("type") == "thinking"
            and not block.get("signature"))


def drop_thinking(messages: list[dict[str, Any]], start: int = 0) -> int:
    """Remove thinking blocks from the assistant messages from ``start`` on, in place;
    how many went. A message left with nothing says so, as the API refuses empty
    content."""
    dropped = 0
    for message in messages[start:]:
        content = message.get("content")
        if message.get("role") != "assistant" or not isinstance(content, list):
            continue
        kept = [b for b in content if not (isinstance(b, dict) and b.get("type") in
                                           ("thinking", "redacted_thinking"))]
        dropped += len(content) - len(kept)
        message["content"] = kept or [{"type": "text", "text": EMPTY_REPLY}]
    return dropped


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
