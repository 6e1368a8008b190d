"""Cost arithmetic against the price table."""

from __future__ import annotations

import typing

import pytest

from agentgit.core.errors import UsageError
from agentgit.models.base import Usage
from agentgit.models.pricing import PRICES, cost_usd, estimate_turn_cost, price_for


def test_a_hand_computed_turn_on_sonnet_5_5() -> None:
    usage = Usage(
        input_tokens=1_000,
        output_tokens=500,
        cache_creation_input_tokens=2_000,
        cache_read_input_tokens=10_000,
        server_tool_requests=2,
    )
    # 1000×$2 + 500×$10 + 2000×$2.50 + 10000×$0.10 per MTok = $0.013; 2 searches = $0.02
    assert cost_usd("claude-sonnet-5-5", usage) == pytest.approx(0.033)


def test_default_cache_multipliers_apply_when_a_row_gives_none() -> None:
    usage = Usage(cache_creation_input_tokens=1_000_000, cache_read_input_tokens=1_000_000)
    extra = {"my-model": {"input": 4.0, "output": 8.0}}
    assert cost_usd("my-model", usage, extra) == pytest.approx(4 * 1.25 + 4 * 0.1)


def test_a_dated_id_falls_back_to_its_alias() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_usd("claude-haiku-4-5-20251001", usage) == pytest.approx(1 + 5)
    assert price_for("claude-sonnet-4-5-20250929") is PRICES["claude-sonnet-4-5"]


def test_an_unknown_model_costs_unknown_not_zero() -> None:
    assert cost_usd("llama3.2:3b", Usage(input_tokens=10)) is None
    assert estimate_turn_cost("llama3.2:3b", Usage(), 8192) is None


def test_scripted_models_are_free() -> None:
    usage = Usage(input_tokens=10**6, output_tokens=10**6, server_tool_requests=3)
    assert cost_usd("scripted", usage) == 0
    assert cost_usd("scripted:demo.jsonl", usage) == 0


def test_settings_extend_and_override_the_table() -> None:
    extra = {"llama3.2:3b": {"input": 0.0, "output": 0.0}, "claude-sonnet-5-5": {"cache_read": 0.2}}
    assert cost_usd("llama3.2:3b", Usage(input_tokens=10**6), extra) == 0.0
    read = Usage(cache_read_input_tokens=10**6)
    assert cost_usd("claude-sonnet-5-5", read, extra) == pytest.approx(0.2)
    assert cost_usd("claude-sonnet-5-5", Usage(input_tokens=10**6), extra) == pytest.approx(2.0)
    # an override for the alias covers the dated id too
    haiku = {"claude-haiku-4-5": {"input": 9.0}}
    assert cost_usd("claude-haiku-4-5-20251001", Usage(input_tokens=10**6), haiku) == 9.0


def test_bad_settings_entries_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        cost_usd("new-model", Usage(), {"new-model": {"input": 1.0}})
    with pytest.raises(UsageError):
        cost_usd("claude-sonnet-5-5", Usage(), {"claude-sonnet-5-5": {"inputs": 1.0}})


def test_haiku_5_5_long_prompts_cost_five_times() -> None:
    short = Usage(input_tokens=100_000, output_tokens=1_000)
    long = Usage(input_tokens=100_001, output_tokens=1_000)
    assert cost_usd("claude-haiku-5-5", short) == pytest.approx((100_000 * 0.1 + 1_000 * 0.5) / 1e6)
    assert cost_usd("claude-haiku-5-5", long) == pytest.approx(
        5 * (100_001 * 0.1 + 1_000 * 0.5) / 1e6
    )


def test_every_current_sdk_model_has_a_price() -> None:
    from anthropic._data import DEPRECATED_MODELS
    from anthropic.types.model_param import ModelParam

    listed = typing.get_args(typing.get_args(ModelParam)[0])
    missing = [m for m in listed if m not in DEPRECATED_MODELS and price_for(m) is None]
    assert missing == []


def test_estimate_turn_cost_is_a_worst_case() -> None:
    last = Usage(
        input_tokens=500,
        output_tokens=1_000,
        cache_read_input_tokens=20_000,
        cache_creation_input_tokens=3_000,
    )
    estimate = estimate_turn_cost("claude-sonnet-5-5", last, 8_192)
    # 23k read, 1k newly written, 500 input, 8192 output at full price
    expected = (23_000 * 0.1 + 1_000 * 2.5 + 500 * 2 + 8_192 * 10) / 1e6
    assert estimate == pytest.approx(expected)
    assert estimate >= cost_usd("claude-sonnet-5-5", last)
    first = estimate_turn_cost("claude-sonnet-5-5", None, 1_000)
    assert first == pytest.approx(1_000 * 10 / 1e6)
    uncached = estimate_turn_cost(
        "claude-sonnet-5-5", Usage(input_tokens=10_000, output_tokens=100), 1_000
    )
    assert uncached == pytest.approx((10_100 * 2 + 1_000 * 10) / 1e6)


# The published prices (input, output, 5-minute cache write, cache read; sources beside
# the table in agentgit/pricing.py), so an edit of the table is an edit of this too.
PUBLISHED = {
    "claude-fable-5-2": (8, 40, 10, 0.20),
    "claude-fable-5-1": (10, 50, 12.50, 0.25),
    "claude-fable-5": (10, 50, 12.50, 1.00),
    "claude-opus-5-5": (4, 20, 5, 0.20),
    "claude-opus-5": (5, 25, 6.25, 0.50),
    "claude-opus-4-8": (5, 25, 6.25, 0.50),
    "claude-sonnet-5-5": (2, 10, 2.50, 0.10),  # cache reads half Sonnet 5's
    "claude-sonnet-5": (2, 10, 2.50, 0.20),
    "claude-sonnet-4-6": (3, 15, 3.75, 0.30),
    "claude-haiku-5-5": (0.10, 0.50, 0.125, 0.01),
    "claude-haiku-4-5": (1, 5, 1.25, 0.10),
}


@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_the_table_matches_the_published_prices(model: str) -> None:
    price = price_for(model)
    assert price is not None
    assert (price.input, price.output, price.write_rate, price.read_rate) == PUBLISHED[model]


def test_every_priced_claude_model_has_its_thinking_traits() -> None:
    from agentgit.models.capabilities import traits_for

    missing = [m for m in PRICES if m.startswith("claude-") and traits_for(m) is None]
    assert missing == []
