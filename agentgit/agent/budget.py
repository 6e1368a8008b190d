"""The budget of a session (DESIGN §3, §9): turns, tokens, cost and wall minutes, and the
projection that says whether the next turns still fit.

Each turn resends the conversation, so each costs more than the one before: a cap is
checked against what the next `ahead` turns would cost, growing by what was added since
the last request or by the growth seen between the last two turns, whichever is larger
("one more turn like the last" let a cap be overshot).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from agentgit.agent.state import AgentState
from agentgit.core.settings import Settings
from agentgit.models.base import Usage

# After the wall-clock budget, the judging turn may take this long: a session's wall
# time stays within max_minutes + 1 minute.
JUDGE_SECONDS = 60.0

CostFn = Callable[[Usage], float | None]


class Budget:
    def __init__(self, settings: Settings, cost: CostFn, prefix: Callable[[], list[Any]]) -> None:
        """`prefix`: what every request sends before the conversation (the system
        prompt and the tool definitions), to price a first request by."""
        self.settings = settings
        self.cost = cost
        self.prefix = prefix

    def exhausted(self, state: AgentState, elapsed: float) -> str | None:
        """What has run out (for the model's last-turn message), or None."""
        s = self.settings
        if state.turn + 1 >= s.max_turns:
            return f"turn {state.turn + 1} of {s.max_turns}"
        over = self.over(state, ahead=2)  # the next turn and the judging one
        if over:
            return over
        if elapsed >= s.max_minutes * 60:
            return f"{elapsed / 60:.1f} of {s.max_minutes:g} minutes"
        return None

    def over(self, state: AgentState, ahead: int) -> str | None:
        """Whether `ahead` more turns would pass the token or cost budget."""
        s = self.settings
        added = added_tokens(state.messages)
        totals = [Usage.from_dict(t["usage"]).total for t in state.turns[-2:]]
        if projected(state.usage.total, totals, added, ahead) >= s.max_tokens:
            return f"{state.usage.total:,} of {s.max_tokens:,} tokens"
        if state.cost_usd is not None and not state.turns:
            return self._first_turns_over(state, ahead)
        if state.cost_usd is not None and state.turns:
            costs = [t.get("cost_usd") or 0.0 for t in state.turns[-2:]]
            last = Usage.from_dict(state.turns[-1]["usage"])
            grown = last + Usage(cache_creation_input_tokens=added)  # written to the cache
            added_cost = max(0.0, (self.cost(grown) or 0.0) - (self.cost(last) or 0.0))
            if projected(state.cost_usd, costs, added_cost, ahead) >= s.max_cost:
                return f"${state.cost_usd:.2f} of ${s.max_cost:.2f}"
        return None

    def _first_turns_over(self, state: AgentState, ahead: int) -> str | None:
        """Before any turn there is no last turn to project from: price the first request
        as the prompt written to the cache, and each later one as it read back, so a cap
        smaller than one turn ends the session rather than being passed by that turn."""
        s = self.settings
        system, *rest = self.prefix()
        prompt = len(json.dumps([system, state.messages, *rest], ensure_ascii=False)) // 3
        first = self.cost(Usage(cache_creation_input_tokens=prompt))
        later = self.cost(Usage(cache_read_input_tokens=prompt))
        if first is None or later is None:
            return None
        if (state.cost_usd or 0.0) + first + (ahead - 1) * later >= s.max_cost:
            return f"${state.cost_usd or 0.0:.2f} of ${s.max_cost:.2f}"
        return None

    def time_left(self, state: AgentState) -> float:
        """Seconds the next request may take: what is left of max_minutes, and for the
        judging turn JUDGE_SECONDS more, so the whole stays within max_minutes + 1."""
        budget = self.settings.max_minutes * 60
        if state.final_turn:
            budget += JUDGE_SECONDS
        return budget - state.elapsed

    @staticmethod
    def note(settings: Settings, state: AgentState) -> str:
        """What is left, as the model reads it after each turn's results."""
        left = settings.max_turns - state.turn
        cost = (
            "" if state.cost_usd is None else f", ${max(settings.max_cost - state.cost_usd, 0):.2f}"
        )
        return f"{NOTE_OPEN}{left} turns{cost}]"


NOTE_OPEN = "[budget left: "  # how the note begins, after a blank line (`note`)


def added_tokens(messages: list[dict[str, Any]]) -> int:
    """A generous guess (3 characters a token) at the tokens added since the last
    request: its answer and what followed."""
    starts = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    return len(json.dumps(messages[starts[-1] :], ensure_ascii=False)) // 3 if starts else 0


def projected(spent: float, last_two: Sequence[float], growth: float, ahead: int) -> float:
    """Spent, plus `ahead` turns, each more than the one before by `growth` (or by the
    growth between the last two turns, if more)."""
    if not last_two:
        return spent
    if len(last_two) == 2:
        growth = max(growth, last_two[1] - last_two[0])
    return spent + ahead * last_two[-1] + ahead * (ahead + 1) // 2 * growth
