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


@dataclass
class Settings:
    model: str = DEFAULT_MODEL
    max_turns: int = 30
    max_tokens: int = 600_000  # input + output tokens over the whole session
    max_cost: float = 1.0  # USD
    max_minutes: float = 30.0
    review: str = "merge"
    max_nudges: int = 2
    # Output room of one model turn.
    turn_max_tokens: int = 8192
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
    thinking_budget: int = 0
    remote: str = "origin"
    push: bool = True
    # Seconds a start (the id claim) or a landing may spend on the network in all.
    network_timeout: float = 60.0
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
    if name == "review" and result not in REVIEW_MODES:
        raise UsageError(f"{source}: review must be one of {', '.join(REVIEW_MODES)}")
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
    return Settings(**values)
