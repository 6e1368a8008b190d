"""What a model turn costs, in US dollars, from its usage and a price table.

Prices are per million tokens. Prompt-cache writes use the 5-minute TTL (the only
one agentgit asks for). Settings can extend or override the table from
``agentgit.toml``::

    [pricing."my-local-model"]
    input = 0.0
    output = 0.0

    [pricing."claude-sonnet-5-5"]
    cache_read = 0.1

An unknown model costs ``None`` — unknown, never zero, so a cost cap is not silently
disabled by a typo in a model name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

from agentgit.core import figures
from agentgit.models.base import Usage

MTOK = 1_000_000
# Standard multipliers of the input price, used when a model's table row (or a
# settings entry) gives no explicit cache price.
CACHE_WRITE_5M = 1.25
CACHE_READ = 0.1
# Server tools: web search is billed per request ($10 per 1,000). Usage reports web
# fetches in the same counter (Usage.server_tool_requests); fetches are free beyond
# their tokens, so counting them at the search price overestimates — the safe side
# for a cost cap.
WEB_SEARCH_PER_REQUEST = 10 / 1000


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_write: float | None = None  # None: CACHE_WRITE_5M × input
    cache_read: float | None = None  # None: CACHE_READ × input
    server_tool_request: float = WEB_SEARCH_PER_REQUEST
    # Prompt-length tiers (Haiku 5.5): a request whose prompt (input + cache read +
    # cache write) exceeds the threshold pays every rate × long_factor.
    long_threshold: int | None = None
    long_factor: float = 1.0

    @property
    def write_rate(self) -> float:
        return self.input * CACHE_WRITE_5M if self.cache_write is None else self.cache_write

    @property
    def read_rate(self) -> float:
        return self.input * CACHE_READ if self.cache_read is None else self.cache_read


def _p(i: float, o: float, w: float, r: float, **kw: Any) -> Price:
    return Price(input=i, output=o, cache_write=w, cache_read=r, **kw)


# Sources, checked 2026-12-01 (USD per million tokens: input, output, 5-minute cache
# write, cache read), rows in the order of the table:
# - the pricing page, https://platform.claude.com/docs/en/about-claude/pricing: Fable 5.1
#   and Mythos 5.1 (10 / 50 / 12.50 / 0.25), Fable 5 (10 / 50 / 12.50 / 1), Opus 4.8 to
#   4.5 (5 / 25 / 6.25 / 0.50), Sonnet 4.6 and 4.5 (3 / 15 / 3.75 / 0.30), Haiku 4.5
#   (1 / 5 / 1.25 / 0.10);
# - the models overview, https://platform.claude.com/docs/en/models/overview: Fable 5.2
#   (8 / 40; its cache rates, 10 and 0.20, were found only in third-party trackers);
# - each model's page, https://platform.claude.com/docs/<locale>/models/<model>/overview
#   (read in the zh-CN copy): Opus 5.5 (4 / 20 / 5 / 0.20), Opus 5 (5 / 25 / 6.25 /
#   0.50), Sonnet 5 (2 / 10 / 2.50 / 0.20), Haiku 5.5 (0.10 / 0.50 up to 100k-token
#   prompts, 5x above; its cache rates, 0.125 and 0.01, only from third-party trackers);
# - Sonnet 5.5's migration guide,
#   https://platform.claude.com/docs/en/models/sonnet-5-5/migration-guide: "the same
#   prices as Claude Sonnet 5, except for prompt cache reads, which cost $0.10" (its
#   model page still showed the launch price, $0.20, before the 2026-10-07 cut).
# Cache reads are NOT always 0.1x input on the newest models, so every row states them.
# agentgit.models.capabilities keeps the same models' thinking and effort traits.
_FABLE_5_2 = _p(8, 40, 10, 0.20)
PRICES: dict[str, Price] = {
    "claude-fable-5-2": _FABLE_5_2,
    "claude-mythos-5-2": _FABLE_5_2,  # Mythos shares its Fable generation's pricing
    "claude-fable-5-1": _p(10, 50, 12.50, 0.25),
    "claude-mythos-5-1": _p(10, 50, 12.50, 0.25),
    "claude-fable-5": _p(10, 50, 12.50, 1.00),
    "claude-mythos-5": _p(10, 50, 12.50, 1.00),
    # No published price found for the preview: its family's latest (Mythos 5.2).
    "claude-mythos-preview": _FABLE_5_2,
    "claude-opus-5-5": _p(4, 20, 5, 0.20),
    "claude-opus-5": _p(5, 25, 6.25, 0.50),
    "claude-opus-4-8": _p(5, 25, 6.25, 0.50),
    "claude-opus-4-7": _p(5, 25, 6.25, 0.50),
    "claude-opus-4-6": _p(5, 25, 6.25, 0.50),
    "claude-opus-4-5": _p(5, 25, 6.25, 0.50),
    "claude-sonnet-5-5": _p(2, 10, 2.50, 0.10),
    "claude-sonnet-5": _p(2, 10, 2.50, 0.20),
    "claude-sonnet-4-6": _p(3, 15, 3.75, 0.30),
    "claude-sonnet-4-5": _p(3, 15, 3.75, 0.30),
    "claude-haiku-5-5": _p(0.10, 0.50, 0.125, 0.01, long_threshold=100_000, long_factor=5.0),
    "claude-haiku-4-5": _p(1, 5, 1.25, 0.10),
    # The scripted model (demo, replay) never calls an API.
    "scripted": Price(input=0, output=0, cache_write=0, cache_read=0, server_tool_request=0),
}

_DATED = re.compile(r"^(?P<alias>.+)-\d{8}$")
_SETTING_KEYS = {
    "input",
    "output",
    "cache_write",
    "cache_read",
    "server_tool_request",
    "long_threshold",
    "long_factor",
}


def price_for(model: str, extra: dict[str, Any] | None = None) -> Price | None:
    """The price of ``model``: settings over the table; a dated id falls back to its
    alias ("claude-haiku-4-5-20251001" → "claude-haiku-4-5"); None if unknown."""
    for name in _candidates(model):
        base = PRICES.get(name)
        override = (extra or {}).get(name)
        if override:
            return _apply(base, override, name)
        if base is not None:
            return base
    return None


def _candidates(model: str) -> list[str]:
    if model == "scripted" or model.startswith("scripted:"):
        return ["scripted"]
    names = [model]
    dated = _DATED.match(model)
    if dated:
        names.append(dated.group("alias"))
    return names


def _apply(base: Price | None, override: dict[str, Any], name: str) -> Price:
    unknown = set(override) - _SETTING_KEYS
    if unknown:
        from agentgit.core.errors import UsageError

        raise UsageError(f'[pricing."{name}"]: unknown keys {sorted(unknown)}')
    values = {k: v for k, v in override.items() if k in {f.name for f in fields(Price)}}
    if base is not None:
        return replace(base, **values)
    if "input" not in values or "output" not in values:
        from agentgit.core.errors import UsageError

        raise UsageError(f'[pricing."{name}"] needs at least input and output')
    return Price(**values)


def cost_usd(model: str, usage: Usage, extra: dict[str, Any] | None = None) -> float | None:
    """Dollars for ``usage`` on ``model``; None when the model's price is unknown.

    Call it per turn: the Haiku 5.5 prompt-length tier is decided per request.
    """
    price = price_for(model, extra)
    if price is None:
        return None
    factor = _tier_factor(price, usage.total_input)
    tokens = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_creation_input_tokens * price.write_rate
        + usage.cache_read_input_tokens * price.read_rate
    )
    cost = tokens * factor / MTOK + usage.server_tool_requests * price.server_tool_request
    # A huge price overflows to inf, which agentgit must never record (it would break
    # every reader): unknown instead, and no more than figures.MAX_COST.
    return figures.writable_cost(cost)


def _tier_factor(price: Price, prompt_tokens: int) -> float:
    if price.long_threshold is not None and prompt_tokens > price.long_threshold:
        return price.long_factor
    return 1.0


def estimate_turn_cost(
    model: str,
    last_usage: Usage | None,
    max_tokens: int,
    extra: dict[str, Any] | None = None,
) -> float | None:
    """An upper-ish estimate of the next turn's cost, to check a cap before sending it.

    The next prompt is the last one plus what was added since (the last answer and
    its tool results, unknown here: assumed as large as the last answer). With caching
    working the old prompt is read from cache and the new part written; without it
    (no cache activity last turn) everything is full-price input. Output is assumed
    to run to ``max_tokens`` — the worst case, so a cap is never overshot by a whole
    turn.
    """
    price = price_for(model, extra)
    if price is None:
        return None
    last = last_usage or Usage()
    grown = last.output_tokens
    cached = last.cache_read_input_tokens + last.cache_creation_input_tokens > 0
    if cached:
        guess = Usage(
            input_tokens=last.input_tokens,
            cache_read_input_tokens=last.cache_read_input_tokens + last.cache_creation_input_tokens,
            cache_creation_input_tokens=grown,
            output_tokens=max_tokens,
        )
    else:
        guess = Usage(input_tokens=last.total_input + grown, output_tokens=max_tokens)
    return cost_usd(model, guess, extra)
