"""Settings: flags, then environment (AGENTGIT_*), then agentgit.toml, then defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from agentgit.errors import UsageError

DEFAULT_MODEL = "claude-sonnet-5-5"
REVIEW_MODES = ("merge", "pr", "branch")
# Settings with a fixed set of values (the thinking ones: agentgit.models.capabilities).
CHOICES: dict[str, tuple[str, ...]] = {
    "review": REVIEW_MODES,
    "thinking": ("adaptive", "between_tools"),
    "thinking_display": ("summarized", "omitted"),
    "effort": ("low", "medium", "high", "xhigh", "max"),
}


@dataclass
class Settings:
    model: str = DEFAULT_MODEL
    max_turns: int = 30
    max_tokens: int = 600_000  # input + output tokens over the whole session
    max_cost: float = 1.0  # USD
    max_minutes: float = 30.0
    review: str = "merge"
    max_nudges: int = 2
    # Output room of one model turn, thinking included; 0: sized for the model and effort
    # (agentgit.models.capabilities).
    turn_max_tokens: int = 0
    # The orientation's bound, whatever the size of the history.
    orient_max_chars: int = 24_000
    orient_recent_log: int = 12
    # Bounds on what the model may write and what a tool returns.
    max_body_chars: int = 60_000
    max_result_chars: int = 12_000
    reasoning_chars: int = 4_000
    search_limit: int = 8
    merge_retries: int = 10
    # Model access (the Anthropic provider reads these).
    max_retries: int = 4
    timeout: float = 600.0
    web_search: int = 0  # max_uses; 0 is off
    web_fetch: int = 0
    # Thinking on the models that take it: adaptive thinking with its text displayed, so
    # the reasoning reaches the commits; medium effort keeps a session's cost sane.
    thinking: str = "adaptive"
    thinking_display: str = "summarized"
    effort: str = "medium"
    remote: str = "origin"
    push: bool = True
    pricing: dict[str, Any] = field(default_factory=dict)

    def budget_line(self) -> str:
        return (
            f"{self.max_turns} turns, {self.max_tokens:,} tokens, "
            f"${self.max_cost:.2f}, {self.max_minutes:g} minutes"
        )


_FIELDS = {f.name: f for f in fields(Settings)}


def _coerce(name: str, value: Any, source: str) -> Any:
    default = getattr(Settings(), name)
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if isinstance(default, int):
            result: Any = int(value)
        elif isinstance(default, float):
            result = float(value)
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                raise ValueError
            result = value
        else:
            result = str(value)
    except (TypeError, ValueError):
        raise UsageError(f"{source}: {name} must be a {type(default).__name__}") from None
    if isinstance(result, int | float) and not isinstance(result, bool) and result < 0:
        raise UsageError(f"{source}: {name} must not be negative")
    if name in CHOICES and result not in CHOICES[name]:
        raise UsageError(f"{source}: {name} must be one of {', '.join(CHOICES[name])}")
    return result


def read_toml(top: Path) -> dict[str, Any]:
    path = top / "agentgit.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"agentgit.toml: {exc}") from None
    # Accept both flat keys and a [session] table; [pricing] is a table of its own.
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key != "pricing":
            flat.update(value)
        else:
            flat[key] = value
    return flat


def load(top: Path | None, flags: Mapping[str, Any] | None = None,
         env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for key, value in (read_toml(top) if top else {}).items():
        name = key.replace("-", "_")
        if name in _FIELDS:
            values[name] = _coerce(name, value, "agentgit.toml")
    for name in _FIELDS:
        raw = env.get(f"AGENTGIT_{name.upper()}")
        if raw not in (None, ""):
            values[name] = _coerce(name, raw, f"AGENTGIT_{name.upper()}")
    for name, value in (flags or {}).items():
        if value is not None and name in _FIELDS:
            values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    settings = Settings(**values)
    if settings.thinking == "between_tools" and settings.effort in ("xhigh", "max"):
        raise UsageError(f"thinking = between_tools works at effort low, medium or high, "
                         f"not {settings.effort}: use thinking = adaptive for that effort")
    return settings
