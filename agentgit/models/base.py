"""The model protocol the agent loop talks to. It knows no concrete provider.

Messages, content blocks and tool definitions are plain dicts in the shape of the
Anthropic Messages API (the lingua franca: Claude, Ollama and llama.cpp speak it), so
a response's blocks (thinking included) can be sent back untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    server_tool_requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return (
            self.input_tokens,
            self.output_tokens,
            self.cache_read_input_tokens,
            self.cache_creation_input_tokens,
            self.server_tool_requests,
        )

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens

    @property
    def total(self) -> int:
        return self.total_input + self.output_tokens

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage:
        data = data or {}
        server = data.get("server_tool_requests")
        if server is None:
            stu = data.get("server_tool_use") or {}
            server = sum(int(v or 0) for v in stu.values()) if isinstance(stu, dict) else 0
        return cls(
            input_tokens=int(data.get("input_tokens") or 0),
            output_tokens=int(data.get("output_tokens") or 0),
            cache_read_input_tokens=int(data.get("cache_read_input_tokens") or 0),
            cache_creation_input_tokens=int(data.get("cache_creation_input_tokens") or 0),
            server_tool_requests=int(server or 0),
        )


@dataclass
class ModelRequest:
    system: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    max_tokens: int = 8192
    # Tool names the model may call this turn (None: all). The last judgement turn
    # after a budget runs out offers only crystallize/abandon.
    allowed_tools: list[str] | None = None
    # Seconds this turn may take in all, the provider's retries included: what is left
    # of the wall-clock budget. Past it, complete() raises OutOfTime. None: no bound.
    timeout: float | None = None


@dataclass
class ModelResponse:
    content: list[dict[str, Any]]
    stop_reason: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    # The response exactly as received (for the transcript), when the provider has one.
    raw: dict[str, Any] | None = None


# Progress callback: (event name, payload). Providers call it while streaming.
ProgressFn = Callable[[str, dict[str, Any]], None]


class Model(Protocol):
    """Anything that answers a request with one assistant turn."""

    name: str

    def complete(self, request: ModelRequest, progress: ProgressFn | None = None) -> ModelResponse:
        """One assistant turn. Raises ModelUnavailable when the API stays down,
        ModelError when it is misconfigured, OutOfTime when ``request.timeout`` passed."""
        ...
