"""The state of a session's loop: everything needed to continue it, saved after every
turn (the transcript, agentgit/session/transcript.py, is this plus the session's meta)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentgit.models.base import Usage


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
    # them, so a resume with a different model stops sending them.
    thinking_model: str = ""
    cutoffs: int = 0  # replies cut at the output limit in a row
    turn_tokens: int = 0  # the output room, once raised after a cut (0: as configured)
    # [start, end) ranges of messages whose thinking blocks are kept but not sent: another
    # model wrote them, or the saved copy was scrubbed (the API binds each block to the
    # exact conversation before it).
    unsent: list[list[int]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # said once at the start; not saved
    # A turn whose tool calls are being run: {"turn": N, "message": the assistant's
    # message}. Saved before the first tool runs, so the model is never asked twice for
    # one answer; the message joins `messages` with its results only once all are in, so
    # the saved messages never hold an unanswered tool_use.
    pending: dict[str, Any] | None = None
